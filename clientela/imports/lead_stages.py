"""The stages of a lead import's batch, each doing for thousands of rows what the one-lead
services do for one, with the same rules: the draft of a lead (`_Draft`), temperature and score
(`Deriver`), the owner (`BatchDistributor`), the first-response clocks (`BulkClocks`), the
duplicate lookup (`_Lookup`: six queries a batch) and the search index filled in bulk.

Tests compare each with its one-lead original (`test_import_equivalence`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils.translation import get_language

from clientela.clients.models import Client, Contact
from clientela.comms.business_hours import add_business_time
from clientela.comms.choices import ClockKind
from clientela.comms.models import ResponseClock
from clientela.comms.tasks import sweep_clocks
from clientela.comms.team_settings import calendar_for_team, policy_for_team
from clientela.core.language import reader_language
from clientela.core.tasks import enqueue_on_commit
from clientela.core.texts import Message
from clientela.imports.bulk import BulkInserter, db_datetime
from clientela.imports.fast import Translations
from clientela.leads import texts as lead_texts
from clientela.leads.choices import (
    OPEN_STATUSES,
    AssignmentStrategy,
    Origin,
    Source,
    Temperature,
)
from clientela.leads.distribution import Candidate, candidates_for, decide, policy_for
from clientela.leads.distribution import active_rules as active_rules_for
from clientela.leads.models import DistributionRule, LeadPolicy
from clientela.leads.scoring import current_model, lead_features, score_lead
from clientela.leads.search import FTS_INSERT_TRIGGER, FTS_TABLE
from clientela.leads.temperature import active_rules, evaluate_temperature
from clientela.users.models import Team, User

_SOURCE_LABELS = dict(Source.choices)
_TEMPERATURE_LABELS = dict(Temperature.choices)
_ORIGIN_LABELS = dict(Origin.choices)
_label_cache: dict[tuple[str | None, int, str], str] = {}


def _label(labels: dict[str, Any], value: str) -> str:
    """A choice's translated label, as `get_FOO_display`, translated once per language."""
    key = (get_language(), id(labels), value)
    try:
        return _label_cache[key]
    except KeyError:
        text = _label_cache[key] = str(labels.get(value, value))
        return text


@dataclass
class Outcome:
    line: int
    outcome: str
    lead_id: int | None = None
    interest_id: int | None = None
    merged_into: str = ""
    reason: Any = ""  # text, or a message (core.texts) the report shows in its reader's language


@dataclass
class _Draft:
    """A lead about to be created: what temperature rules, scoring and distribution read."""

    index: int
    line: int
    values: dict[str, Any]
    touches: int = 0
    touch_details: list[dict[str, Any]] = field(default_factory=list)
    id: int | None = None
    owner: User | None = None
    reason: Message | str = ""
    # attributes read by leads.temperature / leads.scoring / leads.distribution
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    email: str = ""
    phone: str = ""
    source: str = ""
    origin: str = ""
    product: str = ""
    message: str = ""
    country: str = ""
    region: str = ""
    industry: str = ""
    consent: bool = False
    temperature: str = ""
    temperature_manual: bool = False
    temperature_reasons: list[str] = field(default_factory=list)
    touch_count: int = 1
    last_touch_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
    score: int = 0
    score_factors: list[dict[str, Any]] = field(default_factory=list)
    score_json: str = "[]"
    first_temperature: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_source_display(self) -> str:
        return _label(_SOURCE_LABELS, self.source)

    def get_origin_display(self) -> str:
        return _label(_ORIGIN_LABELS, self.origin)

    def get_temperature_display(self) -> str:
        return _label(_TEMPERATURE_LABELS, self.temperature)

    def __str__(self) -> str:
        return self.full_name or self.email or self.phone or f"#{self.id}"


class Deriver:
    """Temperature and score as `leads.services.lifecycle.refresh_derived` computes them, with the rules and
    the scoring model read once per run and results reused for identical inputs."""

    def __init__(self, team: Team | None) -> None:
        self.rules = active_rules(team.pk if team else None)
        self.age_sensitive = any(rule.max_age_days is not None for rule in self.rules)
        self.model = current_model()
        # Reasons are written for their reader (`temperature.reasons_language`); the owner is
        # chosen after the temperature, so an imported lead's are in its team head's language.
        self.language = reader_language(None, team)
        self._temperature: dict[tuple[Any, ...], tuple[str, list[str]]] = {}
        self._score: dict[tuple[Any, ...], tuple[int, list[dict[str, Any]], str]] = {}

    def temperature(self, lead: Any) -> tuple[str, list[str]]:
        """`leads.temperature.evaluate_temperature` with the rules read once; the answer is
        reused for leads that look the same to the rules (unless a rule looks at recency)."""
        if self.age_sensitive or (lead.temperature_manual and lead.temperature):
            return evaluate_temperature(lead, self.rules, language=self.language)
        key = (
            lead.source,
            lead.origin,
            lead.product,
            lead.message,
            lead.touch_count,
            lead.temperature,
            tuple(lead.temperature_reasons or ()),
        )
        result = self._temperature.get(key)
        if result is None:
            temperature, reasons = evaluate_temperature(lead, self.rules, language=self.language)
            result = temperature, [str(r) for r in reasons]
            if len(self._temperature) > 50_000:
                self._temperature.clear()
            self._temperature[key] = result
        return result[0], list(result[1])

    def score(self, lead: Any) -> tuple[int, list[dict[str, Any]], str]:
        """`(score, factors, factors as JSON)`, as `leads.scoring.score_lead`."""
        key = tuple(lead_features(lead).items())
        cached = self._score.get(key)
        if cached is None:
            score, factors = score_lead(lead, self.model)
            cached = score, factors, json.dumps(factors)
            self._score[key] = cached
        return cached

    def apply(self, lead: Any) -> None:
        temperature, reasons = self.temperature(lead)
        lead.temperature, lead.temperature_reasons = temperature, [str(r) for r in reasons]
        lead.score, lead.score_factors, lead.score_json = self.score(lead)


class BatchDistributor:
    """`leads.distribution.decide_owner` for many leads: the same `distribution.decide`, with
    its reads done once per run.

    The policy, the rules with their members, every candidate's load and conversion, and
    whom each round-robin rule (and the implicit team rule) chose last are read once per run
    instead of once per lead. After each choice the chosen manager's load grows by one open
    lead and the pointer moves in memory, as `record_choice` + the new lead row would move
    them, so a file is spread exactly as one-by-one intake would spread it if nothing else
    arrived meanwhile (tests compare the two). `save_round_robin` stores the pointers with
    each batch.
    """

    def __init__(self, team: Team | None) -> None:
        self.team = team
        self.rules: list[DistributionRule] = []
        self.member_ids: dict[int, set[int]] = {}
        self.everyone: list[Candidate] = []
        self.by_user: dict[int, Candidate] = {}
        self.last: dict[int | None, int | None] = {}
        self.used_rules: set[int] = set()
        self.policy_moved = False
        self.translate = Translations()
        if team is None:
            return
        self.policy = policy_for(team)
        self.rules = active_rules_for(team)
        self.member_ids = {rule.pk: {m.pk for m in rule.members.all()} for rule in self.rules}
        self.everyone = candidates_for(team, self.policy)
        self.by_user = {c.user.pk: c for c in self.everyone}
        self.last = {rule.pk: rule.last_assigned_id for rule in self.rules}
        self.last[None] = self.policy.last_assigned_id

    def _last_assigned(self, rule: DistributionRule | None) -> int | None:
        return self.last.get(rule.pk if rule is not None else None)

    def decide(self, lead: Any) -> tuple[User | None, Message]:
        team = self.team
        if team is None:
            return None, Message(lead_texts.NO_TEAM)
        assignment = decide(
            lead,
            team=team,
            policy=self.policy,
            rules=self.rules,
            member_ids=self.member_ids,
            everyone=self.everyone,
            last_assigned=self._last_assigned,
            gettext=self.translate,
        )
        owner = assignment.owner
        if owner is None:
            return None, assignment.reason
        # What record_choice and the new lead row would change for the next decision.
        self.by_user[owner.pk].open_leads += 1
        rule = assignment.rule
        if rule is not None:
            self.last[rule.pk] = owner.pk
            self.used_rules.add(rule.pk)
        elif assignment.strategy == AssignmentStrategy.ROUND_ROBIN and self.policy.pk:
            self.last[None] = owner.pk
            self.policy_moved = True
        return owner, assignment.reason

    def save_round_robin(self) -> None:
        """Store each used rule's last choice, as `distribution.record_choice` does per lead."""
        for rule_id in self.used_rules:
            DistributionRule.objects.filter(pk=rule_id).update(last_assigned_id=self.last.get(rule_id))
        self.used_rules.clear()
        if self.policy_moved:
            LeadPolicy.objects.filter(pk=self.policy.pk).update(last_assigned_id=self.last.get(None))
            self.policy_moved = False


class BulkClocks:
    """First-response clocks for a batch of new leads, as `comms.clock_start_first_response`
    starts one per lead: the team policy's budget tightened by the lead's temperature, counted
    in the team's business time from the moment the lead was created.

    Every lead of a batch is created at the same moment, so the deadlines are computed once
    per temperature per batch; the clocks are written in one statement (COPY on PostgreSQL).
    Their checks are scheduled in bulk: one deferred `sweep_clocks` per distinct due minute
    (a handful per import instead of a job per lead). The periodic sweep remains the safety
    net. The import's audit entry counts the clocks instead of one audit row per clock.
    """

    def __init__(self, team: Team | None, *, translate: Callable[[str], str]) -> None:

        self.team = team
        self.translate = translate
        self.policy = policy_for_team(team)
        self.calendar = calendar_for_team(team)
        self.writer = BulkInserter(
            ResponseClock,
            [
                "kind",
                "lead_id",
                "subject",
                "owner_id",
                "team_id",
                "budget_minutes",
                "started_at",
                "target_at",
                "due_at",
            ],
        )
        self.scheduled: set[dt.datetime] = set()
        self.started_total = 0

    def deadlines(self, temperature: str, at: dt.datetime) -> tuple[int, dt.datetime, dt.datetime]:
        """`(budget, target_at, due_at)` for a lead of `temperature` created at `at`."""

        budget = self.policy.budget_for(temperature)
        target = min(self.policy.target_minutes, budget)
        return (
            budget,
            add_business_time(at, target, self.calendar),
            add_business_time(at, budget, self.calendar),
        )

    def start(self, drafts: list[_Draft], now: dt.datetime) -> int:

        if not drafts:
            return 0
        per_temperature: dict[str, tuple[int, Any, Any, dt.datetime]] = {}
        started = db_datetime(now)
        team_id = self.team.pk if self.team is not None else None
        subject = self.translate("First response to %(lead)s")
        rows = []
        for draft in drafts:
            deadline = per_temperature.get(draft.first_temperature)
            if deadline is None:
                budget, target_at, due_at = self.deadlines(draft.first_temperature, now)
                deadline = per_temperature[draft.first_temperature] = (
                    budget,
                    db_datetime(target_at),
                    db_datetime(due_at),
                    due_at,
                )
            rows.append(
                (
                    ClockKind.FIRST_RESPONSE.value,
                    draft.id,
                    (subject % {"lead": draft})[:200],
                    draft.owner.pk if draft.owner else None,
                    team_id,
                    deadline[0],
                    started,
                    deadline[1],
                    deadline[2],
                )
            )
        ids = self.writer.reserve_ids(len(rows))
        self.writer.insert((pk, *row) for pk, row in zip(ids, rows, strict=True))
        for _budget, _target, _due, due_at in per_temperature.values():
            # one sweep at the first minute by which these clocks are all due
            minute = due_at.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
            if minute not in self.scheduled:
                self.scheduled.add(minute)
                enqueue_on_commit(sweep_clocks.using(run_after=minute))
        self.started_total += len(rows)
        return len(rows)


@contextmanager
def _search_index_in_bulk(first_id: int, last_id: int) -> Iterator[None]:
    """SQLite: fill the FTS search index for the batch's leads with one INSERT … SELECT instead
    of the per-row trigger (about three times faster). The trigger is dropped and recreated
    from its own definition inside the batch's transaction, which holds the write lock, so no
    other writer ever sees the table without it."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [FTS_INSERT_TRIGGER]
        )
        row = cursor.fetchone()
        if row is None:
            yield
            return
        cursor.execute(f'DROP TRIGGER "{FTS_INSERT_TRIGGER}"')
        yield
        cursor.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, search_text) "  # noqa: S608 (constant table name)
            "SELECT id, search_text FROM leads_lead WHERE id BETWEEN %s AND %s",
            [first_id, last_id],
        )
        cursor.execute(row[0])


@dataclass
class _Prepared:
    """A batch after normalisation: its rows, the outcomes known so far, the accepted rows
    as `(index, line, values, kind, why)`."""

    batch: list[tuple[int, list[str]]]
    outcomes: list[Outcome | None]
    accepted: list[tuple[int, int, dict[str, Any], str, str]] = field(default_factory=list)


@dataclass
class _Existing:
    kind: str  # "lead", "contact", "client"
    id: int
    owner_id: int | None = None


def _one_of(values: set[str]) -> RawSQL:
    """`IN (…)` for thousands of values as one parameter: Django would otherwise prepare and
    send one parameter per value (a large share of a batch's time at 5,000 rows)."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::text[])", [pg_text_array(values)])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(sorted(values))])


def pg_text_array(values: set[str]) -> str:
    """A PostgreSQL text-array literal (`{"a","b"}`) for `%s::text[]`: one string parameter,
    which psycopg sends as it is, instead of a list it adapts element by element (30 ms per
    5,000 values, measured)."""
    quoted = ('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in sorted(values))
    return "{" + ",".join(quoted) + "}"


def _open_leads_with(column: str, values: set[str]) -> list[tuple[str, int, int | None]]:
    """`(value, id, owner_id)` of open, unmerged leads whose e-mail or phone is in `values`,
    latest first. Written out so that SQLite always walks the e-mail/phone index: before its
    first ANALYZE it prefers the index on `merged_into_id` (NULL for every lead) and reads the
    whole table — 2.4 s per batch at a million leads instead of 0.05 s (the unary `+` keeps
    the status and merge conditions off the index choice)."""
    assert column in ("email", "phone")
    statuses = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
    param: Any
    if connection.vendor == "postgresql":
        # a set-returning subquery, not `= ANY(array)`: with 5,000 inlined values the planner
        # may filter every open lead against the whole array (50 s a batch, measured)
        match, plus, param = "IN (SELECT unnest(%s::text[]))", "", pg_text_array(values)
    else:
        match, plus, param = "IN (SELECT value FROM json_each(%s))", "+", json.dumps(sorted(values))
    sql = (
        f"SELECT {column}, id, owner_id FROM leads_lead WHERE {column} {match} "  # noqa: S608 (fixed names)
        f"AND {plus}status IN ({statuses}) AND {plus}merged_into_id IS NULL ORDER BY created_at DESC, id DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [param])
        return cursor.fetchall()


class _Lookup:
    """Open leads, contacts and clients with the batch's e-mails and phones: six queries per
    batch, earliest record first, as `pipeline.find_duplicate` orders them."""

    def __init__(self, emails: set[str], phones: set[str]) -> None:
        self.lead_email: dict[str, _Existing] = {}
        self.lead_phone: dict[str, _Existing] = {}
        self.contact_email: dict[str, _Existing] = {}
        self.contact_phone: dict[str, _Existing] = {}
        self.client_email: dict[str, _Existing] = {}
        self.client_phone: dict[str, _Existing] = {}
        for name, values, target in (("email", emails, self.lead_email), ("phone", phones, self.lead_phone)):
            if values:
                for value, pk, owner_id in _open_leads_with(name, values):
                    target[value] = _Existing("lead", pk, owner_id)  # the earliest ends up last
        others: list[tuple[str, Any, str, str, dict[str, _Existing], set[str]]] = [
            ("contact", Contact.objects.all(), "client__owner_id", "email", self.contact_email, emails),
            ("contact", Contact.objects.all(), "client__owner_id", "phone", self.contact_phone, phones),
            ("client", Client.objects.all(), "owner_id", "email", self.client_email, emails),
            ("client", Client.objects.all(), "owner_id", "phone", self.client_phone, phones),
        ]
        for kind, queryset, owner, name, target, values in others:
            if not values:
                continue
            rows = (
                queryset.filter(**{f"{name}__in": _one_of(values)})
                .order_by("-id")
                .values_list(name, "id", owner)
            )
            for value, pk, owner_id in rows:
                target[value] = _Existing(kind, pk, owner_id)  # the earliest ends up last
        # Then their other e-mails and phones, as `pipeline.secondary_match`: a contact's other
        # address before a client's main one, e-mail before phone.
        self.contact_other: dict[str, _Existing] = {}
        self.client_other: dict[str, _Existing] = {}
        listed: list[tuple[str, type[Contact] | type[Client], str, dict[str, _Existing]]] = [
            ("contact", Contact, "client__owner_id", self.contact_other),
            ("client", Client, "owner_id", self.client_other),
        ]
        for kind, model, owner, target in listed:
            for name, values in (("other_phones", phones), ("other_emails", emails)):
                if not values:
                    continue
                rows = (
                    model.objects.filter(_listing_any(model, name, values))
                    .order_by("-id")
                    .values_list(name, "id", owner)
                )
                for listed_values, pk, owner_id in rows:
                    for value in listed_values or ():
                        if value in values:
                            target[value] = _Existing(kind, pk, owner_id)  # the earliest ends up last

    def find(self, email: str, phone: str) -> _Existing | None:
        """The contact or client this e-mail or phone belongs to, in `find_duplicate`'s order."""
        for value, found in (
            (email, self.contact_email),
            (phone, self.contact_phone),
            (email, self.contact_other),
            (phone, self.contact_other),
            (email, self.client_email),
            (phone, self.client_phone),
            (email, self.client_other),
            (phone, self.client_other),
        ):
            if value and value in found:
                return found[value]
        return None


def _listing_any(model: type[Contact] | type[Client], field: str, values: set[str]) -> Q:
    """Rows whose JSON list `field` holds one of `values` (PostgreSQL: `?|`, from the GIN index
    on the list; SQLite: the lists that are not empty, unpacked)."""
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        return Q(
            pk__in=RawSQL(  # noqa: S611 (names from the model, values a parameter)
                f'SELECT id FROM "{table}" WHERE "{field}" ?| %s::text[]',  # noqa: S608
                [pg_text_array(values)],
            )
        )
    return Q(
        pk__in=RawSQL(  # noqa: S611 (names from the model, values a parameter)
            f'SELECT t.id FROM "{table}" t, json_each(t."{field}") j '  # noqa: S608
            f"WHERE t.\"{field}\" != '[]' AND j.value IN (SELECT value FROM json_each(%s))",
            [json.dumps(sorted(values))],
        )
    )
