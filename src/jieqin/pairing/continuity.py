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
    """The policy re-paired every household and found a helper better by more than
    the handover cost (the handover names the new helper)."""
    MADE_ROOM = "made_room"
    """The policy (``make_room``) let a household without a helper take this one's
    place; it is left without a helper."""
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
    current, superseded = _latest_in_force(existing, on)
    pinned = {household: helper for helper, household in sorted(policy.pinned)}
    released: dict[str, HandoverReason] = {}
    staying: dict[str, list[Pairing]] = {}
    for household_id, pairing in sorted(current.items()):
        helper = helpers.get(pairing.helper_id)
        household = households.get(household_id)
        reason = _release_reason(pairing, helper, household, eligible, policy, pinned)
        if reason is None:
            staying.setdefault(pairing.helper_id, []).append(pairing)
        else:
            released[household_id] = reason
    kept = _keep_within_capacity(staying, helpers, current, pinned, policy, released)
    not_kept = {h: p for h, p in current.items() if h not in kept}
    return Continuity(kept, not_kept, released, pinned, tuple(superseded))


def _latest_in_force(
    existing: Iterable[Pairing], on: date
) -> tuple[dict[str, Pairing], list[Pairing]]:
    """Per household its latest primary pair in force, and the earlier ones it supersedes."""
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
    return current, superseded


def _release_reason(
    pairing: Pairing,
    helper: Helper | None,
    household: Household | None,
    eligible: frozenset[str],
    policy: PairingPolicy,
    pinned: Mapping[str, str],
) -> HandoverReason | None:
    """Why the pair in force cannot continue, its helper's places aside, or ``None``."""
    if household is None or pairing.household_id not in eligible:
        return HandoverReason.HOUSEHOLD_NOT_ELIGIBLE
    if helper is None:
        return HandoverReason.HELPER_LEFT
    if not helper.active:
        return HandoverReason.HELPER_INACTIVE
    if (helper.helper_id, pairing.household_id) in policy.forbidden:
        return HandoverReason.FORBIDDEN
    if not policy.within_limit(helper.home_region, household.region):
        return HandoverReason.BEYOND_LOCALITY_LIMIT
    pinned_to = pinned.get(pairing.household_id)
    if pinned_to is not None and pinned_to != helper.helper_id:
        return HandoverReason.PINNED
    return None


def _keep_within_capacity(
    staying: Mapping[str, list[Pairing]],
    helpers: Mapping[str, Helper],
    current: Mapping[str, Pairing],
    pinned: Mapping[str, str],
    policy: PairingPolicy,
    released: dict[str, HandoverReason],
) -> dict[str, Pairing]:
    """The pairs each helper keeps: its pinned ones, then the longest-standing as its
    places (less its newly pinned households) allow, or none of those without
    ``keep_existing``; a pair beyond the places is put in ``released``."""
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
    return kept
