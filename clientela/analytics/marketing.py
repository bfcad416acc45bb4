"""Marketing spend and plans: who may see and change them, the services that write them, and
what the marketing report reads of them (the spend falling in a period, pro-rated by days).

Who: admins everything; heads and marketers the records of their teams and the company-wide
ones (no team); managers nothing (`require_marketing`). Every write is audited and validated
here: a negative amount, a last day before the first, an unknown channel or currency, a team the
writer does not belong to — each a field error (`BusinessError`, 422 in the API).

Pro-rating (the report's rule): a spend counts for a period in proportion to the days it shares
with it — `amount × shared days / days of the spend`, both inclusive, in whole calendar days
(the spend's days are plain dates; no time zone applies). A plan's month counts the same way:
`target leads × shared days / days of the month`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from clientela.analytics.marketing_models import CampaignSpend, MarketingPlan
from clientela.core.audit import audit_create, audit_event, model_update
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.permissions import role_of, visible_team_ids
from clientela.core.roles import Role
from clientela.leads.choices import Source
from clientela.users.models import Team, User

MARKETING_ROLES = frozenset({Role.ADMIN, Role.HEAD, Role.MARKETER})
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")
MAX_SPEND_DAYS = 366 * 2


# --- Who ------------------------------------------------------------------------------------------


def may_plan_marketing(user: Any) -> bool:
    return role_of(user) in MARKETING_ROLES


def require_marketing(user: Any) -> None:
    if not may_plan_marketing(user):
        raise PermissionDeniedError(_("Marketing spend and plans are for marketers, heads and admins."))


def _scope(queryset: QuerySet[Any], user: Any) -> QuerySet[Any]:
    if not may_plan_marketing(user):
        return queryset.none()
    teams = visible_team_ids(user)
    if teams is None:
        return queryset
    return queryset.filter(Q(team__isnull=True) | Q(team_id__in=teams))


def visible_spend(user: Any) -> QuerySet[CampaignSpend]:
    """The spend records `user` may see (and change: the same rule)."""
    return _scope(CampaignSpend.objects.select_related("team"), user)


def visible_plans(user: Any) -> QuerySet[MarketingPlan]:
    return _scope(MarketingPlan.objects.select_related("team"), user)


def _require_record(user: Any, record: CampaignSpend | MarketingPlan) -> None:
    require_marketing(user)
    teams = visible_team_ids(user)
    if teams is not None and record.team_id is not None and record.team_id not in teams:
        raise PermissionDeniedError(_("This record belongs to another team."))


# --- Validation -------------------------------------------------------------------------------------


def _text(value: Any, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def _amount(value: Any, name: str, errors: dict[str, list[str]]) -> Decimal | None:
    if value in (None, ""):
        errors[name] = [_("Enter an amount.")]
        return None
    try:
        amount = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except (InvalidOperation, ValueError):
        errors[name] = [_("Enter a number, e.g. 1250.50.")]
        return None
    if not amount.is_finite():
        errors[name] = [_("Enter a number, e.g. 1250.50.")]
        return None
    if amount < 0:
        errors[name] = [_("The amount cannot be negative.")]
        return None
    if amount > MAX_AMOUNT:
        errors[name] = [_("The amount is too large.")]
        return None
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _day(value: Any, name: str, errors: dict[str, list[str]]) -> dt.date | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        day = value
    else:
        text = str(value or "").strip()
        if not text:
            errors[name] = [_("Give the day.")]
            return None
        try:
            day = dt.date.fromisoformat(text if len(text) != 7 else f"{text}-01")
        except ValueError:
            errors[name] = [_("Enter a valid date (YYYY-MM-DD).")]
            return None
    if not 2000 <= day.year <= 2999:
        errors[name] = [_("Enter a date between 2000 and 2999.")]
        return None
    return day


def _channel(value: Any, errors: dict[str, list[str]]) -> str:
    channel = str(value or "").strip()
    if channel not in Source.values:
        errors["channel"] = [_("Choose a channel from the list.")]
        return ""
    return channel


def _currency(value: Any, errors: dict[str, list[str]]) -> str:
    currency = str(value or "").strip().upper()
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        errors["currency"] = [_("Use a three-letter currency code, e.g. EUR, RON, MYR.")]
        return ""
    return currency


def _team(by: User, value: Any, errors: dict[str, list[str]]) -> Team | None:
    if value in (None, ""):
        return None
    team_id = getattr(value, "pk", value)
    text = str(team_id).strip()
    team = Team.objects.filter(pk=int(text)).first() if text.isdigit() and len(text) < 19 else None
    teams = visible_team_ids(by)
    if team is None or (teams is not None and team.pk not in teams):
        errors["team"] = [_("Choose one of your teams.")]
        return None
    return team


def _spend_values(by: User, data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {
        "campaign": _text(data.get("campaign"), 100),
        "channel": _channel(data.get("channel"), errors),
        "first_day": _day(data.get("first_day"), "first_day", errors),
        "last_day": _day(data.get("last_day"), "last_day", errors),
        "amount": _amount(data.get("amount"), "amount", errors),
        "currency": _currency(data.get("currency"), errors),
        "team": _team(by, data.get("team"), errors),
        "note": str(data.get("note") or "").strip()[:2000],
    }
    first, last = values["first_day"], values["last_day"]
    if first and last:
        if last < first:
            errors["last_day"] = [_("The last day cannot be before the first.")]
        elif (last - first).days + 1 > MAX_SPEND_DAYS:
            errors["last_day"] = [_("A spend covers at most two years; enter longer ones per year.")]
    if errors:
        raise BusinessError(_("Check the spend."), errors=errors)
    return values


def _plan_values(by: User, data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    month = _day(data.get("month"), "month", errors)
    target = data.get("target_leads")
    target_leads: int | None = None
    text = str(target if target is not None else "").strip()
    if not text:
        errors["target_leads"] = [_("Enter the number of leads.")]
    elif not text.lstrip("-").isdigit() or len(text) > 9:
        errors["target_leads"] = [_("Enter a whole number.")]
    elif int(text) < 0:
        errors["target_leads"] = [_("The number cannot be negative.")]
    else:
        target_leads = int(text)
    values: dict[str, Any] = {
        "month": month.replace(day=1) if month else None,
        "channel": _channel(data.get("channel"), errors),
        "team": _team(by, data.get("team"), errors),
        "target_leads": target_leads,
        "acceptable_cpl": _amount(data.get("acceptable_cpl"), "acceptable_cpl", errors),
        "currency": _currency(data.get("currency"), errors),
        "note": str(data.get("note") or "").strip()[:2000],
    }
    if errors:
        raise BusinessError(_("Check the plan."), errors=errors)
    return values


def _check_plan_unique(values: dict[str, Any], plan: MarketingPlan | None = None) -> None:
    others = MarketingPlan.objects.filter(
        month=values["month"], channel=values["channel"], team=values["team"]
    )
    if plan is not None:
        others = others.exclude(pk=plan.pk)
    if others.exists():
        raise BusinessError(
            _("There is a plan for this month and channel already."),
            errors={"month": [_("There is a plan for this month and channel already: change that one.")]},
        )


# --- Services ---------------------------------------------------------------------------------------


@transaction.atomic
def campaign_spend_create(*, by: User, data: Mapping[str, Any]) -> CampaignSpend:
    """Record money spent on a campaign (or a channel) over whole days."""
    require_marketing(by)
    values = _spend_values(by, data)
    spend = CampaignSpend.objects.create(**values, created_by=by, updated_by=by)
    audit_create(actor=by, instance=spend)
    return spend


@transaction.atomic
def campaign_spend_update(*, by: User, spend: CampaignSpend, data: Mapping[str, Any]) -> CampaignSpend:
    _require_record(by, spend)
    values = _spend_values(by, data)
    spend, _changes = model_update(instance=spend, data=values, actor=by)
    return spend


@transaction.atomic
def campaign_spend_delete(*, by: User, spend: CampaignSpend) -> None:
    _require_record(by, spend)
    audit_event(
        actor=by,
        instance=spend,
        event="deleted",
        changes={
            "campaign": spend.campaign,
            "channel": spend.channel,
            "first_day": spend.first_day,
            "last_day": spend.last_day,
            "amount": spend.amount,
            "currency": spend.currency,
        },
    )
    spend.delete()


@transaction.atomic
def marketing_plan_create(*, by: User, data: Mapping[str, Any]) -> MarketingPlan:
    """Plan one month of a channel: the leads wanted and the most a lead may cost."""
    require_marketing(by)
    values = _plan_values(by, data)
    _check_plan_unique(values)
    plan = MarketingPlan.objects.create(**values, created_by=by, updated_by=by)
    audit_create(actor=by, instance=plan)
    return plan


@transaction.atomic
def marketing_plan_update(*, by: User, plan: MarketingPlan, data: Mapping[str, Any]) -> MarketingPlan:
    _require_record(by, plan)
    values = _plan_values(by, data)
    _check_plan_unique(values, plan)
    plan, _changes = model_update(instance=plan, data=values, actor=by)
    return plan


@transaction.atomic
def marketing_plan_delete(*, by: User, plan: MarketingPlan) -> None:
    _require_record(by, plan)
    audit_event(
        actor=by,
        instance=plan,
        event="deleted",
        changes={
            "month": plan.month,
            "channel": plan.channel,
            "target_leads": plan.target_leads,
            "acceptable_cpl": plan.acceptable_cpl,
            "currency": plan.currency,
        },
    )
    plan.delete()


# --- What the report reads ----------------------------------------------------------------------------


def shared_days(first: dt.date, last: dt.date, period_first: dt.date, period_last: dt.date) -> int:
    """Days (inclusive) that `first..last` and the period have in common."""
    start, end = max(first, period_first), min(last, period_last)
    return max(0, (end - start).days + 1)


def prorated(
    amount: Decimal, first: dt.date, last: dt.date, period_first: dt.date, period_last: dt.date
) -> Decimal:
    """The part of `amount` (spread evenly over `first..last`) that falls in the period
    (unrounded: sums are rounded once, at the end)."""
    days = (last - first).days + 1
    return Decimal(amount) * shared_days(first, last, period_first, period_last) / days


@dataclass(frozen=True)
class SpendPart:
    """One spend's share of a period, in the base currency (None: no rate for its currency)."""

    campaign_key: str  # lower-cased campaign ("" for the channel as a whole)
    campaign: str
    channel: str
    amount: Decimal | None
    currency: str


def _report_scope(queryset: QuerySet[Any], viewer: Any, team: int | None) -> QuerySet[Any]:
    """The spend or plans a report counts: the team asked for; else every one an admin sees,
    or the records of the viewer's teams (company-wide records only count in the company-wide
    view, where the leads of every team are counted too)."""
    queryset = _scope(queryset, viewer)
    if team is not None:
        return queryset.filter(team_id=team)
    if visible_team_ids(viewer) is None:
        return queryset
    return queryset.filter(team__isnull=False)


def spend_in_period(
    viewer: Any,
    first: dt.date,
    last: dt.date,
    *,
    team: int | None = None,
    channel: str = "",
    campaign: str = "",
    base: str,
    rates: Mapping[str, Any],
) -> list[SpendPart]:
    """Each spend overlapping `first..last` with its pro-rated share, converted into `base`
    with `rates` (the rates in force on the period's last day)."""
    spends = _report_scope(CampaignSpend.objects.all(), viewer, team).filter(
        first_day__lte=last, last_day__gte=first
    )
    if channel:
        spends = spends.filter(channel=channel)
    if campaign:
        spends = spends.filter(campaign__iexact=campaign)
    parts = []
    for spend in spends.only("campaign", "channel", "first_day", "last_day", "amount", "currency"):
        share = prorated(spend.amount, spend.first_day, spend.last_day, first, last)
        if spend.currency == base:
            amount: Decimal | None = share
        elif spend.currency in rates:
            amount = share * rates[spend.currency].rate
        else:
            amount = None
        parts.append(SpendPart(spend.campaign.lower(), spend.campaign, spend.channel, amount, spend.currency))
    return parts


@dataclass(frozen=True)
class PlanPart:
    channel: str
    target: Decimal  # the month's target leads pro-rated to the period's days in it
    budget: Decimal | None  # target × acceptable cost per lead, in the base currency


def plans_in_period(
    viewer: Any,
    first: dt.date,
    last: dt.date,
    *,
    team: int | None = None,
    channel: str = "",
    base: str,
    rates: Mapping[str, Any],
) -> list[PlanPart]:
    plans = _report_scope(MarketingPlan.objects.all(), viewer, team).filter(
        month__lte=last, month__gte=first.replace(day=1)
    )
    if channel:
        plans = plans.filter(channel=channel)
    parts = []
    for plan in plans.only("month", "channel", "target_leads", "acceptable_cpl", "currency"):
        month_last = _month_last(plan.month)
        target = prorated(Decimal(plan.target_leads), plan.month, month_last, first, last)
        if plan.currency == base:
            cpl: Decimal | None = plan.acceptable_cpl
        elif plan.currency in rates:
            cpl = plan.acceptable_cpl * rates[plan.currency].rate
        else:
            cpl = None
        parts.append(PlanPart(plan.channel, target, None if cpl is None else target * cpl))
    return parts


def _month_last(month: dt.date) -> dt.date:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def currencies_without_rate(parts: Iterable[SpendPart]) -> list[str]:
    return sorted({part.currency for part in parts if part.amount is None})
