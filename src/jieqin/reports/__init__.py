"""Reports: the figures of a year, quarter or month, computed where the data is.

- :func:`~jieqin.reports.build.build_report` turns a source's aggregates into a
  :class:`~jieqin.reports.model.Report`, with small-cell suppression when asked;
- :class:`~jieqin.reports.python_source.PythonSource` aggregates in Python (memory
  backend); :mod:`jieqin.reports.sql` in SQL, from counters kept current as
  activities are written;
- :func:`~jieqin.reports.render.render` prints a table, JSON, CSV or an offline HTML
  page with inline SVG charts.
"""

from jieqin.reports.build import build_report, suppress
from jieqin.reports.model import Figures, GrantLine, NeedLine, Report, WindowLine
from jieqin.reports.python_source import PythonSource
from jieqin.reports.render import FORMATS, render, to_csv, to_html, to_json, to_table
from jieqin.reports.source import ReportSource

__all__ = [
    "FORMATS",
    "Figures",
    "GrantLine",
    "NeedLine",
    "PythonSource",
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
