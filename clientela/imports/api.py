"""API of file imports: upload (202, runs in a worker), status and progress, the per-row report.

    POST /api/v1/imports            multipart: file, kind (leads — the default —, clients or
                                    contacts), optional mapping (JSON object of column → field),
                                    dry_run, team, default_country, default_source and
                                    default_campaign (leads)
    GET  /api/v1/imports            imports you may see
    GET  /api/v1/imports/{id}       status, progress and counts
    GET  /api/v1/imports/{id}/report  the per-row report (CSV)

Heads of sales, marketers and admins may import leads (like the web screens); clients and
contacts only heads of sales and admins. Others get 403.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import transaction
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from clientela.core.errors import BusinessError
from clientela.core.http import AuthedRequest
from clientela.core.pagination import Page, PageParams, paginate
from clientela.imports import leads as importer
from clientela.imports import records as import_clients
from clientela.imports.models import ImportJob, ImportKind
from clientela.leads.choices import Source
from clientela.users.models import Team

router = Router(tags=["imports"])


class ImportOut(Schema):
    id: int
    kind: str
    file_name: str
    status: str
    dry_run: bool
    queued: bool
    team_id: int | None
    format: str
    encoding: str
    columns: list[str]
    mapping: dict[str, str]
    total_rows: int
    processed_rows: int
    progress_percent: int
    created: int
    merged: int
    interests: int
    updated: int
    unchanged: int
    rejected: int
    summary: str
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    report_url: str | None


def _out(job: ImportJob) -> dict[str, Any]:
    records = job.kind in import_clients.RECORD_KINDS
    return {
        "id": job.pk,
        "kind": job.kind,
        "file_name": job.original_name,
        "status": job.status,
        "dry_run": job.dry_run,
        "queued": job.queued_at is not None,
        "team_id": job.team_id,
        "format": job.file_format,
        "encoding": job.encoding,
        "columns": job.columns,
        "mapping": job.mapping,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "progress_percent": job.progress_percent,
        "created": job.created_count,
        "merged": 0 if records else job.merged_count,
        "interests": job.interest_count,
        "updated": job.merged_count if records else 0,
        "unchanged": job.unchanged_count,
        "rejected": job.rejected_count,
        "summary": import_clients.summary(job) if records else importer.summary(job),
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "report_url": reverse("api:import_report", args=[job.pk]) if job.processed_rows else None,
    }


def _mapping(text: str) -> dict[str, str] | None:
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or not all(isinstance(v, str | type(None)) for v in data.values()):
        raise BusinessError(
            _("The column mapping is not valid."),
            errors={"mapping": [_('Send a JSON object of column → field, e.g. {"Tel": "phone"}.')]},
            status=422,
        )
    return {str(k): v or "" for k, v in data.items()}


def _job(request: AuthedRequest, pk: int) -> ImportJob:
    """One import the user may see: 403 for people who import nothing, 404 when not visible
    (including imports of a kind the user may not import)."""
    if not import_clients.can_import_records(request.user):
        importer.require_import(request.user)
    return import_clients.import_job_for(viewer=request.user, pk=pk)


def _create_records_import(
    request: AuthedRequest, *, kind: str, file: UploadedFile, mapping: str, dry_run: bool, team: int | None,
    default_country: str,
) -> ImportJob:  # fmt: skip
    import_clients.require_import_records(request.user)
    chosen: Team | None = None
    if team is not None:
        chosen = next((t for t in import_clients.record_teams(request.user) if t.pk == team), None)
        if chosen is None:
            raise BusinessError(
                _("You cannot import into this team."),
                errors={"team": [_("Choose one of your teams.")]},
                status=422,
            )
    with transaction.atomic():  # a file whose mapping cannot start leaves no job behind
        job = import_clients.records_job_create(
            by=request.user,
            kind=kind,
            file=file,
            name=file.name or "import.csv",
            team=chosen,
            mapping=_mapping(mapping),
            dry_run=dry_run,
            default_country=default_country,
        )
        return import_clients.records_job_start(by=request.user, job=job)


@router.post(
    "/imports",
    response={202: ImportOut},
    summary="Upload a CSV/XLSX file of leads, clients or contacts",
    operation_id="clientela_intake_import_api_create_import",  # kept from before imports had their own app
)
def create_import(
    request: AuthedRequest,
    file: File[UploadedFile],
    kind: Form[str] = ImportKind.LEADS,
    mapping: Form[str] = "",
    dry_run: Form[bool] = False,
    team: Form[int | None] = None,
    default_country: Form[str] = "",
    default_source: Form[str] = Source.IMPORT,
    default_campaign: Form[str] = "",
) -> Status:
    """Stores the file, applies the mapping (columns you leave out are suggested from their
    headers), and queues the import: poll `GET /imports/{id}` for progress."""
    if kind not in ImportKind.values:
        raise BusinessError(
            _("Some fields are not valid."),
            errors={"kind": [_("Choose one of: %s.") % ", ".join(ImportKind.values)]},
            status=422,
        )
    if kind != ImportKind.LEADS:
        job = _create_records_import(
            request,
            kind=kind,
            file=file,
            mapping=mapping,
            dry_run=dry_run,
            team=team,
            default_country=default_country,
        )
        return Status(202, _out(job))
    importer.require_import(request.user)
    chosen: Team | None = None
    if team is not None:
        chosen = next((t for t in importer.importable_teams(request.user) if t.pk == team), None)
        if chosen is None:
            raise BusinessError(
                _("You cannot import leads into this team."),
                errors={"team": [_("Choose one of your teams.")]},
                status=422,
            )
    with transaction.atomic():  # a file whose mapping cannot start leaves no job behind
        job = importer.import_job_create(
            by=request.user,
            file=file,
            name=file.name or "import.csv",
            team=chosen,
            mapping=_mapping(mapping),
            dry_run=dry_run,
            default_country=default_country,
            default_source=default_source,
            default_campaign=default_campaign,
        )
        job = importer.import_job_start(by=request.user, job=job)
    return Status(202, _out(job))


@router.get(
    "/imports",
    response=Page[ImportOut],
    summary="Imports you may see",
    operation_id="clientela_intake_import_api_list_imports",
)
def list_imports(request: AuthedRequest, params: Query[PageParams]) -> dict[str, Any]:
    if not import_clients.can_import_records(request.user):
        importer.require_import(request.user)
    page = paginate(import_clients.import_jobs_for(viewer=request.user), params)
    page["items"] = [_out(job) for job in page["items"]]
    return page


@router.get(
    "/imports/{import_id}",
    response=ImportOut,
    summary="An import's status, progress and counts",
    operation_id="clientela_intake_import_api_get_import",
)
def get_import(request: AuthedRequest, import_id: int) -> dict[str, Any]:
    return _out(_job(request, import_id))


@router.get(
    "/imports/{import_id}/report",
    url_name="import_report",
    summary="The per-row report (CSV)",
    operation_id="clientela_intake_import_api_get_import_report",
)
def get_import_report(request: AuthedRequest, import_id: int) -> StreamingHttpResponse:
    """Leads: line, outcome (created / merged / interest / rejected), lead_id, interest_id,
    merged_into, reason. Clients and contacts: line, outcome (created / updated / unchanged /
    rejected), id, reason. Available while the import runs (the committed batches so far)."""
    job = _job(request, import_id)
    lines = (
        import_clients.report_lines(job)
        if job.kind in import_clients.RECORD_KINDS
        else importer.report_lines(job)
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
    return response
