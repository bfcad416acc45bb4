"""Key-client risk: revenue per client, concentration, ABC classes, RFM scores and the
repeat-purchase rate (SPEC §8, "Key-client risk and loyalty").

The rules, in one place (the page says them too):

* **Revenue** of a client over the trailing 12 months (today and the 364 days before it) is
  money received or won, never both for one deal: a deal that has received payments counts by
  those payments dated in the window (also before it is won — a prepayment is money in hand; a
  lost deal's payments never count); a won deal without any received payment counts by its
  amount on the day it was won. Each amount is converted into the base currency
  (`CLIENTELA_BASE_CURRENCY`) at the rate in force on the window's last day
  (`deals.rates`, decision 0015); a client's total is rounded to the cent. Amounts in a currency
  without a rate are left out and shown apart (`ValueRun.missing`), never guessed.
* **Concentration**: a client's share of the revenue in view; top-N share (top 1, 5, 10). An
  **alert** fires when a client's share of its team's revenue is *above* the team's
  `RetentionPolicy.concentration_alert_percent` (default 25 %: exactly 25 % does not fire), and
  when its share of the company's revenue is above the default level: a notification to the
  team's heads and the admins (company: the admins), each in their own language, and an audit
  entry — once per client, team (or company) and calendar month.
* **ABC** (company-wide, stored in `Client.abc_class`): clients sorted by revenue, largest first
  (ties by id); a client is **A** while the revenue of the clients before it is under 80 % of
  the total — so the client that crosses 80 % is still A —, **B** while it is under 95 %, else
  **C**. A client without revenue in the 12 months has no class (blank; "No revenue" in filters).
* **RFM** (stored in `Client.rfm_r/f/m`): a *purchase* is a won deal (on the day it was won;
  its value is what was received on it when anything was, else its amount, in the base
  currency); all of a client's purchases count. Recency = the last purchase's moment,
  frequency = the number of purchases, monetary = their value. Each is scored 1–5 among the
  clients with purchases by quintile of rank: with the clients sorted ascending,
  score = 1 + ⌊5 × (number of clients with a strictly lower value) / (clients with purchases)⌋,
  so equal values get equal scores and 5 is the most recent / most frequent / largest.
  Clients without purchases have no scores.
* **Repeat purchase**: the clients whose first purchase fell in a period; of them, those whose
  second purchase came within the team's `repeat_purchase_months` of the first (default 12).
  Clients still inside that time without a second purchase are *pending*. The rate
  (repeat / first-time clients) is read against `repeat_purchase_target_percent` (default 90 %).

The figures are computed set-based by `value_classify` (one SQL statement with window
functions — PostgreSQL, SQLite ≥ 3.33 — and one bulk UPDATE of the clients that changed), run
nightly by the periodic sweep and by `clientela retention classify`; the pages and the API read
the stored columns, scoped to what the viewer sees.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, Count, DateTimeField, F, Func, IntegerField, Q, QuerySet, Sum, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.clients.models import Client
from clientela.core.audit import audit_bulk, audit_event
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.language import in_language_of
from clientela.core.notifications import notify
from clientela.core.permissions import Action, require, role_of, visible_team_ids
from clientela.core.roles import Role
from clientela.core.tasks import run_once
from clientela.deals.choices import DealStatus, PaymentKind
from clientela.deals.models import Deal, Payment
from clientela.deals.rates.selectors import base_currency, rates_on
from clientela.retention.models import RetentionPolicy, ValueRun
from clientela.users.models import Team, User

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
A_LIMIT = 80  # % of revenue made by A clients
B_LIMIT = 95  # … by A and B clients
TOP_N = (1, 5, 10)
TABLE_ROWS = 20


def _policy_default(name: str) -> Any:
    return getattr(RetentionPolicy._meta.get_field(name), "default", None)


def company_alert_percent() -> Decimal:
    """The company-wide concentration alert level (the policies' default, 25 %)."""
    return Decimal(str(_policy_default("concentration_alert_percent")))


# --- Window -------------------------------------------------------------------------------------


def window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The trailing 12 months ending `today` (inclusive): (first day, last day)."""
    end = today or timezone.localdate()
    return add_months(end, -12) + dt.timedelta(days=1), end


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months; the 31st becomes the month's last day when it has none."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# --- The classification (set-based) ------------------------------------------------------------


def _rates_cte(day: dt.date) -> tuple[str, list[Any], str]:
    base = base_currency()
    rows = [(base, "1")] + [
        (cur, str(rate.rate)) for cur, rate in sorted(rates_on(day).items()) if cur != base
    ]
    values = ", ".join("(%s, CAST(%s AS NUMERIC))" for _ in rows)
    params: list[Any] = [item for row in rows for item in row]
    return f"rates(currency, rate) AS (VALUES {values})", params, base


def _ctes(start: dt.date, end: dt.date) -> tuple[str, list[Any], str]:
    """The WITH clause every statement of the classification shares: rates, the window's revenue
    events, revenue and ABC per client, purchases and RFM per client."""
    ops = connection.ops
    deal, payment = Deal._meta.db_table, Payment._meta.db_table
    rates_sql, params, base = _rates_cte(end)
    received, won, lost = PaymentKind.RECEIVED.value, DealStatus.WON.value, DealStatus.LOST.value
    start_at = ops.adapt_datetimefield_value(_start_of(start))
    end_at = ops.adapt_datetimefield_value(_start_of(end + dt.timedelta(days=1)))
    sql = f"""
    WITH {rates_sql},
    events(client_id, currency, amount) AS (
        SELECT d.client_id, p.currency, p.amount
        FROM {payment} p JOIN {deal} d ON d.id = p.deal_id
        WHERE p.kind = %s AND d.status <> %s AND p.paid_on >= %s AND p.paid_on <= %s
        UNION ALL
        SELECT d.client_id, d.currency, d.amount
        FROM {deal} d
        WHERE d.status = %s AND d.closed_at >= %s AND d.closed_at < %s
          AND NOT EXISTS (SELECT 1 FROM {payment} p WHERE p.deal_id = d.id AND p.kind = %s)
    ),
    revenue(client_id, revenue) AS (
        SELECT e.client_id, ROUND(SUM(e.amount * r.rate), 2)
        FROM events e JOIN rates r ON r.currency = e.currency
        GROUP BY e.client_id
    ),
    abc(client_id, revenue, abc) AS (
        SELECT client_id, revenue,
          CASE
            WHEN 100 * COALESCE(SUM(revenue) OVER (ORDER BY revenue DESC, client_id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) < {A_LIMIT} * SUM(revenue) OVER ()
              THEN 'A'
            WHEN 100 * COALESCE(SUM(revenue) OVER (ORDER BY revenue DESC, client_id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) < {B_LIMIT} * SUM(revenue) OVER ()
              THEN 'B'
            ELSE 'C'
          END
        FROM revenue WHERE revenue > 0
    ),
    received(deal_id, value) AS (
        SELECT p.deal_id, SUM(p.amount * r.rate)
        FROM {payment} p JOIN rates r ON r.currency = p.currency
        WHERE p.kind = %s
        GROUP BY p.deal_id
    ),
    purchases(id, client_id, at, closed_at, value, worth, n) AS (
        SELECT d.id, d.client_id, COALESCE(d.closed_at, d.stage_entered_at), d.closed_at,
               COALESCE(rc.value, d.amount * r.rate), d.amount * r.rate,
               ROW_NUMBER() OVER (PARTITION BY d.client_id
                                  ORDER BY COALESCE(d.closed_at, d.stage_entered_at), d.id)
        FROM {deal} d
        LEFT JOIN received rc ON rc.deal_id = d.id
        LEFT JOIN rates r ON r.currency = d.currency
        WHERE d.status = %s
    ),
    stats(client_id, last_at, freq, monetary, first_at, second_at, worth, last_closed) AS (
        SELECT client_id, MAX(at), COUNT(*), ROUND(COALESCE(SUM(value), 0), 2),
               MIN(CASE WHEN n = 1 THEN at END), MIN(CASE WHEN n = 2 THEN at END),
               ROUND(COALESCE(SUM(worth), 0), 2), MAX(closed_at)
        FROM purchases GROUP BY client_id
    ),
    rfm(client_id, r, f, m, first_at, second_at, worth, last_closed) AS (
        SELECT client_id,
               1 + (5 * (RANK() OVER (ORDER BY last_at) - 1)) / COUNT(*) OVER (),
               1 + (5 * (RANK() OVER (ORDER BY freq) - 1)) / COUNT(*) OVER (),
               1 + (5 * (RANK() OVER (ORDER BY monetary) - 1)) / COUNT(*) OVER (),
               first_at, second_at, worth, last_closed
        FROM stats
    )
    """  # noqa: S608 (table names from the models, values as parameters)
    params += [received, lost, start, end, won, start_at, end_at, received, received, won]
    return sql, params, base


def _update_sql(ctes: str) -> str:
    client = Client._meta.db_table
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    columns = {
        "revenue_12m": "revenue",
        "abc_class": "abc",
        "rfm_r": "r",
        "rfm_f": "f",
        "rfm_m": "m",
        "first_purchase_at": "first_at",
        "second_purchase_at": "second_at",
        "value_to_date": "worth",
        "last_purchase_at": "last_closed",
    }
    sets = ", ".join(f"{column} = val.{value}" for column, value in columns.items())
    changed = " OR ".join(f"{client}.{column} {differs} val.{value}" for column, value in columns.items())
    return f"""{ctes},
    val(id, revenue, abc, r, f, m, first_at, second_at, worth, last_closed) AS (
        SELECT c.id, COALESCE(a.revenue, 0), COALESCE(a.abc, ''), rf.r, rf.f, rf.m, rf.first_at, rf.second_at,
               COALESCE(rf.worth, 0), rf.last_closed
        FROM {client} c
        LEFT JOIN abc a ON a.client_id = c.id
        LEFT JOIN rfm rf ON rf.client_id = c.id
    )
    UPDATE {client} SET {sets} FROM val WHERE {client}.id = val.id AND ({changed})
    """  # noqa: S608 (table names from the models, values as parameters)


def _missing(ctes: str, params: list[Any]) -> dict[str, str]:
    """Per currency without a rate: the window's revenue left out of the figures."""
    sql = f"""{ctes}
    SELECT e.currency, SUM(e.amount) FROM events e
    WHERE e.currency NOT IN (SELECT currency FROM rates)
    GROUP BY e.currency ORDER BY e.currency"""  # noqa: S608 (table names from the models, values as parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {currency: str(Decimal(str(amount)).quantize(CENT)) for currency, amount in cursor.fetchall()}


def value_classify(*, by: User | None, today: dt.date | None = None) -> ValueRun:
    """Recompute every client's revenue, ABC class, RFM scores and first purchases in one
    set-based statement (only the clients whose figures changed are written), record the run,
    then raise the concentration alerts that are due (once per client and month)."""
    if by is not None:
        require(by, "manage_settings")
    start, end = window(today)
    ctes, params, base = _ctes(start, end)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_update_sql(ctes), params)
            changed = max(cursor.rowcount, 0)
            if connection.vendor == "sqlite":  # the driver counts no rows for a WITH … UPDATE
                cursor.execute("SELECT changes()")
                changed = cursor.fetchone()[0]
        totals = Client.objects.filter(revenue_12m__gt=0).aggregate(total=Sum("revenue_12m"), n=Count("*"))
        run = ValueRun.objects.create(
            at=timezone.now(),
            window_from=start,
            window_to=end,
            base_currency=base,
            revenue_total=_money(totals["total"]),
            clients_with_revenue=totals["n"] or 0,
            clients_changed=changed,
            missing=_missing(ctes, params),
            by=by,
        )
        audit_bulk(
            actor=by,
            model=Client,
            event="value_classified",
            details={
                "window": [start.isoformat(), end.isoformat()],
                "base_currency": base,
                "revenue": str(run.revenue_total),
                "clients_with_revenue": run.clients_with_revenue,
                "changed": changed,
                "missing": run.missing,
            },
        )
        concentration_alerts(today=end)
    return run


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT, rounding=ROUND_HALF_UP)


def _share(part: Any, whole: Any) -> Decimal | None:
    part, whole = Decimal(str(part or 0)), Decimal(str(whole or 0))
    if not whole:
        return None
    return (part * HUNDRED / whole).quantize(CENT, rounding=ROUND_HALF_UP)


def latest_run() -> ValueRun | None:
    return ValueRun.objects.order_by("-at", "-id").first()


# --- Concentration alerts ----------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    client: Client
    team: Team | None  # None: of the company's revenue
    share: Decimal
    limit: Decimal
    revenue: Decimal
    total: Decimal


def alerts_due() -> list[Alert]:
    """Clients whose stored 12-month revenue is *above* the alert level of their team's revenue
    (the team's policy) or of the company's (the default level)."""
    due: list[Alert] = []
    earning = Client.objects.filter(revenue_12m__gt=0)
    team_totals = dict(
        earning.exclude(team=None)
        .values("team")
        .order_by("team")
        .annotate(t=Sum("revenue_12m"))
        .values_list("team", "t")
    )
    limits = dict(
        RetentionPolicy.objects.filter(team_id__in=team_totals).values_list(
            "team_id", "concentration_alert_percent"
        )
    )
    teams = Team.objects.in_bulk(list(team_totals))
    default = company_alert_percent()
    for team_id, total in team_totals.items():
        total = _money(total)
        limit = Decimal(str(limits.get(team_id, default)))
        for client in earning.filter(team_id=team_id, revenue_12m__gt=total * limit / HUNDRED).order_by(
            "-revenue_12m", "id"
        ):
            due.append(
                Alert(
                    client,
                    teams[team_id],
                    _share(client.revenue_12m, total) or Decimal(0),
                    limit,
                    client.revenue_12m,
                    total,
                )
            )
    company = _money(earning.aggregate(t=Sum("revenue_12m"))["t"])
    if company:
        for client in earning.filter(revenue_12m__gt=company * default / HUNDRED).order_by(
            "-revenue_12m", "id"
        ):
            due.append(
                Alert(
                    client,
                    None,
                    _share(client.revenue_12m, company) or Decimal(0),
                    default,
                    client.revenue_12m,
                    company,
                )
            )
    return due


def _admins() -> list[User]:
    return list(User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True).order_by("id"))


def _team_heads(team: Team) -> list[User]:
    heads = User.objects.filter(Q(pk=team.head_id) | Q(role=Role.HEAD, team=team), is_active=True)
    return list(heads.order_by("id"))


def concentration_alerts(*, today: dt.date | None = None) -> int:
    """Raise the concentration alerts that are due, each once per client, team (or company)
    and month (`core.tasks.run_once`): a notification to the heads of the team and the admins
    (the company's: the admins), in each reader's language, and an audit entry on the client."""
    month = (today or timezone.localdate()).strftime("%Y-%m")
    raised = 0
    for alert in alerts_due():
        scope = f"team-{alert.team.pk}" if alert.team else "company"
        key = f"retention.concentration:{alert.client.pk}:{scope}:{month}"
        if run_once(key, functools.partial(_raise, alert, month)):
            raised += 1
    return raised


def _raise(alert: Alert, month: str) -> None:
    recipients = _team_heads(alert.team) if alert.team else []
    recipients += [admin for admin in _admins() if admin not in recipients]
    url = reverse("retention:value") + (f"?team={alert.team.pk}" if alert.team else "")
    for user in recipients:
        with in_language_of(user):
            values = {
                "client": alert.client.name,
                "share": _percent(alert.share),
                "limit": _percent(alert.limit),
            }
            if alert.team:
                values["team"] = alert.team.name
                text = (
                    _(
                        "Key-client risk: %(client)s makes %(share)s of team %(team)s's revenue "
                        "over the last 12 months (alert above %(limit)s)."
                    )
                    % values
                )
            else:
                text = (
                    _(
                        "Key-client risk: %(client)s makes %(share)s of the company's revenue over the last "
                        "12 months (alert above %(limit)s)."
                    )
                    % values
                )
        notify(user=user, verb="concentration_alert", text=text, url=url)
    audit_event(
        actor=None,
        instance=alert.client,
        event="concentration_alert",
        changes={
            "scope": alert.team.name if alert.team else "company",
            "team": alert.team.pk if alert.team else None,
            "share": str(alert.share),
            "limit": str(alert.limit),
            "revenue": str(alert.revenue),
            "total": str(alert.total),
            "month": month,
            "notified": [user.pk for user in recipients],
        },
    )


def _percent(value: Decimal) -> str:
    from django.utils import formats

    return formats.number_format(value, 2, use_l10n=True) + " %"


# --- Reads (scoped) ----------------------------------------------------------------------------


def value_clients(viewer: Any, *, team: int | None = None) -> QuerySet[Client]:
    """The clients whose value figures the viewer may see: managers their own clients, heads
    their teams', admins all; marketers see no money (refused). `team` narrows to one team the
    viewer sees (a field error otherwise)."""
    require(viewer, "view_deal_amounts")
    clients = Client.objects.restrict(viewer, Action.VIEW)
    if role_of(viewer) == Role.MANAGER:
        clients = clients.filter(owner=viewer)  # their own clients, not the team's queue
    if team is not None:
        teams = visible_team_ids(viewer)
        if teams is not None and team not in teams:
            raise BusinessError(
                _("Choose one of your teams."), errors={"team": [_("Choose one of your teams.")]}
            )
        clients = clients.filter(team_id=team)
    return clients


def clients_url(**params: Any) -> str:
    from urllib.parse import urlencode

    return reverse("clients:list") + "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


@dataclass
class Concentration:
    base: str
    total: Decimal
    clients: int
    limit: Decimal
    rows: list[dict[str, Any]]
    top: list[dict[str, Any]]
    over: int
    run: ValueRun | None
    team: int | None = None
    missing: dict[str, str] = field(default_factory=dict)


def _team_percent(viewer: Any, team: int | None, field: str) -> Decimal:
    """A team policy's percentage when the figure covers one team (the team asked for, or the
    viewer's only team), else the policies' default."""
    if team is None:
        teams = visible_team_ids(viewer)
        if teams is not None and len(teams) == 1:
            team = next(iter(teams))
    if team is not None:
        found = RetentionPolicy.objects.filter(team_id=team).values_list(field, flat=True).first()
        if found is not None:
            return Decimal(str(found))
    return Decimal(str(_policy_default(field)))


def alert_limit(viewer: Any, team: int | None) -> Decimal:
    """The concentration level a figure is read against (`_team_percent`)."""
    return _team_percent(viewer, team, "concentration_alert_percent")


def concentration(viewer: Any, *, team: int | None = None, rows: int = TABLE_ROWS) -> Concentration:
    """Each client's share of the revenue in view (the largest first), the top-N shares and
    how many clients are above the alert level."""
    clients = value_clients(viewer, team=team).filter(revenue_12m__gt=0)
    totals = clients.aggregate(total=Sum("revenue_12m"), n=Count("*"))
    total = _money(totals["total"])
    limit = alert_limit(viewer, team)
    largest = list(
        clients.select_related("owner", "team").order_by("-revenue_12m", "id")[: max(rows, max(TOP_N))]
    )
    table, cumulative = [], Decimal(0)
    for client in largest[:rows]:
        cumulative += client.revenue_12m
        share = _share(client.revenue_12m, total) or Decimal(0)
        table.append(
            {
                "client": client.name,
                "client_id": client.pk,
                "owner": client.owner.get_full_name() or client.owner.username if client.owner else "",
                "team": client.team.name if client.team else "",
                "abc": client.abc_class,
                "revenue": client.revenue_12m,
                "share": share,
                "cumulative": _share(cumulative, total),
                "over": share > limit,
                "_links": {
                    "client": reverse("clients:detail", args=[client.pk]),
                    "revenue": reverse("clients:detail", args=[client.pk]),
                    "share": reverse("clients:detail", args=[client.pk]),
                },
            }
        )
    top = []
    for n in TOP_N:
        part = sum((c.revenue_12m for c in largest[:n]), Decimal(0))
        top.append(
            {
                "n": n,
                "label": _("Top %(n)s") % {"n": n},
                "revenue": part,
                "share": _share(part, total),
                "link": clients_url(team=team, sort="-revenue"),
                "_links": {
                    "share": clients_url(team=team, sort="-revenue"),
                    "revenue": clients_url(team=team, sort="-revenue"),
                },
            }
        )
    over = clients.filter(revenue_12m__gt=total * limit / HUNDRED).count() if total else 0
    run = latest_run()
    return Concentration(
        base=run.base_currency if run else base_currency(),
        total=total,
        clients=totals["n"] or 0,
        limit=limit,
        rows=table,
        top=top,
        over=over,
        run=run,
        team=team,
        missing=run.missing if run else {},
    )


def abc_split(viewer: Any, *, team: int | None = None) -> list[dict[str, Any]]:
    """Clients and revenue per ABC class in view, then the clients without revenue."""
    from clientela.clients.choices import AbcClass

    clients = value_clients(viewer, team=team).filter(is_archived=False)
    found = {
        row["abc_class"]: row
        for row in clients.values("abc_class")
        .order_by("abc_class")
        .annotate(n=Count("*"), revenue=Sum("revenue_12m"))
    }
    total = sum((_money(row["revenue"]) for row in found.values()), Decimal(0))
    counted = sum(row["n"] for row in found.values())
    rows = []
    for value, label in [*AbcClass.choices, ("", _("No revenue in 12 months"))]:
        row = found.get(value, {"n": 0, "revenue": 0})
        link = clients_url(team=team, abc=value or "none")
        rows.append(
            {
                "abc": value or "none",
                "label": label,
                "clients": row["n"],
                "client_share": _share(row["n"], counted),
                "revenue": _money(row["revenue"]),
                "share": _share(row["revenue"], total),
                "_links": {"clients": link, "client_share": link, "revenue": link, "share": link},
            }
        )
    return rows


def rfm_grid(viewer: Any, *, team: int | None = None) -> list[dict[str, Any]]:
    """The 5×5 grid of recency (rows, 5 = most recent first) against frequency (columns):
    clients and their 12-month revenue per cell, each linking to the filtered client list."""
    clients = value_clients(viewer, team=team).filter(rfm_r__isnull=False, is_archived=False)
    cells = {
        (row["rfm_r"], row["rfm_f"]): row
        for row in clients.values("rfm_r", "rfm_f")
        .order_by("rfm_r", "rfm_f")
        .annotate(n=Count("*"), revenue=Sum("revenue_12m"))
    }
    grid = []
    for r in range(5, 0, -1):
        row: dict[str, Any] = {"r": r, "_links": {}, "cells": []}
        for f in range(1, 6):
            cell = cells.get((r, f), {"n": 0, "revenue": 0})
            row["cells"].append(
                {
                    "f": f,
                    "n": cell["n"],
                    "revenue": _money(cell["revenue"]),
                    "link": clients_url(team=team, rfm_r=r, rfm_f=f),
                }
            )
            row[f"f{f}"] = cell["n"]
            row[f"f{f}_revenue"] = _money(cell["revenue"])
            row["_links"][f"f{f}"] = clients_url(team=team, rfm_r=r, rfm_f=f)
            row["_links"][f"f{f}_revenue"] = clients_url(team=team, rfm_r=r, rfm_f=f)
        grid.append(row)
    return grid


PERIODS = {"month": 12, "quarter": 8, "year": 5}


class AddMonths(Func):
    """A moment moved by a number of whole months (an expression), in the database."""

    arity = 2
    output_field = DateTimeField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="(%(expressions)s))",
            arg_joiner=" + make_interval(months => ",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="datetime(%(expressions)s || ' months')",
            arg_joiner=", '+' || ",
            **extra,
        )


def _period_start(day: dt.date, period: str) -> dt.date:
    if period == "year":
        return dt.date(day.year, 1, 1)
    if period == "quarter":
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return dt.date(day.year, day.month, 1)


def _period_months(period: str) -> int:
    return {"month": 1, "quarter": 3, "year": 12}[period]


def period_label(start: dt.date, period: str) -> str:
    from django.utils import formats

    if period == "year":
        return str(start.year)
    if period == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return formats.date_format(start, "YEAR_MONTH_FORMAT")


def repeat_target(viewer: Any, team: int | None) -> Decimal:
    return _team_percent(viewer, team, "repeat_purchase_target_percent")


def repeat_purchase(
    viewer: Any, *, period: str = "quarter", team: int | None = None, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """Per period (the last 12 months, 8 quarters or 5 years, oldest first): the clients whose
    first purchase fell in it, those who bought again within their team's
    `repeat_purchase_months` of the first, those still inside that time, and the rate."""
    if period not in PERIODS:
        raise BusinessError(
            _("Choose month, quarter or year."), errors={"period": [_("Choose month, quarter or year.")]}
        )
    today = today or timezone.localdate()
    current = _period_start(today, period)
    starts = [add_months(current, -_period_months(period) * i) for i in range(PERIODS[period] - 1, -1, -1)]
    months_by_team = dict(RetentionPolicy.objects.values_list("team_id", "repeat_purchase_months"))
    months = Case(
        *[When(team_id=team_id, then=Value(n)) for team_id, n in sorted(months_by_team.items())],
        default=Value(int(_policy_default("repeat_purchase_months"))),
        output_field=IntegerField(),
    )
    now = _start_of(today + dt.timedelta(days=1))  # the end of `today`
    in_time = Q(second_purchase_at__lt=F("limit"))
    # Counted by the database in one pass: three counts per period as columns (no grouping, so no
    # sort of every first purchase), however many clients.
    edges = [_start_of(start) for start in starts] + [
        _start_of(add_months(starts[-1], _period_months(period)))
    ]
    counts: dict[str, Any] = {}
    for i in range(len(starts)):
        inside = Q(first_purchase_at__gte=edges[i], first_purchase_at__lt=edges[i + 1])
        counts[f"f{i}"] = Count("first_purchase_at", filter=inside)
        counts[f"r{i}"] = Count("first_purchase_at", filter=inside & in_time)
        counts[f"p{i}"] = Count("first_purchase_at", filter=inside & ~in_time & Q(limit__gt=now))
    counted = (
        value_clients(viewer, team=team)
        .filter(first_purchase_at__gte=edges[0])
        .annotate(limit=AddMonths(F("first_purchase_at"), months))
        .aggregate(**counts)
    )
    buckets = {
        start: {"first": counted[f"f{i}"], "repeat": counted[f"r{i}"], "pending": counted[f"p{i}"]}
        for i, start in enumerate(starts)
    }
    rows = []
    for start in starts:
        end = add_months(start, _period_months(period)) - dt.timedelta(days=1)
        bucket = buckets[start]
        link = clients_url(
            team=team, first_purchase_from=start.isoformat(), first_purchase_to=end.isoformat()
        )
        rows.append(
            {
                "period": period_label(start, period),
                "start": start,
                "end": end,
                "first": bucket["first"],
                "repeat": bucket["repeat"],
                "pending": bucket["pending"],
                "rate": _share(bucket["repeat"], bucket["first"]),
                "_links": {
                    "first": link,
                    "repeat": link,
                    "pending": link,
                    "rate": link,
                },
            }
        )
    return rows


def may_see_value(viewer: Any) -> bool:
    try:
        require(viewer, "view_deal_amounts")
    except PermissionDeniedError:
        return False
    return True


# --- Registration ------------------------------------------------------------------------------


def dashboard_tile(request: Any) -> list[Any]:
    """The retention dashboard's "value" tile: concentration and the ABC split (none for a
    viewer who sees no money)."""
    if not may_see_value(request.user):
        return []
    from clientela.retention import value_figures

    return value_figures.tile_figures(request)


def register() -> None:
    """What the key-client figures add to the app (called from `RetentionConfig.ready()`)."""
    from clientela.core.periodic import PERIODIC_JOBS, Periodic
    from clientela.retention import value_tasks
    from clientela.retention.hooks import DASHBOARD_TILES, Tile

    PERIODIC_JOBS.register(Periodic(value_tasks.classify_clients_nightly, dt.timedelta(hours=1)))
    DASHBOARD_TILES.register(Tile("value", 50, dashboard_tile))
