"""Solve a whole instance in columns: split by region, solve partitions, gather the plan."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor

import numpy as np
from attrs import frozen

from jieqin.errors import PairingError
from jieqin.pairing.columns import HelperColumns, HouseholdColumns, IntArray, level_column
from jieqin.pairing.costs import PairingCostTerm, builtin_terms
from jieqin.pairing.partitions import (
    PartitionResult,
    PartitionTask,
    settled,
    settled_result,
    solve_partitions,
    split,
)
from jieqin.pairing.policy import PairingPolicy

__all__ = ["ColumnPlan", "all_terms", "solve_columns"]

#: Below this many households a plan is solved in the calling process by default.
INLINE_HOUSEHOLDS = 50_000


@frozen
class ColumnPlan:
    """The optimum in rows: ``helper[i]`` for household row ``i`` (``-1``: unpaired)."""

    helper: IntArray
    terms: IntArray
    """``(households, terms)`` cost by term of each household's pair (0 where unpaired)."""
    workload: IntArray
    reason: IntArray
    """Index into :data:`~jieqin.pairing.partitions.REASONS`, ``-1`` where paired."""
    term_names: tuple[str, ...]
    candidates: int
    partitions: int = 0
    """How many partitions the instance has."""
    solved: tuple[int, ...] = ()
    """Region keys (at the partition level) of the partitions solved, in order; the
    others were settled (:func:`~jieqin.pairing.partitions.settled`): their result is
    known without a solve."""

    @property
    def total_cost(self) -> int:
        """The optimal total: every term of every pair plus every workload cost."""
        return int(self.terms.sum() + self.workload.sum())

    @property
    def paired(self) -> int:
        return int((self.helper >= 0).sum())


def all_terms(
    policy: PairingPolicy, extra: Sequence[PairingCostTerm] = ()
) -> tuple[PairingCostTerm, ...]:
    """Built-in terms then ``extra`` ones; names must be unique."""
    terms = (*builtin_terms(policy), *extra)
    names = [t.name for t in terms]
    duplicate = sorted({n for n in names if names.count(n) > 1})
    if duplicate:
        raise PairingError(f"cost term {duplicate[0]!r} is registered twice")
    return terms


def _chunks(tasks: list[PartitionTask], parts: int) -> list[list[PartitionTask]]:
    """Deal partitions into ``parts`` lists of about equal size (largest first)."""
    order = sorted(range(len(tasks)), key=lambda i: (-len(tasks[i].households), i))
    bins: list[list[PartitionTask]] = [[] for _ in range(parts)]
    sizes = [0] * parts
    for i in order:
        b = sizes.index(min(sizes))
        bins[b].append(tasks[i])
        sizes[b] += len(tasks[i].households)
    return [b for b in bins if b]


def solve_columns(
    households: HouseholdColumns,
    helpers: HelperColumns,
    policy: PairingPolicy,
    *,
    terms: Sequence[PairingCostTerm] = (),
    forbidden: IntArray | None = None,
    executor: Executor | None = None,
    skip_settled: bool = True,
) -> ColumnPlan:
    """The exact plan of an instance given in columns.

    ``terms`` are added to the built-in ones. Partitions go to ``executor`` when
    given; otherwise small instances (one partition, or fewer than
    :data:`INLINE_HOUSEHOLDS` households to solve) are solved here and larger ones in
    a process pool with one worker per CPU. Settled partitions (no household can be
    paired there: :func:`~jieqin.pairing.partitions.settled`) get their result here
    without a solve, unless ``skip_settled`` is false; the plan is the same either way.
    """
    every = all_terms(policy, terms)
    everything = split(households, helpers, policy, forbidden)
    results: list[PartitionResult] = []
    tasks: list[PartitionTask] = []
    for task in everything:
        if skip_settled and settled(task, policy):
            results.append(settled_result(task, policy, len(every)))
        else:
            tasks.append(task)
    col = level_column(policy.partition)
    solved = tuple(int(task.households.keys[0, col]) for task in tasks)
    own_pool = None
    to_solve = sum(len(task.households) for task in tasks)
    if executor is None and len(tasks) > 1 and to_solve >= INLINE_HOUSEHOLDS:
        own_pool = executor = ProcessPoolExecutor(max_workers=os.cpu_count() or 1)
    try:
        if executor is None:
            results.extend(solve_partitions(tasks, policy, every))
        elif tasks:
            workers = getattr(executor, "_max_workers", None) or os.cpu_count() or 1
            chunks = _chunks(tasks, min(len(tasks), 4 * int(workers)))
            futures = [executor.submit(solve_partitions, chunk, policy, every) for chunk in chunks]
            for future in futures:
                results.extend(future.result())
    finally:
        if own_pool is not None:
            own_pool.shutdown()
    n = len(households)
    helper = np.full(n, -1, np.int64)
    matrix = np.zeros((n, len(every)), np.int64)
    workload = np.zeros(n, np.int64)
    reason = np.full(n, -1, np.int64)
    count = 0
    for result in results:
        helper[result.household] = result.helper
        matrix[result.household] = result.terms
        workload[result.household] = result.workload
        reason[result.unpaired] = result.reasons
        count += result.candidates
    return ColumnPlan(
        helper,
        matrix,
        workload,
        reason,
        tuple(t.name for t in every),
        count,
        len(everything),
        solved,
    )
