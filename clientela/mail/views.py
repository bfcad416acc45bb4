"""Mail pages: inbox, thread, compose/reply, resend, attachment download, signature."""

from __future__ import annotations

import mimetypes
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientela.clients.models import Client, Contact
from clientela.core.errors import BusinessError
from clientela.core.forms import add_business_error
from clientela.core.http import AuthedRequest
from clientela.core.permissions import get_visible_or_404, user_can
from clientela.deals.models import Deal
from clientela.leads.models import Lead
from clientela.mail import selectors, services
from clientela.mail.forms import ComposeForm, SignatureForm
from clientela.mail.models import Direction, SendStatus, Signature, Thread
from clientela.mail.parsing import reply_subject

PAGE_SIZE = 50


def _record_models() -> dict[str, Any]:

    return {"lead": Lead, "client": Client, "contact": Contact, "deal": Deal}


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@login_required
def inbox(request: AuthedRequest) -> HttpResponse:
    show_all = request.GET.get("all") == "1"
    q = request.GET.get("q", "")
    threads = selectors.thread_list(
        viewer=request.user,
        owner=None if show_all else request.user.pk,
        q=q,
        unanswered=request.GET.get("unanswered") == "1",
    )
    page = Paginator(threads, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "mail/inbox.html",
        {
            "page": page,
            "threads": page.object_list,
            "show_all": show_all,
            "q": q,
            "unanswered": request.GET.get("unanswered") == "1",
        },
    )


@login_required
def thread_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    thread = selectors.thread_get(viewer=request.user, pk=pk)
    thread_messages = list(selectors.thread_messages(thread))
    may_send = user_can(request.user, "work_records")
    form = None
    if may_send:
        to, cc = services.reply_recipients(thread=thread, by=request.user)
        form = ComposeForm(
            initial={
                "to": ", ".join(to),
                "cc": ", ".join(cc),
                "subject": reply_subject(thread.subject),
                "thread": thread.pk,
            }
        )
    return render(
        request,
        "mail/thread_detail.html",
        {
            "thread": thread,
            "thread_messages": thread_messages,
            "form": form,
            "may_send": may_send,
            "Direction": Direction,
            "SendStatus": SendStatus,
        },
    )


def _records_from(data: Any, user: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, model in _record_models().items():
        pk = _int(data.get(name))
        if pk is not None:
            found[name] = get_visible_or_404(model.objects.all(), user, pk=pk)
    return found


@login_required
def compose(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not user_can(user, "work_records"):
        raise Http404(_("Not found."))
    source = request.POST if request.method == "POST" else request.GET
    thread: Thread | None = None
    thread_pk = _int(source.get("thread"))
    if thread_pk is not None:
        thread = selectors.thread_get(viewer=user, pk=thread_pk)
    records = _records_from(source, user)
    if request.method == "POST":
        form = ComposeForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                message = services.message_send(
                    by=user,
                    to=data["to"],
                    cc=data["cc"],
                    subject=data["subject"],
                    body_text=data["body_text"],
                    thread=thread,
                    attachments=data["attachments"],
                    **records,
                )
            except BusinessError as exc:
                add_business_error(form, exc)
            else:
                messages.success(request, _("Your e-mail is on its way."))
                return redirect("mail:thread", message.thread_id)
    else:
        initial: dict[str, Any] = {name: record.pk for name, record in records.items()}
        if thread is not None:
            to, cc = services.reply_recipients(thread=thread, by=user)
            initial.update(
                to=", ".join(to), cc=", ".join(cc), subject=reply_subject(thread.subject), thread=thread.pk
            )
        else:
            for record in records.values():
                address = getattr(record, "email", "")
                if address:
                    initial.setdefault("to", address)
        for name in ("to", "cc", "subject"):
            if request.GET.get(name):
                initial[name] = request.GET[name]
        if request.GET.get("body"):
            initial["body_text"] = request.GET["body"]
        form = ComposeForm(initial=initial)
    record = next(iter(records.values()), None)
    return render(request, "mail/compose.html", {"form": form, "thread": thread, "record": record})


@login_required
@require_POST
def message_resend_view(request: AuthedRequest, pk: int) -> HttpResponse:
    message = selectors.message_get(viewer=request.user, pk=pk)
    try:
        services.message_resend(by=request.user, message=message)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The e-mail is queued to be sent again."))
    return redirect("mail:thread", message.thread_id)


@login_required
def attachment_download(request: AuthedRequest, pk: int) -> HttpResponseBase:
    attachment = selectors.attachment_get(viewer=request.user, pk=pk)
    if not attachment.file:
        raise Http404(_("This attachment was not stored."))
    content_type = attachment.content_type or mimetypes.guess_type(attachment.filename)[0]
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def message_raw(request: AuthedRequest, pk: int) -> HttpResponseBase:
    message = selectors.message_get(viewer=request.user, pk=pk)
    if not message.raw:
        raise Http404(_("No stored copy of this message."))
    return FileResponse(
        message.raw.open("rb"),
        as_attachment=True,
        filename=f"message-{message.pk}.eml",
        content_type="message/rfc822",
    )


@login_required
def signature_edit(request: AuthedRequest) -> HttpResponse:
    signature = Signature.objects.filter(user=request.user).first()
    if request.method == "POST":
        form = SignatureForm(request.POST, instance=signature or Signature(user=request.user))
        if form.is_valid():
            try:
                services.signature_update(by=request.user, data=form.cleaned_data)
            except BusinessError as exc:
                add_business_error(form, exc)
            else:
                messages.success(request, _("Your signature is saved."))
                return redirect("mail:signature")
    else:
        initial = {}
        if signature is None:
            initial = {"name": request.user.get_full_name()}
        form = SignatureForm(instance=signature, initial=initial)
    preview = services.signature_text(signature)
    return render(request, "mail/signature.html", {"form": form, "preview": preview})
