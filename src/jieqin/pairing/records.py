"""Gather the plan: the records that make it so (new pairings, ended ones, handovers)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import attrs
from attrs import Factory, define

from jieqin.model import Handover, Pairing, PairingRole
from jieqin.pairing.continuity import Continuity, HandoverReason
from jieqin.pairing.plan import PairingPlan, PairStatus, PlannedPair, UnpairedHousehold

__all__ = ["ended_on", "gather_plan", "with_secondary"]


def ended_on(pairing: Pairing, day: date) -> Pairing:
    """``pairing`` ended the day before ``day`` (or on its first day, if that is later)."""
    return attrs.evolve(pairing, end=max(pairing.start, day - timedelta(days=1)))


@define
class _Records:
    """The records of one plan, in the order they are made."""

    day: date
    new: list[Pairing] = Factory(list)
    ended: list[Pairing] = Factory(list)
    handovers: list[Handover] = Factory(list)

    def hand_over(
        self, household_id: str, reason: str, had: Pairing | None, to: str | None
    ) -> None:
        """End ``had`` (when there is one) and record the change to helper ``to``."""
        if had is not None:
            self.ended.append(ended_on(had, self.day))
        helper = None if had is None else had.helper_id
        self.handovers.append(Handover(household_id, self.day, reason, helper, to))

    def pair(self, pair: PlannedPair, continuity: Continuity) -> None:
        """The records of a primary pair: none when it stays as in force."""
        if pair.status is PairStatus.KEPT:
            return
        had = continuity.current.get(pair.household_id)
        if had is not None and had.helper_id == pair.helper_id:
            return
        self.new.append(
            Pairing(
                pair.helper_id,
                pair.household_id,
                self.day,
                reason=pair.explanation,
                costs=pair.costs,
            )
        )
        self.hand_over(pair.household_id, _why(pair, had, continuity), had, pair.helper_id)


def _why(pair: PlannedPair, had: Pairing | None, continuity: Continuity) -> str:
    """The reason of the handover to ``pair`` from the pair in force ``had``."""
    if had is None:
        return HandoverReason.FIRST_PAIRING
    reason = continuity.released.get(pair.household_id)
    if reason is not None:
        return reason
    return HandoverReason.PINNED if pair.status is PairStatus.PINNED else HandoverReason.RE_PAIRED


def gather_plan(
    day: date,
    pairs: Sequence[PlannedPair],
    unpaired: Sequence[UnpairedHousehold],
    continuity: Continuity,
    candidates: int,
) -> PairingPlan:
    """The plan of the primary ``pairs`` (sorted by household): superseded pairs end,
    each change of helper is a handover, and pairs in force left without a pair end."""
    records = _Records(day)
    for pairing in continuity.superseded:
        records.hand_over(pairing.household_id, HandoverReason.SUPERSEDED, pairing, None)
    for pair in pairs:
        records.pair(pair, continuity)
    paired = {p.household_id for p in pairs}
    for household_id, had in sorted(continuity.current.items()):
        if household_id not in paired:
            reason = continuity.released.get(household_id, HandoverReason.RE_PAIRED)
            records.hand_over(household_id, reason, had, None)
    return PairingPlan(
        day,
        tuple(pairs),
        tuple(sorted(unpaired, key=lambda u: u.household_id)),
        tuple(sorted(records.new, key=lambda p: p.household_id)),
        tuple(sorted(records.ended, key=lambda p: (p.household_id, p.helper_id))),
        tuple(sorted(records.handovers, key=lambda h: (h.household_id, h.reason))),
        candidates,
    )


def with_secondary(
    plan: PairingPlan, secondary: Sequence[PlannedPair], ended: Sequence[Pairing]
) -> PairingPlan:
    """``plan`` with the secondary pairs, their new pairings and the secondary pairs in
    force that end."""
    new = [
        Pairing(
            p.helper_id,
            p.household_id,
            plan.on,
            role=PairingRole.SECONDARY,
            reason=p.explanation,
            costs=p.costs,
        )
        for p in secondary
        if p.status is not PairStatus.KEPT
    ]
    return attrs.evolve(
        plan,
        pairs=tuple(
            sorted(
                (*plan.pairs, *secondary),
                key=lambda p: (p.household_id, p.role != PairingRole.PRIMARY),
            )
        ),
        pairings=tuple(sorted((*plan.pairings, *new), key=lambda p: (p.household_id, p.role))),
        ended=tuple(
            sorted(
                (*plan.ended, *(ended_on(p, plan.on) for p in ended)),
                key=lambda p: (p.household_id, p.helper_id),
            )
        ),
    )
