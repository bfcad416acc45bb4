from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clientela.core.periodic import PERIODIC_JOBS, enqueue_due


@pytest.mark.django_db(transaction=True)
def test_each_periodic_job_is_enqueued_once_per_interval():
    now = timezone.now()
    assert len(enqueue_due(now)) == len(PERIODIC_JOBS)
    assert enqueue_due(now + dt.timedelta(seconds=5)) == [], (
        "a second scheduler in the same interval does nothing"
    )
    later = now + max(job.every for job in PERIODIC_JOBS) + dt.timedelta(seconds=1)
    assert len(enqueue_due(later)) == len(PERIODIC_JOBS)
    assert DBTaskResult.objects.count() == 2 * len(PERIODIC_JOBS)
