"""Reports: the figures of a year, quarter or month, from the storage's read model.

- :func:`~jieqin.reports.build.build_report` turns a :class:`ReportSource`'s
  aggregates (any backend's read model: :class:`jieqin.storage.base.ReadModel`) into
  a :class:`~jieqin.reports.model.Report`, with small-cell suppression when asked;
- :func:`~jieqin.reports.render.render` prints a table, JSON, CSV or an offline HTML
  page with inline SVG charts.

Nothing here knows SQL or writes: the use case that reads a report is
:mod:`jieqin.services.reports`.
"""

from jieqin.reports.build import build_report, suppress
from jieqin.reports.model import Figures, GrantLine, NeedLine, Report, WindowLine
from jieqin.reports.render import FORMATS, render, to_csv, to_html, to_json, to_table
from jieqin.reports.source import ReportSource

__all__ = [
    "FORMATS",
    "Figures",
    "GrantLine",
    "NeedLine",
    "Report",
    "ReportSource",
    "WindowLine",
    "build_report",
    "render",
    "suppress",
    "to_csv",
    "to_html",
    "to_json",
    "to_table",
]
