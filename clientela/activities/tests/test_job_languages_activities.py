"""Task notices are written in the assignee's language, not in the language of the process that
writes them (the reminder job runs in the site's language; a colleague may use another one)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from clientela.activities.services.reminders import reminders_sweep
from clientela.activities.services.task import task_create, task_reassign
from clientela.core.tests.languages import in_ro, romanian, text
from clientela.core.zones import format_moment

pytestmark = pytest.mark.django_db


def test_a_task_given_by_a_colleague_is_announced_in_the_assignees_language(world):
    romanian(world.manager_north)
    with translation.override("en"):  # the head works in English
        task = task_create(
            by=world.head_north,
            title="Sună clientul",
            due_at=timezone.now() + dt.timedelta(days=1),
            assignee=world.manager_north,
        )
    assert text(world.manager_north, "task_assigned") == in_ro(
        "%(who)s gave you a task: %(title)s", {"who": world.head_north, "title": task.title}
    )


def test_reassigning_tells_each_person_in_their_own_language(world):
    romanian(world.manager_north2)
    with translation.override("en"):
        task = task_create(
            by=world.head_north, title="Offer", due_at=timezone.now(), assignee=world.manager_north
        )
        task_reassign(by=world.head_north, task=task, assignee=world.manager_north2)
    assert text(world.manager_north2, "task_assigned") == in_ro(
        "%(who)s gave you a task: %(title)s", {"who": world.head_north, "title": "Offer"}
    )
    # The previous assignee reads English: their notice stays English.
    assert (
        text(world.manager_north, "task_reassigned")
        == f"Your task Offer now belongs to {world.manager_north2}"
    )


def test_the_previous_assignee_hears_of_the_move_in_their_language(world):
    romanian(world.manager_north)
    with translation.override("en"):
        task = task_create(
            by=world.head_north, title="Offer", due_at=timezone.now(), assignee=world.manager_north
        )
        task_reassign(by=world.head_north, task=task, assignee=world.manager_north2)
    assert text(world.manager_north, "task_reassigned") == in_ro(
        "Your task %(title)s now belongs to %(who)s", {"title": "Offer", "who": world.manager_north2}
    )
    assert text(world.manager_north2, "task_assigned").startswith(f"{world.head_north} gave you a task")


def test_the_reminder_job_writes_in_the_assignees_language(world):
    romanian(world.manager_north)
    past = timezone.now() - dt.timedelta(minutes=5)
    task = task_create(by=world.manager_north, title="Ofertă", due_at=past, reminder_at=past)
    with translation.override("en"):  # the job runs in the site's language
        assert reminders_sweep() == 1
    with translation.override("ro"):  # the assignee's language and zone
        due = format_moment(task.due_at, world.manager_north)
    assert text(world.manager_north, "task_reminder") == in_ro(
        "Reminder: %(title)s (due %(due)s)", {"title": "Ofertă", "due": due}
    )


def test_an_english_reader_keeps_english_when_the_job_runs_in_romanian(world):
    past = timezone.now() - dt.timedelta(minutes=5)
    task_create(by=world.manager_north, title="Offer", due_at=past, reminder_at=past)
    with translation.override("ro"):
        reminders_sweep()
    assert text(world.manager_north, "task_reminder").startswith("Reminder: Offer (due ")
