"""Role scoping through every door: the toy record pins the pattern each app follows."""

from __future__ import annotations

import pytest

from clientela.conftest import login
from clientela.core.errors import PermissionDeniedError
from clientela.core.permissions import (
    Action,
    can,
    can_manage_team,
    request_scope,
    require_record,
    scope_queryset,
    user_can,
    visible_team_ids,
)
from clientela.core.roles import Role
from clientela.core.tests.toy.models import ToyRecord


@pytest.fixture
def records(world):
    return {
        "mine": ToyRecord.objects.create(
            title="north-owned-by-mnorth", owner=world.manager_north, team=world.north
        ),
        "colleague": ToyRecord.objects.create(
            title="north-owned-by-mnorth2", owner=world.manager_north2, team=world.north
        ),
        "unassigned": ToyRecord.objects.create(title="north-unassigned", owner=None, team=world.north),
        "south": ToyRecord.objects.create(title="south-owned", owner=world.manager_south, team=world.south),
        "south_queue": ToyRecord.objects.create(title="south-unassigned", owner=None, team=world.south),
    }


EXPECTED = {
    # role: the records that role's user in the North team may see
    Role.ADMIN: {"mine", "colleague", "unassigned", "south", "south_queue"},
    Role.HEAD: {"mine", "colleague", "unassigned"},
    Role.MANAGER: {"mine", "unassigned"},
    Role.MARKETER: set(),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_scope_by_role(world, records, role):
    user = world.by_role(role)
    visible = set(ToyRecord.objects.visible_to(user).values_list("title", flat=True))
    assert visible == {records[key].title for key in EXPECTED[role]}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_scope_parts_split_the_same_records_without_overlap(world, records, role):
    # A head's own record in a team they do not head is seen through the "own" part only.
    ToyRecord.objects.create(title="south-owned-by-head", owner=world.head_north, team=world.south)
    user = world.by_role(role)
    visible = sorted(ToyRecord.objects.visible_to(user).values_list("pk", flat=True))
    parts = [list(part.values_list("pk", flat=True)) for part in ToyRecord.objects.visible_parts(user)]
    assert sorted(pk for part in parts for pk in part) == visible


@pytest.mark.parametrize("role", list(EXPECTED))
def test_page_shows_only_scoped_records(client, world, records, role):
    response = login(client, world.by_role(role)).get("/toy/")
    assert response.status_code == 200
    shown = set(filter(None, response.content.decode().split("\n")))
    assert shown == {records[key].title for key in EXPECTED[role]}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_api_lists_only_scoped_records(client, world, records, role, api_token):
    response = client.get("/api/v1/toy-records", headers=api_token(world.by_role(role)))
    assert response.status_code == 200
    assert {item["title"] for item in response.json()} == {records[key].title for key in EXPECTED[role]}


def test_manager_cannot_open_another_teams_record_by_page_or_api(client, world, records, api_token):
    south = records["south"]
    login(client, world.manager_north)
    assert client.get(f"/toy/{south.pk}/").status_code == 404
    response = client.get(f"/api/v1/toy-records/{south.pk}", headers=api_token(world.manager_north))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": {}}
    # …while their own record opens through both doors.
    mine = records["mine"]
    assert client.get(f"/toy/{mine.pk}/").content.decode() == mine.title
    assert (
        client.get(f"/api/v1/toy-records/{mine.pk}", headers=api_token(world.manager_north)).status_code
        == 200
    )


def test_head_sees_every_team_they_head(world, records):
    world.south.head = world.head_north
    world.south.save(update_fields=["head"])
    visible = set(ToyRecord.objects.visible_to(world.head_north).values_list("title", flat=True))
    assert {"south-owned", "south-unassigned"} <= visible


def test_inactive_and_anonymous_see_nothing(world, records):
    from django.contrib.auth.models import AnonymousUser

    world.manager_north.is_active = False
    assert not ToyRecord.objects.visible_to(world.manager_north).exists()
    assert not scope_queryset(ToyRecord.objects.all(), AnonymousUser()).exists()


def test_manager_without_team_sees_only_own(world, records):
    world.manager_north.team = None
    visible = set(ToyRecord.objects.visible_to(world.manager_north).values_list("title", flat=True))
    assert visible == {"north-owned-by-mnorth"}


def test_marketer_sees_team_records_only_where_model_allows(world, records):
    allowed = scope_queryset(ToyRecord.objects.all(), world.marketer_north, marketer_sees_team=True)
    assert set(allowed.values_list("title", flat=True)) == {
        "north-owned-by-mnorth",
        "north-owned-by-mnorth2",
        "north-unassigned",
    }


@pytest.mark.parametrize(
    ("role", "capability", "allowed"),
    [
        (Role.ADMIN, "manage_users", True),
        (Role.HEAD, "manage_users", False),
        (Role.HEAD, "distribute_leads", True),
        (Role.MANAGER, "distribute_leads", False),
        (Role.MARKETER, "view_deal_amounts", False),
        (Role.MANAGER, "view_deal_amounts", True),
        (Role.MARKETER, "manage_intake", True),
        (Role.MANAGER, "view_reports", False),
    ],
)
def test_capabilities_by_role(world, role, capability, allowed):
    assert user_can(world.by_role(role), capability) is allowed


def test_a_request_reads_a_heads_teams_once_until_a_team_changes(world, django_assert_num_queries):
    head = world.head_north
    with request_scope():
        with django_assert_num_queries(1):
            assert visible_team_ids(head) == {world.north.pk}
            assert visible_team_ids(head) == {world.north.pk}
        world.south.head = head
        world.south.save(update_fields=["head"])
        assert visible_team_ids(head) == {world.north.pk, world.south.pk}
    # Outside a request (jobs, services called directly) every call reads the teams.
    world.south.head = None
    world.south.save(update_fields=["head"])
    with django_assert_num_queries(1):
        assert visible_team_ids(head) == {world.north.pk}


WORK = {
    # role: the records that role's user in the North team may change
    Role.ADMIN: EXPECTED[Role.ADMIN],
    Role.HEAD: EXPECTED[Role.HEAD],
    Role.MANAGER: EXPECTED[Role.MANAGER],
    Role.MARKETER: set(),
}
MANAGE = {
    Role.ADMIN: EXPECTED[Role.ADMIN],
    Role.HEAD: EXPECTED[Role.HEAD],
    Role.MANAGER: set(),
    Role.MARKETER: set(),
}


@pytest.mark.parametrize("action", [Action.VIEW, Action.WORK, Action.MANAGE])
@pytest.mark.parametrize("role", list(EXPECTED))
def test_record_rule_by_action_one_and_many_agree(world, records, role, action):
    user = world.by_role(role)
    expected = {Action.VIEW: EXPECTED, Action.WORK: WORK, Action.MANAGE: MANAGE}[action][role]
    many = set(ToyRecord.objects.restrict(user, action).values_list("title", flat=True))
    one = {record.title for record in records.values() if can(user, record, action)}
    assert many == one == {records[key].title for key in expected}


def test_a_marketer_works_no_record_even_one_that_names_them(world, records):
    own = ToyRecord.objects.create(title="marketer-owned", owner=world.marketer_north, team=world.north)
    assert can(world.marketer_north, own, Action.VIEW)
    assert not can(world.marketer_north, own, Action.WORK)
    assert not ToyRecord.objects.restrict(world.marketer_north, Action.WORK).exists()
    with pytest.raises(PermissionDeniedError, match="Not yours"):
        require_record(world.marketer_north, own, Action.WORK, "Not yours")


def test_a_contact_is_read_through_its_client(world):
    from clientela.clients.models import Client, Contact

    north = Client.objects.create(name="North SRL", owner=world.manager_north, team=world.north)
    south = Client.objects.create(name="South Kft", owner=world.manager_south, team=world.south)
    mine = Contact.objects.create(client=north, first_name="Ana", last_name="Pop")
    theirs = Contact.objects.create(client=south, first_name="Éva", last_name="Kiss")
    assert can(world.manager_north, mine, Action.WORK)
    assert not can(world.manager_north, theirs, Action.WORK)
    assert not can(world.head_north, theirs, Action.VIEW)


def test_managing_a_team_is_for_its_head_and_admins(world):
    assert can_manage_team(world.admin, world.south)
    assert can_manage_team(world.head_north, world.north)
    assert not can_manage_team(world.head_north, world.south)
    assert not can_manage_team(world.head_north, None)  # company-wide settings: admins only
    assert can_manage_team(world.admin, None)
    assert not can_manage_team(world.manager_north, world.north)
    assert not can_manage_team(world.marketer_north, world.north)
