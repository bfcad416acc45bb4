"""Writes of a deal's payments — expected ones (with a due date) and received ones — and the
sweep that tells owners and heads about an overdue payment once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.audit import audit_create, audit_event, model_update
from clientela.core.language import in_language_of
from clientela.core.notifications import notify
from clientela.core.permissions import Action, require_record
from clientela.core.tasks import run_once
from clientela.core.validation import too_long
from clientela.deals.choices import DealEventKind, DealStatus, PaymentKind
from clientela.deals.models import Deal, Document, Payment
from clientela.deals.money import format_money, invalid, parse_amount
from clientela.deals.selectors import with_receivables
from clientela.deals.services import CANNOT_CHANGE, actor_of, deal_event, deal_url, touch_client
from clientela.users.models import User

# --- Payments ----------------------------------------------------------------------------------


def _payment_values(
    kind: str, amount: Any, due_date: dt.date | None, paid_on: dt.date | None, note: str
) -> dict[str, Any]:
    if kind not in PaymentKind.values:
        raise invalid("kind", _("Choose one of: %s.") % ", ".join(PaymentKind.values))
    values: dict[str, Any] = {"kind": kind, "amount": parse_amount(amount, positive=True)}
    if kind == PaymentKind.EXPECTED:
        if due_date is None:
            raise invalid("due_date", _("An expected payment needs a due date."))
        values.update(due_date=due_date, paid_on=None)
    else:
        paid_on = paid_on or timezone.localdate()
        if paid_on > timezone.localdate():
            raise invalid("paid_on", _("A received payment cannot be in the future."))
        values.update(paid_on=paid_on, due_date=None)
    note = " ".join((note or "").split())
    if len(note) > 300:
        raise invalid("note", too_long(300))
    values["note"] = note
    return values


@transaction.atomic
def payment_create(
    *,
    by: User,
    deal: Deal,
    kind: str,
    amount: Any,
    due_date: dt.date | None = None,
    paid_on: dt.date | None = None,
    note: str = "",
    document: Document | None = None,
) -> Payment:
    """Schedule an expected payment or record a received one, in the deal's currency."""
    require_record(by, deal, Action.WORK, CANNOT_CHANGE)
    values = _payment_values(kind, amount, due_date, paid_on, note)
    if document is not None and document.deal_id != deal.pk:
        raise invalid("document", _("Choose a document of this deal."))
    payment = Payment.objects.create(
        deal=deal,
        currency=deal.currency,
        document=document,
        created_by=actor_of(by),
        updated_by=actor_of(by),
        **values,
    )
    audit_create(
        actor=by, instance=payment, fields=["deal", "kind", "amount", "currency", "due_date", "paid_on"]
    )
    if kind == PaymentKind.EXPECTED:
        text = _("Expected %(amount)s by %(date)s") % {
            "amount": format_money(payment.amount, payment.currency),
            "date": payment.due_date.isoformat() if payment.due_date else "",
        }
    else:
        text = _("Received %(amount)s on %(date)s") % {
            "amount": format_money(payment.amount, payment.currency),
            "date": payment.paid_on.isoformat() if payment.paid_on else "",
        }
    deal_event(deal, DealEventKind.PAYMENT, by, text, payment=payment.pk, payment_kind=kind)
    _purchase_counts(payment)
    return payment


def _purchase_counts(payment: Payment) -> None:
    """A received payment is a purchase: the client is not passive from that day on (its
    status reads the last contact or purchase, `clients.status`)."""
    if payment.kind != PaymentKind.RECEIVED or payment.paid_on is None:
        return
    now = timezone.now()
    paid = dt.datetime.combine(payment.paid_on, dt.time(12), tzinfo=dt.UTC)
    touch_client(payment.deal.client, min(paid, now))


@transaction.atomic
def payment_update(*, by: User, payment: Payment, data: dict[str, Any]) -> Payment:
    require_record(by, payment.deal, Action.WORK, CANNOT_CHANGE)
    values = _payment_values(
        data.get("kind", payment.kind),
        data.get("amount", payment.amount),
        data.get("due_date", payment.due_date),
        data.get("paid_on", payment.paid_on),
        data.get("note", payment.note),
    )
    payment, changes = model_update(instance=payment, data=values, actor=actor_of(by))
    if {"kind", "paid_on"} & set(changes):
        _purchase_counts(payment)
    if changes:
        deal_event(
            payment.deal,
            DealEventKind.PAYMENT,
            by,
            _("Payment changed: %(amount)s") % {"amount": format_money(payment.amount, payment.currency)},
            payment=payment.pk,
            changes=changes,
        )
    return payment


@transaction.atomic
def payment_delete(*, by: User, payment: Payment) -> None:
    deal = payment.deal
    require_record(by, deal, Action.WORK, CANNOT_CHANGE)
    audit_event(
        actor=by,
        instance=deal,
        event="payment_deleted",
        changes={"payment": {"id": payment.pk, "kind": payment.kind, "amount": payment.amount}},
    )
    text = _("Payment removed: %(kind)s %(amount)s") % {
        "kind": payment.get_kind_display(),
        "amount": format_money(payment.amount, payment.currency),
    }
    payment.delete()
    deal_event(deal, DealEventKind.PAYMENT, by, text)


# --- Receivables -------------------------------------------------------------------------------


def _oldest_unpaid(deal: Deal, today: dt.date) -> Payment | None:
    """The oldest expected payment not covered by what was received, if it is overdue."""
    received = deal.payments.filter(kind=PaymentKind.RECEIVED).aggregate(t=Sum("amount"))["t"] or Decimal(0)
    covered = Decimal(0)
    for payment in deal.payments.filter(kind=PaymentKind.EXPECTED).order_by("due_date", "id"):
        covered += payment.amount
        if covered > received:
            return payment if payment.due_date and payment.due_date < today else None
    return None


def receivables_notify_overdue(*, today: dt.date | None = None) -> int:
    """Tell each owner (and the head of the deal's team) about an overdue payment — once per
    payment, however often the sweep runs. Returns how many payments were reported now."""
    today = today or timezone.localdate()
    deals = (
        with_receivables(Deal.objects.exclude(status=DealStatus.LOST), today=today)
        .filter(overdue_amount__gt=0)  # type: ignore[misc]
        .select_related("owner", "team__head")
        .order_by("id")
    )
    reported = 0
    for deal in deals:
        payment = _oldest_unpaid(deal, today)
        if payment is None:
            continue

        def tell(deal: Deal = deal, payment: Payment = payment) -> None:
            def overdue_text() -> str:
                return _("Payment overdue on %(deal)s: %(amount)s was due on %(date)s.") % {
                    "deal": deal,
                    "amount": format_money(deal.overdue_amount, deal.currency),  # type: ignore[attr-defined]
                    "date": payment.due_date.isoformat() if payment.due_date else "",
                }

            people = {deal.owner, deal.team.head if deal.team else None} - {None}
            for person in people:
                # A job writes it: each person reads it in their own language.
                with in_language_of(person):
                    text = overdue_text()
                notify(user=person, verb="payment_overdue", text=text, url=deal_url(deal) + "#deal-payments")
            deal_event(deal, DealEventKind.PAYMENT, None, overdue_text(), payment=payment.pk, overdue=True)

        if run_once(f"deals:payment-overdue:{payment.pk}", tell):
            reported += 1
    return reported
