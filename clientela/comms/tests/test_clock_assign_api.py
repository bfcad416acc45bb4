"""`POST /api/v1/clocks/{id}/assign`: the work list's one-click assign, over the API, with the same
rules — 404 for a clock the caller cannot see, 403 for an assignment they may not make, 409 when
someone took it first or it stopped, 422 with the `owner` field named for an unfit owner."""

from __future__ import annotations

from typing import Any

import pytest

from clientela.comms import clocks
from clientela.comms.models import ResponseClock
from clientela.comms.tests.conftest import local
from clientela.core.models import Notification
from clientela.leads.models import Lead
from clientela.mail.models import Thread

pytestmark = pytest.mark.django_db

MONDAY_10 = local(2025, 3, 3, 10, 0)


@pytest.fixture
def queue_lead_clock(make_lead):
    """A lead waiting in the North queue (no owner) with its first-response clock running."""

    def make() -> ResponseClock:
        lead = make_lead()
        Lead.objects.filter(pk=lead.pk).update(owner=None)
        lead.refresh_from_db()
        return clocks.clock_start_first_response(lead=lead, at=MONDAY_10)

    return make


@pytest.fixture
def message_clock(north_in_bucharest):
    """A client message nobody owns: a North mail thread without an owner, and its clock."""

    def make(subject: str = "Question about the invoice") -> ResponseClock:
        thread = Thread.objects.create(
            subject=subject, counterpart="client@acme.ro", team=north_in_bucharest.north
        )
        return clocks.clock_start_for_message(
            owner=None,
            team=north_in_bucharest.north,
            at=MONDAY_10,
            ref=thread.clock_ref,
            url=f"/mail/threads/{thread.pk}/",
            subject=subject,
        )

    return make


def assign(client: Any, headers: dict[str, str], clock_id: int, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/clocks/{clock_id}/assign", data=body, content_type="application/json", headers=headers
    )


def test_a_head_gives_a_queue_leads_clock_to_a_manager(client, world, api_token, queue_lead_clock):
    clock = queue_lead_clock()
    response = assign(client, api_token(world.head_north), clock.pk, {"owner": world.manager_north2.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["owner"], body["lead"], body["team"]) == (
        clock.pk,
        world.manager_north2.pk,
        clock.lead_id,
        world.north.pk,
    )
    assert body["stopped_at"] is None
    clock.refresh_from_db()
    assert clock.owner == world.manager_north2
    assert Lead.objects.get(pk=clock.lead_id).owner == world.manager_north2, "the lead moves with its clock"
    assert Notification.objects.filter(user=world.manager_north2, verb="lead_assigned").exists()


def test_a_manager_takes_a_client_message_for_themselves(client, world, api_token, message_clock):
    clock = message_clock()
    response = assign(client, api_token(world.manager_north), clock.pk, {"owner": world.manager_north.pk})
    assert response.status_code == 200, response.content
    assert response.json()["owner"] == world.manager_north.pk
    thread = Thread.objects.get(pk=int(clock.ref.split(":")[1]))
    assert thread.owner == world.manager_north, "the conversation moves with its clock"


def test_assigning_twice_to_the_same_person_is_harmless(client, world, api_token, message_clock):
    clock = message_clock()
    head = api_token(world.head_north)
    assert assign(client, head, clock.pk, {"owner": world.manager_north.pk}).status_code == 200
    again = assign(client, head, clock.pk, {"owner": world.manager_north.pk})
    assert again.status_code == 200 and again.json()["owner"] == world.manager_north.pk


def test_a_manager_may_not_give_it_to_someone_else(client, world, api_token, message_clock):
    clock = message_clock()
    response = assign(client, api_token(world.manager_north), clock.pk, {"owner": world.manager_north2.pk})
    assert response.status_code == 403
    assert response.json()["detail"]
    clock.refresh_from_db()
    assert clock.owner is None


def test_another_teams_clock_is_not_found(client, world, api_token, message_clock):
    clock = message_clock()
    for user in (world.manager_south, world.marketer_north):
        response = assign(client, api_token(user), clock.pk, {"owner": user.pk})
        assert response.status_code == 404, user
    assert assign(client, api_token(world.admin), 999_999, {"owner": world.admin.pk}).status_code == 404
    clock.refresh_from_db()
    assert clock.owner is None


def test_someone_else_having_taken_it_is_a_conflict(client, world, api_token, message_clock):
    clock = message_clock()
    ResponseClock.objects.filter(pk=clock.pk).update(owner=world.manager_north)
    response = assign(client, api_token(world.head_north), clock.pk, {"owner": world.manager_north2.pk})
    assert response.status_code == 409
    assert "owner" in response.json()["errors"]
    clock.refresh_from_db()
    assert clock.owner == world.manager_north


def test_a_stopped_clock_is_a_conflict(client, world, api_token, message_clock):
    clock = message_clock()
    ResponseClock.objects.filter(pk=clock.pk).update(stopped_at=MONDAY_10, stop_reason="responded")
    response = assign(client, api_token(world.head_north), clock.pk, {"owner": world.manager_north.pk})
    assert response.status_code == 409


@pytest.mark.parametrize(
    "who",
    [
        "missing",
        "unknown",
        "marketer",  # cannot answer clients
        "inactive",
        "other_team",  # not among the colleagues the head sees
    ],
)
def test_an_unfit_owner_is_a_field_error(client, world, api_token, message_clock, who):
    clock = message_clock()
    if who == "inactive":
        world.manager_north2.is_active = False
        world.manager_north2.save(update_fields=["is_active"])
    body = {
        "missing": {},
        "unknown": {"owner": 999_999},
        "marketer": {"owner": world.marketer_north.pk},
        "inactive": {"owner": world.manager_north2.pk},
        "other_team": {"owner": world.manager_south.pk},
    }[who]
    response = assign(client, api_token(world.head_north), clock.pk, body)
    assert response.status_code == 422, response.content
    assert response.json()["errors"]["owner"]
    clock.refresh_from_db()
    assert clock.owner is None


def test_not_even_an_admin_may_give_it_to_someone_who_cannot_answer(client, world, api_token, message_clock):
    clock = message_clock()
    response = assign(client, api_token(world.admin), clock.pk, {"owner": world.marketer_north.pk})
    assert response.status_code == 422
    assert response.json()["errors"]["owner"]
