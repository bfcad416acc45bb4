"""Handover: clients (one, several, a whole portfolio) move to another manager in one action,
with contacts and history; both sides are told; the new one gets a summary."""

from __future__ import annotations

import pytest

from clientela.clients import hooks, selectors
from clientela.clients.models import Client, Contact, Handover
from clientela.clients.services.handover import client_handover, client_handover_all
from clientela.clients.tests.factories import make_client, make_contact
from clientela.core.audit import history_for
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.models import AuditAction, AuditEntry, Notification

# The notification links to the summary page, so the clients URLs must be mounted.
pytestmark = pytest.mark.urls("clientela.clients.tests.urls")


def notes_of(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user, verb="clients_handed_over"))


def test_one_client_moves_with_its_contacts_and_both_are_told(world):
    client = make_client(world.manager_north, name="Alpha")
    contact = make_contact(client)
    handover = client_handover(
        by=world.head_north, clients=[client], to_user=world.manager_north2, note="Call Ana first"
    )
    client.refresh_from_db()
    assert client.owner == world.manager_north2 and client.team == world.north
    assert handover.items.get().from_user == world.manager_north
    # Contacts follow the client's visibility: the new manager sees them, the old one not.
    assert contact in Contact.objects.visible_to(world.manager_north2)
    assert contact not in Contact.objects.visible_to(world.manager_north)
    assert client not in Client.objects.visible_to(world.manager_north)
    # Audited on the card.
    entry = history_for(client).get(event="handover")
    assert entry.actor == world.head_north
    assert entry.changes["owner"] == [world.manager_north.pk, world.manager_north2.pk]
    # Both are notified; the new one with a link to the summary.
    [new_note] = notes_of(world.manager_north2)
    [old_note] = notes_of(world.manager_north)
    assert "Alpha" in new_note.text and new_note.url.endswith(f"/clients/handovers/{handover.pk}/")
    assert "handed over" in old_note.text


def test_a_portfolio_is_one_bulk_audit_entry(world):
    first = make_client(world.manager_north, name="A")
    second = make_client(world.manager_north, name="B")
    third = make_client(world.manager_north2, name="C")
    before = AuditEntry.objects.count()
    handover = client_handover_all(
        by=world.head_north, from_user=world.manager_north, to_user=world.head_north
    )
    assert set(Client.objects.filter(owner=world.head_north)) == {first, second}
    assert Client.objects.get(pk=third.pk).owner == world.manager_north2
    new_entries = AuditEntry.objects.order_by("id")[before:]
    assert [(e.action, e.event) for e in new_entries] == [(AuditAction.BULK, "handover")]
    details = new_entries[0].changes
    assert sorted(details["clients"]) == sorted([first.pk, second.pk])
    assert details["handover"] == handover.pk and details["to_user"] == world.head_north.pk
    assert handover.items.count() == 2


def test_selected_clients_of_several_managers(world):
    a = make_client(world.manager_north, name="A")
    b = make_client(world.manager_north2, name="B")
    queue = make_client(None, world.north, name="Queue")
    client_handover(by=world.head_north, clients=[a, b, queue], to_user=world.manager_north)
    assert set(Client.objects.filter(owner=world.manager_north)) == {a, b, queue}
    # Each previous manager hears about their own clients; a's owner already had it (skipped).
    assert (
        len(notes_of(world.manager_north2)) == 1
        and "1 of your clients" in notes_of(world.manager_north2)[0].text
    )
    assert len(notes_of(world.manager_north)) == 1  # as the new manager


def test_handover_to_another_team_moves_the_team_for_admins(world):
    client = make_client(world.manager_north)
    client_handover(by=world.admin, clients=[client], to_user=world.manager_south)
    client.refresh_from_db()
    assert client.owner == world.manager_south and client.team == world.south
    assert client in Client.objects.visible_to(world.manager_south)
    assert client not in Client.objects.visible_to(world.head_north)


@pytest.mark.parametrize("who", ["manager_north", "manager_north2", "marketer_north"])
def test_managers_and_marketers_may_not_hand_over(world, who):
    client = make_client(world.manager_north)
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDeniedError):
        client_handover(by=getattr(world, who), clients=[client], to_user=world.manager_north2)
    client.refresh_from_db()
    assert client.owner == world.manager_north
    assert not Handover.objects.exists() and AuditEntry.objects.count() == before
    assert not Notification.objects.filter(verb="clients_handed_over").exists()


def test_heads_hand_over_only_within_their_teams(world):
    north = make_client(world.manager_north)
    south = make_client(world.manager_south)
    with pytest.raises(PermissionDeniedError):
        client_handover(by=world.head_north, clients=[south], to_user=world.manager_north)
    with pytest.raises(PermissionDeniedError):
        client_handover(by=world.head_north, clients=[north], to_user=world.manager_south)
    assert Client.objects.get(pk=north.pk).owner == world.manager_north
    assert Client.objects.get(pk=south.pk).owner == world.manager_south


def test_bad_handovers_are_refused_with_a_reason(world):
    client = make_client(world.manager_north)
    with pytest.raises(ConflictError):
        client_handover(by=world.head_north, clients=[client], to_user=world.manager_north)
    with pytest.raises(BusinessError) as excinfo:
        client_handover(by=world.head_north, clients=[], to_user=world.manager_north2)
    assert "clients" in excinfo.value.errors
    world.manager_north2.is_active = False
    world.manager_north2.save(update_fields=["is_active"])
    with pytest.raises(BusinessError) as excinfo:
        client_handover(by=world.head_north, clients=[client], to_user=world.manager_north2)
    assert "to_user" in excinfo.value.errors
    with pytest.raises(BusinessError):
        client_handover(by=world.head_north, clients=[client], to_user=world.marketer_north)
    with pytest.raises(BusinessError) as excinfo:
        client_handover_all(by=world.head_north, from_user=world.manager_south, to_user=world.manager_north)
    assert "from_user" in excinfo.value.errors


def test_other_records_follow_through_the_hook(world):
    calls = []

    def move_deals(**kwargs):
        calls.append(kwargs)

    hooks.client_handed_over.register(move_deals)
    try:
        client = make_client(world.manager_north)
        handover = client_handover(by=world.head_north, clients=[client], to_user=world.manager_north2)
    finally:
        hooks.client_handed_over.unregister(move_deals)
    assert calls == [
        {
            "by": world.head_north,
            "handover": handover,
            "client_ids": [client.pk],
            "from_user_ids": [world.manager_north.pk],
            "to_user": world.manager_north2,
        }
    ]


def test_summary_shows_each_relationship_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    from clientela.leads.services.convert import lead_convert
    from clientela.leads.tests.test_views_helpers import make_lead

    clients = []
    for n in range(6):
        lead = make_lead(owner=world.manager_north, team=world.north)
        conversion = lead_convert(by=world.manager_north, lead=lead, client_name=f"Firm {n}")
        make_contact(conversion.client, role="decision_maker")
        clients.append(conversion.client)
    handover = client_handover(by=world.head_north, clients=clients, to_user=world.manager_north2)
    with django_assert_max_num_queries(8):
        summary = selectors.handover_summary(viewer=world.manager_north2, handover=handover)
        rows = [(s.client.name, len(s.contacts), len(s.source_leads), len(s.events)) for s in summary]
    assert len(rows) == 6
    assert all(contacts == 2 and leads == 1 and events >= 1 for _n, contacts, leads, events in rows)


def test_who_may_open_the_summary(world):
    from django.http import Http404

    client = make_client(world.manager_north)
    handover = client_handover(by=world.head_north, clients=[client], to_user=world.manager_north2)
    for viewer in (world.manager_north2, world.head_north, world.admin):
        assert selectors.handover_get(viewer=viewer, pk=handover.pk) == handover
    for viewer in (world.manager_south, world.marketer_north):
        with pytest.raises(Http404):
            selectors.handover_get(viewer=viewer, pk=handover.pk)
    # The previous manager no longer sees the client, so the summary lists nothing for them.
    assert selectors.handover_summary(viewer=world.manager_north, handover=handover) == []


def test_the_portfolio_of_someone_who_left_can_be_handed_over(client, world, api_token):
    from clientela.conftest import login

    mine = make_client(world.manager_north, name="Left behind")
    world.manager_north.is_active = False
    world.manager_north.save(update_fields=["is_active"])
    login(client, world.head_north)
    assert f'value="{world.manager_north.pk}"' in client.get("/clients/handover/").content.decode()
    response = client.post(
        "/api/v1/clients/handover",
        {"to_user": world.manager_north2.pk, "from_user": world.manager_north.pk},
        content_type="application/json",
        headers=api_token(world.head_north),
    )
    assert response.status_code == 200, response.content
    assert Client.objects.get(pk=mine.pk).owner == world.manager_north2
    # The one who left is not notified (inactive); the new manager is.
    assert not notes_of(world.manager_north) and len(notes_of(world.manager_north2)) == 1


def test_open_tasks_and_threads_of_the_clients_records_move_too(world):
    """Open tasks the previous manager had on the client, its contacts and its deals go to the
    new manager; done tasks and other people's tasks stay; e-mail threads follow."""
    import datetime as dt

    from django.utils import timezone

    from clientela.activities.models import Task
    from clientela.deals.defaults import ensure_defaults
    from clientela.deals.models import Deal, Pipeline
    from clientela.mail.models import Thread

    ensure_defaults()
    client = make_client(world.manager_north, name="Moving SRL")
    other = make_client(world.manager_north, name="Staying SRL")
    contact = make_contact(client)
    pipeline = Pipeline.objects.get(code="corporate")
    deal = Deal.objects.create(
        title="Licences",
        client=client,
        owner=world.manager_north,
        team=world.north,
        pipeline=pipeline,
        stage=pipeline.stages.order_by("position").first(),
        currency="RON",
    )
    due = timezone.now() + dt.timedelta(days=1)

    def task(title, assignee=world.manager_north, **links):
        return Task.objects.create(title=title, due_at=due, assignee=assignee, team=world.north, **links)

    on_client, on_contact, on_deal = (
        task("c", client=client),
        task("p", contact=contact),
        task("d", deal=deal),
    )
    done = task("done", client=client)
    Task.objects.filter(pk=done.pk).update(done_at=timezone.now())
    colleague = task("colleague's", assignee=world.head_north, client=client)
    elsewhere = task("other client", client=other)
    thread = Thread.objects.create(
        subject="Offer", client=client, owner=world.manager_north, team=world.north
    )
    other_thread = Thread.objects.create(
        subject="Hi", client=other, owner=world.manager_north, team=world.north
    )

    handover = client_handover(by=world.head_north, clients=[client], to_user=world.manager_north2)

    def assignee(t):
        return Task.objects.get(pk=t.pk).assignee

    assert {assignee(t) for t in (on_client, on_contact, on_deal)} == {world.manager_north2}
    assert assignee(done) == world.manager_north
    assert assignee(colleague) == world.head_north
    assert assignee(elsewhere) == world.manager_north
    assert Thread.objects.get(pk=thread.pk).owner == world.manager_north2
    assert Thread.objects.get(pk=other_thread.pk).owner == world.manager_north
    entry = AuditEntry.objects.get(
        action=AuditAction.BULK,
        event="handover",
        content_type__model="task",
        content_type__app_label="activities",
    )
    assert sorted(entry.changes["tasks"]) == sorted([on_client.pk, on_contact.pk, on_deal.pk])
    assert entry.changes["handover"] == handover.pk
