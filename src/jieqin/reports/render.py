"""A report as a terminal table (rich), JSON, CSV or a self-contained offline HTML page."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from html import escape

from rich.console import Console
from rich.table import Table

from jieqin.reports.model import Count, Figures, Report
from jieqin.reports.svg import PALETTE, horizontal_bars, stacked_columns

__all__ = ["FORMATS", "render", "to_csv", "to_html", "to_json", "to_table"]

FORMATS = ("table", "json", "csv", "html", "xlsx")
"""``xlsx`` is a workbook, written to a file by :func:`jieqin.reports.xlsx.write_workbook`."""


def _show(value: Count, report: Report) -> str:
    if value is None:
        return f"<{report.suppressed_below}"
    return f"{value:,}"


def _money(amount: Decimal | None, report: Report) -> str:
    return "withheld" if amount is None else f"{amount:,.2f}"


def to_json(report: Report) -> str:
    """One JSON object (amounts as decimal strings; withheld cells as ``null``)."""
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2)


def _csv_rows(report: Report) -> Iterator[list[str]]:
    def rows(region: str, f: Figures) -> Iterator[list[str]]:
        def n(v: Count) -> str:
            return "" if v is None else str(v)

        yield [region, "helpers", "", "", n(f.helpers), ""]
        for tier, c in f.helpers_by_tier.items():
            yield [region, "helpers_by_tier", tier, "", n(c), ""]
        yield [region, "households", "", "", n(f.households), ""]
        for kind, c in f.activities.items():
            yield [region, "activities", kind, "", n(c), ""]
        for tier, c in f.activities_by_tier.items():
            yield [region, "activities_by_tier", tier, "", n(c), ""]
        for line in f.needs:
            yield [region, "needs", line.kind, line.route, n(line.count), ""]
        for agency, c in f.referrals:
            yield [region, "referrals", agency, "", n(c), ""]
        for g in f.grants:
            amount = "" if g.amount is None else str(g.amount)
            yield [region, "grants", g.program, g.funder, n(g.count), amount]

    yield ["region", "figure", "key", "detail", "count", "amount"]
    yield from rows("all", report.totals)
    for month, kinds in report.monthly.items():
        for kind, c in kinds.items():
            yield ["all", "activities_by_month", month, kind, "" if c is None else str(c), ""]
    for w in report.windows:
        for kind, c in w.activities.items():
            yield ["all", "window", w.window_id, kind, "" if c is None else str(c), ""]
    for code, f in report.regions.items():
        yield from rows(code, f)


def to_csv(report: Report) -> str:
    """Long-format CSV: one figure per row, ``region`` ``all`` for the totals.

    A plain CSV whose first line is its header, so that any CSV reader takes it as it
    is; the period and the other metadata are in the JSON format.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in _csv_rows(report):
        writer.writerow(row)
    return out.getvalue()


def _figures_table(title: str, f: Figures, report: Report) -> Table:
    table = Table(title=title, show_header=True, header_style="bold")
    # a long cell folds onto more lines rather than being cut with an ellipsis
    table.add_column("figure", overflow="fold")
    table.add_column("detail", overflow="fold")
    table.add_column("count", justify="right", overflow="fold")
    table.add_column("amount (yuan)", justify="right", overflow="fold")
    table.add_row("helpers", "all tiers", _show(f.helpers, report), "")
    for tier, c in f.helpers_by_tier.items():
        table.add_row("", tier, _show(c, report), "")
    table.add_row("paired households", "", _show(f.households, report), "")
    for kind, c in f.activities.items():
        table.add_row(report.kind_labels.get(kind, kind), kind, _show(c, report), "")
    for tier, c in f.activities_by_tier.items():
        table.add_row("activities by helper tier", tier, _show(c, report), "")
    for line in f.needs:
        table.add_row("needs", f"{line.kind} → {line.route}", _show(line.count, report), "")
    for agency, c in f.referrals:
        table.add_row("referrals", agency, _show(c, report), "")
    for g in f.grants:
        table.add_row(
            "grants",
            f"{g.program_name} ({g.funder})" if g.funder else g.program_name,
            _show(g.count, report),
            _money(g.amount, report),
        )
    return table


#: The width of the text tables when none is given: wide enough that nothing wraps.
FULL_WIDTH = 10_000


def to_table(report: Report, *, width: int | None = None) -> str:
    """The report as text tables (totals, then each county), fitted into ``width``
    columns (a terminal's) by wrapping long cells, never by cutting them; ``None``:
    as wide as the tables need (for a file or a pipe)."""
    shown = FULL_WIDTH if width is None else width
    console = Console(file=io.StringIO(), width=shown, record=True, color_system=None)
    note = f", cells below {report.suppressed_below} withheld" if report.suppressed_below else ""
    console.print(_figures_table(f"jieqin report {report.period}{note}", report.totals, report))
    for w in report.windows:
        counts = ", ".join(
            f"{report.kind_labels.get(k, k)} {_show(c, report)}" for k, c in w.activities.items()
        )
        console.print(f"{w.name} ({w.start.isoformat()} to {w.end.isoformat()}): {counts}")
    for code, f in report.regions.items():
        console.print(_figures_table(f"{report.region_names.get(code, code)} ({code})", f, report))
    return console.export_text()


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:60em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em}
td.n{text-align:right}th{background:#f3f3f3}.t{font:bold 14px sans-serif}
.a{font:11px sans-serif;fill:#333}.g{stroke:#ddd}svg{margin:1em 0;max-width:100%;height:auto}
"""


def _html_figures(f: Figures, report: Report) -> str:
    rows = [("helpers", "all tiers", _show(f.helpers, report), "")]
    rows += [("", tier, _show(c, report), "") for tier, c in f.helpers_by_tier.items()]
    rows.append(("paired households", "", _show(f.households, report), ""))
    rows += [
        (report.kind_labels.get(k, k), k, _show(c, report), "") for k, c in f.activities.items()
    ]
    rows += [
        ("activities by helper tier", t, _show(c, report), "")
        for t, c in f.activities_by_tier.items()
    ]
    rows += [("needs", f"{n.kind} → {n.route}", _show(n.count, report), "") for n in f.needs]
    rows += [("referrals", a, _show(c, report), "") for a, c in f.referrals]
    rows += [
        (
            "grants",
            f"{g.program_name} ({g.funder})",
            _show(g.count, report),
            _money(g.amount, report),
        )
        for g in f.grants
    ]
    body = "".join(
        f"<tr><td>{escape(a)}</td><td>{escape(b)}</td><td class=n>{escape(c)}</td>"
        f"<td class=n>{escape(d)}</td></tr>"
        for a, b, c, d in rows
    )
    return (
        "<table><tr><th>figure</th><th>detail</th><th>count</th><th>amount (yuan)</th></tr>"
        f"{body}</table>"
    )


def to_html(report: Report) -> str:
    """One HTML page with inline CSS and SVG charts; it fetches nothing when opened."""
    title = f"jieqin report {report.period}"
    monthly = stacked_columns(
        "Activities per month by kind",
        list(report.monthly),
        list(report.kinds),
        report.monthly,
        report.kind_labels,
    )
    districts = horizontal_bars(
        "Work by district (activities)",
        [
            (
                f"{report.region_names.get(code, code)}",
                f.activities_total,
                _show(f.activities_total, report),
            )
            for code, f in report.regions.items()
        ],
        PALETTE[2],
    )
    grants = horizontal_bars(
        "Grants by program (yuan)",
        [
            (
                g.program_name,
                None if g.amount is None else float(g.amount),
                f"{_show(g.count, report)} grants, {_money(g.amount, report)}",
            )
            for g in report.totals.grants
        ],
        PALETTE[1],
    )
    note = (
        f"<p>Counts below {report.suppressed_below} are withheld.</p>"
        if report.suppressed_below
        else ""
    )
    regions = "".join(
        f"<h3>{escape(report.region_names.get(code, code))} ({escape(code)})</h3>"
        f"{_html_figures(f, report)}"
        for code, f in report.regions.items()
    )
    windows = "".join(
        f"<tr><td>{escape(w.name)}</td><td>{w.start.isoformat()} to {w.end.isoformat()}</td>"
        + "".join(f"<td class=n>{escape(_show(c, report))}</td>" for c in w.activities.values())
        + "</tr>"
        for w in report.windows
    )
    window_table = (
        "<h2>Campaign windows</h2><table><tr><th>window</th><th>dates</th>"
        + "".join(f"<th>{escape(report.kind_labels.get(k, k))}</th>" for k in report.kinds)
        + f"</tr>{windows}</table>"
        if report.windows
        else ""
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>{report.period.start.isoformat()} to "
        f"{report.period.end.isoformat()}</p>{note}"
        f"<h2>Totals</h2>{_html_figures(report.totals, report)}"
        f"<h2>Charts</h2>{monthly}{districts if report.regions else ''}{grants}"
        f"{window_table}{'<h2>By district</h2>' + regions if regions else ''}"
        "</body></html>\n"
    )


def render(report: Report, fmt: str, *, width: int | None = None) -> str:
    """The report in ``fmt``: one of :data:`FORMATS`; ``width`` fits the text table
    into a terminal's columns (see :func:`to_table`)."""
    if fmt == "json":
        return to_json(report) + "\n"
    if fmt == "csv":
        return to_csv(report)
    if fmt == "html":
        return to_html(report)
    if fmt == "table":
        return to_table(report, width=width)
    from jieqin.errors import InvalidValue

    if fmt == "xlsx":
        raise InvalidValue(
            "xlsx is a workbook, not text: write it with jieqin.reports.xlsx.write_workbook "
            "(jieqin report --format xlsx -o FILE.xlsx)",
            field="format",
        )

    raise InvalidValue(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}", field="format")
