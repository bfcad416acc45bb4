from __future__ import annotations

import pytest

from clientela.core.audit import audit_bulk, history_for, model_update
from clientela.core.errors import BusinessError
from clientela.core.models import AuditAction, AuditEntry
from clientela.core.tests.toy.models import ToyRecord
from clientela.users import services


def test_update_records_who_changed_what_from_what_to_what(world):
    record = ToyRecord.objects.create(title="Old", owner=world.manager_north, team=world.north)
    model_update(
        instance=record, data={"title": "New", "owner": world.manager_north2}, actor=world.head_north
    )
    record.refresh_from_db()
    assert record.updated_by == world.head_north
    entry = history_for(record).get()
    assert entry.actor == world.head_north
    assert entry.action == AuditAction.UPDATE
    assert entry.changes == {
        "title": ["Old", "New"],
        "owner": [world.manager_north.pk, world.manager_north2.pk],
    }


def test_update_without_changes_writes_nothing(world):
    record = ToyRecord.objects.create(title="Same", team=world.north)
    _record, changes = model_update(instance=record, data={"title": "Same"}, actor=world.admin)
    assert changes == {}
    assert not history_for(record).exists()


def test_bulk_operation_is_one_event(world):
    audit_bulk(
        actor=world.admin,
        model=ToyRecord,
        event="reassigned",
        details={"count": 120, "to": world.manager_north},
    )
    entry = AuditEntry.objects.get(action=AuditAction.BULK)
    assert entry.event == "reassigned"
    assert entry.changes == {"count": 120, "to": world.manager_north.pk}


def test_user_and_team_changes_are_audited(world):
    services.user_update(by=world.admin, user=world.manager_north, data={"role": "head", "team": world.south})
    entry = history_for(world.manager_north).filter(action=AuditAction.UPDATE).get()
    assert entry.changes == {"role": ["manager", "head"], "team": [world.north.pk, world.south.pk]}
    assert history_for(world.north).filter(action=AuditAction.CREATE).exists()


def test_failed_business_rule_leaves_no_change_and_no_audit(world):
    before = AuditEntry.objects.count()
    with pytest.raises(BusinessError):
        services.user_create(by=world.admin, username="x", password="short", role="manager")
    assert AuditEntry.objects.count() == before
    assert not world.admin.__class__.objects.filter(username="x").exists()
