"""Invariants of every plan: capacity, locality, full pairing when possible, determinism, executors."""

from __future__ import annotations

import random
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.pairing_world import ON, dense_optimum, eligible, instances

from jieqin.errors import PairingError
from jieqin.model import RegionLevel
from jieqin.pairing import (
    CandidateEdges,
    HelperColumns,
    HouseholdColumns,
    PairingCostTerm,
    PairingPolicy,
    plan_pairings,
    solve_columns,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
limits = st.sampled_from(
    [RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE]
)


@SETTINGS
@given(
    instances(max_helpers=8, max_households=16, max_capacity=3),
    limits,
    st.none() | st.integers(1, 4),
)
def test_no_helper_over_capacity_and_no_pair_beyond_the_limit(instance, limit, k):
    helpers, households = instance
    policy = PairingPolicy(locality_limit=limit, max_candidates=k)
    plan = plan_pairings(helpers, households, policy=policy, on=ON)
    helper_of = {h.helper_id: h for h in helpers}
    household_of = {h.household_id: h for h in households}
    load: dict[str, int] = {}
    for pair in plan.pairs:
        load[pair.helper_id] = load.get(pair.helper_id, 0) + 1
        level = helper_of[pair.helper_id].home_region.common_level(
            household_of[pair.household_id].region
        )
        assert level is not None
        assert level >= limit
    for helper_id, count in load.items():
        assert count <= helper_of[helper_id].capacity
    paired = {p.household_id for p in plan.pairs}
    unpaired = {u.household_id for u in plan.unpaired}
    assert not paired & unpaired
    assert paired | unpaired == {h.household_id for h in eligible(households, policy)}


@SETTINGS
@given(instances(max_helpers=8, max_households=12, max_capacity=3))
def test_every_household_is_paired_when_a_full_pairing_exists(instance):
    helpers, households = instance
    policy = PairingPolicy(max_candidates=None)
    targets = eligible(households, policy)
    best, _ = dense_optimum(helpers, targets, policy)
    plan = plan_pairings(helpers, households, policy=policy, on=ON)
    assert len(plan.pairs) == best
    if best == len(targets):
        assert plan.unpaired == ()


@SETTINGS
@given(
    instances(max_helpers=8, max_households=14, max_capacity=3), st.randoms(use_true_random=False)
)
def test_same_input_same_plan_in_any_order(instance, rnd: random.Random):
    helpers, households = instance
    first = plan_pairings(helpers, households, on=ON)
    rnd.shuffle(helpers)
    rnd.shuffle(households)
    again = plan_pairings(helpers, households, on=ON)
    assert again == first


def _province(
    counties: int = 6, per_county: int = 300, seed: int = 7
) -> tuple[HouseholdColumns, HelperColumns]:
    rng = np.random.default_rng(seed)

    def keys(n: int) -> np.ndarray:
        county = rng.integers(0, counties, n)
        town = 610201000 + county * 1000 + rng.integers(1, 6, n)
        return np.stack(
            [
                np.full(n, 61),
                np.full(n, 6102),
                610201 + county,
                town,
                town * 1000 + rng.integers(1, 4, n),
            ],
            axis=1,
        )

    n = counties * per_county
    households = HouseholdColumns.build(
        [f"h{i:05d}" for i in range(n)], keys(n), rng.integers(0, 128, n)
    )
    helpers = HelperColumns.build(
        [f"p{i:05d}" for i in range(n // 2)],
        keys(n // 2),
        rng.integers(1, 4, n // 2),
        rng.integers(0, 256, n // 2),
    )
    return households, helpers


def test_thread_and_process_pools_give_the_inline_plan():
    households, helpers = _province()
    policy = PairingPolicy(max_candidates=10)
    inline = solve_columns(households, helpers, policy)
    with ThreadPoolExecutor(2) as threads:
        threaded = solve_columns(households, helpers, policy, executor=threads)
    with ProcessPoolExecutor(2) as processes:
        forked = solve_columns(households, helpers, policy, executor=processes)
    for other in (threaded, forked):
        assert np.array_equal(other.helper, inline.helper)
        assert np.array_equal(other.terms, inline.terms)
        assert other.total_cost == inline.total_cost
    assert inline.paired > 0


def _prefer_sector_bit_0(edges: CandidateEdges) -> np.ndarray:
    """1000 for a helper without the first sector bit (rows are the partition's own)."""
    return (edges.helpers.sectors[edges.helper] & 1 == 0) * 1000


def test_plugin_cost_term_is_applied_to_all_edges_at_once():
    households, helpers = _province(counties=2, per_county=100)
    policy = PairingPolicy(max_candidates=None)
    base = solve_columns(households, helpers, policy)
    term = PairingCostTerm("sector_penalty", _prefer_sector_bit_0)
    plan = solve_columns(households, helpers, policy, terms=[term])
    assert plan.term_names[-1] == "sector_penalty"
    paired = plan.helper >= 0
    assert plan.paired == base.paired

    def lacking(chosen: np.ndarray) -> np.ndarray:
        return helpers.sectors[chosen] & 1 == 0

    assert np.array_equal(plan.terms[paired, -1], lacking(plan.helper[paired]) * 1000)
    base_lacking = int(lacking(base.helper[base.helper >= 0]).sum())
    # The base plan is feasible under the new term too, so the new optimum is no dearer.
    assert plan.total_cost <= base.total_cost + 1000 * base_lacking
    assert plan.total_cost - int(plan.terms[:, -1].sum()) >= base.total_cost
    assert lacking(plan.helper[paired]).sum() <= base_lacking


def test_cost_term_is_called_once_per_partition_not_per_pair():
    calls: list[int] = []

    def counting(edges: CandidateEdges) -> np.ndarray:
        calls.append(len(edges))
        return np.zeros(len(edges), np.int64)

    households, helpers = _province(counties=3, per_county=50)
    solve_columns(
        households, helpers, PairingPolicy(), terms=[PairingCostTerm("counting", counting)]
    )
    assert len(calls) == 3
    assert sum(calls) >= len(households)


@pytest.mark.parametrize(
    ("compute", "message"),
    [
        (lambda e: -np.ones(len(e), np.int64), "negative"),
        (lambda e: np.full(len(e), 0.5), "non-integer"),
        (lambda e: np.zeros(3, np.int64), "shape"),
    ],
)
def test_bad_cost_terms_are_named(compute, message):
    households, helpers = _province(counties=1, per_county=20)
    with pytest.raises(PairingError, match=f"'bad'.*{message}|{message}"):
        solve_columns(households, helpers, PairingPolicy(), terms=[PairingCostTerm("bad", compute)])


def test_duplicate_term_names_are_refused():
    households, helpers = _province(counties=1, per_county=20)
    with pytest.raises(PairingError, match="twice"):
        solve_columns(
            households,
            helpers,
            PairingPolicy(),
            terms=[PairingCostTerm("distance", _prefer_sector_bit_0)],
        )


def test_a_dask_distributed_executor_gives_the_inline_plan():
    distributed = pytest.importorskip("distributed")
    households, helpers = _province(counties=3, per_county=100)
    policy = PairingPolicy(max_candidates=10)
    inline = solve_columns(households, helpers, policy)
    with (
        distributed.LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = solve_columns(households, helpers, policy, executor=client.get_executor())
    assert np.array_equal(remote.helper, inline.helper)
    assert remote.total_cost == inline.total_cost


@SETTINGS
@given(instances(max_helpers=8, max_households=12, max_capacity=3), limits)
def test_secondary_helpers_never_displace_primaries_nor_exceed_capacity(instance, limit):
    helpers, households = instance
    plain = plan_pairings(helpers, households, policy=PairingPolicy(locality_limit=limit), on=ON)
    plan = plan_pairings(
        helpers, households, policy=PairingPolicy(locality_limit=limit, secondary=True), on=ON
    )
    assert plan.primary == plain.pairs
    capacity = {h.helper_id: h.capacity for h in helpers}
    load: dict[str, int] = {}
    for pair in plan.pairs:
        load[pair.helper_id] = load.get(pair.helper_id, 0) + 1
    assert all(count <= capacity[h] for h, count in load.items())
    primary_of = {p.household_id: p.helper_id for p in plan.primary}
    secondary = [p for p in plan.pairs if p.role == "secondary"]
    assert all(p.helper_id != primary_of[p.household_id] for p in secondary)
    assert len({p.household_id for p in secondary}) == len(secondary)
