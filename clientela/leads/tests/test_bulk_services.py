"""Bulk actions on the lead list are services (`leads_assign`, `leads_refuse`): the role check,
every selected lead visible to the person, one transaction, one bulk audit entry — or nothing."""

from __future__ import annotations

import pytest

from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.models import AuditAction, AuditEntry
from clientela.leads.models import Lead, RefusalReason
from clientela.leads.services.bulk import leads_assign, leads_refuse
from clientela.leads.services.convert import lead_convert
from clientela.leads.tests.test_views_helpers import make_lead


def bulk_entries() -> int:
    return AuditEntry.objects.filter(action=AuditAction.BULK).count()


def test_leads_assign_moves_every_lead_with_one_audit_entry(world):
    leads = [make_lead(owner=world.manager_north, team=world.north) for _ in range(2)]
    leads_assign(by=world.head_north, ids=[lead.pk for lead in leads], owner=world.manager_north2)
    assert set(Lead.objects.values_list("owner", flat=True)) == {world.manager_north2.pk}
    entry = AuditEntry.objects.get(action=AuditAction.BULK, event="bulk_assign")
    assert entry.changes["owner"] == world.manager_north2.pk


def test_leads_assign_is_refused_to_a_manager(world):
    lead = make_lead(owner=world.manager_north, team=world.north)
    with pytest.raises(PermissionDeniedError):
        leads_assign(by=world.manager_north, ids=[lead.pk], owner=world.manager_north2)
    assert Lead.objects.get(pk=lead.pk).owner == world.manager_north and bulk_entries() == 0


def test_a_lead_out_of_sight_stops_the_batch(world):
    own = make_lead(owner=world.manager_north, team=world.north)
    foreign = make_lead(owner=world.manager_south, team=world.south)
    reason = RefusalReason.objects.get(code="no_budget")
    with pytest.raises(BusinessError):
        leads_refuse(by=world.manager_north, ids=[own.pk, foreign.pk], reason=reason)
    assert set(Lead.objects.values_list("status", flat=True)) == {"new"} and bulk_entries() == 0


def test_leads_refuse_names_the_lead_that_broke_a_rule_and_changes_nothing(world):
    good = make_lead(owner=world.manager_north, team=world.north)
    converted = make_lead(owner=world.manager_north, team=world.north)
    lead_convert(by=world.manager_north, lead=converted, client_name="Acme")
    reason = RefusalReason.objects.get(code="no_budget")
    with pytest.raises(BusinessError) as caught:
        leads_refuse(by=world.manager_north, ids=[good.pk, converted.pk], reason=reason, note="x")
    assert str(converted) in caught.value.message
    assert Lead.objects.get(pk=good.pk).status == "new" and bulk_entries() == 0
