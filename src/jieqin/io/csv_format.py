"""CSV: a header row naming the columns of :mod:`jieqin.io.kinds`, then one row per record.

Households are written one row per member, with the household columns
(``household_id``, ``region``, ``status_history``) repeated on every member row; the
rows of one household must be consecutive and agree on the household columns.
Empty cells mean "not given" (the model's default). Problems name the CSV column
and the physical line the row starts on.

Headers are read through a :class:`~jieqin.io.headers.HeaderTable`: the English
column names, the Chinese names of ledgers and the aliases plugins register. A row
right under the header whose first cell begins with ``#`` is a help row (templates
write one) and is skipped. The XLSX reader feeds its sheet rows through this same
reader (:class:`SheetRows`): one set of checks and messages for both.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, Protocol

from jieqin.errors import InvalidInput, InvalidValue, Problem
from jieqin.i18n import N_
from jieqin.io.cells import neutralise_cell, restore_cell
from jieqin.io.headers import STANDARD_HEADERS, HeaderTable, headings
from jieqin.io.kinds import Column, ColumnType, Kind
from jieqin.io.records import Parsed, build

__all__ = ["HELP_MARK", "RefusedCell", "SheetRows", "read_csv", "write_csv"]

HELP_MARK = "#"
"""A row right under the header whose first cell begins with this is a help row."""


class RefusedCell(str):
    """A cell a sheet reader could not turn into text (a formula, an ID number stored
    as a number): the reader refuses it with ``reason``, naming its row and column."""

    reason: str

    def __new__(cls, text: str, reason: str) -> RefusedCell:
        cell = super().__new__(cls, text)
        cell.reason = reason
        return cell


class SheetRows(Protocol):
    """Rows that are already cells (a worksheet's), to read instead of CSV text."""

    header: tuple[int, list[str]] | None
    """The header row's number and cells (``None``: the sheet is empty)."""

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """``(row number, cells)`` of the rows under the header, blank ones too."""
        ...

    def position(self, number: int) -> str:
        """How a problem names the ``number``-th column (``column E``)."""
        ...


_COLUMN_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")

#: Where a column is in a row, the column, and its cell parser (``None``: text as is).
_Step = tuple[int, Column, Callable[[str], Any] | None]


class _Rows:
    """The data rows of a CSV input with the line each starts on, checked against the header."""

    def __init__(
        self,
        lines: Iterable[str],
        kind: Kind,
        source: str,
        *,
        headers: HeaderTable | None = None,
        sheet: SheetRows | None = None,
    ) -> None:
        self.kind = kind
        self.source = source
        self.headers = headers if headers is not None else STANDARD_HEADERS
        self.sheet = sheet
        self.reader = csv.reader(lines)
        self.header_problems: list[Problem] = []
        self.columns: list[Column | None] = []
        self.written: dict[str, str] = {}
        """Column name -> its header as the input wrote it, where the two differ."""
        self.header_line = 1
        if sheet is None:
            self._read_header(self._next())
        elif sheet.header is None:
            self._read_header(None)
        else:
            self.header_line, header = sheet.header
            self._read_header(header)

    def _read_header(self, header: list[str] | None) -> None:
        at = self.header_line
        if header is None:
            self.header_problems.append(
                Problem(N_("the file is empty"), source=self.source, line=at)
            )
            return
        seen: set[str] = set()
        for number, cell in enumerate(header, start=1):
            name = cell.strip().lstrip("\ufeff")
            known, column = self.headers.lookup(self.kind, name)
            if not known:
                expected = ", ".join(c.name for c in self.kind.all_columns())
                # A header cell that is no column name may be data (a lost header line):
                # name it by position rather than repeat what it holds.
                shown = name if _COLUMN_NAME.fullmatch(name) else self._position(number)
                self.header_problems.append(
                    Problem(
                        N_("unknown column; expected: {expected}", expected=expected),
                        field=shown,
                        source=self.source,
                        line=at,
                    )
                )
            elif column is not None and column.name in seen:
                self.header_problems.append(
                    Problem(N_("column appears twice"), field=name, source=self.source, line=at)
                )
            if column is not None:
                seen.add(column.name)
                if name != column.name:
                    self.written.setdefault(column.name, name)
            self.columns.append(column)
        for id_column in self.kind.header_required():
            if not self.header_problems and id_column not in seen:
                self.header_problems.append(
                    Problem(
                        N_("required column is missing"),
                        field=id_column,
                        source=self.source,
                        line=at,
                    )
                )

    def _position(self, number: int) -> str:
        if self.sheet is not None:
            return self.sheet.position(number)
        return N_("column {number}", number=number)

    def _next(self) -> list[str] | None:
        """The next row; a row the csv module cannot read (a stray quote or carriage
        return, a cell over its size limit) is an :class:`InvalidInput` naming its line."""
        try:
            return next(self.reader, None)
        except csv.Error as exc:
            raise self._malformed(exc) from None

    def _malformed(self, exc: csv.Error) -> InvalidInput:
        line = max(self.reader.line_num, 1)
        reason = N_("malformed CSV: {error}", error=str(exc))
        return InvalidInput([Problem(reason, source=self.source, line=line)])

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        """``(line the row starts on, row)`` for each row that is not blank, but for a
        help row right under the header (its first cell begins with :data:`HELP_MARK`)."""
        first = True
        for line, row in self._all_rows():
            if row and (row[0].strip() or "".join(row).strip()):
                if first and row[0].lstrip().startswith(HELP_MARK):
                    first = False
                    continue
                first = False
                yield line, row

    def _all_rows(self) -> Iterator[tuple[int, list[str]]]:
        if self.sheet is not None:
            yield from self.sheet.rows()
            return
        reader = self.reader
        previous_end = reader.line_num
        try:
            for row in reader:
                start = previous_end + 1
                previous_end = reader.line_num
                yield start, row
        except csv.Error as exc:
            raise self._malformed(exc) from None

    def plan(self, columns: Iterable[Column]) -> list[_Step]:
        """Where each of ``columns`` is in a row, and how to parse its cells (the header
        table's way: a region column reads a registered region's name too)."""
        at = {c.name: i for i, c in enumerate(self.columns) if c is not None}
        parser = self.headers.cell_parser
        return [(at[c.name], c, parser(self.kind, c)) for c in columns if c.name in at]

    def check_width(self, row: list[str], line: int, problems: list[Problem]) -> None:
        if len(row) > len(self.columns):
            problems.append(
                Problem(
                    N_(
                        "row has {cells} cells but the header has {columns}",
                        cells=len(row),
                        columns=len(self.columns),
                    ),
                    source=self.source,
                    line=line,
                )
            )


def _put(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data.setdefault(key, {})
    data[path[-1]] = value


def _fill(
    data: dict[str, Any],
    row: list[str],
    plan: list[_Step],
    line: int,
    source: str,
    problems: list[Problem],
) -> None:
    """Put the non-empty, trimmed cells of ``row`` into ``data`` at their paths."""
    width = len(row)
    for index, column, parse in plan:
        if index >= width:
            continue
        cell = row[index]
        if cell.__class__ is not str and isinstance(cell, RefusedCell):
            problems.append(Problem(cell.reason, field=column.name, source=source, line=line))
            continue
        text = cell.strip()
        if not text:
            continue
        try:
            value = restore_cell(text) if parse is None else parse(text)
        except InvalidValue as exc:
            problems.append(Problem(exc.reason, field=column.name, source=source, line=line))
            continue
        path = column.path
        if len(path) == 1:
            data[path[0]] = value
        else:
            _put(data, path, value)


def _to_columns(parsed: Parsed, kind: Kind, lines: list[int] | None = None) -> Parsed:
    """Rename converter paths to CSV column names; move member problems to the member's line."""
    if parsed.ok:
        return parsed
    problems = []
    for problem in parsed.problems:
        field = problem.field or ""
        line = problem.line
        if lines is not None and field.startswith("members["):
            index_text, _, rest = field[len("members[") :].partition("]")
            if index_text.isdigit() and int(index_text) < len(lines):
                line = lines[int(index_text)]
                field = rest.lstrip(".") or "member_id"
        column = kind.column_for(field) if field else None
        problems.append(
            Problem(problem.reason, field=column or problem.field, source=problem.source, line=line)
        )
    return Parsed(parsed.line, None, tuple(problems))


def read_csv(
    lines: Iterable[str],
    kind: Kind,
    *,
    source: str,
    headers: HeaderTable | None = None,
    sheet: SheetRows | None = None,
    written: dict[str, str] | None = None,
) -> Iterator[Parsed]:
    """Parse CSV text (or a sheet's rows) into ``kind`` records, one :class:`Parsed` per
    record. ``written`` is filled with the headers as given, by column name, once the
    header is read (problems name columns by their English names)."""
    rows = _Rows(lines, kind, source, headers=headers, sheet=sheet)
    if written is not None:
        written.update(rows.written)
    if rows.header_problems:
        yield Parsed(rows.header_line, None, tuple(rows.header_problems))
        return
    if kind.group_columns:
        yield from _read_grouped(rows, kind, source)
        return
    plan = rows.plan(kind.columns)
    for line, row in rows:
        problems: list[Problem] = []
        rows.check_width(row, line, problems)
        data: dict[str, Any] = {}
        _fill(data, row, plan, line, source, problems)
        if problems:
            yield Parsed(line, None, tuple(problems))
        else:
            yield _to_columns(build(data, kind, source=source, line=line), kind)


class _Group:
    """The consecutive member rows of one household."""

    def __init__(self, line: int, key: tuple[str, ...], row: list[str]) -> None:
        self.line = line
        self.key = key
        self.row = row
        self.members: list[dict[str, Any]] = []
        self.lines: list[int] = []
        self.problems: list[Problem] = []


class _Grouping:
    """Gathers the rows of one household into a :class:`_Group` and builds the record.

    The reading loop decides where a household ends; this class checks each row
    (its width, its household columns against the first row's, its member cells).
    The import fast path replays a household's rows through it to report exactly
    what this reader reports.
    """

    def __init__(self, rows: _Rows, kind: Kind, source: str) -> None:
        self.rows = rows
        self.kind = kind
        self.source = source
        self.group_plan = rows.plan(kind.group_columns)
        self.member_plan = rows.plan(kind.columns)
        self.names = [column.name for _, column, _ in self.group_plan]
        self.indices = [index for index, _, _ in self.group_plan]

    def key(self, row: list[str]) -> tuple[str, ...]:
        """The row's household cells, trimmed (the household id first)."""
        width = len(row)
        return tuple(row[i].strip() if i < width else "" for i in self.indices)

    def add(
        self, group: _Group | None, line: int, row: list[str], key: tuple[str, ...], repeated: bool
    ) -> _Group:
        """Add a row to ``group``, or start a new group with it when ``group`` is None.

        ``repeated`` says that the new group's household id ended earlier in the file.
        """
        source = self.source
        names = self.names
        problems: list[Problem] = []
        self.rows.check_width(row, line, problems)
        refused = self._refused(row, line, problems)
        if group is None:
            group = _Group(line, key, row)
            if not key[0]:
                problems.append(
                    Problem(
                        N_("required field is missing"), field=names[0], source=source, line=line
                    )
                )
            elif repeated:
                problems.append(
                    Problem(
                        N_(
                            "rows of one household must be consecutive; this household "
                            "appeared earlier in the file"
                        ),
                        field=names[0],
                        source=source,
                        line=line,
                    )
                )
        elif key != group.key:
            first_row = group.row
            for name, index, mine, first in zip(names, self.indices, key, group.key, strict=True):
                if mine == first or name in refused:
                    continue
                if index < len(first_row) and isinstance(first_row[index], RefusedCell):
                    continue  # the first row's cell was refused: said there
                problems.append(
                    Problem(
                        N_("differs from the household's first row (line {line})", line=group.line),
                        field=name,
                        source=source,
                        line=line,
                    )
                )
        member: dict[str, Any] = {}
        _fill(member, row, self.member_plan, line, source, problems)
        group.members.append(member)
        group.lines.append(line)
        group.problems.extend(problems)
        return group

    def _refused(self, row: list[str], line: int, problems: list[Problem]) -> set[str]:
        """The household columns of ``row`` a sheet reader refused, each a problem."""
        refused = set()
        width = len(row)
        for index, column, _ in self.group_plan:
            cell = row[index] if index < width else ""
            if isinstance(cell, RefusedCell):
                problems.append(
                    Problem(cell.reason, field=column.name, source=self.source, line=line)
                )
                refused.add(column.name)
        return refused

    def finish(self, group: _Group) -> Parsed:
        """The household record of ``group``, or its problems."""
        return _finish(group, self.kind, self.group_plan, self.source)

    def replay(self, rows: Iterable[tuple[int, list[str]]], repeated: bool) -> Parsed:
        """The record of one household's ``(line, row)`` pairs, as :func:`read_csv` makes it."""
        group: _Group | None = None
        for line, row in rows:
            group = self.add(group, line, row, self.key(row), repeated and group is None)
        assert group is not None
        return self.finish(group)


def _read_grouped(rows: _Rows, kind: Kind, source: str) -> Iterator[Parsed]:
    grouping = _Grouping(rows, kind, source)
    finished: set[str] = set()
    group: _Group | None = None
    for line, row in rows:
        key = grouping.key(row)
        if group is not None and key[0] != group.key[0]:
            finished.add(group.key[0])
            yield grouping.finish(group)
            group = None
        repeated = group is None and key[0] in finished
        group = grouping.add(group, line, row, key, repeated)
    if group is not None:
        yield grouping.finish(group)


def _finish(group: _Group, kind: Kind, plan: list[_Step], source: str) -> Parsed:
    if group.problems:
        return Parsed(group.line, None, tuple(group.problems))
    data: dict[str, Any] = {"members": group.members}
    _fill(data, group.row, plan, group.line, source, group.problems)
    if group.problems:
        return Parsed(group.line, None, tuple(group.problems))
    parsed = build(data, kind, source=source, line=group.line)
    return _to_columns(parsed, kind, group.lines)


def _cell(column: Column, value: Any) -> str:
    """The cell of ``value``; a text cell that a spreadsheet would run as a formula is
    neutralised (:func:`jieqin.io.cells.neutralise_cell`), a number is left a number."""
    text = column.format(value)
    return neutralise_cell(text) if column.type is ColumnType.TEXT else text


def write_csv(
    kind: Kind, records: Iterable[dict[str, Any]], out: IO[str], *, headers: str = "en"
) -> int:
    """Write JSON-form records as CSV rows (households: one row per member).

    Text cells beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    get a leading ``'`` (the reader takes it off again: export then import is exact).
    ``headers="zh"`` writes the Chinese column names (:mod:`jieqin.io.headers`).
    """
    minimal = csv.writer(out, lineterminator="\n")
    # a lone carriage return is no line end to the writer, so it would go unquoted and
    # the reader would refuse the file: a row holding one is written fully quoted
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def write(row: list[str]) -> None:
        (quoted if "\r" in "".join(row) else minimal).writerow(row)

    write(headings(kind, kind.all_columns(), headers))
    cells = _cells(kind.columns)
    count = 0
    for record in records:
        if kind.group_columns:
            head = [_cell(c, _get(record, c.path)) for c in kind.group_columns]
            for member in record.get("members", ()):
                write(head + cells(member))
        else:
            write(cells(record))
        count += 1
    return count


def _cells(columns: tuple[Column, ...]) -> Callable[[dict[str, Any]], list[str]]:
    """What :func:`_cell` makes of each of ``columns`` in a record, planned once (a
    household export writes millions of member rows)."""
    plan = [(c.path[0], c.path[1:], c.type is ColumnType.TEXT, c) for c in columns]

    def cells(record: dict[str, Any]) -> list[str]:
        row = []
        for key, rest, text, column in plan:
            value = record.get(key)
            if rest:
                value = _get(value, rest) if isinstance(value, dict) else None
            if value is None:
                row.append("")
            elif text:
                row.append(neutralise_cell(value if type(value) is str else str(value)))
            else:
                row.append(column.format(value))
        return row

    return cells


def _get(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value
