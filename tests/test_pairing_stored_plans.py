"""Plans of seeded random campaigns match the plans stored for them.

Each case is a small campaign drawn from a seed: helpers (some inactive) across
two cities and two provinces, households of every status, open and closed needs,
pairings in force and ended ones (primary and secondary, some for helpers or
households that are gone), pinned and forbidden pairs, and a random policy with
plugin cost terms. The stored digest covers every part of the plan: pairs with
their costs and explanations, households left unpaired with why, new and ended
pairings, handovers, and the candidate count; a refused plan stores its error.

The costs and need map are the cases' own, not the policy defaults, so a change of
the defaults does not change these plans. After a deliberate change of what plans
are, write the file again with ``python tests/test_pairing_stored_plans.py``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from jieqin.errors import PairingError
from jieqin.model import (
    EmploymentStatus,
    Health,
    HealthCondition,
    Helper,
    Household,
    HouseholdStatus,
    Member,
    Need,
    NeedKind,
    Pairing,
    PairingRole,
    RegionCode,
    RegionLevel,
    Schooling,
    SchoolLevel,
    Sector,
    StatusChange,
)
from jieqin.model.needs import NeedSource, NeedStatus
from jieqin.model.periods import Year
from jieqin.pairing import (
    CandidateEdges,
    HandoverReason,
    PairingCostTerm,
    PairingPlan,
    PairingPolicy,
    PairStatus,
    UnpairedReason,
    plan_pairings,
)

STORED = Path(__file__).with_name("pairing_stored_plans.json")
CASES = 300
ON = date(2031, 1, 1)

# Three counties of two cities in one province, and one county of another province.
_COUNTIES = ("610202", "610203", "610302", "620102")
_NEED_WEIGHTS = {
    NeedKind.MEDICAL: 40,
    NeedKind.SCHOOLING: 30,
    NeedKind.EMPLOYMENT: 25,
    NeedKind.DISABILITY_SUPPORT: 35,
    NeedKind.HOUSING: 10,
}
_NEED_SECTORS = {
    NeedKind.MEDICAL: {Sector.MEDICAL},
    NeedKind.SCHOOLING: {Sector.EDUCATION},
    NeedKind.EMPLOYMENT: {Sector.EMPLOYMENT, Sector.AGRICULTURE},
    NeedKind.DISABILITY_SUPPORT: {Sector.SOCIAL_WORK, Sector.MEDICAL},
    NeedKind.HOUSING: {Sector.CONSTRUCTION},
}
_DISTANCE = {
    RegionLevel.VILLAGE: 0,
    RegionLevel.TOWNSHIP: 15,
    RegionLevel.COUNTY: 55,
    RegionLevel.CITY: 140,
    RegionLevel.PROVINCE: 320,
}
_HEAD = Member("m1", "张秀英", "female", date(1949, 12, 31), "11010519491231002X")


def odd_sector_mask(edges: CandidateEdges) -> np.ndarray:
    """A plugin term over the helper's sector mask and the edge's level."""
    sectors = edges.helpers.sectors[edges.helper]
    return np.asarray((sectors & 1) * 7 + (edges.level == RegionLevel.TOWNSHIP) * 3, np.int64)


def load_and_current(edges: CandidateEdges) -> np.ndarray:
    """A plugin term reading the helpers' load and the households' current helper."""
    load = edges.helpers.load[edges.helper]
    current = edges.households.current[edges.household]
    return np.asarray(load * 4 + (current == edges.helper) * 9, np.int64)


_TERMS = (
    PairingCostTerm("odd_sector_mask", odd_sector_mask),
    PairingCostTerm("load_and_current", load_and_current),
)


def _region(rnd: random.Random, deepest: int) -> RegionCode:
    """A county (0), township (1) or village (2) code, no deeper than ``deepest``."""
    code = rnd.choices(_COUNTIES, weights=(6, 2, 1, 1))[0]
    depth = rnd.randint(0, deepest) if deepest < 2 else rnd.choice([1, 2, 2, 2])
    if depth >= 1:
        code += f"{rnd.randint(1, 2):03d}"
    if depth >= 2:
        code += f"{rnd.randint(1, 2):03d}"
    return RegionCode(code)


def _helper(rnd: random.Random, helper_id: str) -> Helper:
    sectors = rnd.sample(sorted(Sector), rnd.randint(0, 2))
    return Helper(
        helper_id,
        f"帮扶人{helper_id}",
        "city_member",
        _region(rnd, 2 if rnd.random() < 0.8 else 0),
        sectors=frozenset(sectors),
        capacity=rnd.randint(1, 3),
        active=rnd.random() < 0.85,
    )


def _member(rnd: random.Random, member_id: str) -> Member:
    return attrs.evolve(
        _HEAD,
        member_id=member_id,
        health=Health(rnd.choice(list(HealthCondition))),
        employment=rnd.choice(list(EmploymentStatus)),
        disability_grade=rnd.choice([None, None, None, 2]),
        schooling=rnd.choice([None, None, Schooling(SchoolLevel.COLLEGE, 2030)]),
    )


def _household(rnd: random.Random, household_id: str) -> Household:
    status = rnd.choice(
        [HouseholdStatus.LIFTED_OUT] * 4 + [HouseholdStatus.UNSTABLE, HouseholdStatus.POOR]
    )
    since = ON + timedelta(days=rnd.choice([-400, -30, 0, 0, 1]))
    return Household(
        household_id,
        _region(rnd, 2),
        (_member(rnd, f"{household_id}-1"),),
        (StatusChange("poor", date(2016, 1, 1)), StatusChange(status, since)),
    )


def _need(rnd: random.Random, k: int, household_id: str) -> Need:
    return Need(
        f"n{k}",
        household_id,
        rnd.choice([*_NEED_WEIGHTS, NeedKind.WINTER_FOOD]),
        Year(2031),
        NeedSource.SURVEY,
        date(2030, 11, 1),
        status=rnd.choice([NeedStatus.OPEN, NeedStatus.ROUTED, NeedStatus.RESOLVED]),
    )


def _pairing(
    rnd: random.Random, helper_id: str, household_id: str, role: PairingRole | None = None
) -> Pairing:
    start = ON - timedelta(days=rnd.choice([800, 365, 365, 200, 0, -10]))
    end = rnd.choice([None, None, None, start + timedelta(days=100), ON, ON + timedelta(days=30)])
    if role is None:
        role = PairingRole.SECONDARY if rnd.random() < 0.25 else PairingRole.PRIMARY
    return Pairing(helper_id, household_id, start, role=role, end=end, reason="2030 campaign")


def _policy(rnd: random.Random, pinned: list[tuple[str, str]], forbidden: list[tuple[str, str]]):
    limit = rnd.choice([*RegionLevel, RegionLevel.COUNTY, RegionLevel.COUNTY])
    policy = PairingPolicy(
        locality_limit=limit,
        distance_costs=_DISTANCE,
        need_weights=_NEED_WEIGHTS,
        need_sectors=_NEED_SECTORS,
        implied_needs=rnd.random() < 0.7,
        workload_step=rnd.choice([0, 10, 25]),
        max_per_helper=rnd.choice([None, None, 1, 2]),
        max_candidates=rnd.choice([None, 1, 2, 50]),
        keep_existing=rnd.random() < 0.6,
        handover_cost=rnd.choice([0, 50, 200]),
        pinned=pinned,
        forbidden=[p for p in forbidden if p not in pinned],
        partition_level=rnd.choice([None, *(lv for lv in RegionLevel if lv <= limit)]),
        secondary=rnd.random() < 0.4,
    )
    # Drawn from what was drawn already, so that the cases before it plan as they did.
    make_room = not policy.keep_existing and policy.handover_cost == 50
    return attrs.evolve(policy, make_room=make_room)


def _near(rnd: random.Random, helpers: list[Helper], household: Household) -> str:
    """A helper of the household's own county, mostly an active one."""
    county = household.region.code[:6]
    near = [
        h for h in helpers if (h.home_region.code[:6] == county and h.active) or rnd.random() < 0.05
    ]
    return rnd.choice(near or helpers).helper_id


def _pairings(
    rnd: random.Random,
    helpers: list[Helper],
    households: list[Household],
    helper_ids: list[str],
    household_ids: list[str],
) -> list[Pairing]:
    """Pairings in force and ended: mostly with a helper near the household, some with
    helpers or households that are gone, some the very same twice, some households
    with two secondary helpers."""
    out = []
    for _ in range(rnd.randint(0, 14)):
        if helpers and households and rnd.random() < 0.6:
            household = rnd.choice(households)
            out.append(_pairing(rnd, _near(rnd, helpers, household), household.household_id))
        else:
            out.append(_pairing(rnd, rnd.choice(helper_ids), rnd.choice(household_ids)))
    if out and rnd.random() < 0.2:
        out.append(rnd.choice(out))
    if helpers and households and rnd.random() < 0.3:
        household = rnd.choice(households)
        for _ in range(2):
            helper_id = _near(rnd, helpers, household)
            out.append(_pairing(rnd, helper_id, household.household_id, PairingRole.SECONDARY))
    return out


def _pin(
    rnd: random.Random, helpers: list[Helper], households: list[Household], existing: list[Pairing]
) -> tuple[str, str]:
    """A pinned pair, mostly one that may be made (an active helper of an eligible
    household's own county), often with a helper who keeps a pair in force."""
    eligible = [h for h in households if h.status_on(ON) != "poor" or rnd.random() < 0.1]
    household = rnd.choice(eligible or households)
    ids = {h.helper_id for h in helpers}
    busy = [p for p in existing if p.helper_id in ids and p.active_on(ON)]
    if busy and rnd.random() < 0.6:
        pairing = rnd.choice(busy)
        by_id = {h.household_id: h for h in households}
        county = by_id.get(pairing.household_id, household).region.code[:6]
        near = [h for h in eligible if h.region.code[:6] == county] or [household]
        return pairing.helper_id, rnd.choice(near).household_id
    return _near(rnd, helpers, household), household.household_id


def campaign(seed: int) -> dict[str, Any]:
    """The inputs of case ``seed``: keyword arguments of :func:`plan_pairings`."""
    rnd = random.Random(seed)
    helper_ids = [f"p{i}" for i in range(12)]
    household_ids = [f"h{i:02d}" for i in range(20)]
    helpers = [_helper(rnd, h) for h in rnd.sample(helper_ids, rnd.randint(0, 10))]
    households = [_household(rnd, h) for h in rnd.sample(household_ids, rnd.randint(0, 16))]
    needs = [_need(rnd, k, rnd.choice(household_ids)) for k in range(rnd.randint(0, 10))]
    existing = _pairings(rnd, helpers, households, helper_ids, household_ids)
    pinned = [
        _pin(rnd, helpers, households, existing)
        for _ in range(rnd.choice([0, 0, 0, 1, 2]))
        if helpers and households
    ]
    forbidden = [
        (rnd.choice(helper_ids), rnd.choice(household_ids)) for _ in range(rnd.randint(0, 6))
    ]
    for pairing in rnd.sample(existing, min(len(existing), rnd.choice([0, 0, 1]))):
        forbidden.append((pairing.helper_id, pairing.household_id))
    policy = _policy(rnd, pinned, forbidden)
    terms = rnd.choice([(), (), _TERMS[:1], _TERMS])
    rnd.shuffle(helpers)
    rnd.shuffle(households)
    return {
        "helpers": helpers,
        "households": households,
        "needs": needs,
        "existing": existing,
        "policy": policy,
        "on": ON,
        "terms": terms,
    }


def _record(pairing: Pairing) -> list[Any]:
    return [
        pairing.helper_id,
        pairing.household_id,
        pairing.start.isoformat(),
        str(pairing.role),
        None if pairing.end is None else pairing.end.isoformat(),
        pairing.reason,
        [[t.name, t.value] for t in pairing.costs],
    ]


def canonical(plan: PairingPlan) -> dict[str, Any]:
    """Every part of ``plan``, in order, as plain JSON values."""
    return {
        "on": plan.on.isoformat(),
        "pairs": [
            [
                p.helper_id,
                p.household_id,
                str(p.status),
                str(p.role),
                [[t.name, t.value] for t in p.costs],
                p.explanation,
            ]
            for p in plan.pairs
        ],
        "unpaired": [[u.household_id, str(u.reason), u.detail] for u in plan.unpaired],
        "pairings": [_record(p) for p in plan.pairings],
        "ended": [_record(p) for p in plan.ended],
        "handovers": [
            [h.household_id, h.on.isoformat(), str(h.reason), h.from_helper_id, h.to_helper_id]
            for h in plan.handovers
        ],
        "candidates": plan.candidates,
    }


def outcome(seed: int) -> tuple[dict[str, str], PairingPlan | None]:
    """Case ``seed``'s plan as a digest and a readable line (or the error that refused it)."""
    try:
        plan = plan_pairings(**campaign(seed))
    except PairingError as error:
        return {"error": str(error)}, None
    text = json.dumps(canonical(plan), ensure_ascii=False, sort_keys=True)
    s = plan.summary()
    line = (
        f"paired={s['paired']} secondary={s['secondary']} unpaired={s['unpaired']} "
        f"handovers={s['handovers']} ended={s['ended']} cost={s['total_cost']}"
    )
    return {"digest": hashlib.sha256(text.encode()).hexdigest(), "summary": line}, plan


@functools.cache
def outcomes() -> tuple[tuple[dict[str, str], PairingPlan | None], ...]:
    return tuple(outcome(seed) for seed in range(CASES))


def test_every_case_plans_as_stored():
    stored = json.loads(STORED.read_text(encoding="utf-8"))
    assert len(stored) == CASES
    differ = {
        seed: (stored[seed], now) for seed, (now, _) in enumerate(outcomes()) if now != stored[seed]
    }
    assert not differ, f"{len(differ)} cases plan otherwise; first: {next(iter(differ.items()))}"


def test_the_cases_reach_every_part_of_planning():
    """Every status, handover reason and unpaired reason occurs, and some pins are refused."""
    plans = [plan for _, plan in outcomes() if plan is not None]
    statuses = {(p.status, p.role) for plan in plans for p in plan.pairs}
    reasons = {h.reason for plan in plans for h in plan.handovers}
    unpaired = {u.reason for plan in plans for u in plan.unpaired}
    assert statuses >= {(s, PairingRole.PRIMARY) for s in PairStatus}
    assert statuses >= {(s, PairingRole.SECONDARY) for s in (PairStatus.KEPT, PairStatus.NEW)}
    assert reasons == set(HandoverReason)
    assert unpaired == set(UnpairedReason)
    assert CASES // 2 < len(plans) < CASES
    assert any(plan.ended and plan.pairings for plan in plans)


if __name__ == "__main__":
    STORED.write_text(
        json.dumps([out for out, _ in outcomes()], ensure_ascii=False, indent=0) + "\n",
        encoding="utf-8",
    )
    sys.exit(0)
