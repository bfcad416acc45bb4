"""Client status, computed in one place: new / active / passive / lost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clientela.clients.choices import ClientStatus
from clientela.clients.lists import CLIENTS
from clientela.clients.models import Client
from clientela.clients.selectors import client_list
from clientela.clients.services.client import client_mark_lost, client_reactivate
from clientela.clients.services.derived import client_record_activity, clients_touched
from clientela.clients.status import (
    NEW_WITHIN_DAYS,
    PASSIVE_AFTER_DAYS,
    client_status,
    refresh_last_contact,
    status_condition,
    with_status,
)
from clientela.clients.tests.factories import make_client, make_contact
from clientela.core.audit import audit_event


def _age(client: Client, days: int) -> None:
    """Back-date a card outside the services, then recount its stored last contact by the rule."""
    Client.objects.filter(pk=client.pk).update(created_at=timezone.now() - dt.timedelta(days=days))
    refresh_last_contact([client.pk])


@pytest.fixture
def clients(world):
    fresh = make_client(world.manager_north, name="Fresh")
    active = make_client(world.manager_north, name="Active")
    _age(active, NEW_WITHIN_DAYS + 10)
    client_record_activity(client=active, at=timezone.now() - dt.timedelta(days=20))
    passive = make_client(world.manager_north, name="Passive")
    _age(passive, PASSIVE_AFTER_DAYS + 100)
    client_record_activity(client=passive, at=timezone.now() - dt.timedelta(days=PASSIVE_AFTER_DAYS + 5))
    quiet_old = make_client(world.manager_north, name="Quiet old")
    _age(quiet_old, PASSIVE_AFTER_DAYS + 1)
    lost = make_client(world.manager_north, name="Lost")
    client_mark_lost(by=world.manager_north, client=lost, reason="competition")
    return {"fresh": fresh, "active": active, "passive": passive, "quiet_old": quiet_old, "lost": lost}


def test_each_rule(clients):
    assert client_status(clients["fresh"]) == ClientStatus.NEW
    assert client_status(clients["active"]) == ClientStatus.ACTIVE
    assert client_status(clients["passive"]) == ClientStatus.PASSIVE
    assert client_status(clients["quiet_old"]) == ClientStatus.PASSIVE
    assert client_status(clients["lost"]) == ClientStatus.LOST


def test_the_list_filter_uses_the_same_rules(world, clients):
    for status in ClientStatus.values:
        found = {
            c.name for c in client_list(viewer=world.manager_north, filters=CLIENTS.values(status=status))
        }
        expected = {name for name, c in clients.items() if client_status(c) == status}
        assert found == {clients[n].name for n in expected}, status


def test_a_touch_on_a_contact_makes_a_passive_client_active(world, clients):
    client = clients["quiet_old"]
    contact = make_contact(client)
    assert client_status(client) == ClientStatus.PASSIVE
    # The intake pipeline records a returning person as an audit "touch" on the contact and
    # tells the clients app (clients_touched).
    entry = audit_event(actor=None, instance=contact, event="touch", changes={"door": "api"})
    clients_touched(client_ids=[client.pk], at=entry.at)
    assert client_status(client) == ClientStatus.ACTIVE


def test_a_touch_on_the_client_counts_too(world, clients):
    entry = audit_event(actor=None, instance=clients["passive"], event="touch", changes={})
    clients_touched(client_ids=[clients["passive"].pk], at=entry.at)
    assert client_status(clients["passive"]) == ClientStatus.ACTIVE


@pytest.mark.parametrize("on", ["client", "contact"])
def test_the_full_recount_finds_recorded_touches(world, clients, on):
    """Touches recorded without telling the clients app (older data, repairs) are found by
    refresh_last_contact, which the data migration and contact moves use."""
    client = clients["quiet_old"]
    instance = make_contact(client) if on == "contact" else client
    audit_event(actor=None, instance=instance, event="touch", changes={})
    assert client_status(client) == ClientStatus.PASSIVE
    refresh_last_contact([client.pk])
    assert client_status(client) == ClientStatus.ACTIVE


def test_a_recent_touch_of_the_source_lead_counts(world, clients):
    from clientela.leads.models import Lead
    from clientela.leads.tests.test_views_helpers import make_lead

    lead = make_lead(owner=world.manager_north, team=world.north)
    Lead.objects.filter(pk=lead.pk).update(client=clients["quiet_old"], last_touch_at=timezone.now())
    refresh_last_contact([clients["quiet_old"].pk])
    assert client_status(clients["quiet_old"]) == ClientStatus.ACTIVE


def test_reactivated_client_is_computed_again(world, clients):
    client_reactivate(by=world.manager_north, client=clients["lost"])
    assert client_status(clients["lost"]) == ClientStatus.NEW


def test_status_at_a_given_moment(clients):
    later = timezone.now() + dt.timedelta(days=NEW_WITHIN_DAYS + 1)
    assert client_status(clients["fresh"], now=later) == ClientStatus.ACTIVE
    much_later = timezone.now() + dt.timedelta(days=PASSIVE_AFTER_DAYS + 1)
    assert client_status(clients["fresh"], now=much_later) == ClientStatus.PASSIVE


def test_the_stored_last_contact(clients):
    row = with_status(Client.objects.filter(pk=clients["active"].pk)).get()
    assert abs((timezone.now() - row.last_contact_at).days - 20) <= 1
    assert row.status == ClientStatus.ACTIVE


def test_the_list_filter_follows_the_time_steps(world, clients):
    """New -> active after NEW_WITHIN_DAYS and active -> passive after PASSIVE_AFTER_DAYS happen by
    the passing of time alone (stored dates compared with now), in the filter as in the card."""
    later = timezone.now() + dt.timedelta(days=NEW_WITHIN_DAYS + 1)
    much_later = timezone.now() + dt.timedelta(days=PASSIVE_AFTER_DAYS + 1)
    for now, fresh_status in ((later, ClientStatus.ACTIVE), (much_later, ClientStatus.PASSIVE)):
        found = set(
            with_status(Client.objects.filter(status_condition(fresh_status, now=now)), now=now).values_list(
                "name", flat=True
            )
        )
        assert "Fresh" in found
        assert client_status(clients["fresh"], now=now) == fresh_status
        for name, client in clients.items():
            assert (client.name in found) == (client_status(client, now=now) == fresh_status), name
