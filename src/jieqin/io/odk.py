"""Submissions of the ODK / KoboToolbox forms of :mod:`jieqin.forms`, imported as records.

A form's submission export (CSV or XLSX, as ODK Central or KoboToolbox write it) is
read into tables of cell texts, its columns matched to the form's fields through
:data:`MAPPINGS`, and each submission turned into the ordinary needs or activities
records. These go through the one import path (:func:`jieqin.io.importer.load_records`,
the repository's ``upsert_many`` and the write checks of
:mod:`jieqin.services.checks`): all or nothing, and a problem names the submission's
file, sheet (in a workbook), row and column as written in the export.

Columns
    A column is known by its last name: ``household/household_id`` (Kobo),
    ``household-household_id`` (ODK Central) and ``household_id`` are the same field;
    ``meta-instanceID`` and ``meta/instanceID`` are ``instanceID``. Columns the
    mapping does not name (``SubmissionDate``, ``SubmitterName``, ``_status``, Kobo's
    one-column-per-choice of a multiple choice...) are left alone.
Submission ids
    ``KEY`` (ODK Central), else ``meta/rootUuid``, ``meta/instanceID``, ``_uuid``
    (KoboToolbox), with ``uuid:`` taken off. Record ids are derived from them: a
    need is ``odk:<submission>:<member entry>:<need kind>``, an activity
    ``odk:<submission>`` (hashed when longer than an id may be), so importing the
    same submissions again finds the same records.
Repeat groups
    The survey's ``members`` entries are in their own sheet of the workbook (named
    ``members``, or the other sheet that links to the submissions) or their own file
    (``repeat=``), linked by ``PARENT_KEY`` to the submission's ``KEY`` (ODK Central;
    the entry's ``KEY`` ends in ``[n]``, its place) or by ``_parent_index`` to the
    submission's ``_index`` (KoboToolbox; the place is the entry's order).
Importing again
    A record equal to the stored one is not written (no audit entry): re-importing
    the same export changes nothing. A submission edited since (same id, other
    answers) updates its records through the same write path, audited; what jieqin
    itself decided about them (a need's status, route and resolution, an activity's
    void) is kept. A need kind taken out of an edited submission leaves its need as
    it is (nothing is deleted; close it). Exports are read whole (a campaign's
    survey is thousands of rows, not millions).
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import attrs
from attrs import frozen

from jieqin.errors import InvalidInput, InvalidValue, Problem
from jieqin.forms import FORMS, NEEDS_SURVEY, VISIT_LOG
from jieqin.io.csv_format import RefusedCell
from jieqin.io.importer import DEFAULT_MAX_ERRORS, format_for, load_records
from jieqin.io.kinds import ACTIVITIES, NEEDS, Kind
from jieqin.io.records import Parsed, build
from jieqin.io.text import AUTO, read_lines
from jieqin.model import Activity, Need, Period, period_containing
from jieqin.rules.ids import stable_id

__all__ = ["MAPPINGS", "FormMapping", "SubmissionsResult", "import_submissions", "load"]

# --- what the reader says (one place for its messages) ---------------------------------

_UNKNOWN_FORM = "unknown form {form!r}; expected one of: {forms}"
_NO_COLUMN = "required column is missing (the form's field {field!r})"
_TWICE = "columns {first!r} and {second!r} both hold the form's field {field!r}"
_NO_ID_COLUMN = "no submission id column: the export needs KEY, meta/instanceID or _uuid"
_NO_ID = "the submission has no id"
_AGAIN = "submission {sid!r} appears again; it was first given on row {first}"
_EMPTY = "the file is empty"
_MALFORMED = "is not well-formed CSV ({error})"
_NO_REPEAT = (
    "the survey's member entries are missing: import the workbook with its members "
    "sheet, or give the members file (--repeat FILE)"
)
_NO_LINK = "the member entries need a PARENT_KEY (ODK Central) or _parent_index (KoboToolbox)"
_NO_PARENT = "no submission {key!r} in {source}"
_NOT_A_DATE = "{text!r} is not a date (YYYY-MM-DD)"
_REQUIRED = "required field is missing"

_ID_COLUMNS = ("key", "rootuuid", "instanceid", "_uuid")
_PLACE = re.compile(r"\[(\d+)\]$")


@frozen
class FormMapping:
    """How one form's fields become the fields of a record kind.

    ``main`` and ``repeat`` map a record field to the form field (the column's last
    name) on the submission's row and on its repeat entry's row.
    """

    form: str
    kind: Kind
    main: Mapping[str, str]
    repeat_group: str | None = None
    repeat: Mapping[str, str] = attrs.field(factory=dict)
    dates: frozenset[str] = frozenset()
    """The form fields that hold a date (a workbook cell may be typed as one)."""


MAPPINGS: Mapping[str, FormMapping] = {
    NEEDS_SURVEY: FormMapping(
        NEEDS_SURVEY,
        NEEDS,
        main={"household_id": "household_id", "raised_on": "survey_date"},
        repeat_group="members",
        repeat={"member_id": "member_id", "kind": "needs", "note": "note"},
        dates=frozenset({"survey_date"}),
    ),
    VISIT_LOG: FormMapping(
        VISIT_LOG,
        ACTIVITIES,
        main={
            "helper_id": "helper_id",
            "household_id": "household_id",
            "kind": "activity_kind",
            "on": "day",
            "note": "note",
        },
        dates=frozenset({"day"}),
    ),
}
"""The mapping of each shipped form (:data:`jieqin.forms.FORMS`)."""

_OPTIONAL = frozenset({"member_id", "note"})


@frozen
class SubmissionsResult:
    """What an import of submissions did: ``records`` read, ``written`` new or changed."""

    form: str
    kind: str
    source: str
    submissions: int
    records: int
    written: int

    @property
    def unchanged(self) -> int:
        return self.records - self.written


# --- tables of cell texts ----------------------------------------------------------------


def _name(header: str) -> str:
    """A column's field name: its last part after a group prefix, case-folded."""
    last = header.strip().replace("-", "/").rsplit("/", 1)[-1]
    return last.casefold()


@frozen
class _Table:
    """One sheet or CSV file: its header, its rows by row number, columns by field name."""

    source: str
    sheet: str | None
    header: list[str]
    rows: list[tuple[int, list[str]]]

    def problem(self, reason: str, row: int | None, column: str | None = None) -> Problem:
        return Problem(reason, field=column, source=self.source, line=row, sheet=self.sheet)

    def column(self, field: str) -> int | None:
        """The index of the column holding ``field``; :class:`InvalidInput` if two do."""
        found = [i for i, h in enumerate(self.header) if _name(h) == field.casefold()]
        if len(found) > 1:
            first, second = self.header[found[0]], self.header[found[1]]
            reason = _TWICE.format(first=first, second=second, field=field)
            raise InvalidInput([self.problem(reason, 1)])
        return found[0] if found else None

    def columns(self, fields: Mapping[str, str]) -> dict[str, int]:
        """Record field -> column index for ``fields``; a required one missing is refused."""
        out: dict[str, int] = {}
        problems = []
        for attribute, field in fields.items():
            index = self.column(field)
            if index is not None:
                out[attribute] = index
            elif attribute not in _OPTIONAL:
                problems.append(self.problem(_NO_COLUMN.format(field=field), 1, field))
        if problems:
            raise InvalidInput(problems)
        return out


def _given(value: object) -> bool:
    return value is not None and bool(str(value).strip())


def _delimiter(header: str) -> str:
    """``,`` (ODK Central), ``;`` (KoboToolbox's CSV) or a tab: the most common in the header."""
    return max((",", ";", "\t"), key=header.count)


def _csv_table(path: Path, encoding: str) -> _Table:
    source = path.name
    lines = read_lines(path, encoding=encoding, source=source)
    first = next(lines, None)
    if first is None or not first.strip():
        raise InvalidInput([Problem(_EMPTY, source=source)])

    def all_lines() -> Iterator[str]:
        yield first
        yield from lines

    reader = csv.reader(all_lines(), delimiter=_delimiter(first))
    rows: list[tuple[int, list[str]]] = []
    try:
        header = next(reader)
        start = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        reason = _MALFORMED.format(error=exc)
        raise InvalidInput([Problem(reason, source=source, line=reader.line_num)]) from None
    return _Table(source, None, header, rows)


def _sheet_table(book: Any, sheet: Any, source: str, dates: frozenset[str]) -> _Table | None:
    """One sheet (``None`` if blank), its cells as the workbook reader makes them text:
    a date cell of a date field is its day; a formula or an Excel error is refused."""
    from jieqin.io import xlsx_format as xf

    rows = [(n, c) for n, c in xf._sheet_cells(sheet) if any(_given(v) for v, _ in c)]
    if not rows:
        return None
    (_, head), body = rows[0], rows[1:]
    header = ["" if value is None else str(value) for value, _ in head]
    rules = [xf._Rule.DATE if _name(h) in dates else xf._Rule.TEXT for h in header]

    def text(index: int, value: Any, kind: str) -> str:
        rule = rules[index] if index < len(rules) else xf._Rule.TEXT
        return "" if value is None else xf._cell_text(value, kind, rule, book.epoch)

    texts = [(n, [text(i, v, k) for i, (v, k) in enumerate(c)]) for n, c in body]
    return _Table(source, str(sheet.title), header, texts)


def _xlsx_tables(path: Path, dates: frozenset[str]) -> list[_Table]:
    """Every sheet of the workbook that is not blank."""
    from jieqin.io import xlsx_format as xf

    source = path.name
    book, handle = xf._open(path, source)
    try:
        tables = [_sheet_table(book, sheet, source, dates) for sheet in book.worksheets]
    finally:
        book.close()
        handle.close()
    found = [t for t in tables if t is not None]
    if not found:
        raise InvalidInput([Problem(_EMPTY, source=source)])
    return found


def _tables(path: Path, mapping: FormMapping, encoding: str) -> list[_Table]:
    if format_for(path) == "xlsx":
        return _xlsx_tables(path, mapping.dates)
    if format_for(path) == "csv":
        return [_csv_table(path, encoding)]
    raise InvalidValue(f"{path.name!r}: a submission export is CSV or XLSX", field="format")


def _is_repeat(table: _Table) -> bool:
    return any(_name(h) in ("parent_key", "_parent_index") for h in table.header)


def _main_and_repeat(
    path: Path, repeat: Path | None, mapping: FormMapping, encoding: str
) -> tuple[_Table, _Table | None]:
    """The submissions' table and, for a form with a repeat group, its entries' table."""
    tables = _tables(path, mapping, encoding)
    main = next((t for t in tables if not _is_repeat(t)), tables[0])
    if mapping.repeat_group is None:
        return main, None
    if repeat is not None:
        return main, _tables(repeat, mapping, encoding)[0]
    group = mapping.repeat_group.casefold()
    named = [t for t in tables if t is not main and (t.sheet or "").casefold() == group]
    linked = [t for t in tables if t is not main and _is_repeat(t)]
    if not named and not linked:
        raise InvalidInput([main.problem(_NO_REPEAT, None)])
    return main, (named or linked)[0]


# --- submissions and their entries -------------------------------------------------------


@frozen
class _Row:
    """One row of a table, with the columns of the record fields it holds."""

    table: _Table
    number: int
    cells: list[str]
    columns: Mapping[str, int]

    def text(self, attribute: str, problems: list[Problem]) -> str:
        """The stripped cell of ``attribute`` (empty if the column is absent); a
        required one left empty, or a refused cell, is added to ``problems``."""
        index = self.columns.get(attribute)
        cell = self.cells[index] if index is not None and index < len(self.cells) else ""
        if isinstance(cell, RefusedCell):
            problems.append(Problem(cell.reason, field=attribute))
            return ""
        if not cell.strip() and attribute not in _OPTIONAL:
            problems.append(Problem(_REQUIRED, field=attribute))
        return cell.strip()

    def day(self, attribute: str, problems: list[Problem]) -> date | None:
        """The date of ``attribute``; a timestamp (``2021-03-15T08:12:33Z``) is its day."""
        text = self.text(attribute, problems)
        if not text:
            return None
        try:
            return date.fromisoformat(text[:10] if text[10:11] in ("T", " ") else text)
        except ValueError:
            problems.append(Problem(_NOT_A_DATE.format(text=text), field=attribute))
            return None

    def problem(self, reason: str, attribute: str | None) -> Problem:
        index = self.columns.get(attribute) if attribute is not None else None
        column = self.table.header[index] if index is not None else attribute
        return self.table.problem(reason, self.number, column)


@frozen
class _Submission:
    row: _Row
    sid: str
    links: frozenset[str]
    """What the repeat entries name it by: its ``KEY`` and its ``_index``."""


def _cell(cells: Sequence[str], index: int | None) -> str:
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _submissions(table: _Table, columns: Mapping[str, int]) -> list[_Submission]:
    """The submissions of the main table, each once, with its id (``uuid:`` taken off)."""
    id_index = next((i for n in _ID_COLUMNS if (i := table.column(n)) is not None), None)
    if id_index is None:
        raise InvalidInput([table.problem(_NO_ID_COLUMN, 1)])
    link_columns = [table.column("KEY"), table.column("_index")]
    first: dict[str, int] = {}
    problems: list[Problem] = []
    out: list[_Submission] = []
    for number, cells in table.rows:
        sid = _cell(cells, id_index).removeprefix("uuid:")
        column = table.header[id_index]
        if not sid:
            problems.append(table.problem(_NO_ID, number, column))
            continue
        if first.setdefault(sid, number) != number:
            reason = _AGAIN.format(sid=sid, first=first[sid])
            problems.append(table.problem(reason, number, column))
            continue
        links = frozenset(_cell(cells, i) for i in link_columns) - {""}
        out.append(_Submission(_Row(table, number, cells, columns), sid, links))
    if problems:
        raise InvalidInput(problems)
    return out


def _entries(
    table: _Table, columns: Mapping[str, int], submissions: Sequence[_Submission], main: _Table
) -> dict[str, list[tuple[int, _Row]]]:
    """Each submission's repeat entries with their place (1, 2, ...), by submission id."""
    link = table.column("PARENT_KEY")
    if link is None:
        link = table.column("_parent_index")
    if link is None:
        raise InvalidInput([table.problem(_NO_LINK, 1)])
    own_key = table.column("KEY")
    by_link = {value: s for s in submissions for value in s.links}
    out: dict[str, list[tuple[int, _Row]]] = {}
    problems: list[Problem] = []
    for number, cells in table.rows:
        value = _cell(cells, link)
        parent = by_link.get(value)
        if parent is None:
            reason = _NO_PARENT.format(key=value, source=main.source)
            problems.append(table.problem(reason, number, table.header[link]))
            continue
        entries = out.setdefault(parent.sid, [])
        place = _PLACE.search(_cell(cells, own_key))
        entries.append(
            (
                int(place.group(1)) if place else len(entries) + 1,
                _Row(table, number, cells, columns),
            )
        )
    if problems:
        raise InvalidInput(problems)
    return out


# --- records -----------------------------------------------------------------------------

#: What one record is made of: its JSON form (or its problems), and the rows it came from.
_Made = tuple[dict[str, Any] | list[Problem], tuple[_Row, ...]]


def _survey_needs(
    submission: _Submission, entries: Sequence[tuple[int, _Row]], period: Period | None
) -> Iterator[_Made]:
    """The needs of one survey submission: one per member entry and need kind chosen."""
    main = submission.row
    problems: list[Problem] = []
    household = main.text("household_id", problems)
    day = main.day("raised_on", problems)
    if problems or day is None:
        yield problems, (main,)
        return
    for place, entry in entries:
        found: list[Problem] = []
        kinds = list(dict.fromkeys(entry.text("kind", found).split()))
        member, note = entry.text("member_id", found), entry.text("note", found)
        if found:
            yield found, (entry, main)
            continue
        for kind in kinds:
            data = {
                "need_id": stable_id("odk", submission.sid, str(place), kind),
                "household_id": household,
                "member_id": member or None,
                "kind": kind,
                "period": str(period or period_containing(day, "quarter")),
                "source": "survey",
                "raised_on": day.isoformat(),
                "note": note,
            }
            yield data, (entry, main)


def _visit(submission: _Submission) -> _Made:
    """The activity of one visit-log submission."""
    row = submission.row
    problems: list[Problem] = []
    data: dict[str, Any] = {"activity_id": stable_id("odk", submission.sid)}
    for attribute in ("helper_id", "household_id", "kind", "note"):
        data[attribute] = row.text(attribute, problems)
    day = row.day("on", problems)
    data["on"] = day.isoformat() if day is not None else None
    return (problems if problems else data), (row,)


def _made(
    path: Path, repeat: Path | None, mapping: FormMapping, period: Period | None, encoding: str
) -> tuple[str, int, Iterator[_Made]]:
    """The export's name, its number of submissions and the records it makes."""
    main, entries_table = _main_and_repeat(path, repeat, mapping, encoding)
    submissions = _submissions(main, main.columns(mapping.main))
    if entries_table is None:
        return main.source, len(submissions), (_visit(s) for s in submissions)
    columns = entries_table.columns(mapping.repeat)
    entries = _entries(entries_table, columns, submissions, main)

    def needs() -> Iterator[_Made]:
        for submission in submissions:
            yield from _survey_needs(submission, entries.get(submission.sid, []), period)

    return main.source, len(submissions), needs()


def _relocated(problem: Problem, origins: Sequence[tuple[_Row, ...]]) -> Problem:
    """``problem`` of record number ``problem.line`` at its file, sheet, row and column."""
    if problem.line is None or not 0 < problem.line <= len(origins):
        return problem
    rows = origins[problem.line - 1]
    for row in rows:
        if problem.field in row.columns:
            return row.problem(problem.reason, problem.field)
    return rows[0].problem(problem.reason, problem.field)


def _kept(old: Any, new: Any) -> Any:
    """``new`` with what jieqin decided about the stored ``old`` kept (status, void)."""
    if old is None:
        return new
    if isinstance(new, Need):
        return attrs.evolve(
            new,
            status=old.status,
            route=old.route,
            resolved_on=old.resolved_on,
            resolved_by=old.resolved_by,
            unrouted_reason=old.unrouted_reason,
        )
    if isinstance(new, Activity):
        return attrs.evolve(
            new, voided_on=old.voided_on, void_reason=old.void_reason, voided_by=old.voided_by
        )
    return new


def _changed_only(repository: Any, spec: Kind, written: list[int]) -> Callable[[list[Any]], None]:
    """A writer that upserts the records of a batch that differ from the stored ones
    (``written`` counts them); the write checks' places are those of the batch."""

    def write(batch: list[Any], /) -> None:
        stored = repository.find_many(spec.key(r) for r in batch)
        merged = [_kept(stored.get(spec.key(r)), r) for r in batch]
        changed = [(i, r) for i, r in enumerate(merged, 1) if stored.get(spec.key(r)) != r]
        if not changed:
            return
        try:
            repository.upsert_many([r for _, r in changed])
        except InvalidInput as exc:
            raise exc.located(None, [i for i, _ in changed]) from None
        written.append(len(changed))

    return write


def _form_mapping(form: str) -> FormMapping:
    if form not in MAPPINGS:
        reason = _UNKNOWN_FORM.format(form=form, forms=", ".join(FORMS))
        raise InvalidValue(reason, field="form")
    return MAPPINGS[form]


def load(
    uow: Any,
    path: str | os.PathLike[str],
    form: str,
    *,
    repeat: str | os.PathLike[str] | None = None,
    period: Period | None = None,
    encoding: str = AUTO,
    report_errors: bool = False,
    max_errors: int = DEFAULT_MAX_ERRORS,
) -> SubmissionsResult:
    """Import the submission export ``path`` of ``form`` into the open unit of work.

    ``repeat``: the file of the repeat group's entries (an ODK Central CSV export);
    a workbook holds them in a sheet. ``period``: the needs' period (default: the
    quarter of each survey day). Records equal to the stored ones are not written.
    """
    mapping = _form_mapping(form)
    spec = mapping.kind
    source, count, made = _made(
        Path(path), None if repeat is None else Path(repeat), mapping, period, encoding
    )
    origins: list[tuple[_Row, ...]] = []

    def parsed() -> Iterator[Parsed]:
        for data, rows in made:
            origins.append(rows)
            line = len(origins)
            if isinstance(data, list):
                yield Parsed(line, None, tuple(attrs.evolve(p, line=line) for p in data))
            else:
                yield build(data, spec, source=source, line=line)

    written: list[int] = []

    def check(batch: list[Any], /) -> Sequence[Problem]:
        return list(uow.problems(spec.repository, batch))

    try:
        records = load_records(
            parsed(),
            _changed_only(getattr(uow, spec.repository), spec, written),
            report_errors=report_errors,
            max_errors=max_errors,
            source=source,
            check=check,
        )
    except InvalidInput as exc:
        problems = [_relocated(p, origins) for p in exc.problems]
        raise InvalidInput(problems, truncated=exc.truncated) from None
    return SubmissionsResult(form, spec.name, source, count, records, sum(written))


def import_submissions(
    target: Any,
    path: str | os.PathLike[str],
    form: str,
    *,
    actor: str = "jieqin",
    repeat: str | os.PathLike[str] | None = None,
    period: Period | None = None,
    encoding: str = AUTO,
    report_errors: bool = False,
    max_errors: int = DEFAULT_MAX_ERRORS,
) -> SubmissionsResult:
    """Import a submission export of ``form`` in one unit of work of ``target`` (a
    :class:`~jieqin.Campaign`, whose units of work carry the write checks); commits
    only when every record is good, as :func:`jieqin.io.importer.import_file`."""
    with target.unit_of_work(actor=actor) as uow:
        result = load(
            uow,
            path,
            form,
            repeat=repeat,
            period=period,
            encoding=encoding,
            report_errors=report_errors,
            max_errors=max_errors,
        )
        uow.commit()
    return result
