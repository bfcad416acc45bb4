"""The deal list, declared once (`core.listspec`): the list page's filter bar, the board's
filters, `GET /deals` and `deal_list` all read `DEALS`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.core.listspec import (
    Choice,
    Column,
    DateRange,
    Filter,
    Flag,
    ListSpec,
    ListValues,
    Owner,
    Ref,
    Search,
    Team,
)
from clientela.deals.choices import DealStatus
from clientela.deals.models import Deal
from clientela.deals.selectors import can_see_amounts, pipelines, search_condition, with_receivables
from clientela.users.selectors import owner_choices, team_choices

# Orderings that reveal amounts are not offered to people who may not see them.
AMOUNT_ORDERINGS = {"-amount", "amount"}


def _next_step_overdue(deals: QuerySet[Deal], _on: bool) -> QuerySet[Deal]:
    return deals.filter(status=DealStatus.OPEN, next_step_date__lt=timezone.localdate())


def _no_next_step(deals: QuerySet[Deal], _on: bool) -> QuerySet[Deal]:
    today = timezone.localdate()
    return deals.filter(status=DealStatus.OPEN).filter(
        Q(next_step_date__isnull=True) | Q(next_step_date__lt=today)
    )


def _overdue_receivables(deals: QuerySet[Deal], _on: bool) -> QuerySet[Deal]:
    return with_receivables(deals).filter(overdue_amount__gt=0)  # type: ignore[misc]


class Attention(Choice):
    """The page's "Needs attention" select: one of the flags below, by name."""

    def value_defaults(self) -> dict[str, Any]:
        return {}  # it sets the flags' values, and has none of its own

    def from_form(self, cleaned: dict[str, Any], viewer: Any) -> dict[str, Any]:
        chosen = cleaned.get(self.name) or ""
        return {str(flag): flag == chosen for flag, _label in self.choices}  # type: ignore[union-attr]

    def narrow(self, queryset: QuerySet[Any], values: ListValues) -> QuerySet[Any]:
        return queryset


@dataclass
class RecordId(Filter):
    """A record's id on the page and in the API, without a picker (the board reads no choices
    for it): the report links set it (a lost reason, a stage), the filter bar keeps it."""

    def value_defaults(self) -> dict[str, Any]:
        return {self.name: None}

    def form_fields(self) -> dict[str, Any]:
        from django import forms

        return {self.name: forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)}

    def from_form(self, cleaned: dict[str, Any], viewer: Any) -> dict[str, Any]:
        return {self.name: cleaned.get(self.name) or None}

    def api_fields(self) -> dict[str, tuple[Any, Any]]:
        return {self.name: (int | None, None)}


@dataclass
class EnteredStage(RecordId):
    """The deals that entered a stage (`entered_stage`, a stage id) between two days
    (`entered_from` / `entered_to`, the reader's days), optionally coming from another one
    (`left_stage`: "lost at that stage"): the records behind the deal funnel's numbers, read
    from the stage history. The dates alone: deals that entered any stage then."""

    def value_defaults(self) -> dict[str, Any]:
        return {self.name: None, "left_stage": None, "entered_from": None, "entered_to": None}

    def form_fields(self) -> dict[str, Any]:
        from django import forms

        from clientela.core.listspec.filters import DateInput

        return {
            **super().form_fields(),
            "left_stage": forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput),
            "entered_from": forms.DateField(required=False, widget=DateInput),
            "entered_to": forms.DateField(required=False, widget=DateInput),
        }

    def from_form(self, cleaned: dict[str, Any], viewer: Any) -> dict[str, Any]:
        return {
            **super().from_form(cleaned, viewer),
            "left_stage": cleaned.get("left_stage") or None,
            "entered_from": cleaned.get("entered_from"),
            "entered_to": cleaned.get("entered_to"),
        }

    def api_fields(self) -> dict[str, tuple[Any, Any]]:
        return {
            **super().api_fields(),
            "left_stage": (int | None, None),
            "entered_from": (dt.date | None, None),
            "entered_to": (dt.date | None, None),
        }

    def narrow(self, queryset: QuerySet[Any], values: ListValues) -> QuerySet[Any]:
        from clientela.deals.models import DealStageChange

        stage, first, last = values.entered_stage, values.entered_from, values.entered_to
        left = values.left_stage
        if not (stage or left or first or last):
            return queryset
        changes = DealStageChange.objects.filter(deal=OuterRef("pk"))
        if stage:
            changes = changes.filter(to_stage_id=stage)
        if left:
            changes = changes.filter(from_stage_id=left)
        if first:
            changes = changes.filter(at__date__gte=first)
        if last:
            changes = changes.filter(at__date__lte=last)
        return queryset.filter(Exists(changes))


def _rows(deals: QuerySet[Deal], values: ListValues, viewer: Any) -> QuerySet[Deal]:
    if values.overdue_receivables:
        deals = _overdue_receivables(deals, True)
    return deals.select_related("client", "owner", "team", "pipeline", "stage", "lost_reason")


DEALS = ListSpec(
    name="deals",
    model=Deal,
    url="deals:list",
    filters=[
        Search(condition=search_condition),
        Choice(
            "pipeline",
            _("Pipeline"),
            choices=lambda viewer: pipelines(active_only=False),
            empty=_("Every pipeline"),
            api_type=int,
            lookup="pipeline_id",
        ),
        Ref("stage", lookup="stage_id"),
        Choice("status", _("Status"), choices=DealStatus.choices, empty=_("Any status")),
        Owner(choices=owner_choices, unassigned=_("Unassigned")),
        Team(choices=team_choices),
        Ref("client", lookup="client_id"),
        Flag("overdue_receivables", apply=_overdue_receivables, by_prepare=True),  # last: it annotates
        Flag("next_step_overdue", apply=_next_step_overdue),
        Flag("no_next_step", apply=_no_next_step, api=False),
        Attention(
            "attention",
            _("Needs attention"),
            choices=[
                ("next_step_overdue", _("Next step overdue")),
                ("no_next_step", _("No future next step")),
                ("overdue_receivables", _("Overdue payments")),
            ],
            empty=_("Anything"),
            api=False,
        ),
        DateRange("created", field="created_at", page=False, api=False),
        # The records behind the reports' numbers (shown on the page when a link sets them).
        DateRange("closed", field="closed_at", from_label=_("Closed from"), to_label=_("Closed to")),
        RecordId("lost_reason", _("Lost reason"), lookup="lost_reason_id"),
        EnteredStage("entered_stage", _("Entered stage")),
    ],
    orderings={
        "-created": ("-created_at", "-id"),
        "created": ("created_at", "id"),
        "-amount": ("-amount", "-id"),
        "amount": ("amount", "id"),
        "title": ("title", "id"),
        "-title": ("-title", "-id"),
        "close": (F("expected_close_date").asc(nulls_last=True), "id"),
        "-close": (F("expected_close_date").desc(nulls_last=True), "-id"),
        "next_step": (F("next_step_date").asc(nulls_last=True), "id"),
        "stage": ("stage__position", "id"),
        "-updated": ("-updated_at", "-id"),
    },
    default_ordering="-created",
    hidden_orderings=lambda viewer: set() if can_see_amounts(viewer) else AMOUNT_ORDERINGS,
    columns=[
        Column("title", _("Deal"), sort="title"),
        Column("client", _("Client")),
        Column("stage", _("Stage")),
        Column("amount", _("Amount"), sort="-amount", css="text-end"),
        Column("owner", _("Owner")),
        Column("next_step", _("Next step"), sort="next_step"),
        Column("close", _("Expected close"), sort="close"),
        Column("created", _("Created"), sort="-created"),
    ],
    prepare=_rows,
)


def deal_list(
    *, viewer: Any, filters: ListValues | None = None, visible: QuerySet[Deal] | None = None
) -> QuerySet[Deal]:
    """Deals the viewer may see, filtered and ordered as `DEALS` declares
    (`DEALS.values(status=…)`), with what a list row shows. `visible`: a part of the viewer's
    deals instead of all of them (`visible_parts`)."""
    return DEALS.queryset(viewer, filters, visible=visible)
