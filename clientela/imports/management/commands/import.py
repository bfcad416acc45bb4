"""`clientela import leads|clients|contacts FILE …`: import a CSV/XLSX file inline, with a
progress bar.

    clientela import leads leads.csv --team North [--mapping '{"Tel": "phone"}'] [--dry-run]
                                      [--default-country RO] [--source exhibition]
                                      [--campaign expo-2026] [--by hnorth]
    clientela import clients companies.csv [--team North] [--mapping …] [--dry-run]
                                      [--default-country RO] [--by hnorth]
    clientela import contacts contacts.csv [--mapping …] [--dry-run] [--by hnorth]
    clientela import resume 12        continue a failed or interrupted import after its
                                      last committed batch
    clientela import show 12          counts and where the report is

The last line on stdout is always `N created, N merged, N interests, N rejected` (leads) or
`N created, N updated, N unchanged, N rejected` (clients, contacts), and the four numbers add
up to the file's data rows.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clientela.core.errors import BusinessError
from clientela.imports import records as import_clients
from clientela.imports.choices import ImportStatus
from clientela.imports.files import FIELD_NAMES, KIND_FIELD_NAMES
from clientela.imports.leads import BATCH_SIZE, can_resume, import_file, import_run, summary
from clientela.imports.models import ImportJob, ImportKind
from clientela.leads.choices import Source
from clientela.users.models import Team, User


def parse_mapping(text: str) -> dict[str, str]:
    """A JSON object, a JSON file, or `Header=field,Other header=field`."""
    text = text.strip()
    if not text:
        return {}
    if not text.startswith("{") and Path(text).is_file():
        text = Path(text).read_text(encoding="utf-8")
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--mapping is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise CommandError("--mapping must be a JSON object of column → field.")
        return {str(k): str(v or "") for k, v in data.items()}
    mapping: dict[str, str] = {}
    for part in text.split(","):
        if "=" not in part:
            raise CommandError(f"--mapping entry {part!r} must look like Column=field.")
        column, target = part.rsplit("=", 1)
        mapping[column.strip()] = target.strip()
    return mapping


class ProgressBar:
    """`[#######-------]  45%  450,000/1,000,000 rows  12,345 rows/s` on stderr."""

    def __init__(self, stream: Any, width: int = 30) -> None:
        self.stream = stream  # a command's OutputWrapper (self.stderr)
        self.width = width
        self.started = time.monotonic()
        self.first_processed: int | None = None

    def __call__(self, job: ImportJob) -> None:
        if self.first_processed is None:
            self.first_processed = job.processed_rows
        total = max(job.total_rows, job.processed_rows, 1)
        share = job.processed_rows / total if job.status != ImportStatus.DONE else 1.0
        filled = int(self.width * share)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = (job.processed_rows - (self.first_processed or 0)) / elapsed
        line = (
            f"\r[{'#' * filled}{'-' * (self.width - filled)}] {share:4.0%} "
            f"{job.processed_rows:,}/{total:,} rows  {rate:,.0f} rows/s"
        )
        self.stream.write(line + ("\n" if job.status == ImportStatus.DONE else ""), ending="")
        self.stream.flush()


class Command(BaseCommand):
    help = "Import leads, clients or contacts from a CSV or XLSX file (or resume an interrupted import)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        leads = sub.add_parser("leads", help="Import a file of leads.")
        leads.add_argument("file", help="CSV (any common encoding and delimiter) or XLSX file.")
        leads.add_argument(
            "--mapping",
            default="",
            help='Columns to fields: JSON (\'{"Tel": "phone"}\'), a JSON file, or "Tel=phone,Mail=email". '
            "Columns not given are suggested from their headers.",
        )
        leads.add_argument("--dry-run", action="store_true", help="Classify every row, write nothing.")
        leads.add_argument(
            "--team",
            default="",
            help="Team the leads are distributed in (its name); default: the --by user's team. "
            "Without a team the leads wait unassigned for a head of sales.",
        )
        leads.add_argument(
            "--default-country", default="", help="Country for phones without a code (else the team's)."
        )
        leads.add_argument("--source", default=Source.IMPORT, help="Source of rows without one.")
        leads.add_argument("--campaign", default="", help="Campaign of rows without one.")
        leads.add_argument("--by", default="", help="Username recorded as the importer (audit, timeline).")
        leads.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="Rows per committed batch.")
        for kind, what in (
            (ImportKind.CLIENTS, "clients (companies)"),
            (ImportKind.CONTACTS, "contacts (people at clients)"),
        ):
            records = sub.add_parser(kind, help=f"Import a file of {what}.")
            records.add_argument("file", help="CSV (any common encoding and delimiter) or XLSX file.")
            records.add_argument(
                "--mapping",
                default="",
                help='Columns to fields: JSON (\'{"CUI": "tax_id"}\'), a JSON file, or "CUI=tax_id". '
                f"Fields: {', '.join(sorted(KIND_FIELD_NAMES[kind]))}. "
                "Columns not given are suggested from their headers.",
            )
            records.add_argument("--dry-run", action="store_true", help="Check every row, write nothing.")
            records.add_argument(
                "--team", default="", help="Team of clients without a personal manager (its name)."
            )
            records.add_argument(
                "--default-country",
                default="",
                help="Country of rows without one (legal ids and phones are checked for it).",
            )
            records.add_argument("--by", default="", help="Username recorded as the importer (audit).")
            records.add_argument(
                "--batch-size", type=int, default=import_clients.BATCH_SIZE, help="Rows per committed batch."
            )
        resume = sub.add_parser("resume", help="Continue an import after its last committed batch.")
        resume.add_argument("job", type=int)
        resume.add_argument("--force", action="store_true", help="Take over a job that looks running.")
        resume.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        show = sub.add_parser("show", help="Show an import's progress and counts.")
        show.add_argument("job", type=int)

    def handle(self, *args, **opts):
        action = opts["action"]
        if action == "leads":
            job = self._import(opts)
        elif action in (ImportKind.CLIENTS, ImportKind.CONTACTS):
            job = self._import_records(action, opts)
        elif action == "resume":
            job = self._resume(opts)
        else:
            job = self._job(opts["job"])
            self.stdout.write(f"Import #{job.pk} “{job.original_name}”: {job.get_status_display()}")
            if job.error:
                self.stdout.write(f"Error: {job.error}")
        if job.report:
            self.stdout.write(
                f"Report: {job.report.path if hasattr(job.report, 'path') else job.report.name}"
            )
        self.stdout.write(
            import_clients.summary(job) if job.kind in import_clients.RECORD_KINDS else summary(job)
        )

    def _job(self, pk: int) -> ImportJob:
        job = ImportJob.objects.select_related("team", "owner").filter(pk=pk).first()
        if job is None:
            raise CommandError(f"No import #{pk}.")
        return job

    def _import(self, opts: dict[str, Any]) -> ImportJob:
        path, mapping, by, team = _file_inputs(opts, FIELD_NAMES, check_source=True)
        progress = ProgressBar(self.stderr)
        try:
            job = import_file(
                path=path,
                by=by,
                team=team,
                mapping=mapping or None,
                dry_run=opts["dry_run"],
                default_country=opts["default_country"],
                default_source=opts["source"],
                default_campaign=opts["campaign"],
                batch_size=opts["batch_size"],
                progress=progress,
            )
        except BusinessError as exc:
            raise CommandError(_business_message(exc)) from exc
        except Exception as exc:
            failed = ImportJob.objects.order_by("-pk").filter(status=ImportStatus.FAILED).first()
            hint = f" Resume with: clientela import resume {failed.pk}" if failed else ""
            raise CommandError(f"The import failed: {exc}.{hint}") from exc
        if job.dry_run:
            self.stdout.write("Dry run: nothing was written.")
        return job

    def _import_records(self, kind: str, opts: dict[str, Any]) -> ImportJob:
        path, mapping, by, team = _file_inputs(opts, KIND_FIELD_NAMES[kind])
        try:
            job = import_clients.records_import_file(
                kind=kind,
                path=path,
                by=by,
                team=team,
                mapping=mapping or None,
                dry_run=opts["dry_run"],
                default_country=opts["default_country"],
                batch_size=opts["batch_size"],
                progress=ProgressBar(self.stderr),
            )
        except BusinessError as exc:
            raise CommandError(_business_message(exc)) from exc
        except Exception as exc:
            failed = ImportJob.objects.order_by("-pk").filter(status=ImportStatus.FAILED).first()
            hint = f" Resume with: clientela import resume {failed.pk}" if failed else ""
            raise CommandError(f"The import failed: {exc}.{hint}") from exc
        if job.dry_run:
            self.stdout.write("Dry run: nothing was written.")
        return job

    def _resume(self, opts: dict[str, Any]) -> ImportJob:
        job = self._job(opts["job"])
        if job.status == ImportStatus.DONE:
            return job
        if job.kind in import_clients.RECORD_KINDS:
            if not import_clients.can_resume(job, force=opts["force"]):
                raise CommandError(
                    f"Import #{job.pk} is {job.get_status_display().lower()} and was active recently; "
                    "use --force if its process is gone."
                )
            try:
                return import_clients.records_import_run(
                    job=job, batch_size=opts["batch_size"], progress=ProgressBar(self.stderr), force=True
                )
            except BusinessError as exc:
                raise CommandError(_business_message(exc)) from exc
            except Exception as exc:
                raise CommandError(
                    f"The import failed again: {exc}. Resume with: clientela import resume {job.pk}"
                ) from exc
        if not can_resume(job, force=opts["force"]):
            raise CommandError(
                f"Import #{job.pk} is {job.get_status_display().lower()} and was active recently; "
                "use --force if its process is gone."
            )
        progress = ProgressBar(self.stderr)
        try:
            return import_run(job=job, batch_size=opts["batch_size"], progress=progress, force=True)
        except BusinessError as exc:
            raise CommandError(_business_message(exc)) from exc
        except Exception as exc:
            raise CommandError(
                f"The import failed again: {exc}. Resume with: clientela import resume {job.pk}"
            ) from exc


def _business_message(exc: BusinessError) -> str:
    details = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.errors.items())
    return f"{exc.message} {details}".strip()


def _file_inputs(
    opts: dict[str, Any], known_fields: set[str] | frozenset[str], check_source: bool = False
) -> tuple[Path, dict[str, str], User | None, Team | None]:
    """The file, the column mapping (only known fields), the importing user and the team of an
    `import leads|clients|contacts` call: what every kind of import checks the same way."""
    path = Path(opts["file"])
    if not path.is_file():
        raise CommandError(f"No such file: {path}")
    if check_source and opts["source"] not in Source.values:
        raise CommandError(f"Unknown source {opts['source']!r}; use one of: {', '.join(Source.values)}.")
    mapping = parse_mapping(opts["mapping"])
    unknown = sorted({v for v in mapping.values() if v} - set(known_fields))
    if unknown:
        raise CommandError(
            f"Unknown fields in --mapping: {', '.join(unknown)} (known: {', '.join(sorted(known_fields))})."
        )
    by = None
    if opts["by"]:
        by = User.objects.filter(username=opts["by"], is_active=True).first()
        if by is None:
            raise CommandError(f"No active user named {opts['by']!r}.")
    team = None
    if opts["team"]:
        team = Team.objects.filter(name__iexact=opts["team"]).first()
        if team is None:
            known = ", ".join(Team.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"No team named {opts['team']!r} (known: {known}).")
    elif by is not None:
        team = by.team
    return path, mapping, by, team
