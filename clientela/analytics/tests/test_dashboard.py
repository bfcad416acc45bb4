"""The dashboard's tiles and the manager's strip against counts made by hand: this month so far
(1–10 March 2026) against the same days of February, the viewer's zone deciding the day of a
record (North reads Bucharest time, UTC+2; the admin reads UTC), each role's scope (a manager
their own figures only, a head their team, a marketer no money), the pages and the API."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.test import Client as WebClient
from django.urls import reverse

from clientela.analytics import dashboard as dash
from clientela.analytics.dashboard import dashboard_for, month_so_far, strip_for
from clientela.clients.models import Client
from clientela.comms.choices import ClockKind, StopReason
from clientela.comms.models import ResponseClock
from clientela.conftest import login
from clientela.deals import services as deal_services
from clientela.deals.choices import DealStatus
from clientela.deals.defaults import ensure_defaults
from clientela.deals.models import Deal
from clientela.leads.models import Lead
from clientela.leads.services.lifecycle import lead_create
from clientela.retention.choices import ChangeKind
from clientela.retention.models import ClientStatusChange
from clientela.retention.surveys_models import Survey
from clientela.users.models import User

UTC = dt.UTC
TODAY = dt.date(2026, 3, 10)
_seq = itertools.count(1)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def _lead(owner, created, *, converted=None, clock=None):
    """A lead of `owner` created at `created`; `clock` = (minutes taken or None, answered,
    breached) of its first-response clock."""
    n = next(_seq)
    lead = lead_create(
        by=None,
        fields={
            "first_name": "Ana",
            "last_name": f"Dash{n}",
            "email": f"dash{n}@example.com",
            "team": owner.team,
        },
        owner=owner,
    )
    Lead.objects.filter(pk=lead.pk).update(
        created_at=created, converted_at=converted, status="converted" if converted else "new"
    )
    clocks = ResponseClock.objects.filter(lead=lead, kind=ClockKind.FIRST_RESPONSE)
    if clock is not None:
        minutes, answered, breached = clock
        clocks.update(
            owner=owner,
            team=owner.team,
            started_at=created,
            due_at=created + dt.timedelta(hours=2),
            minutes_taken=minutes,
            stop_reason=StopReason.RESPONDED if answered else "",
            stopped_at=created + dt.timedelta(minutes=minutes or 0) if answered else None,
            breached_at=created + dt.timedelta(hours=2) if breached else None,
        )
    else:
        clocks.delete()
    return lead


def _deal(owner, client, amount, *, created, status=DealStatus.OPEN, closed=None, currency="EUR"):
    deal = deal_services.deal_create(by=owner, client=client, amount=amount, currency=currency)
    Deal.objects.filter(pk=deal.pk).update(created_at=created, status=status, closed_at=closed)
    return deal


def _survey(client, answered, score):
    return Survey.objects.create(
        kind="nps",
        client=client,
        occasion=f"dash-{next(_seq)}",
        language="en",
        answered_at=answered,
        score=score,
    )


def _history(client, owner, status, moment, kind=ChangeKind.BECAME_CLIENT):
    ClientStatusChange.objects.create(
        client=client, to_status=status, kind=kind, at=moment, owner=owner, team=owner.team
    )


@pytest.fixture
def march(world):
    """By hand, today 10 March 2026 (see the module's docstring for the zones)."""
    ensure_defaults()
    world.north.time_zone = "Europe/Bucharest"
    world.north.save(update_fields=["time_zone"])
    mara, nelu, sandor = world.manager_north, world.manager_north2, world.manager_south
    # Leads (clock: minutes, answered, breached).
    l1 = _lead(mara, at(2026, 3, 2, 10), converted=at(2026, 3, 5), clock=(30, True, False))
    _lead(mara, at(2026, 3, 5, 10), clock=(90, True, True))
    _lead(nelu, at(2026, 3, 9, 10), converted=at(2026, 3, 9, 12), clock=(50, True, False))
    _lead(mara, at(2026, 2, 28, 23), clock=(None, False, True))  # 1 March in Bucharest
    _lead(nelu, at(2026, 3, 10, 22, 30), clock=(10, True, False))  # 11 March in Bucharest
    _lead(sandor, at(2026, 3, 3, 10), converted=at(2026, 3, 4), clock=(200, True, True))
    _lead(mara, at(2026, 2, 3, 10), converted=at(2026, 2, 20), clock=(20, True, False))
    _lead(nelu, at(2026, 2, 9, 10), clock=(40, True, False))
    _lead(mara, at(2026, 2, 15, 10), clock=(5, True, False))  # after 10 February: not compared
    merged = _lead(mara, at(2026, 3, 4, 10))
    Lead.objects.filter(pk=merged.pk).update(merged_into=l1)
    # Clients: North's two and South's one, all created now (so "new" today); Nelu's lost on 3 March.
    north = Client.objects.create(name="Arbor SRL", country="RO", owner=mara, team=world.north)
    north2 = Client.objects.create(
        name="Kovács Kft", country="HU", owner=nelu, team=world.north, lost_at=at(2026, 3, 3, 12)
    )
    south = Client.objects.create(name="Délibáb Zrt", country="HU", owner=sandor, team=world.south)
    for client, owner in ((north, mara), (north2, nelu), (south, sandor)):
        _history(client, owner, "active", at(2026, 1, 1))
    _history(north2, nelu, "lost", at(2026, 3, 3, 12), kind=ChangeKind.DECISION)
    # Deals (EUR is the base currency; RON has no rate).
    _deal(mara, north, "1000", created=at(2026, 2, 1))
    _deal(mara, north, "500", created=at(2026, 3, 5))
    _deal(nelu, north2, "2000", created=at(2026, 1, 10), status=DealStatus.WON, closed=at(2026, 3, 4))
    _deal(nelu, north2, "300", created=at(2026, 1, 10), status=DealStatus.WON, closed=at(2026, 2, 5))
    _deal(sandor, south, "700", created=at(2026, 2, 20), status=DealStatus.WON, closed=at(2026, 3, 2))
    _deal(mara, north, "400", created=at(2026, 2, 10), status=DealStatus.LOST, closed=at(2026, 3, 6))
    _deal(
        mara,
        north,
        "999",
        created=at(2026, 2, 10),
        status=DealStatus.WON,
        closed=at(2026, 3, 3),
        currency="RON",
    )
    # NPS answers: North 10, 9, 3 in March and 10 in February; South 0 in March.
    for score in (10, 9, 3):
        _survey(north, at(2026, 3, 6), score)
    _survey(north2, at(2026, 2, 8), 10)
    _survey(south, at(2026, 3, 6), 0)
    return world


def _fresh(user) -> User:
    return User.objects.select_related("team").get(pk=user.pk)


def _values(user) -> dict[str, tuple]:
    board = dashboard_for(_fresh(user), today=TODAY)
    return {r.tile.key: (r.value.value, r.value.previous) for r in board.tiles}


def test_month_so_far_compares_the_same_days_of_the_month_before():
    zone = UTC
    current, previous = month_so_far(dt.date(2026, 3, 31), zone)
    assert (current.first, current.last) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert (previous.first, previous.last) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    current, previous = month_so_far(dt.date(2026, 1, 10), zone)
    assert (previous.first, previous.last) == (dt.date(2025, 12, 1), dt.date(2025, 12, 10))


def test_head_sees_their_team_in_their_zone(march):
    values = _values(march.head_north)
    assert values == {
        # L1, L2, L3 and the lead of 28 February 23:00 UTC (1 March in Bucharest); not the
        # merged one, nor the one of 10 March 22:30 UTC (11 March there), nor South's.
        "new_leads": (4, 2),
        "first_contact": (Decimal("50.0"), Decimal("30.0")),  # median of 30, 90, 50 | 20, 40
        "sla": (Decimal("50.0"), Decimal("100.0")),  # on time L1, L3; breached L2 and the open one
        "conversion": (Decimal("50.0"), Decimal("50.0")),  # 2 of 4 | 1 of 2
        "pipeline": (Decimal("1500.00"), Decimal("3400.00")),  # 1000 + 500 | 1000 + 2000 + 400
        "won": (Decimal("2000.00"), Decimal("300.00")),  # the RON deal has no rate
        "active_clients": (1, 2),  # Arbor now | Arbor and Kovács on 1 March
        "leak_rate": (Decimal("50.0"), Decimal("0.0")),  # Kovács lost of 2
        "nps": (Decimal("33.3"), Decimal("100.0")),  # (2 − 1) / 3 | 1 promoter of 1
    }


def test_admin_sees_everyone_in_utc(march):
    values = _values(march.admin)
    assert values["new_leads"] == (5, 2)  # L1, L2, L3, the 10 March 22:30 one, South's
    assert values["first_contact"] == (Decimal("50.0"), Decimal("30.0"))  # 30 90 50 10 200
    assert values["sla"] == (Decimal("60.0"), Decimal("100.0"))  # on time 3 of 5 decided
    assert values["conversion"] == (Decimal("60.0"), Decimal("50.0"))
    assert values["pipeline"] == (Decimal("1500.00"), Decimal("4100.00"))  # + South's 700
    assert values["won"] == (Decimal("2700.00"), Decimal("300.00"))
    assert values["active_clients"] == (2, 3)
    assert values["leak_rate"] == (Decimal("33.33"), Decimal("0.0"))  # retention gives two decimals
    assert values["nps"] == (Decimal("0.0"), Decimal("100.0"))  # 2 promoters, 2 detractors of 4


def test_marketer_gets_no_money_tiles(march):
    values = _values(march.marketer_north)
    assert set(values) == {"new_leads", "first_contact", "sla", "conversion"}
    assert values["new_leads"] == (4, 2)
    assert values["conversion"] == (Decimal("50.0"), Decimal("50.0"))


def test_a_manager_has_no_dashboard_but_a_strip_of_their_own(march):
    mara = _fresh(march.manager_north)
    assert dashboard_for(mara, today=TODAY).tiles == []
    strip = {r.tile.key: r.value for r in strip_for(mara, today=TODAY).tiles}
    # Mara's own leads in March (Bucharest): L1, L2, the 1 March one; L1 converted.
    assert strip["conversion"].value == Decimal("33.3")
    # Answered within 60 business minutes: L1 of L1, L2 (late) and the unanswered breached one.
    assert strip["within_hour"].value == Decimal("33.3")
    assert strip["activities_today"].target is None
    assert strip_for(_fresh(march.head_north), today=TODAY).tiles == []


def test_strip_counts_overdue_tasks_and_todays_activities_of_the_manager_only(march):
    from django.utils import timezone

    from clientela.activities.models import Task

    mara = _fresh(march.manager_north)
    mine = Task.objects.filter(assignee=mara, done_at__isnull=True)
    others = Task.objects.filter(done_at__isnull=True).exclude(assignee=mara)
    # lead_create gave every lead a first task; make Mara's all overdue, the others' too.
    mine.update(due_at=timezone.now() - dt.timedelta(hours=1))
    others.update(due_at=timezone.now() - dt.timedelta(hours=1))
    expected = Task.objects.filter(assignee=mara, done_at__isnull=True).count()
    assert expected > 0 and others.exists()
    dash.DAILY_ACTIVITY_TARGETS.append(lambda user: 12)
    try:
        strip = {r.tile.key: r for r in strip_for(mara).tiles}
    finally:
        dash.DAILY_ACTIVITY_TARGETS.pop()
    assert strip["overdue"].value.value == expected
    assert strip["activities_today"].value.target == 12
    assert strip["overdue"].good is None  # nothing to compare with


def test_change_arrows_are_green_when_up_is_good(march):
    board = {r.tile.key: r for r in dashboard_for(_fresh(march.head_north), today=TODAY).tiles}
    assert (board["new_leads"].direction, board["new_leads"].good) == ("up", True)
    assert board["new_leads"].change == Decimal("100.0")
    assert (board["first_contact"].direction, board["first_contact"].good) == ("up", False)  # slower
    assert (board["leak_rate"].direction, board["leak_rate"].good) == ("up", False)
    assert (board["pipeline"].direction, board["pipeline"].good) == ("down", False)
    assert board["conversion"].direction == "" and board["conversion"].good is None
    assert "RON" in board["won"].value.note
    assert board["new_leads"].url == "/reports/lifecycle-funnel/?period=this_month&compare=previous"
    assert board["leak_rate"].url == reverse("retention:dashboard")


def test_team_filter_of_an_admin(march):
    board = dashboard_for(_fresh(march.admin), today=TODAY, team=march.south.pk)
    values = {r.tile.key: r.value.value for r in board.tiles}
    assert values["new_leads"] == 1
    assert values["won"] == Decimal("700.00")


def test_a_plan_tile_replaces_won(march):
    original = dash.DASHBOARD_TILES["won"]

    def with_plan(ctx):
        return dash.TileValue(**{**original.compute(ctx).__dict__, "target": Decimal("4000")})

    dash.register_tile(
        dash.DashboardTile("won", "Won vs plan", with_plan, 60, dash.HEADS, money=True), replace=True
    )
    try:
        board = {r.tile.key: r for r in dashboard_for(_fresh(march.head_north), today=TODAY).tiles}
        assert board["won"].progress == Decimal("50.0")
        with pytest.raises(ValueError):
            dash.register_tile(dash.DashboardTile("won", "again", with_plan))
    finally:
        dash.register_tile(original, replace=True)


# --- Pages and API ---------------------------------------------------------------------------------


def test_home_page_loads_the_dashboard_with_htmx(march):
    web = login(WebClient(), march.head_north)
    page = web.get(reverse("core:home")).content.decode()
    assert 'hx-get="/dashboard/tiles/"' in page and 'hx-trigger="load"' in page
    assert page.index('id="home-dashboard"') < page.index('id="worklist"')
    tiles = web.get(reverse("analytics:dashboard_tiles"))
    assert tiles.status_code == 200
    assert b'data-testid="tile-pipeline"' in tiles.content
    marketer = login(WebClient(), march.marketer_north)
    assert 'hx-get="/dashboard/tiles/"' in marketer.get(reverse("core:home")).content.decode()
    body = marketer.get(reverse("analytics:dashboard_tiles")).content
    assert (
        b'data-testid="tile-new_leads"' in body and b"tile-pipeline" not in body and b"tile-won" not in body
    )


def test_manager_home_loads_the_strip_and_no_dashboard(march):
    web = login(WebClient(), march.manager_north)
    page = web.get(reverse("core:home")).content.decode()
    assert 'hx-get="/dashboard/strip/"' in page and "/dashboard/tiles/" not in page
    assert web.get(reverse("analytics:dashboard_tiles")).status_code == 403
    strip = web.get(reverse("analytics:dashboard_strip"))
    assert strip.status_code == 200 and b'data-testid="strip-overdue"' in strip.content
    head = login(WebClient(), march.head_north)
    assert head.get(reverse("analytics:dashboard_strip")).status_code == 403


def test_api_returns_the_same_tiles(march, api_token):
    web = WebClient()
    response = web.get("/api/v1/dashboard", headers=api_token(march.head_north))
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "dashboard"
    keys = [tile["key"] for tile in body["tiles"]]
    assert keys == [
        "new_leads",
        "first_contact",
        "sla",
        "conversion",
        "pipeline",
        "won",
        "active_clients",
        "leak_rate",
        "nps",
    ]
    marketer = web.get("/api/v1/dashboard", headers=api_token(march.marketer_north)).json()
    assert {t["key"] for t in marketer["tiles"]} == {"new_leads", "first_contact", "sla", "conversion"}
    manager = web.get("/api/v1/dashboard", headers=api_token(march.manager_north)).json()
    assert manager["kind"] == "strip"
    assert [t["key"] for t in manager["tiles"]] == [
        "conversion",
        "overdue",
        "activities_today",
        "within_hour",
    ]
    # A head asking for another team's figures is refused with a field error.
    other = web.get(f"/api/v1/dashboard?team={march.south.pk}", headers=api_token(march.head_north))
    assert other.status_code == 422
    assert "team" in other.json().get("errors", other.json())


def test_the_dashboard_reads_few_grouped_queries(march, django_assert_max_num_queries):
    head = _fresh(march.head_north)
    # leads (new + converted), clocks, pipeline, won, NPS: one grouped query each whatever the
    # number of records, the status history two (in force, lost), each scoped by the head's teams
    # (one small query each), and the exchange rates once (RON has no rate).
    with django_assert_max_num_queries(14):
        assert len(dashboard_for(head, today=TODAY).tiles) == 9
    mara = _fresh(march.manager_north)
    with django_assert_max_num_queries(5):
        strip_for(mara, today=TODAY)
