"""The deal funnel: stage entries, conversion to a later stage, losses and their reasons, median
time in stage, the bottleneck rule and the practice benchmark — against counts made by hand on
known stage histories; each role's scope, the reader's days, the comparison, the links to the
deal list, the API and bad filters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client as HttpClient

from clientela.analytics.engine import REPORTS, run
from clientela.analytics.reports.deal_funnel import bottlenecks
from clientela.clients.models import Client
from clientela.conftest import login
from clientela.deals import services
from clientela.deals.board import services as board_services
from clientela.deals.models import LostReason, Pipeline, Stage

UTC = dt.UTC
MARCH = {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}


def at(day: int, hour: int = 9, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


def stage(code: str) -> Stage:
    return Stage.objects.get(pipeline__code="corporate", code=code)


@pytest.fixture
def march(world):
    """The corporate pipeline, March 2026 (UTC), by hand. Mara: D1 first contact 2 → needs 5 →
    proposal 10 → won 20; D2 3 → needs 6 → lost 12 (price); D3 4 → lost 8 (competitor); D4 5,
    stays; D7 27 February 00:30 → needs 1 March 00:30 → proposal 31 March 23:30. Nelu: D5 6 →
    proposal 9 (skipping needs). Sándor (South): D6 7 → needs 8."""
    mara, nelu, sandor = world.manager_north, world.manager_north2, world.manager_south
    corporate = Pipeline.objects.get(code="corporate")
    north = Client.objects.create(name="Nord SRL", country="RO", owner=mara, team=world.north)
    north2 = Client.objects.create(name="Nelu SRL", country="RO", owner=nelu, team=world.north)
    south = Client.objects.create(name="Dél Kft", country="HU", owner=sandor, team=world.south)
    price = LostReason.objects.get(code="price")
    competitor = LostReason.objects.get(code="competitor")

    def deal(owner, client, created):
        return services.deal_create(
            by=owner, client=client, pipeline=corporate, amount="1000", currency="RON", at=created
        )

    def move(owner, d, code, when, **extra):
        d.refresh_from_db()
        return board_services.deal_move(by=owner, deal=d, stage=stage(code), at=when, **extra)

    d1 = deal(mara, north, at(2))
    move(mara, d1, "needs_identified", at(5))
    move(mara, d1, "proposal_sent", at(10))
    move(mara, d1, "won", at(20))
    d2 = deal(mara, north, at(3))
    move(mara, d2, "needs_identified", at(6))
    move(mara, d2, "lost", at(12), lost_reason=price)
    d3 = deal(mara, north, at(4))
    move(mara, d3, "lost", at(8), lost_reason=competitor)
    deal(mara, north, at(5))
    d7 = deal(mara, north, at(27, 0, 30, month=2))
    move(mara, d7, "needs_identified", at(1, 0, 30))
    move(mara, d7, "proposal_sent", at(31, 23, 30))
    d5 = deal(nelu, north2, at(6))
    move(nelu, d5, "proposal_sent", at(9))
    d6 = deal(sandor, south, at(7))
    move(sandor, d6, "needs_identified", at(8))
    return world


def _stages(user, data=MARCH) -> dict[str, dict]:
    figure = run(REPORTS["deal-funnel"], user, data).figures[0]
    return {str(row["stage"]): row for row in figure.rows}


def test_stage_counts_by_hand(march):
    rows = _stages(march.head_north)
    first, needs, proposal = rows["First contact"], rows["Needs identified"], rows["Proposal sent"]
    assert (first["entered"], first["advanced"], first["lost"]) == (5, 3, 1)  # D1 D2 D5 on, D3 lost
    assert first["conversion"] == Decimal("60.0") and first["lost_share"] == Decimal("20.0")
    assert (needs["entered"], needs["advanced"], needs["lost"]) == (3, 2, 1)  # D1 D2 D7
    assert needs["conversion"] == Decimal("66.7")
    assert (proposal["entered"], proposal["advanced"], proposal["conversion"]) == (3, 1, Decimal("33.3"))
    assert rows["Negotiation"]["entered"] == 0 and rows["Negotiation"]["conversion"] is None
    assert (rows["Won"]["entered"], rows["Lost"]["entered"]) == (1, 2)
    assert rows["Won"]["advanced"] is None  # closed stages have no "next"


def test_median_days_in_stage(march):
    rows = _stages(march.head_north)
    # first contact: D1 3, D2 3, D3 4, D5 3 days, D7 2 days → 3; needs: 5, 6 and 30 d 14 h → 6
    assert rows["First contact"]["median_days"] == Decimal("3.00")
    assert rows["Needs identified"]["median_days"] == Decimal("6.00")
    assert rows["Proposal sent"]["median_days"] == Decimal("10.00")


def test_the_bottleneck_is_highlighted_and_explained(march, client):
    rows = _stages(march.head_north)
    # 60.0, 66.7, 33.3 → the lowest is "Proposal sent"; half the average (26.7) catches no other
    assert [name for name, row in rows.items() if row.get("_mark")] == ["Proposal sent"]
    assert rows["Proposal sent"]["bottleneck"] == "Bottleneck"
    login(client, march.head_north)
    body = client.get("/reports/deal-funnel/", MARCH).content.decode()
    assert body.count('data-mark="danger"') == 1
    assert "half the pipeline&#x27;s average (53.3 %)" in body


def test_the_bottleneck_rule():
    assert bottlenecks({1: Decimal(80), 2: Decimal(70), 3: Decimal(20), 4: Decimal(75)}) == {3}
    # below half of the average (50): 10 and 20, the lowest among them
    assert bottlenecks({1: Decimal(90), 2: Decimal(20), 3: Decimal(10), 4: Decimal(80)}) == {2, 3}
    assert bottlenecks({1: Decimal(50), 2: Decimal(50)}) == {1, 2}
    assert bottlenecks({1: Decimal(10)}) == set()  # nothing to compare with


def test_benchmark_beside_the_companys_funnel(march):
    figure = run(REPORTS["deal-funnel"], march.head_north, MARCH).figures[1]
    rows = {str(row["step"]): row for row in figure.rows}
    assert (rows["First calls"]["deals"], rows["First calls"]["own"], rows["First calls"]["benchmark"]) == (
        5,
        Decimal("100.0"),
        Decimal(100),
    )
    assert (rows["Meetings"]["stage"], rows["Meetings"]["own"], rows["Meetings"]["benchmark"]) == (
        "Needs identified",
        Decimal("60.0"),
        Decimal(40),
    )
    assert (rows["Decisions"]["own"], rows["Decisions"]["benchmark"]) == (Decimal("20.0"), Decimal(20))
    assert figure.chart.series == ["own", "benchmark"]


def test_losses_per_stage_with_reasons(march):
    figure = run(REPORTS["deal-funnel"], march.admin, MARCH).figures[2]
    assert [(str(r["stage"]), str(r["reason"]), r["deals"]) for r in figure.rows] == [
        ("First contact", "Chose a competitor", 1),
        ("Needs identified", "Price", 1),
    ]
    assert figure.footer["deals"] == 2


def test_each_role_sees_its_own_scope(march, client, api_token):
    assert _stages(march.manager_north)["First contact"]["entered"] == 4  # D1–D4, not Nelu's D5
    assert _stages(march.manager_north)["First contact"]["conversion"] == Decimal("50.0")
    assert _stages(march.admin)["Needs identified"]["entered"] == 4  # with Sándor's D6
    assert _stages(march.manager_south)["First contact"]["entered"] == 1
    # marketers follow their team's deals (no amounts here): the report is open to them
    assert _stages(march.marketer_north)["First contact"]["entered"] == 5
    response = HttpClient().get("/api/v1/reports/deal-funnel", MARCH, headers=api_token(march.marketer_north))
    assert response.status_code == 200
    assert all(column["kind"] != "money" for f in response.json()["figures"] for column in f["columns"])


def test_the_period_is_the_readers_days(march):
    # In Bucharest D7's move to "proposal sent" (31 March 23:30 UTC) is on 1 April.
    march.head_north.time_zone = "Europe/Bucharest"
    march.head_north.save(update_fields=["time_zone"])
    rows = _stages(march.head_north)
    assert (rows["Proposal sent"]["entered"], rows["Proposal sent"]["conversion"]) == (2, Decimal("50.0"))
    assert rows["Needs identified"]["median_days"] == Decimal("5.50")  # D7 left in April


def test_comparison_with_the_previous_month(march):
    rows = _stages(march.head_north, {**MARCH, "compare": "previous"})
    assert rows["First contact"]["previous"] == 1  # D7, 27 February
    assert rows["First contact"]["previous_conversion"] == Decimal("100.0")
    assert rows["Needs identified"]["previous"] == 0


def test_links_open_the_deals_behind_the_numbers(march, client):
    login(client, march.head_north)
    figures = client.get("/reports/deal-funnel/", MARCH).context["figures"]
    rows = {str(row["stage"]): row for row in figures[0].rows}
    expected = {
        ("First contact", "entered"): 5,
        ("Needs identified", "entered"): 3,
        ("First contact", "lost"): 1,
    }
    for (name, column), count in expected.items():
        page = client.get(rows[name]["_links"][column])
        assert page.status_code == 200 and page.context["pager"].count == count, (name, column)
    loss = figures[2].rows[0]["_links"]["deals"]
    assert "lost_reason=" in loss
    page = client.get(loss)
    assert [d.title for d in page.context["deals"]] == ["Nord SRL"] and page.context["pager"].count == 1


def test_the_deal_list_filters_behind_the_links(march, api_token):
    headers = api_token(march.admin)
    lost = LostReason.objects.get(code="price")
    listed = HttpClient().get(
        "/api/v1/deals",
        {"closed_from": "2026-03-12", "closed_to": "2026-03-12", "lost_reason": lost.pk},
        headers=headers,
    )
    assert listed.status_code == 200 and listed.json()["count"] == 1
    entered = HttpClient().get(
        "/api/v1/deals",
        {
            "entered_stage": stage("needs_identified").pk,
            "entered_from": "2026-03-01",
            "entered_to": "2026-03-31",
        },
        headers=headers,
    )
    assert entered.json()["count"] == 4
    bad = HttpClient().get("/api/v1/deals", {"entered_from": "tomorrow"}, headers=headers)
    assert bad.status_code == 422


def test_pipeline_filter_and_bad_filters(march, client, api_token):
    direct = Pipeline.objects.get(code="direct")
    figure = run(REPORTS["deal-funnel"], march.admin, {**MARCH, "pipeline": direct.pk}).figures[0]
    assert figure.rows == [] and "Direct" in str(figure.title)
    response = HttpClient().get(
        "/api/v1/reports/deal-funnel", {"pipeline": 999999}, headers=api_token(march.head_north)
    )
    assert response.status_code == 422 and "pipeline" in response.json()["errors"]
    login(client, march.head_north)
    assert client.get("/reports/deal-funnel/", {"pipeline": "nope"}).status_code == 422


def test_an_admin_narrowed_to_a_team_counts_that_team(march):
    rows = _stages(march.admin, {**MARCH, "team": march.north.pk})
    assert rows["First contact"]["entered"] == 5 and rows["Needs identified"]["entered"] == 3


def test_objections_raised_in_the_period(march):
    from clientela.deals.models import Deal, DealObjection, Objection

    objection = Objection.objects.create(text="It is too expensive.", answer="Offer a pilot.")
    north_deal = Deal.objects.get(title="Nord SRL", status="won")
    south_deal = Deal.objects.get(title="Dél Kft")
    for deal, day in ((north_deal, 5), (north_deal, 6), (south_deal, 8), (north_deal, 28)):
        DealObjection.objects.create(
            deal=deal,
            objection=objection,
            stage=stage("needs_identified"),
            at=at(day, month=3 if day < 28 else 2),
        )
    rows = run(REPORTS["deal-funnel"], march.head_north, MARCH).figures[3].rows
    assert [(r["stage"], r["times"]) for r in rows] == [("Needs identified", 2)]  # not the South's
