"""What the deals API routers share: the deal's output shapes (a deal with its lines), references
to related records, amounts shown only to roles that see them, and the lookups of a deal or a
client the caller may see (a deal they cannot see is 404)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from ninja import Schema

from clientela.clients.models import Client
from clientela.core.http import AuthedRequest
from clientela.deals import selectors
from clientela.deals.models import Deal, DealLine
from clientela.deals.money import invalid


def choice(value: str, allowed: list[str]) -> str:
    value = (value or "").strip()
    if value and value not in allowed:
        raise ValueError(_("Choose one of: %s.") % ", ".join(allowed))
    return value


def cents(value: Any) -> Decimal:
    """Sums computed in SQL come back without their scale on SQLite (300 instead of 300.00)."""
    return Decimal(value or 0).quantize(Decimal("0.01"))


def shows_amounts(context: Any) -> bool:
    request = (context or {}).get("request")
    return request is not None and selectors.can_see_amounts(request.user)


class Ref(Schema):
    id: int
    name: str


def ref(obj: Any) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": str(obj)} if obj is not None else None


class LineOut(Schema):
    id: int
    product: Ref | None
    product_code: str
    name: str
    quantity: Decimal
    unit: str
    unit_price: Decimal | None
    discount_percent: Decimal
    total: Decimal | None

    @staticmethod
    def resolve_product(obj: DealLine) -> dict[str, Any] | None:
        return ref(obj.product) if obj.product_id else None

    @staticmethod
    def resolve_product_code(obj: DealLine) -> str:
        return obj.product.code if obj.product_id and obj.product else ""

    @staticmethod
    def resolve_unit_price(obj: DealLine, context: Any) -> Decimal | None:
        return obj.unit_price if shows_amounts(context) else None

    @staticmethod
    def resolve_total(obj: DealLine, context: Any) -> Decimal | None:
        return obj.total if shows_amounts(context) else None


class DealOut(Schema):
    id: int
    title: str
    client: Ref
    contacts: list[Ref]
    owner: Ref | None
    team: Ref | None
    pipeline: Ref
    stage: Ref
    status: str
    amount: Decimal | None
    currency: str
    expected_close_date: dt.date | None
    next_step_date: dt.date | None
    next_step_subject: str
    next_step_overdue: bool
    source_lead_id: int | None
    stage_entered_at: dt.datetime
    days_in_stage: int
    closed_at: dt.datetime | None
    lost_reason: str | None
    lost_note: str
    overdue_amount: Decimal | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_client(obj: Deal) -> dict[str, Any] | None:
        return ref(obj.client)

    @staticmethod
    def resolve_contacts(obj: Deal) -> list[dict[str, Any]]:
        return [{"id": c.pk, "name": str(c)} for c in obj.contacts.all()]

    @staticmethod
    def resolve_owner(obj: Deal) -> dict[str, Any] | None:
        return ref(obj.owner) if obj.owner_id else None

    @staticmethod
    def resolve_team(obj: Deal) -> dict[str, Any] | None:
        return ref(obj.team) if obj.team_id else None

    @staticmethod
    def resolve_pipeline(obj: Deal) -> dict[str, Any] | None:
        return ref(obj.pipeline)

    @staticmethod
    def resolve_stage(obj: Deal) -> dict[str, Any] | None:
        return ref(obj.stage)

    @staticmethod
    def resolve_amount(obj: Deal, context: Any) -> Decimal | None:
        return obj.amount if shows_amounts(context) else None

    @staticmethod
    def resolve_lost_reason(obj: Deal) -> str | None:
        return obj.lost_reason.code if obj.lost_reason_id and obj.lost_reason else None

    @staticmethod
    def resolve_overdue_amount(obj: Deal, context: Any) -> Decimal | None:
        if not shows_amounts(context):
            return None
        value = getattr(obj, "overdue_amount", None)
        return cents(value if value is not None else selectors.deal_receivables(obj)["overdue_amount"])


class DealDetailOut(DealOut):
    lines: list[LineOut]

    @staticmethod
    def resolve_lines(obj: Deal) -> list[DealLine]:
        return list(obj.lines.all())


def deal_for(request: AuthedRequest, deal_id: int) -> Deal:
    return selectors.deal_get(viewer=request.user, pk=deal_id)


def client_for(request: AuthedRequest, client_id: int | None, field: str = "client") -> Client:
    client = Client.objects.visible_to(request.user).filter(pk=client_id).first() if client_id else None
    if client is None:
        raise invalid(field, _("No such client."))
    return client
