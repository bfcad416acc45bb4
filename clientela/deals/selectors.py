"""Reads of deals and everything around them, always scoped to the viewer.

Lists, the board (`deals.board.selectors`), search, the API and reports build on
`deals_visible_to`, so a manager never reaches another team's deals by any door. Marketers see
their team's deals but no amounts: pages and the API ask `can_see_amounts` and leave money out,
and the board does not even sum amounts for them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django.db.models import (
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from clientela.clients.models import Client
from clientela.core.normalise import fold
from clientela.core.permissions import get_visible_or_404, user_can
from clientela.deals.choices import DealEventKind, DealStatus, PaymentKind
from clientela.deals.models import (
    Deal,
    DealEvent,
    DealStageChange,
    Document,
    Objection,
    Payment,
    Pipeline,
    Product,
)

MONEY = DecimalField(max_digits=16, decimal_places=2)


def can_see_amounts(user: Any) -> bool:
    return user_can(user, "view_deal_amounts")


def deals_visible_to(viewer: Any) -> QuerySet[Deal]:
    return Deal.objects.visible_to(viewer)


def client_has_search_text() -> bool:
    return any(field.name == "search_text" for field in Client._meta.get_fields())


def search_condition(q: str) -> Q:
    """Title or client name in any spelling ("morozov" finds "Морозов", "stefan" finds
    "Ștefan"), or the deal's number."""
    term = " ".join(q.split())
    folded = fold(term)
    if term.isdigit() and len(term) < 3:
        # One or two digits: a deal number (or in a title), not a fragment of a client's
        # phone or tax id (every client search key has such digits).
        return Q(pk=int(term)) | Q(search_text__contains=folded)
    condition = Q(search_text__contains=folded) | Q(client__name__icontains=term)
    if client_has_search_text():
        condition |= Q(client__search_text__contains=folded)
    if term.isdigit():
        condition |= Q(pk=int(term))
    return condition


def deal_get(*, viewer: Any, pk: int) -> Deal:
    """One deal the viewer may see (404 otherwise), with its related records for the card."""
    queryset = Deal.objects.select_related(
        "client", "owner", "team", "pipeline", "stage", "lost_reason", "source_lead"
    ).prefetch_related("contacts", "lines__product")
    return get_visible_or_404(queryset, viewer, pk=pk)


def source_lead_visible(*, viewer: Any, pk: int) -> Any | None:
    """A lead the viewer may see, to start a deal from (None otherwise). Leads sit above deals in
    the layers, so their model is reached through the deal's own `source_lead` relation."""
    leads = cast(Any, Deal._meta.get_field("source_lead").related_model)
    return leads.objects.visible_to(viewer).filter(pk=pk).first()


# Timeline lines that carry money; people who may not see amounts do not get them.
MONEY_EVENTS = {
    DealEventKind.LINE,
    DealEventKind.PAYMENT,
    DealEventKind.DOCUMENT,
    DealEventKind.DOCUMENT_SENT,
}


def deal_timeline(deal: Deal, *, limit: int = 200, show_amounts: bool = True) -> list[DealEvent]:
    events = DealEvent.objects.filter(deal=deal)
    if not show_amounts:
        events = events.exclude(kind__in=MONEY_EVENTS)
    rows = list(events.select_related("actor", "document_version__document").order_by("-at", "-id")[:limit])
    if not show_amounts:
        for event in rows:
            if event.kind in (DealEventKind.WON, DealEventKind.EDITED):
                event.text = ""  # "Won: 12 000 RON …", "Changed: amount" with values in data
                event.text_message = None
    return rows


def stage_history(deal: Deal) -> list[DealStageChange]:
    return list(
        DealStageChange.objects.filter(deal=deal)
        .select_related("from_stage", "to_stage", "by")
        .order_by("at", "id")
    )


# --- Receivables ------------------------------------------------------------------------------


def _payment_sum(condition: Q) -> Coalesce:
    total = (
        Payment.objects.filter(condition, deal=OuterRef("pk"))
        .order_by()
        .values("deal")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=MONEY), Value(Decimal("0.00")), output_field=MONEY)


def with_receivables(deals: QuerySet[Deal], *, today: dt.date | None = None) -> QuerySet[Deal]:
    """Annotate expected (all, and due before today), received, and the overdue amount:
    what was due by yesterday minus what has come in, never below zero."""
    today = today or timezone.localdate()
    return deals.annotate(
        expected_total=_payment_sum(Q(kind=PaymentKind.EXPECTED)),
        expected_due=_payment_sum(Q(kind=PaymentKind.EXPECTED, due_date__lt=today)),
        received_total=_payment_sum(Q(kind=PaymentKind.RECEIVED)),
    ).annotate(
        overdue_amount=Greatest(
            F("expected_due") - F("received_total"), Value(Decimal("0.00")), output_field=MONEY
        )
    )


def attach_overdue(deals: list[Deal], *, today: dt.date | None = None) -> list[Deal]:
    """Set `overdue_amount` on already fetched deals with one query for all of them (a page of
    a list), instead of annotating every row of the table before sorting and cutting it."""
    today = today or timezone.localdate()
    ids = [deal.pk for deal in deals]
    sums = (
        {
            row["deal_id"]: row
            for row in Payment.objects.filter(deal_id__in=ids)
            .order_by()
            .values("deal_id")
            .annotate(
                due=Sum("amount", filter=Q(kind=PaymentKind.EXPECTED, due_date__lt=today)),
                received=Sum("amount", filter=Q(kind=PaymentKind.RECEIVED)),
            )
        }
        if ids
        else {}
    )
    for deal in deals:
        row: Any = sums.get(deal.pk, {})
        overdue = (row.get("due") or Decimal(0)) - (row.get("received") or Decimal(0))
        deal.overdue_amount = max(Decimal("0.00"), overdue).quantize(Decimal("0.01"))  # type: ignore[attr-defined]
    return deals


def overdue_receivables(viewer: Any, *, client: Any = None, today: dt.date | None = None) -> QuerySet[Deal]:
    """Deals (visible to `viewer`) whose scheduled payments are overdue, largest debt first.

    Each deal carries `overdue_amount`, `expected_due`, `expected_total` and `received_total`.
    Other apps (the client card, the work list, reports) use this one selector.
    """
    deals = deals_visible_to(viewer).exclude(status=DealStatus.LOST)
    if client is not None:
        deals = deals.filter(client=client)
    return (
        with_receivables(deals, today=today)
        .filter(overdue_amount__gt=0)  # type: ignore[misc]
        .select_related("client", "owner", "team")
        .order_by("-overdue_amount", "id")
    )


def overdue_since(deal: Deal, *, today: dt.date | None = None) -> dt.date | None:
    """The due date of the oldest expected payment not yet covered by what was received."""
    today = today or timezone.localdate()
    received = Payment.objects.filter(deal=deal, kind=PaymentKind.RECEIVED).aggregate(t=Sum("amount"))[
        "t"
    ] or Decimal(0)
    covered = Decimal(0)
    for payment in Payment.objects.filter(deal=deal, kind=PaymentKind.EXPECTED).order_by("due_date", "id"):
        covered += payment.amount
        if covered > received:
            return payment.due_date if payment.due_date and payment.due_date < today else None
    return None


def deal_receivables(deal: Deal, *, today: dt.date | None = None) -> dict[str, Any]:
    """Schedule, received payments and what is overdue, for the deal card."""
    today = today or timezone.localdate()
    payments = list(Payment.objects.filter(deal=deal).order_by("kind", "due_date", "paid_on", "id"))
    expected = [p for p in payments if p.kind == PaymentKind.EXPECTED]
    received = [p for p in payments if p.kind == PaymentKind.RECEIVED]
    expected_total = sum((p.amount for p in expected), Decimal("0.00"))
    received_total = sum((p.amount for p in received), Decimal("0.00"))
    due = sum((p.amount for p in expected if p.due_date and p.due_date < today), Decimal("0.00"))
    # Mark each expected payment paid / overdue / upcoming, covering them oldest first.
    left = received_total
    rows = []
    for payment in sorted(expected, key=lambda p: (p.due_date or today, p.pk)):
        paid = min(left, payment.amount)
        left -= paid
        state = (
            "paid"
            if paid == payment.amount
            else ("overdue" if payment.due_date and payment.due_date < today else "upcoming")
        )
        rows.append({"payment": payment, "paid": paid, "state": state})
    return {
        "expected": rows,
        "received": received,
        "expected_total": expected_total,
        "received_total": received_total,
        "overdue_amount": max(Decimal("0.00"), due - received_total),
        "outstanding": max(Decimal("0.00"), expected_total - received_total),
    }


# --- Catalogue and configuration ---------------------------------------------------------------


def pipelines(*, active_only: bool = True) -> QuerySet[Pipeline]:
    queryset = Pipeline.objects.all()
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("-is_default", "position", "name")


def product_list(*, q: str = "", active: bool | None = True) -> QuerySet[Product]:
    products = Product.objects.all()
    if active is not None:
        products = products.filter(is_active=active)
    if q:
        term = " ".join(q.split())
        products = products.filter(Q(name__icontains=term) | Q(code__icontains=term))
    return products.order_by("name")


def objections_for(deal: Deal) -> QuerySet[Objection]:
    """Library entries that fit the deal: tagged with its stage or products, or untagged."""
    products = [line.product_id for line in deal.lines.all() if line.product_id]
    return (
        Objection.objects.filter(is_active=True)
        .filter(
            Q(stages=deal.stage_id)
            | Q(products__in=products)
            | (Q(stages__isnull=True) & Q(products__isnull=True))
        )
        .distinct()
        .order_by("text")
    )


def documents_visible_to(viewer: Any) -> QuerySet[Document]:
    """Documents of deals the viewer may see; marketers see none (they carry amounts)."""
    if not can_see_amounts(viewer):
        return Document.objects.none()
    return Document.objects.visible_to(viewer)


def payments_visible_to(viewer: Any) -> QuerySet[Payment]:
    if not can_see_amounts(viewer):
        return Payment.objects.none()
    return Payment.objects.visible_to(viewer)
