"""The result of pairing: each pair with its cost by term, each household left unpaired with why."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from attrs import frozen

from jieqin.model import CostTerm, Handover, Pairing, PairingRole
from jieqin.pairing.partitions import UnpairedReason

__all__ = ["PairStatus", "PairingPlan", "PlannedPair", "UnpairedHousehold"]


class PairStatus(StrEnum):
    """How a planned pair relates to the pairs in force before."""

    KEPT = "kept"
    """The household keeps its helper."""
    PINNED = "pinned"
    """The policy pins this pair."""
    NEW = "new"
    """A household without a helper gets one."""
    CHANGED = "changed"
    """The household's helper changes (a handover)."""


@frozen
class PlannedPair:
    """One pair of the plan, with the cost of each term and why it was made."""

    helper_id: str
    household_id: str
    status: PairStatus
    costs: tuple[CostTerm, ...]
    explanation: str
    role: PairingRole = PairingRole.PRIMARY

    @property
    def cost(self) -> int:
        return int(sum(term.value for term in self.costs))


@frozen
class UnpairedHousehold:
    """A household the plan leaves without a helper, and why."""

    household_id: str
    reason: UnpairedReason
    detail: str


@frozen
class PairingPlan:
    """A complete, explained pairing: what to write to make it so, and what it costs.

    ``pairings`` are the new pairing records, ``ended`` the existing ones it closes
    (``end`` set) and ``handovers`` every change of a household's helper.
    """

    on: date
    pairs: tuple[PlannedPair, ...]
    unpaired: tuple[UnpairedHousehold, ...]
    pairings: tuple[Pairing, ...]
    ended: tuple[Pairing, ...]
    handovers: tuple[Handover, ...]
    candidates: int = 0

    @property
    def total_cost(self) -> int:
        """The plan's total cost in whole units (the optimum of the solved part plus kept pairs)."""
        return sum(pair.cost for pair in self.pairs)

    def count(self, status: PairStatus, role: PairingRole = PairingRole.PRIMARY) -> int:
        """How many pairs of ``role`` have ``status``."""
        return sum(1 for pair in self.pairs if pair.status is status and pair.role is role)

    @property
    def primary(self) -> tuple[PlannedPair, ...]:
        """The primary pairs: one per paired household."""
        return tuple(p for p in self.pairs if p.role is PairingRole.PRIMARY)

    def summary(self) -> dict[str, int]:
        """Counts of primary pairs by status, unpaired households by reason, secondary
        pairs, handovers, ended pairings, and the total cost."""
        out = {str(s): self.count(s) for s in PairStatus}
        for reason in UnpairedReason:
            out[f"unpaired_{reason}"] = sum(1 for u in self.unpaired if u.reason is reason)
        out["paired"] = len(self.primary)
        out["secondary"] = len(self.pairs) - out["paired"]
        out["unpaired"] = len(self.unpaired)
        out["handovers"] = len(self.handovers)
        out["ended"] = len(self.ended)
        out["total_cost"] = self.total_cost
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (no personal data: ids, costs and reasons only)."""
        return {
            "on": self.on.isoformat(),
            "summary": self.summary(),
            "pairs": [
                {
                    "helper_id": p.helper_id,
                    "household_id": p.household_id,
                    "status": str(p.status),
                    "role": str(p.role),
                    "cost": p.cost,
                    "costs": {t.name: t.value for t in p.costs},
                    "explanation": p.explanation,
                }
                for p in self.pairs
            ],
            "unpaired": [
                {"household_id": u.household_id, "reason": str(u.reason), "detail": u.detail}
                for u in self.unpaired
            ],
            "handovers": [
                {
                    "household_id": h.household_id,
                    "on": h.on.isoformat(),
                    "reason": h.reason,
                    "from_helper_id": h.from_helper_id,
                    "to_helper_id": h.to_helper_id,
                }
                for h in self.handovers
            ],
        }
