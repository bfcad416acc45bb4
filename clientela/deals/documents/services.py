"""Writes of a deal's documents (proposals, agreements, invoices, acts): numbering per kind and
year, issuing versions rendered to HTML and PDF from the deal's lines, recording that a version
was sent and the client's answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.audit import audit_create, audit_event, model_update
from clientela.core.errors import BusinessError
from clientela.core.permissions import Action, require_record
from clientela.core.validation import too_long
from clientela.deals.catalogue.services import line_add
from clientela.deals.choices import DOCUMENT_PREFIX, DealEventKind, DocumentKind, DocumentStatus
from clientela.deals.documents.pdf import document_context, html_to_pdf, render_document
from clientela.deals.models import Deal, Document, DocumentCounter, DocumentTemplate, DocumentVersion
from clientela.deals.money import format_money, invalid
from clientela.deals.offer_guard import guard_offer
from clientela.deals.services import CANNOT_CHANGE, actor_of, deal_event
from clientela.users.models import User

# A proposal is valid this long unless the author says otherwise.
DEFAULT_VALIDITY_DAYS = 14

# --- Documents ---------------------------------------------------------------------------------


def next_number(kind: str, year: int) -> tuple[str, int]:
    """The next number of a kind in a year, e.g. ("P-2026-0007", 7). Holds the counter row lock
    until the surrounding transaction ends, so two documents never share a number."""
    prefix = DOCUMENT_PREFIX[DocumentKind(kind)]
    counter, _created = DocumentCounter.objects.select_for_update().get_or_create(prefix=prefix, year=year)
    DocumentCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    return f"{prefix}-{year}-{counter.last:04d}", counter.last


def template_for(kind: str, language: str) -> DocumentTemplate:
    templates = DocumentTemplate.objects.filter(kind=kind, is_active=True)
    template = (
        templates.filter(language=language, is_default=True).first()
        or templates.filter(language=language).first()
        or templates.filter(language="en", is_default=True).first()
        or templates.first()
    )
    if template is None:
        raise invalid("template", _("There is no template for this kind of document."))
    return template


def _issue_version(document: Document, by: User, *, valid_until: dt.date | None) -> DocumentVersion:
    deal = document.deal
    lines = list(deal.lines.select_related("product").order_by("position", "id"))
    if not lines:
        raise invalid("lines", _("Add products to the deal first: documents are built from its lines."))
    number = document.current_version + 1
    context = document_context(document=document, version=number, lines=lines, valid_until=valid_until)
    html = render_document(document.template or template_for(document.kind, document.language), context)
    pdf = html_to_pdf(html)
    version = DocumentVersion(
        document=document,
        version=number,
        created_by=actor_of(by),
        html=html,
        currency=deal.currency,
        total=sum((line.total for line in lines), Decimal("0.00")),
        lines=context["snapshot"],
        valid_until=valid_until,
    )
    version.pdf.save(f"{document.number}-v{number}.pdf", ContentFile(pdf), save=False)
    version.save()
    Document.objects.filter(pk=document.pk).update(current_version=number, valid_until=valid_until)
    document.current_version, document.valid_until = number, valid_until
    return version


def _clean_validity(kind: str, valid_until: dt.date | None) -> dt.date | None:
    today = timezone.localdate()
    if valid_until is None and kind == DocumentKind.PROPOSAL:
        return today + dt.timedelta(days=DEFAULT_VALIDITY_DAYS)
    if valid_until is not None and valid_until < today:
        raise invalid("valid_until", _("The validity date cannot be in the past."))
    return valid_until


# The fields of a line given with a new document, as the document form names them.
FIRST_LINE_FIELDS = {
    "product": "line_product",
    "name": "line_name",
    "quantity": "line_quantity",
    "unit_price": "line_unit_price",
}


def _add_first_line(by: User, deal: Deal, line: Mapping[str, Any]) -> None:
    try:
        line_add(
            by=by,
            deal=deal,
            product=line.get("product"),
            name=line.get("name") or "",
            quantity=line.get("quantity") if line.get("quantity") not in (None, "") else 1,
            unit_price=line.get("unit_price"),
        )
    except BusinessError as exc:
        exc.errors = {FIRST_LINE_FIELDS.get(field, field): messages for field, messages in exc.errors.items()}
        raise
    deal.refresh_from_db()


@transaction.atomic
def document_create(
    *,
    by: User,
    deal: Deal,
    kind: str = DocumentKind.PROPOSAL,
    title: str = "",
    language: str = "",
    valid_until: dt.date | None = None,
    template: DocumentTemplate | None = None,
    request_key: str = "",
    first_line: Mapping[str, Any] | None = None,
) -> Document:
    """Number a new document of the deal and issue its first version (HTML and PDF) from the
    deal's lines. Numbers run per kind and year: P-2026-0001, INV-2026-0001 …

    `request_key` names the request (the form carries one): asked again with the same key — a
    double click, a retry, two requests at once — it answers the document the first one made
    instead of numbering another. `first_line` (product, name, quantity, unit_price) is added to
    a deal that has no lines yet, in the same transaction, so the document has something to list."""
    require_record(by, deal, Action.WORK, CANNOT_CHANGE)
    request_key = (request_key or "").strip()
    if len(request_key) > 64:
        raise invalid("request_key", too_long(64))
    if request_key:
        # The deal's row lock (PostgreSQL; SQLite's writers already take turns) makes a second
        # request with the same key wait for the first and then find its document.
        list(Deal.objects.select_for_update().filter(pk=deal.pk).values_list("pk", flat=True))
        existing = Document.objects.filter(deal=deal, request_key=request_key).first()
        if existing is not None:
            return existing
    if kind not in DocumentKind.values:
        raise invalid("kind", _("Choose one of: %s.") % ", ".join(DocumentKind.values))
    languages = [code for code, _name in settings.LANGUAGES]
    language = language or (deal.owner.language if deal.owner else "") or settings.LANGUAGE_CODE
    if language not in languages:
        raise invalid("language", _("Choose one of: %s.") % ", ".join(languages))
    if template is not None and (template.kind != kind or not template.is_active):
        raise invalid("template", _("Choose an active template of this kind."))
    title = " ".join((title or "").split())
    if len(title) > 200:
        raise invalid("title", too_long(200))
    valid_until = _clean_validity(kind, valid_until)
    if not deal.lines.exists() and first_line is not None:
        _add_first_line(by, deal, first_line)
    if not deal.lines.exists():
        raise invalid("lines", _("Add products to the deal first: documents are built from its lines."))
    year = timezone.localdate().year
    number, sequence = next_number(kind, year)
    document = Document.objects.create(
        deal=deal,
        kind=kind,
        number=number,
        year=year,
        sequence=sequence,
        title=title,
        language=language,
        template=template or template_for(kind, language),
        valid_until=valid_until,
        request_key=request_key,
        created_by=actor_of(by),
        updated_by=actor_of(by),
    )
    version = _issue_version(document, by, valid_until=valid_until)
    audit_create(actor=by, instance=document, fields=["deal", "kind", "number", "language", "valid_until"])
    deal_event(
        deal,
        DealEventKind.DOCUMENT,
        by,
        _("%(kind)s %(number)s prepared (version 1, %(total)s).")
        % {
            "kind": document.get_kind_display(),
            "number": number,
            "total": format_money(version.total, version.currency),
        },
        document_version=version,
        document=document.pk,
    )
    return document


@transaction.atomic
def document_revise(
    *, by: User, document: Document, valid_until: dt.date | None = None, title: str | None = None
) -> DocumentVersion:
    """Issue the next version of a document from the deal's current lines; earlier ones stay."""
    require_record(by, document.deal, Action.WORK, CANNOT_CHANGE)
    document = (
        Document.objects.select_for_update(of=("self",))
        .select_related("deal", "template")
        .get(pk=document.pk)
    )
    if title is not None:
        title = " ".join(title.split())
        if len(title) > 200:
            raise invalid("title", too_long(200))
        document.title = title
        Document.objects.filter(pk=document.pk).update(title=title)
    validity = _clean_validity(document.kind, valid_until or document.valid_until)
    if (
        valid_until is None
        and document.valid_until is not None
        and document.valid_until < timezone.localdate()
    ):
        validity = _clean_validity(document.kind, None)
    version = _issue_version(document, by, valid_until=validity)
    Document.objects.filter(pk=document.pk).update(status=DocumentStatus.DRAFT, updated_at=timezone.now())
    document.status = DocumentStatus.DRAFT
    audit_event(
        actor=by,
        instance=document,
        event="new_version",
        changes={"version": [version.version - 1, version.version]},
    )
    deal_event(
        document.deal,
        DealEventKind.DOCUMENT,
        by,
        _("%(number)s version %(version)s prepared (%(total)s).")
        % {
            "number": document.number,
            "version": version.version,
            "total": format_money(version.total, version.currency),
        },
        document_version=version,
        document=document.pk,
    )
    return version


@transaction.atomic
def document_send(
    *, by: User, version: DocumentVersion, to: str = "", confirm_early: bool = False
) -> DocumentVersion:
    """Record that this version went to the client; the deal's timeline shows every sent version.

    A proposal's first sending is a new offer: sooner than the minimum after the client's previous
    offer it needs `confirm_early` (`offer_guard.py`); a later version of the same proposal is not
    a new offer."""
    document = version.document
    require_record(by, document.deal, Action.WORK, CANNOT_CHANGE)
    if (
        document.kind == DocumentKind.PROPOSAL
        and not document.versions.filter(sent_at__isnull=False).exists()
    ):
        guard_offer(by=by, client=document.deal.client, deal=document.deal, confirm_early=confirm_early)
    to = " ".join((to or "").split())[:254]
    now = timezone.now()
    version.sent_at, version.sent_by, version.sent_to = now, actor_of(by), to
    version.save(update_fields=["sent_at", "sent_by", "sent_to"])
    if document.status in (DocumentStatus.DRAFT, DocumentStatus.SENT):
        Document.objects.filter(pk=document.pk).update(status=DocumentStatus.SENT, updated_at=now)
        document.status = DocumentStatus.SENT
    audit_event(actor=by, instance=document, event="sent", changes={"version": version.version, "to": to})
    text = _("%(number)s version %(version)s sent") % {"number": document.number, "version": version.version}
    if to:
        text += " " + _("to %(to)s") % {"to": to}
    deal_event(
        document.deal, DealEventKind.DOCUMENT_SENT, by, text, document_version=version, document=document.pk
    )
    return version


@transaction.atomic
def document_set_status(*, by: User, document: Document, status: str) -> Document:
    require_record(by, document.deal, Action.WORK, CANNOT_CHANGE)
    if status not in (DocumentStatus.ACCEPTED, DocumentStatus.DECLINED, DocumentStatus.SENT):
        raise invalid("status", _("Choose accepted or declined."))
    if document.status == DocumentStatus.DRAFT:
        raise invalid("status", _("Send the document before recording the client's answer."))
    document, changes = model_update(instance=document, data={"status": status}, actor=actor_of(by))
    if changes:
        deal_event(
            document.deal,
            DealEventKind.DOCUMENT,
            by,
            _("%(number)s: %(status)s")
            % {"number": document.number, "status": document.get_status_display()},
            document=document.pk,
        )
    return document
