"""The kanban card, rendered in Python.

A board shows up to 30 cards in each of 5–8 columns. Rendered through the template engine a
card costs about half a millisecond (twenty variable lookups, filters, an include), which alone
would take a busy board past its 100 ms budget; built here with `format_html` it costs a few
microseconds. This is the one piece of HTML of the deals pages kept out of a template, for
that reason only — the markup mirrors what a template would produce, and every value is
escaped by `format_html`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.deals.choices import DealStatus
from clientela.deals.models import Deal
from clientela.deals.money import format_money


@dataclass
class CardStyle:
    """What every card of one page shares (computed once per page)."""

    root: str  # the deal list URL: cards link to <root><pk>/ and <root><pk>/move/
    show_amounts: bool
    may_move: bool
    today: dt.date = field(default_factory=timezone.localdate)
    _dates: dict[dt.date, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.labels = {
            "unassigned": _("Unassigned"),
            "overdue": _("overdue"),
            "no_next_step": _("No next step planned"),
            "days_in_stage": _("Days in this stage"),
            "move": _("Move to another stage"),
        }

    def date(self, value: dt.date) -> str:
        if value not in self._dates:
            self._dates[value] = formats.date_format(value, "SHORT_DATE_FORMAT")
        return self._dates[value]


def render_card(deal: Deal, style: CardStyle) -> SafeString:
    labels = style.labels
    detail = f"{style.root}{deal.pk}/"
    move = f"{detail}move/"
    parts: list[str] = []
    if style.show_amounts:
        parts.append(
            format_html(
                '<span class="fw-medium text-body">{}</span>', format_money(deal.amount, deal.currency)
            )
        )
    owner = deal.owner
    if owner is not None:
        parts.append(
            format_html('<span class="avatar avatar-xs" title="{}">{}</span>', str(owner), owner.initials)
        )
    else:
        parts.append(
            format_html('<span class="badge bg-secondary-lt" title="{}">—</span>', labels["unassigned"])
        )
    if deal.next_step_date:
        when = style.date(deal.next_step_date)
        if deal.status == DealStatus.OPEN and deal.next_step_date < style.today:
            parts.append(
                format_html(
                    '<span class="kanban-overdue" title="{}">'
                    '<i class="ti ti-calendar-exclamation" aria-hidden="true"></i> {} '
                    '<span class="visually-hidden">({})</span></span>',
                    deal.next_step_subject,
                    when,
                    labels["overdue"],
                )
            )
        else:
            parts.append(
                format_html(
                    '<span title="{}"><i class="ti ti-calendar-event" aria-hidden="true"></i> {}</span>',
                    deal.next_step_subject,
                    when,
                )
            )
    elif deal.status == DealStatus.OPEN:
        parts.append(
            format_html(
                '<span class="text-warning" title="{0}"><i class="ti ti-calendar-off" aria-hidden="true"></i>'
                '<span class="visually-hidden">{0}</span></span>',
                labels["no_next_step"],
            )
        )
    days = max(0, (timezone.now() - deal.stage_entered_at).days)
    parts.append(
        format_html(
            '<span class="ms-auto" title="{}"><i class="ti ti-hourglass" aria-hidden="true"></i> {}</span>',
            labels["days_in_stage"],
            ngettext("%(days)s d", "%(days)s d", days) % {"days": days},
        )
    )
    return format_html(
        '<article class="kanban-card" data-deal="{pk}" data-version="{version}"{move_attr}'
        ' aria-label="{title}">'
        '<a class="kanban-card-title text-reset" href="{detail}">{title}</a>'
        '<div class="small text-secondary text-truncate">{client}</div>'
        '<div class="kanban-card-meta mt-1">{meta}</div>{move_link}</article>',
        pk=deal.pk,
        version=deal.version,
        move_attr=format_html(' data-move-url="{}"', move) if style.may_move else "",
        title=deal.title,
        detail=detail,
        client=deal.client.name,
        meta=mark_safe("".join(parts)),  # noqa: S308 (each part built by format_html above)
        move_link=format_html(
            '<a href="{}" class="visually-hidden-focusable small">{}</a>', move, labels["move"]
        )
        if style.may_move
        else "",
    )


def render_cards(deals: Iterable[Deal], style: CardStyle) -> SafeString:
    return mark_safe("".join(render_card(deal, style) for deal in deals))  # noqa: S308 (escaped parts)


def attach_html(columns: Iterable[Any], style: CardStyle) -> None:
    """Give each board column its cards' HTML (`column.cards_html`)."""
    for column in columns:
        column.cards_html = render_cards(column.cards, style)
