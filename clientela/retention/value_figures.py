"""The key-client figures as `core.figures.Figure`s: the page, its exports and the dashboard
tile show them one way. The numbers come from the scoped selectors of `retention.value`."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from clientela.core.figures import Chart, Column, Figure
from clientela.retention import value


def concentration_figure(data: value.Concentration, *, rows: int | None = None) -> Figure:
    return Figure(
        key="concentration",
        title=_("Revenue concentration (last 12 months)"),
        columns=[
            Column("client", _("Client")),
            Column("abc", _("ABC class")),
            Column("owner", _("Personal manager")),
            Column("revenue", _("Revenue"), kind="money", currency=data.base),
            Column("share", _("Share"), kind="percent"),
            Column("cumulative", _("Cumulative share"), kind="percent"),
        ],
        rows=data.rows[:rows] if rows else data.rows,
        chart=Chart(
            kind="hbar",
            x="client",
            series=["share"],
            threshold=data.limit,
            threshold_label=_("Alert level"),
        ),
        empty=_("No revenue in the last 12 months."),
        note=_(
            "Revenue: received payments dated in the 12 months, or a won deal's amount on the day it was won "
            "when nothing was received on it — never both for one deal; in %(base)s at the rates in force on "
            "the last day. A client above %(limit)s %% of the revenue raises an alert."
        )
        % {"base": data.base, "limit": data.limit},
    )


def top_figure(data: value.Concentration) -> Figure:
    return Figure(
        key="top-n",
        title=_("Top clients' share"),
        columns=[
            Column("label", _("Clients")),
            Column("revenue", _("Revenue"), kind="money", currency=data.base),
            Column("share", _("Share"), kind="percent"),
        ],
        rows=data.top,
        chart=Chart(kind="none", x="label", series=["share"]),
        footer={
            "label": _("All clients with revenue (%(n)s)") % {"n": data.clients},
            "revenue": data.total,
            "share": 100 if data.total else None,
        },
    )


def abc_figure(rows: list[dict[str, Any]], base: str) -> Figure:
    return Figure(
        key="abc",
        title=_("ABC split"),
        columns=[
            Column("label", _("Class")),
            Column("clients", _("Clients"), kind="int"),
            Column("client_share", _("Share of clients"), kind="percent"),
            Column("revenue", _("Revenue"), kind="money", currency=base),
            Column("share", _("Share of revenue"), kind="percent"),
        ],
        rows=rows,
        chart=Chart(kind="doughnut", x="label", series=["clients"]),
        note=_(
            "A: the largest clients making the first %(a)s %% of the revenue (the client that crosses "
            "%(a)s %% is A); B: the next %(b)s %%; C: the rest. Clients without revenue in 12 months "
            "have no class."
        )
        % {"a": value.A_LIMIT, "b": value.B_LIMIT - value.A_LIMIT},
    )


def rfm_figure(grid: list[dict[str, Any]], base: str) -> Figure:
    rows = []
    for row in grid:
        for f in range(1, 6):
            link = row["_links"][f"f{f}"]
            rows.append(
                {
                    "r": row["r"],
                    "f": f,
                    "clients": row[f"f{f}"],
                    "revenue": row[f"f{f}_revenue"],
                    "_links": {"clients": link, "revenue": link},
                }
            )
    return Figure(
        key="rfm",
        title=_("RFM segments: recency against frequency"),
        columns=[
            Column("r", _("Recency (R)"), kind="int"),
            Column("f", _("Frequency (F)"), kind="int"),
            Column("clients", _("Clients"), kind="int"),
            Column("revenue", _("Revenue"), kind="money", currency=base),
        ],
        rows=rows,
        note=_(
            "A purchase is a won deal. Each score is 1–5 by quintile among the clients with purchases: "
            "1 + ⌊5 × (clients with a lower value) / (clients with purchases)⌋; equal values score alike, "
            "5 is the most recent, most frequent or largest."
        ),
    )


def repeat_figure(rows: list[dict[str, Any]], target: Any) -> Figure:
    return Figure(
        key="repeat-purchase",
        title=_("Repeat-purchase rate"),
        columns=[
            Column("period", _("Period")),
            Column("first", _("First purchase"), kind="int"),
            Column("repeat", _("Bought again in time"), kind="int"),
            Column("pending", _("Still within the time"), kind="int"),
            Column("rate", _("Repeat-purchase rate"), kind="percent"),
        ],
        rows=rows,
        chart=Chart(kind="bar", x="period", series=["rate"], threshold=target, threshold_label=_("Target")),
        note=_(
            "Clients whose first purchase fell in the period, and those of them who bought again within "
            "the team's set number of months; the target is %(target)s %%."
        )
        % {"target": target},
    )


def page_figures(request: Any, *, team: int | None, period: str) -> dict[str, Any]:
    viewer = request.user
    data = value.concentration(viewer, team=team)
    percent = Column("share", "", kind="percent")
    for item in data.top:  # the cards above the figures read like the tables
        item["shown"] = percent.show(item["share"])
    grid = value.rfm_grid(viewer, team=team)
    target = value.repeat_target(viewer, team)
    return {
        "data": data,
        "concentration": concentration_figure(data),
        "top": top_figure(data),
        "abc": abc_figure(value.abc_split(viewer, team=team), data.base),
        "grid": grid,
        "rfm": rfm_figure(grid, data.base),
        "repeat": repeat_figure(value.repeat_purchase(viewer, period=period, team=team), target),
    }


def tile_figures(request: Any) -> list[Figure]:
    viewer = request.user
    data = value.concentration(viewer)
    return [concentration_figure(data, rows=5), abc_figure(value.abc_split(viewer), data.base)]
