"""Leak rate, churn reasons and staff-attitude losses against a hand computation on known history.

The history (all at noon UTC, North unless said; "mnorth" = Mara, "mnorth2" = Nelu):

| client | owner   | rows                                                                      |
|--------|---------|---------------------------------------------------------------------------|
| A      | Mara    | new 10 May → active 10 Aug → lost 15 Oct (attitude)                       |
| B      | Mara    | new 10 Jun → active 10 Sep                                                |
| C      | Mara    | new 10 Mar → active 8 Jun → passive 20 Sep (by time) → lost 20 Oct (quality) |
| D      | Nelu    | new 25 Sep → lost 5 Oct (competition) → won back (active) 25 Oct          |
| E      | Sándor (South) | new 1 Feb → active 1 May → lost 10 Oct (attitude)                  |
| F      | Mara    | new 12 Oct                                                                |
| G      | Mara    | new 5 Jan → lost 5 Sep (no reason visible)                                |
| H, I   | Nelu    | new 5 Jan → active 5 Apr                                                  |

October 2026, everyone (admin): active on 1 Oct = A, B, D, E, H, I = 6 (C went passive by time,
G was lost, F came later); lost in October = A, C, D, E = 4 → 66.67 %.
September: active on 1 Sep = A, B, C, E, G, H, I = 7; lost = G → 14.29 %.
North's head: active A, B, D, H, I = 5; lost A, C, D = 3 → 60.00 %.
Mara (her own clients A, B, C, F, G): active A, B = 2; lost A, C = 2 → 100.00 %.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from clientela.clients.models import Client
from clientela.clients.tests.factories import make_client
from clientela.core.errors import BusinessError
from clientela.retention import leak
from clientela.retention.choices import ChangeKind
from clientela.retention.models import ClientStatusChange

UTC = dt.UTC
Y = 2026


def at(month: int, day: int) -> dt.datetime:
    return dt.datetime(Y, month, day, 12, 0, tzinfo=UTC)


def history(client: Client, *rows: tuple[str, dt.datetime, str], owner: Any = None) -> None:
    previous = ""
    for status, moment, reason in rows:
        kind = {
            "new": ChangeKind.BECAME_CLIENT,
            "lost": ChangeKind.DECISION,
            "passive": ChangeKind.TIME,
        }.get(status, ChangeKind.TIME if previous == "new" else ChangeKind.WON_BACK)
        ClientStatusChange.objects.create(
            client=client,
            from_status=previous,
            to_status=status,
            kind=kind,
            at=moment,
            reason=reason,
            owner=owner or client.owner,
            team=client.team,
        )
        previous = status


def build(world: Any) -> dict[str, Client]:
    mara, nelu, sandor = world.manager_north, world.manager_north2, world.manager_south
    c = {
        "A": make_client(mara, name="Alpha Leak", industry="Logistics", employees=5),
        "B": make_client(mara, name="Beta Leak", industry="Logistics", employees=120),
        "C": make_client(mara, name="Gamma Leak"),
        "D": make_client(nelu, name="Delta Leak"),
        "E": make_client(sandor, name="Epsilon Leak", country="HU"),
        "F": make_client(mara, name="Phi Leak"),
        "G": make_client(mara, name="Gimel Leak"),
        "H": make_client(nelu, name="Eta Leak"),
        "I": make_client(nelu, name="Iota Leak"),
    }
    history(c["A"], ("new", at(5, 10), ""), ("active", at(8, 10), ""), ("lost", at(10, 15), "attitude"))
    history(c["B"], ("new", at(6, 10), ""), ("active", at(9, 10), ""))
    history(
        c["C"],
        ("new", at(3, 10), ""),
        ("active", at(6, 8), ""),
        ("passive", at(9, 20), ""),
        ("lost", at(10, 20), "quality"),
    )
    history(c["D"], ("new", at(9, 25), ""), ("lost", at(10, 5), "competition"), ("active", at(10, 25), ""))
    history(c["E"], ("new", at(2, 1), ""), ("active", at(5, 1), ""), ("lost", at(10, 10), "attitude"))
    history(c["F"], ("new", at(10, 12), ""))
    history(c["G"], ("new", at(1, 5), ""), ("lost", at(9, 5), "no_reason"))
    for key in ("H", "I"):
        history(c[key], ("new", at(1, 5), ""), ("active", at(4, 5), ""))
    return c


def months(count: int = 2, last: dt.date = dt.date(Y, 10, 15)) -> list[leak.Period]:
    return leak.periods("month", zone=UTC, today=dt.date(Y, 12, 7), count=count, last=last)


def trend(viewer: Any, filters: leak.LeakFilters | None = None, count: int = 2) -> list[tuple[int, int, Any]]:
    rows = leak.leak_trend(viewer, months(count), filters or leak.LeakFilters())
    return [(row["active"], row["lost"], row["rate"]) for row in rows]


def test_leak_rate_for_the_company_counts_only_who_was_active_at_the_start(world):
    build(world)
    assert trend(world.admin) == [(7, 1, Decimal("14.29")), (6, 4, Decimal("66.67"))]


def test_twelve_periods_in_one_query(world, django_assert_max_num_queries):
    build(world)
    spans = months(12)
    with django_assert_max_num_queries(2):
        rows = leak.leak_trend(world.admin, spans, leak.LeakFilters())
    assert rows[0]["start"] == dt.date(Y - 1, 11, 1)
    assert rows[-1]["end"] == dt.date(Y, 10, 31)
    # January: nobody was a client on 1 January; G, H, I became clients in it, none was lost.
    assert (rows[2]["active"], rows[2]["lost"], rows[2]["rate"]) == (0, 0, None)


def test_head_sees_their_teams_figures_and_manager_their_own(world):
    build(world)
    assert trend(world.head_north)[1] == (5, 3, Decimal("60.00"))
    assert trend(world.manager_north)[1] == (2, 2, Decimal("100.00"))
    # The South's manager sees only E.
    assert trend(world.manager_south)[1] == (1, 1, Decimal("100.00"))
    assert trend(world.marketer_north)[1] == (0, 0, None)


def test_team_and_manager_of_the_moment(world):
    build(world)
    north = leak.LeakFilters(team=world.north.pk)
    assert trend(world.admin, north)[1] == (5, 3, Decimal("60.00"))
    nelu = leak.LeakFilters(owner=world.manager_north2.pk)
    assert trend(world.head_north, nelu)[1] == (3, 1, Decimal("33.33"))
    # The South head's filter through a North head: nothing of the South shows.
    assert trend(world.head_north, leak.LeakFilters(team=world.south.pk))[1] == (0, 0, None)


def test_owner_at_the_moment_of_the_loss_counts_not_today_s(world):
    c = build(world)
    # A is handed to Nelu after the loss: the loss stays Mara's.
    Client.objects.filter(pk=c["A"].pk).update(owner=world.manager_north2)
    mara = leak.LeakFilters(owner=world.manager_north.pk)
    assert trend(world.admin, mara)[1] == (2, 2, Decimal("100.00"))


def test_a_client_moved_to_another_team_stays_the_loss_of_the_team_that_held_it(world):
    c = build(world)
    # E was lost in October while the South held it; moved to the North afterwards, it is still
    # the South's loss: the North head's figures do not change, the South manager keeps it.
    Client.objects.filter(pk=c["E"].pk).update(team=world.north, owner=world.manager_north)
    assert trend(world.head_north)[1] == (5, 3, Decimal("60.00"))
    assert trend(world.manager_north)[1] == (2, 2, Decimal("100.00"))
    assert trend(world.manager_south)[1] == (1, 1, Decimal("100.00"))


def test_segments(world):
    build(world)
    logistics = leak.LeakFilters(industry="logistics")
    assert trend(world.admin, logistics)[1] == (2, 1, Decimal("50.00"))
    assert trend(world.admin, leak.LeakFilters(size="micro"))[1] == (1, 1, Decimal("100.00"))
    assert trend(world.admin, leak.LeakFilters(country="hu").clean())[1] == (1, 1, Decimal("100.00"))
    with pytest.raises(BusinessError) as error:
        leak.LeakFilters(size="huge").clean()
    assert "size" in error.value.errors


def test_breakdown_by_team(world):
    build(world)
    [october] = months(1)
    rows = {
        row["group"]: (row["active"], row["lost"], row["rate"])
        for row in leak.leak_breakdown(world.admin, october, leak.LeakFilters(), "team")
    }
    assert rows == {"South": (1, 1, Decimal("100.00")), "North": (5, 3, Decimal("60.00"))}


def test_churn_reasons_shares_beside_practice(world):
    build(world)
    [october] = months(1)
    rows = {row["reason"]: row for row in leak.churn_reasons_report(world.admin, october, leak.LeakFilters())}
    assert {code: (row["lost"], row["share"]) for code, row in rows.items()} == {
        "attitude": (2, Decimal("50.00")),
        "quality": (1, Decimal("25.00")),
        "competition": (1, Decimal("25.00")),
        "parallel_supplier": (0, Decimal("0.00")),
        "no_reason": (0, Decimal("0.00")),
    }
    assert rows["attitude"]["practice"] == Decimal("68.00")
    assert rows["no_reason"]["practice"] == Decimal("3.00")
    # North's head: A (attitude), C (quality), D (competition) — a third each.
    north = {
        row["reason"]: row["share"]
        for row in leak.churn_reasons_report(world.head_north, october, leak.LeakFilters())
    }
    assert north["attitude"] == Decimal("33.33")


def test_staff_attitude_losses_per_manager(world):
    build(world)
    [october] = months(1)
    rows = {
        row["owner_id"]: (row["attitude"], row["lost"], row["share"])
        for row in leak.staff_attitude_losses(world.admin, october, leak.LeakFilters())
    }
    assert rows == {
        world.manager_north.pk: (1, 2, Decimal("50.00")),
        world.manager_south.pk: (1, 1, Decimal("100.00")),
    }
    head = leak.staff_attitude_losses(world.head_north, october, leak.LeakFilters())
    assert [row["owner_id"] for row in head] == [world.manager_north.pk]


def test_periods_quarter_year_custom_and_bad_input():
    today = dt.date(Y, 12, 7)
    quarters = leak.periods("quarter", zone=UTC, today=today, count=2)
    assert [(p.first, p.last, p.complete) for p in quarters] == [
        (dt.date(Y, 7, 1), dt.date(Y, 9, 30), True),
        (dt.date(Y, 10, 1), dt.date(Y, 12, 31), False),
    ]
    [year] = leak.periods("year", zone=UTC, today=today, count=1)
    assert (year.first, year.last) == (dt.date(Y, 1, 1), dt.date(Y, 12, 31))
    [custom] = leak.periods("custom", zone=UTC, today=today, first=dt.date(Y, 10, 1), last=dt.date(Y, 10, 31))
    assert custom.end == dt.datetime(Y, 11, 1, tzinfo=UTC)
    for kind, extra in (
        ("week", {}),
        ("custom", {"first": dt.date(Y, 2, 1), "last": dt.date(Y, 1, 1)}),
        ("month", {"count": 99}),
    ):
        with pytest.raises(BusinessError):
            leak.periods(kind, zone=UTC, today=today, **extra)


def test_every_number_links_to_the_clients_behind_it(client, world):
    build(world)
    client.force_login(world.admin)
    row = leak.leak_trend(world.admin, months(1), leak.LeakFilters())[0]
    lost_page = client.get(row["_links"]["lost"]).content.decode()
    for name in ("Alpha Leak", "Gamma Leak", "Delta Leak", "Epsilon Leak"):
        assert name in lost_page
    assert "Beta Leak" not in lost_page
    assert 'data-testid="history-filter"' in lost_page
    active_page = client.get(row["_links"]["active"]).content.decode()
    for name in ("Alpha Leak", "Beta Leak", "Delta Leak", "Epsilon Leak", "Eta Leak", "Iota Leak"):
        assert name in active_page
    for name in ("Gamma Leak", "Gimel Leak", "Phi Leak"):
        assert name not in active_page
    # Mara's losses of the moment, through the list's owner-of-the-moment filter.
    mara = leak.leak_trend(world.admin, months(1), leak.LeakFilters(owner=world.manager_north.pk))[0]
    page = client.get(mara["_links"]["lost"]).content.decode()
    assert "Alpha Leak" in page and "Gamma Leak" in page and "Delta Leak" not in page


def test_abc_segment_waits_for_the_abc_class(world):
    """Until clients carry an ABC class the segment is refused, not silently ignored; once they do,
    it narrows the figures like any segment."""
    build(world)
    if leak.has_abc():
        Client.objects.filter(name__in=["Alpha Leak", "Beta Leak"]).update(abc_class="A")
        assert trend(world.admin, leak.LeakFilters(abc="a").clean())[1] == (2, 1, Decimal("50.00"))
    else:
        with pytest.raises(BusinessError) as error:
            leak.LeakFilters(abc="A").clean()
        assert "abc" in error.value.errors


def test_the_whole_from_a_breakdown_equals_the_whole_counted_alone(world):
    """The dashboard counts the trend and its breakdown in one pass: the whole it derives is the
    same as the whole counted on its own — also for D, lost in October and back (one loss)."""
    build(world)
    spans = months(12)
    for viewer in (world.admin, world.head_north, world.manager_north):
        alone = leak.leak_counts(viewer, spans, leak.LeakFilters()).get("", [(0, 0)] * 12)
        for by in ("team", "owner", "industry"):
            grouped = leak.leak_counts(viewer, spans, leak.LeakFilters(), by=by, total=True)
            assert grouped[leak.TOTAL] == alone, (viewer, by)
