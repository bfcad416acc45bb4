"""Contacts: values checked per field, roles, consent, and a person moving between clients
with the history kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clientela.clients import selectors
from clientela.clients.models import Contact, ContactMembership
from clientela.clients.services.client import client_archive
from clientela.clients.services.contact import contact_create, contact_move, contact_update
from clientela.clients.tests.factories import make_client, make_contact
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError


def test_contact_create_normalises_and_opens_a_period(world):
    client = make_client(world.manager_north, country="RO")
    contact = contact_create(
        by=world.manager_north,
        client=client,
        data={
            "first_name": "Ioana",
            "last_name": "Ionescu",
            "role": "decision_maker",
            "phone": "0722 111 222",
            "email": "IOANA@Alpha.ro",
            "other_emails": ["ioana.i@gmail.com"],
            "birthday": "1985-04-12",
            "preferred_language": "ro",
            "consent": True,
        },
    )
    assert contact.phone == "+40722111222" and contact.email == "ioana@alpha.ro"
    assert contact.birthday == dt.date(1985, 4, 12) and contact.consent and contact.consent_at
    period = contact.memberships.get()
    assert period.client == client and period.ended_on is None and period.role == "decision_maker"
    assert "ionescu" in contact.search_text and "40722111222" in contact.search_text


def test_contact_values_are_checked_field_by_field(world):
    client = make_client(world.manager_north)
    with pytest.raises(BusinessError) as excinfo:
        contact_create(
            by=world.manager_north,
            client=client,
            data={
                "first_name": "",
                "last_name": "",
                "role": "boss",
                "email": "nope",
                "birthday": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
                "preferred_language": "de",
            },
        )
    assert set(excinfo.value.errors) == {"first_name", "role", "email", "birthday", "preferred_language"}
    assert not Contact.objects.exists()


def test_no_contacts_on_an_archived_client(world):
    client = make_client(world.manager_north)
    client_archive(by=world.manager_north, client=client)
    with pytest.raises(ConflictError):
        contact_create(by=world.manager_north, client=client, data={"first_name": "A"})


def test_consent_withdrawn_clears_its_date(world):
    contact = make_contact(make_client(world.manager_north), consent=True)
    assert contact.consent_at
    contact_update(by=world.manager_north, contact=contact, data={"consent": False})
    contact.refresh_from_db()
    assert not contact.consent and contact.consent_at is None


def test_move_keeps_the_history_and_follows_the_new_client(world):
    old = make_client(world.manager_north, name="Old Co")
    new = make_client(world.manager_north, name="New Co")
    contact = make_contact(old, position="Buyer", role="buyer")
    moved_on = timezone.localdate()
    contact_move(
        by=world.manager_north, contact=contact, to_client=new, position="CFO", role="decision_maker"
    )
    contact.refresh_from_db()
    assert contact.client == new and contact.position == "CFO" and contact.role == "decision_maker"
    history = selectors.contact_history(contact=contact)
    assert [(p.client.name, p.position, p.ended_on) for p in history] == [
        ("New Co", "CFO", None),
        ("Old Co", "Buyer", moved_on),
    ]
    # The old client remembers who worked there; the new one lists the contact.
    assert [p.contact for p in selectors.former_contacts(client=old)] == [contact]
    assert contact in selectors.client_contacts(client=new)
    assert contact not in selectors.client_contacts(client=old)


def test_move_of_a_contact_made_by_conversion_keeps_its_history(world):
    from clientela.leads.services.convert import lead_convert
    from clientela.leads.tests.test_views_helpers import make_lead

    lead = make_lead(owner=world.manager_north, team=world.north)
    conversion = lead_convert(by=world.manager_north, lead=lead, client_name="Converted SRL")
    contact = conversion.contact
    # Conversion opens the first period (or, for contacts made before it did, the move does).
    assert contact.memberships.filter(ended_on__isnull=True).count() <= 1
    new = make_client(world.manager_north, name="Next Job")
    contact_move(by=world.manager_north, contact=contact, to_client=new)
    periods = list(contact.memberships.order_by("started_on", "id"))
    assert [p.client for p in periods] == [conversion.client, new]
    assert periods[0].started_on == timezone.localdate(contact.created_at)
    assert periods[0].ended_on == timezone.localdate()


def test_move_rules(world):
    old = make_client(world.manager_north)
    contact = make_contact(old)
    with pytest.raises(BusinessError) as excinfo:
        contact_move(by=world.manager_north, contact=contact, to_client=old)
    assert "to_client" in excinfo.value.errors
    other = make_client(world.manager_north)
    with pytest.raises(BusinessError) as excinfo:
        contact_move(
            by=world.manager_north,
            contact=contact,
            to_client=other,
            on=timezone.localdate() + dt.timedelta(days=1),
        )
    assert "on" in excinfo.value.errors
    with pytest.raises(BusinessError) as excinfo:
        contact_move(
            by=world.manager_north,
            contact=contact,
            to_client=other,
            on=timezone.localdate() - dt.timedelta(days=400),
        )
    assert "on" in excinfo.value.errors
    # Not to a client of another team.
    foreign = make_client(world.manager_south)
    with pytest.raises(BusinessError) as excinfo:
        contact_move(by=world.manager_north, contact=contact, to_client=foreign)
    assert "to_client" in excinfo.value.errors
    assert ContactMembership.objects.filter(contact=contact, ended_on__isnull=True, client=old).exists()


def test_only_people_who_work_the_client_change_its_contacts(world):
    contact = make_contact(make_client(world.manager_north))
    for user in (world.manager_north2, world.manager_south, world.marketer_north):
        with pytest.raises(PermissionDeniedError):
            contact_update(by=user, contact=contact, data={"position": "x"})


def test_contacts_are_visible_with_their_client(world):
    mine = make_contact(make_client(world.manager_north))
    south = make_contact(make_client(world.manager_south))
    assert set(Contact.objects.visible_to(world.manager_north)) == {mine}
    assert set(Contact.objects.visible_to(world.manager_south)) == {south}
    assert set(Contact.objects.visible_to(world.head_north)) == {mine}
    assert set(Contact.objects.visible_to(world.marketer_north)) == set()
    assert set(Contact.objects.visible_to(world.admin)) == {mine, south}


def test_position_change_updates_the_open_period(world):
    contact = make_contact(make_client(world.manager_north), position="Buyer")
    contact_update(by=world.manager_north, contact=contact, data={"position": "Head of purchasing"})
    assert contact.memberships.get().position == "Head of purchasing"
