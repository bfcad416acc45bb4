"""Pages: the record panel (HTMX composer), task list and form, records without a next step,
the summary and keep-alive drafts, keep-alive settings — each scoped like the records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clientela.activities import selectors
from clientela.activities.choices import Outcome, TaskKind
from clientela.activities.models import Activity, KeepAlivePolicy, Task
from clientela.activities.services.log import activity_log, call_log
from clientela.activities.services.next_step import NextStep
from clientela.activities.services.task import task_create
from clientela.conftest import login

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def local_input(hours: float) -> str:
    return (timezone.localtime() + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def test_panel_renders_on_the_cards(client, world, records, make_lead):
    lead = make_lead()
    login(client, world.manager_north)
    for url in (
        f"/leads/{lead.pk}/",
        f"/clients/{records['north'].pk}/",
        f"/contacts/{records['ioana'].pk}/",
        f"/deals/{records['deal'].pk}/",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert b"data-activity-panel" in page.content, url


def test_log_a_call_from_the_panel_with_next_step(client, world, make_lead):
    lead = make_lead()
    login(client, world.manager_north)
    answer = client.post(
        f"/activities/lead/{lead.pk}/log/",
        {
            "kind": "call",
            "outcome": "reached",
            "direction": "out",
            "body": "Interested in the audit",
            "next_step_at": local_input(26),
            "next_step_subject": "Send the offer",
            "promise_title": "Send references",
            "promise_within": "120",
        },
        headers=HX,
    )
    assert answer.status_code == 200
    assert "Interested in the audit" in answer.content.decode()
    activity = Activity.objects.get(lead=lead)
    assert activity.outcome == Outcome.REACHED
    assert set(Task.objects.filter(source_activity=activity).values_list("kind", flat=True)) == {
        TaskKind.NEXT_STEP,
        TaskKind.PROMISE,
    }


def test_the_panel_refuses_a_call_without_next_step_with_field_errors(client, world, make_lead):
    lead = make_lead()
    login(client, world.manager_north)
    answer = client.post(
        f"/activities/lead/{lead.pk}/log/",
        {"kind": "call", "outcome": "reached", "direction": "out"},
        headers=HX,
    )
    assert answer.status_code == 422
    page = answer.content.decode()
    assert "When is the next contact agreed?" in page and "is-invalid" in page
    assert not Activity.objects.filter(lead=lead).exists()


def test_panel_doors_are_scoped(client, world, records):
    login(client, world.manager_north)
    assert client.get(f"/activities/client/{records['south'].pk}/").status_code == 404
    answer = client.post(f"/activities/client/{records['south'].pk}/log/", {"kind": "note", "body": "x"})
    assert answer.status_code == 404
    login(client, world.marketer_north)
    answer = client.post(
        f"/activities/deal/{records['deal'].pk}/log/", {"kind": "note", "body": "x"}, headers=HX
    )
    assert answer.status_code == 403
    assert not Activity.objects.exists()


def test_add_and_complete_a_task_from_the_panel(client, world, records):
    deal = records["deal"]
    login(client, world.manager_north)
    answer = client.post(
        f"/activities/deal/{deal.pk}/task/",
        {
            "title": "Prepare the proposal",
            "kind": "other",
            "due_at": local_input(5),
            "priority": 1,
            "recurrence_interval": 1,
        },
        headers=HX,
    )
    assert answer.status_code == 200, answer.content.decode()[:500]
    task = Task.objects.get(deal=deal, title="Prepare the proposal")
    done = client.post(f"/tasks/{task.pk}/complete/", {"panel": "1", "result": "sent"}, headers=HX)
    assert done.status_code == 200
    task.refresh_from_db()
    assert task.done_at is not None and task.result == "sent"


def test_task_list_mine_and_team_and_no_n_plus_one(client, world, records, django_assert_max_num_queries):
    Task.objects.all().delete()
    for n in range(12):
        task_create(by=world.manager_north, title=f"Mara {n}", due_at=timezone.now(), deal=records["deal"])
    task_create(by=world.manager_north2, title="Nelu's", due_at=timezone.now())
    task_create(by=world.manager_south, title="Sándor's", due_at=timezone.now())
    login(client, world.manager_north)
    client.get("/tasks/")
    with django_assert_max_num_queries(14):
        page = client.get("/tasks/?scope=team").content.decode()
    assert "Mara 11" in page and "Nelu&#x27;s" not in page and "Nelu's" not in page, (
        "a manager sees only theirs"
    )
    login(client, world.head_north)
    page = client.get("/tasks/?scope=team").content.decode()
    assert "Nelu" in page and "Sándor" not in page


def test_task_edit_is_scoped_and_saves(client, world):
    task = task_create(by=world.manager_north2, title="Nelu's", due_at=timezone.now())
    login(client, world.manager_north)
    assert client.get(f"/tasks/{task.pk}/").status_code == 404
    login(client, world.manager_north2)
    answer = client.post(
        f"/tasks/{task.pk}/",
        {
            "title": "Renamed",
            "kind": "other",
            "due_at": local_input(3),
            "priority": 2,
            "recurrence_interval": 1,
        },
    )
    assert answer.status_code == 302
    task.refresh_from_db()
    assert task.title == "Renamed" and task.priority == 2


def test_records_without_next_step(client, world, records, make_lead):
    flagged = make_lead(keep_clock=False)
    planned = make_lead(keep_clock=False)
    Task.objects.filter(lead__in=[flagged, planned]).delete()
    task_create(
        by=world.manager_north, title="Call", due_at=timezone.now() + dt.timedelta(days=1), lead=planned
    )
    task_create(
        by=world.manager_north, title="Old", due_at=timezone.now() - dt.timedelta(days=1), lead=flagged
    )
    found = selectors.records_without_next_step(world.manager_north)
    assert flagged in found.leads and planned not in found.leads
    assert records["deal"] in found.deals and records["south_deal"] not in found.deals
    login(client, world.manager_north)
    page = client.get("/next-steps/").content.decode()
    assert str(flagged) in page and str(planned) not in page and "Licences" not in page
    # Logging a call with a next step takes the lead off the list.
    call_log(
        by=world.manager_north,
        lead=flagged,
        outcome=Outcome.REACHED,
        next_step=NextStep(due_at=timezone.now() + dt.timedelta(days=2), subject="Demo"),
    )
    assert flagged not in selectors.records_without_next_step(world.manager_north).leads
    login(client, world.head_north)
    assert client.get(f"/next-steps/?owner={world.manager_north2.pk}").status_code == 200


def test_summary_email_redirects_to_compose(client, world, records):
    logged = call_log(
        by=world.manager_north,
        contact=records["ioana"],
        outcome=Outcome.REACHED,
        body="Agreed on a pilot",
        next_step=NextStep(due_at=timezone.now() + dt.timedelta(days=1), subject="Pilot kick-off"),
    )
    login(client, world.manager_north)
    answer = client.get(f"/activities/{logged.activity.pk}/summary-email/")
    assert answer.status_code == 302
    assert "compose" in answer["Location"] or f"/contacts/{records['ioana'].pk}/" in answer["Location"]
    login(client, world.manager_south)
    assert client.get(f"/activities/{logged.activity.pk}/summary-email/").status_code == 404


def test_keep_alive_settings_page(client, world):
    login(client, world.manager_north)
    assert client.get("/settings/keep-alive/").status_code == 403
    login(client, world.head_north)
    assert client.get("/settings/keep-alive/").status_code == 200
    answer = client.post("/settings/keep-alive/", {"team": world.north.pk, "enabled": "on", "days": 0})
    assert answer.status_code == 422
    answer = client.post("/settings/keep-alive/", {"team": world.north.pk, "enabled": "on", "days": 4})
    assert answer.status_code == 302
    assert KeepAlivePolicy.objects.get(team=world.north).days == 4


def test_panel_queries_do_not_grow_with_the_timeline(client, world, records, django_assert_max_num_queries):
    deal = records["deal"]

    def fill(n: int) -> None:
        for i in range(n):
            activity_log(by=world.manager_north, kind="note", deal=deal, body=f"note {i}")
            task_create(by=world.manager_north, title=f"task {i}", due_at=timezone.now(), deal=deal)

    login(client, world.manager_north)
    fill(2)
    client.get(f"/activities/deal/{deal.pk}/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(f"/activities/deal/{deal.pk}/")
    fill(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(f"/activities/deal/{deal.pk}/").content.decode()
    assert "note 9" in page and "task 9" in page


def test_next_step_flag_tag(world, records):
    from django.template import Context, Template

    rendered = Template("{% load activities %}{% next_step_flag deal %}").render(
        Context({"deal": records["deal"]})
    )
    assert "No next step" in rendered
    task_create(
        by=world.manager_north,
        title="Call",
        due_at=timezone.now() + dt.timedelta(days=1),
        deal=records["deal"],
    )
    rendered = Template("{% load activities %}{% next_step_flag deal %}").render(
        Context({"deal": records["deal"]})
    )
    assert "No next step" not in rendered
