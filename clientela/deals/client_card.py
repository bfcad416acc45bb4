"""What deals add to the client card and to client handovers (clients' extension points).

* `deal_family_figures` — open deals and won revenue of a head office and its branches;
* `client_deal_summary` — the client card's deals section (`deals/_client_deals.html`);
* `price_list_*` — the client's loyalty price list for the client form, card, API and export
  (`ClientPriceList` is the one place it is kept);
* `move_deals_on_handover` — when clients get a new personal manager, the open deals the
  previous manager owned move with them (closed deals keep who won or lost them).

Registered in `DealsConfig.ready()`; the clients app never imports this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.audit import audit_bulk
from clientela.core.permissions import user_can
from clientela.deals.choices import DealEventKind, DealStatus
from clientela.deals.models import ClientPriceList, Deal, DealEvent, PriceList
from clientela.deals.money import format_money, invalid
from clientela.deals.selectors import can_see_amounts, deals_visible_to, overdue_receivables
from clientela.deals.settings_services import client_price_list_set
from clientela.users.models import User

WON_WINDOW_DAYS = 365


def _money_rows(rows: Iterable[Any]) -> str:
    return " · ".join(format_money(row["total"], row["currency"]) for row in rows if row["total"]) or "—"


def deal_family_figures(client_ids: list[int], viewer: Any) -> list[tuple[Any, Any]]:
    deals = deals_visible_to(viewer).filter(client_id__in=client_ids)
    figures: list[tuple[Any, Any]] = [(_("Open deals"), deals.filter(status=DealStatus.OPEN).count())]
    if can_see_amounts(viewer):
        since = timezone.now() - dt.timedelta(days=WON_WINDOW_DAYS)
        won = (
            deals.filter(status=DealStatus.WON, closed_at__gte=since)
            .order_by()
            .values("currency")
            .annotate(total=Sum("amount"))
            .order_by("currency")
        )
        figures.append((_("Won in the last 12 months"), _money_rows(won)))
    return figures


def client_deal_summary(*, client: Any, viewer: Any, limit: int = 5) -> dict[str, Any]:
    """The client's deals the viewer may see: open ones first, counts, won revenue, overdue."""
    deals = deals_visible_to(viewer).filter(client=client)
    counts = dict(deals.order_by().values("status").annotate(n=Count("id")).values_list("status", "n"))
    recent = list(
        deals.select_related("stage", "pipeline", "owner").order_by(
            F("closed_at").desc(nulls_first=True), "-created_at"
        )[:limit]
    )
    show_amounts = can_see_amounts(viewer)
    summary: dict[str, Any] = {
        "deals": recent,
        "open": counts.get(DealStatus.OPEN, 0),
        "won": counts.get(DealStatus.WON, 0),
        "lost": counts.get(DealStatus.LOST, 0),
        "total": sum(counts.values()),
        "show_amounts": show_amounts,
        "can_create": user_can(viewer, "work_records"),
        "won_revenue": "",
        "overdue": "",
        "price_list": None,
    }
    if show_amounts:
        won = deals.filter(status=DealStatus.WON).order_by().values("currency").annotate(total=Sum("amount"))
        summary["won_revenue"] = _money_rows(won)
        overdue = (
            overdue_receivables(viewer, client=client)
            .order_by()
            .values("currency")
            .annotate(total=Sum("overdue_amount"))
        )
        rows = [row for row in overdue if row["total"]]
        summary["overdue"] = _money_rows(rows) if rows else ""
        link = ClientPriceList.objects.select_related("price_list").filter(client=client).first()
        summary["price_list"] = link.price_list if link else None
    return summary


@transaction.atomic
def move_deals_on_handover(
    *, by: User, handover: Any, client_ids: list[int], from_user_ids: list[int], to_user: Any, **_extra: Any
) -> int:
    """Open deals of the handed-over clients that the previous managers owned go to the new one."""
    deals = list(
        Deal.objects.select_for_update(of=("self",))
        .select_related("owner")
        .filter(client_id__in=client_ids, status=DealStatus.OPEN, owner_id__in=from_user_ids)
        .exclude(owner=to_user)
    )
    if not deals:
        return 0
    ids = [deal.pk for deal in deals]
    Deal.objects.filter(pk__in=ids).update(
        owner=to_user,
        team=to_user.team,
        version=F("version") + 1,
        updated_at=timezone.now(),
        updated_by=by if getattr(by, "is_authenticated", False) else None,
    )
    actor = by if getattr(by, "is_authenticated", False) else None
    DealEvent.objects.bulk_create(
        [
            DealEvent(
                deal=deal,
                kind=DealEventKind.ASSIGNED,
                actor=actor,
                text=_("Owner: %(old)s → %(new)s (client handover)")
                % {"old": deal.owner or "—", "new": to_user},
                data={"handover": getattr(handover, "pk", None), "from": deal.owner_id, "to": to_user.pk},
            )
            for deal in deals
        ]
    )
    audit_bulk(
        actor=by,
        model=Deal,
        event="handover",
        details={"handover": getattr(handover, "pk", None), "deals": ids, "to_user": to_user.pk},
    )
    return len(deals)


# --- The client's loyalty price list (clients.extensions.PriceListProvider) ----------------------


def price_list_choices() -> list[tuple[int, str]]:
    return [(p.pk, str(p)) for p in PriceList.objects.filter(is_active=True).order_by("currency", "name")]


def price_list_current(client_ids: list[int]) -> dict[int, tuple[int, str]]:
    links = ClientPriceList.objects.select_related("price_list").filter(client_id__in=client_ids)
    return {link.client_id: (link.price_list_id, str(link.price_list)) for link in links}


def price_list_assign(
    *, by: User, client: Any, price_list_id: int | None, check_permission: bool = True
) -> None:
    price_list = None
    if price_list_id is not None:
        price_list = PriceList.objects.filter(pk=price_list_id).first()
        if price_list is None:
            raise invalid("price_list", _("Choose one of the price lists."))
    if check_permission and not user_can(by, "view_team_settings"):
        raise invalid("price_list", _("Only a head of sales or an admin chooses a client's price list."))
    client_price_list_set(by=by, client=client, price_list=price_list, check_permission=check_permission)


def price_list_can_assign(user: Any) -> bool:
    return user_can(user, "view_team_settings")
