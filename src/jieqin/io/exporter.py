"""Exporting records as CSV, JSON Lines or XLSX, masked unless the caller asks otherwise.

An export has the same columns and JSON form an import reads, so an export made
with ``include_sensitive=True`` imports back unchanged. A masked export is for
sharing and cannot be imported back (its ID numbers are masked). The three formats
share one pipeline (records, their JSON form, masking); only the writer differs.
A workbook is binary: give ``out`` a file opened in binary mode (or a path).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, Protocol

from jieqin.errors import InvalidValue
from jieqin.io.converter import unstructure
from jieqin.io.csv_format import write_csv
from jieqin.io.headers import HEADER_LANGUAGES
from jieqin.io.importer import FORMATS
from jieqin.io.jsonl_format import write_jsonl
from jieqin.io.kinds import Kind, kind_named
from jieqin.io.sensitive import Sensitivity, mask_record, sensitivity_of
from jieqin.storage.base import HouseholdRowSource

__all__ = ["BATCH", "batches", "export", "write_records"]

BATCH = 1000
"""Records read from the storage at a time while exporting."""


def batches(repository: Any, size: int = BATCH) -> Iterator[list[Any]]:
    """The records of ``repository`` in id order, ``size`` at a time.

    A backend whose repositories offer ``iter_batches(size)`` (the SQL backend:
    keyset pagination) streams, so an export's memory is flat in the number of
    records; for any other (the memory backend holds its records anyway) this pages
    through ``list()``.
    """
    iterate = getattr(repository, "iter_batches", None)
    if callable(iterate):
        yield from iterate(size)
        return
    records = repository.list()
    for start in range(0, len(records), size):
        yield records[start : start + size]


def _masked(
    forms: Iterable[dict[str, Any]],
    kind: Kind,
    sensitivity: Sensitivity | None,
    on_record: Callable[[], None] | None,
) -> Iterator[dict[str, Any]]:
    """JSON-form records masked (unless ``sensitivity`` is ``None``), those left out skipped."""
    for form in forms:
        data: dict[str, Any] | None = form
        if sensitivity is not None:
            data = mask_record(kind.name, form, sensitivity)
        if data is not None:
            yield data
        if on_record is not None:
            on_record()


def write_records(
    objects: Iterable[object],
    kind: str | Kind,
    out: IO[Any],
    *,
    format: str = "csv",
    include_sensitive: bool = False,
    on_record: Callable[[], None] | None = None,
    sensitivity: Sensitivity | None = None,
    headers: str = "en",
) -> int:
    """Write ``objects`` of ``kind`` to ``out``; returns how many records were written.

    Resident ID numbers, phone numbers and health facts are masked unless
    ``include_sensitive`` is true: every masked field reads ``<masked>`` in every
    record, free text is scanned, and needs that tell a health fact are left out
    (``sensitivity``: by default the standard need kinds and rules decide; see
    :mod:`jieqin.io.sensitive`). ``on_record`` is called after each record (progress).
    ``out`` is a text file for CSV and JSON Lines, a binary one for XLSX.
    ``headers="zh"`` writes the Chinese column names (CSV and XLSX).
    """
    return _write_forms(
        (unstructure(obj) for obj in objects),
        kind,
        out,
        format=format,
        include_sensitive=include_sensitive,
        on_record=on_record,
        sensitivity=sensitivity,
        headers=headers,
    )


def _write_forms(
    forms: Iterable[dict[str, Any]],
    kind: str | Kind,
    out: IO[Any],
    *,
    format: str,
    include_sensitive: bool,
    on_record: Callable[[], None] | None,
    sensitivity: Sensitivity | None,
    headers: str,
) -> int:
    """:func:`write_records` for records already in their JSON form."""
    spec = kind if isinstance(kind, Kind) else kind_named(kind)
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of: {', '.join(FORMATS)}")
    if headers not in HEADER_LANGUAGES:
        raise ValueError(f"unknown headers {headers!r}; expected: {', '.join(HEADER_LANGUAGES)}")
    if not include_sensitive and sensitivity is None:
        sensitivity = sensitivity_of(None)
    records = _masked(forms, spec, None if include_sensitive else sensitivity, on_record)
    if format == "csv":
        return write_csv(spec, records, out, headers=headers)
    if format == "xlsx":
        from jieqin.io.xlsx_format import write_xlsx

        return write_xlsx(spec, records, out, headers=headers)
    return write_jsonl(records, out)


def _stored_forms(repository: Any, kind: Kind) -> Iterator[dict[str, Any]]:
    """The JSON forms of every stored record of ``kind``: households straight from their
    rows when the backend offers them (``iter_rows``: no model object is built, see
    :mod:`jieqin.io.household_export`), else each record unstructured."""
    if kind.name == "households" and isinstance(repository, HouseholdRowSource):
        from jieqin.io.household_export import household_json

        for batch in repository.iter_rows(BATCH):
            yield from map(household_json, batch)
        return
    for batch in batches(repository):
        yield from map(unstructure, batch)


class _UnitsOfWork(Protocol):
    def unit_of_work(self, actor: str = ..., *, read_only: bool = ...) -> Any: ...


def export(
    source: _UnitsOfWork,
    kind: str | Kind,
    out: IO[Any],
    *,
    format: str = "csv",
    include_sensitive: bool = False,
    actor: str = "jieqin",
    on_total: Callable[[int], None] | None = None,
    on_record: Callable[[], None] | None = None,
    headers: str = "en",
) -> int:
    """Write every stored record of ``kind`` from ``source`` (a campaign or a storage) to ``out``.

    ``on_total`` is told how many records there are before writing starts (progress).
    It reads in a read-only unit of work: no write lock, and a read-only database
    file can be exported. Records are read :data:`BATCH` at a time (:func:`batches`).
    What masking leaves out comes from ``source``'s registry (:func:`sensitivity_of`).
    ``out`` and ``headers`` as for :func:`write_records`.
    """
    spec = kind if isinstance(kind, Kind) else kind_named(kind)
    if spec.applied:
        raise InvalidValue(
            f"{spec.name} are imported, not exported: `jieqin referrals list --json` lists "
            "the referrals with their steps",
            field="kind",
        )
    with source.unit_of_work(actor=actor, read_only=True) as uow:
        repository = getattr(uow, spec.repository)
        if on_total is not None:
            on_total(repository.count())
        sensitivity = None
        if not include_sensitive:
            sensitivity = sensitivity_of(source)
            if spec.name == "activities":
                sensitivity = sensitivity.with_needs(n for b in batches(uow.needs) for n in b)
        return _write_forms(
            _stored_forms(repository, spec),
            spec,
            out,
            format=format,
            include_sensitive=include_sensitive,
            on_record=on_record,
            sensitivity=sensitivity,
            headers=headers,
        )
