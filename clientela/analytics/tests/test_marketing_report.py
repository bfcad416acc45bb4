"""The marketing report against figures made by hand: leads, interests and clients per channel
and campaign, cost per lead and per client from spend pro-rated across the period's edges, the
plan against actual, the yield of imported lists — per role, in the reader's days, with the
links to the leads behind each number."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client

from clientela.analytics.engine import REPORTS, run
from clientela.analytics.marketing import prorated, shared_days
from clientela.analytics.marketing_models import CampaignSpend, MarketingPlan
from clientela.conftest import login
from clientela.imports.models import ImportJob
from clientela.leads.models import Interest, Lead
from clientela.leads.services.lifecycle import lead_create

_seq = itertools.count(1)
UTC = dt.UTC
MARCH = {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}
D = Decimal


def _lead(owner, at, *, source="web_form", campaign="", status="new", job=None):
    n = next(_seq)
    lead = lead_create(
        by=None,
        fields={
            "first_name": "Ana",
            "last_name": f"Mkt{n}",
            "email": f"mkt{n}@example.com",
            "team": owner.team,
            "source": source,
            "campaign": campaign,
        },
        owner=owner,
    )
    Lead.objects.filter(pk=lead.pk).update(created_at=at, status=status, import_job=job)
    return lead


def _interest(team, at, source="web_form", campaign=""):
    interest = Interest.objects.create(name="Someone", source=source, campaign=campaign, team=team)
    Interest.objects.filter(pk=interest.pk).update(created_at=at)
    return interest


def _spend(team, channel, first, last, amount, campaign="", currency="EUR"):
    return CampaignSpend.objects.create(
        team=team,
        channel=channel,
        campaign=campaign,
        first_day=first,
        last_day=last,
        amount=D(amount),
        currency=currency,
    )


@pytest.fixture
def march(world, settings):
    """March 2026, by hand (UTC readers):

    North (Mara), web form: 1 Mar 00:30 "Spring", 10 Mar "Spring", 20 Mar "spring" (converted),
    31 Mar 23:30 UTC (no campaign; already 1 April in Bucharest); 28 Feb 12:00 outside.
    South (Sándor), cold call: 5 and 6 March, the second converted.
    Interests: North web form 2 in March (+1 in April), South cold call 1.

    Spend (EUR): North "Spring" web form 15 Feb–16 Mar 300 → March shares 16 of its 30 days
    = 160.00; North web form without campaign 1–31 Mar 100 → 100; South cold call 1 Mar–30 Apr
    610 → 31 of 61 days = 310.00; the whole company, social, March 50; North web form in USD
    (no rate) 999 → left out.
    """
    settings.BASE_CURRENCY = "EUR"
    mara, sandor = world.manager_north, world.manager_south
    _lead(mara, dt.datetime(2026, 3, 1, 0, 30, tzinfo=UTC), campaign="Spring")
    _lead(mara, dt.datetime(2026, 3, 10, 9, tzinfo=UTC), campaign="Spring")
    _lead(mara, dt.datetime(2026, 3, 20, 9, tzinfo=UTC), campaign="spring", status="converted")
    _lead(mara, dt.datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    _lead(mara, dt.datetime(2026, 2, 28, 12, tzinfo=UTC), campaign="Spring")
    _lead(sandor, dt.datetime(2026, 3, 5, 9, tzinfo=UTC), source="cold_call")
    _lead(sandor, dt.datetime(2026, 3, 6, 9, tzinfo=UTC), source="cold_call", status="converted")
    _interest(world.north, dt.datetime(2026, 3, 2, 9, tzinfo=UTC), campaign="SPRING")
    _interest(world.north, dt.datetime(2026, 3, 3, 9, tzinfo=UTC))
    _interest(world.north, dt.datetime(2026, 4, 3, 9, tzinfo=UTC))
    _interest(world.south, dt.datetime(2026, 3, 3, 9, tzinfo=UTC), source="cold_call")
    _spend(world.north, "web_form", dt.date(2026, 2, 15), dt.date(2026, 3, 16), "300", campaign="Spring")
    _spend(world.north, "web_form", dt.date(2026, 3, 1), dt.date(2026, 3, 31), "100")
    _spend(world.south, "cold_call", dt.date(2026, 3, 1), dt.date(2026, 4, 30), "610")
    _spend(None, "social", dt.date(2026, 3, 1), dt.date(2026, 3, 31), "50")
    _spend(world.north, "web_form", dt.date(2026, 3, 1), dt.date(2026, 3, 31), "999", currency="USD")
    return world


def _figure(user, key, data=MARCH):
    figures = {f.key: f for f in run(REPORTS["marketing"], user, data).figures}
    return figures[key]


def _rows(figure, by):
    return {str(row[by]): row for row in figure.rows}


def test_pro_rating_by_shared_days():
    # 15 Feb–16 Mar is 30 days; March shares 16 of them.
    assert (
        shared_days(dt.date(2026, 2, 15), dt.date(2026, 3, 16), dt.date(2026, 3, 1), dt.date(2026, 3, 31))
        == 16
    )
    assert (
        prorated(
            D("300"), dt.date(2026, 2, 15), dt.date(2026, 3, 16), dt.date(2026, 3, 1), dt.date(2026, 3, 31)
        )
        == 160
    )
    # no overlap: nothing
    assert (
        prorated(
            D("300"), dt.date(2026, 1, 1), dt.date(2026, 1, 31), dt.date(2026, 3, 1), dt.date(2026, 3, 31)
        )
        == 0
    )


def test_admin_sees_every_channel_with_its_cost(march):
    rows = _rows(_figure(march.admin, "marketing-channels"), "channel")
    web, cold, social = rows["Web form"], rows["Cold call"], rows["Social media"]
    assert (web["leads"], web["interests"], web["clients"]) == (4, 2, 1)
    assert web["spend"] == D("260.00")  # 160 + 100; the USD spend has no rate
    assert web["cpl"] == D("65.00") and web["cpc"] == D("260.00")
    assert str(web["conversion"]) == "25.0"
    assert (cold["leads"], cold["interests"], cold["clients"]) == (2, 1, 1)
    assert cold["spend"] == D("310.00") and cold["cpl"] == D("155.00") and cold["cpc"] == D("310.00")
    # the company-wide spend counts in the admin's company-wide view; no leads: no cost per lead
    assert social["spend"] == D("50.00") and social["leads"] == 0 and social["cpl"] is None
    figure = _figure(march.admin, "marketing-channels")
    assert figure.footer["spend"] == D("620.00") and figure.footer["leads"] == 6
    assert figure.footer["cpl"] == D("103.33")  # 620 / 6
    assert "USD" in str(figure.note)


def test_per_campaign_ignores_capitals(march):
    rows = _rows(_figure(march.admin, "marketing-campaigns"), "campaign")
    assert set(rows) == {"Spring"}
    spring = rows["Spring"]
    assert (spring["leads"], spring["interests"], spring["clients"]) == (3, 1, 1)
    assert spring["spend"] == D("160.00")
    assert spring["cpl"] == D("53.33") and spring["cpc"] == D("160.00")


def test_head_and_marketer_see_their_teams_only(march):
    for user in (march.head_north, march.marketer_north):
        rows = _rows(_figure(user, "marketing-channels"), "channel")
        # South's cold calls and the company-wide social spend are not theirs
        assert set(rows) == {"Web form"}
        assert rows["Web form"]["spend"] == D("260.00") and rows["Web form"]["cpl"] == D("65.00")


def test_marketer_sees_spend_and_cost_per_lead_but_no_deal_amounts(march):
    figures = run(REPORTS["marketing"], march.marketer_north, MARCH).figures
    kinds = {column.kind for figure in figures for column in figure.columns}
    assert "money" not in kinds
    keys = {column.key for column in figures[0].columns}
    assert {"spend", "cpl", "cpc"} <= keys
    assert "EUR" in str(figures[0].column("cpl").label)


def test_the_period_is_the_readers_days(march):
    # In Bucharest 31 March 23:30 UTC is 1 April: North's March has three web form leads.
    march.head_north.time_zone = "Europe/Bucharest"
    march.head_north.save(update_fields=["time_zone"])
    web = _rows(_figure(march.head_north, "marketing-channels"), "channel")["Web form"]
    assert web["leads"] == 3
    assert web["cpl"] == D("86.67")  # 260 / 3


def test_team_filter_and_source_filter(march):
    rows = _rows(_figure(march.admin, "marketing-channels", {**MARCH, "team": march.south.pk}), "channel")
    assert set(rows) == {"Cold call"}
    rows = _rows(_figure(march.admin, "marketing-channels", {**MARCH, "source": "web_form"}), "channel")
    assert set(rows) == {"Web form"}


def test_plan_against_actual_highlights_what_is_worse(march):
    MarketingPlan.objects.create(
        month=dt.date(2026, 3, 1),
        channel="web_form",
        team=march.north,
        target_leads=5,
        acceptable_cpl=D("60"),
        currency="EUR",
    )
    MarketingPlan.objects.create(
        month=dt.date(2026, 3, 1),
        channel="cold_call",
        team=march.south,
        target_leads=2,
        acceptable_cpl=D("200"),
        currency="EUR",
    )
    rows = _rows(_figure(march.admin, "marketing-plan"), "channel")
    web, cold = rows["Web form"], rows["Cold call"]
    assert (web["target"], web["leads"], str(web["done"])) == (5, 4, "80.0")
    assert web["acceptable"] == D("60.00") and web["cpl"] == D("65.00")
    assert web["_mark"] is True and "Below target" in web["status"] and "more than planned" in web["status"]
    assert (cold["target"], cold["leads"], cold["cpl"], cold["_mark"]) == (2, 2, D("155.00"), False)
    # the head of North sees North's plan only
    assert set(_rows(_figure(march.head_north, "marketing-plan"), "channel")) == {"Web form"}


def test_plan_across_a_month_boundary_is_prorated(world, settings):
    settings.BASE_CURRENCY = "EUR"
    MarketingPlan.objects.create(
        month=dt.date(2026, 3, 1),
        channel="web_form",
        team=world.north,
        target_leads=31,
        acceptable_cpl=D("60"),
        currency="EUR",
    )
    MarketingPlan.objects.create(
        month=dt.date(2026, 4, 1),
        channel="web_form",
        team=world.north,
        target_leads=30,
        acceptable_cpl=D("30"),
        currency="EUR",
    )
    _lead(world.manager_north, dt.datetime(2026, 3, 20, 9, tzinfo=UTC))
    period = {"period": "custom", "from": "2026-03-16", "to": "2026-04-15"}
    web = _figure(world.admin, "marketing-plan", period).rows[0]
    # 16 March days of 31 (16 leads) + 15 April days of 30 (15 leads)
    assert web["target"] == 31 and web["leads"] == 1
    # (16 × 60 + 15 × 30) / 31 = 1410 / 31
    assert web["acceptable"] == D("45.48")
    assert web["cpl"] is None and web["_mark"] is True  # below target, no spend


def test_yield_of_imported_lists(march):
    north_job = ImportJob.objects.create(
        original_name="fair-2026.csv", total_rows=10, team=march.north, owner=march.marketer_north
    )
    south_job = ImportJob.objects.create(original_name="south.csv", total_rows=4, team=march.south)
    ImportJob.objects.filter(pk__in=[north_job.pk, south_job.pk]).update(
        created_at=dt.datetime(2026, 3, 12, 8, tzinfo=UTC)
    )
    at = dt.datetime(2026, 3, 12, 9, tzinfo=UTC)
    mara = march.manager_north
    _lead(mara, at, source="import", job=north_job)
    _lead(mara, at, source="import", job=north_job, status="qualified")
    _lead(mara, at, source="import", job=north_job, status="converted")
    _lead(march.manager_south, at, source="import", job=south_job, status="converted")
    rows = _rows(_figure(march.admin, "marketing-imports"), "file")
    fair = rows["fair-2026.csv"]
    assert (fair["rows"], fair["leads"], fair["qualified"], fair["clients"]) == (10, 3, 2, 1)
    assert str(fair["yield"]) == "10.0"
    assert rows["south.csv"]["clients"] == 1
    assert set(_rows(_figure(march.marketer_north, "marketing-imports"), "file")) == {"fair-2026.csv"}
    link = fair["_links"]["qualified"]
    assert f"import_job={north_job.pk}" in link and "status=qualified_up" in link


def test_links_lead_to_the_leads_counted(march, client: Client, api_token):
    figure = _figure(march.admin, "marketing-channels")
    web = _rows(figure, "channel")["Web form"]
    query = parse_qs(urlparse(web["_links"]["leads"]).query)
    assert query == {"source": ["web_form"], "created_from": ["2026-03-01"], "created_to": ["2026-03-31"]}
    headers = api_token(march.admin)
    params = {k: v[0] for k, v in query.items()}
    assert Client().get("/api/v1/leads", params, headers=headers).json()["count"] == 4
    clients = {k: v[0] for k, v in parse_qs(urlparse(web["_links"]["clients"]).query).items()}
    assert Client().get("/api/v1/leads", clients, headers=headers).json()["count"] == 1
    spring = _rows(_figure(march.admin, "marketing-campaigns"), "campaign")["Spring"]
    campaign = {k: v[0] for k, v in parse_qs(urlparse(spring["_links"]["leads"]).query).items()}
    assert Client().get("/api/v1/leads", campaign, headers=headers).json()["count"] == 3
    login(client, march.admin)
    page = client.get(spring["_links"]["leads"])
    assert page.status_code == 200


def test_page_api_and_export_for_a_marketer(march, client: Client, api_token):
    login(client, march.marketer_north)
    page = client.get("/reports/marketing/", MARCH)
    assert page.status_code == 200
    body = page.content.decode()
    assert "source=web_form" in body and "Sándor" not in body
    assert "/reports/marketing/spend/" in body
    export = client.get("/reports/marketing/", {**MARCH, "export": "csv", "figure": "marketing-channels"})
    assert export.status_code == 200
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "65.00" in text or "65.0" in text
    data = Client().get("/api/v1/reports/marketing", MARCH, headers=api_token(march.marketer_north)).json()
    channels = data["figures"][0]
    assert channels["key"] == "marketing-channels"
    assert channels["rows"][0]["cpl"] == "65.00"


def test_highlighted_rows_on_the_page(march, client: Client):
    MarketingPlan.objects.create(
        month=dt.date(2026, 3, 1),
        channel="web_form",
        team=march.north,
        target_leads=5,
        acceptable_cpl=D("60"),
        currency="EUR",
    )
    login(client, march.head_north)
    body = client.get("/reports/marketing/", MARCH).content.decode()
    assert 'class="table-warning" data-mark="warning"' in body


def test_manager_is_refused(march, client: Client, api_token):
    login(client, march.manager_north)
    assert client.get("/reports/marketing/").status_code == 403
    headers = api_token(march.manager_north)
    assert Client().get("/api/v1/reports/marketing", headers=headers).status_code == 403
    listed = Client().get("/api/v1/reports", headers=headers).json()
    assert "marketing" not in {r["key"] for r in listed}


def test_bad_filters_are_field_errors(march, client: Client, api_token):
    headers = api_token(march.marketer_north)
    bad = Client().get(
        "/api/v1/reports/marketing",
        {"period": "custom", "from": "2026-03-31", "to": "2026-03-01", "source": "pigeon"},
        headers=headers,
    )
    assert bad.status_code == 422
    assert {"to", "source"} <= set(str(bad.json()).replace("'", " ").split())
    other_team = Client().get("/api/v1/reports/marketing", {"team": march.south.pk}, headers=headers)
    assert other_team.status_code == 422 and "team" in str(other_team.json())
    login(client, march.marketer_north)
    page = client.get("/reports/marketing/", {"team": march.south.pk})
    assert page.status_code == 422 and "source=cold_call" not in page.content.decode()


def test_interest_links_open_the_interests_counted(march, api_token):
    headers = api_token(march.admin)
    web = _rows(_figure(march.admin, "marketing-channels"), "channel")["Web form"]
    params = {k: v[0] for k, v in parse_qs(urlparse(web["_links"]["interests"]).query).items()}
    assert params["created_from"] == "2026-03-01"
    assert Client().get("/api/v1/interests", params, headers=headers).json()["count"] == web["interests"] == 2
    spring = _rows(_figure(march.admin, "marketing-campaigns"), "campaign")["Spring"]
    params = {k: v[0] for k, v in parse_qs(urlparse(spring["_links"]["interests"]).query).items()}
    assert Client().get("/api/v1/interests", params, headers=headers).json()["count"] == 1


def test_spend_in_another_currency_is_converted_at_the_periods_last_day_rate(march):
    from clientela.deals.models import ExchangeRate

    ExchangeRate.objects.create(base="EUR", currency="USD", rate=D("0.5"), valid_from=dt.date(2026, 3, 31))
    ExchangeRate.objects.create(base="EUR", currency="USD", rate=D("0.9"), valid_from=dt.date(2026, 4, 1))
    figure = _figure(march.admin, "marketing-channels")
    web = _rows(figure, "channel")["Web form"]
    # 999 USD over March at 0.5 (the rate of 31 March, not the later one) = 499.50, plus 260
    assert web["spend"] == D("759.50")
    assert web["cpl"] == D("189.88")  # 759.50 / 4 = 189.875
    assert "USD" not in str(figure.note)


def test_comparison_with_the_previous_month(march):
    figure = _figure(march.admin, "marketing-channels", {**MARCH, "compare": "previous"})
    web = _rows(figure, "channel")["Web form"]
    assert web["previous"] == 1  # the lead of 28 February
    assert str(web["change"]) == "300.0"
