"""Gather the plan: the records that make it so (new pairings, ended ones, handovers)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta

import attrs
from attrs import Factory, define

from jieqin.model import Handover, Pairing, PairingRole
from jieqin.pairing.continuity import Continuity, HandoverReason
from jieqin.pairing.plan import PairingPlan, PairStatus, PlannedPair, UnpairedHousehold

__all__ = ["ended_on", "gather_plan", "superseding_later", "with_secondary"]


def ended_on(pairing: Pairing, day: date) -> Pairing:
    """``pairing`` ended the day before ``day``: withdrawn (never in force) when
    ``day`` is its first day, so that two pairings are never in force on one day."""
    return attrs.evolve(pairing, end=day - timedelta(days=1))


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
    handover_cost: int = 0,
) -> PairingPlan:
    """The plan of the primary ``pairs`` (sorted by household): superseded pairs end,
    each change of helper is a handover, and pairs in force left without a pair end.

    A pair in force that could continue but has no pair in the plan lost its place to
    another household (``made_room``, only under the policy's ``make_room``); each
    such loss costs ``handover_cost`` in the plan's total."""
    records = _Records(day)
    for pairing in continuity.superseded:
        records.hand_over(pairing.household_id, HandoverReason.SUPERSEDED, pairing, None)
    for pair in pairs:
        records.pair(pair, continuity)
    paired = {p.household_id for p in pairs}
    made_room = 0
    for household_id, had in sorted(continuity.current.items()):
        if household_id not in paired:
            reason = continuity.released.get(household_id, HandoverReason.MADE_ROOM)
            made_room += reason is HandoverReason.MADE_ROOM
            records.hand_over(household_id, reason, had, None)
    return PairingPlan(
        day,
        tuple(pairs),
        tuple(sorted(unpaired, key=lambda u: u.household_id)),
        tuple(sorted(records.new, key=lambda p: p.household_id)),
        tuple(sorted(records.ended, key=lambda p: (p.household_id, p.helper_id))),
        tuple(sorted(records.handovers, key=lambda h: (h.household_id, h.reason))),
        candidates,
        made_room * handover_cost,
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


def superseding_later(plan: PairingPlan, stored: Mapping[str, Iterable[Pairing]]) -> PairingPlan:
    """``plan`` with the pairings it supersedes: those recorded for later days
    (``stored``: every pairing of the households it pairs) that its new pairings
    overlap, the household's of the same role or with the same helper. Each is
    withdrawn (it ends the day before it starts: never in force, still on record), so
    a plan for an earlier day (``jieqin pair --on`` after a run for today) leaves one
    pairing open per household and role, not two.
    """
    superseded: list[Pairing] = []
    for pairing in plan.pairings:
        why = f"superseded by the pairing from {pairing.start.isoformat()}"
        superseded += [
            attrs.evolve(p, end=p.start - timedelta(days=1), reason=why)
            for p in stored.get(pairing.household_id, ())
            if p.start > pairing.start
            and not p.withdrawn
            and (p.role is pairing.role or p.helper_id == pairing.helper_id)
        ]
    if not superseded:
        return plan
    unique = {(p.helper_id, p.household_id, p.start): p for p in superseded}
    return attrs.evolve(
        plan,
        ended=tuple(
            sorted(
                (*plan.ended, *unique.values()),
                key=lambda p: (p.household_id, p.helper_id, p.start),
            )
        ),
    )
