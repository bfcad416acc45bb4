"""Qualification checklist: a lead is qualified when its team's required items hold."""

from __future__ import annotations

import pytest

from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.choices import LeadEventKind, LeadStatus, QualificationItem
from clientela.leads.models import Lead, LeadPolicy
from clientela.leads.services.lifecycle import lead_qualify
from clientela.leads.settings_services import lead_policy_save


def make_lead(world, team=None, owner=None, phone="+40721400001") -> Lead:
    team = team or world.north
    owner = owner or world.manager_north
    ctx = IntakeContext(door="manual", by=owner, team=team, owner=owner)
    raw = RawLead(name="Ion Popescu", phone=phone, company="Alpha SRL")
    return Lead.objects.get(pk=intake_submit(raw=raw, ctx=ctx).id)


def test_by_default_all_four_items_are_required(world):
    lead = make_lead(world)
    lead, missing = lead_qualify(by=world.manager_north, lead=lead, answers={"need": True, "budget": True})
    assert missing == ["authority", "timing"]
    assert lead.status == LeadStatus.NEW
    lead, missing = lead_qualify(
        by=world.manager_north, lead=lead, answers={"authority": True, "timing": True}
    )
    assert missing == [] and lead.status == LeadStatus.QUALIFIED


def test_team_requiring_need_and_budget_qualifies_with_those_two(world):
    LeadPolicy.objects.create(team=world.north, qualification_items=["need", "budget"])
    lead = make_lead(world)
    lead, missing = lead_qualify(
        by=world.manager_north, lead=lead, answers={"need": True, "budget": True, "authority": False}
    )
    assert missing == [] and lead.status == LeadStatus.QUALIFIED
    assert lead.events.filter(kind=LeadEventKind.STATUS, data__new=LeadStatus.QUALIFIED).exists()


def test_a_required_item_that_does_not_hold_keeps_the_lead_unqualified(world):
    LeadPolicy.objects.create(team=world.north, qualification_items=["need", "budget"])
    lead = make_lead(world)
    lead, missing = lead_qualify(by=world.manager_north, lead=lead, answers={"need": True, "budget": False})
    assert missing == ["budget"] and lead.status != LeadStatus.QUALIFIED


def test_unchecking_a_required_item_takes_the_qualification_back(world):
    LeadPolicy.objects.create(team=world.north, qualification_items=["need"])
    lead = make_lead(world)
    lead, _ = lead_qualify(by=world.manager_north, lead=lead, answers={"need": True})
    assert lead.status == LeadStatus.QUALIFIED
    lead, missing = lead_qualify(by=world.manager_north, lead=lead, answers={"need": False})
    assert missing == ["need"] and lead.status == LeadStatus.IN_WORK


def test_each_team_uses_its_own_checklist(world):
    LeadPolicy.objects.create(team=world.north, qualification_items=["need"])
    LeadPolicy.objects.create(team=world.south, qualification_items=["need", "authority"])
    north = make_lead(world)
    south = make_lead(world, team=world.south, owner=world.manager_south, phone="+36201234567")
    north, _ = lead_qualify(by=world.manager_north, lead=north, answers={"need": True})
    south, missing = lead_qualify(by=world.manager_south, lead=south, answers={"need": True})
    assert north.status == LeadStatus.QUALIFIED
    assert south.status != LeadStatus.QUALIFIED and missing == ["authority"]


def test_checklist_changed_in_settings_applies_to_the_next_answer(world):
    lead = make_lead(world)
    lead, missing = lead_qualify(by=world.manager_north, lead=lead, answers={"need": True, "timing": True})
    assert missing == ["budget", "authority"]
    lead_policy_save(by=world.head_north, team=world.north, data={"qualification_items": ["need", "timing"]})
    lead, missing = lead_qualify(by=world.manager_north, lead=lead, answers={})
    assert missing == [] and lead.status == LeadStatus.QUALIFIED


def test_answers_are_kept_and_unknown_items_rejected(world):
    lead = make_lead(world)
    lead, _ = lead_qualify(by=world.manager_north, lead=lead, answers={"need": True})
    lead, _ = lead_qualify(by=world.manager_north, lead=lead, answers={"budget": False})
    assert lead.qualification == {"need": True, "budget": False}
    with pytest.raises(BusinessError) as caught:
        lead_qualify(by=world.manager_north, lead=lead, answers={"mood": True})
    assert "mood" in caught.value.errors


def test_only_people_who_work_the_lead_qualify_it(world):
    lead = make_lead(world)
    with pytest.raises(PermissionDeniedError):
        lead_qualify(by=world.manager_south, lead=lead, answers={"need": True})
    assert QualificationItem.NEED not in Lead.objects.get(pk=lead.pk).qualification
