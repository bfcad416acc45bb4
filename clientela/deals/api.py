"""API: deals (list, create, read, edit with optimistic locking) and, mounted on the same router,
its sub-domains' routers: the board (moves, won/lost, stage history, objections, pipelines, lost
reasons — `deals.board.api`), the catalogue (lines, products — `deals.catalogue.api`), documents
with their PDF (`deals.documents.api`), payments and overdue receivables (`deals.payments.api`).

Every list answers `{"count", "items"}` with `limit`/`offset`, scoped like the pages: a deal
the caller cannot see is 404. Amounts are exact decimals: send them as strings ("1250.50") or
integers — floats are refused — and read them back as strings. Marketers see deals without
amounts (`amount` and prices are null) and no documents or payments. Editing a deal needs the
`version` you read: if someone changed the deal since, the answer is 409 and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from clientela.clients.models import Client, Contact
from clientela.core.errors import BusinessError
from clientela.core.http import AuthedRequest
from clientela.core.listspec import ListQuery
from clientela.core.pagination import Page, paginate
from clientela.core.permissions import require
from clientela.deals import selectors, services
from clientela.deals.board.api import pipeline_for, stage_for
from clientela.deals.board.api import router as board_router
from clientela.deals.catalogue import services as catalogue_services
from clientela.deals.catalogue.api import LineIn, product_for
from clientela.deals.catalogue.api import router as catalogue_router
from clientela.deals.documents.api import router as documents_router
from clientela.deals.lists import DEALS, deal_list
from clientela.deals.models import Deal
from clientela.deals.money import invalid
from clientela.deals.payments.api import router as payments_router
from clientela.deals.rates.api import router as rates_router
from clientela.deals.schemas import DealDetailOut, DealOut, client_for, deal_for
from clientela.users.models import User
from clientela.users.selectors import users_visible_to

router = Router(tags=["deals"])


# --- Deals: list and read -----------------------------------------------------------------------


if TYPE_CHECKING:
    DealQuery = ListQuery
else:
    DealQuery = DEALS.query_schema("DealQuery")


def _with_related(deals: QuerySet[Deal]) -> QuerySet[Deal]:
    return deals.prefetch_related("contacts")


@router.get("/deals", response=Page[DealOut], summary="Deals visible to you")
def list_deals(request: AuthedRequest, query: Query[DealQuery]) -> dict[str, Any]:
    """Filter by pipeline, stage, status (open/won/lost), owner (or `unassigned=true`), team,
    client, overdue receivables and overdue next steps; `q` searches the title and the client's
    name (or a deal number). `ordering`: -created, created, -amount, amount, title, close,
    next_step, stage, -updated."""
    deals = deal_list(viewer=request.user, filters=query.values())
    page = paginate(_with_related(deals), query)
    if selectors.can_see_amounts(request.user):
        selectors.attach_overdue(page["items"])
    return page


@router.get("/deals/{deal_id}", response=DealDetailOut, summary="One deal with its lines")
def get_deal(request: AuthedRequest, deal_id: int) -> Deal:
    return deal_for(request, deal_id)


# --- Deals: writes ------------------------------------------------------------------------------


class DealCreateIn(Schema):
    client: int
    title: str = ""
    pipeline: int | None = None
    stage: int | None = None
    owner: int | None = None
    amount: Any = None
    currency: str = ""
    expected_close_date: dt.date | None = None
    next_step_date: dt.date | None = None
    next_step_subject: str = ""
    contacts: list[int] = []
    source_lead: int | None = None
    lines: list[LineIn] = []


def _contacts(client: Client, ids: list[int]) -> list[Contact]:
    contacts = list(Contact.objects.filter(client=client, pk__in=ids))
    if len(contacts) != len(set(ids)):
        raise invalid("contacts", _("Choose contacts of this client."))
    return contacts


def _owner(request: AuthedRequest, owner_id: int | None) -> User | None:
    if owner_id is None:
        return None
    owner = users_visible_to(request.user).filter(pk=owner_id).first()
    if owner is None:
        raise invalid("owner", _("Choose an active sales manager."))
    return owner


def _prefixed(exc: BusinessError, prefix: str) -> BusinessError:
    errors = {f"{prefix}.{field}": messages for field, messages in exc.errors.items()}
    return BusinessError(exc.message, errors=errors, status=exc.status)


@router.post("/deals", response={201: DealDetailOut}, summary="Start a deal")
def create_deal(request: AuthedRequest, payload: DealCreateIn) -> Status[Deal]:
    """Starts in the first open stage of `pipeline` (the default one if not given), or in
    `stage`. `lines` are added in the same transaction: a bad line writes nothing."""
    require(request.user, "work_records")
    client = client_for(request, payload.client)
    contacts = _contacts(client, payload.contacts)
    lead = None
    if payload.source_lead is not None:
        lead = selectors.source_lead_visible(viewer=request.user, pk=payload.source_lead)
        if lead is None:
            raise invalid("source_lead", _("No such lead."))
    pipeline, stage = pipeline_for(payload.pipeline), stage_for(payload.stage)
    if stage is not None and pipeline is None:
        pipeline = stage.pipeline
    with transaction.atomic():
        deal = services.deal_create(
            by=request.user,
            client=client,
            title=payload.title,
            pipeline=pipeline,
            stage=stage,
            owner=_owner(request, payload.owner),
            amount=payload.amount,
            currency=payload.currency,
            expected_close_date=payload.expected_close_date,
            next_step_date=payload.next_step_date,
            next_step_subject=payload.next_step_subject,
            contacts=contacts,
            source_lead=lead,
        )
        for index, line in enumerate(payload.lines):
            try:
                catalogue_services.line_add(
                    by=request.user,
                    deal=deal,
                    product=product_for(line.product),
                    name=line.name,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    discount_percent=line.discount_percent,
                )
            except BusinessError as exc:
                raise _prefixed(exc, f"lines.{index}") from exc
    return Status(201, deal_for(request, deal.pk))


class DealPatchIn(Schema):
    version: int
    title: str | None = None
    client: int | None = None
    contacts: list[int] | None = None
    owner: int | None = None
    amount: Any = None
    currency: str | None = None
    expected_close_date: dt.date | None = None
    next_step_date: dt.date | None = None
    next_step_subject: str | None = None


@router.patch("/deals/{deal_id}", response=DealDetailOut, summary="Change a deal's fields")
def update_deal(request: AuthedRequest, deal_id: int, payload: DealPatchIn) -> Deal:
    """Only the fields sent change. `version` (required) is the one you read; when the deal
    changed since, the answer is 409 and nothing is written. Stage changes go through `/move`."""
    deal = deal_for(request, deal_id)
    sent = payload.model_dump(exclude_unset=True)
    version = sent.pop("version")
    data: dict[str, Any] = {}
    for name, value in sent.items():
        if name == "client":
            data["client"] = client_for(request, value)
        elif name == "contacts":
            data["contacts"] = _contacts(data.get("client", deal.client), value or [])
        elif name == "owner":
            data["owner"] = _owner(request, value)
        elif name in ("title", "next_step_subject", "currency") and value is None:
            raise invalid(name, _("This field cannot be null."))
        else:
            data[name] = value
    services.deal_update(by=request.user, deal=deal, data=data, version=version)
    return deal_for(request, deal_id)


for sub_router in (board_router, catalogue_router, documents_router, payments_router, rates_router):
    router.add_router("", sub_router)
