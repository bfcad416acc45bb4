"""The one intake pipeline: validate → normalise → deduplicate → classify → assign → first task."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clientela.activities.choices import Priority, TaskKind
from clientela.activities.models import Task
from clientela.clients.models import Client, Contact
from clientela.core.errors import BusinessError
from clientela.core.models import AuditEntry, Notification
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.choices import LeadStatus
from clientela.leads.models import Interest, Lead


@pytest.fixture
def ctx(world):
    return IntakeContext(door="api", team=world.north, default_source="web_form")


def submit(ctx, **fields):
    return intake_submit(raw=RawLead(**fields), ctx=ctx)


def test_person_with_phone_becomes_a_normalised_lead(ctx):
    result = submit(
        ctx, name="  Ion   Popescu ", phone="0721 123 456", email="Ion@Example.COM", company="Alpha SRL"
    )
    lead = Lead.objects.get(pk=result.id)
    assert result.kind == "lead" and result.duplicate_of is None
    assert (lead.first_name, lead.last_name) == ("Ion", "Popescu")
    assert (lead.phone, lead.phone_raw) == ("+40721123456", "0721 123 456")
    assert (lead.email, lead.email_raw) == ("ion@example.com", "Ion@Example.COM")
    assert lead.origin == "net", "web forms are inbound marketing (net)"
    assert lead.status == LeadStatus.NEW


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"company": "Alpha SRL", "phone": "+40 21 555 1234"}, "no person's name"),
        ({"name": "Ion Popescu"}, "a name but no phone or e-mail"),
        ({"message": "Send me prices"}, "no name and no way to reach anyone"),
    ],
)
def test_attention_without_a_reachable_person_becomes_an_interest(ctx, fields, why):
    result = submit(ctx, **fields)
    assert result.kind == "interest"
    assert Interest.objects.get(pk=result.id).reason == why
    assert not Lead.objects.exists()


def test_nothing_at_all_is_rejected_with_a_reason(ctx):
    with pytest.raises(BusinessError) as exc:
        submit(ctx, consent="yes")
    assert "Nothing to go on" in exc.value.message
    assert not Lead.objects.exists() and not Interest.objects.exists()


def test_bad_values_are_field_errors_and_write_nothing(ctx):
    with pytest.raises(BusinessError) as exc:
        submit(ctx, name="Ion", email="ion@", phone="abc", country="Romania", source="fax", consent="maybe")
    assert set(exc.value.errors) == {"email", "phone", "country", "source", "consent"}
    assert not Lead.objects.exists()


@pytest.mark.parametrize("again", ["ION@example.com", "  ion@example.com "])
def test_duplicate_by_email_is_a_touch_not_a_new_lead(ctx, world, again):
    first = submit(ctx, name="Ion Popescu", email="ion@example.com")
    second = submit(ctx, name="Ion P.", email=again)
    assert second.as_response() == {"kind": "lead", "id": first.id, "duplicate_of": first.id}
    lead = Lead.objects.get()
    assert lead.touch_count == 2
    assert lead.events.filter(kind="touch").exists()
    assert Notification.objects.filter(user=lead.owner, verb="lead_touch").exists()


@pytest.mark.parametrize("again", ["0040721123456", "(+40) 721-123-456", "+40-721-123456", "0721 123 456"])
def test_duplicate_by_phone_in_another_format(ctx, again):
    first = submit(ctx, name="Ion Popescu", phone="+40 721 123 456")
    second = submit(ctx, name="Ion Popescu", phone=again)
    assert second.duplicate_of == first.id
    assert Lead.objects.count() == 1


def test_duplicate_of_a_contact_or_client_is_not_a_new_lead(ctx, world):
    client = Client.objects.create(
        name="Alpha", owner=world.manager_north, team=world.north, phone="+40215551234"
    )
    contact = Contact.objects.create(client=client, first_name="Ana", email="ana@alpha.example")
    Client.objects.filter(pk=client.pk).update(last_contact_at=timezone.now() - dt.timedelta(days=400))
    by_contact = submit(ctx, name="Ana Alpha", email="ANA@alpha.example")
    client.refresh_from_db()
    assert timezone.now() - client.last_contact_at < dt.timedelta(minutes=1), "a contact's enquiry counts"
    Client.objects.filter(pk=client.pk).update(last_contact_at=timezone.now() - dt.timedelta(days=400))
    by_client = submit(ctx, name="Reception", phone="021 555 1234")
    assert (by_contact.kind, by_contact.id) == ("contact", contact.pk)
    assert (by_client.kind, by_client.id) == ("client", client.pk)
    assert not Lead.objects.exists()
    assert Notification.objects.filter(user=world.manager_north, verb="client_touch").count() == 2
    client.refresh_from_db()
    assert timezone.now() - client.last_contact_at < dt.timedelta(minutes=1), "so does the client's own"


def test_refused_lead_does_not_swallow_a_new_arrival(ctx, world):
    from clientela.leads.models import RefusalReason
    from clientela.leads.services.refuse import lead_refuse

    old = Lead.objects.get(pk=submit(ctx, name="Ion Popescu", email="ion@example.com").id)
    lead_refuse(by=world.admin, lead=old, reason=RefusalReason.objects.get(code="price"))
    again = submit(ctx, name="Ion Popescu", email="ion@example.com")
    assert again.duplicate_of is None and again.id != old.id


def test_new_lead_is_assigned_and_gets_a_first_task_due_within_two_hours(ctx, world):
    before = timezone.now()
    lead = Lead.objects.get(pk=submit(ctx, name="Ion Popescu", phone="+40721123456").id)
    assert lead.owner in {world.manager_north, world.manager_north2}
    assert lead.assignment_reason
    task = Task.objects.get(lead=lead)
    assert task.kind == TaskKind.FIRST_CONTACT and task.assignee == lead.owner
    assert before + dt.timedelta(hours=2) <= task.due_at <= timezone.now() + dt.timedelta(hours=2)
    created = AuditEntry.objects.get(object_id=str(task.pk), content_type__model="task", action="create")
    assert created.changes["kind"] == [None, TaskKind.FIRST_CONTACT]


def test_callback_request_gets_an_urgent_call_back_task(world):
    ctx = IntakeContext(door="form", team=world.north, default_source="callback_widget", callback=True)
    lead = Lead.objects.get(pk=intake_submit(raw=RawLead(name="Ion", phone="+40721123456"), ctx=ctx).id)
    task = Task.objects.get(lead=lead)
    assert (task.kind, task.priority) == (TaskKind.CALL_BACK, Priority.URGENT)
    assert task.due_at <= timezone.now() + dt.timedelta(minutes=15)


def test_consent_is_recorded_with_date_and_source(ctx):
    lead = Lead.objects.get(pk=submit(ctx, name="Ion", email="ion@example.com", consent="yes").id)
    assert lead.consent and lead.consent_at is not None and lead.consent_source == "api"


def test_explicit_owner_skips_distribution(world):
    ctx = IntakeContext(
        door="manual",
        by=world.manager_north2,
        team=world.north,
        owner=world.manager_north2,
        default_source="manual",
    )
    lead = Lead.objects.get(pk=intake_submit(raw=RawLead(name="Ion", phone="+40721123456"), ctx=ctx).id)
    assert lead.owner == world.manager_north2
    assert lead.origin == "spear"
