"""The activity report and the engine around it: scope per role, the period in the reader's
zone, the comparison, drill-down links, exports and the API — against counts made by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools

import pytest
from django.test import Client

from clientela.activities.choices import ActivityKind, Outcome
from clientela.activities.services.log import activity_log
from clientela.analytics.engine import REPORTS, run, without_money
from clientela.conftest import login
from clientela.core.audit import AuditEntry
from clientela.core.figures import Column, Figure
from clientela.leads.services.lifecycle import lead_create

_seq = itertools.count(1)
UTC = dt.UTC


def _lead(world, owner):
    n = next(_seq)
    return lead_create(
        by=None,
        fields={
            "first_name": "Ana",
            "last_name": f"Rep{n}",
            "email": f"ana{n}@example.com",
            "team": owner.team,
        },
        owner=owner,
    )


def _log(owner, lead, kind, at, outcome=""):
    return activity_log(
        by=owner, kind=kind, lead=lead, occurred_at=at, outcome=outcome, subject=f"{kind} {at:%d}"
    )


@pytest.fixture
def march(world):
    """March 2026 (UTC), by hand: Mara 3 calls (2 reached) + 1 meeting; Nelu 1 e-mail; Sándor
    (South) 2 calls. One call of Mara's on 28 February and one on 1 April fall outside."""
    mara, nelu, sandor = world.manager_north, world.manager_north2, world.manager_south
    a, b, c = _lead(world, mara), _lead(world, nelu), _lead(world, sandor)
    _log(mara, a, ActivityKind.CALL, dt.datetime(2026, 3, 1, 0, 30, tzinfo=UTC), Outcome.REACHED)
    _log(mara, a, ActivityKind.CALL, dt.datetime(2026, 3, 15, 9, tzinfo=UTC), Outcome.NO_ANSWER)
    _log(mara, a, ActivityKind.CALL, dt.datetime(2026, 3, 31, 23, 30, tzinfo=UTC), Outcome.REACHED)
    _log(mara, a, ActivityKind.MEETING, dt.datetime(2026, 3, 20, 10, tzinfo=UTC), Outcome.HELD)
    _log(mara, a, ActivityKind.CALL, dt.datetime(2026, 2, 28, 12, tzinfo=UTC), Outcome.REACHED)
    _log(mara, a, ActivityKind.CALL, dt.datetime(2026, 4, 1, 12, tzinfo=UTC))
    _log(nelu, b, ActivityKind.EMAIL, dt.datetime(2026, 3, 10, 8, tzinfo=UTC))
    _log(sandor, c, ActivityKind.CALL, dt.datetime(2026, 3, 5, 8, tzinfo=UTC))
    _log(sandor, c, ActivityKind.CALL, dt.datetime(2026, 3, 6, 8, tzinfo=UTC))
    return world


MARCH = {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}


def _people(user, data=MARCH) -> dict[str, dict]:
    figure = run(REPORTS["activities"], user, data).figures[0]
    return {row["person"]: row for row in figure.rows}


def test_admin_sees_everyone_head_their_team_manager_themselves(march):
    world = march
    everyone = _people(world.admin)
    assert {k: (v["call"], v["email"], v["meeting"], v["total"]) for k, v in everyone.items()} == {
        "Mara": (3, 0, 1, 4),
        "Nelu": (0, 1, 0, 1),
        "Sándor": (2, 0, 0, 2),
    }
    assert set(_people(world.head_north)) == {"Mara", "Nelu"}
    assert set(_people(world.manager_north)) == {"Mara"}


def test_the_period_is_the_readers_days(march):
    world = march
    # In Bucharest (UTC+2/+3) 31 March 23:30 UTC is already 1 April, and 28 February 12:00 stays
    # in February: Mara's March has the calls of 1 and 15 March and the meeting.
    world.manager_north.time_zone = "Europe/Bucharest"
    world.manager_north.save(update_fields=["time_zone"])
    mara = _people(world.manager_north)["Mara"]
    assert (mara["call"], mara["meeting"]) == (2, 1)


def test_comparison_with_the_previous_period(march):
    figure = run(REPORTS["activities"], march.admin, {**MARCH, "compare": "previous"}).figures[0]
    mara = next(row for row in figure.rows if row["person"] == "Mara")
    assert mara["previous"] == 1  # the call of 28 February
    assert str(mara["change"]) == "300.0"  # 4 against 1


def test_outcomes_count_calls_and_meetings(march):
    figure = run(REPORTS["activities"], march.head_north, MARCH).figures[1]
    counts = {(str(r["kind"]), str(r["outcome"])): r["count"] for r in figure.rows}
    assert counts == {("Call", "Reached"): 2, ("Call", "No answer"): 1, ("Meeting", "Held"): 1}


def test_page_links_each_person_to_their_activities(march, client: Client):
    login(client, march.head_north)
    response = client.get("/reports/activities/", MARCH)
    assert response.status_code == 200
    body = response.content.decode()
    assert f"manager={march.manager_north.pk}" in body
    assert "Sándor" not in body
    # following the link narrows the latest activities to Mara
    narrowed = client.get("/reports/activities/", {**MARCH, "manager": march.manager_north.pk})
    latest = narrowed.context["figures"][2]
    assert len(latest.rows) == 4 and {row["person"] for row in latest.rows} == {"Mara"}


def test_marketer_is_refused_sales_work(march, client: Client, api_token):
    login(client, march.marketer_north)
    assert client.get("/reports/activities/").status_code == 403
    response = Client().get("/api/v1/reports/activities", headers=api_token(march.marketer_north))
    assert response.status_code == 403
    listed = Client().get("/api/v1/reports", headers=api_token(march.marketer_north)).json()
    assert "activities" not in {r["key"] for r in listed}


def test_a_manager_asking_for_a_colleague_gets_a_field_error(march, client: Client, api_token):
    headers = api_token(march.manager_north)
    response = Client().get(
        "/api/v1/reports/activities", {"manager": march.manager_north2.pk}, headers=headers
    )
    assert response.status_code == 422
    assert "manager" in str(response.json())
    login(client, march.manager_north)
    page = client.get("/reports/activities/", {"manager": march.manager_north2.pk})
    assert page.status_code == 422
    assert "Nelu" not in page.content.decode()


def test_api_returns_the_same_numbers(march, api_token):
    response = Client().get("/api/v1/reports/activities", MARCH, headers=api_token(march.admin))
    assert response.status_code == 200
    data = response.json()
    assert data["period"] == {"first": "2026-03-01", "last": "2026-03-31"}
    rows = {row["person"]: row for row in data["figures"][0]["rows"]}
    assert rows["Sándor"]["call"] == 2 and rows["Mara"]["total"] == 4
    assert Client().get("/api/v1/reports/nothing-here", headers=api_token(march.admin)).status_code == 404


def test_csv_export_has_the_table_and_is_audited(march, client: Client):
    login(client, march.admin)
    response = client.get(
        "/reports/activities/", {**MARCH, "export": "csv", "figure": "activities-per-person"}
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    by_person = {row[0]: row for row in rows[1:]}
    assert by_person["Mara"][1:6] == ["3", "0", "1", "0", "4"]
    assert by_person["Total"][5] == "7"
    assert AuditEntry.objects.filter(event="report_exported", actor=march.admin).exists()


def test_money_columns_are_taken_out_for_people_who_see_no_money():
    figure = Figure(
        key="x",
        title="x",
        columns=[
            Column("source", "Source"),
            Column("leads", "Leads", kind="int"),
            Column("won", "Won", kind="money"),
        ],
        rows=[{"source": "web", "leads": 3, "won": 100}],
        footer={"source": "Total", "leads": 3, "won": 100},
    )
    (stripped,) = without_money([figure])
    assert [c.key for c in stripped.columns] == ["source", "leads"]
    assert stripped.rows == [{"source": "web", "leads": 3}]
    assert "won" not in stripped.footer


def test_report_index_offers_each_role_its_reports(march, client: Client):
    login(client, march.marketer_north)
    body = client.get("/reports/").content.decode()
    assert 'data-report="activities"' not in body
    login(client, march.head_north)
    assert 'data-report="activities"' in client.get("/reports/").content.decode()
