"""Aid programmes, funds, grants and the decisions behind them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum

from attrs import field, frozen

from jieqin.model._fields import (
    MONEY,
    OPTIONAL_MONEY,
    code_set,
    date_field,
    enum_field,
    id_field,
    nonnegative,
    optional_id,
    text_field,
)
from jieqin.model.periods import Period, PeriodKind

__all__ = [
    "ConditionOutcome",
    "Decision",
    "Fund",
    "Grant",
    "Outcome",
    "Program",
    "ProgramKind",
]


class ProgramKind(StrEnum):
    CASH_GRANT = "cash_grant"
    SCHOLARSHIP = "scholarship"
    REFERRAL = "referral"
    IN_KIND = "in_kind"


@frozen
class Program:
    """What an aid programme is: who funds it, what it gives, which needs it serves.

    Its eligibility and entitlement rules live in :mod:`jieqin.rules`; this is the
    part that can be stored and shown.
    """

    program_id: str = field(validator=id_field)
    name: str = field(validator=text_field)
    funder: str = field(validator=text_field)
    kind: ProgramKind = field(converter=enum_field(ProgramKind))  # type: ignore[misc]
    amount: Decimal | None = field(default=None, converter=OPTIONAL_MONEY, validator=nonnegative)  # type: ignore[misc]
    """Fixed amount per grant, if the programme pays a fixed amount."""
    serves: frozenset[str] = field(factory=frozenset, converter=code_set)
    """Need kinds this programme can resolve."""
    agency: str | None = field(default=None, validator=optional_id)
    """For referral programmes: the agency referred to."""
    period_kind: PeriodKind = field(default=PeriodKind.YEAR, converter=enum_field(PeriodKind))  # type: ignore[misc]
    """One grant per person per period of this kind."""


@frozen
class Fund:
    """Money set aside for a programme in a period."""

    fund_id: str = field(validator=id_field)
    program_id: str = field(validator=id_field)
    period: Period
    budget: Decimal = field(converter=MONEY, validator=nonnegative)  # type: ignore[misc]
    funder: str = ""


class Outcome(StrEnum):
    GRANTED = "granted"
    WAIT_LISTED = "wait_listed"
    """Eligible, but the fund was spent; the reason says so."""
    INELIGIBLE = "ineligible"


@frozen
class ConditionOutcome:
    """Whether one named condition held for a decision, with the values it looked at."""

    name: str
    held: bool
    detail: str = ""


def _condition_tuple(values: Iterable[ConditionOutcome]) -> tuple[ConditionOutcome, ...]:
    return tuple(values)


@frozen
class Decision:
    """Why a member did or did not get a programme's aid: kept so it can be explained later."""

    decision_id: str = field(validator=id_field)
    program_id: str = field(validator=id_field)
    period: Period
    household_id: str = field(validator=id_field)
    member_id: str | None = field(validator=optional_id)
    outcome: Outcome = field(converter=enum_field(Outcome))  # type: ignore[misc]
    decided_on: date = field(validator=date_field)
    rule_version: str
    amount: Decimal | None = field(default=None, converter=OPTIONAL_MONEY, validator=nonnegative)  # type: ignore[misc]
    reason: str = ""
    conditions: tuple[ConditionOutcome, ...] = field(default=(), converter=_condition_tuple)
    parameters: Mapping[str, str] = field(factory=dict)
    """Parameter values in force on ``decided_on``, as text."""
    inputs: Mapping[str, str] = field(factory=dict)
    """The facts the rule read, as text (sensitive facts masked)."""
    priority: int | None = None


@frozen
class Grant:
    """Aid given: an amount from a fund to a member for a programme period."""

    grant_id: str = field(validator=id_field)
    program_id: str = field(validator=id_field)
    fund_id: str = field(validator=id_field)
    period: Period
    household_id: str = field(validator=id_field)
    member_id: str | None = field(validator=optional_id)
    amount: Decimal = field(converter=MONEY, validator=nonnegative)  # type: ignore[misc]
    decided_on: date = field(validator=date_field)
    decision_id: str = field(validator=id_field)
    agency: str | None = field(default=None, validator=optional_id)
    need_id: str | None = field(default=None, validator=optional_id)
    """The need this grant resolves, if any."""
