"""The speed report against a hand count: first-response clocks and tasks written below, the
period in Bucharest and in UTC, each role's scope, the drill-down filters and bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from decimal import Decimal

import pytest
from django.test import Client

from clientela.activities.models import Task
from clientela.analytics.engine import REPORTS, run
from clientela.analytics.reports.speed import percentile
from clientela.comms.choices import StopReason
from clientela.comms.models import ResponseClock
from clientela.conftest import login
from clientela.leads.models import Lead
from clientela.leads.services.lifecycle import lead_create

UTC = dt.UTC
MARCH = {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}
_seq = itertools.count(1)
FAR = dt.datetime(2030, 1, 1, tzinfo=UTC)


def _lead(owner, *, started, minutes=None, reason="", open_due=None, breached=False, escalated=False):
    n = next(_seq)
    lead = lead_create(
        by=None,
        fields={"first_name": "Lead", "last_name": f"N{n}", "email": f"l{n}@example.com", "team": owner.team},
        owner=owner,
    )
    Lead.objects.filter(pk=lead.pk).update(created_at=started)  # the clock starts with the lead
    due = open_due or started + dt.timedelta(hours=2)
    stopped = None if open_due else started + dt.timedelta(minutes=minutes or 0)
    ResponseClock.objects.filter(lead=lead).update(
        started_at=started,
        target_at=started,
        due_at=max(due, started),
        stopped_at=stopped,
        stop_reason="" if open_due else reason or StopReason.RESPONDED,
        minutes_taken=None if open_due else minutes,
        breached_at=due if breached else None,
        escalated_at=due + dt.timedelta(minutes=30) if escalated else None,
    )
    return lead


def _task(owner, due, done=None):
    return Task.objects.create(
        title=f"Task {next(_seq)}", due_at=due, done_at=done, assignee=owner, team=owner.team
    )


def at(month, day, hour=9, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def clocks(world):
    """By hand (minutes are business minutes, as comms fixes them when a clock stops):

    Mara: L1 10 min · L2 30 · L3 60 (acknowledged) · L4 90 (deadline missed) · L5 200 (missed,
    escalated) · L6 open, deadline passed (missed, escalated) · L7 cancelled · L8 20 min, started
    28 Feb 22:30 UTC (1 March in Bucharest) · L9 500 min, started 31 March 22:30 UTC (1 April in
    Bucharest). Nelu: 45 min, and one still inside its deadline. Sándor (South): 5 min.
    """
    mara, nelu, sandor = world.manager_north, world.manager_north2, world.manager_south
    leads = {
        "L1": _lead(mara, started=at(3, 2), minutes=10),
        "L2": _lead(mara, started=at(3, 3), minutes=30),
        "L3": _lead(mara, started=at(3, 4), minutes=60, reason=StopReason.ACKNOWLEDGED),
        "L4": _lead(mara, started=at(3, 5), minutes=90, breached=True),
        "L5": _lead(mara, started=at(3, 6), minutes=200, breached=True, escalated=True),
        "L6": _lead(mara, started=at(3, 7), open_due=at(3, 7, 11), breached=True, escalated=True),
        "L7": _lead(mara, started=at(3, 8), minutes=5, reason=StopReason.CANCELLED),
        "L8": _lead(mara, started=at(2, 28, 22, 30), minutes=20),
        "L9": _lead(mara, started=at(3, 31, 22, 30), minutes=500),
        "N1": _lead(nelu, started=at(3, 10), minutes=45),
        "N2": _lead(nelu, started=at(3, 11), open_due=FAR),
        "S1": _lead(sandor, started=at(3, 12), minutes=5),
    }
    Task.objects.all().delete()  # the first-contact tasks lead_create gave; tasks by hand below
    _task(mara, at(3, 10), done=at(3, 9))  # on time
    _task(mara, at(3, 12), done=at(3, 13))  # late
    _task(mara, at(3, 20))  # not done, past due
    _task(mara, at(2, 15))  # overdue now, due before the period
    _task(nelu, at(3, 15), done=at(3, 15))  # on time (done at the due moment)
    _task(sandor, at(3, 16))
    world.leads = leads
    return world


def _figure(user, key, data=MARCH):
    result = run(REPORTS["speed"], user, data)
    return next(f for f in result.figures if f.key == key)


def _rows(user, key="speed-managers", data=MARCH):
    return {str(row["name"]): row for row in _figure(user, key, data).rows}


def _bucket_counts(row):
    keys = ("under_15", "from_15_to_60", "from_1_to_2h", "from_2_to_8h", "over_8h", "waiting")
    return tuple(row[k] for k in keys)


def test_percentile_is_postgresqls_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([7], 0.9) == 7
    assert percentile([10, 20, 30, 60, 90, 200], 0.5) == 45
    assert percentile([10, 20, 30, 60, 90, 200], 0.9) == 145  # 90 + (200 - 90) × 0.5


def test_manager_in_bucharest_sees_own_march_by_hand(clocks):
    mara = clocks.manager_north
    mara.time_zone = "Europe/Bucharest"
    mara.save(update_fields=["time_zone"])
    rows = _rows(mara)
    assert set(rows) == {"Mara"}
    row = rows["Mara"]
    # L1–L8 (L9 is April in Bucharest); answered 10 20 30 60 90 200
    assert row["total"] == 8 and row["answered"] == 6
    assert row["median"] == Decimal("45.0") and row["p90"] == Decimal("145.0")
    # due an answer: 6 answered + L6 unanswered = 7; within 60: 4; within 120: 5
    assert row["compliance"] == Decimal("57.1") and row["limit_compliance"] == Decimal("71.4")
    assert (row["breached"], row["escalated"], row["acknowledged"], row["unanswered"]) == (3, 2, 1, 1)
    distribution = _rows(mara, "speed-distribution")["Mara"]
    assert _bucket_counts(distribution) == (1, 3, 1, 1, 1, 0)


def test_admin_in_utc_sees_everyone(clocks):
    rows = _rows(clocks.admin)
    assert set(rows) == {"Mara", "Nelu", "Sándor"}
    mara = rows["Mara"]
    # L1–L7 and L9 (L8 is February in UTC); answered 10 30 60 90 200 500
    assert mara["total"] == 8 and mara["answered"] == 6
    assert (mara["median"], mara["p90"]) == (Decimal("75.0"), Decimal("350.0"))
    assert _bucket_counts(_rows(clocks.admin, "speed-distribution")["Mara"]) == (1, 2, 1, 1, 2, 0)
    nelu = rows["Nelu"]
    assert (nelu["total"], nelu["answered"], nelu["median"]) == (2, 1, Decimal("45.0"))
    assert nelu["compliance"] == 100
    assert _rows(clocks.admin, "speed-distribution")["Nelu"]["waiting"] == 1
    assert rows["Sándor"]["median"] == Decimal("5.0")
    footer = _figure(clocks.admin, "speed-managers").footer
    # all answered: 5 10 30 45 60 90 200 500 → median 52.5, p90 at 6.3 → 200 + 300 × 0.3 = 290
    assert footer["total"] == 11 and footer["median"] == Decimal("52.5") and footer["p90"] == Decimal("290.0")
    teams = _rows(clocks.admin, "speed-teams")
    # North answered 10 30 45 60 90 200 500 → median 60, p90 at 5.4 → 200 + 300 × 0.4 = 320
    assert (teams["North"]["median"], teams["North"]["p90"]) == (Decimal("60.0"), Decimal("320.0"))
    assert teams["South"]["total"] == 1


def test_head_sees_their_team_marketer_the_teams_leads_without_tasks(clocks):
    assert set(_rows(clocks.head_north)) == {"Mara", "Nelu"}
    assert set(_rows(clocks.head_north, "speed-teams")) == {"North"}
    result = run(REPORTS["speed"], clocks.marketer_north, MARCH)
    keys = [f.key for f in result.figures]
    assert "speed-tasks" not in keys
    assert set(_rows(clocks.marketer_north)) == {"Mara", "Nelu"}


def test_lead_filters_narrow_through_the_lead(clocks):
    lead = clocks.leads["L5"]
    lead.temperature = "hot"
    lead.save(update_fields=["temperature"])
    rows = _rows(clocks.admin, data={**MARCH, "temperature": "hot"})
    assert set(rows) == {"Mara"} and rows["Mara"]["total"] == 1 and rows["Mara"]["median"] == 200


def test_tasks_by_hand(clocks):
    rows = _rows(clocks.head_north, "speed-tasks")
    assert set(rows) == {"Mara", "Nelu"}
    mara = rows["Mara"]
    assert (mara["due"], mara["on_time"], mara["late"]) == (3, 1, 1)
    assert (mara["overdue"], mara["overdue_now"]) == (1, 2)
    assert mara["share_late"] == Decimal("66.7")
    assert (rows["Nelu"]["on_time"], rows["Nelu"]["overdue_now"]) == (1, 0)
    assert set(_rows(clocks.manager_north, "speed-tasks")) == {"Mara"}


def test_comparison_with_the_previous_period(clocks):
    rows = _rows(clocks.admin, data={**MARCH, "compare": "previous"})
    # February in UTC: L8 (20 minutes, within the target)
    assert rows["Mara"]["previous_median"] == Decimal("20.0")
    assert rows["Mara"]["previous_compliance"] == 100
    assert rows["Nelu"]["previous_median"] is None


def test_breaches_drill_down_to_the_leads(clocks, client: Client, api_token):
    login(client, clocks.head_north)
    response = client.get("/reports/speed/", MARCH)
    assert response.status_code == 200
    body = response.content.decode()
    assert "first_response=breached" in body and "Sándor" not in body
    figure = response.context["figures"][0]
    mara = next(row for row in figure.rows if row["name"] == "Mara")
    link = mara["_links"]["breached"]
    assert f"owner={clocks.manager_north.pk}" in link and "created_from=2026-03-01" in link
    page = client.get(link)
    assert page.status_code == 200
    shown = page.content.decode()
    breached = {clocks.leads[k].pk for k in ("L4", "L5", "L6")}
    # the API answers the same filter with exactly those leads
    headers = api_token(clocks.head_north)
    items = Client().get("/api/v1/leads", {"first_response": "breached"}, headers=headers).json()["items"]
    assert {item["id"] for item in items} == breached
    assert str(clocks.leads["L4"]) in shown and str(clocks.leads["L1"]) not in shown
    # the narrowed list says why: its first-response filter is on the bar, set
    assert '<option value="breached" selected>' in shown
    within = Client().get("/api/v1/leads", {"first_response": "within_target"}, headers=headers).json()
    assert {i["id"] for i in within["items"]} == {clocks.leads[k].pk for k in ("L1", "L2", "L3", "L8", "N1")}
    over_8h = Client().get("/api/v1/leads", {"first_response": "over_8h"}, headers=headers).json()
    assert {i["id"] for i in over_8h["items"]} == {clocks.leads[k].pk for k in ("L6", "L9")}


def test_task_numbers_link_to_the_task_list_of_the_period(clocks, client: Client):
    login(client, clocks.head_north)
    figure = next(
        f for f in client.get("/reports/speed/", MARCH).context["figures"] if f.key == "speed-tasks"
    )
    mara = next(row for row in figure.rows if row["name"] == "Mara")
    page = client.get(mara["_links"]["due"])
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 3
    assert client.get(mara["_links"]["overdue_now"]).context["page"].paginator.count == 2
    # a bad day in the query is ignored, not a 500
    assert client.get("/tasks/?status=all&due_from=2026-13-45").status_code == 200


def test_bad_filters_are_field_errors(clocks, api_token):
    headers = api_token(clocks.manager_north)
    response = Client().get(
        "/api/v1/reports/speed", {**MARCH, "manager": clocks.manager_north2.pk}, headers=headers
    )
    assert response.status_code == 422 and "manager" in str(response.json())
    response = Client().get("/api/v1/reports/speed", {**MARCH, "temperature": "boiling"}, headers=headers)
    assert response.status_code == 422 and "temperature" in str(response.json())
    response = Client().get("/api/v1/leads", {"first_response": "soon"}, headers=headers)
    assert response.status_code == 422


def test_api_and_csv_give_the_same_numbers(clocks, client: Client, api_token):
    data = Client().get("/api/v1/reports/speed", MARCH, headers=api_token(clocks.admin)).json()
    managers = next(f for f in data["figures"] if f["key"] == "speed-managers")
    rows = {row["name"]: row for row in managers["rows"]}
    assert rows["Mara"]["median"] == "75.0" and rows["Mara"]["breached"] == 3
    login(client, clocks.admin)
    response = client.get("/reports/speed/", {**MARCH, "export": "csv", "figure": "speed-distribution"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    by_name = {row[0]: row for row in csv.reader(io.StringIO(text))}
    assert by_name["Mara"][1:7] == ["1", "2", "1", "1", "2", "0"]
