"""The result of pairing: each pair with its cost by term, each household left unpaired with why."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from attrs import frozen

from jieqin.model import CostTerm, Handover, Pairing, PairingRole
from jieqin.pairing.continuity import HandoverReason
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
    (``end`` set) and ``handovers`` every change of a household's helper, a first
    pairing (``first_pairing``, from nobody) included.
    """

    on: date
    pairs: tuple[PlannedPair, ...]
    unpaired: tuple[UnpairedHousehold, ...]
    pairings: tuple[Pairing, ...]
    ended: tuple[Pairing, ...]
    handovers: tuple[Handover, ...]
    candidates: int = 0
    made_room_cost: int = 0
    """The handover cost of the households left without their helper to make room
    for others (``made_room``); it has no pair to carry it."""

    @property
    def total_cost(self) -> int:
        """The plan's total cost in whole units: every pair's cost by term (handover
        costs included) and the handover cost of the households that made room."""
        return sum(pair.cost for pair in self.pairs) + self.made_room_cost

    @property
    def handover_cost(self) -> int:
        """The part of :attr:`total_cost` that is handover costs."""
        charged = sum(t.value for p in self.pairs for t in p.costs if t.name == "handover")
        return int(charged) + self.made_room_cost

    @property
    def superseded(self) -> tuple[Pairing, ...]:
        """The pairings recorded from later days that this plan's new ones supersede
        (withdrawn: a plan for an earlier day, see ``jieqin pair --on``)."""
        return tuple(p for p in self.ended if p.start > self.on)

    @property
    def new_pairings(self) -> tuple[Handover, ...]:
        """The first pairings: households that had no primary helper and get one."""
        return tuple(h for h in self.handovers if h.reason == HandoverReason.FIRST_PAIRING)

    @property
    def changes(self) -> tuple[Handover, ...]:
        """The handovers proper: a household's primary helper changes or ends."""
        return tuple(h for h in self.handovers if h.reason != HandoverReason.FIRST_PAIRING)

    def count(self, status: PairStatus, role: PairingRole = PairingRole.PRIMARY) -> int:
        """How many pairs of ``role`` have ``status``."""
        return sum(1 for pair in self.pairs if pair.status is status and pair.role is role)

    @property
    def primary(self) -> tuple[PlannedPair, ...]:
        """The primary pairs: one per paired household."""
        return tuple(p for p in self.pairs if p.role is PairingRole.PRIMARY)

    def summary(self) -> dict[str, int]:
        """Counts of primary pairs by status, unpaired households by reason, secondary
        pairs, new pairings (first pairings), handovers (changes of helper and ends),
        ended pairings, and the total cost with its handover part."""
        out = {str(s): self.count(s) for s in PairStatus}
        for reason in UnpairedReason:
            out[f"unpaired_{reason}"] = sum(1 for u in self.unpaired if u.reason is reason)
        out["paired"] = len(self.primary)
        out["secondary"] = len(self.pairs) - out["paired"]
        out["unpaired"] = len(self.unpaired)
        out["new_pairings"] = len(self.new_pairings)
        out["handovers"] = len(self.changes)
        out["ended"] = len(self.ended)
        out["total_cost"] = self.total_cost
        out["handover_cost"] = self.handover_cost
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
            "ended": [
                {
                    "helper_id": p.helper_id,
                    "household_id": p.household_id,
                    "role": str(p.role),
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat() if p.end else None,
                    "withdrawn": p.withdrawn,
                }
                for p in self.ended
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
