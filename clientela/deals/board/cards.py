"""The kanban card, rendered in Python.

A board shows up to 30 cards in each of 5–8 columns. Rendered through the template engine a
card costs about half a millisecond (twenty variable lookups, filters, an include), which alone
would take a busy board past its 100 ms budget. Even `format_html` costs about 0.1 ms a card
(every argument goes through the lazy-aware `conditional_escape`), so a card is built here by
plain string formatting, every value passed through `html.escape` — exactly what Django's
`escape` does, without its wrappers. This is the one piece of HTML of the deals pages kept out
of a template, for that reason only; the markup mirrors what a template would produce.

Cards come from `deals.board.selectors` as `BoardCard` rows (plain tuples, no model instances).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from typing import Any

from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from clientela.deals.board.selectors import BoardCard
from clientela.deals.choices import DealStatus
from clientela.deals.money import format_money


@dataclass
class CardStyle:
    """What every card of one page shares (computed once per page)."""

    root: str  # the deal list URL: cards link to <root><pk>/ and <root><pk>/move/
    show_amounts: bool
    may_move: bool
    today: dt.date = field(default_factory=timezone.localdate)
    now: dt.datetime = field(default_factory=timezone.now)
    _dates: dict[dt.date, str] = field(default_factory=dict)
    _days: dict[int, str] = field(default_factory=dict)
    _owners: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.unassigned = f'<span class="badge bg-secondary-lt" title="{escape(_("Unassigned"))}">—</span>'
        self.overdue = escape(_("overdue"))
        no_next_step = escape(_("No next step planned"))
        self.no_next_step = (
            f'<span class="text-warning" title="{no_next_step}"><i class="ti ti-calendar-off"'
            f' aria-hidden="true"></i><span class="visually-hidden">{no_next_step}</span></span>'
        )
        self.days_in_stage = escape(_("Days in this stage"))
        self.move = escape(_("Move to another stage"))

    def date(self, value: dt.date) -> str:
        text = self._dates.get(value)
        if text is None:
            text = self._dates[value] = escape(formats.date_format(value, "SHORT_DATE_FORMAT"))
        return text

    def days(self, count: int) -> str:
        text = self._days.get(count)
        if text is None:
            text = self._days[count] = escape(_("%(days)s d") % {"days": count})
        return text

    def owner(self, card: BoardCard) -> str:
        """The owner's avatar (the same few people own most cards of a board)."""
        if card.owner_id is None:
            return self.unassigned
        text = self._owners.get(card.owner_id)
        if text is None:
            first, last = card.owner_first_name or "", card.owner_last_name or ""
            username = card.owner_username or ""
            name = f"{first} {last}".strip() or username  # User.__str__ (get_full_name or username)
            # User.initials
            initials = ("".join(p[0] for p in (first, last) if p) or username[:2]).upper()[:2]
            text = self._owners[card.owner_id] = (
                f'<span class="avatar avatar-xs" title="{escape(name)}">{escape(initials)}</span>'
            )
        return text


def render_card(card: BoardCard, style: CardStyle) -> str:
    """One card's HTML (every value escaped)."""
    detail = f"{style.root}{card.pk}/"
    parts: list[str] = []
    if style.show_amounts:
        amount = escape(format_money(card.amount, card.currency))
        parts.append(f'<span class="fw-medium text-body">{amount}</span>')
    parts.append(style.owner(card))
    if card.next_step_date:
        when = style.date(card.next_step_date)
        subject = escape(card.next_step_subject)
        if card.status == DealStatus.OPEN and card.next_step_date < style.today:
            parts.append(
                f'<span class="kanban-overdue" title="{subject}">'
                f'<i class="ti ti-calendar-exclamation" aria-hidden="true"></i> {when} '
                f'<span class="visually-hidden">({style.overdue})</span></span>'
            )
        else:
            parts.append(
                f'<span title="{subject}"><i class="ti ti-calendar-event" aria-hidden="true"></i>'
                f" {when}</span>"
            )
    elif card.status == DealStatus.OPEN:
        parts.append(style.no_next_step)
    days = max(0, (style.now - card.stage_entered_at).days)
    parts.append(
        f'<span class="ms-auto" title="{style.days_in_stage}">'
        f'<i class="ti ti-hourglass" aria-hidden="true"></i> {style.days(days)}</span>'
    )
    title = escape(card.title)
    if style.may_move:
        move = escape(f"{detail}move/")
        move_attr = f' data-move-url="{move}"'
        move_link = f'<a href="{move}" class="visually-hidden-focusable small">{style.move}</a>'
    else:
        move_attr = move_link = ""
    return (
        f'<article class="kanban-card" data-deal="{card.pk}" data-version="{card.version}"{move_attr}'
        f' aria-label="{title}">'
        f'<a class="kanban-card-title text-reset" href="{escape(detail)}">{title}</a>'
        f'<div class="small text-secondary text-truncate">{escape(card.client_name)}</div>'
        f'<div class="kanban-card-meta mt-1">{"".join(parts)}</div>{move_link}</article>'
    )


def render_cards(cards: Iterable[BoardCard], style: CardStyle) -> SafeString:
    return mark_safe("".join(render_card(card, style) for card in cards))  # noqa: S308 (escaped parts)


def attach_html(columns: Iterable[Any], style: CardStyle) -> None:
    """Give each board column its cards' HTML (`column.cards_html`)."""
    for column in columns:
        column.cards_html = render_cards(column.cards, style)
