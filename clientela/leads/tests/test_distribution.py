"""Distribution rules: each rule, their order, the fall-backs, the explanation and the cost."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clientela.clients.models import Client
from clientela.conftest import make_user
from clientela.core.models import Notification
from clientela.core.roles import Role
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.choices import AssignmentStrategy, LeadStatus
from clientela.leads.distribution import decide_owner, policy_for, record_choice
from clientela.leads.models import DistributionRule, Lead, LeadPolicy

_phones = itertools.count(100000)


@pytest.fixture
def m3(world):
    return make_user("mnorth3", Role.MANAGER, world.north, first_name="Olga")


def arrive(world, team=None, **fields) -> Lead:
    """A lead arriving through the real intake pipeline (distribution decides the owner)."""
    ctx = IntakeContext(door="api", team=team or world.north, default_source="web_form")
    data = {"name": "Ion Popescu", "phone": f"+40721{next(_phones)}", **fields}
    return Lead.objects.get(pk=intake_submit(raw=RawLead(**data), ctx=ctx).id)


def give_open_leads(user, count: int) -> None:
    Lead.objects.bulk_create(
        Lead(first_name="Busy", phone=f"+40722{next(_phones)}", owner=user, team=user.team)
        for _ in range(count)
    )


def give_history(user, converted: int, refused: int) -> None:
    """Closed leads in the conversion window: `converted` won, `refused` lost."""
    now = timezone.now()
    Lead.objects.bulk_create(
        Lead(
            first_name="Old",
            owner=user,
            team=user.team,
            status=status,
            status_changed_at=now,
        )
        for status in [LeadStatus.CONVERTED] * converted + [LeadStatus.REFUSED] * refused
    )


def set_policy(world, **values) -> LeadPolicy:
    policy, _ = LeadPolicy.objects.update_or_create(team=world.north, defaults=values)
    return policy


def rule(world, name: str, position: int = 1, members=(), **fields) -> DistributionRule:
    created = DistributionRule.objects.create(team=world.north, name=name, position=position, **fields)
    created.members.set(members)
    return created


# --- Specialisation ------------------------------------------------------------------------


def test_country_rule_sends_its_country_to_its_managers(world):
    rule(world, "Hungary desk", countries=["HU"], members=[world.manager_north2])
    hungarian = arrive(world, country="HU", phone=f"+3620{next(_phones)}0")
    romanian = arrive(world, country="RO")
    assert hungarian.owner == world.manager_north2
    assert "rule 1 “Hungary desk”" in hungarian.assignment_reason
    assert "country HU" in hungarian.assignment_reason
    assert romanian.owner == world.manager_north, "no match: anyone in the team, least loaded first"


def test_industry_rule_matches_case_insensitively(world):
    rule(world, "Pharma", industries=["Pharma"], members=[world.manager_north2])
    lead = arrive(world, industry="pharma")
    other = arrive(world, industry="Retail")
    assert lead.owner == world.manager_north2 and "industry pharma" in lead.assignment_reason
    assert other.owner == world.manager_north


def test_product_rule_matches_the_interest(world):
    rule(world, "CRM specialists", products=["CRM"], members=[world.manager_north2])
    lead = arrive(world, interest="CRM Enterprise, 50 seats")
    other = arrive(world, interest="Accounting")
    assert lead.owner == world.manager_north2 and "interest in CRM" in lead.assignment_reason
    assert other.owner == world.manager_north


def test_first_matching_rule_wins(world, m3):
    first = rule(world, "Romania A", position=1, countries=["RO"], members=[world.manager_north2])
    rule(world, "Romania B", position=2, countries=["RO"], members=[m3])
    assert arrive(world).owner == world.manager_north2
    first.position = 3
    first.save()
    lead = arrive(world)
    assert lead.owner == m3 and "rule 1 “Romania B”" in lead.assignment_reason


def test_temperature_rule_takes_only_its_temperatures(world):
    set_policy(world, hot_warm_to_beginners=True)
    rule(world, "Hot line", temperatures=["hot"], members=[world.manager_north2])
    assert arrive(world, temperature="hot").owner == world.manager_north2
    assert arrive(world, temperature="cold").owner == world.manager_north


def test_inactive_rule_is_ignored(world):
    rule(world, "Off", countries=["RO"], members=[world.manager_north2], is_active=False)
    assert arrive(world).owner == world.manager_north


# --- Best converters -----------------------------------------------------------------------


def test_hot_lead_skips_beginners(world):
    set_policy(world, min_closed_for_ranking=10)
    give_history(world.manager_north2, converted=3, refused=7)  # experienced, despite a low rate
    give_history(world.manager_north, converted=2, refused=2)  # a beginner: 4 closed < 10
    lead = arrive(world, temperature="hot")
    assert lead.owner == world.manager_north2
    assert (
        "hot lead" in lead.assignment_reason and "top converter (30% of 10 closed)" in lead.assignment_reason
    )


def test_warm_lead_goes_to_the_top_share_of_converters(world, m3):
    set_policy(world, min_closed_for_ranking=5, top_converter_share=50)
    give_history(world.manager_north, converted=1, refused=9)
    give_history(world.manager_north2, converted=6, refused=4)
    give_history(m3, converted=4, refused=6)
    give_open_leads(world.manager_north2, 5)  # the best converter is busier: still chosen
    # 3 ranked managers, top 50% → the best two (Nelu 60%, Olga 40%); least loaded of them: Olga
    assert arrive(world, temperature="warm").owner == m3


def test_best_converters_only_rule_picks_the_top_converter(world, m3):
    set_policy(world, min_closed_for_ranking=10, top_converter_share=30)
    give_history(world.manager_north, converted=2, refused=8)
    give_history(world.manager_north2, converted=6, refused=4)
    give_history(m3, converted=4, refused=6)
    rule(world, "Key accounts", products=["Enterprise"], best_converters_only=True)
    lead = arrive(world, temperature="cold", interest="Enterprise plan")
    assert lead.owner == world.manager_north2
    assert "top converter (60% of 10 closed)" in lead.assignment_reason


def test_cold_lead_may_go_to_a_beginner(world):
    set_policy(world, min_closed_for_ranking=10)
    give_history(world.manager_north2, converted=5, refused=5)
    cold = arrive(world, temperature="cold")
    assert cold.owner == world.manager_north, "the beginner is least loaded and cold leads go to anyone"
    assert arrive(world, temperature="hot").owner == world.manager_north2


def test_policy_may_let_hot_leads_go_to_beginners(world):
    set_policy(world, min_closed_for_ranking=10, hot_warm_to_beginners=True)
    give_history(world.manager_north2, converted=5, refused=5)
    assert arrive(world, temperature="hot").owner == world.manager_north


def test_conversion_counts_only_the_window(world):
    set_policy(world, min_closed_for_ranking=10, conversion_window_days=30)
    give_history(world.manager_north2, converted=5, refused=5)
    Lead.objects.filter(owner=world.manager_north2).update(
        status_changed_at=timezone.now() - timezone.timedelta(days=31)
    )
    lead = arrive(world, temperature="hot")
    assert lead.owner is None, "old results do not make anyone experienced"


# --- Picking within the group ----------------------------------------------------------------


def test_round_robin_rotates_over_three_managers(world, m3):
    set_policy(world, strategy=AssignmentStrategy.ROUND_ROBIN)
    owners = [arrive(world).owner for _ in range(4)]
    assert owners == [world.manager_north, world.manager_north2, m3, world.manager_north]


def test_round_robin_rule_remembers_its_last_choice(world, m3):
    rotating = rule(world, "Everyone in turn", strategy=AssignmentStrategy.ROUND_ROBIN)
    give_open_leads(world.manager_north, 3)  # load does not matter for round-robin
    owners = [arrive(world).owner for _ in range(3)]
    assert owners == [world.manager_north, world.manager_north2, m3]
    rotating.refresh_from_db()
    assert rotating.last_assigned == m3
    assert "round-robin" in Lead.objects.filter(owner=m3).latest("pk").assignment_reason


def test_round_robin_skips_unavailable_people_and_wraps(world, m3):
    set_policy(world, strategy=AssignmentStrategy.ROUND_ROBIN)
    rotating = rule(world, "In turn", strategy=AssignmentStrategy.ROUND_ROBIN)
    rotating.last_assigned = world.manager_north
    rotating.save()
    world.manager_north2.is_absent = True
    world.manager_north2.save()
    assert [arrive(world).owner for _ in range(2)] == [m3, world.manager_north]


def test_least_loaded_counts_open_leads_and_active_clients(world, m3):
    give_open_leads(world.manager_north, 3)
    give_open_leads(world.manager_north2, 1)
    Client.objects.create(name="Alpha", owner=world.manager_north2, team=world.north)
    Client.objects.create(name="Old", owner=m3, team=world.north, is_archived=True)
    lead = arrive(world)
    assert lead.owner == m3 and "least loaded" in lead.assignment_reason
    Client.objects.bulk_create(Client(name=f"C{i}", owner=m3, team=world.north) for i in range(5))
    # loads now: Mara 3, Nelu 1 + 1 client, Olga 1 lead + 5 clients
    assert arrive(world).owner == world.manager_north2


def test_ties_are_broken_by_id(world, m3):
    decision = decide_owner(Lead(team=world.north, first_name="X"))
    assert decision.owner == min([world.manager_north, world.manager_north2, m3], key=lambda u: u.pk)


# --- Who is skipped ------------------------------------------------------------------------


def test_capacity_cap_skips_full_managers(world):
    set_policy(world, capacity_cap=3)
    rule(world, "Mara's country", countries=["RO"], members=[world.manager_north])
    give_open_leads(world.manager_north, 2)
    Client.objects.create(name="Alpha", owner=world.manager_north, team=world.north)
    lead = arrive(world)
    assert lead.owner == world.manager_north2, "2 open leads + 1 client reach the cap of 3"
    decision = decide_owner(lead)
    assert any("capacity cap (3)" in str(note) for note in decision.considered)


def test_absent_and_inactive_managers_are_skipped(world, m3):
    world.manager_north.is_absent = True
    world.manager_north.save()
    world.manager_north2.is_active = False
    world.manager_north2.save()
    assert arrive(world).owner == m3


def test_rule_with_nobody_available_falls_through_to_the_next(world, m3):
    world.manager_north2.is_absent = True
    world.manager_north2.save()
    rule(world, "Hungary desk", position=1, countries=["RO"], members=[world.manager_north2])
    rule(world, "Backup", position=2, countries=["RO"], members=[m3])
    lead = arrive(world)
    assert lead.owner == m3 and "rule 2 “Backup”" in lead.assignment_reason
    decision = decide_owner(lead)
    assert [str(note) for note in decision.considered] == [
        "rule 1 “Hungary desk”: nobody available (everyone is absent or inactive)"
    ]


def test_nobody_available_means_team_queue_and_alert_to_the_head(world):
    for manager in (world.manager_north, world.manager_north2):
        manager.is_absent = True
        manager.save()
    lead = arrive(world, name="Queue Person")
    assert lead.owner is None
    assert "waiting in the North queue" in lead.assignment_reason
    alert = Notification.objects.get(user=world.head_north, verb="lead_unassigned")
    assert "Queue Person" in alert.text


def test_only_beginners_for_a_hot_lead_means_the_queue(world):
    lead = arrive(world, temperature="hot")
    assert lead.owner is None
    assert "only beginners available for a hot lead" in lead.assignment_reason


def test_lead_without_team_waits_for_a_head(world):
    decision = decide_owner(Lead(first_name="Nobody"))
    assert decision.owner is None and "No team" in str(decision.reason)


def test_other_teams_managers_never_get_the_lead(world):
    rule(world, "Wrong member", countries=["RO"], members=[world.manager_south])
    lead = arrive(world)
    assert lead.owner in (world.manager_north, world.manager_north2)


# --- Explanation, cost, concurrency --------------------------------------------------------


def test_reason_is_one_sentence_naming_rule_temperature_rank_and_load(world):
    set_policy(world, min_closed_for_ranking=2, strategy=AssignmentStrategy.LEAST_LOADED)
    give_history(world.manager_north2, converted=1, refused=1)
    give_open_leads(world.manager_north2, 12)
    rule(world, "Catch-all", position=1, industries=["Retail"])
    rule(world, "Hot leads", position=2, temperatures=["hot"])
    lead = arrive(world, temperature="hot")
    assert lead.assignment_reason == (
        "Assigned to Nelu because rule 2 “Hot leads”: hot lead, top converter (50% of 2 closed), "
        "12 open leads, 0 clients, least loaded."
    )


def test_decide_owner_query_count_does_not_grow_with_leads(world, m3):
    rule(world, "Everyone", strategy=AssignmentStrategy.ROUND_ROBIN)
    probe = Lead(team=world.north, first_name="Probe", temperature="hot")
    set_policy(world, min_closed_for_ranking=1)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            decide_owner(probe)
        return len(captured)

    give_history(world.manager_north2, converted=1, refused=1)
    few = queries()
    for manager in (world.manager_north, world.manager_north2, m3):
        give_open_leads(manager, 30)
        give_history(manager, converted=10, refused=10)
    assert queries() == few
    assert few <= 6


def test_record_choice_keeps_the_rule_in_sync(world):
    rotating = rule(world, "In turn", strategy=AssignmentStrategy.ROUND_ROBIN)
    with transaction.atomic():
        decision = decide_owner(Lead(team=world.north, first_name="X"))
        record_choice(decision)
    rotating.refresh_from_db()
    assert decision.rule == rotating and rotating.last_assigned == decision.owner


def test_round_robin_locks_the_rule_row_inside_a_transaction(world):
    if not connection.features.has_select_for_update:
        pytest.skip("this database has no row locks (SQLite serialises writers instead)")
    rule(world, "In turn", strategy=AssignmentStrategy.ROUND_ROBIN)
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        decide_owner(Lead(team=world.north, first_name="X"))
    assert any("FOR UPDATE" in q["sql"] and "leads_distributionrule" in q["sql"] for q in captured)


def test_policy_for_reads_without_writing(world):
    policy = policy_for(world.north)
    assert policy.pk is None and policy.capacity_cap == 50
    assert not LeadPolicy.objects.exists()
