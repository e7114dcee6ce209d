"""Benchmark: the pairing engine against OR-Tools min-cost flow on the same candidate edges.

The synthetic province has counties of 3,000 households in 20 townships of 150
(10 villages each), helpers = 0.6 x households (90 per township) with capacity 2,
random villages, sectors and needs; every household gets 50 candidates.

jieqin is timed end to end from columns: partitioning, candidate generation, cost
terms, the exact solve per county, gathering the plan, with a process pool of
``--workers`` processes (started and stopped inside the timing). The anchor is OR-Tools ``SimpleMinCostFlow`` on the very
candidate edges and costs jieqin generated, one county after another in this
process, timed for building its graph and solving (``solve_max_flow_with_min_cost``);
producing the edges for it is not timed. Both optimal totals are compared exactly.

    python benchmarks/pairing.py --households 1000000 [--json]
    python benchmarks/pairing.py --city [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import attrs
import numpy as np

from jieqin.pairing import HelperColumns, HouseholdColumns, PairingPolicy, solve_columns
from jieqin.pairing.candidates import Candidates, generate_candidates
from jieqin.pairing.engine import all_terms
from jieqin.pairing.partitions import PartitionTask, most_pairs, split

COUNTY_HOUSEHOLDS = 3_000
TOWNSHIPS = 20
VILLAGES = 10
# Real county codes of Shaanxi (61xx): the synthetic counties reuse them in turn.
_COUNTY_BASE = 610000


def _keys(county: np.ndarray, township: np.ndarray, village: np.ndarray) -> np.ndarray:
    """Region keys (province .. village) of synthetic codes: county ``c`` is 61 CC DD."""
    city = 61 * 100 + 1 + county // 50
    code = city * 100 + 1 + county % 50
    town = code * 1000 + 1 + township
    return np.stack(
        [np.full(county.size, 61), city, code, town, town * 1000 + 1 + village], axis=1
    ).astype(np.int64)


def _spread(total: int, per_county: int) -> tuple[np.ndarray, np.ndarray]:
    """County and township of ``total`` people: full counties of ``per_county``, even townships."""
    index = np.arange(total)
    county = index // per_county
    township = (index % per_county) * TOWNSHIPS // per_county
    return county, township


def synthetic(
    households: int, helpers_ratio: float = 0.6, capacity: int = 2, seed: int = 2021
) -> tuple[HouseholdColumns, HelperColumns]:
    """A province of ``households`` households in counties of 3,000 (20 townships of 150).

    Each township has 90 helpers with 2 places each; villages, sectors and needs are
    random. About one household in three has a weighted need; helpers have up to two
    sectors.
    """
    rng = np.random.default_rng(seed)
    n_helpers = round(households * helpers_ratio)
    county, township = _spread(households, COUNTY_HOUSEHOLDS)
    h_county, h_township = _spread(n_helpers, round(COUNTY_HOUSEHOLDS * helpers_ratio))
    village = rng.integers(0, VILLAGES, households)
    h_village = rng.integers(0, VILLAGES, n_helpers)
    needs = (rng.random((households, 7)) < 0.08).astype(np.int64) @ (1 << np.arange(7))
    sectors = (rng.random((n_helpers, 8)) < 0.2).astype(np.int64) @ (1 << np.arange(8))
    return (
        HouseholdColumns.build(
            np.arange(households).astype(str), _keys(county, township, village), needs
        ),
        HelperColumns.build(
            np.arange(n_helpers).astype(str),
            _keys(h_county, h_township, h_village),
            np.full(n_helpers, capacity),
            sectors,
        ),
    )


def city(seed: int = 2021) -> tuple[HouseholdColumns, HelperColumns]:
    """The city of the 2021 campaign: 772 households, 755 helpers of capacity 2, 4 counties."""
    rng = np.random.default_rng(seed)
    hh_county = rng.integers(0, 4, 772)
    hp_county = rng.integers(0, 4, 755)
    needs = (rng.random((772, 7)) < 0.15).astype(np.int64) @ (1 << np.arange(7))
    sectors = (rng.random((755, 8)) < 0.2).astype(np.int64) @ (1 << np.arange(8))
    return (
        HouseholdColumns.build(
            np.arange(772).astype(str),
            _keys(hh_county, rng.integers(0, 8, 772), rng.integers(0, VILLAGES, 772)),
            needs,
        ),
        HelperColumns.build(
            np.arange(755).astype(str),
            _keys(hp_county, rng.integers(0, 8, 755), rng.integers(0, VILLAGES, 755)),
            np.full(755, 2),
            sectors,
        ),
    )


def _min_cost_flow(
    task: PartitionTask, edges: Candidates, step: int
) -> tuple[int, int, float, float]:
    """OR-Tools on one county's candidate edges: (pairs, optimal cost, seconds, CPU seconds)."""
    from ortools.graph.python import min_cost_flow

    free = task.helpers.free
    load = task.helpers.load
    started = time.perf_counter()
    cpu = time.process_time()
    n, p = len(task.households), len(task.helpers)
    source, sink = n + p, n + p + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.full(n, source), np.arange(n), np.ones(n, np.int64), np.zeros(n, np.int64)
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        edges.household, n + edges.helper, np.ones(edges.cost.size, np.int64), edges.cost
    )
    slots = np.repeat(np.arange(p), free)
    rank = np.arange(slots.size) - np.repeat(np.cumsum(free) - free, free)
    flow.add_arcs_with_capacity_and_unit_cost(
        n + slots,
        np.full(slots.size, sink),
        np.ones(slots.size, np.int64),
        step * (load[slots] + rank),
    )
    flow.set_node_supply(source, n)
    flow.set_node_supply(sink, -n)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"OR-Tools: {status}")
    return (
        flow.maximum_flow(),
        flow.optimal_cost(),
        time.perf_counter() - started,
        time.process_time() - cpu,
    )


def anchor(
    households: HouseholdColumns, helpers: HelperColumns, policy: PairingPolicy
) -> tuple[float, float, int]:
    """OR-Tools per county on jieqin's candidate edges: (seconds, CPU seconds, total cost).

    Like jieqin, a county whose candidates pair fewer households than its places
    allow is solved again with every allowed pair (both solves are timed).
    """
    terms = all_terms(policy)
    everyone = attrs.evolve(policy, max_candidates=None)
    seconds = cpu = 0.0
    total = 0
    for task in split(households, helpers, policy):
        edges = generate_candidates(task.households, task.helpers, policy, terms, task.forbidden)
        pairs, cost, spent, used = _min_cost_flow(task, edges, policy.workload_step)
        seconds += spent
        cpu += used
        if pairs < most_pairs(task, policy):
            edges = generate_candidates(
                task.households, task.helpers, everyone, terms, task.forbidden
            )
            pairs, cost, spent, used = _min_cost_flow(task, edges, policy.workload_step)
            seconds += spent
            cpu += used
        total += cost
    return seconds, cpu, total


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished child processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(households: HouseholdColumns, helpers: HelperColumns, workers: int) -> dict[str, object]:
    policy = PairingPolicy(max_candidates=50)
    if workers > 1 and len(households) > COUNTY_HOUSEHOLDS:
        started, cpu = time.perf_counter(), _cpu_seconds()  # the pool's start and stop too
        with ProcessPoolExecutor(workers) as pool:
            plan = solve_columns(households, helpers, policy, executor=pool)
        jieqin_s, jieqin_cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    else:
        # One worker: every partition in turn in this process (a one-thread pool).
        with ThreadPoolExecutor(1) as one:
            solve_columns(households, helpers, policy, executor=one)  # warm imports
            started, cpu = time.perf_counter(), _cpu_seconds()
            plan = solve_columns(households, helpers, policy, executor=one)
            jieqin_s, jieqin_cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    anchor_s, anchor_cpu, anchor_cost = anchor(households, helpers, policy)
    return {
        "households": len(households),
        "helpers": len(helpers),
        "workers": workers,
        "candidates": plan.candidates,
        "paired": plan.paired,
        "jieqin_s": round(jieqin_s, 3),
        "anchor_s": round(anchor_s, 3),
        "ratio": round(jieqin_s / anchor_s, 3),
        "jieqin_cpu_s": round(jieqin_cpu, 3),
        "anchor_cpu_s": round(anchor_cpu, 3),
        "load_average": round(os.getloadavg()[0], 2),
        "jieqin_cost": plan.total_cost,
        "anchor_cost": anchor_cost,
        "cost_equal": plan.total_cost == anchor_cost,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--city", action="store_true", help="772 households x 755 helpers")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    households, helpers = city() if args.city else synthetic(args.households)
    result = run(households, helpers, 1 if args.city else args.workers)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>12}: {value}")
    return 0 if result["cost_equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
