"""Region partitions: split an instance by region, solve each one, in parallel.

Pairs never cross the locality limit, so the regions at (or above) that level are
independent problems. Each is solved whole (candidates, costs, exact assignment)
by :func:`solve_partitions`, a module-level function that any
:class:`concurrent.futures.Executor` can run: a process pool, a thread pool, or a
``dask.distributed`` client's executor.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import attrs
import numpy as np
from attrs import frozen

from jieqin.pairing.candidates import Candidates, generate_candidates
from jieqin.pairing.columns import HelperColumns, HouseholdColumns, IntArray, level_column
from jieqin.pairing.costs import PairingCostTerm
from jieqin.pairing.policy import PairingPolicy
from jieqin.pairing.solver import solve_assignment

__all__ = [
    "PartitionResult",
    "PartitionTask",
    "UnpairedReason",
    "settled",
    "settled_result",
    "solve_partition",
    "solve_partitions",
    "split",
]


class UnpairedReason(StrEnum):
    """Why a household is left without a helper."""

    NO_HELPER_WITHIN_LIMIT = "no_helper_within_limit"
    """No active helper lives within the locality limit."""
    CAPACITY_EXHAUSTED = "capacity_exhausted"
    """Helpers within the limit exist, but every place they have is taken."""
    ALL_CANDIDATES_FORBIDDEN = "all_candidates_forbidden"
    """Every helper with a free place within the limit is forbidden for this household."""


REASONS: tuple[UnpairedReason, ...] = tuple(UnpairedReason)


@frozen
class PartitionTask:
    """One partition: its rows in the whole instance and its own slice of the columns."""

    household_rows: IntArray
    helper_rows: IntArray
    households: HouseholdColumns
    helpers: HelperColumns
    forbidden: IntArray
    """Local ``household * len(helpers) + helper`` codes."""


@frozen
class PartitionResult:
    """The optimum of one partition, in rows of the whole instance."""

    household: IntArray
    helper: IntArray
    terms: IntArray
    """``(pairs, terms)`` cost of each pair by term."""
    workload: IntArray
    unpaired: IntArray
    reasons: IntArray
    """Index into :data:`REASONS` for each unpaired household."""
    candidates: int


def _slice_households(
    columns: HouseholdColumns, rows: IntArray, helper_rows: IntArray
) -> HouseholdColumns:
    current = columns.current[rows]
    local = np.searchsorted(helper_rows, current)
    local = np.minimum(local, max(helper_rows.size - 1, 0))
    valid = (current >= 0) & (helper_rows.size > 0)
    if helper_rows.size:
        valid &= helper_rows[local] == current
    return HouseholdColumns(
        [columns.ids[i] for i in rows]
        if not isinstance(columns.ids, np.ndarray)
        else columns.ids[rows],
        columns.keys[rows],
        columns.needs[rows],
        np.where(valid, local, -1),
    )


def _slice_helpers(columns: HelperColumns, rows: IntArray) -> HelperColumns:
    return HelperColumns(
        [columns.ids[i] for i in rows]
        if not isinstance(columns.ids, np.ndarray)
        else columns.ids[rows],
        columns.keys[rows],
        columns.sectors[rows],
        columns.capacity[rows],
        columns.load[rows],
    )


def split(
    households: HouseholdColumns,
    helpers: HelperColumns,
    policy: PairingPolicy,
    forbidden: IntArray | None = None,
) -> list[PartitionTask]:
    """Cut the instance into partitions at the policy's partition level, ordered by region.

    ``forbidden`` holds ``household_row * len(helpers) + helper_row`` codes.
    """
    col = level_column(policy.partition)
    hh_keys = households.keys[:, col]
    hp_keys = helpers.keys[:, col]
    hh_order = np.argsort(hh_keys, kind="stable")
    hp_order = np.argsort(hp_keys, kind="stable")
    hh_sorted = hh_keys[hh_order]
    hp_sorted = hp_keys[hp_order]
    regions = np.unique(hh_sorted)
    hh_lo = np.searchsorted(hh_sorted, regions, "left")
    hh_hi = np.searchsorted(hh_sorted, regions, "right")
    hp_lo = np.searchsorted(hp_sorted, regions, "left")
    hp_hi = np.searchsorted(hp_sorted, regions, "right")
    n_helpers = len(helpers)
    tasks = []
    for r in range(regions.size):
        hh_rows = hh_order[hh_lo[r] : hh_hi[r]]
        hp_rows = hp_order[hp_lo[r] : hp_hi[r]] if regions[r] >= 0 else hp_order[:0]
        local_forbidden = np.zeros(0, np.int64)
        if forbidden is not None and forbidden.size:
            f_hh, f_hp = np.divmod(forbidden, n_helpers)
            hh_at = np.searchsorted(hh_rows, f_hh)
            hp_at = np.searchsorted(hp_rows, f_hp)
            ok = (hh_at < hh_rows.size) & (hp_at < hp_rows.size)
            ok[ok] &= (hh_rows[hh_at[ok]] == f_hh[ok]) & (hp_rows[hp_at[ok]] == f_hp[ok])
            local_forbidden = hh_at[ok] * hp_rows.size + hp_at[ok]
        tasks.append(
            PartitionTask(
                hh_rows,
                hp_rows,
                _slice_households(households, hh_rows, hp_rows),
                _slice_helpers(helpers, hp_rows),
                local_forbidden,
            )
        )
    return tasks


def _count_within(keys_from: IntArray, keys_in: IntArray) -> IntArray:
    sorted_in = np.sort(keys_in)
    return np.searchsorted(sorted_in, keys_from, "right") - np.searchsorted(
        sorted_in, keys_from, "left"
    )


def _reasons(
    task: PartitionTask, candidates: Candidates, unpaired: IntArray, policy: PairingPolicy
) -> IntArray:
    col = level_column(policy.locality_limit)
    hh_keys = task.households.keys[unpaired, col]
    helpers = task.helpers
    active = _count_within(hh_keys, helpers.keys[helpers.capacity > 0, col])
    free = _count_within(hh_keys, helpers.keys[helpers.free > 0, col])
    has_candidates = np.zeros(len(task.households), bool)
    has_candidates[candidates.household] = True
    reason = np.full(unpaired.size, REASONS.index(UnpairedReason.CAPACITY_EXHAUSTED), np.int64)
    reason[active == 0] = REASONS.index(UnpairedReason.NO_HELPER_WITHIN_LIMIT)
    forbidden = (free > 0) & ~has_candidates[unpaired]
    reason[forbidden & (active > 0)] = REASONS.index(UnpairedReason.ALL_CANDIDATES_FORBIDDEN)
    return reason


def most_pairs(task: PartitionTask, policy: PairingPolicy) -> int:
    """How many households of the partition could be paired, forbidden pairs aside.

    Within one region at the locality limit every helper is allowed for every
    household, so the most is, per such region, the smaller of its households and
    its helpers' free places.
    """
    col = level_column(policy.locality_limit)
    hh_keys = task.households.keys[:, col]
    hp_keys = task.helpers.keys[:, col]
    free = task.helpers.free
    regions, households = np.unique(hh_keys[hh_keys >= 0], return_counts=True)
    order = np.argsort(hp_keys, kind="stable")
    sorted_keys = hp_keys[order]
    cumulative = np.r_[0, np.cumsum(free[order])]
    places = (
        cumulative[np.searchsorted(sorted_keys, regions, "right")]
        - cumulative[np.searchsorted(sorted_keys, regions, "left")]
    )
    return int(np.minimum(households, places).sum())


def settled(task: PartitionTask, policy: PairingPolicy) -> bool:
    """Whether the solve of the partition can pair no household, known without solving it.

    It is so when no household has a pair in force it may keep and no region at the
    locality limit holds both a household and a free place: no household then has a
    candidate. This is the state a pairing leaves where nothing changed since (every
    household it could pair paired, under ``keep_existing``); :func:`settled_result`
    is then the partition's result, the very one :func:`solve_partition` gives.
    """
    return not bool((task.households.current >= 0).any()) and most_pairs(task, policy) == 0


def settled_result(task: PartitionTask, policy: PairingPolicy, n_terms: int) -> PartitionResult:
    """The result of a :func:`settled` partition: every household unpaired, with why."""
    empty = np.zeros(0, np.int64)
    none = Candidates(empty, empty, np.zeros((0, n_terms), np.int64), empty)
    everyone = np.arange(len(task.households), dtype=np.int64)
    return PartitionResult(
        empty,
        empty,
        none.terms,
        empty,
        task.household_rows,
        _reasons(task, none, everyone, policy),
        0,
    )


def _solve(
    task: PartitionTask, policy: PairingPolicy, terms: Sequence[PairingCostTerm]
) -> tuple[Candidates, np.ndarray, np.ndarray]:
    candidates = generate_candidates(task.households, task.helpers, policy, terms, task.forbidden)
    helpers = task.helpers
    first, unpaired_cost = _continuing(task.households, policy)
    assignment = solve_assignment(
        len(task.households),
        candidates.household,
        candidates.helper,
        candidates.cost,
        helpers.free,
        np.minimum(helpers.load, helpers.capacity),
        policy.workload_step,
        first=first,
        unpaired_cost=unpaired_cost,
    )
    return candidates, assignment.edge, assignment.slot_cost


def _continuing(
    households: HouseholdColumns, policy: PairingPolicy
) -> tuple[np.ndarray | None, IntArray | None]:
    """How the households with a pair that may continue (a current helper) rank when
    places are short: paired before any other, or, when the policy lets a newcomer
    take their place (``make_room``), charged the handover cost for losing it."""
    continuing = households.current >= 0
    if not continuing.any():
        return None, None
    if policy.make_room:
        return None, np.where(continuing, policy.handover_cost, 0).astype(np.int64)
    return continuing, None


def solve_partition(
    task: PartitionTask, policy: PairingPolicy, terms: Sequence[PairingCostTerm]
) -> PartitionResult:
    """Candidates, costs and the exact assignment of one partition.

    When the candidates pair fewer households than the free places allow (a
    township short of helpers whose households' few candidates all live there),
    the partition is solved again with every allowed pair as a candidate, so a
    household is never left unpaired while a place it may take is free.
    """
    candidates, edge, slot_cost = _solve(task, policy, terms)
    if policy.max_candidates is not None and int((edge >= 0).sum()) < most_pairs(task, policy):
        candidates, edge, slot_cost = _solve(task, attrs.evolve(policy, max_candidates=None), terms)
    paired = np.flatnonzero(edge >= 0)
    edges = edge[paired]
    unpaired = np.flatnonzero(edge < 0)
    return PartitionResult(
        task.household_rows[paired],
        task.helper_rows[candidates.helper[edges]],
        candidates.terms[edges],
        slot_cost[paired],
        task.household_rows[unpaired],
        _reasons(task, candidates, unpaired, policy),
        int(candidates.household.size),
    )


def solve_partitions(
    tasks: Sequence[PartitionTask], policy: PairingPolicy, terms: Sequence[PairingCostTerm]
) -> list[PartitionResult]:
    """Solve several partitions in turn (one unit of work for an executor)."""
    return [solve_partition(task, policy, terms) for task in tasks]
