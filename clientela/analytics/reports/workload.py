"""Manager workload: how loaded each seller is and whether they keep their daily plan.

Per person (a manager sees themselves; a head the sellers of their teams; an admin everyone):

* **open leads** they own now (new, in work, qualified, postponed; merged ones left out);
* **active clients** they own now (status *active* by `clients.status.status_condition`,
  archived ones left out) against the norm of 10–50 a manager can keep in touch with;
* **calls, meetings and e-mails a day**: the activities they logged in the period
  (`occurred_at`, the reader's days) divided by the period's working days — Monday to Friday,
  up to today when the period runs on (team holidays are not taken off) —, against the daily
  activity plan their head set (`analytics.plans_models.ActivityPlan`). A row below its plan
  (calls or meetings) or outside the client norm is highlighted and says why.

Three grouped queries (leads, clients, activities in the period by owner and kind) and one for
the plans, whatever the number of people."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.activities.choices import ActivityKind
from clientela.analytics.engine import SALES_ROLES, Report, ReportContext, register
from clientela.analytics.plans import activity_plans, planned_people
from clientela.clients.choices import ClientStatus
from clientela.clients.status import status_condition
from clientela.core.figures import Chart, Column, Figure
from clientela.core.zones import local_date
from clientela.leads.choices import OPEN_STATUSES

CLIENT_NORM = (10, 50)


def working_days(first: dt.date, last: dt.date) -> int:
    """Monday to Friday from `first` to `last`, inclusive."""
    if last < first:
        return 0
    days = (last - first).days + 1
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for offset in range(rest):
        if (first + dt.timedelta(days=weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


def per_day(count: int, days: int) -> Decimal | None:
    if not days:
        return None
    return (Decimal(count) / days).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _people(ctx: ReportContext) -> list[Any]:
    people = planned_people(ctx.viewer)
    if ctx.filters.team:
        people = people.filter(team_id=ctx.filters.team)
    if ctx.filters.manager:
        people = people.filter(pk=ctx.filters.manager)
    return list(people)


def workload(ctx: ReportContext) -> Figure:
    people = _people(ctx)
    ids = [person.pk for person in people]
    leads = dict(
        ctx.leads()
        .filter(owner_id__in=ids, status__in=OPEN_STATUSES, merged_into__isnull=True)
        .order_by()
        .values_list("owner_id")
        .annotate(n=Count("*"))
    )
    clients = dict(
        ctx.clients()
        .filter(status_condition(ClientStatus.ACTIVE), owner_id__in=ids, is_archived=False)
        .order_by()
        .values_list("owner_id")
        .annotate(n=Count("*"))
    )
    activity: dict[tuple[int, str], int] = {}
    for owner_id, kind, n in (
        ctx.in_period(ctx.activities(), "occurred_at")
        .filter(owner_id__in=ids, kind__in=(ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.EMAIL))
        .order_by()
        .values_list("owner_id", "kind")
        .annotate(n=Count("*"))
    ):
        activity[(owner_id, kind)] = n
    plans = activity_plans(ctx.viewer)
    today = local_date(ctx.viewer)
    days = working_days(ctx.period.first, min(ctx.period.last, today))
    low, high = CLIENT_NORM
    rows = []
    for person in people:
        plan = plans.get(person.pk)
        calls = activity.get((person.pk, ActivityKind.CALL), 0)
        meetings = activity.get((person.pk, ActivityKind.MEETING), 0)
        emails = activity.get((person.pk, ActivityKind.EMAIL), 0)
        row: dict[str, Any] = {
            "person": str(person),
            "team": str(person.team) if person.team_id else "",
            "open_leads": leads.get(person.pk, 0),
            "active_clients": clients.get(person.pk, 0),
            "calls": calls,
            "calls_per_day": per_day(calls, days),
            "calls_plan": plan.calls_per_day if plan else None,
            "meetings": meetings,
            "meetings_per_day": per_day(meetings, days),
            "meetings_plan": plan.meetings_per_day if plan else None,
            "emails": emails,
            "emails_per_day": per_day(emails, days),
        }
        problems = []
        if plan and days and (row["calls_per_day"] or 0) < plan.calls_per_day:
            problems.append(_("calls below plan"))
        if plan and days and (row["meetings_per_day"] or 0) < plan.meetings_per_day:
            problems.append(_("meetings below plan"))
        if row["active_clients"] < low:
            problems.append(_("fewer than %(n)s active clients") % {"n": low})
        elif row["active_clients"] > high:
            problems.append(_("more than %(n)s active clients") % {"n": high})
        row["attention"] = ", ".join(str(p) for p in problems)
        if problems:
            row["_mark"] = row["attention"]
        row["_links"] = {
            "open_leads": ctx.link("leads:list", owner=person.pk, status="open"),
            "active_clients": ctx.link("clients:list", owner=person.pk, status=ClientStatus.ACTIVE),
            "calls": _self_link(ctx, person.pk),
            "meetings": _self_link(ctx, person.pk),
            "emails": _self_link(ctx, person.pk),
        }
        rows.append(row)
    columns = [
        Column("person", _("Person")),
        Column("team", _("Team")),
        Column("open_leads", _("Open leads"), kind="int"),
        Column("active_clients", _("Active clients (norm 10–50)"), kind="int"),
        Column("calls", _("Calls"), kind="int"),
        Column("calls_per_day", _("Calls a day"), kind="decimal"),
        Column("calls_plan", _("Plan: calls a day"), kind="int"),
        Column("meetings", _("Meetings"), kind="int"),
        Column("meetings_per_day", _("Meetings a day"), kind="decimal"),
        Column("meetings_plan", _("Plan: meetings a day"), kind="int"),
        Column("emails", _("E-mails"), kind="int"),
        Column("emails_per_day", _("E-mails a day"), kind="decimal"),
        Column("attention", _("Needs attention")),
    ]
    return Figure(
        key="workload",
        title=_("Workload per person"),
        columns=columns,
        rows=rows,
        chart=Chart(kind="bar", x="person", series=["calls_per_day", "meetings_per_day", "emails_per_day"]),
        note=_(
            "%(days)s working days (Monday to Friday) in the period so far. Open leads and active "
            "clients are counted now; active clients against the norm of 10–50."
        )
        % {"days": days},
        empty=_("Nobody to show: the plans are set for managers and heads of sales."),
    )


def _self_link(ctx: ReportContext, person: int) -> str:
    """The activity report for the same period, narrowed to the person."""
    from urllib.parse import urlencode

    from django.urls import reverse

    values = {**ctx.filters.values(), "manager": person}
    return reverse("analytics:report", args=["activities"]) + "?" + urlencode(values)


def build(ctx: ReportContext) -> list[Figure]:
    return [workload(ctx)]


REPORT = register(
    Report(
        key="workload",
        title=gettext_lazy("Manager workload"),
        summary=gettext_lazy(
            "Open leads, active clients against the 10–50 norm, and calls, meetings and e-mails "
            "a day against each manager's daily plan."
        ),
        build=build,
        icon="ti-users",
        section="team",
        position=80,
        filters=frozenset({"team", "manager"}),
        roles=SALES_ROLES,
    )
)
