"""Imported leads start their first-response clocks, in bulk, with one deferred sweep."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path
from unittest import mock

import pytest

from clientela.comms.business_hours import add_business_time
from clientela.comms.choices import ClockKind
from clientela.comms.clocks import clock_start_first_response
from clientela.comms.models import ResponseClock, ResponsePolicy
from clientela.comms.team_settings import calendar_for_team
from clientela.core.models import AuditEntry
from clientela.imports.leads import import_file
from clientela.leads.models import Lead, LeadPolicy, TemperatureRule


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(["name,phone,email,source", *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def hot_fairs(world):
    """Exhibition leads are hot; the team answers hot leads within 30 business minutes."""
    LeadPolicy.objects.update_or_create(team=world.north, defaults={"hot_warm_to_beginners": True})
    TemperatureRule.objects.create(name="Fairs", sources=["exhibition"], temperature="hot")
    ResponsePolicy.objects.update_or_create(
        team=world.north, defaults={"first_response_minutes": 240, "hot_minutes": 30, "target_minutes": 60}
    )
    return world


# Tuesday 10:00 in the team's time zone: inside business hours, so budgets are easy to read.
def _tuesday_ten(world) -> dt.datetime:
    zone = zoneinfo.ZoneInfo(world.north.time_zone or "UTC")
    return dt.datetime(2026, 11, 17, 10, 0, tzinfo=zone)


def test_imported_leads_have_a_running_clock_with_the_right_deadline(hot_fairs, tmp_path):
    world = hot_fairs
    path = write(
        tmp_path / "leads.csv",
        [
            "Ana Pop,+40721000001,,exhibition",
            "Dan Ene,+40721000002,,web_form",
            "Ion Vlad,+40721000003,ion@example.com,web_form",
            "Company switchboard,,,web_form",
        ],
    )
    at = _tuesday_ten(world)
    with mock.patch("clientela.imports.leads.timezone.now", return_value=at):
        job = import_file(path=path, by=world.head_north, team=world.north)
    assert job.created_count == 3
    clocks = {c.lead_id: c for c in ResponseClock.objects.all()}
    leads = list(Lead.objects.order_by("pk"))
    assert set(clocks) == {lead.pk for lead in leads}, "one clock per created lead, none for the interest"
    calendar = calendar_for_team(world.north)
    for lead in leads:
        clock = clocks[lead.pk]
        budget = 30 if lead.temperature == "hot" else 240
        assert clock.kind == ClockKind.FIRST_RESPONSE and clock.stopped_at is None
        assert clock.owner_id == lead.owner_id and clock.team_id == world.north.pk
        assert clock.budget_minutes == budget
        assert clock.started_at == at
        assert clock.due_at == add_business_time(at, budget, calendar)
        assert clock.target_at == add_business_time(at, min(60, budget), calendar)
        assert str(lead) in clock.subject
    assert sorted(c.budget_minutes for c in clocks.values()) == [30, 240, 240]
    entry = AuditEntry.objects.get(pk=job.audit_entry_id)
    assert entry.changes["response_clocks"] == 3


def test_bulk_clocks_match_the_one_by_one_clock(hot_fairs, tmp_path):
    """The same lead, started one by one by comms, gets the same budget and deadlines."""
    world = hot_fairs
    at = _tuesday_ten(world)
    path = write(tmp_path / "one.csv", ["Ana Pop,+40721000011,,exhibition"])
    with mock.patch("clientela.imports.leads.timezone.now", return_value=at):
        import_file(path=path, by=world.head_north, team=world.north)
    lead = Lead.objects.get()
    bulk = ResponseClock.objects.get(lead=lead)
    ResponseClock.objects.all().delete()
    single = clock_start_first_response(lead=lead, at=at)
    fields = ("kind", "owner_id", "team_id", "budget_minutes", "started_at", "target_at", "due_at", "subject")
    assert [getattr(bulk, f) for f in fields] == [getattr(single, f) for f in fields]


def test_checks_are_scheduled_as_one_sweep_per_due_minute(hot_fairs, tmp_path):
    world = hot_fairs
    rows = [f"Person {i},+4072100{i:04d},,{'exhibition' if i % 2 else 'web_form'}" for i in range(40)]
    path = write(tmp_path / "many.csv", rows)
    at = _tuesday_ten(world)
    with (
        mock.patch("clientela.imports.leads.timezone.now", return_value=at),
        mock.patch("clientela.imports.lead_stages.enqueue_on_commit") as enqueue,
    ):
        job = import_file(path=path, by=world.head_north, team=world.north, batch_size=10)
    assert job.created_count == 40 and ResponseClock.objects.count() == 40
    scheduled = [call.args[0] for call in enqueue.call_args_list if "sweep_clocks" in str(call.args[0])]
    # two budgets (hot 30, other 240) at one moment: two sweeps for four batches and 40 clocks
    assert len(scheduled) == 2
    due = sorted({c.due_at for c in ResponseClock.objects.all()})
    assert sorted(task.run_after for task in scheduled) == [
        d.replace(second=0, microsecond=0) + dt.timedelta(minutes=1) for d in due
    ]


def test_dry_run_starts_no_clock(hot_fairs, tmp_path):
    path = write(tmp_path / "dry.csv", ["Ana Pop,+40721000021,,exhibition"])
    import_file(path=path, by=hot_fairs.head_north, team=hot_fairs.north, dry_run=True)
    assert not ResponseClock.objects.exists()
