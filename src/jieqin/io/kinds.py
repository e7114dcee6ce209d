"""What can be imported and exported: the record kinds and their CSV columns.

A kind names a model class, its id attribute, the repository that stores it, and
the CSV columns. Each column maps one CSV cell to one path in the converter's
JSON form (``schooling.level``), so CSV and JSON Lines share one structuring path
and one set of validation messages. ``docs/import-formats.md`` documents each column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from attrs import frozen

from jieqin.errors import InvalidValue
from jieqin.i18n import N_
from jieqin.model import (
    Activity,
    Grant,
    Helper,
    Household,
    Need,
    Observation,
    Pairing,
    PaymentResult,
    ReferralOutcome,
)

__all__ = [
    "ACTIVITIES",
    "HELPERS",
    "HOUSEHOLDS",
    "KINDS",
    "NEEDS",
    "OBSERVATIONS",
    "PAIRINGS",
    "PAYMENT_BATCHES",
    "PAYMENT_KINDS",
    "PAYMENT_RESULTS",
    "REFERRAL_OUTCOMES",
    "Column",
    "ColumnType",
    "Kind",
    "kind_named",
]


class ColumnType(StrEnum):
    """How a CSV cell is written."""

    TEXT = "text"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    LIST = "list"
    """Values separated by ``;`` (``medical;education``)."""
    STATUS_HISTORY = "status_history"
    """``status@YYYY-MM-DD`` entries separated by ``;``, oldest first."""


_TRUE = frozenset({"true", "yes", "y", "1", "是", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "否", "f"})


def _parse_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidValue(N_("{text} is not a whole number", text=repr(text))) from None


def _parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise InvalidValue(N_("{text} is not true or false", text=repr(text)))


def _parse_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _parse_history(text: str) -> list[dict[str, str]]:
    history = []
    for part in _parse_list(text):
        status, sep, since = part.partition("@")
        if not sep:
            raise InvalidValue(N_("{text} is not status@YYYY-MM-DD", text=repr(part)))
        history.append({"status": status.strip(), "since": since.strip()})
    return history


def _format_list(value: Any) -> str:
    return ";".join(str(v) for v in value)


def _format_history(value: Any) -> str:
    return ";".join(f"{entry['status']}@{entry['since']}" for entry in value)


def _format_bool(value: Any) -> str:
    return "true" if value else "false"


_PARSE: Mapping[ColumnType, Callable[[str], Any]] = {
    ColumnType.TEXT: str,
    ColumnType.INTEGER: _parse_int,
    ColumnType.BOOLEAN: _parse_bool,
    ColumnType.LIST: _parse_list,
    ColumnType.STATUS_HISTORY: _parse_history,
}
_FORMAT: Mapping[ColumnType, Callable[[Any], str]] = {
    ColumnType.TEXT: str,
    ColumnType.INTEGER: str,
    ColumnType.BOOLEAN: _format_bool,
    ColumnType.LIST: _format_list,
    ColumnType.STATUS_HISTORY: _format_history,
}


@frozen
class Column:
    """One CSV column: its header, where its value goes in the JSON form, and its type."""

    name: str
    path: tuple[str, ...]
    type: ColumnType = ColumnType.TEXT
    description: str = ""

    def parse(self, text: str) -> Any:
        """The JSON-form value of a (non-empty, stripped) cell."""
        return _PARSE[self.type](text)

    def format(self, value: Any) -> str:
        """The cell text for a JSON-form value (``None`` is an empty cell)."""
        return "" if value is None else _FORMAT[self.type](value)


def _col(name: str, path: str | None = None, type: ColumnType = ColumnType.TEXT) -> Column:
    return Column(name, tuple((path or name).split(".")), type)


@frozen
class Kind:
    """A kind of record that can be imported and exported."""

    name: str
    cls: type
    id_attribute: str
    repository: str
    """The unit of work's attribute for the repository (``uow.households``)."""
    columns: tuple[Column, ...]
    group_columns: tuple[Column, ...] = ()
    """Households only: the household columns repeated on every member row."""
    key_attributes: tuple[str, ...] = ()
    """The attributes that identify a record (default: ``id_attribute`` alone)."""
    applied: bool = False
    """The records are steps a use case applies to stored records (referral outcomes
    move referrals on), not records stored as they are: imported, never exported."""
    required_columns: tuple[str, ...] = ()
    """The columns a file must have (default: the key attributes)."""

    def key(self, record: object) -> str:
        """The record's id as text (``helper/household/start`` for a pairing)."""
        names = self.key_attributes or (self.id_attribute,)
        return "/".join(str(getattr(record, name)) for name in names)

    def header_required(self) -> tuple[str, ...]:
        """The columns a file of this kind must have."""
        return self.required_columns or self.key_attributes or (self.id_attribute,)

    def all_columns(self) -> tuple[Column, ...]:
        return self.group_columns + self.columns

    def column_for(self, path: str) -> str | None:
        """The CSV column that holds a converter path such as ``schooling.level``."""
        for column in self.all_columns():
            dotted = ".".join(column.path)
            if path == dotted or path.startswith(dotted + "["):
                return column.name
        return None


HELPERS = Kind(
    name="helpers",
    cls=Helper,
    id_attribute="helper_id",
    repository="helpers",
    columns=(
        _col("helper_id"),
        _col("name"),
        _col("tier"),
        _col("home_region"),
        _col("sectors", type=ColumnType.LIST),
        _col("capacity", type=ColumnType.INTEGER),
        _col("active", type=ColumnType.BOOLEAN),
        _col("phone"),
    ),
)

#: Household columns, repeated on each member row of the household.
_HOUSEHOLD_COLUMNS = (
    _col("household_id"),
    _col("region"),
    _col("status_history", type=ColumnType.STATUS_HISTORY),
)

HOUSEHOLDS = Kind(
    name="households",
    cls=Household,
    id_attribute="household_id",
    repository="households",
    group_columns=_HOUSEHOLD_COLUMNS,
    columns=(
        _col("member_id"),
        _col("name"),
        _col("sex"),
        _col("birth_date"),
        _col("resident_id"),
        _col("relation"),
        _col("health_condition", "health.condition"),
        _col("diagnosis", "health.diagnosis"),
        _col("disability_grade", type=ColumnType.INTEGER),
        _col("school_level", "schooling.level"),
        _col("school_year_of_entry", "schooling.year_of_entry", ColumnType.INTEGER),
        _col("school_institution", "schooling.institution"),
        _col("employment"),
        _col("phone"),
    ),
)

NEEDS = Kind(
    name="needs",
    cls=Need,
    id_attribute="need_id",
    repository="needs",
    columns=(
        _col("need_id"),
        _col("household_id"),
        _col("member_id"),
        _col("kind"),
        _col("period"),
        _col("source"),
        _col("raised_on"),
        _col("note"),
        _col("status"),
        _col("route_kind", "route.kind"),
        _col("route_target", "route.target"),
        _col("route_explanation", "route.explanation"),
        _col("resolved_on"),
        _col("resolved_by"),
        _col("unrouted_reason"),
    ),
)

ACTIVITIES = Kind(
    name="activities",
    cls=Activity,
    id_attribute="activity_id",
    repository="activities",
    columns=(
        _col("activity_id"),
        _col("kind"),
        _col("on"),
        _col("helper_id"),
        _col("household_id"),
        _col("member_id"),
        _col("need_id"),
        _col("note"),
        _col("event"),
        _col("voided_on"),
        _col("void_reason"),
        _col("voided_by"),
    ),
)
"""Activities; a voided one is exported with its void (``voided_on``, ``void_reason``,
``voided_by``), so an export keeps every record and says which count."""

PAIRINGS = Kind(
    name="pairings",
    cls=Pairing,
    id_attribute="helper_id",
    repository="pairings",
    columns=(
        _col("helper_id"),
        _col("household_id"),
        _col("start"),
        _col("end"),
        _col("role"),
        _col("reason"),
    ),
    key_attributes=("helper_id", "household_id", "start"),
)
"""Pairings, current or of earlier years (history brought in from another system)."""

REFERRAL_OUTCOMES = Kind(
    name="referral-outcomes",
    cls=ReferralOutcome,
    id_attribute="referral_id",
    repository="referrals",
    columns=(
        _col("referral_id"),
        _col("status"),
        _col("on"),
        _col("outcome"),
        _col("reason"),
    ),
    key_attributes=("referral_id", "status"),
    applied=True,
)
"""What agencies report on referrals: each row a step (accepted, rejected with the
reason, completed with the outcome code) on a day; see
:func:`jieqin.services.needs.apply_outcomes`."""

OBSERVATIONS = Kind(
    name="observations",
    cls=Observation,
    id_attribute="observation_id",
    repository="observations",
    columns=(
        _col("observation_id"),
        _col("household_id"),
        _col("member_id"),
        _col("kind"),
        _col("period"),
        _col("amount"),
        _col("source"),
        _col("recorded_on"),
        _col("feed"),
        _col("feed_record"),
        _col("note"),
    ),
    required_columns=("household_id",),
)
"""Households' incomes and rigid expenditures over a period (防返贫监测): a feed's row
may leave ``observation_id`` empty (it is then the feed record's stable id,
:func:`jieqin.model.feed_observation_id`), and re-importing a file changes nothing."""

KINDS: Mapping[str, Kind] = {
    k.name: k
    for k in (HELPERS, HOUSEHOLDS, PAIRINGS, NEEDS, ACTIVITIES, REFERRAL_OUTCOMES, OBSERVATIONS)
}

PAYMENT_BATCHES = Kind(
    name="payment-batches",
    cls=Grant,
    id_attribute="grant_id",
    repository="grants",
    columns=(
        _col("batch_id"),
        _col("grant_id"),
        _col("household_id"),
        _col("member_id"),
        _col("payee_name"),
        _col("resident_id"),
        _col("amount"),
        _col("program_id"),
        _col("period"),
        _col("fund_id"),
    ),
)
"""A payment batch as sent to the bank or charity (``jieqin payments export``): one row
per grant awaiting payment. Written, never imported; the bank matches on ``grant_id``."""

PAYMENT_RESULTS = Kind(
    name="payment-results",
    cls=PaymentResult,
    id_attribute="grant_id",
    repository="grants",
    columns=(
        _col("batch_id"),
        _col("grant_id"),
        _col("amount"),
        _col("status"),
        _col("paid_on"),
        _col("returned_on"),
        _col("reference"),
        _col("reason"),
    ),
    key_attributes=("grant_id", "status"),
)
"""The bank's result of a batch (``jieqin payments reconcile``): per grant, paid or
returned. The batch file's other columns may stay in it and are not read."""

PAYMENT_KINDS: Mapping[str, Kind] = {k.name: k for k in (PAYMENT_BATCHES, PAYMENT_RESULTS)}
"""The files of ``jieqin payments``: read or written there, not by import and export."""


def kind_named(name: str) -> Kind:
    """The kind called ``name``, or :class:`InvalidValue` listing the kinds there are."""
    try:
        return KINDS[name]
    except KeyError:
        raise InvalidValue(
            f"unknown kind {name!r}; expected one of: {', '.join(KINDS)}", field="kind"
        ) from None
