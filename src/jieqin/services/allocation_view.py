"""Who an allocation granted and who it wait-listed, as people may read it.

An allocation's plan holds every decision; a listing shows the ranked ones (granted
and wait-listed) in rank order, each with the amount granted or the amount the member
would get. Names are masked (:func:`jieqin._masking.mask_name`) unless revealed. For
a programme whose rules read a health or disability fact, being on the list tells
that fact, so a listing that is not revealed holds no row at all (``withheld``): only
the plan's counts may be shown. Revealing is the campaign's to allow and audit
(:meth:`jieqin.Campaign.allocation_listing`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from attrs import frozen

from jieqin._masking import mask_name
from jieqin.model import Household, Outcome
from jieqin.services.aid import AllocationPlan

__all__ = ["MASKED_NAME", "AllocationLine", "AllocationListing", "allocation_lines"]

#: The name shown for a member whose household the reader may not see.
MASKED_NAME = "<masked>"


@frozen
class AllocationLine:
    """One ranked member of an allocation: granted, or wait-listed for want of money."""

    rank: int
    outcome: Outcome
    member_id: str | None
    household_id: str
    name: str
    """Masked (``王**``) unless the listing was revealed."""
    amount: Decimal | None
    """What was granted, or what a wait-listed member would get."""
    reason: str

    def summary(self) -> dict[str, Any]:
        """The line as plain data (``jieqin aid run --json``)."""
        return {
            "rank": self.rank,
            "outcome": str(self.outcome),
            "member": self.member_id,
            "household": self.household_id,
            "name": self.name,
            "amount": None if self.amount is None else str(self.amount),
            "reason": self.reason,
        }


@frozen
class AllocationListing:
    """The ranked lines of an allocation, or none when they would tell health facts."""

    lines: tuple[AllocationLine, ...]
    withheld: bool = False
    """The programme's rules read health or disability facts and the listing was not
    revealed: no line is given."""
    revealed: bool = False


def allocation_lines(
    plan: AllocationPlan, households: Mapping[str, Household], *, reveal: bool = False
) -> tuple[AllocationLine, ...]:
    """The granted and wait-listed members of ``plan`` in rank order, names from
    ``households`` (by id), masked unless ``reveal``."""
    lines = []
    for decision in plan.decisions:
        if decision.priority is None or decision.outcome not in (
            Outcome.GRANTED,
            Outcome.WAIT_LISTED,
        ):
            continue
        lines.append(
            AllocationLine(
                rank=decision.priority,
                outcome=decision.outcome,
                member_id=decision.member_id,
                household_id=decision.household_id,
                name=_name(households.get(decision.household_id), decision.member_id, reveal),
                amount=decision.amount
                if decision.outcome is Outcome.GRANTED
                else plan.entitlements.get(decision.decision_id),
                reason=decision.reason,
            )
        )
    return tuple(sorted(lines, key=lambda line: line.rank))


def _name(household: Household | None, member_id: str | None, reveal: bool) -> str:
    """The member's name; for a household grant (no member) the head's."""
    if household is None:
        return MASKED_NAME
    try:
        name = household.member(member_id).name if member_id else household.head.name
    except KeyError:
        return MASKED_NAME
    return name if reveal else mask_name(name)
