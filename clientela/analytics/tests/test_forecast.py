"""The forecast report against hand computations: the open pipeline weighted by stage
probability per expected close month, won and lost in the period with the reasons, scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client as WebClient
from django.utils import formats

from clientela.analytics.engine import REPORTS, run
from clientela.analytics.plans import add_months
from clientela.analytics.tests.test_plans import lost_reason, make_client, make_deal, make_pipeline, ron_rate
from clientela.conftest import login
from clientela.core.zones import local_date

UTC = dt.UTC
MARCH = {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}


def _month(day: dt.date) -> str:
    return formats.date_format(day, "YEAR_MONTH_FORMAT")


@pytest.fixture
def pipeline(world):
    """Open deals of the North (offer stage 50 %, contact stage 10 %; 1 RON = 0.2 EUR):
    this month 1 000 EUR at 50 % → 500 (Mara) and 200 RON = 40 EUR at 10 % → 4 (Nelu);
    next month 300 EUR at 10 % → 30; no date 400 EUR at 50 % → 200; date two months ago
    100 EUR at 50 % → 50 (overdue); 14 months ahead 80 EUR at 50 % → 40 (later).
    South: 5 000 EUR at 50 % this month.
    Closed in March 2026: won 1 000 + 500 (Mara); lost 100 + 200 for price, 300 for a
    competitor (Nelu), one on 31 March 23:30 UTC for price (50, Mara); lost 1 April: outside."""
    ron_rate()
    stages = make_pipeline("Corporate")
    today = local_date(world.head_north)
    this, later = today.replace(day=1), add_months(today.replace(day=1), 14)
    mara, nelu, sandor = (
        make_client(world.manager_north),
        make_client(world.manager_north2),
        make_client(world.manager_south),
    )
    make_deal(mara, stages, amount="1000", close=this)
    make_deal(nelu, stages, amount="200", currency="RON", close=this + dt.timedelta(days=3), stage="contact")
    make_deal(mara, stages, amount="300", close=add_months(this, 1), stage="contact")
    make_deal(mara, stages, amount="400")
    make_deal(nelu, stages, amount="100", close=add_months(this, -2))
    make_deal(mara, stages, amount="80", close=later)
    make_deal(sandor, stages, amount="5000", close=this)
    price, competitor = lost_reason("too-dear", "Too dear"), lost_reason("rival", "Rival")
    make_deal(mara, stages, amount="1000", status="won", closed_at=dt.datetime(2026, 3, 2, tzinfo=UTC))
    make_deal(mara, stages, amount="500", status="won", closed_at=dt.datetime(2026, 3, 20, tzinfo=UTC))
    make_deal(
        nelu, stages, amount="100", status="lost", reason=price, closed_at=dt.datetime(2026, 3, 3, tzinfo=UTC)
    )
    make_deal(
        nelu, stages, amount="200", status="lost", reason=price, closed_at=dt.datetime(2026, 3, 4, tzinfo=UTC)
    )
    make_deal(
        nelu,
        stages,
        amount="300",
        status="lost",
        reason=competitor,
        closed_at=dt.datetime(2026, 3, 5, tzinfo=UTC),
    )
    make_deal(
        mara,
        stages,
        amount="50",
        status="lost",
        reason=price,
        closed_at=dt.datetime(2026, 3, 31, 23, 30, tzinfo=UTC),
    )
    make_deal(
        mara,
        stages,
        amount="70",
        status="lost",
        reason=price,
        closed_at=dt.datetime(2026, 4, 1, 1, tzinfo=UTC),
    )
    make_deal(sandor, stages, amount="900", status="won", closed_at=dt.datetime(2026, 3, 2, tzinfo=UTC))
    world.this_month = this
    return world


def _figures(user, data=MARCH):
    return run(REPORTS["forecast"], user, data).figures


def test_weighted_pipeline_by_hand(pipeline):
    world = pipeline
    figure = _figures(world.head_north)[0]
    rows = {row["month"]: row for row in figure.rows}
    this = _month(world.this_month)
    assert (rows[this]["deals"], rows[this]["amount"], rows[this]["weighted"]) == (
        2,
        Decimal("1040.00"),
        Decimal("504.00"),
    )
    nxt = _month(add_months(world.this_month, 1))
    assert (rows[nxt]["amount"], rows[nxt]["weighted"]) == (Decimal("300.00"), Decimal("30.00"))
    assert rows["No expected date"]["weighted"] == Decimal("200.00")
    assert rows["Overdue (date passed)"]["weighted"] == Decimal("50.00")
    assert rows["Later"]["weighted"] == Decimal("40.00")
    assert figure.footer["deals"] == 6 and figure.footer["weighted"] == Decimal("824.00")
    assert figure.footer["amount"] == Decimal("1920.00")
    months = [row["month"] for row in figure.rows]
    assert months[0] == "Overdue (date passed)" and months[-1] == "No expected date"


def test_won_lost_and_reasons_by_hand(pipeline):
    _pipeline, won_lost, reasons = _figures(pipeline.head_north)
    (row,) = won_lost.rows
    assert (row["won"], row["won_amount"], row["lost"], row["lost_amount"]) == (
        2,
        Decimal("1500.00"),
        4,
        Decimal("650.00"),
    )
    assert row["win_rate"] == Decimal("33.3")  # 2 of 6
    by_reason = {r["reason"]: (r["deals"], r["share"], r["amount"]) for r in reasons.rows}
    assert by_reason == {
        "Too dear": (3, Decimal("75.0"), Decimal("350.00")),
        "Rival": (1, Decimal("25.0"), Decimal("300.00")),
    }


def test_the_period_is_the_readers_days(pipeline):
    pipeline.head_north.time_zone = "Europe/Bucharest"
    pipeline.head_north.save(update_fields=["time_zone"])
    (row,) = _figures(pipeline.head_north)[1].rows
    # 31 March 23:30 UTC is April in Bucharest; 1 April 01:00 UTC too
    assert (row["lost"], row["lost_amount"]) == (3, Decimal("600.00"))


def test_scope_per_role(pipeline):
    world = pipeline
    mara = _figures(world.manager_north)
    assert mara[0].footer["amount"] == Decimal("1780.00")  # 1 000 + 300 + 400 + 80
    assert mara[1].rows[0]["lost"] == 1 and mara[1].rows[0]["won"] == 2
    admin = _figures(world.admin)
    assert admin[0].footer["weighted"] == Decimal("3324.00")  # + the South's 2 500
    assert admin[1].rows[0]["won"] == 3


def test_marketer_refused_and_links_to_the_deals(pipeline, client: WebClient, api_token):
    login(client, pipeline.marketer_north)
    assert client.get("/reports/forecast/").status_code == 403
    assert (
        WebClient().get("/api/v1/reports/forecast", headers=api_token(pipeline.marketer_north)).status_code
        == 403
    )
    login(client, pipeline.head_north)
    body = client.get("/reports/forecast/", MARCH).content.decode()
    assert "status=lost&amp;closed_from=2026-03-01&amp;closed_to=2026-03-31" in body
    assert "status=open" in body


def test_bad_filters_are_field_errors(pipeline, api_token):
    headers = api_token(pipeline.head_north)
    response = WebClient().get(
        "/api/v1/reports/forecast",
        {"pipeline": "abc", "period": "custom", "from": "2026-04-01", "to": "2026-03-01"},
        headers=headers,
    )
    assert response.status_code == 422
    assert {"pipeline", "to"} <= set(response.json()["errors"])


def test_the_deal_list_filters_deals_closed_between_two_days(pipeline, api_token):
    """The drill-down filter added to the deal list (page and API): closed in the reader's days."""
    response = WebClient().get(
        "/api/v1/deals",
        {"status": "lost", "closed_from": "2026-03-01", "closed_to": "2026-03-31"},
        headers=api_token(pipeline.head_north),
    )
    assert response.status_code == 200
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    assert sorted(Decimal(item["amount"]) for item in items) == [
        Decimal("50.00"),
        Decimal("100.00"),
        Decimal("200.00"),
        Decimal("300.00"),
    ]
