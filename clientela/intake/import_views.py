"""Import screens: upload → mapping with a preview → dry run or run → progress → result.

Thin: the importer's services and selectors do the work; the run itself happens in a
background worker (`intake.tasks.run_import`), the progress page polls its partial.
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
from clientela.intake import importer
from clientela.intake.choices import ImportStatus
from clientela.intake.import_forms import ImportUploadForm, MappingForm
from clientela.intake.models import ImportJob


def _require_import(request: AuthedRequest) -> None:
    if not importer.can_import(request.user):
        raise PermissionDenied


def _job(request: AuthedRequest, pk: int) -> ImportJob:
    _require_import(request)
    return importer.import_job_get(viewer=request.user, pk=pk)


@login_required
def import_list(request: AuthedRequest) -> HttpResponse:
    _require_import(request)
    jobs = importer.import_job_list(viewer=request.user)[:100]
    return render(request, "intake/imports/import_list.html", {"jobs": jobs})


@login_required
def import_upload(request: AuthedRequest) -> HttpResponse:
    _require_import(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
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
    return render(request, "intake/imports/import_upload.html", {"form": form})


@login_required
def import_mapping(request: AuthedRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if job.queued_at is not None:
        return redirect("imports:detail", pk=job.pk)
    form = MappingForm(request.POST or None, job=job)
    if request.method == "POST" and form.is_valid():
        try:
            importer.import_job_start(
                by=request.user, job=job, mapping=form.mapping(), dry_run="dry_run" in request.POST
            )
        except BusinessError as exc:
            add_business_error(form, exc)
        else:
            return redirect("imports:detail", pk=job.pk)
    try:
        preview = importer.import_preview(job)
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
    return render(request, "intake/imports/import_mapping.html", context)


@login_required
def import_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    context = {
        "job": job,
        "active": job.queued_at is not None and job.status in (ImportStatus.PENDING, ImportStatus.RUNNING),
        "can_resume": importer.can_resume(job),
        "summary": importer.summary(job),
    }
    if request.htmx:
        return render(request, "intake/imports/import_detail.html#progress", context)
    return render(request, "intake/imports/import_detail.html", context)


@login_required
def import_report(request: AuthedRequest, pk: int) -> StreamingHttpResponse:
    job = _job(request, pk)
    response = StreamingHttpResponse(importer.report_lines(job), content_type="text/csv; charset=utf-8")
    name = f"import-{job.pk}-report.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def import_repeat(request: AuthedRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        real = importer.import_job_repeat(by=request.user, job=job)
    except BusinessError as exc:
        messages.error(request, exc.message)
        return redirect("imports:detail", pk=job.pk)
    messages.success(request, _("The import has started."))
    return redirect("imports:detail", pk=real.pk)


@login_required
@require_POST
def import_resume(request: AuthedRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        importer.import_job_resume(by=request.user, job=job)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The import continues after its last saved batch."))
    return redirect("imports:detail", pk=job.pk)
