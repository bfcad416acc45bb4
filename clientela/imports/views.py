"""Import screens: upload → mapping with a preview → dry run or run → progress → result.

Thin: the importer's services and selectors do the work; the run itself happens in a
background worker (`imports.tasks.run_import`), the progress page polls its partial.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientela.core.errors import BusinessError
from clientela.core.forms import add_business_error
from clientela.core.http import AuthedRequest
from clientela.imports import leads as importer
from clientela.imports import records as import_clients
from clientela.imports.choices import ImportStatus
from clientela.imports.forms import ImportUploadForm, MappingForm
from clientela.imports.models import ImportJob

RECORD_KINDS = import_clients.RECORD_KINDS


def _require_import(request: AuthedRequest) -> None:
    if not (importer.can_import(request.user) or import_clients.can_import_records(request.user)):
        raise PermissionDenied


def _job(request: AuthedRequest, pk: int) -> ImportJob:
    """One import the user may see: 403 for people who import nothing; 404 when not visible
    (including imports of a kind the user may not import)."""
    _require_import(request)
    return import_clients.import_job_for(viewer=request.user, pk=pk)


@login_required
def import_list(request: AuthedRequest) -> HttpResponse:
    _require_import(request)
    jobs = import_clients.import_jobs_for(viewer=request.user)[:100]
    return render(request, "imports/import_list.html", {"jobs": jobs})


@login_required
def import_upload(request: AuthedRequest) -> HttpResponse:
    _require_import(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["kind"] in RECORD_KINDS:
                job = import_clients.records_job_create(
                    by=request.user,
                    kind=data["kind"],
                    file=data["file"],
                    name=data["file"].name,
                    team=data["team"],
                    default_country=data["default_country"],
                )
            else:
                job = importer.import_job_create(
                    by=request.user,
                    file=data["file"],
                    name=data["file"].name,
                    team=data["team"],
                    default_country=data["default_country"],
                    default_source=data["default_source"],
                    default_campaign=data["default_campaign"],
                )
        except BusinessError as exc:
            add_business_error(form, exc)
        else:
            return redirect("imports:mapping", pk=job.pk)
    return render(request, "imports/import_upload.html", {"form": form})


@login_required
def import_mapping(request: AuthedRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if job.queued_at is not None:
        return redirect("imports:detail", pk=job.pk)
    form = MappingForm(request.POST or None, job=job)
    if request.method == "POST" and form.is_valid():
        start = import_clients.records_job_start if job.kind in RECORD_KINDS else importer.import_job_start
        try:
            start(by=request.user, job=job, mapping=form.mapping(), dry_run="dry_run" in request.POST)
        except BusinessError as exc:
            add_business_error(form, exc)
        else:
            return redirect("imports:detail", pk=job.pk)
    try:
        preview = import_clients.records_preview(job)
    except BusinessError as exc:
        preview = []
        messages.error(request, exc.message)
    delimiters = {",": _("comma"), ";": _("semicolon"), "\t": _("tab"), "|": _("vertical bar")}
    context = {
        "job": job,
        "form": form,
        "preview": preview,
        "delimiter": delimiters.get(job.delimiter, job.delimiter),
    }
    return render(request, "imports/import_mapping.html", context)


@login_required
def import_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    records = job.kind in RECORD_KINDS
    context = {
        "job": job,
        "records": records,
        "active": job.queued_at is not None and job.status in (ImportStatus.PENDING, ImportStatus.RUNNING),
        "can_resume": import_clients.can_resume(job) if records else importer.can_resume(job),
        "summary": import_clients.summary_text(job) if records else importer.summary_text(job),
    }
    if request.htmx:
        # The poll also refreshes the side panel's start and end times (out of band).
        return render(request, "imports/import_detail.html#progress", {**context, "oob": True})
    return render(request, "imports/import_detail.html", context)


@login_required
def import_report(request: AuthedRequest, pk: int) -> StreamingHttpResponse:
    job = _job(request, pk)
    lines = import_clients.report_lines(job) if job.kind in RECORD_KINDS else importer.report_lines(job)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    name = f"import-{job.pk}-report.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def import_repeat(request: AuthedRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    repeat = import_clients.records_job_repeat if job.kind in RECORD_KINDS else importer.import_job_repeat
    try:
        real = repeat(by=request.user, job=job)
    except BusinessError as exc:
        messages.error(request, exc.message)
        return redirect("imports:detail", pk=job.pk)
    messages.success(request, _("The import has started."))
    return redirect("imports:detail", pk=real.pk)


@login_required
@require_POST
def import_resume(request: AuthedRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    resume = import_clients.records_job_resume if job.kind in RECORD_KINDS else importer.import_job_resume
    try:
        resume(by=request.user, job=job)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The import continues after its last saved batch."))
    return redirect("imports:detail", pk=job.pk)
