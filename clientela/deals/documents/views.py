"""Pages of a deal's documents: preparing one, issuing a new version, recording that a version was
sent and the client's answer, and the PDF of a version exactly as issued."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from clientela.core.forms import perform
from clientela.core.http import AuthedRequest
from clientela.deals import selectors
from clientela.deals.choices import DocumentStatus
from clientela.deals.documents import services
from clientela.deals.forms import (
    DocumentForm,
    SendForm,
)
from clientela.deals.models import (
    Document,
    DocumentVersion,
)
from clientela.deals.views import (
    card_action_failed,
    done,
    form_status,
    workable_deal,
)

# --- documents -----------------------------------------------------------------------------


@login_required
def document_create(request: AuthedRequest, pk: int) -> HttpResponse:
    """The "prepare a document" dialog. Done, it lands on the deal with the new PDF's preview
    open; the form's request key makes a second click answer the same document."""
    deal = workable_deal(request, pk)
    if not selectors.can_see_amounts(request.user):
        raise PermissionDenied
    form = DocumentForm(
        request.POST or None,
        deal=deal,
        initial={"language": deal.owner.language if deal.owner else "en"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        document = perform(
            form,
            lambda: services.document_create(
                by=request.user,
                deal=deal,
                kind=data["kind"],
                title=data["title"],
                language=data["language"],
                valid_until=data["valid_until"],
                template=data["template"],
                request_key=data["request_key"],
                first_line=form.first_line(),
            ),
        )
        if document:
            version = document.versions.order_by("-version").first()
            url = reverse("deals:detail", args=[pk])
            if version is not None:
                url += "?" + urlencode({"preview": version.pk})
            return done(
                request,
                url + "#deal-documents",
                _("%(number)s prepared.") % {"number": document.number},
            )
    context = {"deal": deal, "form": form}
    status = form_status(form)
    if request.htmx:
        return render(request, "deals/_document_form.html", context, status=status)
    return render(request, "deals/document_form.html", context, status=status)


def _visible_document(request: AuthedRequest, document_id: int) -> Document:
    document = (
        selectors.documents_visible_to(request.user).select_related("deal").filter(pk=document_id).first()
    )
    if document is None:
        raise Http404(_("Not found."))
    return document


@login_required
@require_POST
def document_revise(request: AuthedRequest, document_id: int) -> HttpResponse:
    document = _visible_document(request, document_id)
    form = Form(request.POST)
    version = perform(form, lambda: services.document_revise(by=request.user, document=document))
    if version:
        messages.success(
            request,
            _("Version %(version)s of %(number)s prepared.")
            % {"version": version.version, "number": document.number},
        )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect(reverse("deals:detail", args=[document.deal_id]) + "#deal-documents")


@login_required
@require_POST
def document_send(request: AuthedRequest, version_id: int) -> HttpResponse:
    version = get_object_or_404(
        DocumentVersion.objects.select_related("document__deal"),
        pk=version_id,
        document__in=selectors.documents_visible_to(request.user),
    )
    form = SendForm(request.POST)
    if form.is_valid() and perform(
        form,
        lambda: services.document_send(
            by=request.user,
            version=version,
            to=form.cleaned_data["to"],
            confirm_early=form.cleaned_data["confirm_early"],
        ),
    ):
        messages.success(
            request,
            _("%(number)s version %(version)s marked as sent.")
            % {"number": version.document.number, "version": version.version},
        )
        return redirect(reverse("deals:detail", args=[version.document.deal_id]) + "#deal-documents")
    if form.has_error("confirm_early"):
        # The offer guard: an offer sooner than the minimum after the previous one — ask first.
        context = {"version": version, "form": form, "warning": form.errors["confirm_early"][0]}
        return render(request, "deals/document_send_confirm.html", context, status=409)
    return card_action_failed(request, version.document.deal_id, form)


@login_required
@require_POST
def document_status(request: AuthedRequest, document_id: int) -> HttpResponse:
    document = _visible_document(request, document_id)
    status = request.POST.get("status", "")
    form = Form(request.POST)
    if perform(form, lambda: services.document_set_status(by=request.user, document=document, status=status)):
        messages.success(
            request,
            _("%(number)s: %(status)s.")
            % {"number": document.number, "status": DocumentStatus(status).label},
        )
        return redirect(reverse("deals:detail", args=[document.deal_id]) + "#deal-documents")
    return card_action_failed(request, document.deal_id, form)


@login_required
@require_GET
@xframe_options_sameorigin  # the deal's own page shows it in a frame
def document_pdf(request: AuthedRequest, version_id: int) -> FileResponse:
    """The PDF of one version exactly as issued: shown in the browser (inline, so the deal's
    preview and a new tab display it), downloaded with ?download=1."""
    version = get_object_or_404(
        DocumentVersion.objects.select_related("document"),
        pk=version_id,
        document__in=selectors.documents_visible_to(request.user),
    )
    if not version.pdf:
        raise Http404(_("This version has no PDF."))
    return FileResponse(
        version.pdf.open("rb"),
        as_attachment=request.GET.get("download") == "1",
        filename=version.filename,
        content_type="application/pdf",
    )
