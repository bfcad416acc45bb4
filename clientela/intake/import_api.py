"""API of file imports: upload (202, runs in a worker), status and progress, the per-row report.

    POST /api/v1/imports            multipart: file, optional mapping (JSON object of
                                    column → field), dry_run, team, default_country,
                                    default_source, default_campaign
    GET  /api/v1/imports            imports you may see
    GET  /api/v1/imports/{id}       status, progress and counts
    GET  /api/v1/imports/{id}/report  the per-row report (CSV)

Heads of sales, marketers and admins may import (like the web screens); others get 403.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import transaction
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from clientela.core.errors import BusinessError
from clientela.core.pagination import Page, PageParams, paginate
from clientela.intake import importer
from clientela.intake.models import ImportJob
from clientela.leads.choices import Source
from clientela.users.models import Team

router = Router(tags=["imports"])


class ImportOut(Schema):
    id: int
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
    rejected: int
    summary: str
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    report_url: str | None


def _out(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
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
        "merged": job.merged_count,
        "interests": job.interest_count,
        "rejected": job.rejected_count,
        "summary": importer.summary(job),
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


@router.post("/imports", response={202: ImportOut}, summary="Upload a CSV/XLSX file of leads to import")
def create_import(
    request: HttpRequest,
    file: File[UploadedFile],
    mapping: Form[str] = "",
    dry_run: Form[bool] = False,
    team: Form[int | None] = None,
    default_country: Form[str] = "",
    default_source: Form[str] = Source.IMPORT,
    default_campaign: Form[str] = "",
) -> Status:
    """Stores the file, applies the mapping (columns you leave out are suggested from their
    headers), and queues the import: poll `GET /imports/{id}` for progress."""
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


@router.get("/imports", response=Page[ImportOut], summary="Imports you may see")
def list_imports(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    importer.require_import(request.user)
    page = paginate(importer.import_job_list(viewer=request.user), params)
    page["items"] = [_out(job) for job in page["items"]]
    return page


@router.get("/imports/{import_id}", response=ImportOut, summary="An import's status, progress and counts")
def get_import(request: HttpRequest, import_id: int) -> dict[str, Any]:
    return _out(importer.import_job_get(viewer=request.user, pk=import_id))


@router.get("/imports/{import_id}/report", url_name="import_report", summary="The per-row report (CSV)")
def get_import_report(request: HttpRequest, import_id: int) -> StreamingHttpResponse:
    """Columns: line, outcome (created / merged / interest / rejected), lead_id, interest_id,
    merged_into, reason. Available while the import runs (the committed batches so far)."""
    job = importer.import_job_get(viewer=request.user, pk=import_id)
    response = StreamingHttpResponse(importer.report_lines(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
    return response
