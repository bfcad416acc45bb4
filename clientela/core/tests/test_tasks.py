"""The background-work foundation: enqueue on commit, a real worker run, idempotent effects."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from clientela.core.models import CompletedJob
from clientela.core.tasks import run_once
from clientela.users import services


def run_worker() -> None:
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--no-reload", verbosity=0
    )


@pytest.mark.django_db(transaction=True)
def test_password_reset_email_is_sent_by_the_worker(world):
    queued = services.password_reset_request(email="MNORTH@example.com", site_url="http://crm.example")
    assert queued == 1
    assert DBTaskResult.objects.filter(task_path__endswith="send_password_reset_email").count() == 1
    assert mail.outbox == [], "the request itself sends nothing"
    run_worker()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["mnorth@example.com"]
    assert "http://crm.example/password/reset/" in message.body
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_nothing_is_enqueued_when_the_transaction_rolls_back(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.password_reset_request(email="mnorth@example.com", site_url="http://crm.example")
        raise RuntimeError("boom")
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_unknown_address_queues_nothing(world):
    assert services.password_reset_request(email="nobody@example.com", site_url="http://x") == 0
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_run_once_skips_a_repeated_job_and_retries_a_failed_one():
    effects: list[str] = []

    def failing() -> None:
        effects.append("tried")
        raise ValueError("smtp down")

    with pytest.raises(ValueError):
        run_once("job-1", failing)
    assert not CompletedJob.objects.filter(key="job-1").exists(), (
        "a failed effect frees its key for the retry"
    )
    assert run_once("job-1", lambda: effects.append("done")) is True
    assert run_once("job-1", lambda: effects.append("again")) is False
    assert effects == ["tried", "done"]
