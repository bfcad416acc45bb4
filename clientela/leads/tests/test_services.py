"""Lead lifecycle services: conversion, refusal, postponement, merge, upgrade, history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from clientela.activities.models import Task
from clientela.clients.models import Client
from clientela.core.audit import history_for
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.models import Notification
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.choices import LeadEventKind, LeadStatus
from clientela.leads.lists import LEADS
from clientela.leads.models import Interest, Lead, RefusalReason
from clientela.leads.selectors import lead_list
from clientela.leads.services.convert import lead_convert
from clientela.leads.services.lifecycle import lead_assign, lead_qualify, lead_start_work
from clientela.leads.services.merge import lead_merge
from clientela.leads.services.refuse import lead_postpone, lead_refuse, leads_return_due
from clientela.leads.services.upgrade import interest_upgrade


def make_lead(world, owner=None, **fields) -> Lead:
    ctx = IntakeContext(door="manual", by=owner, team=world.north, owner=owner or world.manager_north)
    data = {"name": "Ion Popescu", "phone": "+40721123456", "company": "Alpha SRL", **fields}
    return Lead.objects.get(pk=intake_submit(raw=RawLead(**data), ctx=ctx).id)


def reason(code: str = "price") -> RefusalReason:
    return RefusalReason.objects.get(code=code)


def test_conversion_creates_client_and_contact_linked_both_ways(world):
    lead = make_lead(world, email="ion@alpha.example")
    before = timezone.now()
    conversion = lead_convert(by=world.manager_north, lead=lead, client_owner=world.manager_north2)
    lead.refresh_from_db()
    client, contact = conversion.client, conversion.contact
    assert conversion.client_created and client.name == "Alpha SRL"
    assert lead.status == LeadStatus.CONVERTED and before <= lead.converted_at <= timezone.now()
    assert (lead.client, lead.contact) == (client, contact)
    assert list(client.source_leads.all()) == [lead] and list(contact.source_leads.all()) == [lead]
    assert client.owner == world.manager_north2, "the client may get a different personal manager"
    assert lead.owner == world.manager_north, "the lead keeps its owner in history"
    assert (contact.email, contact.phone, contact.client) == ("ion@alpha.example", "+40721123456", client)
    assert lead.events.filter(kind=LeadEventKind.CONVERTED).exists()
    assert Notification.objects.filter(user=world.manager_north2, verb="client_assigned").exists()
    assert not Task.objects.filter(lead=lead, done_at__isnull=True).exists()


def test_conversion_to_an_existing_client_attaches_instead_of_duplicating(world):
    client = Client.objects.create(name="Alpha SRL", owner=world.manager_north, team=world.north)
    lead = make_lead(world, name="Maria Alpha", phone="+40721999888")
    conversion = lead_convert(by=world.manager_north, lead=lead, client=client, contact_role="buyer")
    assert not conversion.client_created
    assert Client.objects.count() == 1
    assert conversion.contact.client == client and conversion.contact.role == "buyer"


def test_a_lead_converts_only_once(world):
    lead = make_lead(world)
    lead_convert(by=world.manager_north, lead=lead)
    with pytest.raises(ConflictError):
        lead_convert(by=world.manager_north, lead=Lead.objects.get(pk=lead.pk))
    assert Client.objects.count() == 1


def test_refusal_never_deletes_and_stays_searchable(world):
    lead = make_lead(world, name="Ștefan Морозов")
    lead_refuse(by=world.manager_north, lead=lead, reason=reason("competitor"), note="Went with rival")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.REFUSED and lead.refusal_reason.code == "competitor"
    found = lead_list(viewer=world.manager_north, filters=LEADS.values(q="stefan", status="refused"))
    assert list(found) == [lead]
    assert list(lead_list(viewer=world.manager_north, filters=LEADS.values(q="морозов"))) == [lead]
    assert lead.events.filter(kind=LeadEventKind.REFUSED, actor=world.manager_north).exists()


def test_refusal_by_someone_outside_the_team_is_denied_and_changes_nothing(world):
    lead = make_lead(world)
    with pytest.raises(PermissionDeniedError):
        lead_refuse(by=world.manager_south, lead=lead, reason=reason())
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


@pytest.mark.django_db(transaction=True)
def test_farewell_letter_is_queued_sent_once_and_questionnaire_records_answer(world, client):
    lead = make_lead(world, email="ion@alpha.example")
    lead_refuse(by=world.manager_north, lead=lead, reason=reason("no_budget"), farewell=True)
    assert mail.outbox == []
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--no-reload", verbosity=0
    )
    assert len(mail.outbox) == 1
    letter = mail.outbox[0]
    assert letter.to == ["ion@alpha.example"]
    path = letter.body.split("http://testserver", 1)[1].split()[0]
    from clientela.leads.tasks import send_farewell_letter

    send_farewell_letter.call(lead_id=lead.pk)  # a re-delivered job sends nothing more
    assert len(mail.outbox) == 1
    page = client.get(path)
    assert page.status_code == 200
    answered = client.post(path, {"reason": "price", "comment": "Too expensive this year"})
    assert answered.status_code == 200
    assert lead.events.filter(data__questionnaire_reason="price").exists()


def test_farewell_needs_an_email(world):
    lead = make_lead(world)
    with pytest.raises(BusinessError) as exc:
        lead_refuse(by=world.manager_north, lead=lead, reason=reason(), farewell=True)
    assert "farewell" in exc.value.errors


def test_postponed_lead_returns_to_its_owner_on_its_date(world):
    lead = make_lead(world)
    day = timezone.localdate() + dt.timedelta(days=30)
    lead_refuse(by=world.manager_north, lead=lead, reason=reason("timing"), postpone_until=day)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.POSTPONED and lead.postponed_until == day
    assert leads_return_due(today=day - dt.timedelta(days=1)) == 0
    assert leads_return_due(today=day) == 1
    assert leads_return_due(today=day) == 0, "returning is idempotent"
    lead.refresh_from_db()
    assert lead.status == LeadStatus.IN_WORK and lead.postponed_until is None
    task = Task.objects.get(lead=lead, kind="recontact", done_at__isnull=True)
    assert task.assignee == world.manager_north
    assert Notification.objects.filter(user=world.manager_north, verb="lead_returned").exists()


def test_postpone_date_must_be_in_the_future(world):
    lead = make_lead(world)
    with pytest.raises(BusinessError) as exc:
        lead_postpone(by=world.manager_north, lead=lead, until=timezone.localdate())
    assert "until" in exc.value.errors


def test_merge_keeps_all_history_of_both(world):
    target = make_lead(world, name="Алексей Морозов", phone="+40721000001", company="")
    other = make_lead(
        world,
        name="Aleksei Morozov",
        phone="+40721000002",
        email="a.morozov@nord.example",
        company="Nord SRL",
    )
    other_events = set(other.events.values_list("pk", flat=True))
    lead_merge(by=world.manager_north, target=target, other=other)
    target.refresh_from_db()
    other.refresh_from_db()
    assert other.merged_into == target, "the merged lead is kept, pointing to the survivor"
    assert other_events <= set(target.events.values_list("pk", flat=True))
    assert target.email == "a.morozov@nord.example" and target.company_name == "Nord SRL"
    assert target.phone == "+40721000001", "filled fields of the survivor are not overwritten"
    assert history_for(target).filter(event="merged").exists()
    assert history_for(other).filter(event="merged_into").exists()
    assert not lead_list(viewer=world.admin, filters=LEADS.values(q="nord")).filter(pk=other.pk).exists()


def test_fuzzy_candidates_across_scripts(world):
    from clientela.leads.selectors import fuzzy_candidates

    a = make_lead(world, name="Алексей Морозов", phone="+40721000001", company="Nord SRL")
    b = make_lead(world, name="Aleksei Morozov", phone="+40721000002", company="NORD")
    make_lead(world, name="Aleksei Morozov", phone="+40721000003", company="Other Kft")
    assert fuzzy_candidates(viewer=world.manager_north, lead=a) == [b]


def test_interest_upgrades_to_a_lead_when_a_person_appears(world):
    ctx = IntakeContext(door="form", team=world.north, default_source="web_form")
    interest = Interest.objects.get(
        pk=intake_submit(raw=RawLead(company="Alpha SRL", phone="+40215551234"), ctx=ctx).id
    )
    with pytest.raises(BusinessError):
        interest_upgrade(by=world.manager_north, interest=interest, fields={})
    lead = interest_upgrade(by=world.manager_north, interest=interest, fields={"first_name": "Ana"})
    interest.refresh_from_db()
    assert interest.upgraded_to == lead
    assert (lead.company_name, lead.phone, lead.source) == ("Alpha SRL", "+40215551234", "web_form")
    with pytest.raises(ConflictError):
        interest_upgrade(by=world.manager_north, interest=interest, fields={"first_name": "Ana"})


def test_every_status_change_is_in_history_with_who_and_when(world):
    lead = make_lead(world)
    lead_start_work(by=world.manager_north, lead=lead)
    lead_qualify(
        by=world.manager_north,
        lead=lead,
        answers={"need": True, "budget": True, "authority": True, "timing": True},
    )
    statuses = list(
        lead.events.filter(kind=LeadEventKind.STATUS).order_by("at", "id").values_list("data__new", "actor")
    )
    assert statuses == [("in_work", world.manager_north.pk), ("qualified", world.manager_north.pk)]
    assert history_for(lead).filter(event="status_qualified", actor=world.manager_north).exists()


def test_reassignment_keeps_history_and_notifies_both(world):
    lead = make_lead(world)
    lead_assign(by=world.head_north, lead=lead, owner=world.manager_north2)
    lead.refresh_from_db()
    assert lead.owner == world.manager_north2
    assert Notification.objects.filter(user=world.manager_north2, verb="lead_assigned").exists()
    assert Notification.objects.filter(user=world.manager_north, verb="lead_reassigned").exists()
    assert lead.events.filter(kind=LeadEventKind.ASSIGNED).count() == 2
    assert Task.objects.get(lead=lead).assignee == world.manager_north2


def test_manager_cannot_reassign_but_can_take_an_unassigned_team_lead(world):
    lead = make_lead(world)
    with pytest.raises(PermissionDeniedError):
        lead_assign(by=world.manager_north2, lead=lead, owner=world.manager_north2)
    Lead.objects.filter(pk=lead.pk).update(owner=None)
    lead.refresh_from_db()
    lead_assign(by=world.manager_north2, lead=lead, owner=world.manager_north2)
    lead.refresh_from_db()
    assert lead.owner == world.manager_north2 and lead.status == LeadStatus.IN_WORK


@pytest.mark.django_db(transaction=True)
def test_postponement_defers_the_return_job_to_the_start_of_that_day(world):
    from django_tasks_db.models import DBTaskResult

    world.north.time_zone = "Europe/Bucharest"
    world.north.save()
    lead = make_lead(world)
    day = timezone.localdate() + dt.timedelta(days=10)
    lead_postpone(by=world.manager_north, lead=lead, until=day)
    job = DBTaskResult.objects.get(task_path__endswith="return_postponed_lead")
    import zoneinfo

    expected = dt.datetime.combine(day, dt.time(0, 0), tzinfo=zoneinfo.ZoneInfo("Europe/Bucharest"))
    assert job.run_after == expected
    assert job.args_kwargs["kwargs"] == {"lead_id": lead.pk}
