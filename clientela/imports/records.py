"""File import of clients and contacts (CSV/XLSX), on the lead import's machinery.

The same `ImportJob` (kind `clients` or `contacts`), file reading and column suggestions
(`import_files`), report chunks, progress and resumable batches as the lead importer; the rows go
through the same cleaning as the client and contact forms (`clients.services.rules.clean_client_values`
/ `clean_contact_values`: tax ids with their check digits per country, phones to E.164, e-mails).

Every data row gets exactly one outcome:

* **created** — a new client (or contact), with its id;
* **updated** — the row matched an existing record and filled some of its *empty* fields (a
  matched record is never overwritten: what the CRM holds wins, the row only completes it);
* **unchanged** — the row matched an existing record and had nothing new for it;
* **rejected** — with the line and the reason (bad tax id, unknown client, …).

Matching. A client row matches, in this order, the client an earlier import made from the same
external id, then a client with the same tax id (compared per country as the client form does),
then one with the same registration number. A contact row matches, at its client, the contact with
the same external id, e-mail, phone, or first and last name. A match the importer may not see is
rejected (it belongs to another team), as on the client form.

Each batch commits in one transaction with the job's progress, counters and report part: a crash
loses only the batch in flight, and a resumed run starts after the last committed batch. The whole
import is one audit entry (created with the first batch, kept current). A dry run does all of it
inside a savepoint that is rolled back, and keeps only the job and its report.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.clients.models import Client, Contact
from clientela.clients.services.client import owner_candidates
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.normalise import clean_text
from clientela.core.permissions import get_visible_or_404, role_of
from clientela.core.roles import OWNING_ROLES, Role
from clientela.core.tasks import enqueue_on_commit
from clientela.imports import jobs
from clientela.imports.clients import ClientRows
from clientela.imports.contacts import ContactRows
from clientela.imports.files import Table, merge_mapping, open_table, resolve_mapping
from clientela.imports.models import ExternalRef, ImportJob, ImportKind
from clientela.imports.rows import (
    _FORM_LABELS,
    CLIENT_FIELD_LABELS,
    CONTACT_FIELD_LABELS,
    Outcome,
    RowRejected,
    RowResult,
    _DrySeen,
)
from clientela.imports.runner import JobRunner, ProgressCallback
from clientela.users.models import Team, User

log = logging.getLogger(__name__)

BATCH_SIZE = 500
RECORD_KINDS = (ImportKind.CLIENTS, ImportKind.CONTACTS)
REPORT_HEADER = ["line", "outcome", "id", "reason"]


# --- Who may import ----------------------------------------------------------------------------


def can_import_records(user: Any) -> bool:
    """Heads of sales and admins import clients and contacts: an import names personal managers
    and touches many teams' cards, which is a head's call (managers create cards one by one;
    marketers do not see clients at all)."""
    return role_of(user) in (Role.HEAD, Role.ADMIN)


def require_import_records(user: Any) -> None:
    if not can_import_records(user):
        raise PermissionDeniedError(_("You do not have permission to import clients or contacts."))


def record_teams(user: Any) -> list[Team]:
    """Teams whose clients this user may import (admins: all; heads: the teams they head or are in)."""
    role = role_of(user)
    if role not in (Role.HEAD, Role.ADMIN):
        return []
    teams = Team.objects.filter(is_active=True).order_by("name")
    if role == Role.ADMIN:
        return list(teams)
    ids = {user.team_id} if user.team_id else set()
    ids |= set(user.headed_teams.values_list("id", flat=True))
    return list(teams.filter(pk__in=ids))


# --- Creating and starting jobs ----------------------------------------------------------------


@transaction.atomic
def records_job_create(
    *,
    by: User | None,
    kind: str,
    file: IO[bytes],
    name: str,
    team: Team | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    default_country: str = "",
    check_permission: bool = True,
) -> ImportJob:
    """Store a clients or contacts file as an import job, read its columns, suggest a mapping."""
    if kind not in RECORD_KINDS:
        raise BusinessError(
            _("Some fields are not valid."),
            errors={"kind": [_("Choose one of: %s.") % ", ".join(ImportKind.values)]},
            status=422,
        )
    if check_permission:
        require_import_records(by)
        allowed = {t.pk: t for t in record_teams(by)}
        own_team_id = getattr(by, "team_id", None)
        if team is None and own_team_id in allowed:
            team = allowed[own_team_id]
        if team is not None and team.pk not in allowed:
            raise PermissionDeniedError(_("You cannot import into this team."))
    country = (default_country or "").strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        raise BusinessError(
            _("Some fields are not valid."),
            errors={"default_country": [_("Use a two-letter country code, e.g. RO, HU, MY.")]},
            status=422,
        )
    table = open_table(file, name)
    table.close()
    mapping = merge_mapping(table.headers, mapping, kind=kind)
    resolve_mapping(table.headers, mapping, require_identity=False, kind=kind)
    return jobs.job_store(
        by=by,
        file=file,
        name=name,
        table=table,
        kind=kind,
        dry_run=dry_run,
        mapping=mapping,
        default_country=country,
        team=team,
    )


@transaction.atomic
def records_job_start(
    *, by: User, job: ImportJob, mapping: dict[str, str] | None = None, dry_run: bool | None = None
) -> ImportJob:
    """Confirm the mapping and hand the job to a background worker."""
    from clientela.imports.tasks import run_records_import  # the task runs this module's runner

    require_import_records(by)
    return jobs.job_queue(
        by=by,
        job=job,
        mapping=mapping,
        dry_run=dry_run,
        check_mapping=lambda columns, chosen: resolve_mapping(columns, chosen, kind=job.kind),
        runner=run_records_import,
    )


@transaction.atomic
def records_job_repeat(*, by: User, job: ImportJob) -> ImportJob:
    """After a dry run: the same file and mapping, imported for real (queued at once)."""
    require_import_records(by)
    return records_job_start(by=by, job=jobs.job_copy_for_real(by=by, job=job))


can_resume = jobs.can_resume


@transaction.atomic
def records_job_resume(*, by: User, job: ImportJob, force: bool = False) -> ImportJob:
    """Queue a failed (or dead) import again; it continues after its last committed batch."""
    from clientela.imports.tasks import run_records_import  # the task runs this module's runner

    require_import_records(by)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not can_resume(job, force=force):
        raise ConflictError(_("Only a failed or stalled import can be resumed."))
    job.queued_at = timezone.now()
    job.save(update_fields=["queued_at", "updated_at"])
    enqueue_on_commit(run_records_import, job_id=job.pk, force=True)
    return job


# --- Reads -------------------------------------------------------------------------------------


def import_jobs_for(*, viewer: Any) -> Any:
    """Imports of every kind the viewer may see: leads imports for those who import leads,
    clients and contacts imports for heads and admins (their own and their teams')."""
    from clientela.imports.leads import can_import

    kinds = [ImportKind.LEADS] if can_import(viewer) else []
    if can_import_records(viewer):
        kinds += list(RECORD_KINDS)
    if not kinds:
        return ImportJob.objects.none()
    return (
        ImportJob.objects.visible_to(viewer)
        .filter(kind__in=kinds)
        .select_related("team", "owner")
        .order_by("-created_at", "-id")
    )


def import_job_for(*, viewer: Any, pk: int) -> ImportJob:
    """One import of a kind the viewer may import and see; 404 otherwise."""

    return get_visible_or_404(import_jobs_for(viewer=viewer), viewer, pk=pk)


def summary_text(job: ImportJob) -> str:
    """The counts of `summary` in the reader's language (pages and notices)."""
    return _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(rejected)s rejected") % {
        "created": job.created_count,
        "updated": job.merged_count,
        "unchanged": job.unchanged_count,
        "rejected": job.rejected_count,
    }


def summary(job: ImportJob) -> str:
    """`N created, N updated, N unchanged, N rejected` — the CLI's last line (not translated:
    scripts read it); the four numbers add up to the file's data rows."""
    return (
        f"{job.created_count} created, {job.merged_count} updated, "
        f"{job.unchanged_count} unchanged, {job.rejected_count} rejected"
    )


def report_lines(job: ImportJob) -> Iterator[str]:
    """The report as CSV text, header first (see `jobs.report_lines`)."""
    return jobs.report_lines(job, REPORT_HEADER)


def records_preview(job: ImportJob, limit: int = 5) -> list[tuple[int, list[str]]]:
    return jobs.preview(job, limit)


# --- Running ---------------------------------------------------------------------------------


class RecordsImportRunner(ClientRows, ContactRows, JobRunner):
    """Runs (or resumes) one clients or contacts import job."""

    report_header = REPORT_HEADER
    counters = {
        Outcome.CREATED: "created_count",
        Outcome.UPDATED: "merged_count",
        Outcome.UNCHANGED: "unchanged_count",
        Outcome.REJECTED: "rejected_count",
    }

    def __init__(self, job: ImportJob, **options: Any) -> None:
        options.setdefault("batch_size", BATCH_SIZE)
        super().__init__(job, **options)
        self.labels = CLIENT_FIELD_LABELS if job.kind == ImportKind.CLIENTS else CONTACT_FIELD_LABELS
        # A dry run rolls every batch back: rows of earlier batches it "created", by key.
        self.dry_seen: dict[str, _DrySeen] = {}
        self.created_ids: list[int] = []
        self.updated_ids: list[int] = []
        self._owners: dict[str, User] | None = None
        self._visible_ids: set[int] = set()

    def _import(self, table: Table) -> None:
        job = self.job
        self.mapping = sorted(resolve_mapping(table.headers, job.mapping, kind=job.kind).items())
        if table.estimated_rows and not job.processed_rows:
            job.total_rows = table.estimated_rows
        seq = job.report_chunks.count()
        batch: list[tuple[int, list[str]]] = []
        for number, row in enumerate(table.rows()):
            if number < job.processed_rows:
                continue
            batch.append(row)
            if len(batch) >= self.batch_size:
                seq += 1
                self._commit_batch(batch, seq, functools.partial(self._report, batch))
                batch = []
        if batch:
            seq += 1
            self._commit_batch(batch, seq, functools.partial(self._report, batch))

    def _report(self, batch: list[tuple[int, list[str]]]) -> list[tuple[str, list[Any]]]:
        """The batch's outcomes; a dry run's changes are rolled back at once."""
        if self.job.dry_run:
            savepoint = transaction.savepoint()
            results = self._process(batch)
            transaction.savepoint_rollback(savepoint)
        else:
            results = self._process(batch)
        return [(r.outcome, [r.line, r.outcome, r.record_id or "", r.reason]) for r in results]

    notify_dry_run = True

    def audit_model(self, job: ImportJob) -> type[Client] | type[Contact]:
        return Client if job.kind == ImportKind.CLIENTS else Contact

    def audit_details(self, job: ImportJob, previous: dict[str, Any]) -> dict[str, Any]:
        """Counts and the ids the import created or updated (capped)."""
        details = {
            "kind": job.kind,
            "created": job.created_count,
            "updated": job.merged_count,
            "unchanged": job.unchanged_count,
            "rejected": job.rejected_count,
            "created_ids": sorted(set(previous.get("created_ids", [])) | set(self.created_ids))[:5000],
            "updated_ids": sorted(set(previous.get("updated_ids", [])) | set(self.updated_ids))[:5000],
        }
        self.created_ids, self.updated_ids = [], []
        return details

    def summary_text(self, job: ImportJob) -> str:
        return summary_text(job)

    # -- rows --

    def _process(self, batch: list[tuple[int, list[str]]]) -> list[RowResult]:
        results = []
        handle = self._client_row if self.job.kind == ImportKind.CLIENTS else self._contact_row
        for line, cells in batch:
            row = {
                name: clean_text(cells[index]) if index < len(cells) else "" for index, name in self.mapping
            }
            try:
                with transaction.atomic():  # a savepoint: a refused row leaves nothing behind
                    result = handle(line, row)
            except RowRejected as exc:
                result = RowResult(line, Outcome.REJECTED, reason=str(exc))
            except BusinessError as exc:
                result = RowResult(line, Outcome.REJECTED, reason=self._error_text(exc))
            except IntegrityError:
                result = RowResult(
                    line, Outcome.REJECTED, reason=_("Conflicts with a record saved at the same time.")
                )
            results.append(result)
        return results

    def _error_text(self, exc: BusinessError) -> str:
        if not exc.errors:
            return str(exc.message)
        return "; ".join(
            f"{self._label(name)}: {' '.join(str(m) for m in messages)}"
            for name, messages in exc.errors.items()
        )

    def _label(self, name: str) -> str:
        label = _FORM_LABELS.get(name) or self.labels.get(name)
        return str(label or name)

    def _visible(self, model: type[Client] | type[Contact], pk: int) -> bool:
        if self.by is None or pk in self._visible_ids:
            return True
        visible = model.objects.visible_to(self.by).filter(pk=pk).exists()
        if visible:
            self._visible_ids.add(pk)
        return visible

    def _owner(self, value: str) -> User | None:
        if not value:
            return None
        if self._owners is None:
            people = (
                owner_candidates(self.by)
                if self.by is not None
                else User.objects.filter(is_active=True, role__in=OWNING_ROLES)
            )
            self._owners = {}
            for person in people:
                self._owners.setdefault(person.username.casefold(), person)
                if person.email:
                    self._owners.setdefault(person.email.casefold(), person)
        owner = self._owners.get(value.casefold())
        if owner is None:
            raise RowRejected(
                _("%(field)s: “%(value)s” is not an active manager of your teams.")
                % {"field": self.labels["owner"], "value": value}
            )
        return owner

    def _external(self, kind: str, external_id: str) -> int | None:
        if not external_id:
            return None
        return (
            ExternalRef.objects.filter(kind=kind, external_id=external_id[:100])
            .values_list("object_id", flat=True)
            .first()
        )

    def _remember(self, kind: str, external_id: str, pk: int) -> None:
        if external_id:
            ExternalRef.objects.update_or_create(
                kind=kind, external_id=external_id[:100], defaults={"object_id": pk, "job": self.job}
            )

    def _dry_key(self, *parts: str) -> str:
        return "|".join(parts)

    # -- clients --


# --- Entry points --------------------------------------------------------------------------------


def records_import_run(
    *,
    job: ImportJob,
    by: User | None = None,
    batch_size: int = BATCH_SIZE,
    progress: ProgressCallback | None = None,
    after_batch: ProgressCallback | None = None,
    force: bool = False,
) -> ImportJob:
    """Run or resume a clients/contacts job in this process (the worker and the CLI call this)."""
    runner = RecordsImportRunner(
        job, by=by or job.owner, batch_size=batch_size, progress=progress, after_batch=after_batch
    )
    return runner.run(force=force)


def records_import_file(
    *,
    kind: str,
    path: str | Path,
    by: User | None = None,
    team: Team | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    default_country: str = "",
    batch_size: int = BATCH_SIZE,
    progress: ProgressCallback | None = None,
) -> ImportJob:
    """Create a job for a local file and run it inline (command line)."""
    with open(path, "rb") as stream:
        job = records_job_create(
            by=by,
            kind=kind,
            file=stream,
            name=Path(path).name,
            team=team,
            mapping=mapping,
            dry_run=dry_run,
            default_country=default_country,
            check_permission=by is not None,
        )
    resolve_mapping(job.columns, job.mapping, kind=kind)
    ImportJob.objects.filter(pk=job.pk).update(queued_at=timezone.now())
    return records_import_run(job=job, by=by, batch_size=batch_size, progress=progress)
