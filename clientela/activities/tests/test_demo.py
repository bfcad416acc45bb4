"""The demo activities: calls, meetings, promises, next steps, waiting clients and a recurring task."""

from __future__ import annotations

import pytest

from clientela.activities import demo, keepalive
from clientela.activities.choices import ActivityKind, Recurrence, TaskKind
from clientela.activities.models import Activity, Task
from clientela.core.demo import DEMO_PASSWORD
from clientela.users import demo as users_demo


@pytest.mark.django_db
def test_demo_logs_calls_meetings_and_plans_next_steps():
    from clientela.clients import demo as clients_demo
    from clientela.deals import demo as deals_demo
    from clientela.intake import demo as leads_demo

    context = {"password": DEMO_PASSWORD, "deal_count": 12}
    users_demo.load(context)
    leads_demo.load(context)
    clients_demo.load(context)
    deals_demo.load(context)
    demo.load(context)
    assert Activity.objects.filter(kind=ActivityKind.CALL).exists()
    assert Activity.objects.filter(kind=ActivityKind.MEETING).exists()
    assert Task.objects.filter(kind=TaskKind.NEXT_STEP, source_activity__isnull=False).exists()
    assert Task.objects.filter(kind=TaskKind.PROMISE).exists()
    assert Task.objects.exclude(recurrence=Recurrence.NONE).exists()
    assert keepalive.waiting_deals(now=keepalive.timezone.now()), "some clients wait on us"
