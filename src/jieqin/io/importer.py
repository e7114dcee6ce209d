"""Importing a CSV, JSON Lines or XLSX file: all or nothing, in bounded batches, idempotent.

Records are parsed and validated as they stream in and written to the open unit of
work in batches with the repository's ``upsert_many`` (same id: update, never a
duplicate). Every batch goes through the one write path
(:mod:`jieqin.services.checks`): codes, references, dates, pairings and one person
per resident ID number are checked there, for an import exactly as for ``jieqin
log`` or the Python API, and its problems come back here named by file line. The
first bad record raises :class:`~jieqin.errors.InvalidInput`; with
``report_errors`` every bad record up to ``max_errors`` is listed instead (later
batches are still checked, not written). Either way the caller's unit of work is
left uncommitted, so nothing is written.

Referral outcomes (what agencies report) are not stored as they are: each row is a
step the referrals use case applies (:func:`jieqin.services.needs.apply_outcomes`),
through the same checks, all or nothing; a step already recorded changes nothing.

A households CSV is read by :mod:`jieqin.io.household_rows`, which checks the cells
and builds the storage rows directly (``households.upsert_rows``, on every backend).

A workbook's rows are read by :mod:`jieqin.io.xlsx_format` into the cell texts a CSV
row has and go through the same reader. Headers may be the English column names,
the Chinese names of :mod:`jieqin.io.headers` or a plugin's aliases (the campaign's
registry has them); problems name the headers as written and, in a workbook, the
sheet and row (:class:`~jieqin.io.places.Places`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from attrs import evolve, frozen

from jieqin.errors import ConflictError, InvalidInput, InvalidValue, Problem
from jieqin.i18n import N_, Message
from jieqin.io.csv_format import read_csv
from jieqin.io.headers import STANDARD_HEADERS, HeaderTable
from jieqin.io.household_rows import read_household_rows
from jieqin.io.jsonl_format import read_jsonl_file
from jieqin.io.kinds import HOUSEHOLDS, Kind, kind_named
from jieqin.io.places import Places
from jieqin.io.records import Parsed
from jieqin.io.text import AUTO, read_lines
from jieqin.io.xlsx_format import MERGED_REASONS
from jieqin.model import Household, mask_resident_id
from jieqin.storage.rows import RESIDENT_ID, HouseholdRows, rows_of

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_ERRORS",
    "FORMATS",
    "ImportResult",
    "format_for",
    "header_table",
    "import_file",
    "load",
    "load_records",
    "parse_file",
    "parse_placed",
]

FORMATS = ("csv", "jsonl", "xlsx")
DEFAULT_BATCH_SIZE = 5000
DEFAULT_MAX_ERRORS = 100
_SUFFIXES = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
_OLD_EXCEL = (".xls", ".et")


@frozen
class ImportResult:
    """What an import wrote: how many records of which kind from which file."""

    kind: str
    source: str
    records: int


def format_for(path: str | os.PathLike[str], format: str | None = None) -> str:
    """The format to read ``path`` in: ``format`` if given, else from the file suffix."""
    if format is not None:
        if format not in FORMATS:
            raise InvalidValue(
                f"unknown format {format!r}; expected one of: {', '.join(FORMATS)}", field="format"
            )
        return format
    suffix = Path(path).suffix.lower()
    if suffix in _OLD_EXCEL:
        raise InvalidValue(
            f"{Path(path).name!r} is an old-style workbook; save it as .xlsx "
            "(Excel: Save As, Excel Workbook) and import that",
            field="format",
        )
    try:
        return _SUFFIXES[suffix]
    except KeyError:
        raise InvalidValue(
            f"cannot tell the format of {Path(path).name!r} from its suffix; "
            "give --format csv, --format jsonl or --format xlsx",
            field="format",
        ) from None


def header_table(target: object) -> HeaderTable:
    """The headers an import into ``target`` reads: its registry's (the standard names
    and the plugins' aliases, and its region names for a region column's cells), or
    the standard names for a bare storage."""
    from jieqin.campaign import Campaign

    if not isinstance(target, Campaign):
        return STANDARD_HEADERS
    registry = target.registry
    return registry.headers.with_region_names(registry.region_names)


def _read(
    path: str | os.PathLike[str],
    spec: Kind,
    *,
    format: str | None,
    encoding: str,
    on_bytes: Callable[[int], None] | None,
    headers: HeaderTable | None,
    fast_households: bool = False,
) -> tuple[Iterator[Parsed], Places]:
    """The records of ``path`` (problems as the readers name them) and the
    :class:`Places` that names them as the file's author reads them."""
    source = Path(path).name
    table = headers if headers is not None else STANDARD_HEADERS
    places = Places(spec)
    fmt = format_for(path, format)
    parsed: Iterable[Parsed]
    if fmt == "xlsx":
        from jieqin.io.xlsx_format import read_xlsx

        parsed = read_xlsx(
            path,
            spec,
            source=source,
            headers=table,
            places=places,
            fast_households=fast_households,
            on_bytes=on_bytes,
        )
    elif fmt == "csv":
        lines = read_lines(path, encoding=encoding, source=source, on_bytes=on_bytes)
        if fast_households and spec is HOUSEHOLDS:
            parsed = read_household_rows(
                lines, source=source, headers=table, written=places.written
            )
        else:
            parsed = read_csv(lines, spec, source=source, headers=table, written=places.written)
    else:
        # JSON Lines are read line by line with a bound on each (a CSV cell has one too).
        parsed = read_jsonl_file(
            path, spec, encoding=encoding, source=source, on_bytes=on_bytes, headers=table
        )
    if spec.name == "observations":
        parsed = _amounts_hidden(parsed)
    return _once_each(parsed, spec, source), places


#: The reason a problem of an observation's amount gives instead of its own: the value
#: may be a medical expenditure (a health fact), so no message repeats it.
AMOUNT_HIDDEN = N_(
    "is not an amount in yuan (a number such as 1200.50, not negative); the value is "
    "not repeated here, as a medical amount is a health fact"
)


#: The reason a problem of another field of an observation gives when it quotes a
#: number: in a row whose columns shifted (a delimiter lost), the medical amount can
#: land in any column, and be quoted by that column's check.
VALUE_HIDDEN = N_(
    "is not valid here; the value, a number, is not repeated, as it may be a medical "
    "amount (a health fact) from a shifted column"
)

#: A quoted value that reads as a number (``'7321.55'``, ``'-1,200'``).
_QUOTED_NUMBER = re.compile(r"""['"][-+]?[0-9][0-9,]*(?:\.[0-9]+)?['"]""")


def _hidden_reason(problem: Problem) -> Message | None:
    """The reason to give instead of ``problem``'s, where it may repeat an amount."""
    if isinstance(problem.reason, Message) and problem.reason.template in MERGED_REASONS:
        return None  # it names cell references, never a value
    reason = str(problem.reason)
    if problem.field == "amount" and any(c.isdigit() for c in reason):
        return AMOUNT_HIDDEN
    if problem.field is not None and _QUOTED_NUMBER.search(reason):
        return VALUE_HIDDEN
    return None


def _amounts_hidden(parsed: Iterable[Parsed]) -> Iterator[Parsed]:
    """Observations whose amount is refused say why without repeating the amount, and
    no other field's problem quotes a number that may be one (a reason that holds no
    such number, such as a formula's, stays as it is)."""
    for record in parsed:
        hidden = [_hidden_reason(p) for p in record.problems]
        if any(h is not None for h in hidden):
            problems = tuple(
                p if h is None else evolve(p, reason=h)
                for p, h in zip(record.problems, hidden, strict=True)
            )
            record = Parsed(record.line, None, problems)
        yield record


def parse_file(
    path: str | os.PathLike[str],
    kind: str | Kind,
    *,
    format: str | None = None,
    encoding: str = AUTO,
    on_bytes: Callable[[int], None] | None = None,
    headers: HeaderTable | None = None,
) -> Iterator[Parsed]:
    """Stream the records of ``path`` as :class:`Parsed` values (nothing is written).

    ``headers``: the header names to read (default: the standard English and Chinese
    ones; :func:`header_table` gives a campaign's, with its plugins' aliases).
    """
    spec = kind if isinstance(kind, Kind) else kind_named(kind)
    parsed, places = _read(
        path, spec, format=format, encoding=encoding, on_bytes=on_bytes, headers=headers
    )
    return places.parsed(parsed)


def parse_placed(
    path: str | os.PathLike[str],
    kind: Kind,
    *,
    format: str | None = None,
    encoding: str = AUTO,
    headers: HeaderTable | None = None,
) -> tuple[Iterator[Parsed], Places]:
    """:func:`parse_file`, with the :class:`Places` that names a later problem of a
    record as the file's author reads it (header as written; sheet and row): for a
    reader that checks the records further before anything is written."""
    parsed, places = _read(
        path, kind, format=format, encoding=encoding, on_bytes=None, headers=headers
    )
    return places.parsed(parsed), places


def _once_each(parsed: Iterable[Parsed], kind: Kind, source: str) -> Iterator[Parsed]:
    """Refuse a record whose id an earlier record of the same file already had.

    Within one file a repeated id is a mistake (which of the two is meant?), not an
    update; re-importing the file later is what updates.
    """
    first_line: dict[str, int] = {}
    for record in parsed:
        if record.value is not None:
            value = record.value
            key = value.household_id if isinstance(value, HouseholdRows) else kind.key(value)
            earlier = first_line.setdefault(key, record.line)
            if earlier != record.line:
                problem = Problem(
                    N_(
                        "{key} appears again; it was first given on line {line}",
                        key=repr(key),
                        line=earlier,
                    ),
                    field=kind.id_attribute,
                    source=source,
                    line=record.line,
                )
                record = Parsed(record.line, None, (problem,))
        yield record


def _resident_ids(value: object) -> list[str]:
    if isinstance(value, HouseholdRows):
        return [m[RESIDENT_ID] for m in value.members if m[RESIDENT_ID]]
    if isinstance(value, Household):
        return [m.resident_id for m in value.people if m.resident_id]
    return []


def _number_key(number: str) -> int | str:
    """A resident ID number as a smaller key: a valid number's check character follows
    from its first 17 digits, so they alone (as an int) tell one number from another;
    a million households' numbers then take half the memory."""
    first17 = number[:17]
    if len(number) == 18 and first17.isascii() and first17.isdigit():
        return int(first17)
    return number


def _one_person_each(parsed: Iterable[Parsed], source: str) -> Iterator[Parsed]:
    """Refuse a household that gives a resident ID number an earlier line already gave."""
    first_line: dict[int | str, int] = {}
    for record in parsed:
        problems = []
        for number in _resident_ids(record.value):
            earlier = first_line.setdefault(_number_key(number), record.line)
            if earlier != record.line:
                problems.append(
                    Problem(
                        N_(
                            "resident ID {number} was already given on line {line}: "
                            "one number, one person",
                            number=mask_resident_id(number),
                            line=earlier,
                        ),
                        field="resident_id",
                        source=source,
                        line=record.line,
                    )
                )
        yield Parsed(record.line, None, tuple(problems)) if problems else record


class _Writer(Protocol):
    def __call__(self, batch: list[Any], /) -> object: ...


class _Checker(Protocol):
    def __call__(self, batch: list[Any], /) -> Sequence[Problem]: ...


def load_records(
    parsed: Iterable[Parsed],
    write: _Writer,
    *,
    report_errors: bool = False,
    max_errors: int = DEFAULT_MAX_ERRORS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    source: str | None = None,
    check: _Checker | None = None,
) -> int:
    """Pass good records to ``write`` in batches; raise :class:`InvalidInput` on bad ones.

    ``write`` runs the write path's checks: its :class:`InvalidInput` names each
    record's place in the batch, which becomes its line in ``source``. A batch that
    conflicts with stored records (:class:`ConflictError`) is reported as a problem
    of ``source`` at the batch's first line.

    After the first problem nothing more is passed to ``write`` (the caller rolls
    back); with ``report_errors`` parsing goes on to collect up to ``max_errors``
    problems, later batches checked by ``check`` (the checks alone, nothing written).
    Returns the number of records written.
    """
    if max_errors < 1:
        raise InvalidValue(f"must be at least 1, got {max_errors}", field="max_errors")
    problems: list[Problem] = []
    batch: list[Any] = []
    lines: list[int] = []
    written = 0

    def flush() -> None:
        nonlocal written
        if problems:
            if check is not None:
                found = InvalidInput(check(batch)).located(source, lines)
                problems.extend(found.problems)
            return
        try:
            write(batch)
        except InvalidInput as exc:
            located = exc.located(source, lines)
            if not report_errors:
                raise located from None
            problems.extend(located.problems)
            return
        except ConflictError as exc:
            last = lines[-1] if lines else 0
            reason = N_(
                "the records of lines {first}-{last} conflict with stored records: {error}",
                first=lines[0],
                last=last,
                error=str(exc),
            )
            raise InvalidInput([Problem(reason, source=source, line=lines[0])]) from exc
        written += len(batch)

    for record in parsed:
        if record.problems:
            if not report_errors:
                raise InvalidInput(record.problems)
            problems.extend(record.problems)
        else:
            batch.append(record.value)
            lines.append(record.line)
        if len(problems) >= max_errors:
            raise InvalidInput(sorted(problems, key=_where)[:max_errors], truncated=True)
        if len(batch) >= batch_size:
            flush()
            batch, lines = [], []
    if batch:
        flush()
    if problems:
        ordered = sorted(problems, key=_where)
        raise InvalidInput(ordered[:max_errors], truncated=len(ordered) > max_errors)
    return written


def _where(problem: Problem) -> int:
    return problem.line or 0


def load(
    uow: Any,
    path: str | os.PathLike[str],
    kind: str | Kind,
    *,
    format: str | None = None,
    encoding: str = AUTO,
    report_errors: bool = False,
    max_errors: int = DEFAULT_MAX_ERRORS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_bytes: Callable[[int], None] | None = None,
    headers: HeaderTable | None = None,
) -> ImportResult:
    """Import ``path`` into the open unit of work ``uow`` (the caller commits).

    Each kind's repository takes the records with ``upsert_many``; households from
    CSV or XLSX are read as storage rows and stored with ``households.upsert_rows``.
    ``headers`` as for :func:`parse_file`.
    """
    spec = kind if isinstance(kind, Kind) else kind_named(kind)
    source = Path(path).name
    repository = getattr(uow, spec.repository)
    write: _Writer = repository.upsert_many
    fast = spec is HOUSEHOLDS and format_for(path, format) in ("csv", "xlsx")
    parsed, places = _read(
        path,
        spec,
        format=format,
        encoding=encoding,
        on_bytes=on_bytes,
        headers=headers,
        fast_households=fast,
    )
    if fast:

        def write(batch: list[Any], /) -> object:
            return repository.upsert_rows([_as_rows(item) for item in batch])

    if spec is HOUSEHOLDS:
        parsed = _one_person_each(parsed, source)

    def check(batch: list[Any], /) -> Sequence[Problem]:
        return list(uow.problems(spec.repository, batch))

    if spec.applied:
        write, check = _applying(uow, spec)
    elif spec.name == "observations":
        from jieqin.services.observations import record_observations

        def write(batch: list[Any], /) -> object:
            return record_observations(uow, batch)

    try:
        count = load_records(
            parsed,
            write,
            report_errors=report_errors,
            max_errors=max_errors,
            batch_size=batch_size,
            source=source,
            check=check,
        )
    except InvalidInput as exc:
        raise places.error(exc) from None
    return ImportResult(kind=spec.name, source=source, records=count)


def _applying(uow: Any, spec: Kind) -> tuple[_Writer, _Checker]:
    """How the records of an applied kind are written and checked: referral outcomes
    move the referrals on through their use case (:func:`jieqin.services.needs.apply_outcomes`)."""
    from jieqin.services.needs import apply_outcomes, outcome_steps

    if spec.name != "referral-outcomes":
        raise InvalidValue(f"{spec.name} records cannot be imported", field="kind")

    def write(batch: list[Any], /) -> object:
        return apply_outcomes(uow, batch)

    def check(batch: list[Any], /) -> Sequence[Problem]:
        return outcome_steps(uow, batch)[1]

    return write, check


def _as_rows(item: object) -> HouseholdRows:
    return item if isinstance(item, HouseholdRows) else rows_of(item)  # type: ignore[arg-type]


class _Campaign(Protocol):
    def unit_of_work(self, actor: str = ..., *, read_only: bool = ...) -> Any: ...


def import_file(
    target: _Campaign,
    path: str | os.PathLike[str],
    kind: str | Kind,
    *,
    actor: str = "jieqin",
    format: str | None = None,
    encoding: str = AUTO,
    report_errors: bool = False,
    max_errors: int = DEFAULT_MAX_ERRORS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_bytes: Callable[[int], None] | None = None,
    headers: HeaderTable | None = None,
) -> ImportResult:
    """Import ``path`` in one unit of work of ``target``, a :class:`~jieqin.Campaign`.

    The campaign's units of work carry its write checks (codes, references, pairings
    in force, dates); a storage's own units of work carry none, so import through the
    campaign. Commits only when every record is good; on any problem nothing is
    written and :class:`~jieqin.errors.InvalidInput` says where and why. Headers are
    read by ``target``'s registry (its plugins' aliases too) unless ``headers`` says.
    """
    if headers is None:
        headers = header_table(target)
    with target.unit_of_work(actor=actor) as uow:
        result = load(
            uow,
            path,
            kind,
            format=format,
            encoding=encoding,
            report_errors=report_errors,
            max_errors=max_errors,
            batch_size=batch_size,
            on_bytes=on_bytes,
            headers=headers,
        )
        uow.commit()
    return result
