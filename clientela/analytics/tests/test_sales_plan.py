"""The sales-plan report against hand computations: top-down, bottom-up, won and received per
team and manager, per month and quarter, the reader's days, each role's scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client as WebClient

from clientela.analytics.engine import REPORTS, run
from clientela.analytics.plans import client_forecast_set, sales_plan_set
from clientela.analytics.tests.test_plans import make_client, make_deal, make_pipeline, pay, ron_rate
from clientela.conftest import login

UTC = dt.UTC
MARCH = {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def q1(world):
    """By hand (EUR; 1 RON = 0.2 EUR):

    March 2025 won — Mara 1 000 + 500 RON (100) = 1 100; Nelu 400 → North 1 500.
    Plans for March 2026 — North: 1 500 × 1.10 × 1.20 = 1 980.00; Mara: 1 100 × 1.10 × 1.05 =
    1 270.50; Nelu: 400 × 0.90 = 360.00.
    Won in 2026 — Mara: 600 on 31 March 23:30 UTC, 100 RON (20) on 5 March, 50 on 28 February;
    Nelu 300 on 10 March; Sándor (South) 5 000 on 10 March → March: Mara 620, Nelu 300,
    North 920; Q1: Mara 670, North 970.
    Received in March 2026 — 250 on Mara's deal (15 March); 80 on Nelu's (1 April: not March).
    Forecasts for March 2026 — Mara's clients 700 + 300, Nelu's 200 → North 1 200."""
    ron_rate()
    stages = make_pipeline()
    mara, mara2 = make_client(world.manager_north), make_client(world.manager_north)
    nelu, sandor = make_client(world.manager_north2), make_client(world.manager_south)
    make_deal(mara, stages, amount="1000", status="won", closed_at=dt.datetime(2025, 3, 3, tzinfo=UTC))
    make_deal(
        mara,
        stages,
        amount="500",
        currency="RON",
        status="won",
        closed_at=dt.datetime(2025, 3, 20, tzinfo=UTC),
    )
    make_deal(nelu, stages, amount="400", status="won", closed_at=dt.datetime(2025, 3, 9, tzinfo=UTC))
    for person, growth, ambition in (
        (None, "10", "20"),
        (world.manager_north, "10", "5"),
        (world.manager_north2, "-10", "0"),
    ):
        sales_plan_set(
            by=world.head_north,
            team=world.north,
            manager=person,
            month="2026-03",
            market_growth_percent=growth,
            ambition_percent=ambition,
        )
    big = make_deal(
        mara, stages, amount="600", status="won", closed_at=dt.datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    )
    make_deal(
        mara2,
        stages,
        amount="100",
        currency="RON",
        status="won",
        closed_at=dt.datetime(2026, 3, 5, tzinfo=UTC),
    )
    make_deal(mara, stages, amount="50", status="won", closed_at=dt.datetime(2026, 2, 28, 12, tzinfo=UTC))
    nelus = make_deal(
        nelu, stages, amount="300", status="won", closed_at=dt.datetime(2026, 3, 10, tzinfo=UTC)
    )
    make_deal(sandor, stages, amount="5000", status="won", closed_at=dt.datetime(2026, 3, 10, tzinfo=UTC))
    make_deal(mara, stages, amount="999", status="open")
    pay(big, "250", dt.date(2026, 3, 15))
    pay(nelus, "80", dt.date(2026, 4, 1))
    client_forecast_set(by=world.manager_north, client=mara, month="2026-03", amount="700")
    client_forecast_set(by=world.manager_north, client=mara2, month="2026-03", amount="300")
    client_forecast_set(by=world.manager_north2, client=nelu, month="2026-03", amount="200")
    return world


def _detail(user, data=MARCH):
    figure = run(REPORTS["sales-plan"], user, data).figures[1]
    return {(row["team"], str(row["person"]), row["period"]): row for row in figure.rows}


def _money(row):
    return tuple(row[k] for k in ("top_down", "bottom_up", "won", "received", "progress"))


def test_head_sees_the_team_and_each_person_by_month_and_quarter(q1):
    rows = _detail(q1.head_north)
    assert _money(rows[("North", "Whole team", "March 2026")]) == (
        Decimal("1980.00"),
        Decimal("1200.00"),
        Decimal("920.00"),
        Decimal("250.00"),
        Decimal("46.5"),
    )
    assert _money(rows[("North", "Mara", "March 2026")]) == (
        Decimal("1270.50"),
        Decimal("1000.00"),
        Decimal("620.00"),
        Decimal("250.00"),
        Decimal("48.8"),
    )
    assert _money(rows[("North", "Nelu", "March 2026")]) == (
        Decimal("360.00"),
        Decimal("200.00"),
        Decimal("300.00"),
        None,
        Decimal("83.3"),
    )
    # the quarter is the sum of its months (February's 50 is in it)
    assert _money(rows[("North", "Mara", "Q1 2026")]) == (
        Decimal("1270.50"),
        Decimal("1000.00"),
        Decimal("670.00"),
        Decimal("250.00"),
        Decimal("52.7"),
    )
    assert rows[("North", "Mara", "February 2026")]["won"] == Decimal("50.00")
    assert rows[("North", "Mara", "January 2026")]["top_down"] is None
    assert not any(team == "South" or person == "Sándor" for team, person, _p in rows)


def test_the_overview_is_the_viewers_scope(q1):
    overview = run(REPORTS["sales-plan"], q1.head_north, MARCH).figures[0]
    march = next(row for row in overview.rows if row["period"] == "March 2026")
    assert (march["top_down"], march["won"]) == (Decimal("1980.00"), Decimal("920.00"))
    assert [row["period"] for row in overview.rows] == [
        "January 2026",
        "February 2026",
        "March 2026",
        "Q1 2026",
    ]
    everyone = run(REPORTS["sales-plan"], q1.admin, MARCH).figures[0]
    march = next(row for row in everyone.rows if row["period"] == "March 2026")
    assert march["won"] == Decimal("5920.00")  # North 920 + South 5 000


def test_a_manager_sees_only_their_own_rows(q1):
    rows = _detail(q1.manager_north)
    assert {person for _t, person, _p in rows} == {"Mara"}
    assert rows[("North", "Mara", "March 2026")]["won"] == Decimal("620.00")
    overview = run(REPORTS["sales-plan"], q1.manager_north, MARCH).figures[0]
    assert next(r for r in overview.rows if r["period"] == "March 2026")["top_down"] == Decimal("1270.50")


def test_months_are_the_readers_days(q1):
    # In Bucharest the 600 won on 31 March 23:30 UTC falls on 1 April.
    q1.manager_north.time_zone = "Europe/Bucharest"
    q1.manager_north.save(update_fields=["time_zone"])
    rows = _detail(q1.manager_north, {"period": "custom", "from": "2026-03-01", "to": "2026-04-30"})
    assert rows[("North", "Mara", "March 2026")]["won"] == Decimal("20.00")
    assert rows[("North", "Mara", "April 2026")]["won"] == Decimal("600.00")
    assert rows[("North", "Mara", "Q2 2026")]["won"] == Decimal("600.00")


def test_marketers_are_refused_and_managers_cannot_ask_for_a_colleague(q1, client: WebClient, api_token):
    login(client, q1.marketer_north)
    assert client.get("/reports/sales-plan/").status_code == 403
    assert (
        WebClient().get("/api/v1/reports/sales-plan", headers=api_token(q1.marketer_north)).status_code == 403
    )
    response = WebClient().get(
        "/api/v1/reports/sales-plan",
        {**MARCH, "manager": q1.manager_north2.pk},
        headers=api_token(q1.manager_north),
    )
    assert response.status_code == 422 and "manager" in response.json()["errors"]


def test_the_page_links_won_to_the_deals_closed_in_the_month(q1, client: WebClient):
    login(client, q1.head_north)
    response = client.get("/reports/sales-plan/", MARCH)
    assert response.status_code == 200
    body = response.content.decode()
    link = f"status=won&amp;closed_from=2026-03-01&amp;closed_to=2026-03-31&amp;owner={q1.manager_north.pk}"
    assert link in body
    deals = client.get(
        f"/deals/?status=won&closed_from=2026-03-01&closed_to=2026-03-31&owner={q1.manager_north.pk}"
    )
    assert deals.status_code == 200
    titles = {deal.amount for deal in deals.context["deals"]}
    assert titles == {Decimal("600.00"), Decimal("100.00")}
    assert (
        'name="closed_from" id="id_closed_from" value="2026-03-01"' in deals.content.decode()
    )  # kept in the form


def test_api_and_export_give_the_same_numbers(q1, client: WebClient, api_token):
    data = WebClient().get("/api/v1/reports/sales-plan", MARCH, headers=api_token(q1.head_north)).json()
    rows = {(r["person"], r["period"]): r for r in data["figures"][1]["rows"]}
    assert rows[("Mara", "March 2026")]["top_down"] == "1270.50"
    login(client, q1.head_north)
    export = client.get("/reports/sales-plan/", {**MARCH, "export": "csv", "figure": "sales-plan-detail"})
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "1270.50" in text and "Plan (top-down) (EUR)" in text
