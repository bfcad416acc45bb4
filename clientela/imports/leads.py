"""File import of leads (CSV/XLSX): the intake pipeline, a batch at a time.

Every data row gets exactly one outcome — created, merged into an existing record (a lead,
contact or client with the same e-mail or phone, or an earlier row of the same file), became
an interest, or rejected with the reason — and the same rules as every other door decide it:
`pipeline.RowNormaliser` (the normaliser of every door), `pipeline.classify`, and the
duplicate order of `pipeline.find_duplicate`.

What differs is how the work is done, so that a million rows import in minutes, not hours:

* a batch (default 5,000 rows) is normalised, then its e-mails and phones are looked up with
  one `IN` query per table instead of one query per row;
* temperature rules, the scoring model, the team's distribution rules and every candidate's
  load are read once per run; owners are chosen in memory with the rules of
  `leads.distribution` and each choice adds one to the chosen manager's load;
* leads, their "created" timeline events, first tasks and interests are written with
  `import_bulk.BulkInserter` (COPY on PostgreSQL).

Each batch commits in one transaction together with the job's progress (`processed_rows`),
its counters and its part of the per-row report, so a crash loses at most the batch in
flight and a resumed run starts after the last committed batch: nothing is imported twice and
no row is lost. The whole import is one audit entry (`core.audit.audit_bulk`), created with
the first batch and kept current. A dry run does the same classification and writes only the
job and its report.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from clientela.activities.choices import Priority, TaskKind
from clientela.activities.models import Task
from clientela.clients.models import Client, Contact
from clientela.clients.services import clients_touched
from clientela.comms.models import ResponseClock
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.language import reader_language
from clientela.core.normalise import name_key
from clientela.core.notifications import notify
from clientela.core.permissions import role_of, user_can
from clientela.core.roles import Role
from clientela.core.tasks import enqueue_on_commit
from clientela.imports import jobs
from clientela.imports.bulk import BulkInserter, db_datetime
from clientela.imports.choices import ImportStatus, RowOutcome
from clientela.imports.fast import Translations, fast_search_text
from clientela.imports.files import (
    IMPORT_FIELDS,
    Table,
    merge_mapping,
    open_table,
    resolve_mapping,
    suggest_mapping,
)
from clientela.imports.models import ImportJob
from clientela.imports.runner import JobRunner, ProgressCallback
from clientela.intake.pipeline import IntakeContext, RowNormaliser, classify
from clientela.leads.choices import (
    OPEN_STATUSES,
    AssignmentStrategy,
    LeadEventKind,
    LeadStatus,
    Origin,
    Source,
    Temperature,
)
from clientela.leads.distribution import Candidate, candidates_for, decide, policy_for
from clientela.leads.distribution import active_rules as active_rules_for
from clientela.leads.models import DistributionRule, Interest, Lead, LeadEvent, LeadPolicy
from clientela.leads.scoring import current_model, lead_features, score_lead
from clientela.leads.search import FTS_INSERT_TRIGGER, FTS_TABLE
from clientela.leads.services import FIRST_CONTACT_DUE
from clientela.leads.temperature import active_rules, evaluate_temperature
from clientela.users.models import Team, User

log = logging.getLogger(__name__)

BATCH_SIZE = 5000
# A running job whose last batch is older than this is considered dead and may be resumed.
REPORT_HEADER = ["line", "outcome", "lead_id", "interest_id", "merged_into", "reason"]
FIELD_LABELS = dict(IMPORT_FIELDS)
# What recomputing a touched lead's temperature and score reads.
TOUCH_READS = (
    "first_name",
    "last_name",
    "company_name",
    "email",
    "phone",
    "source",
    "origin",
    "product",
    "message",
    "consent",
    "touch_count",
    "last_touch_at",
    "created_at",
    "temperature",
    "temperature_manual",
    "temperature_reasons",
    "owner_id",
    "team_id",
    "import_job_id",
)
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


# --- Who may import ------------------------------------------------------------------------


def can_import(user: Any) -> bool:
    """Heads of sales, marketers and admins import; managers do not (see docs/performance.md:
    an imported file is distributed by the team's rules, which a manager may not bypass)."""
    return user_can(user, "manage_intake") or user_can(user, "distribute_leads")


def importable_teams(user: Any) -> list[Team]:
    """Teams this user may import leads into."""
    role = role_of(user)
    if role is None or not can_import(user):
        return []
    teams = Team.objects.filter(is_active=True).order_by("name")
    if role == Role.ADMIN:
        return list(teams)
    ids = {user.team_id} if user.team_id else set()
    if role == Role.HEAD:
        ids |= set(user.headed_teams.values_list("id", flat=True))
    return list(teams.filter(pk__in=ids))


def require_import(user: Any) -> None:
    if not can_import(user):
        raise PermissionDeniedError(_("You do not have permission to import leads."))


# --- Creating and starting jobs --------------------------------------------------------------


@transaction.atomic
def import_job_create(
    *,
    by: Any,
    file: IO[bytes],
    name: str,
    team: Team | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    default_country: str = "",
    default_source: str = Source.IMPORT,
    default_campaign: str = "",
    check_permission: bool = True,
) -> ImportJob:
    """Store an uploaded file as an import job, read its columns and suggest a mapping.

    Nothing is imported yet: `import_job_start` queues it (web, API) or `import_run` runs it
    (command line). Raises BusinessError for unreadable files and bad options.
    """
    if check_permission:
        require_import(by)
        allowed = importable_teams(by)
        if team is None:
            team = (
                getattr(by, "team", None) if getattr(by, "team_id", None) in {t.pk for t in allowed} else None
            )
            if team is None and len(allowed) == 1:
                team = allowed[0]
        if team is not None and team.pk not in {t.pk for t in allowed}:
            raise PermissionDeniedError(_("You cannot import leads into this team."))
    errors: dict[str, list[str]] = {}
    country = (default_country or "").strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        errors["default_country"] = [_("Use a two-letter country code, e.g. RO, HU, MY.")]
    if default_source not in Source.values:
        errors["default_source"] = [_("Unknown source “%(value)s”.") % {"value": default_source}]
    if errors:
        raise BusinessError(_("Some fields are not valid."), errors=errors, status=422)
    table = open_table(file, name)
    table.close()
    mapping = merge_mapping(table.headers, mapping)
    # Unknown columns or fields are errors now; a mapping that does not name anybody yet is
    # allowed until the import starts (the mapping page lets people complete it).
    resolve_mapping(table.headers, mapping, require_identity=False)
    return jobs.job_store(
        by=by,
        file=file,
        name=name,
        table=table,
        dry_run=dry_run,
        mapping=mapping,
        default_country=country,
        default_source=default_source,
        default_campaign=default_campaign.strip()[:100],
        team=team,
    )


@transaction.atomic
def import_job_start(
    *, by: Any, job: ImportJob, mapping: dict[str, str] | None = None, dry_run: bool | None = None
) -> ImportJob:
    """Confirm the mapping and hand the job to a background worker."""
    from clientela.imports.tasks import run_import

    require_import(by)
    return jobs.job_queue(
        by=by, job=job, mapping=mapping, dry_run=dry_run, check_mapping=resolve_mapping, runner=run_import
    )


@transaction.atomic
def import_job_repeat(*, by: Any, job: ImportJob) -> ImportJob:
    """After a dry run: the same file and mapping, imported for real (queued at once)."""
    require_import(by)
    copy = jobs.job_copy_for_real(by=by, job=job, extra_fields=("default_source", "default_campaign"))
    return import_job_start(by=by, job=copy)


@transaction.atomic
def import_job_resume(*, by: Any, job: ImportJob, force: bool = False) -> ImportJob:
    """Queue a failed (or dead) import again; it continues after its last committed batch."""
    require_import(by)
    from clientela.imports.tasks import run_import

    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not can_resume(job, force=force):
        raise ConflictError(_("Only a failed or stalled import can be resumed."))
    job.status = ImportStatus.FAILED if job.status == ImportStatus.RUNNING else job.status
    job.queued_at = timezone.now()
    job.save(update_fields=["status", "queued_at", "updated_at"])
    enqueue_on_commit(run_import, job_id=job.pk, force=force)
    return job


can_resume = jobs.can_resume


# --- Reads -----------------------------------------------------------------------------------


def import_job_list(*, viewer: Any) -> Any:
    """Imports the viewer may see (their own, and their teams' for heads and marketers)."""
    if not can_import(viewer):
        return ImportJob.objects.none()
    return ImportJob.objects.visible_to(viewer).select_related("team", "owner").order_by("-created_at", "-id")


def import_job_get(*, viewer: Any, pk: int) -> ImportJob:
    """One import the viewer may see; 403 without the capability, 404 when not visible."""
    from clientela.core.permissions import get_visible_or_404

    require_import(viewer)
    return get_visible_or_404(ImportJob.objects.select_related("team", "owner"), viewer, pk=pk)


def import_preview(job: ImportJob, limit: int = 5) -> list[tuple[int, list[str]]]:
    """The first data rows of the job's file, for the mapping page."""
    return jobs.preview(job, limit)


def report_lines(job: ImportJob) -> Iterator[str]:
    """The report as CSV text, header first (see `jobs.report_lines`)."""
    return jobs.report_lines(job, REPORT_HEADER)


# --- Running ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    line: int
    outcome: str
    lead_id: int | None = None
    interest_id: int | None = None
    merged_into: str = ""
    reason: str = ""


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
    reason: str = ""
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
    """Temperature and score as `services.refresh_derived` computes them, with the rules and
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

    def decide(self, lead: Any) -> tuple[User | None, str]:
        team = self.team
        if team is None:
            return None, self.translate("No team: the lead waits for a head of sales to assign it.")
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
        from clientela.comms.services import calendar_for_team, policy_for_team

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
        from clientela.comms.business_hours import add_business_time

        budget = self.policy.budget_for(temperature)
        target = min(self.policy.target_minutes, budget)
        return (
            budget,
            add_business_time(at, target, self.calendar),
            add_business_time(at, budget, self.calendar),
        )

    def start(self, drafts: list[_Draft], now: dt.datetime) -> int:
        from clientela.comms.choices import ClockKind
        from clientela.comms.tasks import sweep_clocks

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


class ImportRunner(JobRunner):
    """Runs (or resumes) one lead import job. `import_run` is the entry point."""

    report_header = REPORT_HEADER
    counters = {
        RowOutcome.CREATED: "created_count",
        RowOutcome.MERGED: "merged_count",
        RowOutcome.INTEREST: "interest_count",
        RowOutcome.REJECTED: "rejected_count",
    }

    def __init__(self, job: ImportJob, **options: Any) -> None:
        options.setdefault("batch_size", BATCH_SIZE)
        super().__init__(job, **options)
        self.seen_email: dict[str, int] = {}  # dry run only: rows "created" in earlier batches
        self.seen_phone: dict[str, int] = {}
        self.touched_other: dict[str, set[int]] = {"contact": set(), "client": set()}
        self._pending_merges: list[tuple[Outcome, _Draft]] = []
        self._touch_texts: dict[str, str] = {}
        self.translate = Translations()

    def _import(self, table: Table) -> None:
        job = self.job
        self.mapping = sorted(
            resolve_mapping(table.headers, job.mapping or suggest_mapping(table.headers)).items()
        )
        if table.estimated_rows and not job.processed_rows:
            job.total_rows = table.estimated_rows
        self.ctx = IntakeContext(
            door="import",
            by=self.by,
            team=job.team,
            default_source=job.default_source,
            default_campaign=job.default_campaign,
            import_job=job,
        )
        # The import's default country stands in for the team's (phones without a code, and
        # the lead's country when the row has none).
        self.normaliser = RowNormaliser(self.ctx, default_country=job.default_country)
        self.deriver = Deriver(job.team)
        self.distributor = BatchDistributor(job.team)
        self.clocks = BulkClocks(job.team, translate=self.translate)
        self._prepare_writers()
        seq = job.report_chunks.count()
        for prepared in self._prepared_batches(table, skip=job.processed_rows):
            seq += 1
            self._commit_batch(prepared.batch, seq, functools.partial(self._report, prepared))

    def _report(self, prepared: _Prepared) -> list[tuple[str, list[Any]]]:
        return [
            (o.outcome, [o.line, o.outcome, o.lead_id or "", o.interest_id or "", o.merged_into, o.reason])
            for o in self._process(prepared)
        ]

    def _prepared_batches(self, table: Table, *, skip: int) -> Iterator[_Prepared]:
        """Batches read, normalised and classified by a helper thread, one batch ahead.

        That work needs no database, so it overlaps the time this thread waits for the
        database to write the previous batch (both drivers release the GIL while they wait).
        """
        ready: queue.Queue[_Prepared | BaseException | None] = queue.Queue(maxsize=2)
        stop = threading.Event()
        language = get_language()

        def put(item: _Prepared | BaseException | None) -> bool:
            while not stop.is_set():
                try:
                    ready.put(item, timeout=0.5)
                    return True
                except queue.Full:
                    continue
            return False

        def produce() -> None:
            try:
                with translation.override(language):
                    batch: list[tuple[int, list[str]]] = []
                    for number, row in enumerate(table.rows()):
                        if number < skip:
                            continue
                        batch.append(row)
                        if len(batch) >= self.batch_size:
                            if not put(self._prepare(batch)):
                                return
                            batch = []
                    if batch and not put(self._prepare(batch)):
                        return
                put(None)
            except BaseException as exc:  # handed to the importing thread, which re-raises it
                put(exc)

        worker = threading.Thread(target=produce, name=f"import-{self.job.pk}-reader", daemon=True)
        worker.start()
        try:
            while True:
                item = ready.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            worker.join(timeout=10)

    def _after_batch(self, job: ImportJob) -> None:
        self.distributor.save_round_robin()
        self._audit(job, status=ImportStatus.RUNNING)

    def audit_model(self, job: ImportJob) -> type[Lead]:
        return Lead

    def audit_details(self, job: ImportJob, previous: dict[str, Any]) -> dict[str, Any]:
        """Counts, the contacts and clients the file touched (capped), the clocks started."""
        return {
            "created": job.created_count,
            "merged": job.merged_count,
            "interests": job.interest_count,
            "rejected": job.rejected_count,
            **{
                key: sorted(set(previous.get(key, [])) | self.touched_other[kind])[:1000]
                for key, kind in (("touched_contacts", "contact"), ("touched_clients", "client"))
            },
            "response_clocks": self.clocks.started_total,
        }

    def summary_text(self, job: ImportJob) -> str:
        return summary_text(job)

    def notify_others(self, job: ImportJob) -> None:
        """The new leads' owners (and the head, for leads left in the team's queue)."""
        per_owner = (
            Lead.objects.filter(import_job=job)
            .values("owner_id")
            .annotate(n=Count("id"))
            .order_by("owner_id")
        )
        owners = {
            u.pk: u for u in User.objects.filter(pk__in=[r["owner_id"] for r in per_owner if r["owner_id"]])
        }
        leads_url = reverse("leads:list")
        # A job writes these: each notice in its reader's language.
        for row in per_owner:
            if row["owner_id"] is None:
                if job.team is not None and job.team.head is not None:
                    head = job.team.head
                    with translation.override(reader_language(head, None)):
                        text = _("%(count)s imported leads wait in the %(team)s queue (“%(file)s”).") % {
                            "count": row["n"],
                            "team": job.team,
                            "file": job.original_name,
                        }
                    notify(user=head, verb="leads_unassigned", text=text, url=leads_url)
                continue
            owner = owners.get(row["owner_id"])
            with translation.override(reader_language(owner, None)):
                text = _("%(count)s new leads for you from the import “%(file)s”.") % {
                    "count": row["n"],
                    "file": job.original_name,
                }
            notify(user=owner, verb="leads_imported", text=text, url=leads_url)

    # -- one batch --

    def _prepare_writers(self) -> None:
        self.lead_writer = BulkInserter(
            Lead,
            [
                "created_at",
                "updated_at",
                "created_by_id",
                "email",
                "email_raw",
                "phone",
                "phone_raw",
                "first_name",
                "last_name",
                "company_name",
                "position",
                "industry",
                "country",
                "region",
                "city",
                "source",
                "origin",
                "campaign",
                "product",
                "message",
                "external_id",
                "consent",
                "consent_at",
                "consent_source",
                "status",
                "temperature",
                "temperature_manual",
                "temperature_reasons",
                "score",
                "score_factors",
                "owner_id",
                "team_id",
                "assigned_at",
                "assignment_reason",
                "last_touch_at",
                "touch_count",
                "search_text",
                "name_key",
                "import_job_id",
            ],
        )
        self.event_writer = BulkInserter(LeadEvent, ["lead_id", "at", "actor_id", "kind", "text", "data"])
        self.task_writer = BulkInserter(
            Task,
            [
                "created_at",
                "updated_at",
                "created_by_id",
                "kind",
                "title",
                "due_at",
                "priority",
                "assignee_id",
                "team_id",
                "lead_id",
            ],
        )
        self.interest_writer = BulkInserter(
            Interest,
            [
                "created_at",
                "updated_at",
                "created_by_id",
                "email",
                "email_raw",
                "phone",
                "phone_raw",
                "name",
                "company_name",
                "source",
                "origin",
                "campaign",
                "product",
                "message",
                "country",
                "city",
                "team_id",
                "reason",
                "import_job_id",
            ],
        )

    def _row_values(self, cells: list[str]) -> dict[str, str]:
        return {name: cells[index] for index, name in self.mapping if index < len(cells)}

    def _prepare(self, batch: list[tuple[int, list[str]]]) -> _Prepared:
        """Normalise and classify a batch (no database): rejections are final here."""
        started = time.perf_counter()
        prepared = _Prepared(batch=batch, outcomes=[None] * len(batch))
        normalise = self.normaliser.normalise
        for index, (line, cells) in enumerate(batch):
            values, errors = normalise(self._row_values(cells))
            if errors:
                prepared.outcomes[index] = Outcome(line, RowOutcome.REJECTED, reason=_error_text(errors))
                continue
            kind, why = classify(values)
            if kind == "reject":
                prepared.outcomes[index] = Outcome(line, RowOutcome.REJECTED, reason=str(why))
                continue
            values["name_key"] = name_key(values["first_name"], values["last_name"])
            too_long = _too_long(values, kind)
            if too_long:
                prepared.outcomes[index] = Outcome(line, RowOutcome.REJECTED, reason=too_long)
                continue
            prepared.accepted.append((index, line, values, kind, str(why)))
        self.timings["read, normalise, classify (reader thread)"] += time.perf_counter() - started
        return prepared

    def _process(self, prepared: _Prepared) -> list[Outcome]:
        outcomes = prepared.outcomes
        accepted = prepared.accepted
        with self.timer("duplicate lookup (queries)"):
            emails = {v["email"] for _i, _l, v, _k, _w in accepted if v["email"]}
            phones = {v["phone"] for _i, _l, v, _k, _w in accepted if v["phone"]}
            found = _Lookup(emails, phones)
        batch_email: dict[str, _Draft] = {}
        batch_phone: dict[str, _Draft] = {}
        drafts: list[_Draft] = []
        interests: list[tuple[int, int, dict[str, Any], str]] = []
        touches: dict[int, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
        other_touches: list[_Existing] = []
        dry = self.job.dry_run

        for index, line, values, kind, why in accepted:
            email, phone = values["email"], values["phone"]
            target: _Existing | _Draft | int | None = None
            for value, db_map, here, seen in (
                (email, found.lead_email, batch_email, self.seen_email),
                (phone, found.lead_phone, batch_phone, self.seen_phone),
            ):
                if value:
                    target = db_map.get(value) or (seen.get(value) if dry else None) or here.get(value)
                    if target is not None:
                        break
            if target is None:
                target = found.find(email, phone)
            if target is not None:
                outcomes[index] = self._merge(index, line, values, target, touches, other_touches)
                continue
            if kind == "interest":
                interests.append((index, line, values, why))
                continue
            draft = self._draft(index, line, values)
            drafts.append(draft)
            if email:
                batch_email.setdefault(email, draft)
            if phone:
                batch_phone.setdefault(phone, draft)

        now = timezone.now()
        self._create_leads(drafts, now, outcomes)
        with self.timer("write interests"):
            self._create_interests(interests, now, outcomes)
        if not dry:
            with self.timer("touch existing leads"):
                self._touch_existing(touches, now)
                self._touch_clients(other_touches, now)
                self._notify_others(other_touches)
        if dry:
            for draft in drafts:
                if draft.email:
                    self.seen_email.setdefault(draft.email, draft.line)
                if draft.phone:
                    self.seen_phone.setdefault(draft.phone, draft.line)
        for draft in drafts:
            outcome = outcomes[draft.index]
            assert outcome is not None
            outcome.lead_id = draft.id
        return [o for o in outcomes if o is not None]

    def _merge(
        self,
        index: int,
        line: int,
        values: dict[str, Any],
        target: _Existing | _Draft | int,
        touches: dict[int, list[tuple[int, dict[str, Any]]]],
        other_touches: list[_Existing],
    ) -> Outcome:
        details = {
            "door": "import",
            "email": values["email"],
            "phone": values["phone"],
            "message": values["message"][:500],
            "source": values["source"],
            "import_job": self.job.pk,
            "line": line,
        }
        if isinstance(target, int):  # dry run: a row of an earlier batch
            return Outcome(line, RowOutcome.MERGED, merged_into=_("line %(line)s") % {"line": target})
        if isinstance(target, _Draft):
            target.touches += 1
            target.touch_details.append(details)
            outcome = Outcome(line, RowOutcome.MERGED)
            outcome.merged_into = _("line %(line)s") % {"line": target.line}
            self._pending_merges.append((outcome, target))
            return outcome
        if target.kind == "lead":
            touches[target.id].append((line, details))
            return Outcome(line, RowOutcome.MERGED, lead_id=target.id, merged_into=f"lead #{target.id}")
        other_touches.append(target)
        self.touched_other[target.kind].add(target.id)
        return Outcome(line, RowOutcome.MERGED, merged_into=f"{target.kind} #{target.id}")

    def _draft(self, index: int, line: int, values: dict[str, Any]) -> _Draft:
        draft = _Draft(
            index=index,
            line=line,
            values=values,
            first_name=values["first_name"],
            last_name=values["last_name"],
            company_name=values["company_name"],
            email=values["email"],
            phone=values["phone"],
            source=values["source"],
            origin=values["origin"],
            product=values["product"],
            message=values["message"],
            country=values["country"],
            region=values["region"],
            industry=values["industry"],
            consent=values["consent"],
            temperature=values["temperature"],
            temperature_manual=values.get("temperature_manual", False),
            temperature_reasons=values["temperature_reasons"],
        )
        return draft

    def _create_leads(self, drafts: list[_Draft], now: dt.datetime, outcomes: list[Outcome | None]) -> None:
        _ = self.translate
        deriver, distributor = self.deriver, self.distributor
        clock = time.perf_counter()
        for draft in drafts:
            draft.last_touch_at = draft.created_at = now
            deriver.apply(draft)  # as lead_create: one touch, then distribution
            draft.owner, draft.reason = distributor.decide(draft)
            draft.first_temperature = draft.temperature  # what the response clock is budgeted on
            if draft.touches:
                # later rows of the file touched it: recompute as lead_touch would
                draft.touch_count = 1 + draft.touches
                deriver.apply(draft)
            outcome = Outcome(draft.line, RowOutcome.CREATED)
            if self.job.dry_run:
                outcome.reason = draft.reason
            outcomes[draft.index] = outcome
        self.timings["temperature, score, distribution"] += time.perf_counter() - clock
        if self.job.dry_run or not drafts:
            for outcome, target in self._pending_merges:
                outcome.lead_id = target.id
            self._pending_merges = []
            return
        clock = time.perf_counter()
        ids = self.lead_writer.reserve_ids(len(drafts))
        at = db_datetime(now)
        by_id = self.by.pk if self.by else None
        team_id = self.job.team_id
        job_id = self.job.pk
        rows = []
        events = []
        tasks = []
        due = db_datetime(now + FIRST_CONTACT_DUE)
        created_text_cache: dict[str, str] = {}
        for draft, pk in zip(drafts, ids, strict=True):
            draft.id = pk
            v = draft.values
            owner_id = draft.owner.pk if draft.owner else None
            rows.append(
                (
                    pk,
                    at,
                    at,
                    by_id,
                    v["email"],
                    v["email_raw"],
                    v["phone"],
                    v["phone_raw"],
                    v["first_name"],
                    v["last_name"],
                    v["company_name"],
                    v["position"],
                    v["industry"],
                    v["country"],
                    v["region"],
                    v["city"],
                    v["source"],
                    v["origin"],
                    v["campaign"],
                    v["product"],
                    v["message"],
                    v["external_id"],
                    v["consent"],
                    at if v["consent"] else None,
                    v["consent_source"],
                    LeadStatus.NEW.value,
                    draft.temperature,
                    draft.temperature_manual,
                    json.dumps(draft.temperature_reasons),
                    draft.score,
                    draft.score_json,
                    owner_id,
                    team_id,
                    at if owner_id else None,
                    draft.reason[:300],
                    at,
                    draft.touch_count,
                    fast_search_text(
                        draft.first_name,
                        draft.last_name,
                        draft.company_name,
                        draft.email,
                        draft.phone.lstrip("+"),
                    ),
                    v["name_key"],
                    job_id,
                )
            )
            source_label = draft.get_source_display()
            text = created_text_cache.get(source_label)
            if text is None:
                text = _("Lead created from %(source)s") % {"source": source_label}
                created_text_cache[source_label] = text
            events.append(
                (
                    None,
                    pk,
                    at,
                    by_id,
                    LeadEventKind.CREATED.value,
                    text,
                    json.dumps({"import_job": job_id, "line": draft.line, "assignment": draft.reason}),
                )
            )
            for details in draft.touch_details:
                events.append(
                    (
                        None,
                        pk,
                        at,
                        by_id,
                        LeadEventKind.TOUCH.value,
                        self._touch_text(details),
                        json.dumps(details),
                    )
                )
            hot = draft.temperature == Temperature.HOT
            tasks.append(
                (
                    None,
                    at,
                    at,
                    by_id,
                    TaskKind.FIRST_CONTACT.value,
                    (_("First contact with %(name)s") % {"name": draft})[:200],
                    due,
                    (Priority.HIGH if hot else Priority.NORMAL).value,
                    owner_id,
                    team_id,
                    pk,
                )
            )
        self.timings["build rows"] += time.perf_counter() - clock
        with self.timer("write leads"), _search_index_in_bulk(ids[0], ids[-1]):
            self.lead_writer.insert(rows)
        with self.timer("write events"):
            event_ids = self.event_writer.reserve_ids(len(events))
            self.event_writer.insert((pk, *row[1:]) for pk, row in zip(event_ids, events, strict=True))
        with self.timer("write tasks"):
            task_ids = self.task_writer.reserve_ids(len(tasks))
            self.task_writer.insert((pk, *row[1:]) for pk, row in zip(task_ids, tasks, strict=True))
        with self.timer("start response clocks"):
            self.clocks.start(drafts, now)
        for outcome, target in self._pending_merges:
            outcome.lead_id = target.id
            outcome.merged_into = f"lead #{target.id}"
        self._pending_merges = []

    def _create_interests(
        self,
        interests: list[tuple[int, int, dict[str, Any], str]],
        now: dt.datetime,
        outcomes: list[Outcome | None],
    ) -> None:
        if self.job.dry_run:
            for index, line, _values, why in interests:
                outcomes[index] = Outcome(line, RowOutcome.INTEREST, reason=why)
            return
        ids = self.interest_writer.reserve_ids(len(interests))
        at = db_datetime(now)
        by_id = self.by.pk if self.by else None
        rows = []
        for (index, line, v, why), pk in zip(interests, ids, strict=True):
            outcomes[index] = Outcome(line, RowOutcome.INTEREST, interest_id=pk, reason=why)
            rows.append(
                (
                    pk,
                    at,
                    at,
                    by_id,
                    v["email"],
                    v["email_raw"],
                    v["phone"],
                    v["phone_raw"],
                    f"{v['first_name']} {v['last_name']}".strip()[:200],
                    v["company_name"],
                    v["source"],
                    v["origin"],
                    v["campaign"],
                    v["product"],
                    v["message"],
                    v["country"],
                    v["city"],
                    self.job.team_id,
                    why[:200],
                    self.job.pk,
                )
            )
        self.interest_writer.insert(rows)

    def _touch_existing(self, touches: dict[int, list[tuple[int, dict[str, Any]]]], now: dt.datetime) -> None:
        """Existing open leads got in touch again: count, timeline, temperature/score, owner told."""
        if not touches:
            return
        leads = list(Lead.objects.filter(pk__in=list(touches)).only(*TOUCH_READS))
        events = []
        at = db_datetime(now)
        by_id = self.by.pk if self.by else None
        per_owner: dict[int, int] = defaultdict(int)
        # Leads that end up with the same new values are updated together: a handful of
        # UPDATEs per batch instead of one per lead (or Django's slow CASE-per-row bulk_update).
        groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for lead in leads:
            arrivals = touches[lead.pk]
            lead.touch_count += len(arrivals)
            lead.last_touch_at = now
            temperature, reasons = self.deriver.temperature(lead)
            lead.temperature, lead.temperature_reasons = temperature, [str(r) for r in reasons]
            score, _factors, factors_json = self.deriver.score(lead)
            key = (len(arrivals), temperature, json.dumps(lead.temperature_reasons), score, factors_json)
            groups[key].append(lead.pk)
            for _line, details in arrivals:
                events.append(
                    (LeadEventKind.TOUCH.value, lead.pk, self._touch_text(details), json.dumps(details))
                )
            if lead.owner_id and lead.import_job_id != self.job.pk:
                per_owner[lead.owner_id] += len(arrivals)
        for (count, temperature, reasons_json, score, factors_json), ids in groups.items():
            Lead.objects.filter(pk__in=ids).update(
                touch_count=F("touch_count") + count,
                last_touch_at=now,
                temperature=temperature,
                temperature_reasons=json.loads(reasons_json),
                score=score,
                score_factors=json.loads(factors_json),
            )
        ids = self.event_writer.reserve_ids(len(events))
        self.event_writer.insert(
            (pk, lead_id, at, by_id, kind, text, data)
            for pk, (kind, lead_id, text, data) in zip(ids, events, strict=True)
        )
        owners = User.objects.in_bulk(list(per_owner))
        for owner_id, count in per_owner.items():
            owner = owners.get(owner_id)
            with translation.override(reader_language(owner, None)):
                text = _("%(count)s of your leads got in touch again (import “%(file)s”).") % {
                    "count": count,
                    "file": self.job.original_name,
                }
            notify(
                user=owner, verb="lead_touch", text=text, url=reverse("imports:detail", args=[self.job.pk])
            )

    def _touch_text(self, details: dict[str, Any]) -> str:
        """'Came in again via Exhibition' (lead_touch's wording), translated once per source."""
        source = details["source"]
        text = self._touch_texts.get(source)
        if text is None:
            text = _("Came in again via %(source)s") % {"source": _SOURCE_LABELS.get(source, source)}
            self._touch_texts[source] = text
        return text

    def _touch_clients(self, other_touches: list[_Existing], now: dt.datetime) -> None:
        """Clients got in touch (themselves or through a contact): their last contact moves."""
        client_ids = {t.id for t in other_touches if t.kind == "client"}
        contact_ids = {t.id for t in other_touches if t.kind == "contact"}
        if contact_ids:
            client_ids.update(Contact.objects.filter(pk__in=contact_ids).values_list("client_id", flat=True))
        clients_touched(client_ids=client_ids, at=now)

    def _notify_others(self, other_touches: list[_Existing]) -> None:
        per_owner: dict[int, int] = defaultdict(int)
        for target in other_touches:
            if target.owner_id:
                per_owner[target.owner_id] += 1
        owners = User.objects.in_bulk(list(per_owner))
        for owner_id, count in per_owner.items():
            owner = owners.get(owner_id)
            with translation.override(reader_language(owner, None)):
                text = _("%(count)s of your clients or contacts got in touch again (import “%(file)s”).") % {
                    "count": count,
                    "file": self.job.original_name,
                }
            notify(
                user=owner, verb="client_touch", text=text, url=reverse("imports:detail", args=[self.job.pk])
            )


# Columns whose value the normaliser does not cut to size: a longer one is refused by
# `lead_create`'s `full_clean` on the other doors, and would fail the whole batch here.
_LENGTH_LIMITS = {"email": 254, "name_key": 120}


def _too_long(values: dict[str, Any], kind: str) -> str:
    for name, limit in _LENGTH_LIMITS.items():
        if name == "name_key" and kind != "lead":
            continue
        try:
            MaxLengthValidator(limit)(values[name])
        except ValidationError as exc:
            label = FIELD_LABELS.get(name, _("Name") if name == "name_key" else name)
            return f"{label}: {' '.join(str(m) for m in exc.messages)}"
    return ""


def _error_text(errors: dict[str, list[str]]) -> str:
    """'Phone: Not a possible phone number: +7 123' — per field, as the row's reason."""
    return "; ".join(
        f"{FIELD_LABELS.get(name, name)}: {' '.join(str(m) for m in messages)}"
        for name, messages in errors.items()
    )


def summary_text(job: ImportJob) -> str:
    """The counts of `summary` in the reader's language (pages and notices)."""
    return _("%(created)s created, %(merged)s merged, %(interests)s interests, %(rejected)s rejected") % {
        "created": job.created_count,
        "merged": job.merged_count,
        "interests": job.interest_count,
        "rejected": job.rejected_count,
    }


def summary(job: ImportJob) -> str:
    """`N created, N merged, N interests, N rejected` — the CLI's last line (not translated:
    scripts read it)."""
    return (
        f"{job.created_count} created, {job.merged_count} merged, "
        f"{job.interest_count} interests, {job.rejected_count} rejected"
    )


def import_run(
    *,
    job: ImportJob,
    by: Any = None,
    batch_size: int = BATCH_SIZE,
    progress: ProgressCallback | None = None,
    after_batch: ProgressCallback | None = None,
    force: bool = False,
) -> ImportJob:
    """Run or resume `job` in this process (the worker task and the command line call this)."""
    runner = ImportRunner(
        job, by=by or job.owner, batch_size=batch_size, progress=progress, after_batch=after_batch
    )
    return runner.run(force=force)


def import_file(
    *,
    path: str | Path,
    by: Any = None,
    team: Team | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    default_country: str = "",
    default_source: str = Source.IMPORT,
    default_campaign: str = "",
    batch_size: int = BATCH_SIZE,
    progress: ProgressCallback | None = None,
) -> ImportJob:
    """Create a job for a local file and run it inline (command line, benchmark)."""
    with open(path, "rb") as stream:
        job = import_job_create(
            by=by,
            file=stream,
            name=Path(path).name,
            team=team,
            mapping=mapping,
            dry_run=dry_run,
            default_country=default_country,
            default_source=default_source,
            default_campaign=default_campaign,
            check_permission=by is not None,
        )
    ImportJob.objects.filter(pk=job.pk).update(queued_at=timezone.now())
    return import_run(job=job, by=by, batch_size=batch_size, progress=progress)
