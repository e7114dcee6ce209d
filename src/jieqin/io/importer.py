"""Importing a CSV or JSON Lines file: all or nothing, in bounded batches, idempotent.

Records are parsed and validated as they stream in and written to the open unit of
work in batches with the repository's ``upsert_many`` (same id: update, never a
duplicate). The first bad record raises :class:`~jieqin.errors.InvalidInput`; with
``report_errors`` every bad record up to ``max_errors`` is listed instead. Either
way the caller's unit of work is left uncommitted, so nothing is written.

A households CSV going to SQL storage (a repository with ``upsert_rows``) takes the
fast path of :mod:`jieqin.io.household_rows`: the same checks and problems, without
building model objects.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from attrs import frozen

from jieqin.errors import ConflictError, InvalidInput, InvalidValue, Problem
from jieqin.io.csv_format import read_csv
from jieqin.io.household_rows import read_household_rows, writer_for
from jieqin.io.jsonl_format import read_jsonl
from jieqin.io.kinds import HOUSEHOLDS, Kind, kind_named
from jieqin.io.records import Parsed
from jieqin.io.text import AUTO, read_lines

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_ERRORS",
    "FORMATS",
    "ImportResult",
    "format_for",
    "import_file",
    "load",
    "load_records",
    "parse_file",
]

FORMATS = ("csv", "jsonl")
DEFAULT_BATCH_SIZE = 5000
DEFAULT_MAX_ERRORS = 100
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}


class _Upserting(Protocol):
    def upsert_many(self, items: Sequence[Any], /) -> Any: ...


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
    try:
        return _SUFFIXES[suffix]
    except KeyError:
        raise InvalidValue(
            f"cannot tell the format of {Path(path).name!r} from its suffix; "
            "give --format csv or --format jsonl",
            field="format",
        ) from None


def parse_file(
    path: str | os.PathLike[str],
    kind: str | Kind,
    *,
    format: str | None = None,
    encoding: str = AUTO,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[Parsed]:
    """Stream the records of ``path`` as :class:`Parsed` values (nothing is written)."""
    spec = kind if isinstance(kind, Kind) else kind_named(kind)
    source = Path(path).name
    lines = read_lines(path, encoding=encoding, source=source, on_bytes=on_bytes)
    if format_for(path, format) == "csv":
        return _once_each(read_csv(lines, spec, source=source), spec, source)
    return _once_each(read_jsonl(lines, spec, source=source), spec, source)


def _once_each(parsed: Iterable[Parsed], kind: Kind, source: str) -> Iterator[Parsed]:
    """Refuse a record whose id an earlier record of the same file already had.

    Within one file a repeated id is a mistake (which of the two is meant?), not an
    update; re-importing the file later is what updates.
    """
    first_line: dict[str, int] = {}
    for record in parsed:
        if record.value is not None:
            key = getattr(record.value, kind.id_attribute)
            earlier = first_line.setdefault(key, record.line)
            if earlier != record.line:
                problem = Problem(
                    f"{key!r} appears again; it was first given on line {earlier}",
                    field=kind.id_attribute,
                    source=source,
                    line=record.line,
                )
                record = Parsed(record.line, None, (problem,))
        yield record


def load_records(
    parsed: Iterable[Parsed],
    write: Callable[[list[Any]], object],
    *,
    report_errors: bool = False,
    max_errors: int = DEFAULT_MAX_ERRORS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    source: str | None = None,
) -> int:
    """Pass good records to ``write`` in batches; raise :class:`InvalidInput` on bad ones.

    A batch that conflicts with stored records (:class:`ConflictError`) is reported as
    a problem of ``source`` at the batch's first line.

    After the first problem nothing more is passed to ``write`` (the caller rolls
    back); with ``report_errors`` parsing goes on to collect up to ``max_errors``
    problems. Returns the number of records written.
    """
    if max_errors < 1:
        raise InvalidValue(f"must be at least 1, got {max_errors}", field="max_errors")
    problems: list[Problem] = []
    batch: list[Any] = []
    first_line = 0
    written = 0

    def flush() -> None:
        try:
            write(batch)
        except ConflictError as exc:
            last = first_line + len(batch) - 1
            reason = f"the records of lines {first_line}-{last} conflict with stored records: {exc}"
            raise InvalidInput([Problem(reason, source=source, line=first_line)]) from exc

    for record in parsed:
        if record.problems:
            if not report_errors:
                raise InvalidInput(record.problems)
            problems.extend(record.problems)
            batch.clear()
            if len(problems) >= max_errors:
                raise InvalidInput(problems[:max_errors], truncated=True)
            continue
        if problems:
            continue
        if not batch:
            first_line = record.line
        batch.append(record.value)
        if len(batch) >= batch_size:
            flush()
            written += len(batch)
            batch = []
    if problems:
        raise InvalidInput(problems)
    if batch:
        flush()
        written += len(batch)
    return written


def load(
    uow: object,
    path: str | os.PathLike[str],
    kind: str | Kind,
    *,
    format: str | None = None,
    encoding: str = AUTO,
    report_errors: bool = False,
    max_errors: int = DEFAULT_MAX_ERRORS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_bytes: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import ``path`` into the open unit of work ``uow`` (the caller commits).

    ``uow`` has one repository per kind (``uow.households``) with ``upsert_many``;
    a households repository that also has ``upsert_rows`` is given rows instead.
    """
    spec = kind if isinstance(kind, Kind) else kind_named(kind)
    repository: _Upserting = getattr(uow, spec.repository)
    write: Callable[[list[Any]], object] = repository.upsert_many
    if (
        spec is HOUSEHOLDS
        and hasattr(repository, "upsert_rows")
        and format_for(path, format) == "csv"
    ):
        # Storage that takes rows: check cells and build rows directly (household_rows).
        source = Path(path).name
        lines = read_lines(path, encoding=encoding, source=source, on_bytes=on_bytes)
        parsed = _once_each(read_household_rows(lines, source=source), spec, source)
        write = writer_for(repository)  # type: ignore[arg-type]
    else:
        parsed = parse_file(path, spec, format=format, encoding=encoding, on_bytes=on_bytes)
    count = load_records(
        parsed,
        write,
        report_errors=report_errors,
        max_errors=max_errors,
        batch_size=batch_size,
        source=Path(path).name,
    )
    return ImportResult(kind=spec.name, source=Path(path).name, records=count)


class _UnitsOfWork(Protocol):
    def unit_of_work(self, actor: str = ...) -> Any: ...


def import_file(
    target: _UnitsOfWork,
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
) -> ImportResult:
    """Import ``path`` in one unit of work of ``target`` (a campaign or a storage).

    Commits only when every record is good; on any problem nothing is written and
    :class:`~jieqin.errors.InvalidInput` says where and why.
    """
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
        )
        uow.commit()
    return result
