"""The households CSV fast path: from cells straight to storage rows, no model objects.

A SQL import of households spends most of its time building and validating
:class:`~jieqin.model.Household` objects it then only takes apart again into table
rows. This reader checks the cells of one household's rows directly and builds the
rows of the ``households``, ``household_members`` and ``household_status`` tables
(in the column order of :mod:`jieqin.storage.sql.mappers`).

Every check is the model's own, made cheap:

- values that repeat across a file (region codes, status histories, birth dates,
  school years) are validated once per distinct cell text, by the converter and the
  model's validators themselves, and the answer is remembered for the file;
- closed vocabularies (sex, relation, health, schooling, employment) are set lookups
  over the enums' values;
- ids, names and phone numbers use the model's patterns and limits; a resident ID's
  check character is stdnum's, its birth place is asked once per (place, year), and
  its embedded birth date must spell the member's birth date.

The fast path only ever *accepts*. A household it has any doubt about (a bad value,
an unusual spelling such as ``+3`` for a grade, a short row, a repeated id) is
replayed through the ordinary CSV reader, which builds the model object or reports
the exact problems it always has. So the same files are accepted and rejected, with
the same messages, and an accepted household yields the same rows either way (the
property tests in ``tests/test_import_fast_path.py`` hold the two paths together).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import Any, Generic, Protocol, TypeVar

import attrs
from cattrs.errors import BaseValidationError
from stdnum.cn.ric import calc_check_digit

from jieqin.errors import JieqinError
from jieqin.io.converter import INT_RANGE, converter
from jieqin.io.csv_format import _Grouping, _Rows
from jieqin.io.kinds import HOUSEHOLDS, _parse_history
from jieqin.io.records import Parsed
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

__all__ = ["HouseholdRecord", "RowWriting", "read_household_rows", "writer_for"]

Row = tuple[Any, ...]
K = TypeVar("K")
V = TypeVar("V")

#: The CSV columns the fast path reads, in the order it unpacks them.
_COLUMNS = (
    "household_id",
    "region",
    "status_history",
    "member_id",
    "name",
    "sex",
    "birth_date",
    "resident_id",
    "relation",
    "health_condition",
    "diagnosis",
    "disability_grade",
    "school_level",
    "school_year_of_entry",
    "school_institution",
    "employment",
    "phone",
)

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


def _region(cell: str) -> str | None:
    """The code of a household's region cell, or ``None`` if the model would refuse it."""
    text = cell.strip()
    if not text:
        return None
    try:
        region = converter.structure(text, RegionCode)
        _HOUSEHOLD_FIELDS.region.validator(None, _HOUSEHOLD_FIELDS.region, region)  # type: ignore[misc]
    except (JieqinError, ValueError, TypeError):
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


def _school_year(cell: str) -> Any:
    """A year-of-entry cell as stored (``None`` when empty), or ``_NO``."""
    text = cell.strip()
    if not text:
        return None
    number = _whole(text)
    if number is None:
        return _NO
    try:
        _SCHOOLING_FIELDS.year_of_entry.validator(  # type: ignore[misc]
            None, _SCHOOLING_FIELDS.year_of_entry, number
        )
    except (JieqinError, ValueError, TypeError):
        return _NO
    return number


def _grade(cell: str) -> Any:
    """A disability-grade cell as stored (``None`` when empty), or ``_NO``."""
    text = cell.strip()
    if not text:
        return None
    number = _whole(text)
    if number is None:
        return _NO
    try:
        _MEMBER_FIELDS.disability_grade.validator(  # type: ignore[misc]
            None, _MEMBER_FIELDS.disability_grade, number
        )
    except (JieqinError, ValueError, TypeError):
        return _NO
    return number


def _choice(values: frozenset[str], default: Any) -> _Memo[str, Any]:
    """Cells of a closed vocabulary: the value, ``default`` when empty, else ``_NO``."""

    def value(cell: str) -> Any:
        text = cell.strip()
        if not text:
            return default
        return text if text in values else _NO

    return _Memo(value)


def _place_known(first10: str) -> bool:
    """Whether a resident ID starting with ``first10`` (place, birth year) has a known place."""
    return birth_place_known(first10[:6], int(first10[6:10]))


@attrs.define(slots=True)
class HouseholdRecord:
    """One household read by the fast path, as the rows storage keeps.

    ``household`` is the ``households`` row, ``members`` and ``statuses`` the rows of
    its members and status history (the column orders of
    :mod:`jieqin.storage.sql.mappers`).
    """

    household_id: str
    household: Row
    members: list[Row]
    statuses: list[Row]

    def to_household(self) -> Household:
        """The model object these rows store (what the storage reads back)."""
        from jieqin.storage.sql.mappers import (
            HOUSEHOLD_COLUMNS,
            MEMBER_COLUMNS,
            STATUS_COLUMNS,
            household_from,
        )

        return household_from(
            dict(zip(HOUSEHOLD_COLUMNS, self.household, strict=True)),
            [dict(zip(MEMBER_COLUMNS, row, strict=True)) for row in self.members],
            [dict(zip(STATUS_COLUMNS, row, strict=True)) for row in self.statuses],
        )


class _FastHouseholds:
    """Validates one household's rows and builds its storage rows, or declines."""

    def __init__(self, at: dict[str, int], width: int) -> None:
        self.at = tuple(at[name] for name in _COLUMNS)
        self.width = width
        self.regions = _Memo(_region)
        self.histories = _Memo(_history)
        self.births = _Memo(_birth_date)
        self.places = _Memo(_place_known)
        self.years = _Memo(_school_year)
        self.grades = _Memo(_grade)
        self.sexes = _choice(_SEXES, _NO)
        self.relations = _choice(_RELATIONS, _HEAD)
        self.conditions = _choice(_CONDITIONS, _HEALTHY)
        self.levels = _choice(_LEVELS, None)
        self.employments = _choice(_EMPLOYMENTS, _FARMING)

    def record(self, rows: list[tuple[int, list[str]]]) -> HouseholdRecord | None:
        """The household of ``rows`` (consecutive, one household id), or ``None`` if in doubt."""
        (
            i_hid,
            i_region,
            i_history,
            i_mid,
            i_name,
            i_sex,
            i_birth,
            i_rid,
            i_relation,
            i_condition,
            i_diagnosis,
            i_grade,
            i_level,
            i_year,
            i_institution,
            i_employment,
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
        births, places, years, grades = self.births, self.places, self.years, self.grades
        sexes, relations, conditions = self.sexes, self.relations, self.conditions
        levels, employments = self.levels, self.employments
        id_match, phone_match = ID_PATTERN.match, PHONE_PATTERN.fullmatch
        members: list[Row] = []
        seen: set[str] = set()
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
            if mid in seen or not id_match(mid):
                return None
            seen.add(mid)
            name = row[i_name].strip()
            if not name or len(name) > MAX_TEXT:
                return None
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
                or calc_check_digit(rid) != rid[17]
                or not places[rid[:10]]
            ):
                return None
            sex = sexes[row[i_sex]]
            relation = relations[row[i_relation]]
            condition = conditions[row[i_condition]]
            employment = employments[row[i_employment]]
            grade = grades[row[i_grade]]
            level = levels[row[i_level]]
            year = years[row[i_year]]
            if (
                sex is _NO
                or relation is _NO
                or condition is _NO
                or employment is _NO
                or grade is _NO
                or level is _NO
                or year is _NO
            ):
                return None
            institution = row[i_institution].strip() or None
            if (level is None) is not (year is None) or (level is None and institution):
                return None  # schooling needs a level and a year of entry
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
                )
            )
        if heads != 1:
            return None
        statuses = [(hid, i, status, since, "") for i, (status, since) in enumerate(history)]
        return HouseholdRecord(hid, (hid, region, history[-1][0]), members, statuses)


def read_household_rows(lines: Iterable[str], *, source: str) -> Iterator[Parsed]:
    """Parse households CSV text; a good household's value is a :class:`HouseholdRecord`.

    Bad households, and households the fast path declines, come out exactly as
    :func:`jieqin.io.csv_format.read_csv` makes them (their value, if good, is then a
    :class:`~jieqin.model.Household`).
    """
    kind = HOUSEHOLDS
    rows = _Rows(lines, kind, source)
    if rows.header_problems:
        yield Parsed(1, None, tuple(rows.header_problems))
        return
    grouping = _Grouping(rows, kind, source)
    at = {column.name: i for i, column in enumerate(rows.columns) if column is not None}
    fast = _FastHouseholds(at, len(rows.columns)) if all(name in at for name in _COLUMNS) else None
    id_at = at[kind.id_attribute]
    finished: set[str] = set()
    pending: list[tuple[int, list[str]]] = []
    pending_id = ""
    repeated = False

    def finish() -> Parsed:
        if fast is not None and not repeated:
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


class RowWriting(Protocol):
    """A households repository that also takes ready-made rows (the SQL one)."""

    def upsert_many(self, items: Sequence[Any], /) -> Any: ...

    def upsert_rows(
        self, households: Sequence[Row], members: Sequence[Row], statuses: Sequence[Row], /
    ) -> Any: ...


def writer_for(repository: RowWriting) -> Callable[[list[Any]], object]:
    """A ``write`` for :func:`jieqin.io.importer.load_records` that stores rows.

    A batch may mix :class:`HouseholdRecord` values and (declined but good)
    :class:`~jieqin.model.Household` objects; the latter become rows through the
    storage mappers. A batch of one goes through ``upsert_many`` as a model object,
    so that the audit log describes a single household as it always has.
    """
    from jieqin.storage.sql.mappers import household_values, member_values, status_values

    def write(batch: list[Any]) -> object:
        if len(batch) == 1:
            item = batch[0]
            single = item.to_household() if isinstance(item, HouseholdRecord) else item
            return repository.upsert_many([single])
        households: list[Row] = []
        members: list[Row] = []
        statuses: list[Row] = []
        for item in batch:
            if isinstance(item, HouseholdRecord):
                households.append(item.household)
                members.extend(item.members)
                statuses.extend(item.statuses)
            else:
                households.append(household_values(item))
                members.extend(member_values(item))
                statuses.extend(status_values(item))
        return repository.upsert_rows(households, members, statuses)

    return write
