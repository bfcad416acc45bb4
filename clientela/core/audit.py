"""The audit trail: every business change goes through these functions.

Services call `audit_create` / `model_update` / `audit_event` inside their transaction, so a
change and its audit entry are written together or not at all. Bulk operations (imports, mass
reassignment) write one `audit_bulk` entry for the whole batch.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import models

from clientela.core.models import AuditAction, AuditEntry, BusinessModel

M = TypeVar("M", bound=models.Model)


def json_safe(value: Any) -> Any:
    """A value as it can be stored in the audit log's JSON and read back by a person."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [json_safe(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    return str(value)


def _field_value(instance: models.Model, name: str) -> Any:
    field = instance._meta.get_field(name)
    if isinstance(field, models.ForeignKey):
        return getattr(instance, field.attname)
    return getattr(instance, name)


def audit_create(*, actor: Any, instance: models.Model, fields: Iterable[str] | None = None) -> AuditEntry:
    """Record that `instance` was created, with the initial values of `fields`."""
    names = list(fields) if fields is not None else _concrete_field_names(instance)
    changes = {name: [None, json_safe(_field_value(instance, name))] for name in names}
    return _write(actor=actor, instance=instance, action=AuditAction.CREATE, changes=changes)


def audit_event(
    *, actor: Any, instance: models.Model, event: str, changes: Mapping[str, Any] | None = None
) -> AuditEntry:
    """Record a named business event (converted, assigned, locked out …) on one record."""
    return _write(
        actor=actor,
        instance=instance,
        action=AuditAction.EVENT,
        event=event,
        changes={key: json_safe(value) for key, value in (changes or {}).items()},
    )


def audit_bulk(
    *, actor: Any, model: type[models.Model], event: str, details: Mapping[str, Any]
) -> AuditEntry:
    """One entry for a whole batch operation on many records of `model`."""
    return AuditEntry.objects.create(
        actor=_actor_or_none(actor),
        action=AuditAction.BULK,
        event=event,
        content_type=ContentType.objects.get_for_model(model),
        object_repr=str(model._meta.verbose_name_plural),
        changes=json_safe(dict(details)),
    )


def model_update(*, instance: M, data: Mapping[str, Any], actor: Any) -> tuple[M, dict[str, list[Any]]]:
    """Apply `data` to `instance`, save only what changed, and audit it.

    Returns the instance and the changes as `{field: [old, new]}` (empty if nothing changed).
    """
    changes: dict[str, list[Any]] = {}
    for name, new_value in data.items():
        old_value = getattr(instance, name)
        if old_value != new_value:
            changes[name] = [json_safe(old_value), json_safe(new_value)]
            setattr(instance, name, new_value)
    if not changes:
        return instance, changes
    update_fields = list(changes)
    if isinstance(instance, BusinessModel):
        instance.updated_by = _actor_or_none(actor)
        update_fields += ["updated_by", "updated_at"]
    instance.full_clean()
    instance.save(update_fields=update_fields)
    _write(actor=actor, instance=instance, action=AuditAction.UPDATE, changes=changes)
    return instance, changes


def history_for(instance: models.Model) -> models.QuerySet[AuditEntry]:
    """The audit entries of one record, newest first."""
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(instance), object_id=str(instance.pk)
    ).select_related("actor")


def _concrete_field_names(instance: models.Model) -> list[str]:
    skip = {"id", "created_at", "updated_at", "created_by", "updated_by", "password"}
    return [
        field.name
        for field in instance._meta.concrete_fields
        if field.name not in skip and not field.name.endswith("_hash")
    ]


def _actor_or_none(actor: Any) -> Any:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor


def _write(
    *,
    actor: Any,
    instance: models.Model,
    action: str,
    changes: dict[str, Any],
    event: str = "",
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=_actor_or_none(actor),
        action=action,
        event=event,
        content_type=ContentType.objects.get_for_model(instance),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        changes=changes,
    )
