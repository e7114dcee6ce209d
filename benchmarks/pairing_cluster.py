"""Benchmark: pairing partitions in one process, in a process pool, on a dask.distributed cluster.

The synthetic province of ``benchmarks/pairing.py`` (counties of 3,000 households)
is paired three ways with :func:`jieqin.pairing.solve_columns`: every partition in
turn in this process (the anchor), a ``ProcessPoolExecutor`` of ``--workers``
processes, and a ``dask.distributed.LocalCluster`` of ``--workers`` worker processes
(one thread each) through ``client.get_executor()``. Starting the pool and the
cluster is timed apart from pairing with them (``*_start_s``), and each way's
pairing is timed on its own. The three plans must be the same (``plans_equal``).

    python benchmarks/pairing_cluster.py --households 300000 [--workers 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
from pairing import synthetic

from jieqin.pairing import ColumnPlan, HelperColumns, HouseholdColumns, PairingPolicy, solve_columns


def _timed(
    households: HouseholdColumns,
    helpers: HelperColumns,
    policy: PairingPolicy,
    executor: Executor,
) -> tuple[ColumnPlan, float]:
    started = time.perf_counter()
    plan = solve_columns(households, helpers, policy, executor=executor)
    return plan, time.perf_counter() - started


def run(households: int, workers: int) -> dict[str, object]:
    from dask.distributed import Client, LocalCluster

    hh, hp = synthetic(households)
    policy = PairingPolicy(max_candidates=50)
    with ThreadPoolExecutor(1) as one:
        solve_columns(hh, hp, policy, executor=one)  # warm imports
        inline, inline_s = _timed(hh, hp, policy, one)
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        pool_start = time.perf_counter() - started
        pooled, pool_s = _timed(hh, hp, policy, pool)
    started = time.perf_counter()
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        client.run(lambda: __import__("jieqin.pairing.partitions"))  # workers import jieqin
        dask_start = time.perf_counter() - started
        distributed, dask_s = _timed(hh, hp, policy, client.get_executor())
    equal = all(
        np.array_equal(p.helper, inline.helper) and p.total_cost == inline.total_cost
        for p in (pooled, distributed)
    )
    return {
        "households": len(hh),
        "helpers": len(hp),
        "partitions": inline.partitions,
        "workers": workers,
        "inline_s": round(inline_s, 3),
        "pool_start_s": round(pool_start, 3),
        "pool_s": round(pool_s, 3),
        "dask_start_s": round(dask_start, 3),
        "dask_s": round(dask_s, 3),
        "pool_vs_inline": round(pool_s / inline_s, 3),
        "dask_vs_inline": round(dask_s / inline_s, 3),
        "dask_vs_pool": round(dask_s / pool_s, 3),
        "load_average": round(os.getloadavg()[0], 2),
        "plans_equal": equal,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.households, args.workers)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>16}: {value}")
    return 0 if result["plans_equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
