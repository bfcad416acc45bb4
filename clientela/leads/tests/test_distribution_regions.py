"""Distribution by region, and the implicit team rule's stored round-robin pointer."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from clientela.conftest import make_user
from clientela.core.roles import Role
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.choices import AssignmentStrategy
from clientela.leads.distribution import decide_owner, match_reasons, record_choice
from clientela.leads.models import DistributionRule, Lead, LeadPolicy

_phones = itertools.count(300000)


@pytest.fixture
def m3(world):
    return make_user("mnorth3", Role.MANAGER, world.north, first_name="Olga")


def arrive(world, **fields) -> Lead:
    ctx = IntakeContext(door="api", team=world.north, default_source="web_form")
    data = {"name": "Ion Popescu", "phone": f"+40721{next(_phones)}", **fields}
    return Lead.objects.get(pk=intake_submit(raw=RawLead(**data), ctx=ctx).id)


def rule(world, name: str, members=(), **fields) -> DistributionRule:
    created = DistributionRule.objects.create(team=world.north, name=name, position=1, **fields)
    created.members.set(members)
    return created


def test_region_rule_needs_country_and_region(world):
    rule(world, "Cluj desk", countries=["RO"], regions=["Cluj", "Bihor"], members=[world.manager_north2])
    lead = Lead(team=world.north, country="RO", region="cluj")
    assignment = decide_owner(lead)
    assert assignment.owner == world.manager_north2
    assert "country RO, region cluj" in str(assignment.reason)
    for country, region in (("RO", "Iasi"), ("HU", "Cluj"), ("RO", "")):
        other = decide_owner(Lead(team=world.north, country=country, region=region))
        assert other.rule is None, (country, region)


def test_region_rule_without_countries_matches_the_region_anywhere(world):
    regional = rule(world, "Transilvania", regions=["Transilvania"])
    assert [str(m) for m in match_reasons(regional, Lead(country="HU", region="TRANSILVANIA")) or []] == [
        "region TRANSILVANIA"
    ]
    assert match_reasons(regional, Lead(country="RO", region="Muntenia")) is None


def test_region_reaches_the_rule_through_intake(world):
    rule(world, "Cluj desk", countries=["RO"], regions=["Cluj"], members=[world.manager_north2])
    assert arrive(world, country="RO", city="Cluj").owner == world.manager_north, "a city is not a region"
    lead = arrive(world, country="RO", region="Cluj")
    assert lead.owner == world.manager_north2 and "region Cluj" in lead.assignment_reason


def test_implicit_round_robin_pointer_is_stored_on_the_policy(world, m3):
    LeadPolicy.objects.create(team=world.north, strategy=AssignmentStrategy.ROUND_ROBIN)
    owners = [arrive(world).owner for _ in range(4)]
    assert owners == [world.manager_north, world.manager_north2, m3, world.manager_north]
    assert LeadPolicy.objects.get(team=world.north).last_assigned == world.manager_north


def test_implicit_pointer_is_fair_whatever_other_rules_assign(world, m3):
    """A rule's choices do not move the team rule's rotation (it used to follow whoever got
    the team's latest lead, so a busy rule starved the people after its members)."""
    LeadPolicy.objects.create(team=world.north, strategy=AssignmentStrategy.ROUND_ROBIN)
    rule(world, "Hungary desk", countries=["HU"], members=[world.manager_north2])
    first = arrive(world)
    arrive(world, country="HU", phone=f"+3620{next(_phones)}0")
    arrive(world, country="HU", phone=f"+3620{next(_phones)}0")
    second = arrive(world)
    assert (first.owner, second.owner) == (world.manager_north, world.manager_north2)


def test_implicit_pointer_survives_an_unavailable_person(world, m3):
    policy = LeadPolicy.objects.create(
        team=world.north, strategy=AssignmentStrategy.ROUND_ROBIN, last_assigned=world.manager_north
    )
    world.manager_north2.is_absent = True
    world.manager_north2.save()
    assert [arrive(world).owner for _ in range(2)] == [m3, world.manager_north]
    policy.refresh_from_db()
    assert policy.last_assigned == world.manager_north


def test_least_loaded_team_rule_does_not_write_the_pointer(world):
    LeadPolicy.objects.create(team=world.north, strategy=AssignmentStrategy.LEAST_LOADED)
    with transaction.atomic():
        record_choice(decide_owner(Lead(team=world.north, first_name="X")))
    assert LeadPolicy.objects.get(team=world.north).last_assigned is None


def test_implicit_round_robin_locks_the_policy_row(world):
    if not connection.features.has_select_for_update:
        pytest.skip("this database has no row locks (SQLite serialises writers instead)")
    LeadPolicy.objects.create(team=world.north, strategy=AssignmentStrategy.ROUND_ROBIN)
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        decide_owner(Lead(team=world.north, first_name="X"))
    assert any("FOR UPDATE" in q["sql"] and "leads_leadpolicy" in q["sql"] for q in captured)
