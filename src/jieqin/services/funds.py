"""Funds and grants over their life: add a fund, top it up, close it; revoke a grant.

Nothing is deleted. A top-up or a closing is a dated :class:`~jieqin.model.FundChange`
with its reason and actor, appended beside the fund; a revoked grant keeps its record
(``revoked_on``, ``revoke_reason``), its amount goes back to the fund, and the
revocation is a decision of its own next to the one that granted it, so the member's
decision history tells both. A later allocation may grant the member again.

Every function here works in the unit of work it is given and commits it (the
listings only read). Bad input raises a :class:`~jieqin.errors.JieqinError` with a
message that says what to do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
from attrs import frozen

from jieqin.errors import (
    ConflictError,
    FundClosed,
    GrantRevoked,
    InvalidValue,
    NotFound,
    PaymentRefused,
)
from jieqin.model import Decision, Fund, FundChange, Grant, NeedStatus, Outcome, Period, yuan
from jieqin.model.money import ZERO
from jieqin.model.payments import PaymentState
from jieqin.services.aid import names_fund, revocation_id
from jieqin.storage._common import closed_message, paid_message, revoked_message

if TYPE_CHECKING:
    from jieqin.rules import AidProgram
    from jieqin.storage.base import UnitOfWork

__all__ = [
    "FundLine",
    "GrantListing",
    "add_fund",
    "close_fund",
    "fund_lines",
    "grant_listing",
    "grants_of",
    "revoke_grant",
    "top_up_fund",
]

#: The command that lists the funds, named in the messages.
_LIST_FUNDS = "`jieqin funds list`"


@frozen
class FundLine:
    """A fund as a listing shows it: what it was given, what it granted, what is left."""

    fund: Fund
    granted: Decimal
    """The sum of its grants in force."""
    grants: int
    """How many grants in force it paid."""
    wait_listed: int
    """Members wait-listed for want of money in this fund (their latest decision)."""
    revoked: int
    """Grants it paid that were revoked (their money came back)."""
    committed: Decimal = ZERO
    """The sum of its grants that hold money: in force and not returned (what
    ``FundRepository.spent`` says)."""
    paid: Decimal = ZERO
    """The sum of its grants paid out (and not returned)."""
    returned: Decimal = ZERO
    """The sum of its grants paid and returned by the bank: that money is back in it."""

    @property
    def remaining(self) -> Decimal:
        """What it can still grant: its budget less what its grants hold."""
        return self.fund.budget - self.committed

    @property
    def unpaid(self) -> Decimal:
        """Money its grants hold that was not paid out yet."""
        return self.committed - self.paid

    def summary(self) -> dict[str, Any]:
        """The line as plain data (what ``jieqin funds list --json`` prints)."""
        fund = self.fund
        return {
            "fund": fund.fund_id,
            "program": fund.program_id,
            "period": str(fund.period),
            "name": fund.name,
            "funder": fund.funder,
            "initial_budget": str(fund.initial_budget),
            "topped_up": str(fund.topped_up),
            "budget": str(fund.budget),
            "granted": str(self.granted),
            "grants": self.grants,
            "committed": str(self.committed),
            "paid": str(self.paid),
            "unpaid": str(self.unpaid),
            "returned": str(self.returned),
            "remaining": str(self.remaining),
            "wait_listed": self.wait_listed,
            "revoked": self.revoked,
            "closed_on": None if fund.closed_on is None else fund.closed_on.isoformat(),
        }


def _text(value: str, field: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"say {what}", field=field)
    return value.strip()


def _amount(value: object, field: str) -> Decimal:
    amount = yuan(value, field=field)  # type: ignore[arg-type]
    if amount <= 0:
        raise InvalidValue(f"must be more than 0 yuan, got {amount}", field=field)
    return amount


def _fund(uow: UnitOfWork, fund_id: str) -> Fund:
    fund = uow.funds.find(fund_id)
    if fund is None:
        raise NotFound(f"no fund {fund_id}; {_LIST_FUNDS} lists the funds")
    return fund


def add_fund(
    uow: UnitOfWork,
    program: AidProgram,
    fund_id: str,
    period: Period,
    budget: Decimal | str | int,
    *,
    name: str = "",
    funder: str | None = None,
) -> Fund:
    """Add a fund of ``program`` for ``period`` with ``budget`` yuan; commits.

    ``funder`` defaults to the programme's. The programme is stored too if it is not
    yet (reports name it).

    :raises ConflictError: a fund ``fund_id`` exists.
    :raises InvalidValue: a negative budget, or a period of another kind than the
        programme grants by.
    """
    existing = uow.funds.find(fund_id)
    if existing is not None:
        raise ConflictError(
            f"fund {fund_id} already exists (programme {existing.program_id}, "
            f"{existing.period}, budget {existing.budget}); top it up with "
            f"`jieqin funds top-up {fund_id} AMOUNT --reason ...`"
        )
    kind = program.program.period_kind
    if period.kind is not kind:
        raise InvalidValue(
            f"programme {program.program_id} grants once per {kind.value}; "
            f"{period} is a {period.kind.value}",
            field="period",
        )
    fund = Fund(
        fund_id,
        program.program_id,
        period,
        yuan(budget, field="budget"),
        funder if funder is not None else program.program.funder,
        name=name.strip(),
    )
    if uow.programs.find(program.program_id) is None:
        uow.programs.add(program.program)
    uow.funds.add(fund)
    uow.commit()
    return fund


def top_up_fund(
    uow: UnitOfWork,
    fund_id: str,
    amount: Decimal | str | int,
    *,
    reason: str,
    on: date | None = None,
) -> FundChange:
    """Add ``amount`` (more than 0) to a fund's budget on ``on`` (default today); commits.

    A later allocation grants from the budget with the top-up (wait-listed members
    may then be granted by running it again).

    :raises NotFound: no such fund. :raises FundClosed: the fund is closed.
    :raises InvalidValue: an amount of 0 or less, or no reason.
    """
    money = _amount(amount, "amount")
    why = _text(reason, "reason", "why the fund is topped up (--reason)")
    fund = _fund(uow, fund_id)
    if fund.closed:
        raise FundClosed(closed_message(fund))
    change = uow.funds.top_up(fund_id, money, on or uow.today, reason=why)
    uow.commit()
    return change


def close_fund(uow: UnitOfWork, fund_id: str, *, reason: str, on: date | None = None) -> FundChange:
    """Close a fund on ``on`` (default today): it grants nothing more; commits.

    :raises NotFound: no such fund. :raises FundClosed: it is closed already.
    """
    why = _text(reason, "reason", "why the fund is closed (--reason)")
    fund = _fund(uow, fund_id)
    if fund.closed:
        raise FundClosed(closed_message(fund))
    change = uow.funds.close(fund_id, on or uow.today, reason=why)
    uow.commit()
    return change


def fund_lines(
    uow: UnitOfWork, *, program_id: str | None = None, period: Period | None = None
) -> list[FundLine]:
    """Every fund (of ``program_id``, for ``period``) with what it granted and what is
    left, in fund id order. Reads only."""
    filters: dict[str, object] = {}
    if program_id is not None:
        filters["program_id"] = program_id
    if period is not None:
        filters["period"] = str(period)
    lines = []
    for fund in uow.funds.list(**filters):
        grants = uow.grants.list(fund_id=fund.fund_id)
        waiting = uow.decisions.list(
            program_id=fund.program_id, period=str(fund.period), outcome=Outcome.WAIT_LISTED
        )
        in_force = [g for g in grants if g.in_force]
        lines.append(
            FundLine(
                fund=fund,
                granted=sum((g.amount for g in in_force), ZERO),
                grants=len(in_force),
                wait_listed=sum(1 for d in waiting if names_fund(d.reason, fund.fund_id)),
                revoked=len(grants) - len(in_force),
                committed=sum((g.amount for g in grants if g.holds_money), ZERO),
                paid=sum(
                    (g.amount for g in in_force if g.payment_state is PaymentState.PAID), ZERO
                ),
                returned=sum((g.amount for g in grants if g.returned_on is not None), ZERO),
            )
        )
    return lines


def grants_of(
    uow: UnitOfWork,
    *,
    program_id: str | None = None,
    period: Period | None = None,
    household_id: str | None = None,
) -> list[Grant]:
    """The grants (in force and revoked) matching the filters, in grant id order."""
    filters: dict[str, object] = {}
    if program_id is not None:
        filters["program_id"] = program_id
    if period is not None:
        filters["period"] = str(period)
    if household_id is not None:
        filters["household_id"] = household_id
    return uow.grants.list(**filters)


def revoke_grant(
    uow: UnitOfWork, grant_id: str, *, reason: str, on: date | None = None
) -> tuple[Grant, Decision]:
    """Revoke a grant on ``on`` (default today); commits. Returns the revoked grant and
    the decision that records the revocation.

    The grant keeps its record; its amount goes back to its fund; the report counts
    it no more; the need it resolved is routed again; a later allocation may grant
    the member anew.

    :raises NotFound: no such grant. :raises GrantRevoked: it is revoked already.
    :raises PaymentRefused: it was paid, and its money did not come back.
    :raises InvalidValue: no reason, or a day before the grant was decided (or its
        money came back).
    """
    why = _text(reason, "reason", "why the grant is revoked (--reason)")
    grant = uow.grants.find(grant_id)
    if grant is None:
        raise NotFound(f"no grant {grant_id}; `jieqin grants list` lists the grants")
    if grant.revoked_on is not None:
        raise GrantRevoked(revoked_message(grant))
    if grant.payment_state is PaymentState.PAID:
        raise PaymentRefused(paid_message(grant))
    day = on or uow.today
    if day < grant.decided_on:
        raise InvalidValue(
            f"grant {grant_id} was decided on {grant.decided_on}; it cannot be revoked "
            f"on {day}, before that",
            field="on",
        )
    uow.grants.lock_programs({grant.program_id})
    before = _revoked_before(uow, grant)
    revoked = uow.grants.revoke(grant_id, day, reason=why)
    decision = _revocation(uow, revoked, before + 1)
    uow.decisions.add(decision)
    _route_again(uow, revoked)
    uow.commit()
    return revoked, decision


def _revoked_before(uow: UnitOfWork, grant: Grant) -> int:
    """How many grants of the member's programme period were revoked before this one."""
    same = uow.grants.list(
        program_id=grant.program_id, period=str(grant.period), member_id=grant.member_id
    )
    return sum(
        1
        for g in same
        if g.revoked_on is not None
        and (grant.member_id is not None or g.household_id == grant.household_id)
    )


def _revocation(uow: UnitOfWork, grant: Grant, number: int) -> Decision:
    """The decision that records a revocation, beside the one that granted."""
    granted = uow.decisions.find(grant.decision_id)
    assert grant.revoked_on is not None
    who = grant.member_id or grant.household_id
    return Decision(
        decision_id=revocation_id(grant.program_id, grant.period, who, number),
        program_id=grant.program_id,
        period=grant.period,
        household_id=grant.household_id,
        member_id=grant.member_id,
        outcome=Outcome.REVOKED,
        decided_on=grant.revoked_on,
        rule_version=granted.rule_version if granted is not None else "revocation",
        reason=(
            f"grant {grant.grant_id} of {grant.amount} yuan from fund {grant.fund_id} "
            f"revoked: {grant.revoke_reason}"
        ),
        parameters={"grant": grant.grant_id, "amount": str(grant.amount)},
    )


def _route_again(uow: UnitOfWork, grant: Grant) -> None:
    """The need the grant resolved is routed to its programme again."""
    if grant.need_id is None:
        return
    need = uow.needs.find(grant.need_id)
    if need is None or need.resolved_by != f"grant:{grant.grant_id}":
        return
    uow.needs.update(
        attrs.evolve(need, status=NeedStatus.ROUTED, resolved_on=None, resolved_by=None)
    )


@frozen
class GrantListing:
    """Grants as an output may show them: those of a programme whose rules read a
    health or disability fact are left out unless revealed (who holds one tells it),
    and only counted, by programme."""

    grants: tuple[Grant, ...]
    withheld: Mapping[str, int] = attrs.field(factory=dict)
    """Programme id -> how many of its grants were left out."""


def grant_listing(
    grants: Sequence[Grant], sensitive: frozenset[str], *, reveal: bool = False
) -> GrantListing:
    """``grants`` with those of the ``sensitive`` programmes left out unless ``reveal``."""
    if reveal:
        return GrantListing(tuple(grants))
    withheld = Counter(g.program_id for g in grants if g.program_id in sensitive)
    shown = tuple(g for g in grants if g.program_id not in sensitive)
    return GrantListing(shown, dict(sorted(withheld.items())))
