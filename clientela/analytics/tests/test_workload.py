"""The workload report against hand counts: open leads, active clients against the norm,
activities a day over the working days against the daily plan, in the reader's days."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.test import Client as WebClient
from django.utils import timezone

from clientela.activities.choices import ActivityKind
from clientela.activities.services.log import activity_log
from clientela.analytics.engine import REPORTS, run
from clientela.analytics.plans import activity_plan_set
from clientela.analytics.reports.workload import working_days
from clientela.analytics.tests.test_plans import make_client
from clientela.clients.models import Client
from clientela.conftest import login
from clientela.leads.models import Lead
from clientela.leads.services.lifecycle import lead_create

UTC = dt.UTC
_seq = itertools.count(1)
# Monday 2 March to Sunday 8 March 2026: five working days.
WEEK = {"period": "custom", "from": "2026-03-02", "to": "2026-03-08"}


def _lead(owner, status=None):
    n = next(_seq)
    lead = lead_create(
        by=None,
        fields={
            "first_name": "Ana",
            "last_name": f"Load{n}",
            "email": f"load{n}@example.com",
            "team": owner.team,
        },
        owner=owner,
    )
    if status:
        Lead.objects.filter(pk=lead.pk).update(status=status)
    return lead


def test_working_days_are_monday_to_friday():
    assert working_days(dt.date(2026, 3, 2), dt.date(2026, 3, 8)) == 5
    assert working_days(dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == 22  # Sun 1 … Tue 31
    assert working_days(dt.date(2026, 3, 7), dt.date(2026, 3, 8)) == 0
    assert working_days(dt.date(2026, 3, 8), dt.date(2026, 3, 2)) == 0


@pytest.fixture
def week(world):
    """Mara: plan 2 calls and 1 meeting a day; 10 calls (the last on Sunday 8 March 23:30 UTC,
    9 March in Bucharest), 3 meetings, 2 e-mails in the week, a call on 1 March (outside);
    2 open leads and 1 refused; 1 active client (created 200 days ago, in touch 10 days ago),
    1 new and 1 passive. Nelu: 1 call, no plan. Sándor (South): 4 calls."""
    mara, nelu, sandor = world.manager_north, world.manager_north2, world.manager_south
    activity_plan_set(by=world.head_north, user=mara, calls_per_day=2, meetings_per_day=1)
    lead = _lead(mara)
    _lead(mara)
    _lead(mara, status="refused")
    at = dt.datetime(2026, 3, 2, 9, tzinfo=UTC)
    for day in range(9):
        activity_log(by=mara, kind=ActivityKind.CALL, lead=lead, occurred_at=at + dt.timedelta(days=day % 5))
    activity_log(
        by=mara, kind=ActivityKind.CALL, lead=lead, occurred_at=dt.datetime(2026, 3, 8, 23, 30, tzinfo=UTC)
    )
    activity_log(
        by=mara, kind=ActivityKind.CALL, lead=lead, occurred_at=dt.datetime(2026, 3, 1, 12, tzinfo=UTC)
    )
    for day in range(3):
        activity_log(by=mara, kind=ActivityKind.MEETING, lead=lead, occurred_at=at + dt.timedelta(days=day))
    for day in range(2):
        activity_log(by=mara, kind=ActivityKind.EMAIL, lead=lead, occurred_at=at + dt.timedelta(days=day))
    activity_log(by=nelu, kind=ActivityKind.CALL, lead=_lead(nelu), occurred_at=at)
    south_lead = _lead(sandor)
    for _n in range(4):
        activity_log(by=sandor, kind=ActivityKind.CALL, lead=south_lead, occurred_at=at)
    now = timezone.now()
    active, _new, passive = make_client(mara), make_client(mara), make_client(mara)
    Client.objects.filter(pk=active.pk).update(
        created_at=now - dt.timedelta(days=200), last_contact_at=now - dt.timedelta(days=10)
    )
    Client.objects.filter(pk=passive.pk).update(
        created_at=now - dt.timedelta(days=400), last_contact_at=now - dt.timedelta(days=300)
    )
    return world


def _rows(user, data=WEEK):
    figure = run(REPORTS["workload"], user, data).figures[0]
    return {row["person"]: row for row in figure.rows}


def test_mara_by_hand(week):
    mara = _rows(week.head_north)["Mara"]
    assert (mara["open_leads"], mara["active_clients"]) == (2, 1)
    assert (mara["calls"], mara["meetings"], mara["emails"]) == (10, 3, 2)
    assert mara["calls_per_day"] == Decimal("2.0") and mara["calls_plan"] == 2
    assert mara["meetings_per_day"] == Decimal("0.6") and mara["meetings_plan"] == 1
    assert mara["emails_per_day"] == Decimal("0.4")
    assert "meetings below plan" in mara["_mark"] and "calls below plan" not in mara["_mark"]
    assert "fewer than 10 active clients" in mara["attention"]


def test_in_bucharest_the_sunday_night_call_is_monday(week):
    week.manager_north.time_zone = "Europe/Bucharest"
    week.manager_north.save(update_fields=["time_zone"])
    mara = _rows(week.manager_north)["Mara"]
    assert mara["calls"] == 9 and mara["calls_per_day"] == Decimal("1.8")
    assert "calls below plan" in mara["_mark"]


def test_each_role_sees_its_people(week):
    assert set(_rows(week.manager_north)) == {"Mara"}
    head = _rows(week.head_north)
    assert set(head) == {"Helga", "Mara", "Nelu"}
    assert head["Nelu"]["calls_plan"] is None and head["Nelu"]["calls"] == 1
    admin = _rows(week.admin)
    assert admin["Sándor"]["calls"] == 4
    assert set(_rows(week.admin, {**WEEK, "team": week.north.pk})) == {"Helga", "Mara", "Nelu"}


def test_the_page_highlights_and_links(week, client: WebClient):
    login(client, week.head_north)
    response = client.get("/reports/workload/", WEEK)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="table-warning"' in body and "meetings below plan" in body
    assert f"owner={week.manager_north.pk}&amp;status=open" in body
    assert "Sándor" not in body
    login(client, week.marketer_north)
    assert client.get("/reports/workload/").status_code == 403


def test_a_head_asking_for_another_team_gets_a_field_error(week, api_token):
    response = WebClient().get(
        "/api/v1/reports/workload", {**WEEK, "team": week.south.pk}, headers=api_token(week.head_north)
    )
    assert response.status_code == 422 and "team" in response.json()["errors"]
