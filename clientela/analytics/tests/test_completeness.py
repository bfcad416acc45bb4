"""Card completeness against a hand count: lead and client cards created in March (Bucharest
and UTC), the fields each one has, per manager, the worst cards and the lists behind them."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from decimal import Decimal

import pytest
from django.test import Client as HttpClient

from clientela.analytics.engine import REPORTS, run
from clientela.clients.choices import ClientKind
from clientela.clients.models import Client
from clientela.conftest import login
from clientela.leads.completeness import filled_count
from clientela.leads.models import Lead
from clientela.leads.services.lifecycle import lead_create

UTC = dt.UTC
MARCH = {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}
_seq = itertools.count(1)
COUNTED = (
    "first_name",
    "last_name",
    "company_name",
    "email",
    "phone",
    "position",
    "industry",
    "country",
    "product",
)
ALL = {
    "first_name": "Ana",
    "company_name": "Acme",
    "email": "x@example.com",
    "phone": "+40700000001",
    "position": "CEO",
    "industry": "IT",
    "country": "RO",
    "product": "Audit",
}


def at(month, day, hour=9, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _lead(owner, created, *fields, merged_into=None):
    n = next(_seq)
    lead = lead_create(
        by=None,
        fields={"first_name": "Lead", "last_name": f"N{n}", "email": f"l{n}@example.com", "team": owner.team},
        owner=owner,
    )
    values = dict.fromkeys(COUNTED, "")
    values.update({name: ALL[name] for name in fields})
    Lead.objects.filter(pk=lead.pk).update(created_at=created, merged_into=merged_into, **values)
    lead.refresh_from_db()
    assert filled_count(lead) == len(fields)
    return lead


def _client(owner, created, name, kind=ClientKind.COMPANY, **fields):
    client = Client.objects.create(name=name, owner=owner, team=owner.team, kind=kind, **fields)
    Client.objects.filter(pk=client.pk).update(created_at=created)
    return client


@pytest.fixture
def cards(world):
    """By hand. Leads (fields counted of 8): Mara — LA 2 (2 Mar), LB 4, LC 6, LD 2 (28 Feb
    22:30 UTC: 1 March in Bucharest), LE 8 (31 Mar 22:30 UTC: April in Bucharest), a merged one
    (not counted); Nelu — NA 3 (the norm's edge); Sándor — SA 1.
    Clients (key fields of 18): Mara — CA 11 (within 10), CB 2; Nelu — CC a private person with
    6 (a person's norm: 6 of 11); Sándor — CS 2."""
    mara, nelu, sandor = world.manager_north, world.manager_north2, world.manager_south
    leads = {
        "LA": _lead(mara, at(3, 2), "first_name", "email"),
        "LB": _lead(mara, at(3, 3), "first_name", "email", "phone", "company_name"),
        "LC": _lead(mara, at(3, 4), "first_name", "email", "phone", "company_name", "position", "industry"),
        "LD": _lead(mara, at(2, 28, 22, 30), "first_name", "email"),
        "LE": _lead(mara, at(3, 31, 22, 30), *ALL),
        "NA": _lead(nelu, at(3, 5), "first_name", "phone", "company_name"),
        "SA": _lead(sandor, at(3, 6), "email"),
    }
    _lead(mara, at(3, 7), "email", merged_into=leads["LA"])
    company = {
        "legal_form": "SRL",
        "tax_id": "RO123",
        "registration_number": "J40/1/2020",
        "industry": "IT",
        "employees": 12,
        "revenue_band": "1m",
        "country": "RO",
        "region": "Cluj",
        "city": "Cluj-Napoca",
    }
    clients = {
        "CA": _client(mara, at(3, 2), "Alfa SRL", **company),
        "CB": _client(mara, at(3, 3), "Beta SRL"),
        "CC": _client(
            nelu,
            at(3, 4),
            "Ion Pop",
            kind=ClientKind.PERSON,
            country="RO",
            city="Iasi",
            phone="+40700000002",
            email="ion@example.com",
        ),
        "CS": _client(sandor, at(3, 5), "Gamma Kft"),
    }
    assert [clients[k].completeness_filled for k in ("CA", "CB", "CC", "CS")] == [11, 2, 6, 2]
    world.leads, world.clients = leads, clients
    return world


def _figure(user, key, data=MARCH):
    return next(f for f in run(REPORTS["completeness"], user, data).figures if f.key == key)


def _rows(user, key, data=MARCH):
    return {str(row["name"]): row for row in _figure(user, key, data).rows}


def _measures(row):
    return (row["cards"], row["normal"], row["share"], row["complete"], row["below"], row["average"])


def test_admin_in_utc_lead_and_client_cards_by_hand(cards):
    leads = _rows(cards.admin, "completeness-leads")
    # Mara: LA 2, LB 4, LC 6, LE 8 (LD is February in UTC; the merged one is left out)
    assert _measures(leads["Mara"]) == (4, 3, Decimal("75.0"), 2, 1, Decimal("5.0"))
    assert _measures(leads["Nelu"]) == (1, 1, Decimal("100.0"), 0, 0, Decimal("3.0"))
    assert _measures(leads["Sándor"]) == (1, 0, Decimal("0.0"), 0, 1, Decimal("1.0"))
    footer = _figure(cards.admin, "completeness-leads").footer
    assert _measures(footer) == (6, 4, Decimal("66.7"), 2, 2, Decimal("4.0"))
    clients = _rows(cards.admin, "completeness-clients")
    assert _measures(clients["Mara"]) == (2, 1, Decimal("50.0"), 0, 1, Decimal("6.5"))
    assert _measures(clients["Nelu"]) == (1, 1, Decimal("100.0"), 0, 0, Decimal("6.0"))
    assert _measures(clients["Sándor"]) == (1, 0, Decimal("0.0"), 0, 1, Decimal("2.0"))


def test_manager_in_bucharest_sees_own_cards_of_their_march(cards):
    mara = cards.manager_north
    mara.time_zone = "Europe/Bucharest"
    mara.save(update_fields=["time_zone"])
    leads = _rows(mara, "completeness-leads")
    assert set(leads) == {"Mara"}
    # LA 2, LB 4, LC 6, LD 2 (1 March there); LE is April there
    assert _measures(leads["Mara"]) == (4, 2, Decimal("50.0"), 1, 2, Decimal("3.5"))
    worst = _figure(mara, "completeness-worst-leads").rows
    assert [(row["card"], row["filled"]) for row in worst] == [
        (str(cards.leads["LA"]), 2),
        (str(cards.leads["LD"]), 2),
        (str(cards.leads["LB"]), 4),
        (str(cards.leads["LC"]), 6),
    ]
    assert worst[0]["_links"]["card"] == f"/leads/{cards.leads['LA'].pk}/"
    assert worst[0]["missing"] == "Company, Phone, Position, Industry, Country, Interested in"
    clients = _figure(mara, "completeness-worst-clients").rows
    assert [(row["card"], row["filled"]) for row in clients] == [("Beta SRL", 2), ("Alfa SRL", 11)]


def test_head_sees_their_team_marketer_is_refused(cards, client, api_token):
    assert set(_rows(cards.head_north, "completeness-leads")) == {"Mara", "Nelu"}
    assert set(_rows(cards.head_north, "completeness-clients")) == {"Mara", "Nelu"}
    worst = {row["card"] for row in _figure(cards.head_north, "completeness-worst-clients").rows}
    assert worst == {"Alfa SRL", "Beta SRL", "Ion Pop"}
    login(client, cards.marketer_north)
    assert client.get("/reports/completeness/").status_code == 403
    response = HttpClient().get("/api/v1/reports/completeness", headers=api_token(cards.marketer_north))
    assert response.status_code == 403


def test_counts_link_to_the_lists_with_the_same_filter(cards, client, api_token):
    login(client, cards.head_north)
    response = client.get("/reports/completeness/", MARCH)
    assert response.status_code == 200
    figures = {f.key: f for f in response.context["figures"]}
    mara = next(r for r in figures["completeness-leads"].rows if r["name"] == "Mara")
    link = mara["_links"]["below"]
    assert "completeness=below" in link and f"owner={cards.manager_north.pk}" in link
    below_page = client.get(link)
    assert below_page.status_code == 200
    assert '<option value="below" selected>' in below_page.content.decode()
    headers = api_token(cards.head_north)
    query = {"created_from": "2026-03-01", "created_to": "2026-03-31", "owner": cards.manager_north.pk}
    below = HttpClient().get("/api/v1/leads", {**query, "completeness": "below"}, headers=headers).json()
    assert {item["id"] for item in below["items"]} == {cards.leads["LA"].pk}
    complete = HttpClient().get("/api/v1/leads", {**query, "completeness": "complete"}, headers=headers)
    assert {item["id"] for item in complete.json()["items"]} == {cards.leads["LC"].pk, cards.leads["LE"].pk}
    clients_link = next(r for r in figures["completeness-clients"].rows if r["name"] == "Mara")["_links"][
        "below"
    ]
    page = client.get(clients_link)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Beta SRL" in body and "Alfa SRL" not in body


def test_bad_filters_are_field_errors(cards, api_token):
    headers = api_token(cards.head_north)
    response = HttpClient().get("/api/v1/reports/completeness", {"team": cards.south.pk}, headers=headers)
    assert response.status_code == 422 and "team" in str(response.json())
    response = HttpClient().get("/api/v1/leads", {"completeness": "half"}, headers=headers)
    assert response.status_code == 422


def test_xlsx_export_and_api_give_the_same_numbers(cards, client, api_token):
    import openpyxl

    login(client, cards.head_north)
    response = client.get(
        "/reports/completeness/", {**MARCH, "export": "xlsx", "figure": "completeness-leads"}
    )
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = {row[0]: row for row in sheet.iter_rows(values_only=True)}
    assert rows["Mara"][1:3] == (4, 3) and rows["Nelu"][1:3] == (1, 1)
    data = HttpClient().get("/api/v1/reports/completeness", MARCH, headers=api_token(cards.head_north)).json()
    clients = next(f for f in data["figures"] if f["key"] == "completeness-clients")
    assert {row["name"]: row["normal"] for row in clients["rows"]} == {"Mara": 1, "Nelu": 1}
