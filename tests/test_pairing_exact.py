"""The pairing optimum is exact: brute force and scipy's dense assignment agree with it."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.pairing_world import ON, brute_force, dense_optimum, eligible, instances

from jieqin.model import RegionLevel
from jieqin.pairing import PairingPolicy, plan_pairings

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

policies = st.builds(
    PairingPolicy,
    locality_limit=st.sampled_from([RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP]),
    workload_step=st.sampled_from([0, 7, 25]),
    max_candidates=st.none(),
)


@SETTINGS
@given(instances(max_helpers=3, max_households=5), policies)
def test_optimum_equals_brute_force(instance, policy):
    helpers, households = instance
    plan = plan_pairings(helpers, households, policy=policy, on=ON)
    paired, cost = brute_force(helpers, eligible(households, policy), policy)
    assert (len(plan.pairs), plan.total_cost) == (paired, cost)


@SETTINGS
@given(instances(max_helpers=8, max_households=14, max_capacity=3), policies)
def test_optimum_equals_dense_assignment(instance, policy):
    helpers, households = instance
    plan = plan_pairings(helpers, households, policy=policy, on=ON)
    assert (len(plan.pairs), plan.total_cost) == dense_optimum(
        helpers, eligible(households, policy), policy
    )


@SETTINGS
@given(instances(max_helpers=6, max_households=10), st.integers(1, 3))
def test_few_candidates_still_pair_as_many_as_possible(instance, k):
    """Few candidates never cost a pair; the cost is never below the all-pairs optimum."""
    helpers, households = instance
    full = plan_pairings(helpers, households, policy=PairingPolicy(max_candidates=None), on=ON)
    limited = plan_pairings(helpers, households, policy=PairingPolicy(max_candidates=k), on=ON)
    assert len(limited.pairs) == len(full.pairs)
    assert limited.total_cost >= full.total_cost


@pytest.mark.parametrize("step", [0, 10])
def test_workload_is_convex_in_slots(step):
    policy = PairingPolicy(workload_step=step)
    costs = [policy.slot_cost(k) for k in range(1, 6)]
    increments = [b - a for a, b in itertools.pairwise(costs)]
    assert costs[0] == 0
    assert increments == sorted(increments)
