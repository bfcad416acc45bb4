"""Writes of a deal's products: adding a line (priced from the client's price list unless the
author gives the price) and removing one; the deal's amount is the sum of its lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.clients.models import Client
from clientela.core.audit import audit_event
from clientela.core.errors import ConflictError
from clientela.core.permissions import Action, require_record
from clientela.core.validation import too_long
from clientela.deals.catalogue.pricing import price_for
from clientela.deals.choices import DealEventKind, DealStatus
from clientela.deals.models import Deal, DealLine, Product
from clientela.deals.money import (
    format_money,
    invalid,
    line_total,
    parse_amount,
    parse_percent,
    parse_quantity,
)
from clientela.deals.services import CANNOT_CHANGE, actor_of, claim_version, deal_event
from clientela.users.models import User


def require_open(deal: Deal, message: str) -> None:
    if deal.status != DealStatus.OPEN:
        raise ConflictError(message)


# --- Product lines -----------------------------------------------------------------------------


def _recompute_amount(deal: Deal, by: User) -> None:
    """The deal's amount is the sum of its lines (left as it was when the last line goes)."""
    total = deal.lines.aggregate(total=Sum("total"))["total"]
    if total is None or total == deal.amount:
        return
    old = deal.amount
    Deal.objects.filter(pk=deal.pk).update(amount=total, updated_at=timezone.now(), updated_by=actor_of(by))
    deal.amount = total
    audit_event(actor=by, instance=deal, event="amount_from_lines", changes={"amount": [old, total]})


@transaction.atomic
def line_add(
    *,
    by: User,
    deal: Deal,
    product: Product | None = None,
    name: str = "",
    quantity: Any = 1,
    unit_price: Any = None,
    discount_percent: Any = None,
    unit: str = "",
    version: int | None = None,
) -> DealLine:
    """Add a product line. Without a unit price the client's price list (or the default list of
    the deal's currency) gives it; without a discount the client's loyalty discount applies (0 is
    a discount too: none); the deal's amount becomes the sum of its lines."""
    require_record(by, deal, Action.WORK, CANNOT_CHANGE)
    require_open(deal, _("The deal is closed; reopen it to change its products."))
    if product is not None and not product.is_active:
        raise invalid("product", _("This product is no longer sold."))
    label = " ".join((name or "").split()) or (product.name if product else "")
    if not label:
        raise invalid("name", _("Choose a product or describe the line."))
    if len(label) > 200:
        raise invalid("name", too_long(200))
    qty = parse_quantity(quantity)
    if discount_percent in (None, ""):
        # The client's loyalty discount as it stands now (the deal's client may be an older copy).
        discount_percent = (
            Client.objects.filter(pk=deal.client_id).values_list("discount_percent", flat=True).first() or 0
        )
    discount = parse_percent(discount_percent)
    if unit_price in (None, ""):
        quote = price_for(product=product, client=deal.client, currency=deal.currency) if product else None
        if quote is None:
            raise invalid(
                "unit_price",
                _("No price list has this product in %(currency)s; enter the unit price.")
                % {"currency": deal.currency},
            )
        price = quote.price
    else:
        price = parse_amount(unit_price, field="unit_price")
    claim_version(deal, version)
    position = (deal.lines.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    line = DealLine.objects.create(
        deal=deal,
        product=product,
        name=label,
        quantity=qty,
        unit=(unit or (product.unit if product else ""))[:20],
        unit_price=price,
        discount_percent=discount,
        total=line_total(qty, price, discount),
        position=position,
    )
    audit_event(
        actor=by,
        instance=deal,
        event="line_added",
        changes={
            "line": {
                "id": line.pk,
                "name": line.name,
                "quantity": qty,
                "unit_price": price,
                "discount": discount,
            }
        },
    )
    _recompute_amount(deal, by)
    deal_event(
        deal,
        DealEventKind.LINE,
        by,
        _("Added %(name)s × %(qty)s at %(price)s (−%(discount)s%%): %(total)s")
        % {
            "name": line.name,
            "qty": _plain(qty),
            "price": format_money(price, deal.currency),
            "discount": _plain(discount),
            "total": format_money(line.total, deal.currency),
        },
    )
    return line


@transaction.atomic
def line_from_amount(*, by: User | None, deal: Deal) -> DealLine | None:
    """Give a deal that has an amount but no lines one line for that amount (its title, quantity 1),
    so its proposal can be prepared at once. For the services that start a deal with an amount
    (a lead's conversion); they have checked who may. Nothing when the deal has lines or no amount."""
    if not deal.amount or deal.amount <= 0 or deal.lines.exists():
        return None
    label = " ".join((deal.title or "").split())[:200] or _("Products and services")
    line = DealLine.objects.create(
        deal=deal,
        name=label,
        quantity=Decimal("1"),
        unit_price=deal.amount,
        discount_percent=Decimal("0"),
        total=line_total(Decimal("1"), deal.amount, Decimal("0")),
        position=1,
    )
    audit_event(
        actor=by,
        instance=deal,
        event="line_added",
        changes={"line": {"id": line.pk, "name": line.name, "quantity": 1, "unit_price": deal.amount}},
    )
    deal_event(
        deal,
        DealEventKind.LINE,
        actor_of(by),
        _("Added %(name)s × %(qty)s at %(price)s (−%(discount)s%%): %(total)s")
        % {
            "name": line.name,
            "qty": "1",
            "price": format_money(deal.amount, deal.currency),
            "discount": "0",
            "total": format_money(line.total, deal.currency),
        },
    )
    return line


@transaction.atomic
def line_remove(*, by: User, line: DealLine, version: int | None = None) -> Deal:
    deal = line.deal
    require_record(by, deal, Action.WORK, CANNOT_CHANGE)
    require_open(deal, _("The deal is closed; reopen it to change its products."))
    claim_version(deal, version)
    audit_event(
        actor=by, instance=deal, event="line_removed", changes={"line": {"id": line.pk, "name": line.name}}
    )
    name, total = line.name, line.total
    line.delete()
    _recompute_amount(deal, by)
    deal_event(
        deal,
        DealEventKind.LINE,
        by,
        _("Removed %(name)s (%(total)s)") % {"name": name, "total": format_money(total, deal.currency)},
    )
    return deal


def _plain(number: Decimal) -> str:
    """2.500 → "2.5", 3.000 → "3" (no exponent notation)."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
