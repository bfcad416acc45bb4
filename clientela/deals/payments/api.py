"""API of a deal's payments (expected and received) and of overdue receivables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import field_validator

from clientela.core.http import AuthedRequest
from clientela.core.pagination import Page, PageParams, paginate
from clientela.deals import selectors
from clientela.deals.choices import PaymentKind
from clientela.deals.models import Deal, Payment
from clientela.deals.money import invalid
from clientela.deals.payments import services
from clientela.deals.schemas import Ref, cents, choice, client_for, deal_for, ref

# Endpoints keep the operation ids they had when the deals API was one module (`clientela.deals.api`),
# so clients generated from the schema keep working.
router = Router()  # tagged "deals" by the deals router it is mounted on


# --- Payments -----------------------------------------------------------------------------------


class PaymentOut(Schema):
    id: int
    deal_id: int
    kind: str
    amount: Decimal
    currency: str
    due_date: dt.date | None
    paid_on: dt.date | None
    note: str
    document_id: int | None
    created_at: dt.datetime


class PaymentQuery(PageParams):
    deal: int | None = None
    client: int | None = None
    kind: str = ""
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    overdue: bool = False

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return choice(value, list(PaymentKind.values))


@router.get(
    "/payments",
    response=Page[PaymentOut],
    summary="Expected and received payments",
    operation_id="clientela_deals_api_list_payments",
)
def list_payments(request: AuthedRequest, query: Query[PaymentQuery]) -> dict[str, Any]:
    """`overdue=true`: expected payments of deals whose receivables are overdue, due before today."""
    payments = selectors.payments_visible_to(request.user)
    if query.deal:
        payments = payments.filter(deal_id=query.deal)
    if query.client:
        payments = payments.filter(deal__client_id=query.client)
    if query.kind:
        payments = payments.filter(kind=query.kind)
    if query.due_from:
        payments = payments.filter(due_date__gte=query.due_from)
    if query.due_to:
        payments = payments.filter(due_date__lte=query.due_to)
    if query.overdue:
        overdue_deals = selectors.overdue_receivables(request.user).values("pk")
        payments = payments.filter(
            kind=PaymentKind.EXPECTED, due_date__lt=timezone.localdate(), deal__in=overdue_deals
        )
    return paginate(payments.order_by("due_date", "paid_on", "id"), query)


def _payment(request: AuthedRequest, payment_id: int) -> Payment:
    payment = selectors.payments_visible_to(request.user).select_related("deal").filter(pk=payment_id).first()
    if payment is None:
        raise Http404
    return payment


@router.get(
    "/payments/{payment_id}",
    response=PaymentOut,
    summary="One payment",
    operation_id="clientela_deals_api_get_payment",
)
def get_payment(request: AuthedRequest, payment_id: int) -> Payment:
    return _payment(request, payment_id)


class PaymentIn(Schema):
    deal: int
    kind: str
    amount: Any
    due_date: dt.date | None = None
    paid_on: dt.date | None = None
    note: str = ""


@router.post(
    "/payments",
    response={201: PaymentOut},
    summary="Schedule or record a payment",
    operation_id="clientela_deals_api_create_payment",
)
def create_payment(request: AuthedRequest, payload: PaymentIn) -> Status[Payment]:
    """`kind` expected (with `due_date`) or received (with `paid_on`, today by default), in the
    deal's currency."""
    deal = deal_for(request, payload.deal)
    if not selectors.can_see_amounts(request.user):
        raise invalid("deal", _("No such deal."))
    payment = services.payment_create(
        by=request.user,
        deal=deal,
        kind=payload.kind,
        amount=payload.amount,
        due_date=payload.due_date,
        paid_on=payload.paid_on,
        note=payload.note,
    )
    return Status(201, payment)


class PaymentPatchIn(Schema):
    kind: str | None = None
    amount: Any = None
    due_date: dt.date | None = None
    paid_on: dt.date | None = None
    note: str | None = None


@router.patch(
    "/payments/{payment_id}",
    response=PaymentOut,
    summary="Change a payment",
    operation_id="clientela_deals_api_update_payment",
)
def update_payment(request: AuthedRequest, payment_id: int, payload: PaymentPatchIn) -> Payment:
    payment = _payment(request, payment_id)
    data = payload.model_dump(exclude_unset=True)
    if "amount" in data and data["amount"] is None:
        raise invalid("amount", _("Enter a number."))
    return services.payment_update(by=request.user, payment=payment, data=data)


class ReceivableOut(Schema):
    deal: Ref
    client: Ref
    owner: Ref | None
    currency: str
    expected_total: Decimal
    received_total: Decimal
    overdue_amount: Decimal

    @staticmethod
    def resolve_deal(obj: Deal) -> dict[str, Any] | None:
        return ref(obj)

    @staticmethod
    def resolve_expected_total(obj: Any) -> Decimal:
        return cents(obj.expected_total)

    @staticmethod
    def resolve_received_total(obj: Any) -> Decimal:
        return cents(obj.received_total)

    @staticmethod
    def resolve_overdue_amount(obj: Any) -> Decimal:
        return cents(obj.overdue_amount)

    @staticmethod
    def resolve_client(obj: Deal) -> dict[str, Any] | None:
        return ref(obj.client)

    @staticmethod
    def resolve_owner(obj: Deal) -> dict[str, Any] | None:
        return ref(obj.owner) if obj.owner_id else None


@router.get(
    "/receivables",
    response=Page[ReceivableOut],
    summary="Deals with overdue payments",
    operation_id="clientela_deals_api_list_receivables",
)
def list_receivables(
    request: AuthedRequest, query: Query[PageParams], client: int | None = None
) -> dict[str, Any]:
    if not selectors.can_see_amounts(request.user):
        return {"count": 0, "items": []}
    client_obj = client_for(request, client) if client is not None else None
    return paginate(selectors.overdue_receivables(request.user, client=client_obj), query)
