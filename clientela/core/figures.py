"""Figures: a chart, the table behind it and its CSV/XLSX export, declared once.

Every report and dashboard tile shows its numbers the same way: a `Figure` names its columns
(with a kind that says how a value is shown and exported), carries its rows (dicts keyed by the
columns, `_links` mapping a column to the URL of the records behind that number) and, when a
chart says more than the table, a `Chart` of some of its columns. From the one declaration come:

* the page: `{% include "core/_figure.html" with figure=fig %}` — the chart (Chart.js, decision
  0016, loaded only on pages that have one), the table (numbers in the reader's locale, each
  linked to its records) and the CSV / XLSX links;
* the exports: `export_response(request, [fig, ...])` answers `?export=csv|xlsx&figure=<key>`
  with the same rows (raw numbers, never a formula — `core.exports`), audited;
* the API: `fig.as_json()` (numbers as JSON numbers, decimals as strings).

The figures are computed by the app's scoped selectors before they get here; this module only
shows what it is given.

    fig = Figure(
        key="leak-rate",
        title=_("Leak rate"),
        columns=[Column("period", _("Period")), Column("lost", _("Lost"), kind="int"),
                 Column("rate", _("Leak rate"), kind="percent")],
        rows=[{"period": "Nov 2026", "lost": 3, "rate": Decimal("2.50"), "_links": {"lost": "/clients/?…"}}],
        chart=Chart(kind="line", x="period", series=["rate"], threshold=Decimal("10")),
    )
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import FileResponse, Http404, HttpRequest, StreamingHttpResponse
from django.utils import formats, timezone
from django.utils.text import slugify

from clientela.core.exports import csv_response, xlsx_response

KINDS = ("text", "int", "decimal", "percent", "money", "date")
CHART_KINDS = ("line", "bar", "stacked", "hbar", "doughnut", "none")
EXPORT_FORMATS = ("csv", "xlsx")
# A row may be highlighted (`row["_mark"]`): a bottleneck "danger", a watch "warning", a good
# one "success"; the page tints it, the API gives it as `_mark`, exports leave it out.
MARKS = ("danger", "warning", "success")


@dataclass(frozen=True)
class Column:
    """One column: `key` in the rows, its translated `label`, and how a value is shown."""

    key: str
    label: Any
    kind: str = "text"
    currency: str = ""  # for money: shown after the amount (and as its own column in exports)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "decimal", "percent", "money")

    def show(self, value: Any) -> str:
        """The value as the reader reads it (locale's grouping and decimal mark)."""
        if value is None or value == "":
            return "—" if self.numeric else ""
        if self.kind == "int":
            return formats.number_format(value, 0, use_l10n=True, force_grouping=True)
        if self.kind == "decimal":
            return formats.number_format(value, 2, use_l10n=True, force_grouping=True)
        if self.kind == "percent":
            return formats.number_format(value, 1, use_l10n=True, force_grouping=True) + " %"
        if self.kind == "money":
            amount = formats.number_format(value, 2, use_l10n=True, force_grouping=True)
            return f"{amount} {self.currency}".strip()
        if self.kind == "date":
            if isinstance(value, dt.datetime):
                return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
            return formats.date_format(value, "SHORT_DATE_FORMAT")
        return str(value)

    def raw(self, value: Any) -> Any:
        """The value in an export: numbers as numbers, dates as ISO text, the rest as text."""
        if value is None:
            return ""
        if self.numeric:
            return value
        if isinstance(value, dt.datetime):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)


@dataclass(frozen=True)
class Chart:
    """What to draw: `x` is the column of the labels, `series` the numeric columns drawn.
    `line` and `bar` for trends and comparisons, `stacked` for parts of a whole over time,
    `hbar` for long labels (reasons, managers), `doughnut` for one series' split. A `threshold`
    draws the limit (an alert level, a target) as a dashed line."""

    kind: str
    x: str
    series: Sequence[str]
    threshold: Decimal | None = None
    threshold_label: Any = ""

    def __post_init__(self) -> None:
        if self.kind not in CHART_KINDS:
            raise ValueError(f"unknown chart kind {self.kind!r}")


@dataclass
class Figure:
    key: str
    title: Any
    columns: list[Column]
    rows: list[dict[str, Any]]
    chart: Chart | None = None
    note: Any = ""
    empty: Any = ""  # said when there are no rows
    footer: dict[str, Any] | None = None  # a total row, keyed like the rows
    extra: dict[str, Any] = field(default_factory=dict)  # figures a page shows beside the table

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    # The page -------------------------------------------------------------------------------

    def table(self) -> list[list[dict[str, Any]]]:
        """Each row's cells: text in the reader's locale, its link, and whether it is a number."""
        return [self._cells(row) for row in self.rows]

    def table_rows(self) -> list[dict[str, Any]]:
        """`table()` with each row's `_mark`: a row to highlight (worse than planned, below the
        norm, a bottleneck). `_mark` is one of `MARKS` (the highlight's colour), True, or a text
        saying why (shown beside the row; highlighted as a warning); the row should also say why
        in one of its columns, for the exports and the API."""
        rows = []
        for row in self.rows:
            mark = row.get("_mark")
            level = mark if mark in MARKS else ("warning" if mark else "")
            why = mark if isinstance(mark, str) and mark not in MARKS else ""
            rows.append({"cells": self._cells(row), "mark": level, "why": why})
        return rows

    def footer_cells(self) -> list[dict[str, Any]] | None:
        return self._cells(self.footer) if self.footer else None

    def _cells(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        links = row.get("_links") or {}
        return [
            {
                "text": column.show(row.get(column.key)),
                "link": links.get(column.key),
                "numeric": column.numeric,
            }
            for column in self.columns
        ]

    @property
    def dom_id(self) -> str:
        return "figure-" + slugify(self.key)

    @property
    def chart_data_id(self) -> str:
        return self.dom_id + "-chart"

    def chart_config(self) -> dict[str, Any] | None:
        """What charts.js draws (plain JSON: labels, one dataset per series, the threshold)."""
        if self.chart is None or self.chart.kind == "none" or not self.rows:
            return None
        x = self.column(self.chart.x)
        datasets = []
        for key in self.chart.series:
            column = self.column(key)
            datasets.append(
                {
                    "label": str(column.label),
                    "data": [_number(row.get(key)) for row in self.rows],
                    "percent": column.kind == "percent",
                }
            )
        config: dict[str, Any] = {
            "kind": self.chart.kind,
            "labels": [x.show(row.get(x.key)) for row in self.rows],
            "datasets": datasets,
            "title": str(self.title),
        }
        if self.chart.threshold is not None:
            config["threshold"] = {
                "value": float(self.chart.threshold),
                "label": str(self.chart.threshold_label),
            }
        return config

    def export_url(self, request: HttpRequest, fmt: str) -> str:
        query = request.GET.copy()
        query["export"] = fmt
        query["figure"] = self.key
        return "?" + query.urlencode()

    # Exports and the API ----------------------------------------------------------------------

    def export_rows(self) -> Iterator[list[Any]]:
        header: list[Any] = []
        for column in self.columns:
            header.append(str(column.label))
            if column.kind == "money" and column.currency:
                header[-1] = f"{column.label} ({column.currency})"
        yield header
        for row in self.rows:
            yield [column.raw(row.get(column.key)) for column in self.columns]
        if self.footer:
            yield [column.raw(self.footer.get(column.key)) for column in self.columns]

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": str(self.title),
            "columns": [
                {"key": c.key, "label": str(c.label), "kind": c.kind, "currency": c.currency}
                for c in self.columns
            ],
            "rows": [
                {
                    **{c.key: _json(row.get(c.key)) for c in self.columns},
                    **({"_mark": row["_mark"]} if row.get("_mark") in MARKS else {}),
                }
                for row in self.rows
            ],
            "footer": {c.key: _json(self.footer.get(c.key)) for c in self.columns} if self.footer else None,
        }


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def export_response(
    request: HttpRequest, figures: Sequence[Figure]
) -> StreamingHttpResponse | FileResponse | None:
    """The CSV or XLSX of the figure named by `?export=…&figure=…`, or None when the request
    asks for no export (the page renders). An unknown figure is 404; an unknown format too."""
    fmt = request.GET.get("export")
    if not fmt:
        return None
    if fmt not in EXPORT_FORMATS:
        raise Http404("unknown export format")
    key = request.GET.get("figure", "")
    figure = next((f for f in figures if f.key == key), None)
    if figure is None:
        raise Http404("unknown figure")
    from clientela.core.audit import audit_event

    if request.user.is_authenticated:
        audit_event(
            actor=request.user,
            instance=request.user,
            event="report_exported",
            changes={"figure": key, "format": fmt, "path": request.path, "query": urlencode(_query(request))},
        )
    name = f"{slugify(figure.key)}-{timezone.localdate().isoformat()}"
    if fmt == "xlsx":
        return xlsx_response(figure.export_rows(), name, str(figure.title))
    return csv_response(figure.export_rows(), name)


def _query(request: HttpRequest) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in request.GET.items() if k not in ("export", "figure")]
