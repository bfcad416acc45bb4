"""E-mail threads follow handed-over clients (registered on `clients.hooks.client_handed_over`).

Threads of the handed-over clients, of their contacts and of their deals that the previous
managers owned go to the new one, so replies from the client reach the person who now looks
after it. Called inside the handover's transaction.
"""

from __future__ import annotations

from typing import Any

from clientela.clients.selectors import records_of_clients
from clientela.clients.services.handover import handover_move_rows
from clientela.mail.models import Thread
from clientela.users.models import User


def move_threads_on_handover(
    *, by: User, handover: Any, client_ids: list[int], from_user_ids: list[int], to_user: User, **_extra: Any
) -> int:
    if not from_user_ids:
        return 0
    threads = Thread.objects.filter(records_of_clients(Thread, client_ids), owner_id__in=from_user_ids)
    return handover_move_rows(
        by=by, handover=handover, rows=threads, changes={"owner": to_user}, what="threads", to_user=to_user
    )
