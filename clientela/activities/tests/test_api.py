"""The activities and tasks API: scoped lists, 404 for records you cannot see, the next-step rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clientela.activities.choices import ActivityKind, Direction, TaskKind
from clientela.activities.models import Activity, Task
from clientela.activities.services.log import activity_log
from clientela.activities.services.task import task_create

pytestmark = pytest.mark.django_db


def iso(hours: float) -> str:
    return (timezone.now() + dt.timedelta(hours=hours)).isoformat()


def test_log_a_call_with_next_step_and_promise(client, world, records, api_token):
    headers = api_token(world.manager_north)
    answer = client.post(
        "/api/v1/activities",
        {
            "kind": "call",
            "outcome": "reached",
            "deal": records["deal"].pk,
            "contact": records["ioana"].pk,
            "body": "Wants 10 licences",
            "duration_minutes": 7,
            "next_step": {"due_at": iso(48), "subject": "Send the contract"},
            "promises": [{"title": "Call back with the stock", "due_in_minutes": 120}],
        },
        content_type="application/json",
        headers=headers,
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (
        body["kind"] == "call"
        and body["deal"] == records["deal"].pk
        and body["client"] == records["north"].pk
    )
    kinds = set(Task.objects.filter(source_activity_id=body["id"]).values_list("kind", flat=True))
    assert kinds == {TaskKind.NEXT_STEP, TaskKind.PROMISE}


def test_a_call_without_next_step_is_422_naming_the_fields(client, world, records, api_token):
    answer = client.post(
        "/api/v1/activities",
        {"kind": "call", "outcome": "reached", "deal": records["deal"].pk},
        content_type="application/json",
        headers=api_token(world.manager_north),
    )
    assert answer.status_code == 422
    assert {"next_step_at", "next_step_subject"} <= set(answer.json()["errors"])
    assert not Activity.objects.exists()


def test_a_record_you_cannot_see_is_404(client, world, records, api_token):
    headers = api_token(world.manager_north)
    answer = client.post(
        "/api/v1/activities",
        {"kind": "note", "client": records["south"].pk, "body": "x"},
        content_type="application/json",
        headers=headers,
    )
    assert answer.status_code == 404
    assert client.get(f"/api/v1/activities?client={records['south'].pk}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/tasks?deal={records['south_deal'].pk}", headers=headers).status_code == 404


def test_lists_are_scoped_and_filtered(client, world, records, api_token):
    activity_log(by=world.manager_north, kind=ActivityKind.NOTE, client=records["north"], body="mine")
    activity_log(by=world.manager_south, kind=ActivityKind.NOTE, client=records["south"], body="theirs")
    activity_log(
        by=world.manager_north, kind=ActivityKind.EMAIL, direction=Direction.OUT, deal=records["deal"]
    )
    mara = api_token(world.manager_north)
    listed = client.get("/api/v1/activities", headers=mara).json()
    assert listed["count"] == 2 and {item["body"] for item in listed["items"]} == {"mine", ""}
    assert client.get("/api/v1/activities?kind=email", headers=mara).json()["count"] == 1
    by_deal = client.get(f"/api/v1/activities?deal={records['deal'].pk}", headers=mara).json()
    assert by_deal["count"] == 1
    theirs = Activity.objects.get(body="theirs")
    assert client.get(f"/api/v1/activities/{theirs.pk}", headers=mara).status_code == 404
    assert client.get(f"/api/v1/activities/{theirs.pk}", headers=api_token(world.admin)).status_code == 200


def test_tasks_create_patch_complete(client, world, records, make_lead, api_token):
    headers = api_token(world.manager_north)
    lead = make_lead()
    created = client.post(
        "/api/v1/tasks",
        {"title": "Call Ion", "due_at": iso(2), "kind": "call", "lead": lead.pk},
        content_type="application/json",
        headers=headers,
    )
    assert created.status_code == 201, created.content
    task_id = created.json()["id"]
    patched = client.patch(
        f"/api/v1/tasks/{task_id}",
        {"title": "Call Ion again", "priority": 2},
        content_type="application/json",
        headers=headers,
    )
    assert patched.status_code == 200 and patched.json()["title"] == "Call Ion again"
    refused = client.post(
        f"/api/v1/tasks/{task_id}/complete", {}, content_type="application/json", headers=headers
    )
    assert refused.status_code == 422 and "next_step_at" in refused.json()["errors"]
    done = client.post(
        f"/api/v1/tasks/{task_id}/complete",
        {"result": "Reached", "next_step": {"due_at": iso(30), "subject": "Meeting"}},
        content_type="application/json",
        headers=headers,
    )
    assert done.status_code == 200, done.content
    assert done.json()["task"]["done_at"] and done.json()["next_step"]["title"] == "Meeting"
    overdue = client.get("/api/v1/tasks?overdue=true", headers=headers).json()
    assert all(item["overdue"] for item in overdue["items"])


def test_task_of_someone_else_is_404_and_reassign_via_patch(client, world, api_token):
    task = task_create(by=world.manager_south, title="South task", due_at=timezone.now())
    assert client.get(f"/api/v1/tasks/{task.pk}", headers=api_token(world.manager_north)).status_code == 404
    mine = task_create(
        by=world.head_north, title="Visit", due_at=timezone.now(), assignee=world.manager_north
    )
    answer = client.patch(
        f"/api/v1/tasks/{mine.pk}",
        {"assignee": world.manager_north2.pk},
        content_type="application/json",
        headers=api_token(world.head_north),
    )
    assert answer.status_code == 200 and answer.json()["assignee"]["id"] == world.manager_north2.pk


def test_task_list_has_no_n_plus_one(client, world, records, api_token, django_assert_max_num_queries):
    for n in range(15):
        task_create(by=world.manager_north, title=f"T{n}", due_at=timezone.now(), deal=records["deal"])
    headers = api_token(world.manager_north)
    client.get("/api/v1/tasks", headers=headers)
    with django_assert_max_num_queries(8):
        answer = client.get("/api/v1/tasks?limit=100", headers=headers)
    assert answer.json()["count"] >= 15
    for n in range(15):
        activity_log(by=world.manager_north, kind=ActivityKind.NOTE, deal=records["deal"], body=str(n))
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/activities?limit=100", headers=headers).json()["count"] == 15
