"""The team queue on the work list: running clocks nobody owns (leads in the team queue, client
messages without an owner) for heads and admins, with one-click assign-to-me / to a manager."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from clientela.activities import worklist
from clientela.activities.tests.test_worklist import NOW, local, make_lead
from clientela.comms import clocks
from clientela.comms.models import ResponseClock
from clientela.conftest import login
from clientela.core.models import Notification
from clientela.leads.models import Lead
from clientela.mail.models import Thread

pytestmark = pytest.mark.django_db

BREACHED_START = local(2025, 3, 4, 9, 0)  # long overdue at NOW


@pytest.fixture(autouse=True)
def _urls_loaded_before_freezing():
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018


@pytest.fixture
def north(world):
    for team in (world.north, world.south):
        team.time_zone = "Europe/Bucharest"
        team.save(update_fields=["time_zone"])
    for user in (world.manager_north, world.manager_north2, world.head_north, world.manager_south):
        user.refresh_from_db()
    return world


def queue_lead(team_member, *, name="Ion", at=BREACHED_START) -> tuple[Lead, ResponseClock]:
    """A lead waiting in the team queue (no owner) with its first-response clock running."""
    lead = make_lead(team_member, name=name)
    Lead.objects.filter(pk=lead.pk).update(owner=None)
    lead.refresh_from_db()
    return lead, clocks.clock_start_first_response(lead=lead, at=at)


def queue_message(team, *, subject="Question about the invoice", at=BREACHED_START) -> ResponseClock:
    """A client message nobody owns: a mail thread without an owner and its clock."""
    thread = Thread.objects.create(subject=subject, counterpart="client@acme.ro", team=team)
    return clocks.clock_start_for_message(
        owner=None, team=team, at=at, ref=thread.clock_ref, url=f"/mail/threads/{thread.pk}/", subject=subject
    )


def queue_ids(work) -> list[int]:
    return [item.clock.pk for item in work.unassigned.items] if work.unassigned else []


@freeze_time(NOW)
def test_head_sees_the_unowned_clocks_of_their_team_and_nobody_elses(north):
    _lead, lead_clock = queue_lead(north.manager_north, name="Queue")
    message_clock = queue_message(north.north, at=NOW - dt.timedelta(minutes=30))
    queue_lead(north.manager_south, name="South")  # another team's queue
    queue_message(north.south)
    owned = clocks.clock_start_first_response(lead=make_lead(north.manager_north2), at=BREACHED_START)

    team = worklist.worklist_for(viewer=north.head_north, person=None)
    assert [s.key for s in team.sections][:2] == ["clocks", "unassigned"]
    assert queue_ids(team) == [lead_clock.pk, message_clock.pk], "breached first, then by due time"
    assert team.unassigned.count == 2
    assert [item.view.status for item in team.unassigned.items] == ["breached", "ok"]
    assert [view.clock.pk for view in team.clocks.items] == [owned.pk], "no unowned clock twice"
    candidates = team.unassigned.items[0].candidates
    assert {p.pk for p in candidates} == {
        north.manager_north.pk,
        north.manager_north2.pk,
        north.head_north.pk,
    }, "the team's managers and head only"

    own = worklist.worklist_for(viewer=north.head_north, person=north.head_north)
    assert queue_ids(own) == [lead_clock.pk, message_clock.pk], "on the head's own list too"
    someone = worklist.worklist_for(viewer=north.head_north, person=north.manager_north)
    assert someone.unassigned is None, "a manager's list (seen by the head) has no team queue"


@freeze_time(NOW)
def test_admin_sees_every_teams_queue(north):
    _lead, north_clock = queue_lead(north.manager_north)
    _lead, south_clock = queue_lead(north.manager_south)
    work = worklist.worklist_for(viewer=north.admin, person=north.admin)
    assert set(queue_ids(work)) == {north_clock.pk, south_clock.pk}


@freeze_time(NOW)
def test_managers_see_neither_the_queue_section_nor_other_managers_clocks(client, north):
    queue_lead(north.manager_north, name="Queue")
    other = clocks.clock_start_first_response(
        lead=make_lead(north.manager_north2, name="Nelu"), at=BREACHED_START
    )
    mine = clocks.clock_start_first_response(
        lead=make_lead(north.manager_north, name="Mara"), at=BREACHED_START
    )

    work = worklist.worklist_for(viewer=north.manager_north, person=north.manager_north)
    assert work.unassigned is None
    assert [view.clock.pk for view in work.clocks.items] == [mine.pk]
    page = login(client, north.manager_north).get("/").content.decode()
    assert 'data-section="unassigned"' not in page
    assert f'data-clock="{other.pk}"' not in page and f'data-clock="{mine.pk}"' in page


@freeze_time(NOW)
def test_head_page_shows_the_queue_with_badges_and_assign_buttons(client, north):
    lead, clock = queue_lead(north.manager_north, name="Queue")
    message_clock = queue_message(north.north)
    page = login(client, north.head_north).get("/").content.decode()

    order = re.findall(r'data-section="(\w+)"', page)
    assert order[:2] == ["clocks", "unassigned"]
    assert 'data-testid="count-unassigned">2<' in page
    row = page.split(f'data-clock="{clock.pk}"', 1)[1].split("list-group-item", 1)[0]
    assert 'data-clock-status="breached"' in row and "Overdue by" in row
    assert f"/leads/{lead.pk}/" in row and "Lead in the team queue" in row
    assert f'data-testid="assign-me-{clock.pk}"' in row
    assert f'<option value="{north.manager_north.pk}">' in row
    assert f'<option value="{north.manager_south.pk}">' not in row
    assert "Client message without an owner" in page and "Question about the invoice" in page
    assert f"/worklist/clocks/{message_clock.pk}/assign/" in page


@freeze_time(NOW)
def test_assign_to_me_takes_the_lead_and_its_clock(client, north):
    lead, clock = queue_lead(north.manager_north)
    login(client, north.head_north)
    response = client.post(
        f"/worklist/clocks/{clock.pk}/assign/", {"owner": north.head_north.pk, "next": "/?person=team"}
    )
    assert response.status_code == 302 and response["Location"] == "/?person=team"
    lead.refresh_from_db()
    clock.refresh_from_db()
    assert lead.owner == north.head_north and clock.owner == north.head_north
    # Taking a new lead for oneself puts it in work (the lead services' rule).
    assert lead.status == "in_work"
    assert queue_ids(worklist.worklist_for(viewer=north.head_north, person=None)) == []


@freeze_time(NOW)
def test_assign_to_a_manager_moves_the_lead_and_tells_the_manager(client, north):
    lead, clock = queue_lead(north.manager_north)
    login(client, north.head_north)
    client.post(f"/worklist/clocks/{clock.pk}/assign/", {"owner": north.manager_north2.pk})
    lead.refresh_from_db()
    clock.refresh_from_db()
    assert lead.owner == north.manager_north2 and clock.owner == north.manager_north2
    assert Notification.objects.filter(user=north.manager_north2, verb="lead_assigned").exists()
    mine = worklist.worklist_for(viewer=north.manager_north2, person=north.manager_north2)
    assert [view.clock.pk for view in mine.clocks.items] == [clock.pk], "now on the manager's list"


@freeze_time(NOW)
def test_assigning_a_client_message_moves_its_thread_and_clock(client, north):
    north.manager_north.language = "ro"
    north.manager_north.save(update_fields=["language"])
    clock = queue_message(north.north)
    thread = Thread.objects.get(pk=int(clock.ref.split(":")[1]))
    login(client, north.head_north)
    client.post(f"/worklist/clocks/{clock.pk}/assign/", {"owner": north.manager_north.pk})
    clock.refresh_from_db()
    thread.refresh_from_db()
    assert clock.owner == north.manager_north and thread.owner == north.manager_north
    note = Notification.objects.get(user=north.manager_north, verb="clock_assigned")
    assert "Question about the invoice" in note.text and note.url == clock.url


@freeze_time(NOW)
def test_someone_else_taking_it_first_is_a_conflict_not_a_reassignment(client, north):
    _lead, clock = queue_lead(north.manager_north)
    ResponseClock.objects.filter(pk=clock.pk).update(owner=north.manager_north)
    login(client, north.head_north)
    response = client.post(
        f"/worklist/clocks/{clock.pk}/assign/", {"owner": north.manager_north2.pk}, follow=True
    )
    clock.refresh_from_db()
    assert clock.owner == north.manager_north
    assert "has already taken this" in response.content.decode()


@freeze_time(NOW)
def test_managers_may_take_a_queue_clock_for_themselves_only(client, north):
    _lead, clock = queue_lead(north.manager_north)
    login(client, north.manager_north)
    refused = client.post(
        f"/worklist/clocks/{clock.pk}/assign/", {"owner": north.manager_north2.pk}, follow=True
    )
    assert "Only a head of sales can assign this to someone else." in refused.content.decode()
    clock.refresh_from_db()
    assert clock.owner is None
    client.post(f"/worklist/clocks/{clock.pk}/assign/", {"owner": north.manager_north.pk})
    clock.refresh_from_db()
    assert clock.owner == north.manager_north


@freeze_time(NOW)
def test_other_teams_clocks_and_people_are_refused(client, north):
    _lead, south_clock = queue_lead(north.manager_south)
    _lead, north_clock = queue_lead(north.manager_north)
    login(client, north.head_north)
    assert (
        client.post(f"/worklist/clocks/{south_clock.pk}/assign/", {"owner": north.head_north.pk}).status_code
        == 404
    )
    page = client.post(
        f"/worklist/clocks/{north_clock.pk}/assign/", {"owner": north.manager_south.pk}, follow=True
    ).content.decode()
    assert "This person is not in the team." in page
    assert (
        client.post(f"/worklist/clocks/{north_clock.pk}/assign/", {"owner": "x"}, follow=True).status_code
        == 200
    )
    north_clock.refresh_from_db()
    assert north_clock.owner is None
    assert client.get(f"/worklist/clocks/{north_clock.pk}/assign/").status_code == 405


@freeze_time(NOW)
def test_head_page_queries_do_not_grow_with_the_queue(client, north):
    def fill(start: int, end: int) -> None:
        for i in range(start, end):
            queue_lead(north.manager_north, name=f"Q{i}")
            queue_message(north.north, subject=f"Message {i}")

    login(client, north.head_north)
    own_list = f"/?person={north.head_north.pk}"  # the queue read by its own query
    fill(0, 1)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/").status_code == 200
    with CaptureQueriesContext(connection) as small_own:
        assert client.get(own_list).status_code == 200
    fill(1, 8)
    with CaptureQueriesContext(connection) as large:
        page = client.get("/").content.decode()
    with CaptureQueriesContext(connection) as large_own:
        own_page = client.get(own_list).content.decode()
    assert "Message 7" in page and "Message 7" in own_page
    assert page.count("worklist-queue-clock") == 16 == own_page.count("worklist-queue-clock")
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
    assert len(large_own) == len(small_own), [q["sql"][:120] for q in large_own.captured_queries]
    assert len(large) <= 24 and len(large_own) <= 26, (len(large), len(large_own))
