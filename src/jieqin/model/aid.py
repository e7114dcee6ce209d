"""Aid programmes, funds, grants and the decisions behind them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from attrs import field, frozen

from jieqin.errors import InvalidValue
from jieqin.model._fields import (
    MAX_TEXT,
    MONEY,
    OPTIONAL_MONEY,
    code_set,
    date_field,
    enum_field,
    id_field,
    nonnegative,
    optional_date,
    optional_id,
    text_field,
)
from jieqin.model.money import ZERO
from jieqin.model.payments import PaymentState
from jieqin.model.periods import Period, PeriodKind

__all__ = [
    "ConditionOutcome",
    "Decision",
    "Fund",
    "FundChange",
    "FundChangeKind",
    "Grant",
    "GrantUnit",
    "Outcome",
    "Program",
    "ProgramKind",
]


class ProgramKind(StrEnum):
    CASH_GRANT = "cash_grant"
    SCHOLARSHIP = "scholarship"
    REFERRAL = "referral"
    IN_KIND = "in_kind"


class GrantUnit(StrEnum):
    """Whom a programme grants: each qualifying member, or each household once."""

    MEMBER = "member"
    """One grant per qualifying member per period (``Grant.member_id`` names them)."""
    HOUSEHOLD = "household"
    """One grant per household per period, however many of its members qualify
    (``Grant.member_id`` is ``None``): a heating subsidy, a household allowance."""


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
    """One grant per person (or household) per period of this kind."""
    grant_unit: GrantUnit = field(default=GrantUnit.MEMBER, converter=enum_field(GrantUnit))  # type: ignore[misc]
    """Whom the programme grants: each qualifying member, or each household once."""


def _reason(instance: object, attribute: Any, value: object) -> None:
    """Text of at most :data:`MAX_TEXT` characters (may be empty)."""
    if not isinstance(value, str):
        raise InvalidValue("must be text", field=attribute.name)
    if len(value) > MAX_TEXT:
        raise InvalidValue(
            f"is {len(value)} characters long; at most {MAX_TEXT}", field=attribute.name
        )


@frozen
class Fund:
    """Money set aside for a programme in a period.

    ``budget`` is the budget in force: what the fund was given when it was added plus
    every top-up since (``topped_up``). Top-ups and the closing are dated records of
    their own (:class:`FundChange`); the storage keeps ``budget``, ``topped_up`` and
    ``closed_on`` in step with them, and a plain write of a fund may not change the
    last two. A closed fund grants nothing more.
    """

    fund_id: str = field(validator=id_field)
    program_id: str = field(validator=id_field)
    period: Period
    budget: Decimal = field(converter=MONEY, validator=nonnegative)  # type: ignore[misc]
    funder: str = ""
    name: str = field(default="", validator=_reason)
    """What people call the fund ("2021 freshman scholarships"); may be empty."""
    topped_up: Decimal = field(default=ZERO, converter=MONEY, validator=nonnegative)  # type: ignore[misc]
    """The part of ``budget`` that came from top-ups."""
    closed_on: date | None = field(default=None, validator=optional_date)
    """The day the fund was closed; from then on it grants nothing."""

    def __attrs_post_init__(self) -> None:
        if self.topped_up > self.budget:
            raise InvalidValue(
                f"the top-ups ({self.topped_up}) exceed the budget in force ({self.budget})",
                field="topped_up",
            )

    @property
    def initial_budget(self) -> Decimal:
        """The budget the fund was added with (before any top-up)."""
        return self.budget - self.topped_up

    @property
    def closed(self) -> bool:
        return self.closed_on is not None


class FundChangeKind(StrEnum):
    TOP_UP = "top_up"
    """Money added to the fund's budget."""
    CLOSE = "close"
    """The fund closed: it grants nothing more."""


@frozen
class FundChange:
    """A dated change to a fund, with who made it and why: a top-up or the closing.

    ``number`` is the change's place among the fund's changes (1, 2, ...): changes
    are appended, never altered or removed.
    """

    fund_id: str = field(validator=id_field)
    number: int
    kind: FundChangeKind = field(converter=enum_field(FundChangeKind))  # type: ignore[misc]
    on: date = field(validator=date_field)
    reason: str = field(validator=text_field)
    amount: Decimal | None = field(default=None, converter=OPTIONAL_MONEY, validator=nonnegative)  # type: ignore[misc]
    """The money added, for a top-up (more than zero); ``None`` for a closing."""
    actor: str = ""
    """Who recorded the change (the unit of work's actor)."""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.number, int) or isinstance(self.number, bool) or self.number < 1:
            raise InvalidValue(
                f"must be a whole number from 1, got {self.number!r}", field="number"
            )
        if self.kind is FundChangeKind.TOP_UP and (self.amount is None or self.amount <= 0):
            raise InvalidValue(f"a top-up adds more than 0 yuan, got {self.amount}", field="amount")
        if self.kind is FundChangeKind.CLOSE and self.amount is not None:
            raise InvalidValue("a closing adds no money", field="amount")


class Outcome(StrEnum):
    GRANTED = "granted"
    WAIT_LISTED = "wait_listed"
    """Eligible, but the fund was spent; the reason says so."""
    INELIGIBLE = "ineligible"
    REVOKED = "revoked"
    """A grant made earlier was revoked; the reason says when and why (the decision
    that granted it is kept)."""
    REFERRED = "referred"
    """Eligible for a referral programme: referred to its agency (no money, no grant;
    the reason names the referral)."""
    NOT_GRANTED = "not_granted"
    """On an allocation plan's public notice, but an objection to it was upheld: not
    granted; the reason names the objection and why (see :mod:`jieqin.model.plans`)."""


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
    """Aid given: an amount from a fund to a member for a programme period.

    Its money is then paid and may come back (``batch_id``, ``paid_on``,
    ``payment_reference``, ``returned_on``, ``return_reason``; see
    :mod:`jieqin.model.payments`): a grant is paid on or after it was decided, returned
    on or after it was paid, and, once paid, revoked only after its money came back.
    """

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
    revoked_on: date | None = field(default=None, validator=optional_date)
    """The day the grant was revoked: its amount went back to the fund. The grant is
    kept; a revoked grant counts nowhere and does not stop a new grant."""
    revoke_reason: str = field(default="", validator=_reason)
    batch_id: str | None = field(default=None, validator=optional_id)
    """The payment batch the grant was sent to the bank in (``jieqin payments export``)."""
    paid_on: date | None = field(default=None, validator=optional_date)
    """The day the money was paid (the bank's result, ``jieqin payments reconcile``)."""
    payment_reference: str = field(default="", validator=_reason)
    """The bank's reference of the payment, if it gave one."""
    returned_on: date | None = field(default=None, validator=optional_date)
    """The day the paid money came back: from then on the grant holds none of its fund."""
    return_reason: str = field(default="", validator=_reason)

    def __attrs_post_init__(self) -> None:
        self._check_revocation()
        self._check_payment()

    def _check_revocation(self) -> None:
        if self.revoked_on is not None and self.revoked_on < self.decided_on:
            raise InvalidValue(
                f"revoked {self.revoked_on.isoformat()}, before it was decided "
                f"{self.decided_on.isoformat()}",
                field="revoked_on",
            )
        if self.revoked_on is None and self.revoke_reason:
            raise InvalidValue(
                "a reason is given but the grant is not revoked", field="revoke_reason"
            )
        if self.revoked_on is not None and not self.revoke_reason.strip():
            raise InvalidValue("a revoked grant says why", field="revoke_reason")

    def _check_payment(self) -> None:
        """Paid on or after the decision, returned on or after the payment, revoked (if
        paid) only once returned: a revoked grant is never paid."""
        paid, returned = self.paid_on, self.returned_on
        if paid is None and self.payment_reference:
            raise InvalidValue(
                "a payment reference is given but the grant is not paid", field="payment_reference"
            )
        if paid is not None and paid < self.decided_on:
            raise InvalidValue(
                f"paid {paid.isoformat()}, before it was decided {self.decided_on.isoformat()}",
                field="paid_on",
            )
        if returned is None:
            if self.return_reason:
                raise InvalidValue(
                    "a reason is given but the grant's money was not returned",
                    field="return_reason",
                )
        elif paid is None:
            raise InvalidValue(
                "returned but never paid: a grant's money comes back only once it was paid",
                field="returned_on",
            )
        elif returned < paid:
            raise InvalidValue(
                f"returned {returned.isoformat()}, before it was paid {paid.isoformat()}",
                field="returned_on",
            )
        elif not self.return_reason.strip():
            raise InvalidValue("a returned payment says why it came back", field="return_reason")
        if self.revoked_on is not None and paid is not None:
            if returned is None:
                raise InvalidValue(
                    f"paid {paid.isoformat()} and not returned: a paid grant is revoked only "
                    "once its money came back (a revoked grant is never paid)",
                    field="revoked_on",
                )
            if self.revoked_on < returned:
                raise InvalidValue(
                    f"revoked {self.revoked_on.isoformat()}, before its money came back "
                    f"{returned.isoformat()}",
                    field="revoked_on",
                )

    @property
    def in_force(self) -> bool:
        """Whether the grant stands (it was not revoked). A returned grant is in force: it
        holds its member's slot until it is revoked, but no money."""
        return self.revoked_on is None

    @property
    def holds_money(self) -> bool:
        """Whether the grant holds money of its fund: in force and not returned. A fund's
        ``spent`` is the sum of these; a revoked or returned grant frees its money once."""
        return self.revoked_on is None and self.returned_on is None

    @property
    def payment_state(self) -> PaymentState:
        """Unpaid, paid or returned (see :mod:`jieqin.model.payments`)."""
        if self.returned_on is not None:
            return PaymentState.RETURNED
        if self.paid_on is not None:
            return PaymentState.PAID
        return PaymentState.UNPAID
