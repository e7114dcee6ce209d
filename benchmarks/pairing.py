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

With ``--churn F``, after the first pairing a fraction ``F`` of the helpers leave
and a fraction ``F`` of the households change status (half of them are no longer
eligible, as many others become eligible), and the province is re-paired from the
stored pairing with :func:`jieqin.pairing.incremental.repair_columns`: the pairs that
stand are kept and only the counties where someone can be paired are solved
(``repair_s``, in this process). The same re-pairing with every county solved
(``skip_settled=False``) must give the same plan and, on the counties re-solved,
the same optimum (``repair_equal``).

    python benchmarks/pairing.py --households 1000000 [--json]
    python benchmarks/pairing.py --households 1000000 --churn 0.01 [--json]
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
from jieqin.pairing.engine import ColumnPlan, all_terms
from jieqin.pairing.incremental import repair_columns
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
    from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]

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


def run(
    households: HouseholdColumns, helpers: HelperColumns, workers: int
) -> tuple[dict[str, object], ColumnPlan]:
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
    }, plan


def churn(
    households: HouseholdColumns,
    helpers: HelperColumns,
    plan: ColumnPlan,
    fraction: float,
    seed: int = 2022,
) -> tuple[HouseholdColumns, HelperColumns, np.ndarray]:
    """The province after ``fraction`` of its helpers leave and ``fraction`` of its
    households change status (half leave, as many others arrive in random villages),
    and the stored pairing on the new rows (``-1``: none, or its helper left)."""
    rng = np.random.default_rng(seed)
    n, p = len(households), len(helpers)
    leave_hp = np.zeros(p, bool)
    leave_hp[rng.choice(p, round(p * fraction), replace=False)] = True
    changed = round(n * fraction)
    leave_hh = np.zeros(n, bool)
    leave_hh[rng.choice(n, changed // 2, replace=False)] = True
    stay_hp = np.flatnonzero(~leave_hp)
    new_row = np.full(p, -1, np.int64)
    new_row[stay_hp] = np.arange(stay_hp.size)
    stay_hh = np.flatnonzero(~leave_hh)
    stored = np.where(plan.helper[stay_hh] >= 0, new_row[np.maximum(plan.helper[stay_hh], 0)], -1)
    arrive = changed - changed // 2
    like = rng.choice(n, arrive)  # arrivals live in the townships of random households
    keys = households.keys[like].copy()
    keys[:, 4] = keys[:, 3] * 1000 + 1 + rng.integers(0, VILLAGES, arrive)
    needs = (rng.random((arrive, 7)) < 0.08).astype(np.int64) @ (1 << np.arange(7))
    ids = np.asarray(households.ids)
    after = HouseholdColumns.build(
        np.r_[ids[stay_hh], (n + np.arange(arrive)).astype(str)],
        np.r_[households.keys[stay_hh], keys],
        np.r_[households.needs[stay_hh], needs],
    )
    after_helpers = HelperColumns.build(
        np.asarray(helpers.ids)[stay_hp],
        helpers.keys[stay_hp],
        helpers.capacity[stay_hp],
        helpers.sectors[stay_hp],
    )
    return after, after_helpers, np.r_[stored, np.full(arrive, -1, np.int64)]


def repair(
    households: HouseholdColumns, helpers: HelperColumns, plan: ColumnPlan, fraction: float
) -> dict[str, object]:
    """Re-pair after the churn, timed, and check it against solving every county."""
    policy = PairingPolicy(max_candidates=50)
    after, after_helpers, stored = churn(households, helpers, plan, fraction)
    started, cpu = time.perf_counter(), time.process_time()
    fast = repair_columns(after, after_helpers, stored, policy)
    repair_s, repair_cpu = time.perf_counter() - started, time.process_time() - cpu
    full = repair_columns(after, after_helpers, stored, policy, skip_settled=False)
    col = 2  # county
    region = after.keys[:, col]
    changed = np.isin(region, fast.changed)

    def cost(result: ColumnPlan, rows: np.ndarray) -> int:
        return int(result.terms[rows].sum() + result.workload[rows].sum())

    equal = (
        np.array_equal(fast.plan.helper, full.plan.helper)
        and fast.plan.total_cost == full.plan.total_cost
        and cost(fast.plan, changed) == cost(full.plan, changed)
        and set(fast.changed) <= set(full.changed)
    )
    return {
        "churn": fraction,
        "repair_households": len(after),
        "repair_helpers": len(after_helpers),
        "repair_kept": int(fast.kept.size),
        "repair_open": int(fast.open_rows.size),
        "repair_paired": fast.plan.paired,
        "repair_partitions": fast.plan.partitions,
        "repair_changed": len(fast.changed),
        "repair_s": round(repair_s, 3),
        "repair_cpu_s": round(repair_cpu, 3),
        "repair_cost": fast.plan.total_cost,
        "repair_equal": bool(equal),
        "repair_load_average": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--city", action="store_true", help="772 households x 755 helpers")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--churn",
        type=float,
        default=None,
        metavar="F",
        help="then F of the helpers leave, F of the households change status; re-pair",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    households, helpers = city() if args.city else synthetic(args.households)
    result, plan = run(households, helpers, 1 if args.city else args.workers)
    if args.churn is not None:
        result.update(repair(households, helpers, plan, args.churn))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>12}: {value}")
    return 0 if result["cost_equal"] and result.get("repair_equal", True) else 1


if __name__ == "__main__":
    sys.exit(main())
