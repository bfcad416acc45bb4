"""Touches before the first sale against a hand count: leads converted in March (Bucharest and
UTC), activities before and after the first won deal, notes left out, each role's scope."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.test import Client as HttpClient

from clientela.activities.choices import ActivityKind
from clientela.activities.services.log import activity_log
from clientela.analytics.engine import REPORTS, run
from clientela.clients.models import Client
from clientela.conftest import login
from clientela.deals import services as deal_services
from clientela.deals.choices import DealStatus
from clientela.deals.models import Deal
from clientela.leads.choices import LeadStatus
from clientela.leads.models import Lead
from clientela.leads.services.lifecycle import lead_create

UTC = dt.UTC
MARCH = {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}
_seq = itertools.count(1)


def at(month, day, hour=9, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _lead(owner, name, temperature, source, calls=()):
    lead = lead_create(
        by=None,
        fields={
            "first_name": name,
            "last_name": "Test",
            "email": f"{name.lower()}{next(_seq)}@example.com",
            "team": owner.team,
            "temperature": temperature,
            "source": source,
        },
        owner=owner,
    )
    Lead.objects.filter(pk=lead.pk).update(temperature=temperature)
    for moment in calls:
        activity_log(by=owner, kind=ActivityKind.CALL, lead=lead, occurred_at=moment)
    return lead


def _convert(lead, owner, converted, won=None):
    client = Client.objects.create(name=f"{lead.first_name} SRL", owner=owner, team=owner.team)
    Lead.objects.filter(pk=lead.pk).update(client=client, converted_at=converted, status=LeadStatus.CONVERTED)
    deal = deal_services.deal_create(by=owner, client=client, title="First", currency="RON")
    if won is not None:
        Deal.objects.filter(pk=deal.pk).update(status=DealStatus.WON, closed_at=won)
    return client, deal


@pytest.fixture
def sales(world):
    """By hand:

    Mara — A (hot, web form): lead call 1 Mar, e-mail 2 Mar, a note (not a touch); converted
    5 Mar; client meeting 6 Mar, deal e-mail 7 Mar; first sale 8 Mar 12:00; a call 9 Mar (after
    the sale, not counted) → 4. A second won deal on 25 Mar does not move the first sale.
    B (warm, web form): call 3 Mar, converted 10 Mar, a deal e-mail 15 Mar, sold 20 Mar → 2.
    C (hot, cold call): converted 12 Mar, never sold → not counted.
    D (hot, cold call): call 20 Mar, converted 31 Mar 22:30 UTC (1 April in Bucharest), sold
    2 Apr → 1. E (cold, exhibition): converted 28 Feb 22:30 UTC (1 March in Bucharest), sold
    3 Mar, no touch → 0.
    Sándor (South) — F (hot, web form): call 14 Mar, converted 15 Mar, sold 16 Mar → 1.
    """
    mara, sandor = world.manager_north, world.manager_south
    a = _lead(mara, "Anca", "hot", "web_form", calls=[at(3, 1)])
    activity_log(by=mara, kind=ActivityKind.EMAIL, lead=a, occurred_at=at(3, 2))
    activity_log(by=mara, kind=ActivityKind.NOTE, lead=a, occurred_at=at(3, 2, 10))
    client_a, deal_a = _convert(a, mara, at(3, 5), won=at(3, 8, 12))
    activity_log(by=mara, kind=ActivityKind.MEETING, client=client_a, occurred_at=at(3, 6))
    activity_log(by=mara, kind=ActivityKind.EMAIL, deal=deal_a, occurred_at=at(3, 7))
    activity_log(by=mara, kind=ActivityKind.CALL, client=client_a, occurred_at=at(3, 9))
    later = deal_services.deal_create(by=mara, client=client_a, title="Second", currency="RON")
    Deal.objects.filter(pk=later.pk).update(status=DealStatus.WON, closed_at=at(3, 25))

    b = _lead(mara, "Bogdan", "warm", "web_form", calls=[at(3, 3)])
    _client_b, deal_b = _convert(b, mara, at(3, 10), won=at(3, 20))
    activity_log(by=mara, kind=ActivityKind.EMAIL, deal=deal_b, occurred_at=at(3, 15))

    c = _lead(mara, "Cezar", "hot", "cold_call", calls=[at(3, 4)])
    _convert(c, mara, at(3, 12))

    d = _lead(mara, "Dana", "hot", "cold_call", calls=[at(3, 20)])
    _convert(d, mara, at(3, 31, 22, 30), won=at(4, 2))

    e = _lead(mara, "Emil", "cold", "exhibition")
    _convert(e, mara, at(2, 28, 22, 30), won=at(3, 3))

    f = _lead(sandor, "Ferenc", "hot", "web_form", calls=[at(3, 14)])
    _convert(f, sandor, at(3, 15), won=at(3, 16))
    world.leads = {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f}
    return world


def _figure(user, key, data=MARCH):
    return next(f for f in run(REPORTS["touches"], user, data).figures if f.key == key)


def _rows(user, key, data=MARCH):
    return {str(row["group"]): row for row in _figure(user, key, data).rows}


def _measures(row):
    return (row["leads"], row["touches"], row["average"], row["median"])


def test_admin_in_utc_by_temperature_and_source(sales):
    by_temperature = _rows(sales.admin, "touches-temperature")
    # A 4, D 1, F 1 are hot; B 2 is warm (E was converted in February in UTC, C never bought)
    assert _measures(by_temperature["Hot"]) == (3, 6, Decimal("2.0"), Decimal("1.0"))
    assert _measures(by_temperature["Warm"]) == (1, 2, Decimal("2.0"), Decimal("2.0"))
    assert "Cold" not in by_temperature
    by_source = _rows(sales.admin, "touches-source")
    assert _measures(by_source["Web form"]) == (3, 7, Decimal("2.3"), Decimal("2.0"))
    assert _measures(by_source["Cold call"]) == (1, 1, Decimal("1.0"), Decimal("1.0"))
    distribution = {r["touches"]: r["leads"] for r in _figure(sales.admin, "touches-distribution").rows}
    assert distribution == {"0": 0, "1–2": 3, "3–5": 1, "6–10": 0, "11–20": 0, "21+": 0}
    footer = _figure(sales.admin, "touches-temperature").footer
    assert _measures(footer) == (4, 8, Decimal("2.0"), Decimal("1.5"))


def test_manager_in_bucharest_sees_own_leads_of_their_march(sales):
    mara = sales.manager_north
    mara.time_zone = "Europe/Bucharest"
    mara.save(update_fields=["time_zone"])
    rows = _rows(mara, "touches-temperature")
    # A (4) and B (2) and E (0, converted 1 March there); D is April there; F is not hers
    assert {k: _measures(v) for k, v in rows.items()} == {
        "Hot": (1, 4, Decimal("4.0"), Decimal("4.0")),
        "Warm": (1, 2, Decimal("2.0"), Decimal("2.0")),
        "Cold": (1, 0, Decimal("0.0"), Decimal("0.0")),
    }
    listed = _figure(mara, "touches-leads")
    assert [(row["lead"], row["touches"]) for row in listed.rows] == [
        ("Anca Test", 4),
        ("Bogdan Test", 2),
        ("Emil Test", 0),
    ]
    assert listed.rows[0]["_links"]["lead"] == f"/leads/{sales.leads['A'].pk}/"


def test_head_sees_their_team_and_filters_narrow(sales):
    footer = _figure(sales.head_north, "touches-temperature").footer
    assert footer["leads"] == 3  # A, B, D
    rows = _rows(sales.head_north, "touches-source", {**MARCH, "source": "cold_call"})
    assert set(rows) == {"Cold call"} and rows["Cold call"]["touches"] == 1


def test_numbers_link_to_the_converted_leads_that_bought(sales, client, api_token):
    login(client, sales.admin)
    response = client.get("/reports/touches/", MARCH)
    assert response.status_code == 200
    hot = next(r for r in response.context["figures"][0].rows if str(r["group"]) == "Hot")
    link = hot["_links"]["leads"]
    assert "converted_from=2026-03-01" in link and "first_sale=yes" in link and "temperature=hot" in link
    page = client.get(link)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="converted_from" id="id_converted_from" value="2026-03-01"' in body
    assert '<option value="yes" selected>' in body
    assert "Anca Test" in body and "Dana Test" in body and "Cezar Test" not in body
    headers = api_token(sales.admin)
    query = {"converted_from": "2026-03-01", "converted_to": "2026-03-31", "first_sale": "yes"}
    items = (
        HttpClient().get("/api/v1/leads", {**query, "temperature": "hot"}, headers=headers).json()["items"]
    )
    assert {item["id"] for item in items} == {sales.leads[k].pk for k in ("A", "D", "F")}
    unsold = HttpClient().get("/api/v1/leads", {**query, "first_sale": "no"}, headers=headers).json()["items"]
    assert {item["id"] for item in unsold} == {sales.leads["C"].pk}


def test_marketer_is_refused_and_bad_filters_are_field_errors(sales, client, api_token):
    login(client, sales.marketer_north)
    assert client.get("/reports/touches/").status_code == 403
    headers = api_token(sales.manager_north)
    response = HttpClient().get("/api/v1/reports/touches", {"source": "pigeon"}, headers=headers)
    assert response.status_code == 422 and "source" in str(response.json())
    response = HttpClient().get(
        "/api/v1/reports/touches",
        {"period": "custom", "from": "2026-03-31", "to": "2026-03-01"},
        headers=headers,
    )
    assert response.status_code == 422
    response = HttpClient().get("/api/v1/leads", {"first_sale": "maybe"}, headers=headers)
    assert response.status_code == 422
