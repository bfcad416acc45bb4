"""The key-client doors: the API's figures per role, the clients list's ABC and RFM filters on
the page, the API and the export, the CLI, and the page (marketers refused: no money)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from clientela.conftest import login
from clientela.retention import value
from clientela.retention.tests.test_value import TODAY, base_eur, book  # noqa: F401 (fixtures)

API = "/api/v1"


@pytest.fixture
def classified(book):  # noqa: F811
    value.value_classify(by=None, today=TODAY)
    return book


def get(client, url, headers, status=200):
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.content
    return response.json()


def test_concentration_api_per_role(client, world, classified, api_token):
    body = get(client, f"{API}/retention/concentration", api_token(world.admin))
    assert Decimal(body["revenue"]) == Decimal("5000.00")
    assert body["base_currency"] == "EUR"
    assert [(c["name"], Decimal(c["share"])) for c in body["clients"][:2]] == [
        ("Kappa", Decimal("40.00")),
        ("Gamma", Decimal("28.00")),
    ]
    assert body["clients_above_alert"] == 2
    assert body["without_rate"] == {"USD": "700.00"}
    mara = get(client, f"{API}/retention/concentration", api_token(world.manager_north))
    assert Decimal(mara["revenue"]) == Decimal("4500.00")
    assert {c["name"] for c in mara["clients"]} == {"Kappa", "Gamma", "Alfa", "Beta"}
    sandor = get(client, f"{API}/retention/concentration", api_token(world.manager_south))
    assert {c["name"] for c in sandor["clients"]} == {"Delta", "Eta"}


@pytest.mark.parametrize("path", ["concentration", "abc", "rfm", "repeat-purchase"])
def test_marketers_are_refused_every_figure(client, world, classified, api_token, path):
    get(client, f"{API}/retention/{path}", api_token(world.marketer_north), status=403)


def test_a_head_cannot_ask_for_another_team(client, world, classified, api_token):
    body = get(client, f"{API}/retention/abc?team={world.south.pk}", api_token(world.head_north), status=422)
    assert "team" in body["errors"]
    body = get(client, f"{API}/retention/repeat-purchase?period=week", api_token(world.admin), status=422)
    assert "period" in body["errors"]


def test_abc_rfm_and_repeat_api(client, world, classified, api_token):
    headers = api_token(world.admin)
    abc = {row["abc_class"]: row for row in get(client, f"{API}/retention/abc", headers)["classes"]}
    assert (abc["A"]["clients"], Decimal(abc["A"]["revenue"])) == (3, Decimal("4000.00"))
    assert abc[""]["clients"] == 1
    cells = {(c["r"], c["f"]): c for c in get(client, f"{API}/retention/rfm", headers)["cells"]}
    assert len(cells) == 25
    assert cells[(3, 1)]["clients"] == 1 and Decimal(cells[(3, 1)]["revenue"]) == Decimal("2000.00")
    north = get(client, f"{API}/retention/rfm", api_token(world.head_north))["cells"]
    assert sum(c["clients"] for c in north) == 3  # Kappa, Alfa, Beta (Gamma has no purchase)
    repeat = get(client, f"{API}/retention/repeat-purchase?period=year", headers)
    assert Decimal(repeat["target_percent"]) == Decimal("90")
    assert next(p["period"] for p in repeat["periods"]) == "2022"  # five years up to this one


def test_clients_api_filters_by_class_and_rfm(client, world, classified, api_token):
    headers = api_token(world.admin)
    names = lambda q: {c["name"] for c in get(client, f"{API}/clients?{q}", headers)["items"]}  # noqa: E731
    assert names("abc=A") == {"Kappa", "Gamma", "Alfa"}
    assert names("abc=none") == {"Epsilon"}
    assert names("rfm_r=5") == {"Eta"}
    assert names("rfm_f=4&rfm_m=4") == {"Alfa"}
    first = get(client, f"{API}/clients?abc=C", headers)["items"][0]
    assert (first["name"], first["abc_class"], first["rfm_r"]) == ("Eta", "C", 5)
    # Mara's list keeps her scope: no South client even when its class matches.
    assert {
        c["name"] for c in get(client, f"{API}/clients?abc=B", api_token(world.manager_north))["items"]
    } == {"Beta"}
    body = get(client, f"{API}/clients?abc=D&rfm_r=9", headers, status=422)
    assert set(body["errors"]) == {"abc", "rfm_r"}


def test_clients_page_and_export_filter_by_class(client, world, classified):
    login(client, world.head_north)
    page = client.get(reverse("clients:list") + "?abc=A")
    text = page.content.decode()
    assert "Kappa" in text and "Gamma" in text and "Beta" not in text
    assert 'title="ABC class">A</span>' in text
    export = client.get(reverse("clients:export") + "?abc=B&format=csv")
    body = b"".join(export.streaming_content).decode() if export.streaming else export.content.decode()
    assert "Beta" in body and "Kappa" not in body
    card = client.get(reverse("clients:detail", args=[classified["Alfa"].pk])).content.decode()
    assert "RFM 244" in card


def test_clients_sort_by_revenue(client, world, classified, api_token):
    items = get(client, f"{API}/clients?ordering=-revenue", api_token(world.admin))["items"]
    assert [item["name"] for item in items[:3]] == ["Kappa", "Gamma", "Alfa"]


def test_the_cli_classifies_and_says_what_it_left_out(world, book):  # noqa: F811
    out = io.StringIO()
    call_command("retention", "classify", "--today", TODAY.isoformat(), stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[-1] == "6 clients with revenue, 6 changed, revenue 5000.00 EUR"
    assert "no exchange rate for USD: 700.00 USD left out" in lines


def test_the_nightly_sweep_runs_once_a_day(world, book):  # noqa: F811
    from clientela.retention.value_tasks import classify_clients_nightly

    assert classify_clients_nightly.call() is True
    assert classify_clients_nightly.call() is False


def test_the_page_shows_the_figures_with_links_and_exports(client, world, classified):
    login(client, world.head_north)
    page = client.get(reverse("retention:value"))
    assert page.status_code == 200
    text = page.content.decode()
    # North's revenue only (4,500), Kappa's share of it, linked to its card.
    assert "Kappa" in text and "Delta" not in text
    assert reverse("clients:detail", args=[classified["Kappa"].pk]) in text
    assert "?abc=A" in text and "rfm_r=3&amp;rfm_f=1" in text
    export = client.get(reverse("retention:value") + "?export=csv&figure=abc")
    body = b"".join(export.streaming_content).decode()
    assert "A — key clients" in body


def test_the_page_refuses_marketers(client, world, classified):
    login(client, world.marketer_north)
    assert client.get(reverse("retention:value")).status_code == 403


def test_the_dashboard_tile_gives_concentration_and_abc(rf, world, classified):
    from clientela.retention.hooks import DASHBOARD_TILES

    tile = next(t for t in DASHBOARD_TILES if t.key == "value")
    request = rf.get("/retention/")
    request.user = world.admin
    figures = tile.figures(request)
    assert [f.key for f in figures] == ["concentration", "abc"]
    assert len(figures[0].rows) == 5
    request.user = world.marketer_north
    assert tile.figures(request) == []
