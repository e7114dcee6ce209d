"""The households CSV fast path: from cells straight to storage rows, no model objects.

An import of households spends most of its time building and validating
:class:`~jieqin.model.Household` objects it then only takes apart again into table
rows. This reader checks the cells of one household's rows directly and builds the
rows of the ``households``, ``household_members`` and ``household_status`` tables
(the storage-neutral rows of :mod:`jieqin.storage.rows`), which every backend's
``households.upsert_rows`` takes.

Every check is the model's own, made cheap:

- values that repeat across a file (region codes, status histories, birth dates)
  are validated once per distinct cell text, by the converter and the model's
  validators themselves, and the answer is remembered for the file;
- a member's code cells (sex, relation, health condition, disability grade, school
  level and year, employment) are checked once per distinct combination: against
  the enums' values (a ledger's Chinese words for them, 男 or 户主, read as those
  codes), and the numbers by the model's validators;
- ids, names and phone numbers use the model's patterns and limits; a resident ID's
  check character is stdnum's (tabled by remainder), its birth place is asked once
  per (place, year), and its embedded birth date must spell the member's birth date.

The fast path only ever *accepts*. A household it has any doubt about (a bad value,
an unusual spelling such as ``+3`` for a grade, a short row, a repeated id) is
replayed through the ordinary CSV reader, which builds the model object or reports
the exact problems it always has. So the same files are accepted and rejected, with
the same messages, and an accepted household yields the same rows either way (the
property tests in ``tests/test_import_fast_path.py`` hold the two paths together).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from enum import StrEnum
from operator import itemgetter
from typing import Any, Generic, TypeVar

import attrs
from cattrs.errors import BaseValidationError
from stdnum.cn.ric import calc_check_digit

from jieqin.errors import JieqinError
from jieqin.io.converter import INT_RANGE, converter
from jieqin.io.csv_format import RefusedCell, SheetRows, _Grouping, _Rows
from jieqin.io.headers import HeaderTable
from jieqin.io.kinds import HOUSEHOLDS, _parse_history
from jieqin.io.records import Parsed
from jieqin.io.region_names import RegionNames
from jieqin.io.values import code_of
from jieqin.model import Household, Member, RegionCode, Schooling
from jieqin.model._fields import ID_PATTERN, MAX_TEXT, PHONE_PATTERN
from jieqin.model.identity import birth_place_known
from jieqin.model.people import (
    EmploymentStatus,
    HealthCondition,
    Relation,
    SchoolLevel,
    Sex,
    StatusChange,
)
from jieqin.storage.rows import HouseholdRows

__all__ = ["HouseholdRecord", "read_household_rows"]

Row = tuple[Any, ...]
K = TypeVar("K")
V = TypeVar("V")

#: The CSV columns the fast path reads one by one, in the order it unpacks them.
_COLUMNS = (
    "household_id",
    "region",
    "status_history",
    "member_id",
    "name",
    "birth_date",
    "resident_id",
    "diagnosis",
    "school_institution",
    "phone",
)
#: The member columns of codes and small numbers, checked together (see ``_codes``).
_CODE_COLUMNS = (
    "sex",
    "relation",
    "health_condition",
    "disability_grade",
    "school_level",
    "school_year_of_entry",
    "employment",
)
_ALL_COLUMNS = _COLUMNS + _CODE_COLUMNS

_SEXES = frozenset(e.value for e in Sex)
_RELATIONS = frozenset(e.value for e in Relation)
_CONDITIONS = frozenset(e.value for e in HealthCondition)
_LEVELS = frozenset(e.value for e in SchoolLevel)
_EMPLOYMENTS = frozenset(e.value for e in EmploymentStatus)
_HEAD = Relation.HEAD.value
_HEALTHY = HealthCondition.HEALTHY.value
_FARMING = EmploymentStatus.FARMING.value
_NO: Any = object()
"""What a memo gives for a cell the fast path declines."""

_HOUSEHOLD_FIELDS = attrs.fields(Household)
_MEMBER_FIELDS = attrs.fields(Member)
_SCHOOLING_FIELDS = attrs.fields(Schooling)


class _Memo(dict[K, V], Generic[K, V]):
    """A dict that computes a missing entry once with ``compute`` (one per distinct cell)."""

    def __init__(self, compute: Callable[[K], V]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key: K) -> V:
        value = self[key] = self.compute(key)
        return value


def _region(cell: str, names: RegionNames) -> str | None:
    """The code of a household's region cell (a code, or a registered region's name),
    or ``None`` if the model would refuse it."""
    text = cell.strip()
    if not text:
        return None
    try:
        text = names.code(text)
        region = converter.structure(text, RegionCode)
        _HOUSEHOLD_FIELDS.region.validator(None, _HOUSEHOLD_FIELDS.region, region)  # type: ignore[misc]
    except (BaseValidationError, JieqinError, ValueError, TypeError):
        return None
    return region.code


def _history(cell: str) -> tuple[tuple[str, date], ...] | None:
    """``(status, since)`` per entry of a status-history cell, or ``None`` if refused."""
    text = cell.strip()
    if not text:
        return None
    try:
        changes = converter.structure(_parse_history(text), tuple[StatusChange, ...])
        _HOUSEHOLD_FIELDS.status_history.validator(  # type: ignore[misc]
            None, _HOUSEHOLD_FIELDS.status_history, changes
        )
    except (BaseValidationError, JieqinError, ValueError, TypeError, KeyError):
        return None
    if any(change.note for change in changes):  # pragma: no cover - the CSV has no note
        return None
    return tuple((change.status, change.since) for change in changes)


def _birth_date(cell: str) -> tuple[date, str] | None:
    """A birth-date cell's date and its ``YYYYMMDD`` spelling, or ``None`` if refused."""
    text = cell.strip()
    if not text:
        return None
    try:
        day = converter.structure(text, date)
        _MEMBER_FIELDS.birth_date.validator(None, _MEMBER_FIELDS.birth_date, day)  # type: ignore[misc]
    except (JieqinError, ValueError, TypeError):
        return None
    return day, f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _whole(text: str) -> int | None:
    """Plain ASCII digits in the converter's range as an int, else ``None`` (doubt)."""
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if number in INT_RANGE else None


def _validated_number(cell: str, field: Any) -> Any:
    """An optional whole-number cell as stored (``None`` when empty), checked by the
    model's validator of ``field``; ``_NO`` when in doubt."""
    text = cell.strip()
    if not text:
        return None
    number = _whole(text)
    if number is None:
        return _NO
    try:
        field.validator(None, field, number)
    except (JieqinError, ValueError, TypeError):
        return _NO
    return number


def _school_year(cell: str) -> Any:
    """A year-of-entry cell as stored (``None`` when empty), or ``_NO``."""
    return _validated_number(cell, _SCHOOLING_FIELDS.year_of_entry)


def _grade(cell: str) -> Any:
    """A disability-grade cell as stored (``None`` when empty), or ``_NO``."""
    return _validated_number(cell, _MEMBER_FIELDS.disability_grade)


def _choice(cell: str, vocabulary: type[StrEnum], values: frozenset[str], default: Any) -> Any:
    """A cell of a closed vocabulary: its code (a ledger's Chinese word for it too),
    ``default`` when empty, else ``_NO``."""
    text = cell.strip()
    if not text:
        return default
    code = code_of(vocabulary, text)
    return code if code in values else _NO


def _codes(cells: tuple[str, ...]) -> tuple[Any, ...] | None:
    """The stored values of a member's ``_CODE_COLUMNS`` cells, or ``None`` if in doubt.

    These cells take few distinct values, so whole combinations repeat across a file
    and each is checked once.
    """
    sex_cell, relation_cell, condition_cell, grade_cell, level_cell, year_cell, job_cell = cells
    values = (
        _choice(sex_cell, Sex, _SEXES, _NO),
        _choice(relation_cell, Relation, _RELATIONS, _HEAD),
        _choice(condition_cell, HealthCondition, _CONDITIONS, _HEALTHY),
        _grade(grade_cell),
        _choice(level_cell, SchoolLevel, _LEVELS, None),
        _school_year(year_cell),
        _choice(job_cell, EmploymentStatus, _EMPLOYMENTS, _FARMING),
    )
    if any(value is _NO for value in values):
        return None
    level, year = values[4], values[5]
    if (level is None) is not (year is None):
        return None  # schooling needs a level and a year of entry
    return values


def _check_characters() -> tuple[str, ...]:
    """The check character of a resident ID by ``int(first 17 digits, 13) % 11``.

    stdnum's ``calc_check_digit`` (ISO 7064 MOD 11-2) depends on the first 17 digits
    only through that remainder, so asking it once per remainder gives a table.
    """
    table: dict[int, str] = {}
    n = 0
    while len(table) < 11:
        digits = str(n).rjust(17, "0")
        table.setdefault(int(digits, 13) % 11, calc_check_digit(digits + "0"))
        n += 1
    return tuple(table[r] for r in range(11))


_CHECK_CHARACTER = _check_characters()


def _place_known(first10: str) -> bool:
    """Whether a resident ID starting with ``first10`` (place, birth year) has a known place."""
    return birth_place_known(first10[:6], int(first10[6:10]))


#: A household read by the fast path: the rows storage keeps (see :mod:`jieqin.storage.rows`).
HouseholdRecord = HouseholdRows


class _FastHouseholds:
    """Validates one household's rows and builds its storage rows, or declines."""

    def __init__(self, at: dict[str, int], width: int, names: RegionNames) -> None:
        self.at = tuple(at[name] for name in _COLUMNS)
        self.width = width
        self.regions: _Memo[str, str | None] = _Memo(lambda cell: _region(cell, names))
        self.histories = _Memo(_history)
        self.births = _Memo(_birth_date)
        self.places = _Memo(_place_known)
        self.codes = _Memo(_codes)
        self.pick_codes = itemgetter(*(at[name] for name in _CODE_COLUMNS))

    def record(self, rows: list[tuple[int, list[str]]]) -> HouseholdRows | None:
        """The household of ``rows`` (consecutive, one household id), or ``None`` if in doubt."""
        (
            i_hid,
            i_region,
            i_history,
            i_mid,
            i_name,
            i_birth,
            i_rid,
            i_diagnosis,
            i_institution,
            i_phone,
        ) = self.at
        width = self.width
        first = rows[0][1]
        if len(first) != width:
            return None
        hid = first[i_hid].strip()
        if not ID_PATTERN.match(hid):
            return None
        region = self.regions[first[i_region]]
        history = self.histories[first[i_history]]
        if region is None or history is None:
            return None
        hid_cell, region_cell, history_cell = first[i_hid], first[i_region], first[i_history]
        births, places, codes, pick_codes = self.births, self.places, self.codes, self.pick_codes
        id_match, phone_match = ID_PATTERN.match, PHONE_PATTERN.fullmatch
        members: list[Row] = []
        heads = 0
        for position, (_, row) in enumerate(rows):
            if len(row) != width:
                return None
            if position and (
                row[i_hid] != hid_cell
                or row[i_region] != region_cell
                or row[i_history] != history_cell
            ):
                return None
            mid = row[i_mid].strip()
            if not id_match(mid):
                return None
            name = row[i_name].strip()
            if not name or len(name) > MAX_TEXT or name[0] == "'":
                return None  # a leading quote may be export's formula guard: the slow path
            born = births[row[i_birth]]
            if born is None:
                return None
            rid = row[i_rid].strip()
            first17 = rid[:17]
            if (
                len(rid) != 18
                or rid[6:14] != born[1]
                or not first17.isascii()
                or not first17.isdigit()
                or _CHECK_CHARACTER[int(first17, 13) % 11] != rid[17]
                or not places[rid[:10]]
            ):
                return None
            coded = codes[pick_codes(row)]
            if coded is None:
                return None
            sex, relation, condition, grade, level, year, employment = coded
            institution = row[i_institution].strip() or None
            if institution is not None and level is None:
                return None  # a school with no level: schooling needs a level and a year
            if row[i_institution].lstrip()[:1] == "'" or row[i_diagnosis].lstrip()[:1] == "'":
                return None  # maybe export's formula guard: the slow path restores it
            phone = row[i_phone].strip() or None
            if phone is not None and not phone_match(phone):
                return None
            if relation == _HEAD:
                heads += 1
            members.append(
                (
                    mid,
                    hid,
                    position,
                    name,
                    sex,
                    born[0],
                    rid,
                    relation,
                    condition,
                    row[i_diagnosis].strip() or None,
                    grade,
                    level,
                    year,
                    institution,
                    employment,
                    phone,
                    None,
                )
            )
        if heads != 1:
            return None
        if len(members) > 1 and len({member[0] for member in members}) != len(members):
            return None  # a member id twice
        statuses = tuple([(hid, i, status, since, "") for i, (status, since) in enumerate(history)])
        return HouseholdRows(hid, (hid, region, history[-1][0]), tuple(members), statuses)


def _any_refused(rows: list[tuple[int, list[str]]]) -> bool:
    """Whether a sheet reader refused a cell of ``rows`` (then the ordinary reader says so)."""
    return any(isinstance(cell, RefusedCell) for _, row in rows for cell in row)


def read_household_rows(
    lines: Iterable[str],
    *,
    source: str,
    headers: HeaderTable | None = None,
    sheet: SheetRows | None = None,
    written: dict[str, str] | None = None,
) -> Iterator[Parsed]:
    """Parse households CSV text (or a sheet's rows); a good household's value is a
    :class:`~jieqin.storage.rows.HouseholdRows`.

    Bad households, and households the fast path declines, come out exactly as
    :func:`jieqin.io.csv_format.read_csv` makes them (their value, if good, is then a
    :class:`~jieqin.model.Household`). ``headers`` and ``written`` as for ``read_csv``.
    """
    kind = HOUSEHOLDS
    rows = _Rows(lines, kind, source, headers=headers, sheet=sheet)
    if written is not None:
        written.update(rows.written)
    if rows.header_problems:
        yield Parsed(rows.header_line, None, tuple(rows.header_problems))
        return
    grouping = _Grouping(rows, kind, source)
    at = {column.name: i for i, column in enumerate(rows.columns) if column is not None}
    complete = all(n in at for n in _ALL_COLUMNS)
    fast = _FastHouseholds(at, len(rows.columns), rows.headers.regions) if complete else None
    id_at = at[kind.id_attribute]
    finished: set[str] = set()
    pending: list[tuple[int, list[str]]] = []
    pending_id = ""
    repeated = False

    def finish() -> Parsed:
        if fast is not None and not repeated and (sheet is None or not _any_refused(pending)):
            record = fast.record(pending)
            if record is not None:
                return Parsed(pending[0][0], record)
        return grouping.replay(pending, repeated)

    for line, row in rows:
        hid = row[id_at].strip() if id_at < len(row) else ""
        if pending and hid != pending_id:
            finished.add(pending_id)
            yield finish()
            pending = []
        if not pending:
            pending_id = hid
            repeated = hid in finished
        pending.append((line, row))
    if pending:
        yield finish()
