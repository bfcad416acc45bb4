"""The stored last contact and completeness count stay right through every door that changes
them, and the list filters on them give what the rules give."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clientela.clients.choices import ClientStatus, CompletenessLevel
from clientela.clients.completeness import card_completeness, refresh_completeness
from clientela.clients.lists import CLIENTS
from clientela.clients.models import Client, ClientPolicy
from clientela.clients.selectors import client_list
from clientela.clients.services.client import client_mark_lost, client_reactivate, client_update
from clientela.clients.services.contact import contact_archive, contact_move, contact_restore
from clientela.clients.services.derived import client_record_activity, clients_touched
from clientela.clients.services.handover import client_handover
from clientela.clients.status import (
    NEW_WITHIN_DAYS,
    PASSIVE_AFTER_DAYS,
    last_contact_expression,
    refresh_last_contact,
    status_of,
)
from clientela.clients.tests.factories import make_client, make_contact


def stored(client: Client) -> Client:
    return Client.objects.get(pk=client.pk)


def days_ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def back_date(client: Client, days: int) -> None:
    """An old card without any contact since (as data loaded long ago)."""
    Client.objects.filter(pk=client.pk).update(created_at=days_ago(days), last_activity_at=None)
    refresh_last_contact([client.pk])


def assert_count_agrees(client: Client) -> None:
    row = stored(client)
    assert row.completeness_filled == card_completeness(row).filled


# --- Last contact -------------------------------------------------------------------------------


def test_a_new_card_has_its_creation_as_last_contact(world):
    client = make_client(world.manager_north)
    row = stored(client)
    assert abs((row.last_contact_at - row.created_at).total_seconds()) < 1  # the same save


def test_a_card_made_outside_the_services_is_filled_too(world):
    client = Client.objects.create(name="Raw", last_activity_at=days_ago(3))
    row = stored(client)
    assert abs((row.last_contact_at - row.created_at).total_seconds()) < 1  # made just now
    assert row.completeness_filled == card_completeness(row).filled == 1


def test_recorded_activity_moves_the_last_contact_forward_only(world):
    client = make_client(world.manager_north)
    back_date(client, 400)
    client_record_activity(client=client, at=days_ago(10))
    assert abs((timezone.now() - stored(client).last_contact_at).days - 10) <= 1
    client_record_activity(client=client, at=days_ago(50))  # older: ignored
    row = stored(client)
    assert abs((timezone.now() - row.last_contact_at).days - 10) <= 1
    assert abs((timezone.now() - row.last_activity_at).days - 10) <= 1


def test_an_older_activity_still_counts_as_activity_when_a_touch_is_newer(world):
    client = make_client(world.manager_north)
    back_date(client, 400)
    clients_touched(client_ids=[client.pk], at=days_ago(1))
    client_record_activity(client=client, at=days_ago(30))
    row = stored(client)
    assert abs((timezone.now() - row.last_contact_at).days - 1) <= 1  # the touch stays
    assert abs((timezone.now() - row.last_activity_at).days - 30) <= 1


def test_clients_touched_takes_the_later_date_for_many_clients(world):
    a, b, c = (make_client(world.manager_north) for _ in range(3))
    for client in (a, b, c):
        back_date(client, 400)
    client_record_activity(client=b, at=days_ago(2))
    clients_touched(client_ids=[a.pk, b.pk], at=days_ago(5))
    assert abs((timezone.now() - stored(a).last_contact_at).days - 5) <= 1
    assert abs((timezone.now() - stored(b).last_contact_at).days - 2) <= 1  # was later already
    assert abs((timezone.now() - stored(c).last_contact_at).days - 400) <= 1
    clients_touched(client_ids=[], at=timezone.now())  # nothing to do


def test_a_deal_started_counts_as_contact(world):
    from clientela.deals import services as deal_services
    from clientela.deals.defaults import ensure_defaults

    ensure_defaults()
    client = make_client(world.manager_north, country="RO")
    back_date(client, 400)
    assert status_of(
        **Client.objects.filter(pk=client.pk).values("lost_at", "created_at", "last_contact_at").get()
    ) == (ClientStatus.PASSIVE)
    deal_services.deal_create(by=world.manager_north, client=client, amount="100", currency="RON")
    assert (timezone.now() - stored(client).last_contact_at).total_seconds() < 60
    found = client_list(viewer=world.manager_north, filters=CLIENTS.values(status=ClientStatus.ACTIVE))
    assert client.pk in {c.pk for c in found}


def test_a_contact_move_takes_its_touches_along(world):
    from clientela.core.audit import audit_event

    old = make_client(world.manager_north, name="Old")
    new = make_client(world.manager_north, name="New")
    back_date(old, 400)
    back_date(new, 400)
    person = make_contact(old)
    audit_event(actor=None, instance=person, event="touch", changes={})
    refresh_last_contact([old.pk])
    assert (timezone.now() - stored(old).last_contact_at).days == 0
    contact_move(by=world.manager_north, contact=person, to_client=new)
    assert (timezone.now() - stored(old).last_contact_at).days >= 399
    assert (timezone.now() - stored(new).last_contact_at).days == 0


def test_refresh_matches_the_rule_expression(world):
    """The stored value is what the rule computes (also after many changes)."""
    clients = [make_client(world.manager_north) for _ in range(4)]
    back_date(clients[0], 300)
    client_record_activity(client=clients[1], at=days_ago(7))
    make_contact(clients[2])
    refresh_last_contact(None)
    expected = dict(Client.objects.annotate(rule=last_contact_expression()).values_list("pk", "rule"))
    assert dict(Client.objects.values_list("pk", "last_contact_at")) == expected


# --- Status filters against the rule --------------------------------------------------------


def test_status_filters_give_what_the_rule_gives(world):
    """A small population across every status and border; each filter returns exactly the
    clients whose status (computed in Python from the rule's inputs) is that status."""
    made = []
    for i, (age, contact_days, lost) in enumerate(
        [
            (10, None, False),  # new
            (NEW_WITHIN_DAYS - 1, None, False),  # still new
            (NEW_WITHIN_DAYS + 1, None, False),  # active (created within the passive window)
            (PASSIVE_AFTER_DAYS - 1, None, False),  # active
            (PASSIVE_AFTER_DAYS + 1, None, False),  # passive
            (PASSIVE_AFTER_DAYS + 50, PASSIVE_AFTER_DAYS - 1, False),  # active by contact
            (PASSIVE_AFTER_DAYS + 50, PASSIVE_AFTER_DAYS + 1, False),  # passive despite contact
            (PASSIVE_AFTER_DAYS + 50, 5, True),  # lost
            (5, None, True),  # lost though new
        ]
    ):
        client = make_client(world.manager_north, name=f"C{i}")
        back_date(client, age)
        if contact_days is not None:
            client_record_activity(client=client, at=days_ago(contact_days))
        if lost:
            client_mark_lost(by=world.manager_north, client=client, reason="competition")
        made.append(client)
    rows = Client.objects.values("pk", "lost_at", "created_at", "last_contact_at")
    expected = {row.pop("pk"): status_of(**row) for row in rows}
    assert set(expected.values()) == set(ClientStatus.values)
    ClientPolicy.current()  # made on first use
    for status in ClientStatus.values:
        with CaptureQueriesContext(connection) as ctx:
            page = list(client_list(viewer=world.manager_north, filters=CLIENTS.values(status=status)))
        assert len(ctx) <= 3, "\n".join(q["sql"] for q in ctx.captured_queries)
        assert {c.pk for c in page} == {pk for pk, s in expected.items() if s == status}, status
        assert all(c.status == status for c in page)
    client_reactivate(by=world.manager_north, client=made[8])
    found = client_list(viewer=world.manager_north, filters=CLIENTS.values(status=ClientStatus.NEW))
    assert made[8].pk in {c.pk for c in found}


# --- Completeness count -----------------------------------------------------------------------


def test_field_edits_recount(world):
    client = make_client(world.manager_north, name="Edit me")
    before = stored(client).completeness_filled
    client_update(
        by=world.manager_north, client=client, data={"city": "Cluj", "industry": "Retail", "website": "x.ro"}
    )
    assert stored(client).completeness_filled == before + 3
    assert_count_agrees(client)
    client_update(by=world.manager_north, client=client, data={"kind": "person"})
    assert_count_agrees(client)  # a person's card has no industry or website


def test_contacts_count_as_a_field(world):
    client = make_client(world.manager_north)
    before = stored(client).completeness_filled
    person = make_contact(client)
    assert stored(client).completeness_filled == before + 1
    make_contact(client)
    assert stored(client).completeness_filled == before + 1  # one field, however many people
    contact_archive(by=world.manager_north, contact=person)
    assert stored(client).completeness_filled == before + 1  # the other one still works there
    other = client.contacts.exclude(pk=person.pk).get()
    contact_archive(by=world.manager_north, contact=other)
    assert stored(client).completeness_filled == before
    contact_restore(by=world.manager_north, contact=other)
    assert stored(client).completeness_filled == before + 1


def test_a_contact_move_recounts_both_clients(world):
    old = make_client(world.manager_north, name="Old")
    new = make_client(world.manager_north, name="New")
    person = make_contact(old)
    contact_move(by=world.manager_north, contact=person, to_client=new)
    assert_count_agrees(old)
    assert_count_agrees(new)
    assert stored(new).completeness_filled == stored(old).completeness_filled + 1


def test_a_handover_of_an_unowned_client_recounts(world):
    client = make_client(None, name="Nobody's")
    before = stored(client).completeness_filled
    client_handover(by=world.admin, clients=[client], to_user=world.manager_north)
    assert stored(client).completeness_filled == before + 1
    assert_count_agrees(client)


def test_conversion_counts_the_new_contact(world):
    from clientela.leads.services.convert import lead_convert
    from clientela.leads.tests.test_views_helpers import make_lead

    lead = make_lead(owner=world.manager_north, team=world.north)
    conversion = lead_convert(by=world.manager_north, lead=lead)
    assert_count_agrees(conversion.client)
    existing = make_client(world.manager_north, name="Known")
    lead2 = make_lead(owner=world.manager_north, team=world.north)
    lead_convert(by=world.manager_north, lead=lead2, client=existing)
    assert_count_agrees(existing)


def test_refresh_completeness_recounts_in_sql(world):
    clients = [
        make_client(world.manager_north, city="Cluj"),
        make_client(None, kind="person", phone="+40721000111"),
    ]
    make_contact(clients[0])
    Client.objects.update(completeness_filled=0)
    assert refresh_completeness([c.pk for c in clients]) == 2
    for client in clients:
        assert_count_agrees(client)
    assert refresh_completeness([]) == 0


@pytest.mark.parametrize("level", CompletenessLevel.values)
def test_completeness_filters_give_what_the_card_gives(world, level):
    from clientela.clients.tests.test_completeness import full

    made = [
        make_client(world.manager_north, name="Bare"),
        make_client(world.manager_north, name="Half", **dict(list(full(1).items())[:6])),
        make_client(world.manager_north, name="Ten", **dict(list(full(2).items())[:8])),
        make_client(world.manager_north, name="Full", **full(3)),
        make_client(world.manager_north, name="Person", kind="person", city="Cluj", phone="+40721000112"),
    ]
    make_contact(made[3])
    found = {
        c.pk for c in client_list(viewer=world.manager_north, filters=CLIENTS.values(completeness=level))
    }
    for client in made:
        card = card_completeness(stored(client))
        expected = {
            CompletenessLevel.BELOW: not card.normal,
            CompletenessLevel.NORMAL: card.normal,
            CompletenessLevel.COMPLETE: card.percent >= 100,
        }[level]
        assert (client.pk in found) == expected, client.name


def test_cards_inserted_in_bulk_get_the_insert_time(world):
    """bulk_create skips save(): the database default gives the rule's floor (now)."""
    Client.objects.bulk_create([Client(name="Bulk 1"), Client(name="Bulk 2")])
    for row in Client.objects.filter(name__startswith="Bulk"):
        assert abs((row.last_contact_at - row.created_at).total_seconds()) < 5
        assert status_of(lost_at=None, created_at=row.created_at, last_contact_at=row.last_contact_at) == (
            ClientStatus.NEW
        )
