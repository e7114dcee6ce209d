"""A report as a terminal table (rich), JSON, CSV or a self-contained offline HTML page.

The table and the page are written for people: in Chinese (``lang="zh"``) or English
(``en``), by default in the language of the run (:func:`jieqin.i18n.language`, Chinese
unless something chooses English), naming each code by its registered label (the code
itself on request, ``show_codes``); JSON and CSV keep the codes, for programs.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from html import escape

from rich.console import Console
from rich.table import Table

from jieqin.reports.labels import with_code
from jieqin.reports.model import Count, Figures, GrantLine, Monitoring, Report
from jieqin.reports.strings import HTML_LANG, Strings, strings
from jieqin.reports.svg import FONT_STACK, PALETTE, horizontal_bars, stacked_columns

__all__ = ["FORMATS", "monitoring_rows", "render", "to_csv", "to_html", "to_json", "to_table"]

FORMATS = ("table", "json", "csv", "html", "xlsx")
"""``xlsx`` is a workbook, written to a file by :func:`jieqin.reports.xlsx.write_workbook`."""


def _show(value: Count, report: Report) -> str:
    if value is None:
        return f"<{report.suppressed_below}"
    return f"{value:,}"


def _money(amount: Decimal | None, words: Strings) -> str:
    return words("withheld") if amount is None else f"{amount:,.2f}"


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
        for p in f.payments:
            amount = "" if p.amount is None else str(p.amount)
            yield [region, "grant_payments", p.program, p.state, n(p.count), amount]
        for gl in f.grievances:
            yield [region, "grievances", gl.category, gl.answer, n(gl.count), ""]
        for figure, key, count in monitoring_rows(f):
            yield [region, figure, key, "", n(count), ""]

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


class _Names:
    """What the table and the page print for a report's codes, in one language."""

    def __init__(self, report: Report, lang: str | None, show_codes: bool) -> None:
        self.report = report
        self.words = strings(lang)
        self.lang = self.words.lang
        self.show_codes = show_codes

    def code(self, kind: str, code: str) -> str:
        return self.report.labels.name(kind, code, lang=self.lang, show_code=self.show_codes)

    def kind(self, code: str) -> str:
        """An activity kind: the registry's label, else the kind's own title."""
        if code in self.report.labels.labels.get("activity_kinds", {}):
            return self.code("activity_kinds", code)
        return with_code(self.report.kind_labels.get(code), code, self.show_codes)

    def region(self, code: str) -> str:
        return with_code(self.report.region_names.get(code), code, self.show_codes)

    def program(self, g: GrantLine) -> str:
        name = self.report.labels.labels.get("programs", {}).get(g.program, g.program_name)
        return with_code(name, g.program, self.show_codes)

    def need(self, kind: str, route: str) -> str:
        words = self.words
        shown = words(f"route_{route}") if f"route_{route}" in _ROUTES else route
        return f"{self.code('need_kinds', kind)} → {shown}"

    def answer(self, answer: str) -> str:
        """How a grievance was answered: on time, late, not yet."""
        key = f"answer_{answer}"
        return self.words(key) if key in _ANSWERS else answer

    def title(self) -> str:
        return self.words("title", period=self.report.period)

    def dates(self, start: date, end: date) -> str:
        return self.words("dates", start=start.isoformat(), end=end.isoformat())


_ROUTES = frozenset({"route_program", "route_referral", "route_helper", "route_unrouted"})
_PAYMENT_STATES = frozenset({"payment_paid", "payment_unpaid", "payment_returned"})
_ANSWERS = frozenset({"answer_on_time", "answer_late", "answer_unanswered"})


def _rows(f: Figures, names: _Names) -> list[tuple[str, str, str, str]]:
    """The rows of one area's figures: figure, detail, count, amount."""
    report, w = names.report, names.words
    rows = [(w("helpers"), w("all_tiers"), _show(f.helpers, report), "")]
    rows += [
        ("", names.code("tiers", t), _show(c, report), "") for t, c in f.helpers_by_tier.items()
    ]
    rows.append((w("households"), "", _show(f.households, report), ""))
    rows += [
        (w("activities"), names.kind(k), _show(c, report), "") for k, c in f.activities.items()
    ]
    rows += [
        (w("activities_by_tier"), names.code("tiers", t), _show(c, report), "")
        for t, c in f.activities_by_tier.items()
    ]
    rows += [(w("needs"), names.need(n.kind, n.route), _show(n.count, report), "") for n in f.needs]
    rows += [
        (w("referrals"), names.code("agencies", a), _show(c, report), "") for a, c in f.referrals
    ]
    rows += [
        (
            w("grants"),
            f"{names.program(g)} ({g.funder})" if g.funder else names.program(g),
            _show(g.count, report),
            _money(g.amount, w),
        )
        for g in f.grants
    ]
    programs = {g.program: names.program(g) for g in f.grants}
    rows += [
        (
            w("grant_payments"),
            f"{programs.get(p.program, p.program)}: {w(f'payment_{p.state}')}",
            _show(p.count, report),
            _money(p.amount, w),
        )
        for p in f.payments
        if f"payment_{p.state}" in _PAYMENT_STATES
    ]
    rows += [
        (
            w("grievances"),
            f"{names.code('grievance_categories', g.category)}: {names.answer(g.answer)}",
            _show(g.count, report),
            "",
        )
        for g in f.grievances
    ]
    return rows


#: The warning figures of a monitoring section, in the order they are shown.
WARNING_FIGURES = (
    "raised",
    "checked_on_time",
    "checked_late",
    "unchecked",
    "confirmed",
    "dismissed",
    "open",
)


def _warning_counts(m: Monitoring) -> dict[str, Count]:
    return {
        "raised": m.warnings,
        "checked_on_time": m.checked_on_time,
        "checked_late": m.checked_late,
        "unchecked": m.unchecked,
        "confirmed": m.confirmed,
        "dismissed": m.dismissed,
        "open": m.open,
    }


def monitoring_rows(f: Figures) -> Iterator[tuple[str, str, Count]]:
    """``(figure, key, count)`` of an area's monitoring section (the CSV and the
    workbook's codes): households by category (``""``: all), still monitored at the
    end, the warnings, and the households whose risk was eliminated."""
    m = f.monitoring
    if m is None:
        return
    yield "monitored_households", "", m.households
    for c in m.categories:
        yield "monitored_households", c.category, c.monitored
    yield "monitored_at_end", "", m.at_end
    for c in m.categories:
        yield "monitored_at_end", c.category, c.at_end
    for key, count in _warning_counts(m).items():
        yield "warnings", key, count
    yield "risk_eliminated", "", m.eliminated
    for c in m.categories:
        yield "risk_eliminated", c.category, c.eliminated


def _monitoring_rows(f: Figures, names: _Names) -> list[tuple[str, str, str, str]]:
    """The rows of an area's monitoring section, for people."""
    m = f.monitoring
    if m is None:
        return []
    report, w = names.report, names.words
    rows: list[tuple[str, str, str, str]] = []
    for title, total, per in (
        ("monitored_households", m.households, "monitored"),
        ("monitored_at_end", m.at_end, "at_end"),
    ):
        rows.append((w(title), w("all_categories"), _show(total, report), ""))
        rows += [
            ("", names.code("household_statuses", c.category), _show(getattr(c, per), report), "")
            for c in m.categories
        ]
    counts = _warning_counts(m)
    rows += [
        (w("risk_warnings") if i == 0 else "", w(f"warnings_{key}"), _show(counts[key], report), "")
        for i, key in enumerate(WARNING_FIGURES)
    ]
    rows.append((w("risk_eliminated"), w("all_categories"), _show(m.eliminated, report), ""))
    rows += [
        ("", names.code("household_statuses", c.category), _show(c.eliminated, report), "")
        for c in m.categories
    ]
    return rows


def _figures_table(title: str, f: Figures, names: _Names) -> Table:
    w = names.words
    table = Table(title=title, show_header=True, header_style="bold")
    # a long cell folds onto more lines rather than being cut with an ellipsis
    table.add_column(w("col_figure"), overflow="fold")
    table.add_column(w("col_detail"), overflow="fold")
    table.add_column(w("col_count"), justify="right", overflow="fold")
    table.add_column(w("col_amount"), justify="right", overflow="fold")
    for row in _rows(f, names):
        table.add_row(*row)
    return table


def _monitoring_table(title: str, f: Figures, names: _Names) -> Table:
    """The monitoring section of one area as its own table (figure, detail, count)."""
    w = names.words
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column(w("col_figure"), overflow="fold")
    table.add_column(w("col_detail"), overflow="fold")
    table.add_column(w("col_count"), justify="right", overflow="fold")
    for figure, detail, count, _amount in _monitoring_rows(f, names):
        table.add_row(figure, detail, count)
    return table


#: The width of the text tables when none is given: wide enough that nothing wraps.
FULL_WIDTH = 10_000


def to_table(
    report: Report,
    *,
    width: int | None = None,
    lang: str | None = None,
    show_codes: bool = False,
) -> str:
    """The report as text tables (totals, then each county), fitted into ``width``
    columns (a terminal's) by wrapping long cells, never by cutting them; ``None``:
    as wide as the tables need (for a file or a pipe). ``lang``: ``zh`` or ``en``
    (default: :func:`jieqin.i18n.language`); ``show_codes`` prints each code beside its
    label."""
    names = _Names(report, lang, show_codes)
    w = names.words
    shown = FULL_WIDTH if width is None else width
    console = Console(file=io.StringIO(), width=shown, record=True, color_system=None)
    k = report.suppressed_below
    note = w("withheld_cells", k=k) if k else ""
    heading = w("totals_title", period=report.period)
    console.print(_figures_table(f"{heading}{note}", report.totals, names))
    if report.totals.monitoring is not None:
        console.print(_monitoring_table(w("monitoring"), report.totals, names))
    for win in report.windows:
        counts = ", ".join(
            f"{names.kind(kind)} {_show(c, report)}" for kind, c in win.activities.items()
        )
        console.print(f"{win.name} ({names.dates(win.start, win.end)}): {counts}")
    for code, f in report.regions.items():
        console.print(_figures_table(names.region(code), f, names))
        if f.monitoring is not None:
            title = w("region_monitoring", region=names.region(code))
            console.print(_monitoring_table(title, f, names))
    return console.export_text()


_CSS = (
    f"body{{font-family:{FONT_STACK};margin:2em;color:#222;max-width:62em;line-height:1.5}}"
    """
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em}
td.n{text-align:right}th{background:#f3f3f3}.t{font-weight:bold;font-size:15px}
.a{font-size:12px;fill:#333}.l{font-size:13px;fill:#222}.g{stroke:#ddd}
svg{display:block;margin:1em 0;max-width:100%;height:auto}
"""
)


def _html_figures(f: Figures, names: _Names) -> str:
    w = names.words
    body = "".join(
        f"<tr><td>{escape(a)}</td><td>{escape(b)}</td><td class=n>{escape(c)}</td>"
        f"<td class=n>{escape(d)}</td></tr>"
        for a, b, c, d in _rows(f, names)
    )
    head = "".join(
        f"<th>{escape(w(key))}</th>"
        for key in ("col_figure", "col_detail", "col_count", "col_amount")
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _html_monitoring(f: Figures, names: _Names) -> str:
    """An area's monitoring section as an HTML table ("" when it has none)."""
    if f.monitoring is None:
        return ""
    w = names.words
    body = "".join(
        f"<tr><td>{escape(a)}</td><td>{escape(b)}</td><td class=n>{escape(c)}</td></tr>"
        for a, b, c, _d in _monitoring_rows(f, names)
    )
    head = "".join(
        f"<th>{escape(w(key))}</th>" for key in ("col_figure", "col_detail", "col_count")
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _charts(names: _Names) -> str:
    """The three charts: activities per month, work by district, grants by programme."""
    report, w = names.report, names.words
    monthly = stacked_columns(
        w("chart_monthly"),
        list(report.monthly),
        list(report.kinds),
        report.monthly,
        {kind: names.kind(kind) for kind in report.kinds},
    )
    districts = horizontal_bars(
        w("chart_districts"),
        [
            (names.region(code), f.activities_total, _show(f.activities_total, report))
            for code, f in report.regions.items()
        ],
        PALETTE[2],
        w("nothing"),
    )
    grants = horizontal_bars(
        w("chart_grants"),
        [
            (
                names.program(g),
                None if g.amount is None else float(g.amount),
                w("grant_text", count=_show(g.count, report), amount=_money(g.amount, w)),
            )
            for g in report.totals.grants
        ],
        PALETTE[1],
        w("nothing"),
    )
    return f"{monthly}{districts if report.regions else ''}{grants}"


def _windows(names: _Names) -> str:
    report, w = names.report, names.words
    if not report.windows:
        return ""
    rows = "".join(
        f"<tr><td>{escape(win.name)}</td><td>{escape(names.dates(win.start, win.end))}</td>"
        + "".join(f"<td class=n>{escape(_show(c, report))}</td>" for c in win.activities.values())
        + "</tr>"
        for win in report.windows
    )
    return (
        f"<h2>{escape(w('windows'))}</h2><table><tr><th>{escape(w('col_window'))}</th>"
        f"<th>{escape(w('col_dates'))}</th>"
        + "".join(f"<th>{escape(names.kind(k))}</th>" for k in report.kinds)
        + f"</tr>{rows}</table>"
    )


def to_html(report: Report, *, lang: str | None = None, show_codes: bool = False) -> str:
    """One HTML page with inline CSS and SVG charts; it fetches nothing when opened.

    The page declares its language and asks for a CJK-capable font stack, so a
    browser draws the Chinese with a Chinese font rather than as empty boxes."""
    names = _Names(report, lang, show_codes)
    w = names.words
    title = names.title()
    k = report.suppressed_below
    note = f"<p>{escape(w('withheld_note', k=k))}</p>" if k else ""
    regions = "".join(
        f"<h3>{escape(names.region(code))}</h3>{_html_figures(f, names)}"
        f"{_html_monitoring(f, names)}"
        for code, f in report.regions.items()
    )
    monitoring = (
        f"<h2>{escape(w('monitoring'))}</h2>{_html_monitoring(report.totals, names)}"
        if report.totals.monitoring is not None
        else ""
    )
    by_district = f"<h2>{escape(w('by_district'))}</h2>{regions}" if regions else ""
    return (
        f'<!DOCTYPE html><html lang="{HTML_LANG[names.lang]}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f"<p>{escape(names.dates(report.period.start, report.period.end))}</p>{note}"
        f"<h2>{escape(w('totals'))}</h2>{_html_figures(report.totals, names)}{monitoring}"
        f"<h2>{escape(w('charts'))}</h2>{_charts(names)}"
        f"{_windows(names)}{by_district}"
        "</body></html>\n"
    )


def render(
    report: Report,
    fmt: str,
    *,
    width: int | None = None,
    lang: str | None = None,
    show_codes: bool = False,
) -> str:
    """The report in ``fmt``: one of :data:`FORMATS`; ``width`` fits the text table
    into a terminal's columns (see :func:`to_table`); ``lang`` (``zh``, the default,
    or ``en``) and ``show_codes`` choose the words of the table and the HTML page."""
    if fmt == "json":
        return to_json(report) + "\n"
    if fmt == "csv":
        return to_csv(report)
    if fmt == "html":
        return to_html(report, lang=lang, show_codes=show_codes)
    if fmt == "table":
        return to_table(report, width=width, lang=lang, show_codes=show_codes)
    from jieqin.errors import InvalidValue

    if fmt == "xlsx":
        raise InvalidValue(
            "xlsx is a workbook, not text: write it with jieqin.reports.xlsx.write_workbook "
            "(jieqin report --format xlsx -o FILE.xlsx)",
            field="format",
        )

    raise InvalidValue(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}", field="format")
