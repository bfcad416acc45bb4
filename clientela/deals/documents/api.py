"""API of a deal's documents: proposals, agreements, invoices and acts — list, prepare, revise,
record sending and the client's answer, and the PDF of any version."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import field_validator

from clientela.core.http import AuthedRequest
from clientela.core.pagination import Page, PageParams, paginate
from clientela.deals import selectors
from clientela.deals.choices import DocumentKind, DocumentStatus
from clientela.deals.documents import services
from clientela.deals.models import Document, DocumentTemplate, DocumentVersion
from clientela.deals.money import invalid
from clientela.deals.schemas import choice, deal_for

# Endpoints keep the operation ids they had when the deals API was one module (`clientela.deals.api`),
# so clients generated from the schema keep working.
router = Router()  # tagged "deals" by the deals router it is mounted on


# --- Proposals and other documents --------------------------------------------------------------


class VersionOut(Schema):
    id: int
    version: int
    created_at: dt.datetime
    total: Decimal
    currency: str
    valid_until: dt.date | None
    sent_at: dt.datetime | None
    sent_to: str
    lines: list[dict[str, Any]]


class DocumentOut(Schema):
    id: int
    deal_id: int
    kind: str
    number: str
    title: str
    language: str
    status: str
    valid_until: dt.date | None
    current_version: int
    created_at: dt.datetime
    versions: list[VersionOut]

    @staticmethod
    def resolve_versions(obj: Document) -> list[DocumentVersion]:
        return list(obj.versions.all())


def _documents(request: AuthedRequest) -> QuerySet[Document]:
    return selectors.documents_visible_to(request.user).prefetch_related(
        Prefetch("versions", queryset=DocumentVersion.objects.order_by("-version"))
    )


class DocumentQuery(PageParams):
    q: str = ""
    deal: int | None = None
    kind: str = ""
    status: str = ""

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return choice(value, list(DocumentKind.values))

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        return choice(value, list(DocumentStatus.values))


@router.get(
    "/proposals",
    response=Page[DocumentOut],
    summary="Proposals and other deal documents",
    operation_id="clientela_deals_api_list_documents",
)
def list_documents(request: AuthedRequest, query: Query[DocumentQuery]) -> dict[str, Any]:
    """All kinds (proposal, agreement, invoice, act) unless `kind` says; `q` matches the number
    or the deal's client."""
    documents = _documents(request)
    if query.q:
        term = query.q.strip()
        documents = documents.filter(Q(number__icontains=term) | Q(deal__client__name__icontains=term))
    if query.deal:
        documents = documents.filter(deal_id=query.deal)
    if query.kind:
        documents = documents.filter(kind=query.kind)
    if query.status:
        documents = documents.filter(status=query.status)
    return paginate(documents.order_by("-created_at", "-id"), query)


def _document(request: AuthedRequest, document_id: int) -> Document:
    document = _documents(request).select_related("deal").filter(pk=document_id).first()
    if document is None:
        raise Http404
    return document


@router.get(
    "/proposals/{document_id}",
    response=DocumentOut,
    summary="One document with its versions",
    operation_id="clientela_deals_api_get_document",
)
def get_document(request: AuthedRequest, document_id: int) -> Document:
    return _document(request, document_id)


class DocumentIn(Schema):
    deal: int
    kind: str = DocumentKind.PROPOSAL
    title: str = ""
    language: str = ""
    valid_until: dt.date | None = None
    template: int | None = None
    # Sent again with the same key (a retry), the request answers the document the first one made.
    request_key: str = ""


@router.post(
    "/proposals",
    response={201: DocumentOut},
    summary="Prepare a proposal (or agreement, invoice, act)",
    operation_id="clientela_deals_api_create_document",
)
def create_document(request: AuthedRequest, payload: DocumentIn) -> Status[Document]:
    """Numbered per kind and year (P-2026-0001) and rendered to PDF from the deal's lines. A
    `request_key` makes a retry safe: the same key on the same deal answers the same document."""
    deal = deal_for(request, payload.deal)
    if not selectors.can_see_amounts(request.user):
        raise Http404
    template = None
    if payload.template is not None:
        template = DocumentTemplate.objects.filter(pk=payload.template).first()
        if template is None:
            raise invalid("template", _("No such template."))
    document = services.document_create(
        by=request.user,
        deal=deal,
        kind=payload.kind,
        title=payload.title,
        language=payload.language,
        valid_until=payload.valid_until,
        template=template,
        request_key=payload.request_key,
    )
    return Status(201, _document(request, document.pk))


class DocumentPatchIn(Schema):
    title: str | None = None
    valid_until: dt.date | None = None
    status: str | None = None


@router.patch(
    "/proposals/{document_id}",
    response=DocumentOut,
    summary="Change a document",
    operation_id="clientela_deals_api_update_document",
)
def update_document(request: AuthedRequest, document_id: int, payload: DocumentPatchIn) -> Document:
    """`status` records the client's answer (accepted/declined). A new `title` or
    `valid_until` issues a new version; earlier versions stay as they were."""
    document = _document(request, document_id)
    sent = payload.model_dump(exclude_unset=True)
    if "title" in sent or "valid_until" in sent:
        services.document_revise(
            by=request.user, document=document, valid_until=sent.get("valid_until"), title=sent.get("title")
        )
    if sent.get("status"):
        services.document_set_status(
            by=request.user, document=_document(request, document_id), status=sent["status"]
        )
    return _document(request, document_id)


@router.post(
    "/proposals/{document_id}/versions",
    response={201: DocumentOut},
    summary="Issue a new version",
    operation_id="clientela_deals_api_revise_document",
)
def revise_document(request: AuthedRequest, document_id: int) -> Status[Document]:
    """A new version from the deal's current lines."""
    services.document_revise(by=request.user, document=_document(request, document_id))
    return Status(201, _document(request, document_id))


class SendIn(Schema):
    version: int | None = None
    to: str = ""
    # A proposal sooner than the minimum after the client's previous offer: 409 unless true.
    confirm_early: bool = False


@router.post(
    "/proposals/{document_id}/send",
    response=DocumentOut,
    summary="Record that a version was sent",
    operation_id="clientela_deals_api_send_document",
)
def send_document(request: AuthedRequest, document_id: int, payload: SendIn) -> Document:
    document = _document(request, document_id)
    number = payload.version or document.current_version
    version = document.versions.filter(version=number).first()
    if version is None:
        raise invalid("version", _("No such version."))
    services.document_send(
        by=request.user, version=version, to=payload.to, confirm_early=payload.confirm_early
    )
    return _document(request, document_id)


@router.get(
    "/proposals/{document_id}/pdf",
    summary="The PDF of a version (the latest by default)",
    response={200: None},
    operation_id="clientela_deals_api_document_pdf",
)
def document_pdf(request: AuthedRequest, document_id: int, version: int | None = None) -> FileResponse:
    document = _document(request, document_id)
    row = document.versions.filter(version=version or document.current_version).first()
    if row is None or not row.pdf:
        raise Http404
    return FileResponse(
        row.pdf.open("rb"), as_attachment=True, filename=row.filename, content_type="application/pdf"
    )
