"""Marketing report: what each channel and campaign brought, what it cost, the plan against what
happened, and what each imported list yielded.

* **Leads** are the leads created in the period (in the viewer's days; merged leads left out, as
  the lead list does); **clients** are those of them converted since (status converted),
  **qualified** those qualified or converted; **interests** the interests received in the period.
* **Spend** is the campaign spend overlapping the period, each pro-rated by the days it shares
  with the period (`analytics.marketing`: amount × shared days / days of the spend), converted
  into the base currency at the rates in force on the period's last day; spend in a currency
  without a rate is left out and named in the figure's note. **Cost per lead** = spend / leads,
  **cost per client** = spend / clients. A spend's campaign is matched to the leads' campaign
  case-insensitively; a spend without a campaign counts for its channel only.
* **Plan against actual**: each month's plan of a channel pro-rated to the period's days in that
  month (target × shared days / days of the month); the acceptable cost per lead of several
  months is their planned budget over their target leads. A channel below its target or above
  its acceptable cost per lead is highlighted (and said in its status column).
* **Imported lists**: the lead imports started in the period (dry runs left out): the file's rows,
  the leads it created that the viewer sees, how many are qualified and how many are clients.

Spend and cost per lead are the marketer's own money and are shown to marketers (decimal
columns with the currency in their label); no deal amount appears in this report.

Speed: one grouped query per figure on the leads of the period (the `created_at` index), the
spend and plans of the period (small tables), the imports of the period and their leads (an
index range on `created_at` from the first import's start, then the `import_job` column).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Min, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.analytics.engine import Report, ReportContext, change, percent, register
from clientela.analytics.marketing import (
    MARKETING_ROLES,
    cents,
    currencies_without_rate,
    plans_in_period,
    spend_in_period,
)
from clientela.core.figures import Chart, Column, Figure
from clientela.leads.choices import LeadStatus, Source

CONVERTED = LeadStatus.CONVERTED
QUALIFIED_UP = (LeadStatus.QUALIFIED, LeadStatus.CONVERTED)


def _base_and_rates(ctx: ReportContext) -> tuple[str, dict[str, Any]]:
    if "rates" not in ctx.cache:
        from clientela.deals.rates.selectors import base_currency, rates_on

        ctx.cache["rates"] = (base_currency(), rates_on(ctx.period.last))
    base, rates = ctx.cache["rates"]
    return base, rates


def _spend(ctx: ReportContext) -> list[Any]:
    if "spend" not in ctx.cache:
        base, rates = _base_and_rates(ctx)
        ctx.cache["spend"] = spend_in_period(
            ctx.viewer,
            ctx.period.first,
            ctx.period.last,
            team=ctx.filters.team,
            channel=ctx.filters.source,
            campaign=ctx.filters.campaign,
            base=base,
            rates=rates,
        )
    return list(ctx.cache["spend"])


def _leads(ctx: ReportContext) -> Any:
    return ctx.in_period(ctx.leads(), "created_at").filter(merged_into__isnull=True)


def _counts() -> dict[str, Any]:
    return {
        "n": Count("*"),
        "clients": Count("id", filter=Q(status=CONVERTED)),
    }


def _money_note(ctx: ReportContext, parts: list[Any]) -> str:
    base, _rates = _base_and_rates(ctx)
    notes = [
        _("Spend overlapping the period counts for the days it shares with it; amounts in %(base)s.")
        % {"base": base}
    ]
    missing = currencies_without_rate(parts)
    if missing:
        notes.append(
            _("Spend in %(currencies)s is left out: no exchange rate is recorded for it.")
            % {"currencies": ", ".join(missing)}
        )
    if ctx.filters.team is None and ctx.role != "admin":
        notes.append(_("Spend entered for the whole company counts only in the company-wide view."))
    return " ".join(notes)


def _cost(spend: Decimal | None, count: int) -> Decimal | None:
    if spend is None or not count:
        return None
    return cents(spend / count)


def _spend_columns(base: str) -> list[Column]:
    return [
        Column("spend", _("Spend (%(currency)s)") % {"currency": base}, kind="decimal"),
        Column("cpl", _("Cost per lead (%(currency)s)") % {"currency": base}, kind="decimal"),
        Column("cpc", _("Cost per client (%(currency)s)") % {"currency": base}, kind="decimal"),
    ]


def per_channel(ctx: ReportContext) -> Figure:
    labels = dict(Source.choices)
    leads = {row["source"]: row for row in _leads(ctx).order_by().values("source").annotate(**_counts())}
    interests = {
        row["source"]: row["n"]
        for row in ctx.in_period(ctx.interests(), "created_at")
        .order_by()
        .values("source")
        .annotate(n=Count("*"))
    }
    parts = _spend(ctx)
    spend: dict[str, Decimal] = defaultdict(Decimal)
    for part in parts:
        if part.amount is not None:
            spend[part.channel] += part.amount
    other = ctx.comparison()
    previous: dict[str, int] = {}
    if other is not None:
        previous = {
            row["source"]: row["n"]
            for row in _leads(other).order_by().values("source").annotate(n=Count("*"))
        }
    channels = sorted(set(leads) | set(interests) | set(spend), key=lambda c: str(labels.get(c, c)))
    rows = []
    for channel in channels:
        counted = leads.get(channel, {"n": 0, "clients": 0})
        money = spend.get(channel)
        row: dict[str, Any] = {
            "channel": labels.get(channel, channel),
            "leads": counted["n"],
            "interests": interests.get(channel, 0),
            "clients": counted["clients"],
            "conversion": percent(counted["clients"], counted["n"]),
            "spend": cents(money),
            "cpl": _cost(money, counted["n"]),
            "cpc": _cost(money, counted["clients"]),
            "_links": {
                "leads": ctx.link("leads:list", dates="created", source=channel),
                "clients": ctx.link("leads:list", dates="created", source=channel, status=CONVERTED),
                "interests": ctx.link("leads:interests", dates="created", source=channel),
            },
        }
        if other is not None:
            row["previous"] = previous.get(channel, 0)
            row["change"] = change(row["leads"], row["previous"])
        rows.append(row)
    base, _rates = _base_and_rates(ctx)
    columns = [
        Column("channel", _("Channel")),
        Column("leads", _("Leads"), kind="int"),
        Column("interests", _("Interests"), kind="int"),
        Column("clients", _("Clients"), kind="int"),
        Column("conversion", _("Lead → client"), kind="percent"),
        *_spend_columns(base),
    ]
    if other is not None:
        columns += [
            Column("previous", _("Leads before"), kind="int"),
            Column("change", _("Change"), kind="percent"),
        ]
    footer: dict[str, Any] | None = None
    if rows:
        total_spend = sum(spend.values(), Decimal(0)) if spend else None
        total_leads = sum(r["leads"] for r in rows)
        total_clients = sum(r["clients"] for r in rows)
        footer = {
            "channel": _("Total"),
            "leads": total_leads,
            "interests": sum(r["interests"] for r in rows),
            "clients": total_clients,
            "conversion": percent(total_clients, total_leads),
            "spend": cents(total_spend),
            "cpl": _cost(total_spend, total_leads),
            "cpc": _cost(total_spend, total_clients),
            "_links": {
                "leads": ctx.link("leads:list", dates="created", source=ctx.filters.source),
                "clients": ctx.link(
                    "leads:list", dates="created", source=ctx.filters.source, status=CONVERTED
                ),
                "interests": ctx.link("leads:interests", dates="created", source=ctx.filters.source),
            },
        }
        if other is not None:
            footer["previous"] = sum(previous.values())
            footer["change"] = change(total_leads, footer["previous"])
    return Figure(
        key="marketing-channels",
        title=_("Leads, clients and cost per channel"),
        columns=columns,
        rows=rows,
        chart=Chart(kind="bar", x="channel", series=["leads", "clients"]),
        footer=footer,
        note=_money_note(ctx, parts),
    )


def per_campaign(ctx: ReportContext) -> Figure:
    grouped = (
        _leads(ctx)
        .exclude(campaign="")
        .annotate(key=Lower("campaign"))
        .order_by()
        .values("key")
        .annotate(name=Min("campaign"), **_counts())
    )
    leads = {row["key"]: row for row in grouped}
    interests = {
        row["key"]: row["n"]
        for row in ctx.in_period(ctx.interests(), "created_at")
        .exclude(campaign="")
        .annotate(key=Lower("campaign"))
        .order_by()
        .values("key")
        .annotate(n=Count("*"))
    }
    parts = [part for part in _spend(ctx) if part.campaign_key]
    spend: dict[str, Decimal] = defaultdict(Decimal)
    names: dict[str, str] = {}
    for part in parts:
        names.setdefault(part.campaign_key, part.campaign)
        if part.amount is not None:
            spend[part.campaign_key] += part.amount
    rows = []
    for key in sorted(set(leads) | set(spend)):
        counted = leads.get(key, {"n": 0, "clients": 0, "name": names.get(key, key)})
        name = names.get(key) or counted["name"]
        money = spend.get(key)
        rows.append(
            {
                "campaign": name,
                "leads": counted["n"],
                "interests": interests.get(key, 0),
                "clients": counted["clients"],
                "conversion": percent(counted["clients"], counted["n"]),
                "spend": cents(money),
                "cpl": _cost(money, counted["n"]),
                "cpc": _cost(money, counted["clients"]),
                "_links": {
                    "leads": ctx.link(
                        "leads:list", dates="created", campaign=name, source=ctx.filters.source
                    ),
                    "clients": ctx.link(
                        "leads:list",
                        dates="created",
                        campaign=name,
                        source=ctx.filters.source,
                        status=CONVERTED,
                    ),
                    "interests": ctx.link(
                        "leads:interests", dates="created", campaign=name, source=ctx.filters.source
                    ),
                },
            }
        )
    rows.sort(key=lambda r: (-r["leads"], str(r["campaign"]).lower()))
    base, _rates = _base_and_rates(ctx)
    return Figure(
        key="marketing-campaigns",
        title=_("Leads, clients and cost per campaign"),
        columns=[
            Column("campaign", _("Campaign")),
            Column("leads", _("Leads"), kind="int"),
            Column("interests", _("Interests"), kind="int"),
            Column("clients", _("Clients"), kind="int"),
            Column("conversion", _("Lead → client"), kind="percent"),
            *_spend_columns(base),
        ],
        rows=rows,
        chart=Chart(kind="hbar", x="campaign", series=["leads", "clients"]) if len(rows) > 1 else None,
        empty=_("No leads with a campaign and no campaign spend in this period."),
    )


def plan_against_actual(ctx: ReportContext) -> Figure:
    labels = dict(Source.choices)
    base, rates = _base_and_rates(ctx)
    plans = plans_in_period(
        ctx.viewer,
        ctx.period.first,
        ctx.period.last,
        team=ctx.filters.team,
        channel=ctx.filters.source,
        base=base,
        rates=rates,
    )
    target: dict[str, Decimal] = defaultdict(Decimal)
    budget: dict[str, Decimal | None] = {}
    for plan in plans:
        target[plan.channel] += plan.target
        if plan.budget is None or (plan.channel in budget and budget[plan.channel] is None):
            budget[plan.channel] = None
        else:
            budget[plan.channel] = (budget.get(plan.channel) or Decimal(0)) + plan.budget
    leads = {
        row["source"]: row["n"]
        for row in _leads(ctx)
        .filter(source__in=list(target))
        .order_by()
        .values("source")
        .annotate(n=Count("*"))
    }
    spend: dict[str, Decimal] = defaultdict(Decimal)
    for part in _spend(ctx):
        if part.amount is not None:
            spend[part.channel] += part.amount
    rows = []
    for channel in sorted(target, key=lambda c: str(labels.get(c, c))):
        planned = int(target[channel].quantize(Decimal(1), rounding=ROUND_HALF_UP))
        actual = leads.get(channel, 0)
        money = budget.get(channel)
        acceptable = cents(money / target[channel]) if money is not None and target[channel] else None
        cpl = _cost(spend.get(channel), actual)
        short = actual < planned
        dear = cpl is not None and acceptable is not None and cpl > acceptable
        status = []
        if short:
            status.append(_("Below target"))
        if dear:
            status.append(_("Leads cost more than planned"))
        rows.append(
            {
                "channel": labels.get(channel, channel),
                "target": planned,
                "leads": actual,
                "done": percent(actual, planned),
                "acceptable": acceptable,
                "cpl": cpl,
                "status": " · ".join(status) if status else _("On plan"),
                "_mark": bool(status),
                "_links": {"leads": ctx.link("leads:list", dates="created", source=channel)},
            }
        )
    return Figure(
        key="marketing-plan",
        title=_("Marketing plan against actual"),
        columns=[
            Column("channel", _("Channel")),
            Column("target", _("Target leads"), kind="int"),
            Column("leads", _("Leads"), kind="int"),
            Column("done", _("Of target"), kind="percent"),
            Column(
                "acceptable",
                _("Acceptable cost per lead (%(currency)s)") % {"currency": base},
                kind="decimal",
            ),
            Column("cpl", _("Cost per lead (%(currency)s)") % {"currency": base}, kind="decimal"),
            Column("status", _("Status")),
        ],
        rows=rows,
        chart=Chart(kind="bar", x="channel", series=["target", "leads"]) if rows else None,
        note=_(
            "A month's plan counts for the days of the period in that month (targets rounded to "
            "whole leads). Highlighted: below the target or leads dearer than the acceptable cost."
        ),
        empty=_("No marketing plan for this period yet."),
    )


def import_yield(ctx: ReportContext) -> Figure:
    from clientela.imports.choices import ImportKind
    from clientela.imports.models import ImportJob

    jobs = list(
        ctx.in_period(ImportJob.objects.restrict(ctx.viewer), "created_at")
        .filter(kind=ImportKind.LEADS, dry_run=False)
        .filter(**({"team_id": ctx.filters.team} if ctx.filters.team else {}))
        .only("id", "original_name", "created_at", "finished_at", "total_rows", "status")
        .order_by("-created_at", "-id")[:200]
    )
    counts: dict[int, dict[str, int]] = {}
    if jobs:
        # A file's leads are created while it runs: the window of the imports bounds the leads
        # read (the `created_at` index; `import_job` itself is not indexed).
        since = min(job.created_at for job in jobs)
        until = max(job.finished_at or timezone.now() for job in jobs)
        counts = {
            row["import_job_id"]: row
            for row in ctx.leads()
            .filter(created_at__gte=since, created_at__lte=until, import_job_id__in=[job.pk for job in jobs])
            .filter(merged_into__isnull=True)
            .order_by()
            .values("import_job_id")
            .annotate(
                n=Count("*"),
                qualified=Count("id", filter=Q(status__in=QUALIFIED_UP)),
                clients=Count("id", filter=Q(status=CONVERTED)),
            )
        }
    rows = []
    for job in jobs:
        counted = counts.get(job.pk, {"n": 0, "qualified": 0, "clients": 0})
        rows.append(
            {
                "file": job.original_name,
                "when": job.created_at,
                "rows": job.total_rows,
                "leads": counted["n"],
                "qualified": counted["qualified"],
                "clients": counted["clients"],
                "yield": percent(counted["clients"], job.total_rows),
                "_links": {
                    "file": _import_url(job.pk),
                    "leads": ctx.link("leads:list", import_job=job.pk),
                    "qualified": ctx.link("leads:list", import_job=job.pk, status="qualified_up"),
                    "clients": ctx.link("leads:list", import_job=job.pk, status=CONVERTED),
                },
            }
        )
    return Figure(
        key="marketing-imports",
        title=_("Yield of imported lists"),
        columns=[
            Column("file", _("File")),
            Column("when", _("Imported"), kind="date"),
            Column("rows", _("Rows"), kind="int"),
            Column("leads", _("Leads"), kind="int"),
            Column("qualified", _("Qualified"), kind="int"),
            Column("clients", _("Clients"), kind="int"),
            Column("yield", _("Rows → clients"), kind="percent"),
        ],
        rows=rows,
        note=_("Qualified: qualified or converted since. Leads the file created that you may see."),
        empty=_("No list of leads was imported in this period."),
    )


def _import_url(pk: int) -> str:
    from django.urls import reverse

    return reverse("imports:detail", args=[pk])


def build(ctx: ReportContext) -> list[Figure]:
    return [per_channel(ctx), per_campaign(ctx), plan_against_actual(ctx), import_yield(ctx)]


REPORT = register(
    Report(
        key="marketing",
        title=gettext_lazy("Marketing report"),
        summary=gettext_lazy(
            "Leads, interests and clients per channel and campaign, cost per lead and per client "
            "from the campaign spend, the marketing plan against actual and the yield of each "
            "imported list."
        ),
        build=build,
        icon="ti-speakerphone",
        section="marketing",
        position=40,
        filters=frozenset({"team", "source", "campaign"}),
        roles=MARKETING_ROLES,
        actions=(("analytics:marketing_spend", gettext_lazy("Spend and plan")),),
    )
)
