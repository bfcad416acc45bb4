"""The life of an import job, whatever it imports (leads, clients, contacts): the stored file,
the queueing, the copy of a dry run for real, resuming, the preview and the per-row report.

The runner that claims a job and commits it batch by batch is `runner.JobRunner`; what is
imported and how a row is judged lives in `leads.py` and `records.py` (with `clients.py` and
`contacts.py`), which build on these pieces.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.core.files import File
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.errors import ConflictError
from clientela.core.tasks import enqueue_on_commit
from clientela.core.texts import CELL_PREFIX, render_cell
from clientela.imports.choices import ImportStatus
from clientela.imports.files import Table, open_table
from clientela.imports.models import ImportJob
from clientela.users.models import User

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


def _actor(by: User | None) -> Any:
    return by if getattr(by, "is_authenticated", False) else None


def job_store(*, by: User | None, file: IO[bytes], name: str, table: Table, **fields: Any) -> ImportJob:
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
    by: User,
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


def job_copy_for_real(*, by: User, job: ImportJob, extra_fields: Sequence[str] = ()) -> ImportJob:
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


def report_lines(job: ImportJob, header: Sequence[str], *, for_reader: bool = True) -> Iterator[str]:
    """The report as CSV text, header first: from the saved file, or from the committed batches
    while the import runs (or after it failed). `for_reader`: reasons in the active language;
    otherwise as stored (the finished file keeps them as messages, for every later reader)."""
    show = _for_reader if for_reader else _as_stored
    buffer = io.StringIO()
    csv.writer(buffer).writerow(header)
    yield buffer.getvalue()
    if job.report:
        with job.report.open("rb") as stream:
            stream.readline()
            while chunk := stream.read(1 << 16):
                # whole lines only, so a reason stored as a message is shown in the reader's language
                chunk += stream.readline()
                yield show(chunk.decode("utf-8"))
        return
    chunks = job.report_chunks.order_by("seq").values_list("text", flat=True).iterator(chunk_size=20)
    yield from (show(text) for text in chunks)


def _as_stored(text: str) -> str:
    return text


def _for_reader(text: str) -> str:
    """Report lines with their reasons (the last cell) in the reader's language, where the writer
    stored a message (`core.texts.as_cell`); other lines pass untouched."""
    if CELL_PREFIX.replace('"', '""') not in text:  # as the CSV writer quoted it
        return text
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in csv.reader(io.StringIO(text, newline="")):
        if row:
            row[-1] = render_cell(row[-1])
        writer.writerow(row)
    return buffer.getvalue()
