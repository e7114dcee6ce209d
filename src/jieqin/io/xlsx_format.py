"""XLSX workbooks: read through the CSV reader, written like a CSV export.

Reading
    A workbook is opened read-only (openpyxl streams its rows) and each sheet row
    becomes the list of cell texts a CSV row is, fed to the one reader of
    :mod:`jieqin.io.csv_format` (and the households fast path): the same columns,
    checks and messages as CSV, all or nothing. Problems name the sheet, the row and
    the header as written: ``households.xlsx, sheet 成员, row 17, 身份证号: ...``.

    - The sheet is the one named for the kind (``helpers`` / ``帮扶人``, see
      :data:`~jieqin.io.headers.SHEET_NAMES`), else the first sheet. Households are
      either one row per member with the household's columns repeated (the common
      ledger shape; the repeated columns must agree), or two sheets, ``households`` /
      ``户`` with the household columns and ``members`` / ``成员`` with the members,
      linked by the household id.
    - The header is the first row with a known column name among the first
      :data:`HEADER_SEARCH` rows that are not blank (a ledger's title rows above it are
      skipped); a help row right under it whose first cell begins with ``#`` is
      skipped.
    - Cells Excel typed: a date (or a date's serial number) in a date column is that
      date; a number in a text column is its digits when whole and exact. Refused,
      each naming its row and column: a resident ID number stored as a number (Excel
      keeps 15 digits and drops the ``X``), any number of over 15 digits, a date in a
      column that is not one, a formula (jieqin reads values, not formulas), an
      Excel error such as ``#N/A``. An empty sheet is refused.
    - Merged cells: a ledger merges a household's cells (户编号, 所在村, 户主姓名 ...)
      over its members' rows; each member's row then reads the merged value (it is
      filled down). Any other merge at or below the header is refused, naming its
      cells: one across columns, one over the header, one in a member's own column,
      one on a households sheet of one row per household, one in a sheet of another
      kind.

Writing
    :func:`write_xlsx` writes the rows :func:`~jieqin.io.csv_format.write_csv`
    writes, in a write-only (streaming) workbook: text cells neutralised exactly as
    in CSV (:mod:`jieqin.io.cells`), whole numbers as numbers, dates as dates.

Characters XML cannot hold (control characters; a carriage return, which XML turns
into a line feed) are written as Excel writes them, ``_x000D_`` (the ``ST_Xstring``
escape of ECMA-376, with ``_x005F_`` escaping an underscore that would start one),
and read back by the same rule, so every text survives the round trip.
"""

from __future__ import annotations

import math
import os
import re
import typing
import warnings
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

import attrs

from jieqin.errors import InvalidInput, JieqinError, Problem
from jieqin.i18n import N_
from jieqin.io.cells import neutralise_cell
from jieqin.io.csv_format import RefusedCell, read_csv
from jieqin.io.headers import (
    SHEET_NAMES,
    HeaderTable,
    heading,
    normalise_header,
    sheet_name,
)
from jieqin.io.household_rows import read_household_rows
from jieqin.io.kinds import HOUSEHOLDS, Column, ColumnType, Kind
from jieqin.io.places import Place, Places
from jieqin.io.records import Parsed

__all__ = [
    "HEADER_SEARCH",
    "MERGED_REASONS",
    "date_columns",
    "escape_text",
    "read_xlsx",
    "unescape_text",
    "write_xlsx",
]

HEADER_SEARCH = 10
"""How many non-blank rows at the top of a sheet may hold titles above the header."""

_MAX_EXACT = 10**15
"""Excel keeps 15 significant digits: a whole number from here on may have lost some."""

_MARK = "\x00"
"""The text of a refused cell (never a valid value, never blank)."""

_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_TO_ESCAPE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\r\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3}[0-9]+(?::[A-Z]{1,3}[0-9]+)?)"')
_CELL = re.compile(r"([A-Z]{1,3})([0-9]+)")

# --- what the reader says (one place for its messages) ---------------------------------

_FORMULA = N_(
    "is a formula; jieqin reads values, not formulas: copy the column and paste it "
    "back as values (选择性粘贴 → 数值)"
)
_AS_NUMBER = N_(
    "is stored as a number, which loses a resident ID number's last digits and its X: "
    "format the column as text (设置单元格格式 → 文本) and type the numbers again"
)
_LONG_NUMBER = N_(
    "is a number of 16 digits or more, which Excel does not keep exactly: format the "
    "column as text (设置单元格格式 → 文本) and type the value again"
)
_NOT_A_DATE_COLUMN = N_(
    "is a date to Excel, in a column that holds no date: format the column as text "
    "(设置单元格格式 → 文本) and type the value again"
)
_NOT_A_NUMBER = N_("is not a number Excel can hold")
_NOT_A_DATE = N_("is a number, not a date (YYYY-MM-DD)")
_EXCEL_ERROR = N_("holds the Excel error {error}")
_A_TIME = N_("is a time, not a value jieqin reads")
_EMPTY = N_("the sheet is empty")
_DAMAGED = N_("cannot be read: the workbook is damaged ({error})")
MERGED_CELLS = N_(
    "cells {ref} are merged; unmerge them and fill in every cell (each row holds its own values)"
)
MERGED_CELLS_ACROSS = N_(
    "cells {ref} are merged across columns; unmerge them: each column holds its own value"
)
MERGED_CELLS_MEMBER = N_(
    "cells {ref} are merged in a member column; unmerge them and fill in every row "
    "(only the columns of the household, such as its id, may be merged over the rows "
    "of its members)"
)
#: The templates of the merged-cell reasons: they name cell references, never a value.
MERGED_REASONS = frozenset(
    m.template for m in (MERGED_CELLS, MERGED_CELLS_ACROSS, MERGED_CELLS_MEMBER)
)
_NOT_A_WORKBOOK = N_(
    "is not an Excel workbook jieqin can read (an .xlsx file; save an old .xls "
    "or a password-protected workbook as .xlsx first): {error}"
)
_NO_SHEET = N_("the workbook has no sheet")
_WRONG_SHEET = N_("not a column of this sheet; expected: {expected}")
_TWICE = N_("column appears twice")
_NO_ID_COLUMN = N_("required column is missing")
_NO_ID = N_("required field is missing")
_AGAIN = N_("{hid!r} appears again; it was first given on row {first}")
_NO_HOUSEHOLD = N_("no household {hid!r} in sheet {sheet}")
_NO_MEMBERS = N_("household {hid!r} has no members in sheet {sheet}")


def date_columns(kind: Kind) -> frozenset[str]:
    """The columns of ``kind`` whose model field is a date (read from the model classes)."""
    from jieqin.model import Member

    names = set()
    for cls, columns in ((kind.cls, kind.group_columns or kind.columns), (Member, kind.columns)):
        if cls is Member and kind is not HOUSEHOLDS:
            continue
        hints = typing.get_type_hints(cls)
        fields = {f.name for f in attrs.fields(cls)}
        for column in columns:
            name = column.path[0]
            if len(column.path) == 1 and name in fields:
                hint = hints.get(name)
                if date in (typing.get_args(hint) or (hint,)):
                    names.add(column.name)
    return frozenset(names)


# --- reading one sheet ------------------------------------------------------------------


class _Rule:
    """How the cells of one column become text."""

    TEXT, DATE, RESIDENT_ID = "text", "date", "resident_id"


def escape_text(text: str) -> str:
    """``text`` as a workbook holds it: ``_xHHHH_`` for what XML cannot carry."""
    return _TO_ESCAPE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def unescape_text(text: str) -> str:
    """The inverse of :func:`escape_text` (what Excel does with ``_xHHHH_``)."""
    if "_x" not in text:
        return text
    plain = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)
    if any("\ud800" <= char <= "\udfff" for char in plain):
        try:  # a character beyond the BMP, escaped as two UTF-16 code units
            return plain.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
        except UnicodeDecodeError:
            return text
    return plain


def _number_text(value: float | int, rule: str, epoch: datetime) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return RefusedCell(_MARK, _NOT_A_NUMBER)
    if rule == _Rule.RESIDENT_ID:
        return RefusedCell(_MARK, _AS_NUMBER)
    if rule == _Rule.DATE:
        from openpyxl.utils.datetime import from_excel

        if not 1 <= value < 2958466:
            return RefusedCell(_MARK, _NOT_A_DATE)
        return str(from_excel(value, epoch).date().isoformat())
    if isinstance(value, float):
        if not value.is_integer():
            return repr(value)
        value = int(value)
    if abs(value) >= _MAX_EXACT:
        return RefusedCell(_MARK, _LONG_NUMBER)
    return str(value)


def _cell_text(value: Any, data_type: str, rule: str, epoch: datetime) -> str:
    """The text of one cell, as a CSV cell would hold it, or a :class:`RefusedCell`."""
    if data_type == "f":
        return RefusedCell(_MARK, _FORMULA)
    if data_type == "e":
        return RefusedCell(_MARK, _EXCEL_ERROR.format(error=str(value)[:12]))
    if value.__class__ is str:
        return unescape_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        if rule != _Rule.DATE:
            return RefusedCell(_MARK, _NOT_A_DATE_COLUMN)
        day = value.date() if isinstance(value, datetime) else value
        return day.isoformat()
    if isinstance(value, time | timedelta):
        return RefusedCell(_MARK, _A_TIME)
    if isinstance(value, int | float):
        return _number_text(value, rule, epoch)
    return str(value)


#: One row of a sheet: each cell's value and openpyxl's type letter (``s``, ``n``,
#: ``d``, ``b``, ``f`` a formula, ``e`` an error), by column from A.
Cells = list[tuple[Any, str]]


def _sheet_cells(sheet: Any) -> Iterator[tuple[int, Cells]]:
    """``(row number, cells)`` of every row of a read-only sheet, streaming.

    The file's stated size may be wrong, so every row is read; a date's serial
    number out of range is warned of by openpyxl and read as an error value, which
    the reader refuses by its row and column.
    """
    sheet.reset_dimensions()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for number, row in enumerate(sheet.iter_rows(min_row=1), start=1):
            yield number, [(cell.value, cell.data_type) for cell in row]


def _merged_ranges(book: Any, sheet: Any) -> list[str]:
    """The merged ranges of ``sheet`` (``A3:A5``), from its XML, in one streaming pass.

    A read-only sheet does not parse them; the ``mergeCells`` element follows the
    rows, so the stream is searched for it and only what follows it is kept.
    """
    archive = getattr(book, "_archive", None)
    path = getattr(sheet, "_worksheet_path", None)
    if archive is None or path is None:  # pragma: no cover - another openpyxl layout
        return []
    buffer = b""
    with archive.open(path) as src:
        while chunk := src.read(1 << 20):
            buffer = buffer[-32:] + chunk
            at = buffer.find(b"mergeCell")
            if at >= 0:
                rest = buffer[at:] + src.read()
                return [m.decode() for m in _MERGE.findall(rest)]
    return []


def _bounds(ref: str) -> tuple[int, int, int, int]:
    """``(first row, last row, first column, last column)`` of a range such as ``A3:B5``."""
    from openpyxl.utils import column_index_from_string

    corners = [_CELL.fullmatch(part) for part in ref.split(":")]
    rows = [int(m.group(2)) for m in corners if m is not None]
    columns = [column_index_from_string(m.group(1)) for m in corners if m is not None]
    return min(rows), max(rows), min(columns), max(columns)


class _Sheet:
    """One worksheet as rows of cell texts (:class:`~jieqin.io.csv_format.SheetRows`).

    ``problems`` are what refuses the sheet before any row is read (empty, merged
    cells); ``written`` maps column names to the headers as written. ``members``: the
    rows are households' members (one row per member), whose household columns may be
    merged over them and are then filled down.
    """

    def __init__(
        self,
        book: Any,
        sheet: Any,
        kind: Kind,
        source: str,
        headers: HeaderTable,
        on_row: Callable[[], None] | None = None,
        *,
        members: bool = False,
    ) -> None:
        self.title = str(sheet.title)
        self.kind = kind
        self.source = source
        self.epoch = book.epoch
        self.on_row = on_row
        self._cells = self._guarded(_sheet_cells(sheet))
        self.problems: list[Problem] = []
        self._pending: list[tuple[int, Any]] = []
        self.header: tuple[int, list[str]] | None = self._find_header(headers)
        self.columns: list[Column | None] = []
        self.written: dict[str, str] = {}
        self._rules: list[str] = []
        self._household_at: set[int] = set()
        """The (0-based) columns of the household's values: merged ones fill down."""
        self.members = members
        self.fills: dict[int, list[tuple[int, int]]] = {}
        """Column (0-based) -> the (first, last) rows of each merge filled down there."""
        if self.header is not None:
            self._plan(headers)
            self._check_merged(book, sheet)
        else:
            self.problems.append(self.problem(_EMPTY, line=1))

    def _damaged(self, exc: Exception) -> InvalidInput:
        reason = _DAMAGED.format(error=type(exc).__name__)
        return InvalidInput([self.problem(reason, line=None)])

    def _guarded(self, rows: Iterator[Any]) -> Iterator[Any]:
        """``rows``, with a failure of openpyxl to read them (a damaged file) as
        :class:`InvalidInput` naming the file and the sheet."""
        try:
            yield from rows
        except JieqinError:
            raise
        except Exception as exc:
            raise self._damaged(exc) from None

    def problem(self, reason: str, *, line: int | None, field: str | None = None) -> Problem:
        return Problem(reason, field=field, source=self.source, line=line, sheet=self.title)

    def position(self, number: int) -> str:
        from openpyxl.utils import get_column_letter

        return N_("column {number}", number=get_column_letter(number))

    def _find_header(self, headers: HeaderTable) -> tuple[int, list[str]] | None:
        """The first row naming a known column among the first non-blank rows (the
        rows read past it are kept for :meth:`rows`); ``None``: the sheet is empty."""
        seen: list[tuple[int, Any]] = []
        for number, cells in self._cells:
            texts = [value for value, _ in cells]
            if not any(v is not None and str(v).strip() for v in texts):
                continue
            seen.append((number, cells))
            if any(isinstance(v, str) and headers.knows(self.kind, v) for v in texts):
                break
            if len(seen) >= HEADER_SEARCH:
                number, cells = seen[0]
                self._pending = seen[1:]
                break
        else:
            if not seen:
                return None
            number, cells = seen[0]
            self._pending = seen[1:]
        texts = ["" if value is None else str(value) for value, _ in cells]
        while texts and not texts[-1].strip():
            texts.pop()
        return number, texts

    def _plan(self, headers: HeaderTable) -> None:
        assert self.header is not None
        dates = date_columns(self.kind)
        household = {c.name for c in self.kind.group_columns}
        for at, text in enumerate(self.header[1]):
            known, column = headers.lookup(self.kind, text.strip())
            self.columns.append(column)
            if self.kind.group_columns and (
                (known and column is None) or (column is not None and column.name in household)
            ):
                self._household_at.add(at)  # a household's column, or one not read (户主姓名)
            rule = _Rule.TEXT
            if column is not None:
                if column.name != text.strip():
                    self.written.setdefault(column.name, text.strip())
                if column.name in dates:
                    rule = _Rule.DATE
                elif column.name == "resident_id":
                    rule = _Rule.RESIDENT_ID
            self._rules.append(rule)

    def _check_merged(self, book: Any, sheet: Any) -> None:
        assert self.header is not None
        start = self.header[0]
        try:
            merged = _merged_ranges(book, sheet)
        except Exception as exc:
            raise self._damaged(exc) from None
        for ref in merged:
            first, last, column, last_column = _bounds(ref)
            if last < start:
                continue  # a title above the header
            if self.members and first > start and column == last_column:
                if column - 1 in self._household_at:
                    self.fills.setdefault(column - 1, []).append((first, last))
                    continue
                reason = MERGED_CELLS_MEMBER
            else:
                reason = MERGED_CELLS_ACROSS if column != last_column else MERGED_CELLS
            where = self.header[1][column - 1].strip() if column <= len(self.header[1]) else ""
            self.problems.append(
                self.problem(
                    reason.format(ref=ref),
                    line=first,
                    field=where or self.position(column),
                )
            )

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """``(row number, cell texts)`` of every row under the header."""
        width = len(self._rules)
        rules = self._rules
        epoch = self.epoch
        on_row = self.on_row

        def texts(cells: Any) -> list[str]:
            out: list[str] = []
            for index, (value, data_type) in enumerate(cells):
                if value is None:
                    out.append("")
                    continue
                rule = rules[index] if index < width else _Rule.TEXT
                out.append(_cell_text(value, data_type, rule, epoch))
            if len(out) > width:
                while len(out) > width and not out[-1]:
                    out.pop()
            elif len(out) < width:
                out.extend([""] * (width - len(out)))
            return out

        def rows() -> Iterator[tuple[int, list[str]]]:
            pending, self._pending = self._pending, []
            for number, cells in pending:
                yield number, texts(cells)
            for number, cells in self._cells:
                if on_row is not None:
                    on_row()
                yield number, texts(cells)

        yield from _filled_down(rows(), self.fills) if self.fills else rows()


def _filled_down(
    rows: Iterator[tuple[int, list[str]]], fills: dict[int, list[tuple[int, int]]]
) -> Iterator[tuple[int, list[str]]]:
    """``rows`` with each merged range's value in every row it covers (a merge keeps
    its value in its first cell only; the rows below it come empty)."""
    ranges = {at: sorted(spans) for at, spans in fills.items()}
    held: dict[int, tuple[int, str]] = {}
    """Column -> (the merge's last row, its value), while a merge is being read."""
    for number, cells in rows:
        for at, spans in ranges.items():
            while spans and spans[0][1] < number:
                spans.pop(0)
            if spans and spans[0][0] == number:
                held[at] = (spans[0][1], cells[at] if at < len(cells) else "")
            elif at in held and number <= held[at][0] and at < len(cells) and not cells[at]:
                cells[at] = held[at][1]
        yield number, cells


# --- the workbook ----------------------------------------------------------------------


def _open(path: str | os.PathLike[str], source: str) -> tuple[Any, IO[bytes]]:
    """The workbook at ``path``, read-only, or :class:`InvalidInput` naming the file."""
    from openpyxl import load_workbook

    handle = open(path, "rb")  # noqa: SIM115 - closed with the workbook
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(handle, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:
        handle.close()
        reason = _NOT_A_WORKBOOK.format(error=type(exc).__name__)
        raise InvalidInput([Problem(reason, source=source)]) from None
    return book, handle


def _sheet_named(book: Any, names: Iterable[str]) -> Any | None:
    wanted = {normalise_header(n).lower() for n in names}
    for sheet in book.worksheets:
        if normalise_header(str(sheet.title)).lower() in wanted:
            return sheet
    return None


def _first_sheet(book: Any, source: str) -> Any:
    sheets = list(book.worksheets)
    if not sheets:  # pragma: no cover - openpyxl refuses a workbook without sheets
        raise InvalidInput([Problem(_NO_SHEET, source=source)])
    return sheets[0]


def read_xlsx(
    path: str | os.PathLike[str],
    kind: Kind,
    *,
    source: str | None = None,
    headers: HeaderTable,
    places: Places,
    fast_households: bool = False,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[Parsed]:
    """Parse the workbook ``path`` into ``kind`` records, one :class:`Parsed` each.

    ``places`` is told how to name the sheet, row and header of each problem (the
    records' problems still name lines and English columns: pass them through
    ``places``). ``fast_households``: households come out as storage rows where the
    fast path takes them (as for a households CSV).
    """
    name = source if source is not None else Path(path).name
    book, handle = _open(path, name)
    progress = _Progress(path, on_bytes) if on_bytes is not None else None
    on_row = progress.row if progress is not None else None
    try:
        if kind is HOUSEHOLDS:
            households = _sheet_named(book, SHEET_NAMES["households"])
            members = _sheet_named(book, SHEET_NAMES["members"])
            if households is not None and members is not None and households is not members:
                joined = _Joined(book, households, members, name, headers, on_row)
                yield from joined.read(places, fast_households)
                return
            chosen = households or members or _first_sheet(book, name)
        else:
            chosen = _sheet_named(book, SHEET_NAMES[kind.name]) or _first_sheet(book, name)
        sheet = _Sheet(book, chosen, kind, name, headers, on_row, members=kind is HOUSEHOLDS)
        yield from _read_one(sheet, kind, name, headers, places, fast_households)
    finally:
        book.close()
        handle.close()
        if progress is not None:
            progress.finish()


class _Progress:
    """Reports a workbook's bytes little by little as its rows are read (the progress
    bar of an import counts bytes; a sheet's rows are what can be counted)."""

    def __init__(self, path: str | os.PathLike[str], on_bytes: Callable[[int], None]) -> None:
        self.size = os.path.getsize(path)
        self.on_bytes = on_bytes
        self.rows = 0
        self.told = 0

    def row(self) -> None:
        self.rows += 1
        if self.rows % 1000 == 0 and self.told < self.size:
            step = min(self.size - self.told, max(self.size // 100, 1))
            self.told += step
            self.on_bytes(step)

    def finish(self) -> None:
        if self.told < self.size:
            self.on_bytes(self.size - self.told)
            self.told = self.size


def _read_one(
    sheet: _Sheet,
    kind: Kind,
    source: str,
    headers: HeaderTable,
    places: Places,
    fast_households: bool,
) -> Iterator[Parsed]:
    if sheet.problems:
        yield Parsed(sheet.problems[0].line or 1, None, tuple(sheet.problems))
        return
    names: Mapping[str, str] = sheet.written
    title = sheet.title

    def place(line: int | None, field: str | None) -> Place:
        return title, line, names

    places.place = place
    if kind is HOUSEHOLDS and fast_households:
        yield from read_household_rows((), source=source, headers=headers, sheet=sheet)
    else:
        yield from read_csv((), kind, source=source, headers=headers, sheet=sheet)


class _Joined:
    """Households on two sheets: the household columns on one, the members on the other,
    linked by the household id; read as the one-row-per-member rows CSV has.

    The households sheet is read first and kept (one short row per household), then
    the members stream past. A member's household columns are taken from its
    household's row; problems of those columns name the households sheet and row.
    """

    def __init__(
        self,
        book: Any,
        households: Any,
        members: Any,
        source: str,
        headers: HeaderTable,
        on_row: Callable[[], None] | None,
    ) -> None:
        self.source = source
        self.headers = headers
        self.homes = _Sheet(book, households, HOUSEHOLDS, source, headers)
        self.people = _Sheet(book, members, HOUSEHOLDS, source, headers, on_row, members=True)
        self.group_names = [c.name for c in HOUSEHOLDS.group_columns]
        self._starts: list[int] = []
        """The members sheet's row where each household's rows start, in order ..."""
        self._home_rows: list[int] = []
        """... and that household's row on the households sheet."""
        self.problems: list[Problem] = [*self.homes.problems, *self.people.problems]
        if not self.problems:
            self._check_headers()

    def _check_headers(self) -> None:
        """Household columns on the households sheet, member columns (and the id that
        links them) on the members sheet."""
        group = set(self.group_names)
        for sheet, allowed in (
            (self.homes, group),
            (self.people, {c.name for c in HOUSEHOLDS.columns} | {"household_id"}),
        ):
            assert sheet.header is not None
            line, texts = sheet.header
            seen: set[str] = set()
            for number, (text, column) in enumerate(zip(texts, sheet.columns, strict=True), 1):
                known = self.headers.knows(HOUSEHOLDS, text.strip())
                if column is None and known:
                    continue  # a column that is not read (户主姓名)
                if column is None or column.name not in allowed:
                    expected = ", ".join(sorted(allowed))
                    shown = text.strip() if known else sheet.position(number)
                    reason = _WRONG_SHEET.format(expected=expected)
                    self.problems.append(sheet.problem(reason, line=line, field=shown))
                elif column.name in seen:
                    field = text.strip()
                    self.problems.append(sheet.problem(_TWICE, line=line, field=field))
                else:
                    seen.add(column.name)
            if "household_id" not in seen and not self.problems:
                self.problems.append(sheet.problem(_NO_ID_COLUMN, line=line, field="household_id"))

    def _homes(self) -> dict[str, tuple[int, list[str]]]:
        """Household id -> (row, the household's cells in ``group_names`` order)."""
        sheet = self.homes
        at = {c.name: i for i, c in enumerate(sheet.columns) if c is not None}
        id_at = at["household_id"]
        homes: dict[str, tuple[int, list[str]]] = {}
        for number, cells in _data_rows(sheet):
            hid_cell = cells[id_at]
            hid = hid_cell.strip()
            field = sheet.written.get("household_id", "household_id")
            if isinstance(hid_cell, RefusedCell):
                self.problems.append(sheet.problem(hid_cell.reason, line=number, field=field))
            elif not hid:
                self.problems.append(sheet.problem(_NO_ID, line=number, field=field))
            elif hid in homes:
                first = homes[hid][0]
                reason = _AGAIN.format(hid=hid, first=first)
                self.problems.append(sheet.problem(reason, line=number, field=field))
            else:
                homes[hid] = (number, [cells[at[n]] if n in at else "" for n in self.group_names])
        return homes

    def read(self, places: Places, fast_households: bool) -> Iterator[Parsed]:
        """The households, read as one-row-per-member rows; ``places`` learns where
        each problem is (the households sheet for a household column)."""
        homes = self._homes() if not self.problems else {}
        if self.problems:
            yield Parsed(self.problems[0].line or 1, None, tuple(self.problems))
            return
        people = self.people
        assert people.header is not None
        at = [i for i, c in enumerate(people.columns) if c is not None]
        names = [c.name if c is not None else "" for c in people.columns]
        link = next(i for i in at if names[i] == "household_id")
        keep = [i for i in at if i != link]
        header = [*self.group_names, *(names[i] for i in keep)]
        used: set[str] = set()
        rows = _GivenRows(
            people.header[0], header, self._joined(homes, link, keep, used), people.position
        )
        places.place = self._place
        # the rows' header is English column names; the table reads the region names
        if fast_households:
            yield from read_household_rows((), source=self.source, headers=self.headers, sheet=rows)
        else:
            yield from read_csv(
                (), HOUSEHOLDS, source=self.source, headers=self.headers, sheet=rows
            )
        lonely = [
            self.homes.problem(
                _NO_MEMBERS.format(hid=hid, sheet=people.title),
                line=row,
                field=self.homes.written.get("household_id", "household_id"),
            )
            for hid, (row, _) in homes.items()
            if hid not in used
        ]
        if lonely:
            yield Parsed(lonely[0].line or 1, None, tuple(lonely[:100]))

    def _joined(
        self,
        homes: dict[str, tuple[int, list[str]]],
        link: int,
        keep: list[int],
        used: set[str],
    ) -> Iterator[tuple[int, list[str]]]:
        """Each member row with its household's cells in front (the CSV row), and
        where each household's rows start (for :meth:`_place`)."""
        previous = None
        blanks = [""] * (len(self.group_names) - 1)
        for number, cells in self.people.rows():
            hid = cells[link].strip()
            home = homes.get(hid)
            if home is None:
                if not "".join(cells).strip():
                    yield number, []
                    continue
                refused = cells[link]
                if not isinstance(refused, RefusedCell):
                    reason = _NO_HOUSEHOLD.format(hid=hid, sheet=self.homes.title)
                    refused = RefusedCell(_MARK + hid, reason)
                group = [refused, *blanks]
            else:
                used.add(hid)
                group = [cells[link], *home[1][1:]]
                if hid != previous:
                    self._starts.append(number)
                    self._home_rows.append(home[0])
            previous = hid
            yield number, [*group, *(cells[i] for i in keep)]

    def _place(self, line: int | None, field: str | None) -> Place:
        """The sheet and row of a problem: a household column's is its household's row."""
        column = HOUSEHOLDS.column_for(field) if field else None
        starts = self._starts
        if column in self.group_names[1:] and line is not None and starts:
            at = bisect_right(starts, line) - 1
            if at >= 0:
                return self.homes.title, self._home_rows[at], self.homes.written
        return self.people.title, line, self.people.written


def _data_rows(sheet: _Sheet) -> Iterator[tuple[int, list[str]]]:
    """The non-blank rows under a sheet's header, but for a help row right under it."""
    first = True
    for number, cells in sheet.rows():
        if not "".join(cells).strip():
            continue
        if first and cells and cells[0].lstrip().startswith("#"):
            first = False
            continue
        first = False
        yield number, cells


class _GivenRows:
    """Rows given as cell lists with a header of column names (a :class:`SheetRows`)."""

    def __init__(
        self,
        line: int,
        header: list[str],
        rows: Iterator[tuple[int, list[str]]],
        position: Callable[[int], str],
    ) -> None:
        self.header: tuple[int, list[str]] | None = (line, header)
        self._rows = rows
        self._position = position

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        return self._rows

    def position(self, number: int) -> str:
        return self._position(number)


# --- writing -----------------------------------------------------------------------------


def _get(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


class _Cells:
    """Turns the values of a record into worksheet cells: neutralised text, numbers,
    dates (with a date format)."""

    def __init__(self, sheet: Any, kind: Kind) -> None:
        from openpyxl.cell import WriteOnlyCell

        self.sheet = sheet
        self.kind = kind
        self.dates = date_columns(kind)
        self.make = WriteOnlyCell

    def cell(self, column: Column, value: Any) -> Any:
        if value is None:
            return None
        if column.type is ColumnType.INTEGER and isinstance(value, int):
            return value  # a masked number is text, as in CSV
        if column.name in self.dates:
            day = datetime.combine(date.fromisoformat(str(value)), time())
            cell = self.make(self.sheet, value=day)
            cell.number_format = "yyyy-mm-dd"
            return cell
        text = column.format(value)
        return escape_text(neutralise_cell(text) if column.type is ColumnType.TEXT else text)

    def row(self, record: Mapping[str, Any], columns: Iterable[Column]) -> list[Any]:
        return [self.cell(column, _get(record, column.path)) for column in columns]


def write_xlsx(
    kind: Kind,
    records: Iterable[dict[str, Any]],
    out: IO[bytes] | str | os.PathLike[str],
    *,
    headers: str = "en",
) -> int:
    """Write JSON-form records to a workbook of one sheet (households: one row per
    member), streaming; returns how many records were written.

    ``headers="zh"`` writes the Chinese column names and sheet name. A text cell that
    a spreadsheet would run as a formula is neutralised as in CSV.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name(kind.name, headers))
    sheet.freeze_panes = "A2"
    columns = kind.all_columns()
    bold = Font(bold=True)
    titles = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=heading(kind, column, headers))
        cell.font = bold
        titles.append(cell)
    sheet.append(titles)
    cells = _Cells(sheet, kind)
    count = 0
    for record in records:
        if kind.group_columns:
            head = cells.row(record, kind.group_columns)
            for member in record.get("members", ()):
                sheet.append(head + cells.row(member, kind.columns))
        else:
            sheet.append(cells.row(record, kind.columns))
        count += 1
    book.save(out)
    return count
