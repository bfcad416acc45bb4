"""What else moves when clients get a new personal manager: open tasks and e-mail threads.

Registered as handover hooks (`extensions.register_handover_hook`) by `ClientsConfig.ready()`
when the activities / mail apps are installed; the models are looked up by name, so this app
does not import those capabilities. Called inside the handover's transaction.

* **Open tasks** of the handed-over clients, of their contacts and of their deals that one of
  the previous managers was to do go to the new manager (done tasks keep who did them).
* **E-mail threads** of the same records that the previous managers owned go to the new one,
  so replies from the client reach the person who now looks after it.

Activities (calls, meetings …) are history: they keep who did them, and stay on the client's
timeline, which the new manager sees with the client.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, Q
from django.utils import timezone

from clientela.core.audit import audit_bulk


def _model(label: str) -> type[Model] | None:
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _has(model: type[Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _records_of_clients(model: type[Model], client_ids: list[int]) -> Q:
    """Rows of `model` linked to these clients directly, through a contact or through a deal."""
    condition = Q(pk__in=[])
    if _has(model, "client"):
        condition |= Q(client_id__in=client_ids)
    if _has(model, "contact"):
        condition |= Q(contact__client_id__in=client_ids)
    if _has(model, "deal"):
        condition |= Q(deal__client_id__in=client_ids)
    return condition


def _actor(by: Any) -> Any:
    return by if getattr(by, "is_authenticated", False) else None


def move_tasks_on_handover(
    *, by: Any, handover: Any, client_ids: list[int], from_user_ids: list[int], to_user: Any, **_extra: Any
) -> int:
    Task = _model("activities.Task")
    if Task is None or not from_user_ids:
        return 0
    tasks = Task.objects.filter(  # type: ignore[attr-defined]
        _records_of_clients(Task, client_ids), done_at__isnull=True, assignee_id__in=from_user_ids
    )
    ids = list(tasks.values_list("pk", flat=True))
    if not ids:
        return 0
    changes: dict[str, Any] = {"assignee": to_user, "updated_at": timezone.now(), "updated_by": _actor(by)}
    if _has(Task, "team") and to_user.team_id:
        changes["team_id"] = to_user.team_id
    Task.objects.filter(pk__in=ids).update(**changes)  # type: ignore[attr-defined]
    audit_bulk(
        actor=by,
        model=Task,
        event="handover",
        details={"handover": getattr(handover, "pk", None), "tasks": ids, "to_user": to_user.pk},
    )
    return len(ids)


def move_threads_on_handover(
    *, by: Any, handover: Any, client_ids: list[int], from_user_ids: list[int], to_user: Any, **_extra: Any
) -> int:
    Thread = _model("mail.Thread")
    if Thread is None or not _has(Thread, "owner") or not from_user_ids:
        return 0
    threads = Thread.objects.filter(  # type: ignore[attr-defined]
        _records_of_clients(Thread, client_ids), owner_id__in=from_user_ids
    )
    ids = list(threads.values_list("pk", flat=True))
    if not ids:
        return 0
    changes: dict[str, Any] = {"owner": to_user}
    if _has(Thread, "team") and to_user.team_id:
        changes["team_id"] = to_user.team_id
    if _has(Thread, "updated_at"):
        changes["updated_at"] = timezone.now()
    Thread.objects.filter(pk__in=ids).update(**changes)  # type: ignore[attr-defined]
    audit_bulk(
        actor=by,
        model=Thread,
        event="handover",
        details={"handover": getattr(handover, "pk", None), "threads": ids, "to_user": to_user.pk},
    )
    return len(ids)
