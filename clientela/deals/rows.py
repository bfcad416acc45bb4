"""The deal list's table rows, rendered in Python (as the board's cards, `deals/cards.py`).

A page has 50 rows of a dozen values each; through the template engine (variable lookups,
filters, localisation of every value) they cost about half a millisecond a row, a quarter of
the page's budget. Here each row is one formatted string, every value escaped with
`html.escape` (what Django's `escape` does). The markup is the one the template had.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from html import escape
from typing import Any

from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from clientela.deals.choices import DealStatus
from clientela.deals.models import Deal
from clientela.deals.money import format_money

STATUS_BADGES = {DealStatus.WON: "bg-green-lt", DealStatus.LOST: "bg-secondary-lt"}


class RowStyle:
    """What every row of one page shares, computed once per page."""

    def __init__(self, *, root: str, show_amounts: bool, today: dt.date | None = None) -> None:
        self.root = root  # the deal list URL: rows link to <root><pk>/
        self.show_amounts = show_amounts
        self.today = today or timezone.localdate()
        self.overdue_title = escape(_("Overdue payments"))
        self.overdue = escape(_("overdue"))
        self.team_queue = f'<span class="text-secondary">{escape(_("Team queue"))}</span>'
        self.none_planned = f'<span class="text-warning small">{escape(_("none planned"))}</span>'
        self._dates: dict[dt.date, str] = {}
        self._owners: dict[int, str] = {}

    def date(self, value: dt.date | None) -> str:
        if value is None:
            return ""
        text = self._dates.get(value)
        if text is None:
            text = self._dates[value] = escape(formats.date_format(value, "SHORT_DATE_FORMAT"))
        return text

    def owner(self, deal: Deal) -> str:
        owner = deal.owner
        if owner is None:
            return self.team_queue
        text = self._owners.get(owner.pk)
        if text is None:
            name = escape(str(owner))
            text = self._owners[owner.pk] = (
                '<span class="d-inline-flex align-items-center text-nowrap">'
                f'<span class="avatar avatar-xs me-1" title="{name}" aria-hidden="true">'
                f"{escape(owner.initials)}</span>{name}</span>"
            )
        return text


def render_row(deal: Any, style: RowStyle) -> str:
    """One `<tr>` of the deal list. `deal` carries `stage_label`, `pipeline_label` and
    `status_label` (views._label_rows) and, when amounts are shown, `overdue_amount`."""
    link = f"{style.root}{deal.pk}/"
    title = escape(deal.title)
    overdue = ""
    if style.show_amounts and getattr(deal, "overdue_amount", None):
        overdue = (
            f'<div><span class="badge bg-red-lt" title="{style.overdue_title}">'
            '<i class="ti ti-alert-triangle me-1" aria-hidden="true"></i>'
            f"{escape(format_money(deal.overdue_amount, deal.currency))} {style.overdue}</span></div>"
        )
    if deal.status == DealStatus.OPEN:
        stage = f'<span class="fw-medium">{escape(deal.stage_label)}</span>'
    else:
        badge = STATUS_BADGES.get(deal.status, "bg-blue-lt")
        stage = f'<span class="badge {badge}">{escape(deal.status_label)}</span>'
    amount = (
        f'<td class="deal-money fw-medium">{escape(format_money(deal.amount, deal.currency))}</td>'
        if style.show_amounts
        else ""
    )
    if deal.status != DealStatus.OPEN:
        next_step = '<span class="text-secondary">—</span>'
    elif deal.next_step_date:
        late = "text-danger fw-medium" if deal.next_step_date < style.today else ""
        next_step = (
            f'<span class="{late}">{style.date(deal.next_step_date)}</span>'
            '<div class="small text-secondary text-truncate" style="max-width: 14rem;">'
            f"{escape(deal.next_step_subject)}</div>"
        )
    else:
        next_step = style.none_planned
    created = style.date(timezone.localtime(deal.created_at).date()) if deal.created_at else ""
    return (
        f'<tr data-href="{link}">'
        f'<td><a href="{link}" class="text-reset fw-medium">{title}</a>'
        f' <span class="text-secondary small">#{deal.pk}</span>{overdue}</td>'
        f'<td class="text-truncate" style="max-width: 16rem;">{escape(deal.client.name)}</td>'
        f'<td>{stage}<div class="small text-secondary">{escape(deal.pipeline_label)}</div></td>'
        f"{amount}"
        f"<td>{style.owner(deal)}</td>"
        f"<td>{next_step}</td>"
        f'<td class="text-nowrap">{style.date(deal.expected_close_date) or "—"}</td>'
        f'<td class="text-nowrap">{created}</td>'
        "</tr>"
    )


def render_rows(deals: Iterable[Any], style: RowStyle) -> SafeString:
    return mark_safe("\n".join(render_row(deal, style) for deal in deals))  # noqa: S308 (escaped parts)
