"""Small pairing instances for the pairing tests, and an independent cost model.

The independent model recomputes a pair's cost from the model objects with plain
Python (sets and region codes), not with the engine's columns, so that the tests
check the engine's vectorised cost terms as well as its solver.
"""

from __future__ import annotations

import functools
import itertools
from datetime import date

import attrs
import numpy as np
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from jieqin.model import (
    EmploymentStatus,
    Health,
    HealthCondition,
    Helper,
    Household,
    HouseholdStatus,
    Member,
    Need,
    RegionCode,
    RegionLevel,
    Schooling,
    SchoolLevel,
)
from jieqin.pairing import PairingPolicy
from jieqin.pairing.columns import implied_needs
from jieqin.testing import strategies as js

ON = date(2031, 1, 1)
CITY = RegionCode("610200")


@functools.cache
def household_regions(within: RegionCode = CITY) -> st.SearchStrategy[RegionCode]:
    return js.region_codes(
        within=within, min_level=RegionLevel.TOWNSHIP, max_townships=2, max_villages=2
    )


@functools.cache
def helper_regions(within: RegionCode = CITY) -> st.SearchStrategy[RegionCode]:
    return js.region_codes(
        within=within, min_level=RegionLevel.COUNTY, max_townships=2, max_villages=2
    )


_BASE = Member("m1", "张秀英", "female", date(1949, 12, 31))  # no resident ID: many can share it


def members() -> st.SearchStrategy[Member]:
    """Members that differ in the facts that imply needs (cheap to draw, unlike full members)."""
    return st.builds(
        lambda health, employment, disability, schooling: attrs.evolve(
            _BASE,
            health=Health(health),
            employment=employment,
            disability_grade=disability,
            schooling=schooling,
        ),
        st.sampled_from(list(HealthCondition)),
        st.sampled_from(list(EmploymentStatus)),
        st.none() | st.integers(1, 4),
        st.none() | st.just(Schooling(SchoolLevel.COLLEGE, 2030)),
    )


@st.composite
def instances(
    draw: st.DrawFn,
    *,
    max_helpers: int = 4,
    max_households: int = 6,
    max_capacity: int = 2,
    statuses: list[str] | None = None,
) -> tuple[list[Helper], list[Household]]:
    """Helpers and households of one city, with unique ids."""
    helpers = draw(
        st.lists(
            js.helpers(
                region=helper_regions(),
                helper_id=js.ids(prefix="p", max_size=4),
                max_capacity=max_capacity,
                active=True,
            ),
            max_size=max_helpers,
            unique_by=lambda h: h.helper_id,
        )
    )
    households = draw(
        st.lists(
            js.households(
                region=household_regions(),
                household_id=js.ids(prefix="h", max_size=4),
                statuses=statuses or [HouseholdStatus.LIFTED_OUT, HouseholdStatus.UNSTABLE],
                max_members=3,
                max_history=1,
                member_strategy=members(),
            ),
            max_size=max_households,
            unique_by=lambda h: h.household_id,
        )
    )
    return helpers, households


def need_kinds(household: Household, needs: list[Need], policy: PairingPolicy) -> set[str]:
    kinds = {
        n.kind
        for n in needs
        if n.household_id == household.household_id and n.status in ("open", "routed")
    }
    if policy.implied_needs:
        kinds |= implied_needs(household)
    return {k for k in kinds if k in policy.need_weights}


def pair_cost(
    helper: Helper, household: Household, policy: PairingPolicy, needs: list[Need] = ()
) -> int | None:  # type: ignore[assignment]
    """Cost of the pair by plain Python, or ``None`` when it is not allowed."""
    level = helper.home_region.common_level(household.region)
    if not helper.active or level is None or level < policy.locality_limit:
        return None
    if (helper.helper_id, household.household_id) in policy.forbidden:
        return None
    cost = policy.distance_costs[level]
    for kind in need_kinds(household, list(needs), policy):
        if not helper.sectors & policy.need_sectors.get(kind, frozenset()):
            cost += policy.need_weights[kind]
    return cost


def eligible(households: list[Household], policy: PairingPolicy) -> list[Household]:
    return [h for h in households if h.status_on(ON) in policy.eligible_statuses]


def brute_force(
    helpers: list[Helper], households: list[Household], policy: PairingPolicy
) -> tuple[int, int]:
    """(most households paired, least total cost among those) by trying every assignment."""
    options = []
    for household in households:
        allowed = [None] + [
            i for i, h in enumerate(helpers) if pair_cost(h, household, policy) is not None
        ]
        options.append(allowed)
    best: tuple[int, int] | None = None
    for choice in itertools.product(*options):
        load = [0] * len(helpers)
        cost = 0
        paired = 0
        ok = True
        for household, j in zip(households, choice, strict=True):
            if j is None:
                continue
            load[j] += 1
            if load[j] > policy.capacity(helpers[j].capacity):
                ok = False
                break
            cost += pair_cost(helpers[j], household, policy) or 0
            cost += policy.slot_cost(load[j])
            paired += 1
        if ok and (best is None or (-paired, cost) < (-best[0], best[1])):
            best = (paired, cost)
    assert best is not None
    return best


def dense_optimum(
    helpers: list[Helper], households: list[Household], policy: PairingPolicy
) -> tuple[int, int]:
    """(most paired, least cost) with scipy's dense ``linear_sum_assignment`` on helper slots."""
    slots = [
        (j, k) for j, h in enumerate(helpers) for k in range(1, policy.capacity(h.capacity) + 1)
    ]
    n = len(households)
    if n == 0:
        return 0, 0
    forbidden = 10**9
    big = 10**6
    matrix = np.full((n, len(slots) + n), forbidden, dtype=np.int64)
    for i, household in enumerate(households):
        for s, (j, k) in enumerate(slots):
            cost = pair_cost(helpers[j], household, policy)
            if cost is not None:
                matrix[i, s] = cost + policy.slot_cost(k)
        matrix[i, len(slots) + i] = big
    rows, cols = linear_sum_assignment(matrix)
    real = cols < len(slots)
    return int(real.sum()), int(matrix[rows[real], cols[real]].sum())
