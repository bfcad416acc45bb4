"""The import's fast paths give the same answers as the functions they stand in for.

Rows are normalised by the one normaliser every door uses (`pipeline.RowNormaliser`): a file's
row as a dict of texts and a door's `RawLead` (`pipeline.normalise`) must come out the same.
The bulk import does not call `normalise_phone`, `search_text` and `decide_owner` per row (too
slow at a million rows); these tests pin that its versions agree with them, on the generated
data set and on edge cases, so a change to one without the other fails here.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from clientela.core.normalise import normalise_phone, search_text
from clientela.core.roles import Role
from clientela.imports.fast import fast_search_text
from clientela.imports.lead_stages import BatchDistributor, _Draft
from clientela.intake.phones import fast_normalise_phone
from clientela.intake.pipeline import IntakeContext, RawLead, RowNormaliser, normalise
from clientela.leads.choices import AssignmentStrategy, LeadStatus
from clientela.leads.distribution import decide_owner
from clientela.leads.models import DistributionRule, Lead, LeadPolicy
from clientela.users.models import User

GENERATOR = Path(__file__).resolve().parents[4] / "shared" / "bench" / "gen_data.py"

PHONES = [
    "+40 721 123 456",
    "0040721123456",
    "(+40) 721-123-456",
    "+40-721-123456",
    "+40721123456",
    "0721 123 456",
    "0721-123-456",
    "721123456",
    "+44 20 7946 0958",
    "+44 (0)20 7946 0958",
    "0044 020 7946 0958",
    "+7 912 345 67 89",
    "8 912 345 67 89",
    "+7 912 345 678",
    "+36 30 123 4567",
    "06 30 123 4567",
    "+60 12-345 6789",
    "+1 (415) 555-0100",
    "+1 415 555 0100 ext. 12",
    "+39 06 1234 5678",
    "+390612345678",
    "+800 1234 5678",
    "+999 123 456",
    "+0 123 456",
    "+",
    "+1",
    "+12",
    "++40721123456",
    "+40 721 123 456 #2",
    "tel:+40721123456",
    "+40.721.123.456",
    "+40 721 123 45",
    "+40 7211234567890123",
    "00",
    "0",
    "abc",
    "+40 721 ABC 456",
    "+ 40 721 123 456",
    " +40 721 123 456 ",
    "+40721123456-",
    "+262 262 12 34 56",
    "+290 1234",
    "+882 1234 5678",
    "+979 123456789",
    "+37 123",
]
COUNTRIES = ["", "RO", "GB", "RU", "HU", "MY", "US", "XX"]


@pytest.fixture(scope="module")
def generated_rows(tmp_path_factory) -> list[dict[str, str]]:
    out = tmp_path_factory.mktemp("equivalence")
    subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(out), "--leads", "3000", "--seed", "7"], check=True
    )
    with (out / "leads.csv").open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.mark.parametrize("country", COUNTRIES)
def test_fast_phone_matches_phonenumbers(country):
    for raw in PHONES:
        assert fast_normalise_phone(raw, country) == normalise_phone(raw, country), (raw, country)


def test_fast_phone_matches_on_generated_numbers(generated_rows):
    for row in generated_rows:
        assert fast_normalise_phone(row["phone"], row["country"]) == normalise_phone(
            row["phone"], row["country"]
        )


def _raw(row: dict[str, str]) -> dict[str, str]:
    return {
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "company": row["company"],
        "position": row["position"],
        "email": row["email"],
        "phone": row["phone"],
        "country": row["country"],
        "city": row["city"],
        "source": row["source"],
        "origin": row["origin"],
        "interest": row["interest"],
        "temperature": row["temperature"],
        "campaign": row["utm_campaign"],
        "consent": row["consent"],
        "message": row["note"],
        "external_id": row["external_id"],
    }


EDGE_ROWS = [
    {"name": "  Ion   Popescu  ", "email": "MAILTO:Ion@Example.COM"},
    {"name": "Cher", "phone": "0721 123 456"},
    {"first_name": "\tAna\n", "last_name": "", "name": "ignored when first/last given"},
    {"country": "ro", "phone": "0721123456"},
    {"country": "ROU", "phone": "0721123456"},
    {"country": "Р1"},
    {"source": " Exhibition "},
    {"source": "carrier pigeon", "origin": "NET", "temperature": "HOT"},
    {"origin": "air", "temperature": "lukewarm", "consent": "maybe"},
    {"consent": "Да"},
    {"consent": "igen"},
    {"consent": " 0 "},
    {"email": "bad@", "phone": "12"},
    {"message": "  line one\nline two  ", "interest": " audit  "},
    {"company": "x" * 300, "position": "y" * 200, "campaign": "z" * 150},
    {},
]


@pytest.mark.parametrize("team_country", ["", "RO"])
def test_row_normaliser_matches_pipeline_normalise(world, generated_rows, team_country):
    world.north.default_country = team_country
    ctx = IntakeContext(door="import", team=world.north, default_source="import", default_campaign="fair")
    fast = RowNormaliser(ctx)
    for raw in [*(_raw(r) for r in generated_rows), *EDGE_ROWS]:
        assert fast.normalise(raw) == normalise(RawLead.from_mapping(raw), ctx), raw


def test_search_text_matches(generated_rows):
    for row in generated_rows:
        parts = (
            row["first_name"],
            row["last_name"],
            row["company"],
            row["email"].strip().lower(),
            row["phone"],
        )
        assert fast_search_text(*parts) == search_text(*parts)
    for parts in [
        ("Ștefan", "Ăla", "", "Фёдор"),
        ("ß", "ﬁ", "Ǆ"),
        ("é",),
        ("\u0301", "x"),
        ("Ж", "z "),
        ("",),
    ]:
        assert fast_search_text(*parts) == search_text(*parts), parts


def _draft(**values) -> _Draft:
    draft = _Draft(index=0, line=2, values={})
    for name, value in values.items():
        setattr(draft, name, value)
    return draft


def _lead(team, **values) -> Lead:
    return Lead(team=team, **values)


def _closed(user, converted: int, refused: int) -> None:
    from django.utils import timezone

    for status, count in ((LeadStatus.CONVERTED, converted), (LeadStatus.REFUSED, refused)):
        for _i in range(count):
            Lead.objects.create(owner=user, team=user.team, status=status, status_changed_at=timezone.now())


SCENARIO_LEADS = [
    {"country": "RO", "temperature": ""},
    {"country": "HU", "temperature": "cold"},
    {"country": "RO", "temperature": "hot"},
    {"country": "MY", "temperature": "warm", "product": "Cloud PBX licence"},
    {"country": "RO", "industry": "banking", "temperature": ""},
    {"country": "RO", "region": "cluj", "temperature": ""},
    {"country": "HU", "region": "Cluj", "temperature": ""},
]


@pytest.fixture
def crowded_north(world):
    """North with experienced and beginner managers, an absent one, and rules of every kind."""
    north = world.north
    veteran = User.objects.create(username="veteran", role=Role.MANAGER, team=north, first_name="Vera")
    _closed(veteran, converted=8, refused=4)
    _closed(world.manager_north, converted=2, refused=10)
    User.objects.create(username="away", role=Role.MANAGER, team=north, is_absent=True)
    LeadPolicy.objects.create(team=north, capacity_cap=30, min_closed_for_ranking=10)
    ro = DistributionRule.objects.create(team=north, position=1, name="Romania", countries=["RO"])
    ro.members.set([world.manager_north, world.manager_north2])
    DistributionRule.objects.create(
        team=north, position=2, name="Telephony", products=["pbx"], strategy=AssignmentStrategy.ROUND_ROBIN
    )
    DistributionRule.objects.create(
        team=north, position=3, name="Banks", industries=["banking"], best_converters_only=True
    )
    cluj = DistributionRule.objects.create(
        team=north, position=0, name="Cluj", countries=["RO"], regions=["Cluj"], strategy="round_robin"
    )
    cluj.members.set([world.manager_north2, veteran])
    return world


@pytest.mark.parametrize("values", SCENARIO_LEADS)
def test_batch_distribution_decides_as_decide_owner(crowded_north, values):
    north = crowded_north.north
    expected = decide_owner(_lead(north, **values))
    owner, reason = BatchDistributor(north).decide(_draft(**values))
    assert (owner, reason) == (expected.owner, expected.reason)


def test_batch_distribution_of_many_leads_matches_one_by_one(crowded_north):
    """A run of leads: after each decision the one-by-one path creates the lead (its load and
    round-robin pointer move); the batch path must make the same sequence of choices."""
    from clientela.leads.distribution import record_choice

    north = crowded_north.north
    batch = BatchDistributor(north)
    sequence = [*SCENARIO_LEADS, *SCENARIO_LEADS, {"country": "MY", "product": "PBX", "temperature": ""}] * 3
    for values in sequence:
        lead = _lead(north, **values)
        expected = decide_owner(lead)
        owner, reason = batch.decide(_draft(**values))
        assert (owner, reason) == (expected.owner, expected.reason), values
        record_choice(expected)
        lead.owner = expected.owner
        lead.assigned_at = lead.created_at = None
        lead.save()
        if expected.owner is not None:
            Lead.objects.filter(pk=lead.pk).update(assigned_at=lead.updated_at)


def test_team_at_capacity_sends_leads_to_the_queue_with_the_reason(world):
    LeadPolicy.objects.create(team=world.north, capacity_cap=1)
    batch = BatchDistributor(world.north)
    decisions = [batch.decide(_draft(country="RO")) for _i in range(3)]
    assert [owner for owner, _why in decisions] == [world.manager_north, world.manager_north2, None]
    assert "capacity cap" in str(decisions[2][1]) and "queue" in str(decisions[2][1])


def test_batch_distribution_keeps_the_implicit_round_robin_pointer(world):
    """No rule: the team's round-robin pointer lives on the policy; the batch moves and
    stores it as one-by-one intake does, and the next run continues after it."""
    from clientela.leads.distribution import record_choice

    m3 = User.objects.create(username="m3", role=Role.MANAGER, team=world.north, first_name="Olga")
    policy = LeadPolicy.objects.create(team=world.north, strategy=AssignmentStrategy.ROUND_ROBIN)
    batch = BatchDistributor(world.north)
    owners = [batch.decide(_draft(country="RO"))[0] for _i in range(4)]
    assert owners == [world.manager_north, world.manager_north2, m3, world.manager_north]
    batch.save_round_robin()
    policy.refresh_from_db()
    assert policy.last_assigned == world.manager_north
    expected = decide_owner(_lead(world.north, country="RO"))
    assert expected.owner == world.manager_north2 and "round-robin" in str(expected.reason)
    record_choice(expected)
    assert BatchDistributor(world.north).decide(_draft(country="RO"))[0] == m3
