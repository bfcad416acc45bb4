"""The life of an import job, whatever it imports (leads, clients, contacts): the stored file,
the queueing, the copy of a dry run for real, resuming, the preview, the per-row report, and
the runner that claims a job and commits it batch by batch (`JobRunner`).

What is imported and how a row is judged lives in `importer.py` (leads) and
`import_clients.py` (clients and contacts); both build on these pieces.
"""

from __future__ import annotations

import csv
import datetime as dt
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
from typing import IO, Any

from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.errors import BusinessError, ConflictError
from clientela.core.tasks import enqueue_on_commit
from clientela.imports.choices import ImportStatus
from clientela.imports.files import Table, open_table
from clientela.imports.models import ImportJob, ImportReportChunk

log = logging.getLogger("clientela.imports.leads")

# A running import whose heartbeat is older than this lost its runner and may be resumed.
STALE_AFTER = dt.timedelta(minutes=10)

# The fields a dry run's real twin copies (plus whatever the kind adds).
COPIED_FIELDS = (
    "kind",
    "original_name",
    "mapping",
    "default_country",
    "team",
    "file_format",
    "encoding",
    "delimiter",
    "columns",
    "total_rows",
)


def _actor(by: Any) -> Any:
    return by if getattr(by, "is_authenticated", False) else None


def job_store(*, by: Any, file: IO[bytes], name: str, table: Table, **fields: Any) -> ImportJob:
    """Save the uploaded file as a new job with what was detected in it (not queued yet)."""
    actor = _actor(by)
    job = ImportJob(
        original_name=Path(name).name[:255] or "import",
        owner=actor,
        created_by=actor,
        file_format=table.file_format,
        encoding=table.encoding,
        delimiter=table.delimiter,
        columns=table.headers,
        total_rows=table.estimated_rows or 0,
        **fields,
    )
    file.seek(0)
    job.file.save(job.original_name, File(file, name=job.original_name), save=False)
    job.save()
    return job


def job_queue(
    *,
    by: Any,
    job: ImportJob,
    mapping: dict[str, str] | None,
    dry_run: bool | None,
    check_mapping: Callable[[list[str], dict[str, str]], Any],
    runner: Any,
) -> ImportJob:
    """Confirm the mapping (checked by `check_mapping`) and hand the job to `runner` on commit.
    Call inside a transaction."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.queued_at is not None:
        raise ConflictError(_("This import has already been started."))
    chosen = mapping if mapping is not None else job.mapping
    check_mapping(job.columns, chosen)
    job.mapping = chosen
    if dry_run is not None:
        job.dry_run = dry_run
    job.queued_at = timezone.now()
    job.updated_by = _actor(by)
    job.save(update_fields=["mapping", "dry_run", "queued_at", "updated_by", "updated_at"])
    enqueue_on_commit(runner, job_id=job.pk)
    return job


def job_copy_for_real(*, by: Any, job: ImportJob, extra_fields: Sequence[str] = ()) -> ImportJob:
    """After a finished dry run: the same file and mapping as a new job that really imports."""
    if not job.dry_run or job.status != ImportStatus.DONE:
        raise ConflictError(_("Only a finished dry run can be imported for real."))
    actor = _actor(by)
    values = {field: getattr(job, field) for field in (*COPIED_FIELDS, *extra_fields)}
    return ImportJob.objects.create(
        file=job.file.name, dry_run=False, owner=actor, created_by=actor, **values
    )


def can_resume(job: ImportJob, *, force: bool = False) -> bool:
    """A failed import, or a running one whose runner stopped beating (or when forced)."""
    if job.status == ImportStatus.FAILED:
        return True
    if job.status == ImportStatus.RUNNING:
        beat = job.heartbeat_at or job.started_at
        return force or beat is None or timezone.now() - beat > STALE_AFTER
    return False


@contextmanager
def table_of(job: ImportJob) -> Iterator[Table]:
    """The job's stored file, opened with what was detected at upload, closed afterwards."""
    stored = job.file.open("rb")
    stream: Any = stored
    while not isinstance(stream, io.IOBase) and getattr(stream, "file", None) is not None:
        stream = stream.file
    try:
        table = open_table(stream, job.original_name, encoding=job.encoding)
        try:
            yield table
        finally:
            table.close()
    finally:
        stored.close()


def preview(job: ImportJob, limit: int = 5) -> list[tuple[int, list[str]]]:
    """The first data rows of the job's file, for the mapping page."""
    rows = []
    with table_of(job) as table:
        for row in table.rows():
            rows.append(row)
            if len(rows) >= limit:
                break
    return rows


def report_lines(job: ImportJob, header: Sequence[str]) -> Iterator[str]:
    """The report as CSV text, header first: from the saved file, or from the committed batches
    while the import runs (or after it failed)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(header)
    yield buffer.getvalue()
    if job.report:
        with job.report.open("rb") as stream:
            stream.readline()
            while chunk := stream.read(1 << 16):
                yield chunk.decode("utf-8")
        return
    yield from job.report_chunks.order_by("seq").values_list("text", flat=True).iterator(chunk_size=20)


BatchRows = list[tuple[int, list[str]]]  # (line number, cells) of a batch's data rows
ProgressCallback = Callable[[ImportJob], None]


class JobRunner(ABC):
    """Runs (or resumes) one import job: the lifecycle every kind of import shares.

    It claims the job under its own token (refusing a second live runner), commits each batch
    in one transaction together with the job's progress, counters, heartbeat and its part of
    the per-row report (so a crash loses at most the batch in flight and a resume starts after
    the last committed batch), and finishes by storing the whole report. What a batch does is
    the subclass's: `_import` feeds batches to `_commit_batch`, whose `work` returns each
    row's outcome and report line; `_audit`, `_after_batch` and `_notify_done` say what is
    recorded and who is told.
    """

    report_header: Sequence[str] = ()
    counters: dict[str, str] = {}  # outcome -> ImportJob counter field

    def __init__(
        self,
        job: ImportJob,
        *,
        by: Any = None,
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
                for text in report_lines(job, self.report_header):
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

    @abstractmethod
    def _audit(self, job: ImportJob, *, status: str) -> None:
        """The import's one audit entry, created with the first batch and kept current."""

    @abstractmethod
    def _notify_done(self, job: ImportJob) -> None:
        """Tell whoever needs to know that the import finished."""
