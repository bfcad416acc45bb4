"""Head offices and branches: the HQ card shows its branches and combined figures."""

from __future__ import annotations

import pytest

from clientela.clients import hooks, selectors
from clientela.clients.tests.factories import make_client, make_contact


@pytest.fixture
def company(world):
    hq = make_client(world.manager_north, name="Vector HQ", employees=200)
    north_branch = make_client(world.manager_north, name="Vector Cluj", employees=40, headquarters=hq)
    colleague_branch = make_client(world.manager_north2, name="Vector Iasi", employees=None, headquarters=hq)
    south_branch = make_client(world.manager_south, name="Vector Debrecen", employees=25, headquarters=hq)
    make_contact(hq)
    make_contact(north_branch)
    make_contact(north_branch)
    make_contact(south_branch)
    archived = make_contact(colleague_branch)
    archived.is_archived = True
    archived.save(update_fields=["is_archived"])
    return {"hq": hq, "north": north_branch, "colleague": colleague_branch, "south": south_branch}


def test_family_figures_add_up_the_hq_and_every_branch(world, company):
    figures = selectors.client_family_figures(client=company["hq"], viewer=world.manager_north)
    assert figures.branches == 3
    assert figures.employees == 200 + 40 + 25  # unknown sizes count as nothing
    assert figures.contacts == 4  # archived contacts do not count


def test_a_branch_sees_the_same_family(world, company):
    assert selectors.client_family_ids(company["south"]) == selectors.client_family_ids(company["hq"])
    assert set(selectors.client_family_ids(company["hq"])) == {c.pk for c in company.values()}


def test_branch_names_only_for_those_who_may_see_them(world, company):
    visible, hidden = selectors.client_branches(viewer=world.manager_north, client=company["hq"])
    assert [b.name for b in visible] == ["Vector Cluj"] and hidden == 2
    visible, hidden = selectors.client_branches(viewer=world.head_north, client=company["hq"])
    assert {b.name for b in visible} == {"Vector Cluj", "Vector Iasi"} and hidden == 1
    visible, hidden = selectors.client_branches(viewer=world.admin, client=company["hq"])
    assert hidden == 0 and len(visible) == 3


def test_other_capabilities_add_figures_through_the_extension_point(world, company):
    seen = {}

    def deals_figures(ids, viewer):
        seen["ids"], seen["viewer"] = sorted(ids), viewer
        return [("Open deals", 7)]

    hooks.family_figures.register(deals_figures)
    try:
        figures = selectors.client_family_figures(client=company["hq"], viewer=world.head_north)
    finally:
        hooks.family_figures.unregister(deals_figures)
    assert ("Open deals", 7) in figures.extra
    assert seen == {"ids": sorted(c.pk for c in company.values()), "viewer": world.head_north}


def test_branch_filter_lists(world, company):
    from clientela.clients.lists import CLIENTS
    from clientela.clients.selectors import client_list

    hqs = client_list(viewer=world.admin, filters=CLIENTS.values(structure="hq"))
    assert [c.name for c in hqs] == ["Vector HQ"]
    branches = client_list(viewer=world.admin, filters=CLIENTS.values(headquarters=company["hq"].pk))
    assert {c.name for c in branches} == {"Vector Cluj", "Vector Iasi", "Vector Debrecen"}
