"""Continuity: which pairs in force are kept, and why the others end.

A pair in force is kept unless the helper left or is inactive, the helper lost
capacity (the longest-standing pairs are kept first), the pair is no longer
allowed (forbidden, beyond the locality limit, the household no longer eligible),
another helper is pinned to the household, or the policy re-pairs everyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from enum import StrEnum

from attrs import frozen

from jieqin.model import Helper, Household, Pairing, PairingRole
from jieqin.pairing.policy import PairingPolicy

__all__ = ["Continuity", "HandoverReason", "sort_out_existing"]


class HandoverReason(StrEnum):
    """Why a household's helper changes (the ``reason`` of a handover)."""

    FIRST_PAIRING = "first_pairing"
    HELPER_LEFT = "helper_left"
    HELPER_INACTIVE = "helper_inactive"
    HELPER_CAPACITY_REDUCED = "helper_capacity_reduced"
    BEYOND_LOCALITY_LIMIT = "beyond_locality_limit"
    FORBIDDEN = "forbidden"
    HOUSEHOLD_NOT_ELIGIBLE = "household_not_eligible"
    PINNED = "pinned"
    RE_PAIRED = "re_paired"
    """The policy re-paired every household and found a better helper."""
    SUPERSEDED = "superseded"
    """A second primary pair in force for the same household."""


@frozen
class Continuity:
    """The pairs in force, sorted out: kept ones, released ones with why, and ended ones."""

    kept: Mapping[str, Pairing]
    """Household id -> its pair, kept as it is."""
    current: Mapping[str, Pairing]
    """Household id -> its pair in force that is *not* kept (it may be re-chosen)."""
    released: Mapping[str, HandoverReason]
    """Household id -> why its pair in force cannot continue."""
    pinned: Mapping[str, str]
    """Household id -> pinned helper id."""
    superseded: tuple[Pairing, ...]


def sort_out_existing(
    existing: Iterable[Pairing],
    helpers: Mapping[str, Helper],
    households: Mapping[str, Household],
    eligible: frozenset[str],
    policy: PairingPolicy,
    on: date,
) -> Continuity:
    """Decide the fate of each primary pair in force on ``on``."""
    in_force: dict[str, list[Pairing]] = {}
    for pairing in existing:
        if pairing.role is PairingRole.PRIMARY and pairing.active_on(on):
            in_force.setdefault(pairing.household_id, []).append(pairing)
    superseded: list[Pairing] = []
    current: dict[str, Pairing] = {}
    for household_id, pairs in in_force.items():
        pairs.sort(key=lambda p: (p.start, p.helper_id))
        current[household_id] = pairs[-1]
        superseded.extend(pairs[:-1])
    pinned = {household: helper for helper, household in sorted(policy.pinned)}
    released: dict[str, HandoverReason] = {}
    staying: dict[str, list[Pairing]] = {}
    for household_id, pairing in sorted(current.items()):
        helper = helpers.get(pairing.helper_id)
        household = households.get(household_id)
        reason: HandoverReason | None = None
        if household is None or household_id not in eligible:
            reason = HandoverReason.HOUSEHOLD_NOT_ELIGIBLE
        elif helper is None:
            reason = HandoverReason.HELPER_LEFT
        elif not helper.active:
            reason = HandoverReason.HELPER_INACTIVE
        elif (helper.helper_id, household_id) in policy.forbidden:
            reason = HandoverReason.FORBIDDEN
        elif _beyond_limit(helper, household, policy):
            reason = HandoverReason.BEYOND_LOCALITY_LIMIT
        elif household_id in pinned and pinned[household_id] != helper.helper_id:
            reason = HandoverReason.PINNED
        if reason is None:
            staying.setdefault(pairing.helper_id, []).append(pairing)
        else:
            released[household_id] = reason
    pinned_load: dict[str, int] = {}
    for household_id, helper_id in pinned.items():
        if current.get(household_id) is None or current[household_id].helper_id != helper_id:
            pinned_load[helper_id] = pinned_load.get(helper_id, 0) + 1
    kept: dict[str, Pairing] = {}
    for helper_id, pairs in sorted(staying.items()):
        pairs.sort(key=lambda p: (p.household_id not in pinned, p.start, p.household_id))
        room = policy.capacity(helpers[helper_id].capacity) - pinned_load.get(helper_id, 0)
        for i, pairing in enumerate(pairs):
            if pairing.household_id in pinned:
                kept[pairing.household_id] = pairing
            elif i >= room:
                released[pairing.household_id] = HandoverReason.HELPER_CAPACITY_REDUCED
            elif policy.keep_existing:
                kept[pairing.household_id] = pairing
    not_kept = {h: p for h, p in current.items() if h not in kept}
    return Continuity(kept, not_kept, released, pinned, tuple(superseded))


def _beyond_limit(helper: Helper, household: Household, policy: PairingPolicy) -> bool:
    level = helper.home_region.common_level(household.region)
    return level is None or level < policy.locality_limit
