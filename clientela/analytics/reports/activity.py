"""Activity report: who did what, when, with which outcome.

Activities whose moment (`occurred_at`) falls in the period, per person and kind (calls,
e-mails, meetings, offers, notes), the outcomes of calls and meetings, and the activities
themselves (the latest `LATEST` of the period, each linking to its lead, deal or client). A
person's numbers link to the same report narrowed to that person."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.activities.choices import ActivityKind, Outcome
from clientela.analytics.engine import SALES_ROLES, Report, ReportContext, change, register
from clientela.core.figures import Chart, Column, Figure
from clientela.users.models import User

LATEST = 200
KIND_COLUMNS = (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING)


def _person_names(ids: set[int]) -> dict[int, str]:
    people = User.objects.filter(pk__in=ids).only("id", "username", "first_name", "last_name")
    return {person.pk: str(person) for person in people}


def _self_link(ctx: ReportContext, **params: Any) -> str:
    values = {**ctx.filters.values(), **params}
    return reverse("analytics:report", args=["activities"]) + "?" + urlencode(values)


def per_person(ctx: ReportContext) -> Figure:
    rows_by_owner: dict[int | None, dict[str, Any]] = defaultdict(
        lambda: dict.fromkeys(("call", "email", "meeting", "other", "total"), 0)
    )
    counts = (
        ctx.in_period(ctx.activities(), "occurred_at")
        .order_by()
        .values("owner_id", "kind")
        .annotate(n=Count("*"))
    )
    for row in counts:
        target = rows_by_owner[row["owner_id"]]
        key = row["kind"] if row["kind"] in KIND_COLUMNS else "other"
        target[key] += row["n"]
        target["total"] += row["n"]
    previous: dict[int | None, int] = {}
    other = ctx.comparison()
    if other is not None:
        for row in (
            other.in_period(other.activities(), "occurred_at")
            .order_by()
            .values("owner_id")
            .annotate(n=Count("*"))
        ):
            previous[row["owner_id"]] = row["n"]
    names = _person_names({pk for pk in rows_by_owner if pk is not None})
    rows = []
    for owner_id, values in rows_by_owner.items():
        row = {
            "person": names.get(owner_id, _("Nobody (system)")) if owner_id else _("Nobody (system)"),
            **values,
        }
        if other is not None:
            row["previous"] = previous.get(owner_id, 0)
            row["change"] = change(values["total"], row["previous"])
        if owner_id:
            row["_links"] = {"total": _self_link(ctx, manager=owner_id)}
        rows.append(row)
    rows.sort(key=lambda r: (-r["total"], r["person"]))
    columns = [
        Column("person", _("Person")),
        Column("call", _("Calls"), kind="int"),
        Column("email", _("E-mails"), kind="int"),
        Column("meeting", _("Meetings"), kind="int"),
        Column("other", _("Other"), kind="int"),
        Column("total", _("Total"), kind="int"),
    ]
    if other is not None:
        columns += [
            Column("previous", _("Previous period"), kind="int"),
            Column("change", _("Change"), kind="percent"),
        ]
    footer: dict[str, Any] = {"person": _("Total")}
    for key in ("call", "email", "meeting", "other", "total"):
        footer[key] = sum(r[key] for r in rows)
    if other is not None:
        footer["previous"] = sum(previous.values())
        footer["change"] = change(footer["total"], footer["previous"])
    return Figure(
        key="activities-per-person",
        title=_("Activities per person"),
        columns=columns,
        rows=rows,
        chart=Chart(kind="stacked", x="person", series=["call", "email", "meeting", "other"]),
        footer=footer if rows else None,
    )


def outcomes(ctx: ReportContext) -> Figure:
    counts = (
        ctx.in_period(ctx.activities(), "occurred_at")
        .filter(kind__in=(ActivityKind.CALL, ActivityKind.MEETING))
        .exclude(outcome="")
        .order_by()
        .values("kind", "outcome")
        .annotate(n=Count("*"))
    )
    kinds = dict(ActivityKind.choices)
    labels = dict(Outcome.choices)
    rows = [
        {
            "kind": kinds.get(row["kind"], row["kind"]),
            "outcome": labels.get(row["outcome"], row["outcome"]),
            "count": row["n"],
        }
        for row in counts
    ]
    rows.sort(key=lambda r: (str(r["kind"]), -r["count"]))
    return Figure(
        key="activity-outcomes",
        title=_("Outcomes of calls and meetings"),
        columns=[
            Column("kind", _("Kind")),
            Column("outcome", _("Outcome")),
            Column("count", _("Activities"), kind="int"),
        ],
        rows=rows,
        chart=Chart(kind="hbar", x="outcome", series=["count"]),
        extra={"half": True},
    )


def _record_link(activity: Any) -> tuple[str, str]:
    if activity.deal_id:
        return str(activity.deal.title), reverse("deals:detail", args=[activity.deal_id])
    if activity.client_id:
        return str(activity.client.name), reverse("clients:detail", args=[activity.client_id])
    if activity.lead_id:
        return str(activity.lead), reverse("leads:detail", args=[activity.lead_id])
    return "", ""


def latest(ctx: ReportContext) -> Figure:
    activities = (
        ctx.in_period(ctx.activities(), "occurred_at")
        .select_related("owner", "deal", "client", "lead")
        .only(
            "id",
            "kind",
            "occurred_at",
            "subject",
            "outcome",
            "direction",
            "owner__id",
            "owner__username",
            "owner__first_name",
            "owner__last_name",
            "deal__id",
            "deal__title",
            "client__id",
            "client__name",
            "lead__id",
            "lead__first_name",
            "lead__last_name",
            "lead__company_name",
            "lead__email",
            "lead__phone",
        )
        .order_by("-occurred_at", "-id")[:LATEST]
    )
    kinds = dict(ActivityKind.choices)
    labels = dict(Outcome.choices)
    rows = []
    for activity in activities:
        name, url = _record_link(activity)
        rows.append(
            {
                "when": activity.occurred_at,
                "person": str(activity.owner) if activity.owner_id else _("Nobody (system)"),
                "kind": kinds.get(activity.kind, activity.kind),
                "subject": activity.subject,
                "record": name,
                "outcome": labels.get(activity.outcome, activity.outcome),
                "_links": {"record": url} if url else {},
            }
        )
    return Figure(
        key="activities-latest",
        title=_("Latest activities"),
        columns=[
            Column("when", _("When"), kind="date"),
            Column("person", _("Person")),
            Column("kind", _("Kind")),
            Column("subject", _("Subject")),
            Column("record", _("With")),
            Column("outcome", _("Outcome")),
        ],
        rows=rows,
        note=_("The latest %(count)s activities of the period.") % {"count": LATEST}
        if len(rows) == LATEST
        else "",
    )


def build(ctx: ReportContext) -> list[Figure]:
    return [per_person(ctx), outcomes(ctx), latest(ctx)]


REPORT = register(
    Report(
        key="activities",
        title=gettext_lazy("Activity report"),
        summary=gettext_lazy(
            "Who did what and when, with which outcome: calls, e-mails, meetings and offers."
        ),
        build=build,
        icon="ti-activity",
        section="team",
        position=110,
        filters=frozenset({"team", "manager", "pipeline", "country", "region", "industry"}),
        roles=SALES_ROLES,
    )
)
