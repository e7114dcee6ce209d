"""Spreadsheet-safe text cells: neutralising formulas on export, restoring them on import.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula
(``=HYPERLINK(...)``, ``+cmd|...``), and Excel also after a leading tab or carriage
return. As OWASP recommends for CSV injection, :func:`neutralise_cell` puts a single
quote before such a cell, so the spreadsheet shows it as text.

The pair is reversible, so export then import gives back every string exactly:

- export quotes a cell that begins with one of :data:`TRIGGERS`, and also a cell that
  already begins with ``'`` followed by any number of ``'`` and then a trigger
  (``'=1`` becomes ``''=1``), so a quote a person typed is never taken for ours;
- import (:func:`restore_cell`) removes exactly one leading ``'`` when the rest is a
  run of quotes followed by a trigger character, and leaves every other cell alone.

Only text cells are neutralised: numbers (an amount of ``-5``, a whole-number
column) are written as numbers, since a number is no formula. The XLSX writer uses
the same pair.
"""

from __future__ import annotations

__all__ = ["TRIGGERS", "neutralise_cell", "restore_cell"]

TRIGGERS = frozenset("=+-@\t\r")
"""The first characters that make a spreadsheet read a cell as a formula."""


def _quoted_trigger(text: str) -> bool:
    """Whether ``text`` is some quotes (maybe none) followed by a trigger character."""
    rest = text.lstrip("'")
    return bool(rest) and rest[0] in TRIGGERS


def neutralise_cell(text: str) -> str:
    """``text`` safe to open in a spreadsheet: ``'`` before a formula-like start."""
    if text and (text[0] in TRIGGERS or (text[0] == "'" and _quoted_trigger(text))):
        return "'" + text
    return text


def restore_cell(text: str) -> str:
    """The inverse of :func:`neutralise_cell`: one leading ``'`` removed where export added it."""
    if text.startswith("'") and _quoted_trigger(text[1:]):
        return text[1:]
    return text
