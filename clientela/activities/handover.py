"""Open tasks follow handed-over clients (registered on `clients.hooks.client_handed_over`).

Open tasks of the handed-over clients, of their contacts and of their deals that one of the
previous managers was to do go to the new manager (done tasks keep who did them). Activities
(calls, meetings …) are history: they keep who did them, and stay on the client's timeline,
which the new manager sees with the client. Called inside the handover's transaction.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from clientela.activities.models import Task
from clientela.clients.selectors import records_of_clients
from clientela.clients.services.handover import handover_move_rows
from clientela.users.models import User


def move_tasks_on_handover(
    *, by: User, handover: Any, client_ids: list[int], from_user_ids: list[int], to_user: User, **_extra: Any
) -> int:
    if not from_user_ids:
        return 0
    tasks = Task.objects.filter(
        records_of_clients(Task, client_ids), done_at__isnull=True, assignee_id__in=from_user_ids
    )
    actor = by if getattr(by, "is_authenticated", False) else None
    changes = {"assignee": to_user, "updated_at": timezone.now(), "updated_by": actor}
    return handover_move_rows(
        by=by, handover=handover, rows=tasks, changes=changes, what="tasks", to_user=to_user
    )
