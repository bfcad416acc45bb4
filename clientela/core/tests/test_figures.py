"""A figure shows, exports and serialises the same numbers (core.figures)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.http import Http404
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation
from openpyxl import load_workbook

from clientela.core.figures import Chart, Column, Figure, export_response
from clientela.core.models import AuditEntry


def leak_figure() -> Figure:
    return Figure(
        key="leak-rate",
        title="Leak rate",
        columns=[
            Column("period", "Period"),
            Column("active", "Active at start", kind="int"),
            Column("lost", "Lost", kind="int"),
            Column("rate", "Leak rate", kind="percent"),
            Column("won", "Won", kind="money", currency="EUR"),
        ],
        rows=[
            {
                "period": "Oct 2026",
                "active": 1200,
                "lost": 30,
                "rate": Decimal("2.5"),
                "won": Decimal("12345.5"),
            },
            {
                "period": '=HYPERLINK("x")',
                "active": 0,
                "lost": 0,
                "rate": None,
                "won": Decimal("0"),
                "_links": {"lost": "/clients/?status=lost"},
            },
        ],
        chart=Chart(
            kind="line", x="period", series=["rate"], threshold=Decimal("10"), threshold_label="Alert"
        ),
    )


def test_table_in_the_readers_locale():
    figure = leak_figure()
    with translation.override("ro"):
        cells = figure.table()[0]
    assert [c["text"] for c in cells] == ["Oct 2026", "1.200", "30", "2,5 %", "12.345,50 EUR"]
    with translation.override("en"):
        cells = figure.table()[1]
    assert cells[2] == {"text": "0", "link": "/clients/?status=lost", "numeric": True}
    assert cells[3]["text"] == "—"  # no rate when nobody was active, not 0 %


def test_chart_draws_the_table_columns_and_the_threshold():
    config = leak_figure().chart_config()
    assert config["labels"] == ["Oct 2026", '=HYPERLINK("x")']
    assert config["datasets"] == [{"label": "Leak rate", "data": [2.5, None], "percent": True}]
    assert config["threshold"] == {"value": 10.0, "label": "Alert"}
    assert (
        Figure(
            key="k", title="t", columns=[Column("a", "A")], rows=[], chart=Chart("bar", "a", [])
        ).chart_config()
        is None
    )


@pytest.mark.django_db
def test_csv_export_has_the_table_numbers_and_no_formula(world):
    request = RequestFactory().get("/retention/", {"period": "month", "export": "csv", "figure": "leak-rate"})
    request.user = world.head_north
    response = export_response(request, [leak_figure()])
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["Period", "Active at start", "Lost", "Leak rate", "Won (EUR)"]
    assert rows[1] == ["Oct 2026", "1200", "30", "2.5", "12345.5"]
    assert rows[2][0] == '\'=HYPERLINK("x")'  # a spreadsheet would have run it
    entry = AuditEntry.objects.filter(event="report_exported").get()
    assert entry.changes["figure"] == "leak-rate" and entry.changes["query"] == "period=month"


@pytest.mark.django_db
def test_xlsx_export_keeps_numbers_as_numbers(world):
    request = RequestFactory().get("/", {"export": "xlsx", "figure": "leak-rate"})
    request.user = world.admin
    response = export_response(request, [leak_figure()])
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][:3] == ("Oct 2026", 1200, 30)
    assert values[2][0] == '=HYPERLINK("x")' and sheet["A3"].data_type == "s"


def test_no_export_asked_renders_the_page_and_unknown_ones_are_404():
    factory = RequestFactory()
    assert export_response(factory.get("/"), [leak_figure()]) is None
    with pytest.raises(Http404):
        export_response(factory.get("/", {"export": "csv", "figure": "other"}), [leak_figure()])
    with pytest.raises(Http404):
        export_response(factory.get("/", {"export": "pdf", "figure": "leak-rate"}), [leak_figure()])


def test_json_keeps_decimals_exact():
    data = leak_figure().as_json()
    assert data["rows"][0] == {
        "period": "Oct 2026",
        "active": 1200,
        "lost": 30,
        "rate": "2.5",
        "won": "12345.5",
    }
    assert data["columns"][4] == {"key": "won", "label": "Won", "kind": "money", "currency": "EUR"}


def test_partial_renders_chart_table_links_and_exports():
    request = RequestFactory().get("/retention/", {"team": "3"})
    html = render_to_string("core/_figure.html", {"figure": leak_figure(), "request": request})
    assert 'data-figure-chart="figure-leak-rate-chart"' in html
    assert 'id="figure-leak-rate-chart"' in html
    assert "?team=3&amp;export=csv&amp;figure=leak-rate" in html
    assert '<a href="/clients/?status=lost">0</a>' in html
    assert "<td>=HYPERLINK(&quot;x&quot;)</td>" in html  # text is escaped, never markup
