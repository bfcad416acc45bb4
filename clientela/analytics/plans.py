"""Plans and forecasts: the writes (services) and the reads (scoped selectors), and the money
arithmetic the plan reports share.

Who may write what:

* **activity plans** (calls and meetings a day) — a head for the people of the teams they
  manage, an admin for anyone; nobody sets their own;
* **sales plans** (a month's top-down plan of a team or of a manager in it) — a head for their
  teams, an admin for any team; a manager never (not even their own);
* **client forecasts** (bottom-up, per client and month) — a manager for the clients they own,
  a head for the clients of their teams, an admin for any client; a marketer never.

Amounts are in the company's base currency (`deals.rates.selectors.base_currency`). Deals and
payments in other currencies are converted at today's rates the way the board's column totals
are (`deals.rates.selectors.convert`); an amount in a currency without a recorded rate is left
out and named (`Money.missing`).

**Last year's actual** (the top-down plan's starting point) is the amount of the deals **won**
in the same month a year earlier (by `closed_at`, the month's days in the zone of the head who
saves the plan): a plan is progress against sales closed, so the base must be the same
measure as the progress bar; received payments lag the sale by weeks and are partial, which
would move a month's base into the next one. Both actuals are shown in the sales-plan report.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from clientela.analytics.plans_models import ActivityPlan, ClientForecast, SalesPlan
from clientela.core.audit import audit_create, model_update
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.permissions import Action, can, can_manage_team, role_of, user_can, visible_team_ids
from clientela.core.roles import Role
from clientela.core.zones import local_date, zone_of
from clientela.deals.money import CENT
from clientela.users.models import Team, User

MAX_PER_DAY = 200  # calls or meetings a day: more is a typing mistake
MIN_PERCENT, MAX_PERCENT = Decimal("-99.99"), Decimal("1000")  # growth and ambition
MAX_AMOUNT = Decimal("999999999999.99")
FORECAST_MONTHS_BACK, FORECAST_MONTHS_AHEAD = 12, 24
PLAN_MONTHS_BACK, PLAN_MONTHS_AHEAD = 24, 24
PLANNED_ROLES = (Role.MANAGER, Role.HEAD)  # people who sell and so have plans


# --- months and money ---------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the months from `first`'s to `last`'s, inclusive."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def quarter_of(month: dt.date) -> tuple[int, int]:
    return month.year, (month.month - 1) // 3 + 1


def base_currency() -> str:
    from clientela.deals.rates.selectors import base_currency as base

    return base()


@dataclass
class Money:
    """Grouped amounts (key → base-currency total) and the currencies that had no rate."""

    base: str
    totals: dict[Hashable, Decimal] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)

    def get(self, key: Hashable) -> Decimal:
        return self.totals.get(key, Decimal("0.00"))


def to_base(rows: Iterable[Mapping[str, Any]], key: Any, *, amount: str = "amount") -> Money:
    """Sum `rows` (dicts with `currency` and `amount`, grouped in the database by key and
    currency) per `key(row)` in the base currency, at today's rates (as the board totals)."""
    from clientela.deals.rates.selectors import rates_on

    base = base_currency()
    rates: dict[str, Any] | None = None
    money = Money(base=base)
    totals: dict[Hashable, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for row in rows:
        value = row[amount] or Decimal(0)
        currency = row["currency"]
        if currency == base:
            converted = Decimal(value)
        else:
            if rates is None:
                rates = rates_on(base=base)
            if currency not in rates:
                money.missing.add(currency)
                continue
            converted = Decimal(value) * rates[currency].rate
        totals[key(row)] += converted
    money.totals = {k: v.quantize(CENT, rounding=ROUND_HALF_UP) for k, v in totals.items()}
    return money


def month_bounds(month: dt.date, zone: Any) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(month, dt.time.min, tzinfo=zone)
    return start, dt.datetime.combine(add_months(month, 1), dt.time.min, tzinfo=zone)


# --- errors --------------------------------------------------------------------------------------


def _invalid(errors: dict[str, list[str]]) -> BusinessError:
    return BusinessError(_("Some fields are not valid."), errors=errors, status=422)


def _int_between(value: Any, name: str, low: int, high: int, errors: dict[str, list[str]]) -> int:
    text = str(value if value is not None else "").strip()
    if isinstance(value, bool) or not text.lstrip("-").isdigit() or len(text) > 6:
        errors[name] = [_("Enter a whole number.")]
        return 0
    number = int(text)
    if number < low or number > high:
        errors[name] = [_("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}]
    return number


def _decimal(value: Any, name: str, low: Decimal, high: Decimal, errors: dict[str, list[str]]) -> Decimal:
    from clientela.deals.money import parse_decimal

    try:
        return parse_decimal(value, field=name, digits=14, places=2, minimum=low, maximum=high)
    except BusinessError as error:
        errors.update(error.errors)
        return Decimal(0)


def _month(value: Any, name: str, by: Any, back: int, ahead: int, errors: dict[str, list[str]]) -> dt.date:
    """A month as a date, "YYYY-MM" or "YYYY-MM-DD" (its first day), within reach of today."""
    day: dt.date | None = None
    if isinstance(value, dt.date):
        day = value
    else:
        text = str(value or "").strip()
        try:
            day = dt.date.fromisoformat(text if len(text) > 7 else text + "-01")
        except ValueError:
            day = None
    if day is None:
        errors[name] = [_("Choose a month (YYYY-MM).")]
        return month_start(local_date(by))
    month = month_start(day)
    this_month = month_start(local_date(by))
    if month < add_months(this_month, -back) or month > add_months(this_month, ahead):
        errors[name] = [
            _("Choose a month from %(first)s to %(last)s.")
            % {
                "first": f"{add_months(this_month, -back):%Y-%m}",
                "last": f"{add_months(this_month, ahead):%Y-%m}",
            }
        ]
    return month


def _refuse() -> PermissionDeniedError:
    return PermissionDeniedError(_("You do not have permission to do this."))


# --- activity plans ------------------------------------------------------------------------------


def may_set_plans(user: Any) -> bool:
    return role_of(user) in (Role.ADMIN, Role.HEAD)


def planned_people(viewer: Any) -> QuerySet[User]:
    """The people whose plans the viewer sees: a manager themselves, a head the sellers of
    their teams, an admin every seller."""
    people = User.objects.filter(is_active=True, role__in=PLANNED_ROLES).select_related("team")
    role = role_of(viewer)
    if role == Role.ADMIN:
        return people.order_by("team__name", "first_name", "username")
    if role == Role.HEAD:
        teams = visible_team_ids(viewer) or set()
        return people.filter(team_id__in=teams).order_by("team__name", "first_name", "username")
    if role == Role.MANAGER:
        return people.filter(pk=viewer.pk)
    return people.none()


def activity_plans(viewer: Any) -> dict[int, ActivityPlan]:
    """The activity plans the viewer may see, by person."""
    plans = ActivityPlan.objects.restrict(viewer, Action.VIEW)
    if role_of(viewer) == Role.MANAGER:
        plans = plans.filter(user=viewer)
    return {plan.user_id: plan for plan in plans}


def _require_plan_setter(by: Any, person: Any) -> None:
    if not may_set_plans(by):
        raise _refuse()
    if person is None:
        return
    if person.pk == by.pk and role_of(by) != Role.ADMIN:
        raise PermissionDeniedError(_("Your own plan is set by the head of your team or an admin."))
    if not can_manage_team(by, person.team):
        # Someone out of reach is answered like someone who does not exist.
        raise _invalid({"user": [_("Choose one of your people.")]})


def _person(value: Any, name: str, errors: dict[str, list[str]]) -> User | None:
    if isinstance(value, User):
        return value
    text = str(value or "").strip()
    person = (
        User.objects.filter(pk=int(text), is_active=True, role__in=PLANNED_ROLES)
        .select_related("team")
        .first()
        if text.isdigit() and len(text) < 18
        else None
    )
    if person is None:
        errors[name] = [_("Choose one of your people.")]
    return person


@transaction.atomic
def activity_plan_set(*, by: User, user: Any, calls_per_day: Any, meetings_per_day: Any) -> ActivityPlan:
    """Set a manager's daily plan (the head of their team or an admin)."""
    if not may_set_plans(by):
        raise _refuse()
    errors: dict[str, list[str]] = {}
    person = _person(user, "user", errors)
    if person is not None:
        _require_plan_setter(by, person)
    calls = _int_between(calls_per_day, "calls_per_day", 0, MAX_PER_DAY, errors)
    meetings = _int_between(meetings_per_day, "meetings_per_day", 0, MAX_PER_DAY, errors)
    if errors or person is None:
        raise _invalid(errors)
    plan = ActivityPlan.objects.select_for_update().order_by().filter(user=person).first()
    if plan is None:
        plan = ActivityPlan.objects.create(
            user=person, calls_per_day=calls, meetings_per_day=meetings, created_by=by, updated_by=by
        )
        audit_create(actor=by, instance=plan, fields=["user", "calls_per_day", "meetings_per_day"])
        return plan
    plan, _changes = model_update(
        instance=plan, data={"calls_per_day": calls, "meetings_per_day": meetings}, actor=by
    )
    return plan


# --- sales plans ---------------------------------------------------------------------------------


def top_down(base: Decimal, growth_percent: Decimal, ambition_percent: Decimal) -> Decimal:
    """last year's actual × (1 + market growth %) × (1 + own ambition %), to the cent."""
    value = base * (1 + growth_percent / 100) * (1 + ambition_percent / 100)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def won_amounts(deals: QuerySet[Any], start: dt.datetime, end: dt.datetime, *, by: str) -> Money:
    """Won deals closed in [start, end), in the base currency, grouped by the field `by`."""
    rows = (
        deals.filter(status="won", closed_at__gte=start, closed_at__lt=end)
        .order_by()
        .values(by, "currency")
        .annotate(amount=Sum("amount"))
    )
    return to_base(rows, lambda row: row[by])


def last_year_actual(*, team: Team, manager: User | None, month: dt.date, zone: Any) -> Money:
    """What the team (or the manager) won in the same month a year before `month`."""
    from clientela.deals.models import Deal

    start, end = month_bounds(add_months(month, -12), zone)
    deals = Deal.objects.filter(team=team)
    if manager is not None:
        deals = Deal.objects.filter(owner=manager)
    return won_amounts(deals, start, end, by="status")


def sales_plans(viewer: Any) -> QuerySet[SalesPlan]:
    """The sales plans the viewer may see: a manager their own, a head their teams', an admin all."""
    plans = SalesPlan.objects.select_related("team", "manager")
    role = role_of(viewer)
    if role == Role.ADMIN:
        return plans
    if role == Role.HEAD:
        return plans.filter(team_id__in=visible_team_ids(viewer) or set())
    if role == Role.MANAGER:
        return plans.filter(manager=viewer)
    return plans.none()


@transaction.atomic
def sales_plan_set(
    *,
    by: User,
    team: Any,
    manager: Any = None,
    month: Any,
    market_growth_percent: Any,
    ambition_percent: Any,
) -> SalesPlan:
    """Set a month's top-down plan of a team (no manager) or of a manager in it: last year's won
    amount of that month is read now and multiplied by the two factors the head enters."""
    if not may_set_plans(by):
        raise _refuse()
    errors: dict[str, list[str]] = {}
    team_obj = team if isinstance(team, Team) else None
    if team_obj is None:
        text = str(team or "").strip()
        team_obj = Team.objects.filter(pk=int(text)).first() if text.isdigit() and len(text) < 18 else None
    if team_obj is None:
        errors["team"] = [_("Choose a team.")]
    elif not can_manage_team(by, team_obj):
        raise PermissionDeniedError(_("You can only set the plans of your own teams."))
    person: User | None = None
    if manager not in (None, ""):
        person = _person(manager, "manager", errors)
        if person is not None and team_obj is not None:
            if person.team_id != team_obj.pk:
                errors["manager"] = [_("Choose a person of this team.")]
            elif person.pk == by.pk and role_of(by) != Role.ADMIN:
                raise PermissionDeniedError(_("Your own plan is set by the head of your team or an admin."))
    first = _month(month, "month", by, PLAN_MONTHS_BACK, PLAN_MONTHS_AHEAD, errors)
    growth = _decimal(market_growth_percent, "market_growth_percent", MIN_PERCENT, MAX_PERCENT, errors)
    ambition = _decimal(ambition_percent, "ambition_percent", MIN_PERCENT, MAX_PERCENT, errors)
    if errors or team_obj is None:
        raise _invalid(errors)
    base_money = last_year_actual(team=team_obj, manager=person, month=first, zone=zone_of(by))
    base = sum(base_money.totals.values(), Decimal("0.00"))
    values = {
        "base_amount": base,
        "market_growth_percent": growth,
        "ambition_percent": ambition,
        "target": top_down(base, growth, ambition),
        "currency": base_money.base,
    }
    plan = (
        SalesPlan.objects.select_for_update()
        .order_by()
        .filter(team=team_obj, manager=person, month=first)
        .first()
    )
    if plan is None:
        try:
            with transaction.atomic():
                plan = SalesPlan.objects.create(
                    team=team_obj, manager=person, month=first, created_by=by, updated_by=by, **values
                )
        except IntegrityError:  # saved at the same moment by someone else: update theirs
            plan = (
                SalesPlan.objects.select_for_update()
                .order_by()
                .get(team=team_obj, manager=person, month=first)
            )
        else:
            audit_create(actor=by, instance=plan)
            return plan
    plan, _changes = model_update(instance=plan, data=values, actor=by)
    return plan


# --- client forecasts ----------------------------------------------------------------------------


def forecast_clients(viewer: Any) -> QuerySet[Any]:
    """The clients whose forecasts the viewer enters: a manager the clients they own, a head
    their teams' clients, an admin every client (archived ones left out)."""
    from clientela.clients.models import Client

    if not user_can(viewer, "work_records"):
        return Client.objects.none()
    clients = Client.objects.filter(is_archived=False)
    if role_of(viewer) == Role.MANAGER:
        return clients.filter(owner=viewer)
    return clients.restrict(viewer, Action.MANAGE)


def client_forecasts(viewer: Any) -> QuerySet[ClientForecast]:
    forecasts = ClientForecast.objects.select_related("client", "client__owner")
    if role_of(viewer) == Role.MANAGER:
        return forecasts.filter(client__owner=viewer)
    if not user_can(viewer, "work_records"):
        return forecasts.none()
    return forecasts.restrict(viewer, Action.VIEW)


def _may_forecast(by: Any, client: Any) -> bool:
    if not user_can(by, "work_records"):
        return False
    if role_of(by) == Role.MANAGER:
        return bool(client.owner_id == by.pk)
    return can(by, client, Action.MANAGE)


@transaction.atomic
def client_forecast_set(*, by: User, client: Any, month: Any, amount: Any) -> ClientForecast:
    """Set what a client is expected to buy in a month (its manager; heads for their teams)."""
    from clientela.clients.models import Client

    if not user_can(by, "work_records"):
        raise _refuse()
    errors: dict[str, list[str]] = {}
    client_obj = client if isinstance(client, Client) else None
    if client_obj is None:
        text = str(client or "").strip()
        client_obj = (
            Client.objects.filter(pk=int(text)).first() if text.isdigit() and len(text) < 18 else None
        )
    if client_obj is None or not can(by, client_obj, Action.VIEW):
        errors["client"] = [_("Choose one of your clients.")]
    elif not _may_forecast(by, client_obj):
        raise PermissionDeniedError(_("You can only enter forecasts for your own clients."))
    first = _month(month, "month", by, FORECAST_MONTHS_BACK, FORECAST_MONTHS_AHEAD, errors)
    value = _decimal(amount, "amount", Decimal(0), MAX_AMOUNT, errors)
    if errors or client_obj is None:
        raise _invalid(errors)
    forecast = (
        ClientForecast.objects.select_for_update().order_by().filter(client=client_obj, month=first).first()
    )
    data = {"amount": value, "currency": base_currency()}
    if forecast is None:
        forecast = ClientForecast.objects.create(
            client=client_obj, month=first, created_by=by, updated_by=by, **data
        )
        audit_create(actor=by, instance=forecast, fields=["client", "month", "amount", "currency"])
        return forecast
    forecast, _changes = model_update(instance=forecast, data=data, actor=by)
    return forecast


# --- the home block ------------------------------------------------------------------------------


@dataclass
class PlanProgress:
    month: dt.date
    won: Decimal
    target: Decimal | None
    currency: str
    percent: Decimal | None
    team: bool  # the head's teams' plan rather than one person's


def plan_progress(viewer: Any) -> PlanProgress | None:
    """This month's won amount against the plan: a manager's own, a head's teams'; None when
    the viewer has no plan this month."""
    from clientela.deals.models import Deal

    role = role_of(viewer)
    zone = zone_of(viewer)
    month = month_start(local_date(viewer))
    start, end = month_bounds(month, zone)
    if role == Role.MANAGER:
        plans = SalesPlan.objects.filter(manager=viewer, month=month)
        deals = Deal.objects.filter(owner=viewer)
    elif role == Role.HEAD:
        teams = visible_team_ids(viewer) or set()
        plans = SalesPlan.objects.filter(team_id__in=teams, manager__isnull=True, month=month)
        deals = Deal.objects.filter(team_id__in=teams)
    else:
        return None
    target = plans.aggregate(total=Sum("target"))["total"]
    if target is None:
        return None
    won = sum(won_amounts(deals, start, end, by="status").totals.values(), Decimal("0.00"))
    percent = (won * 100 / target).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if target else None
    return PlanProgress(month, won, target, base_currency(), percent, role == Role.HEAD)
