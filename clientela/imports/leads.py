"""(About 650 lines: the lead import's doors and its runner, whose batch steps read as one story.)

File import of leads (CSV/XLSX): the intake pipeline, a batch at a time.

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

import functools
import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.language import reader_language
from clientela.core.normalise import name_key
from clientela.core.notifications import notify
from clientela.core.permissions import get_visible_or_404, role_of, user_can
from clientela.core.roles import Role
from clientela.core.tasks import enqueue_on_commit
from clientela.core.texts import as_cell
from clientela.imports import jobs
from clientela.imports.choices import ImportStatus, RowOutcome
from clientela.imports.fast import Translations
from clientela.imports.files import (
    IMPORT_FIELDS,
    Table,
    merge_mapping,
    open_table,
    resolve_mapping,
    suggest_mapping,
)
from clientela.imports.lead_stages import (
    BatchDistributor,
    BulkClocks,
    Deriver,
    Outcome,
    _Draft,
    _Existing,
    _Lookup,
    _Prepared,
)
from clientela.imports.lead_writes import LeadWrites
from clientela.imports.models import ImportJob
from clientela.imports.runner import JobRunner, ProgressCallback
from clientela.intake.pipeline import IntakeContext, RowNormaliser, classify
from clientela.leads.choices import (
    Source,
)
from clientela.leads.models import Lead
from clientela.users.models import Team, User

log = logging.getLogger(__name__)

BATCH_SIZE = 5000
REPORT_HEADER = ["line", "outcome", "lead_id", "interest_id", "merged_into", "reason"]
FIELD_LABELS = dict(IMPORT_FIELDS)
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
    by: User | None,
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
    *, by: User, job: ImportJob, mapping: dict[str, str] | None = None, dry_run: bool | None = None
) -> ImportJob:
    """Confirm the mapping and hand the job to a background worker."""
    from clientela.imports.tasks import run_import

    require_import(by)
    return jobs.job_queue(
        by=by, job=job, mapping=mapping, dry_run=dry_run, check_mapping=resolve_mapping, runner=run_import
    )


@transaction.atomic
def import_job_repeat(*, by: User, job: ImportJob) -> ImportJob:
    """After a dry run: the same file and mapping, imported for real (queued at once)."""
    require_import(by)
    copy = jobs.job_copy_for_real(by=by, job=job, extra_fields=("default_source", "default_campaign"))
    return import_job_start(by=by, job=copy)


@transaction.atomic
def import_job_resume(*, by: User, job: ImportJob, force: bool = False) -> ImportJob:
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

    require_import(viewer)
    return get_visible_or_404(ImportJob.objects.select_related("team", "owner"), viewer, pk=pk)


def import_preview(job: ImportJob, limit: int = 5) -> list[tuple[int, list[str]]]:
    """The first data rows of the job's file, for the mapping page."""
    return jobs.preview(job, limit)


def report_lines(job: ImportJob) -> Iterator[str]:
    """The report as CSV text, header first (see `jobs.report_lines`)."""
    return jobs.report_lines(job, REPORT_HEADER)


# --- Running ---------------------------------------------------------------------------------


class ImportRunner(LeadWrites, JobRunner):
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
        self._touch_texts: dict[str, tuple[str, str | None]] = {}
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
            (
                o.outcome,
                [o.line, o.outcome, o.lead_id or "", o.interest_id or "", o.merged_into, as_cell(o.reason)],
            )
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
    by: User | None = None,
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
    by: User | None = None,
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
