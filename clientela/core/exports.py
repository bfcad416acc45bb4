"""Writing rows to CSV and XLSX for people's spreadsheets: streamed, UTF-8 with a BOM for CSV,
and never a formula — a cell a spreadsheet would run (`=`, `+`, `-`, `@`, tab, carriage return)
is written as text. Every export of the product (lists, reports, figures) goes through here."""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import FileResponse, StreamingHttpResponse

_numberish = re.compile(r"^[+-]?[\d\s().-]+$")


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would treat as a formula gets a leading apostrophe (CSV)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        if value[:1] in "+-" and _numberish.match(value):
            return value
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(data: Iterable[list[Any]], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def stream() -> Iterator[str]:
        yield "\ufeff"  # so spreadsheet programs read UTF-8
        for row in data:
            yield writer.writerow([safe_cell(v) for v in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(data: Iterable[list[Any]], filename: str, title: str) -> FileResponse:
    """Written row by row (openpyxl write-only mode) to a temporary file, then streamed."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    for row in data:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula
            cells.append(cell)
        sheet.append(cells)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by FileResponse)
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=f"{filename}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _sheet_title(title: str) -> str:
    """A sheet name a spreadsheet accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31]
    return cleaned or "Sheet"
