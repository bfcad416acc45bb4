"""The leak (churn) rate and the churn reasons, read from the status history (SPEC §8).

**Leak rate** of a period = clients lost in the period / clients active at its start × 100.

* *Active at the start* means the client's status just before the period's first moment was
  **new or active**: the `to_status` of its latest `ClientStatusChange` with `at` before the start.
  A client that had gone passive by the passing of time (a `time` row to passive), or was lost, is
  not in the base; a client with no history row yet is not counted at all.
* *Lost in the period* counts the clients with a change to *lost* at a moment inside the period
  (from its first moment, before the next period's first), each client once — also clients that
  were passive or became clients during the period.
* Periods are calendar months, quarters or years (or a custom span of days) in the viewer's time
  zone; the trend is the last 12 periods, the last one being the current period so far.
* "By team" and "by manager" read the team and the personal manager **of that moment**, recorded
  on the history row: the row in force at the start for the base, the loss row for the losses (a
  manager's leak counts the clients they had when they were lost).
* Segments (industry, country, region, size, ABC class) are the client's as it is today.
* Every figure is scoped by the viewer (`ClientStatusChange.objects.restrict(viewer, VIEW)`): a
  manager counts their own clients, a head their teams', an admin everyone's.

The trend of 12 periods is one SQL query: the scoped history rows with the moment of each
client's next change (a window function), counted with one conditional aggregate per period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import EmptyResultSet
from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.clients.choices import ClientStatus, RevenueBand
from clientela.clients.models import Client
from clientela.core.errors import BusinessError
from clientela.core.permissions import role_of, visible_team_ids
from clientela.core.roles import Role
from clientela.retention.leak_models import LeakPeriod
from clientela.retention.models import ChurnReason, ClientStatusChange

# The viewer of figures that no person asks for (the alert sweep): every client.
SYSTEM: Any = object()
ACTIVE_STATUSES = (ClientStatus.NEW.value, ClientStatus.ACTIVE.value)
LOST = ClientStatus.LOST.value
TREND_PERIODS = 12
MAX_PERIODS = 36

# Size by employees (the EU's enterprise size classes).
EMPLOYEE_BANDS: list[tuple[str, Any, int, int | None]] = [
    ("micro", gettext_lazy("1–9 employees"), 0, 9),
    ("small", gettext_lazy("10–49 employees"), 10, 49),
    ("medium", gettext_lazy("50–249 employees"), 50, 249),
    ("large", gettext_lazy("250 employees or more"), 250, None),
]
ABC_CLASSES = ("A", "B", "C")
BREAKDOWNS: dict[str, Any] = {
    "team": gettext_lazy("Team"),
    "owner": gettext_lazy("Personal manager"),
    "industry": gettext_lazy("Industry"),
    "country": gettext_lazy("Country"),
    "region": gettext_lazy("Region"),
    "size": gettext_lazy("Size (employees)"),
    "revenue": gettext_lazy("Size (revenue)"),
    "abc": gettext_lazy("ABC class"),
}


def invalid(errors: dict[str, str]) -> BusinessError:
    """A field error (422 in the API, next to the field on a page)."""
    return BusinessError(
        _("Some fields are not valid."),
        errors={name: [str(text)] for name, text in errors.items()},
        status=422,
    )


def has_abc() -> bool:
    """Whether clients carry an ABC class yet (`Client.abc_class`)."""
    return any(f.name == "abc_class" for f in Client._meta.get_fields())


# --- Periods -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Days `first`..`last` (inclusive) in `zone`; `complete` when it has ended."""

    kind: str
    first: dt.date
    last: dt.date
    zone: Any
    complete: bool = True

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time.min, tzinfo=self.zone)

    @property
    def end(self) -> dt.datetime:
        """The first moment after the period."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min, tzinfo=self.zone)

    @property
    def label(self) -> str:
        if self.kind == LeakPeriod.MONTH:
            text = date_format(self.first, "YEAR_MONTH_FORMAT")
        elif self.kind == LeakPeriod.QUARTER:
            text = _("Q%(quarter)s %(year)s") % {
                "quarter": (self.first.month - 1) // 3 + 1,
                "year": self.first.year,
            }
        elif self.kind == LeakPeriod.YEAR:
            text = str(self.first.year)
        else:
            first, last = (date_format(day, "SHORT_DATE_FORMAT") for day in (self.first, self.last))
            text = f"{first} – {last}"
        return text if self.complete else _("%(period)s (so far)") % {"period": text}


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_containing(kind: str, day: dt.date, zone: Any, today: dt.date) -> Period:
    if kind == LeakPeriod.YEAR:
        first = dt.date(day.year, 1, 1)
        months = 12
    elif kind == LeakPeriod.QUARTER:
        first = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        months = 3
    else:
        kind = LeakPeriod.MONTH
        first = dt.date(day.year, day.month, 1)
        months = 1
    last = _add_months(first, months) - dt.timedelta(days=1)
    return Period(kind, first, last, zone, complete=last < today)


def periods(
    kind: str,
    *,
    zone: Any,
    today: dt.date,
    count: int = TREND_PERIODS,
    first: dt.date | None = None,
    last: dt.date | None = None,
) -> list[Period]:
    """The last `count` periods of `kind` up to the current one (oldest first); a custom span is
    the one period `first`..`last`. Bad input raises a field error."""
    if kind not in LeakPeriod.values:
        raise invalid({"period": _("Choose month, quarter, year or custom.")})
    if kind == LeakPeriod.CUSTOM:
        errors = {}
        if first is None:
            errors["from"] = _("Give the first day.")
        if last is None:
            errors["to"] = _("Give the last day.")
        if first and last and last < first:
            errors["to"] = _("The end is before the start.")
        if errors:
            raise invalid(errors)
        assert first is not None and last is not None
        return [Period(kind, first, last, zone, complete=last < today)]
    if not 1 <= count <= MAX_PERIODS:
        raise invalid({"periods": _("Between 1 and %(max)s periods.") % {"max": MAX_PERIODS}})
    result = [period_containing(kind, last or today, zone, today)]
    while len(result) < count:
        result.append(period_containing(kind, result[-1].first - dt.timedelta(days=1), zone, today))
    return result[::-1]


# --- Filters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeakFilters:
    """Whose figures: the team or personal manager of the moment, and client segments."""

    team: int | None = None
    owner: int | None = None
    industry: str = ""
    country: str = ""
    region: str = ""
    size: str = ""
    revenue: str = ""
    abc: str = ""

    def clean(self) -> LeakFilters:
        errors = {}
        if self.size and self.size not in {key for key, *_rest in EMPLOYEE_BANDS}:
            errors["size"] = _("Choose a size band.")
        if self.revenue and self.revenue not in RevenueBand.values:
            errors["revenue"] = _("Choose a revenue band.")
        if self.abc and not has_abc():
            errors["abc"] = _("Clients have no ABC class yet.")
        elif self.abc and self.abc.upper() not in ABC_CLASSES:
            errors["abc"] = _("Choose A, B or C.")
        if self.country and (len(self.country.strip()) != 2 or not self.country.strip().isalpha()):
            errors["country"] = _("Use a two-letter country code, e.g. RO, HU, MY.")
        if errors:
            raise invalid(errors)
        return replace(self, country=self.country.strip().upper(), abc=self.abc.upper())

    def client_condition(self, prefix: str = "client__") -> Q:
        condition = Q()
        if self.industry:
            condition &= Q(**{f"{prefix}industry__iexact": self.industry})
        if self.country:
            condition &= Q(**{f"{prefix}country": self.country})
        if self.region:
            condition &= Q(**{f"{prefix}region__iexact": self.region})
        if self.size:
            _key, _label, low, high = next(band for band in EMPLOYEE_BANDS if band[0] == self.size)
            condition &= Q(**{f"{prefix}employees__gte": low})
            if high is not None:
                condition &= Q(**{f"{prefix}employees__lte": high})
        if self.revenue:
            condition &= Q(**{f"{prefix}revenue_band": self.revenue})
        if self.abc and has_abc():
            condition &= Q(**{f"{prefix}abc_class": self.abc})
        return condition

    def link_params(self) -> dict[str, Any]:
        """The clients list's parameters for the same people and segment."""
        params: dict[str, Any] = {"archived": "all"}
        if self.team:
            params["held_team"] = self.team
        if self.owner:
            params["held_by"] = self.owner
        if self.industry:
            params["industry"] = self.industry
        if self.country:
            params["country"] = self.country
        for name in ("region", "size", "revenue", "abc"):
            if getattr(self, name):
                params[f"seg_{name}"] = getattr(self, name)
        return params


def _group_expression(by: str) -> Any:
    if by == "team":
        return F("team_id")
    if by == "owner":
        return F("owner_id")
    if by in ("industry", "country", "region"):
        return F(f"client__{by}")
    if by == "revenue":
        return F("client__revenue_band")
    if by == "abc":
        return F("client__abc_class") if has_abc() else Value("")
    if by == "size":
        whens = []
        for key, _label, low, high in EMPLOYEE_BANDS:
            condition = Q(client__employees__gte=low)
            if high is not None:
                condition &= Q(client__employees__lte=high)
            whens.append(When(condition, then=Value(key)))
        return Case(*whens, default=Value(""), output_field=CharField())
    return Value("")


# --- The counts ----------------------------------------------------------------------------------


def _history(viewer: Any) -> Any:
    """The history rows a viewer's figures count: the clients their people *held at that moment*
    (each row keeps the holder — owner and team — of its moment): a manager's own, a head's teams'
    (and their own), everyone's for an admin. This is the leak's attribution (a client lost while
    North held it is North's loss even if South holds it now) and reads the holder from the
    history index alone, without joining today's clients."""
    rows = ClientStatusChange.objects.all()
    if viewer is SYSTEM:
        return rows
    role = role_of(viewer)
    if role == Role.ADMIN:
        return rows
    if role == Role.MANAGER:
        return rows.filter(owner_id=viewer.pk)
    if role == Role.HEAD:
        return rows.filter(Q(team_id__in=visible_team_ids(viewer) or set()) | Q(owner_id=viewer.pk))
    return rows.none()


TOTAL = object()  # the key of the whole (all groups together) in `leak_counts(…, total=True)`


def leak_counts(
    viewer: Any, spans: list[Period], filters: LeakFilters, *, by: str = "", total: bool = False
) -> dict[Any, list[tuple[int, int]]]:
    """`{group: [(active at start, lost), …one per span]}` (group "" without `by`); with `total`,
    also the whole under `TOTAL` (a trend and its breakdown from one pass over the history).

    Two grouped queries, whatever the number of spans: the clients whose new/active status was
    in force at each span's start (a row is in force from `at` until `next_at`), and the clients
    lost inside each span. Team and manager are the holder's at that moment (the row's). A
    client has one status in force at a moment, so the whole's actives are the groups' sum; its
    losses are counted apart (a client lost twice in a period, once in each of two groups, is
    one loss of the whole)."""
    if not spans:
        return {}
    rows = _history(viewer).filter(filters.client_condition())
    if filters.team:
        rows = rows.filter(team_id=filters.team)
    if filters.owner:
        rows = rows.filter(owner_id=filters.owner)
    rows = rows.order_by().annotate(r_group=_group_expression(by))
    starts = [span.start for span in spans]
    in_force = rows.filter(to_status__in=ACTIVE_STATUSES, at__lt=max(starts)).filter(
        Q(next_at__isnull=True) | Q(next_at__gte=min(starts))
    )
    active = in_force.values("r_group").annotate(
        **{
            f"s{i}": Count(
                "client_id", filter=Q(at__lt=start) & (Q(next_at__isnull=True) | Q(next_at__gte=start))
            )
            for i, start in enumerate(starts)
        }
    )
    losses = rows.filter(
        to_status=LOST, at__gte=min(span.start for span in spans), at__lt=max(span.end for span in spans)
    )
    lost = losses.values("r_group").annotate(
        **{
            f"s{i}": Count("client_id", distinct=True, filter=Q(at__gte=span.start, at__lt=span.end))
            for i, span in enumerate(spans)
        }
    )
    result: dict[Any, list[tuple[int, int]]] = {}
    try:
        active_rows, lost_rows = list(active), list(lost)
    except EmptyResultSet:  # the viewer sees no client at all
        return {}
    empty = [0] * len(spans)
    counted: dict[Any, tuple[list[int], list[int]]] = {}
    for row in active_rows:
        counted.setdefault(row["r_group"], (list(empty), list(empty)))[0][:] = [
            row[f"s{i}"] for i in range(len(spans))
        ]
    for row in lost_rows:
        counted.setdefault(row["r_group"], (list(empty), list(empty)))[1][:] = [
            row[f"s{i}"] for i in range(len(spans))
        ]
    for group, (actives, losts) in counted.items():
        result[group] = list(zip(actives, losts, strict=True))
    if total:
        whole = losses.aggregate(
            **{
                f"s{i}": Count("client_id", distinct=True, filter=Q(at__gte=span.start, at__lt=span.end))
                for i, span in enumerate(spans)
            }
        )
        actives = [sum(counts[i][0] for counts in result.values()) for i in range(len(spans))]
        result[TOTAL] = [(actives[i], whole[f"s{i}"] or 0) for i in range(len(spans))]
    return result


def rate(lost: int, active: int) -> Decimal | None:
    if not active:
        return None
    return (Decimal(lost) * 100 / Decimal(active)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def clients_url(params: dict[str, Any]) -> str:
    return f"{reverse('clients:list')}?{urlencode({k: v for k, v in params.items() if v not in ('', None)})}"


def _active_link(span: Period, filters: LeakFilters) -> str:
    return clients_url({**filters.link_params(), "active_on": span.first.isoformat()})


def _lost_link(span: Period, filters: LeakFilters, reason: str = "") -> str:
    return clients_url(
        {
            **filters.link_params(),
            "lost_from": span.first.isoformat(),
            "lost_to": span.last.isoformat(),
            "lost_reason": reason,
        }
    )


def leak_trend(
    viewer: Any, spans: list[Period], filters: LeakFilters, *, counts: list[tuple[int, int]] | None = None
) -> list[dict[str, Any]]:
    """One row per period: start, end, active at start, lost, rate (None without a base),
    with `_links` to the clients behind each number (`counts`: already counted, one per span)."""
    if counts is None:
        counts = leak_counts(viewer, spans, filters).get("", [(0, 0)] * len(spans))
    rows = []
    for span, (active, lost) in zip(spans, counts, strict=True):
        rows.append(
            {
                "period": span.label,
                "start": span.first,
                "end": span.last,
                "complete": span.complete,
                "active": active,
                "lost": lost,
                "rate": rate(lost, active),
                "_links": {"active": _active_link(span, filters), "lost": _lost_link(span, filters)},
            }
        )
    return rows


def _group_labels(by: str, keys: Iterable[Any]) -> dict[Any, str]:
    from clientela.users.models import Team, User

    keys = [key for key in keys if key not in (None, "")]
    if by == "team":
        return {team.pk: team.name for team in Team.objects.filter(pk__in=keys)}
    if by == "owner":
        return {user.pk: str(user) for user in User.objects.filter(pk__in=keys)}
    if by == "size":
        return {key: str(label) for key, label, *_rest in EMPLOYEE_BANDS}
    if by == "revenue":
        return {key: str(label) for key, label in RevenueBand.choices}
    return {key: str(key) for key in keys}


def leak_breakdown(
    viewer: Any,
    span: Period,
    filters: LeakFilters,
    by: str,
    *,
    counts: dict[Any, list[tuple[int, int]]] | None = None,
) -> list[dict[str, Any]]:
    """The period's leak per team, personal manager (of the moment) or segment, highest rate first
    (`counts`: already counted per group for this one span)."""
    if by not in BREAKDOWNS or (by == "abc" and not has_abc()):
        raise invalid({"by": _("Choose what to break the figures down by.")})
    if counts is None:
        counts = leak_counts(viewer, [span], filters, by=by)
    labels = _group_labels(by, counts)
    rows = []
    for key, [(active, lost)] in counts.items():
        if not active and not lost:
            continue
        narrowed = filters
        if by in ("team", "owner"):
            narrowed = replace(filters, **{by: key}) if key else filters
        elif key:
            narrowed = replace(filters, **{by: key})
        rows.append(
            {
                "key": key,
                "group": labels.get(key) or _("(none)"),
                "active": active,
                "lost": lost,
                "rate": rate(lost, active),
                "_links": (
                    {"active": _active_link(span, narrowed), "lost": _lost_link(span, narrowed)}
                    if key
                    else {}
                ),
            }
        )
    rows.sort(key=lambda row: (-(row["rate"] or 0), str(row["group"])))
    return rows


# --- Churn reasons -------------------------------------------------------------------------------


def _losses(viewer: Any, span: Period, filters: LeakFilters) -> Any:
    losses = (
        _history(viewer)
        .filter(filters.client_condition(), to_status=LOST, at__gte=span.start, at__lt=span.end)
        .order_by()
    )
    if filters.team:
        losses = losses.filter(team_id=filters.team)
    if filters.owner:
        losses = losses.filter(owner_id=filters.owner)
    return losses


def _share(part: int, whole: int) -> Decimal | None:
    return rate(part, whole)


def churn_reasons_report(viewer: Any, span: Period, filters: LeakFilters) -> list[dict[str, Any]]:
    """The period's losses per churn reason (clients, each once per reason) and their share of all
    the period's losses, beside the share known from practice."""
    counts = {
        row["reason"]: row["n"]
        for row in _losses(viewer, span, filters)
        .values("reason")
        .annotate(n=Count("client_id", distinct=True))
    }
    total = _losses(viewer, span, filters).aggregate(n=Count("client_id", distinct=True))["n"] or 0
    rows = []
    known = set()
    for reason in ChurnReason.objects.all():
        known.add(reason.code)
        count = counts.get(reason.code, 0)
        if not reason.is_active and not count:
            continue
        rows.append(
            {
                "reason": reason.code,
                "label": reason.label,
                "staff_attitude": reason.staff_attitude,
                "lost": count,
                "share": _share(count, total),
                "practice": reason.practice_share,
                "_links": {"lost": _lost_link(span, filters, reason.code)},
            }
        )
    for code, count in counts.items():
        if code not in known:
            rows.append(
                {
                    "reason": code,
                    "label": code or _("(no reason given)"),
                    "staff_attitude": False,
                    "lost": count,
                    "share": _share(count, total),
                    "practice": None,
                    "_links": {"lost": _lost_link(span, filters, code)} if code else {},
                }
            )
    return rows


def staff_attitude_losses(viewer: Any, span: Period, filters: LeakFilters) -> list[dict[str, Any]]:
    """Per personal manager (of the moment of the loss): clients lost for a staff-attitude reason,
    all their lost clients, and the share of the first in the second. Most such losses first."""
    from clientela.users.models import User

    codes = list(ChurnReason.objects.filter(staff_attitude=True).values_list("code", flat=True))
    per_owner = {
        row["owner_id"]: (row["attitude"], row["n"])
        for row in _losses(viewer, span, filters)
        .values("owner_id")
        .annotate(
            n=Count("client_id", distinct=True),
            attitude=Count("client_id", filter=Q(reason__in=codes), distinct=True),
        )
    }
    names = {user.pk: str(user) for user in User.objects.filter(pk__in=[k for k in per_owner if k])}
    rows = []
    for owner_id, (attitude, lost) in per_owner.items():
        if not attitude:
            continue
        narrowed = replace(filters, owner=owner_id) if owner_id else filters
        rows.append(
            {
                "owner_id": owner_id,
                "manager": names.get(owner_id) or _("Unassigned"),
                "attitude": attitude,
                "lost": lost,
                "share": _share(attitude, lost),
                "_links": (
                    {
                        "attitude": _lost_link(span, narrowed, codes[0]) if len(codes) == 1 else "",
                        "lost": _lost_link(span, narrowed),
                    }
                    if owner_id
                    else {}
                ),
            }
        )
    rows.sort(key=lambda row: (-row["attitude"], str(row["manager"])))
    return rows


# --- The clients list's "behind the figure" filter (clients.hooks.status_history) ----------------


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def history_condition(values: dict[str, Any]) -> Q:
    """Clients behind a figure: lost between two days (reason), or active on a day (just before
    its first moment), with the owner/team of that moment, and the figures' own segments."""
    filters = LeakFilters(
        region=values.get("seg_region", ""),
        size=values.get("seg_size", ""),
        revenue=values.get("seg_revenue", ""),
        abc=values.get("seg_abc", ""),
    )
    try:
        filters = filters.clean()
    except BusinessError:  # an unknown segment matches nothing
        return Q(pk__in=[])
    condition = filters.client_condition(prefix="")
    held = Q()
    if values.get("held_by"):
        held &= Q(owner_id=values["held_by"])
    if values.get("held_team"):
        held &= Q(team_id=values["held_team"])
    if values.get("lost_from") or values.get("lost_to") or values.get("lost_reason"):
        losses = ClientStatusChange.objects.filter(held, to_status=LOST)
        if values.get("lost_from"):
            losses = losses.filter(at__gte=_day_start(values["lost_from"]))
        if values.get("lost_to"):
            losses = losses.filter(at__lt=_day_start(values["lost_to"] + dt.timedelta(days=1)))
        if values.get("lost_reason"):
            losses = losses.filter(reason=values["lost_reason"])
        condition &= Q(pk__in=losses.values("client_id"))
    if values.get("active_on"):
        moment = _day_start(values["active_on"])
        later = ClientStatusChange.objects.filter(client_id=OuterRef("client_id"), at__lt=moment).filter(
            Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), id__gt=OuterRef("id"))
        )
        in_force = ClientStatusChange.objects.filter(
            held, at__lt=moment, to_status__in=ACTIVE_STATUSES
        ).filter(~Exists(later))
        condition &= Q(pk__in=in_force.values("client_id"))
    return condition


@dataclass
class LeakQuery:
    """The dashboard's and the API's choice of periods and whose figures (parsed, checked)."""

    kind: str = LeakPeriod.MONTH
    count: int = TREND_PERIODS
    first: dt.date | None = None
    last: dt.date | None = None
    filters: LeakFilters = field(default_factory=LeakFilters)
