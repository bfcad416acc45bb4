"""The runner every kind of import shares: claim the job, commit it batch by batch with its
progress, counters and report part, resume after the last committed batch, and end the same way
for every kind (report, job state, audit entry, notices).
"""

from __future__ import annotations

import csv
import io
import logging
import secrets
import tempfile
import time
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import connection, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.audit import audit_bulk, json_safe
from clientela.core.errors import BusinessError, ConflictError
from clientela.core.language import in_language_of
from clientela.core.models import AuditEntry
from clientela.core.notifications import notify
from clientela.imports.choices import ImportStatus
from clientela.imports.files import Table
from clientela.imports.jobs import can_resume, report_lines, table_of
from clientela.imports.models import ImportJob, ImportReportChunk
from clientela.users.models import User

log = logging.getLogger("clientela.intake.importer")  # the name it logged under before the move


BatchRows = list[tuple[int, list[str]]]  # (line number, cells) of a batch's data rows
ProgressCallback = Callable[[ImportJob], None]


class JobRunner(ABC):
    """Runs (or resumes) one import job: the lifecycle every kind of import shares.

    It claims the job under its own token (refusing a second live runner), commits each batch
    in one transaction together with the job's progress, counters, heartbeat and its part of
    the per-row report (so a crash loses at most the batch in flight and a resume starts after
    the last committed batch), and finishes by storing the whole report. What a batch does is
    the subclass's: `_import` feeds batches to `_commit_batch`, whose `work` returns each
    row's outcome and report line. The ending is the same for every kind and written here:
    the report stored, the job done, one audit entry (`audit_model`, `audit_details`) and
    the importer told the counts (`summary_text`, after the kind's `notify_others`).
    """

    report_header: Sequence[str] = ()
    counters: dict[str, str] = {}  # outcome -> ImportJob counter field

    def __init__(
        self,
        job: ImportJob,
        *,
        by: User | None = None,
        batch_size: int = 5000,
        progress: ProgressCallback | None = None,
        after_batch: ProgressCallback | None = None,
    ) -> None:
        self.job = job
        self.by = by if getattr(by, "is_authenticated", False) else None
        self.batch_size = batch_size
        self.progress = progress
        self.after_batch = after_batch
        self.token = secrets.token_hex(8)
        # Seconds spent per phase in this run (logged at the end; the benchmark prints them).
        self.timings: dict[str, float] = defaultdict(float)

    @contextmanager
    def timer(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase] += time.perf_counter() - started

    # -- lifecycle --

    def claim(self, *, force: bool = False) -> bool:
        """Mark the job running under this runner's token. False when it is already done."""
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=self.job.pk)
            if job.status == ImportStatus.DONE:
                self.job = job
                return False
            if job.status == ImportStatus.RUNNING and not can_resume(job, force=force):
                raise ConflictError(_("This import is already running."))
            now = timezone.now()
            job.status = ImportStatus.RUNNING
            job.run_token = self.token
            job.started_at = job.started_at or now
            job.heartbeat_at = now
            job.queued_at = job.queued_at or now
            job.error = ""
            job.save(
                update_fields=[
                    "status",
                    "run_token",
                    "started_at",
                    "heartbeat_at",
                    "queued_at",
                    "error",
                    "updated_at",
                ]
            )
            self.job = job
        return True

    def run(self, *, force: bool = False) -> ImportJob:
        if not self.claim(force=force):
            return self.job
        started = time.perf_counter()
        try:
            self.run_claimed()
        except Exception as exc:
            log.exception("Import %s failed", self.job.pk)
            self._fail(exc)
            raise
        self.timings["total"] = time.perf_counter() - started
        log.info(
            "Import %s timings: %s",
            self.job.pk,
            ", ".join(f"{phase} {seconds:.2f}s" for phase, seconds in self.timings.items()),
        )
        return self.job

    def run_claimed(self) -> None:
        """Import the rest of the file and finish; the job must be claimed by this runner."""
        with table_of(self.job) as table:
            self._import(table)
        self._finish()

    def _fail(self, exc: Exception) -> None:
        message = exc.message if isinstance(exc, BusinessError) else f"{type(exc).__name__}: {exc}"
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=self.job.pk)
            if job.run_token != self.token:
                return  # another runner owns it now
            job.status = ImportStatus.FAILED
            job.error = str(message)[:2000]
            job.save(update_fields=["status", "error", "updated_at"])
            self._audit(job, status=ImportStatus.FAILED)
            self.job = job

    @abstractmethod
    def _import(self, table: Table) -> None:
        """Read the table from the first unprocessed row and commit it batch by batch."""

    def _commit_batch(
        self, batch: BatchRows, seq: int, work: Callable[[], list[tuple[str, list[Any]]]]
    ) -> None:
        """Run `work` (the batch's rows → `(outcome, report line)` each) and record its result,
        all in one transaction."""
        started = time.perf_counter()
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Waiting for the WAL flush at each batch buys nothing here: the batch and the
                # job's progress commit together, so a batch lost in a server crash is simply
                # imported again on resume.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            current = (
                ImportJob.objects.select_for_update()
                .filter(pk=self.job.pk)
                .values("run_token", "processed_rows")[0]
            )
            if current["run_token"] != self.token or current["processed_rows"] != self.job.processed_rows:
                raise ConflictError(_("Another run of this import took over; this one stops."))
            results = work()
            job = self.job
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            counts = dict.fromkeys(self.counters, 0)
            for outcome, line in results:
                counts[outcome] += 1
                writer.writerow(line)
            ImportReportChunk.objects.create(
                job=job, seq=seq, first_line=batch[0][0], last_line=batch[-1][0], text=buffer.getvalue()
            )
            job.processed_rows += len(batch)
            for outcome, counter in self.counters.items():
                setattr(job, counter, getattr(job, counter) + counts[outcome])
            job.total_rows = max(job.total_rows, job.processed_rows)
            job.heartbeat_at = timezone.now()
            job.save(
                update_fields=[
                    "processed_rows",
                    *self.counters.values(),
                    "total_rows",
                    "heartbeat_at",
                    "updated_at",
                ]
            )
            if not job.dry_run:
                self._after_batch(job)
            clock = time.perf_counter()
        self.timings["commit"] += time.perf_counter() - clock
        self.timings["batches (all of the above)"] += time.perf_counter() - started
        if self.progress:
            self.progress(self.job)
        if self.after_batch:
            self.after_batch(self.job)

    def _after_batch(self, job: ImportJob) -> None:
        """What a real (not dry) run records with each batch, inside its transaction."""
        self._audit(job, status=ImportStatus.RUNNING)

    def _finish(self) -> None:
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=self.job.pk)
            if job.run_token != self.token:
                raise ConflictError(_("Another run of this import took over; this one stops."))
            self.job = job
            with tempfile.TemporaryFile() as spool:
                for text in report_lines(job, self.report_header, for_reader=False):
                    spool.write(text.encode("utf-8"))
                spool.seek(0)
                stem = Path(job.original_name).stem[:80] or "import"
                job.report.save(f"{stem}-report-{job.pk}.csv", File(spool), save=False)
            job.report_chunks.all().delete()
            job.status = ImportStatus.DONE
            job.total_rows = job.processed_rows
            job.finished_at = job.heartbeat_at = timezone.now()
            job.save(
                update_fields=["status", "total_rows", "finished_at", "heartbeat_at", "report", "updated_at"]
            )
            if not job.dry_run:
                self._audit(job, status=ImportStatus.DONE)
            self._notify_done(job)
        if self.progress:
            self.progress(self.job)

    # -- the common ending: one audit entry, the notices, the summary --

    @abstractmethod
    def audit_model(self, job: ImportJob) -> type[models.Model]:
        """What the import's audit entry is about (leads, clients or contacts)."""

    @abstractmethod
    def audit_details(self, job: ImportJob, previous: dict[str, Any]) -> dict[str, Any]:
        """The kind's counts and what it adds to the audit entry (`previous`: the entry's
        details so far, for lists that grow batch by batch)."""

    @abstractmethod
    def summary_text(self, job: ImportJob) -> str:
        """The job's counts in the reader's language."""

    def _audit(self, job: ImportJob, *, status: str) -> None:
        """The import's one audit entry, created with the first batch and kept current (a dry run
        has none)."""
        if job.dry_run:
            return
        entry = AuditEntry.objects.filter(pk=job.audit_entry_id).first() if job.audit_entry_id else None
        previous: dict[str, Any] = (entry.changes or {}) if entry is not None else {}
        details: dict[str, Any] = {
            "import_job": job.pk,
            "file": job.original_name,
            "team": job.team_id,
            "status": status,
            "rows": job.processed_rows,
            **self.audit_details(job, previous),
        }
        if entry is not None:
            AuditEntry.objects.filter(pk=entry.pk).update(changes=json_safe(details))
            return
        entry = audit_bulk(
            actor=self.by or job.owner, model=self.audit_model(job), event="import", details=details
        )
        job.audit_entry = entry
        job.save(update_fields=["audit_entry"])

    # Whether the importer is told when a dry run finishes (clients and contacts: yes).
    notify_dry_run = False

    def _notify_done(self, job: ImportJob) -> None:
        """The kind's own notices (`notify_others`), then the importer's: the file and its counts."""
        if job.dry_run and not self.notify_dry_run:
            return
        self.notify_others(job)
        with in_language_of(job.owner):  # a job writes it: in the reader's language
            text = _("Import “%(file)s” finished: %(summary)s.") % {
                "file": job.original_name,
                "summary": self.summary_text(job),
            }
        notify(user=job.owner, verb="import_done", text=text, url=reverse("imports:detail", args=[job.pk]))

    def notify_others(self, job: ImportJob) -> None:  # noqa: B027 (a hook: most kinds tell nobody else)
        """Whoever else a finished real import tells (leads: their new owners)."""
