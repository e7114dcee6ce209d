"""A report as a workbook: one sheet of totals, one sheet per district.

Each sheet holds the figures of one area, one figure per row (``figure``, ``key``,
``detail``, ``count``, ``amount``), the long format of the CSV report: a count is a
number, an amount a number of yuan, a withheld cell (small-cell suppression) reads
``<k`` and ``withheld``. The totals sheet also has the activities by month and by
campaign window. Text cells (labels and names plugins register) are neutralised as
in every export (:mod:`jieqin.io.cells`), so no cell runs as a formula.

``jieqin report --format xlsx -o FILE.xlsx`` writes one (with the districts).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

from jieqin.io.cells import neutralise_cell
from jieqin.io.xlsx_format import escape_text
from jieqin.reports.model import Count, Figures, Report
from jieqin.reports.render import monitoring_rows

__all__ = ["HEADER", "TOTALS_SHEET", "figure_rows", "write_workbook"]

TOTALS_SHEET = "totals"
HEADER = ("figure", "key", "detail", "count", "amount (yuan)")
"""The header row of every sheet (row 2; row 1 is the sheet's title)."""

_NOT_IN_A_SHEET_NAME = re.compile(r"[\[\]:*?/\\']")

Row = tuple[str, str, str, Count, Decimal | None]


def figure_rows(f: Figures) -> Iterator[Row]:
    """``(figure, key, detail, count, amount)`` for each figure of one area."""
    yield "helpers", "", "", f.helpers, None
    for tier, count in f.helpers_by_tier.items():
        yield "helpers_by_tier", tier, "", count, None
    yield "households", "", "", f.households, None
    for kind, count in f.activities.items():
        yield "activities", kind, "", count, None
    for tier, count in f.activities_by_tier.items():
        yield "activities_by_tier", tier, "", count, None
    for line in f.needs:
        yield "needs", line.kind, line.route, line.count, None
    for agency, count in f.referrals:
        yield "referrals", agency, "", count, None
    for grant in f.grants:
        yield "grants", grant.program, grant.funder, grant.count, grant.amount
    for grievance in f.grievances:
        yield "grievances", grievance.category, grievance.answer, grievance.count, None
    for payment in f.payments:
        yield "grant_payments", payment.program, payment.state, payment.count, payment.amount
    for figure, key, count in monitoring_rows(f):
        yield figure, key, "", count, None


def _total_rows(report: Report) -> Iterator[Row]:
    yield from figure_rows(report.totals)
    for month, kinds in report.monthly.items():
        for kind, count in kinds.items():
            yield "activities_by_month", month, kind, count, None
    for window in report.windows:
        for kind, count in window.activities.items():
            yield "window", window.window_id, kind, count, None


def _sheet_title(code: str, name: str, taken: set[str]) -> str:
    """A sheet name for a district: ``610202 王益区``, within Excel's 31 characters."""
    title = _NOT_IN_A_SHEET_NAME.sub("_", f"{code} {name}" if name != code else code)[:31]
    if title.lower() in taken or title.lower() == TOTALS_SHEET:
        title = _NOT_IN_A_SHEET_NAME.sub("_", code)[:31]
    taken.add(title.lower())
    return title


def _text(value: str) -> str:
    """A text cell: neutralised (no formula) and escaped (no character XML lacks)."""
    return escape_text(neutralise_cell(value))


def _fill(sheet: Any, title: str, rows: Iterator[Row], report: Report) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    bold = Font(bold=True)
    head = WriteOnlyCell(sheet, value=_text(title))
    head.font = bold
    sheet.append([head])
    sheet.append([_bold(sheet, text, bold) for text in HEADER])
    withheld = f"<{report.suppressed_below}"
    for figure, key, detail, count, amount in rows:
        shown_amount: Any = None
        if figure in ("grants", "grant_payments"):
            shown_amount = "withheld" if amount is None else amount
        sheet.append(
            [
                figure,
                _text(key),
                _text(detail),
                withheld if count is None else count,
                shown_amount,
            ]
        )


def _bold(sheet: Any, text: str, font: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=text)
    cell.font = font
    return cell


def write_workbook(report: Report, out: IO[bytes] | str | os.PathLike[str]) -> None:
    """Write ``report`` to ``out`` (a path or a binary file): totals, then each district."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    period = f"{report.period.start.isoformat()} to {report.period.end.isoformat()}"
    note = f"; counts below {report.suppressed_below} withheld" if report.suppressed_below else ""
    totals = book.create_sheet(TOTALS_SHEET)
    _fill(totals, f"jieqin report {report.period} ({period}){note}", _total_rows(report), report)
    taken = {TOTALS_SHEET}
    for code, figures in report.regions.items():
        name = report.region_names.get(code, code)
        sheet = book.create_sheet(_sheet_title(code, name, taken))
        _fill(sheet, f"{name} ({code}), {report.period}", figure_rows(figures), report)
    book.save(out)
