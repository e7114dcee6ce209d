"""Exporting records as CSV or JSON Lines, masked unless the caller asks otherwise.

An export has the same columns and JSON form an import reads, so an export made
with ``include_sensitive=True`` imports back unchanged. A masked export is for
sharing and cannot be imported back (its ID numbers are masked).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, Protocol

from jieqin.io.converter import unstructure
from jieqin.io.csv_format import write_csv
from jieqin.io.importer import FORMATS
from jieqin.io.jsonl_format import write_jsonl
from jieqin.io.kinds import Kind, kind_named
from jieqin.io.sensitive import mask_record

__all__ = ["export", "write_records"]


def _json_forms(
    objects: Iterable[object],
    kind: Kind,
    include_sensitive: bool,
    on_record: Callable[[], None] | None,
) -> Iterator[dict[str, Any]]:
    for obj in objects:
        data: dict[str, Any] = unstructure(obj)
        if not include_sensitive:
            mask_record(kind.name, data)
        yield data
        if on_record is not None:
            on_record()


def write_records(
    objects: Iterable[object],
    kind: str | Kind,
    out: IO[str],
    *,
    format: str = "csv",
    include_sensitive: bool = False,
    on_record: Callable[[], None] | None = None,
) -> int:
    """Write ``objects`` of ``kind`` to ``out``; returns how many records were written.

    Resident ID numbers, phone numbers and health facts are masked unless
    ``include_sensitive`` is true. ``on_record`` is called after each record (progress).
    """
    spec = kind if isinstance(kind, Kind) else kind_named(kind)
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of: {', '.join(FORMATS)}")
    records = _json_forms(objects, spec, include_sensitive, on_record)
    if format == "csv":
        return write_csv(spec, records, out)
    return write_jsonl(records, out)


class _UnitsOfWork(Protocol):
    def unit_of_work(self, actor: str = ..., *, read_only: bool = ...) -> Any: ...


def export(
    source: _UnitsOfWork,
    kind: str | Kind,
    out: IO[str],
    *,
    format: str = "csv",
    include_sensitive: bool = False,
    actor: str = "jieqin",
    on_total: Callable[[int], None] | None = None,
    on_record: Callable[[], None] | None = None,
) -> int:
    """Write every stored record of ``kind`` from ``source`` (a campaign or a storage) to ``out``.

    ``on_total`` is told how many records there are before writing starts (progress).
    It reads in a read-only unit of work: no write lock, and a read-only database
    file can be exported.
    """
    spec = kind if isinstance(kind, Kind) else kind_named(kind)
    with source.unit_of_work(actor=actor, read_only=True) as uow:
        objects = getattr(uow, spec.repository).list()
    if on_total is not None:
        on_total(len(objects))
    return write_records(
        objects,
        spec,
        out,
        format=format,
        include_sensitive=include_sensitive,
        on_record=on_record,
    )
