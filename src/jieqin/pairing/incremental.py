"""Re-pairing only what changed: the partitions where the stored pairing no longer stands.

A pairing, once stored, stands in a partition as long as every pair in force there
may continue and no household there without a helper could take a free place
within the locality limit. Where it stands, solving the partition again pairs
nobody new and ends no pair, so the partition need not be solved: it is *settled*
(:func:`~jieqin.pairing.partitions.settled`). A partition changes when a helper
leaves, is made inactive or loses places, a household's status makes it eligible
or not, a helper or a household is added or moved, or a pair becomes forbidden.

:func:`repair_columns` re-pairs an instance given in columns from its stored pairing:
the pairs that stand are kept, and only the partitions that changed are solved.
:func:`changed_partitions` finds, for a problem built from model objects, the
partitions whose pairing no longer stands; :func:`~jieqin.pairing.plan_pairings`
with ``changed_only`` re-pairs only those (see docs/pairing.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor

import attrs
import numpy as np
from attrs import frozen

from jieqin.model import Household
from jieqin.pairing.columns import (
    HelperColumns,
    HouseholdColumns,
    IntArray,
    level_column,
    region_keys,
    take,
)
from jieqin.pairing.costs import CandidateEdges, PairingCostTerm, evaluate_terms
from jieqin.pairing.engine import ColumnPlan, all_terms, solve_columns
from jieqin.pairing.partitions import settled, split
from jieqin.pairing.policy import PairingPolicy
from jieqin.pairing.problem import PairingProblem

__all__ = ["Repair", "changed_partitions", "repair_columns", "standing_pairs"]


@frozen
class Repair:
    """A re-pairing from a stored pairing: the whole plan and what was solved for it."""

    plan: ColumnPlan
    """Every household: its standing pair, or what the solve of its partition gave."""
    kept: IntArray
    """Rows of the households whose stored pair stands (kept as it is)."""
    changed: tuple[int, ...]
    """Region keys (at the partition level) of the partitions solved again."""
    open_plan: ColumnPlan
    """The solve of the households without a standing pair, in their own rows
    (:attr:`open_rows`), over the places the standing pairs leave."""
    open_rows: IntArray


def standing_pairs(
    households: HouseholdColumns,
    helpers: HelperColumns,
    stored: IntArray,
    policy: PairingPolicy,
    forbidden: IntArray | None = None,
) -> IntArray:
    """Per household row, the helper row of its stored pair when that pair stands, else ``-1``.

    ``stored[i]`` is the helper row of household ``i``'s stored pair (``-1``: none).
    A pair stands when its helper takes households (capacity above 0), the two are
    within the locality limit and the pair is not ``forbidden`` (``household_row *
    len(helpers) + helper_row`` codes); a helper keeps at most its capacity less its
    ``load``, in household row order.
    """
    stored = np.asarray(stored, np.int64)
    keep = stored.copy()
    rows = np.flatnonzero(stored >= 0)
    hp = stored[rows]
    col = level_column(policy.locality_limit)
    ok = (households.keys[rows, col] == helpers.keys[hp, col]) & (helpers.keys[hp, col] >= 0)
    ok &= helpers.capacity[hp] > 0
    if forbidden is not None and forbidden.size:
        ok &= ~np.isin(rows * len(helpers) + hp, forbidden)
    keep[rows[~ok]] = -1
    rows, hp = rows[ok], hp[ok]
    # A helper over its places keeps its first households by row.
    over = np.flatnonzero(np.bincount(hp, minlength=len(helpers)) > helpers.free)
    if over.size:
        mine = np.isin(hp, over)
        rank = _rank_within(hp[mine])
        keep[rows[mine][rank >= helpers.free[hp[mine]]]] = -1
    return keep


def repair_columns(
    households: HouseholdColumns,
    helpers: HelperColumns,
    stored: IntArray,
    policy: PairingPolicy,
    *,
    terms: Sequence[PairingCostTerm] = (),
    forbidden: IntArray | None = None,
    executor: Executor | None = None,
    skip_settled: bool = True,
) -> Repair:
    """Re-pair from the stored pairing: keep the pairs that stand, solve what changed.

    ``stored`` gives each household row its stored pair's helper row (``-1``: none;
    the caller maps the stored pairing onto the rows of the instance as it is now).
    The pairs that stand (:func:`standing_pairs`) are kept, and the other households
    are paired exactly over the places left; only the partitions where that can pair
    someone are solved. ``skip_settled=False`` solves every partition instead, for the
    very same plan.
    """
    every = all_terms(policy, terms)
    keep = standing_pairs(households, helpers, stored, policy, forbidden)
    kept = np.flatnonzero(keep >= 0)
    open_rows = np.flatnonzero(keep < 0)
    load = helpers.load + np.bincount(keep[kept], minlength=len(helpers))
    leftover = attrs.evolve(helpers, load=load)
    open_households = HouseholdColumns(
        take(households.ids, open_rows),
        households.keys[open_rows],
        households.needs[open_rows],
        np.full(open_rows.size, -1, np.int64),
    )
    open_forbidden = None
    if forbidden is not None and forbidden.size:
        f_hh, f_hp = np.divmod(np.asarray(forbidden, np.int64), len(helpers))
        at = np.searchsorted(open_rows, f_hh)
        hit = at < open_rows.size
        hit[hit] &= open_rows[at[hit]] == f_hh[hit]
        open_forbidden = np.sort(at[hit] * len(helpers) + f_hp[hit])
    solved = solve_columns(
        open_households,
        leftover,
        policy,
        terms=terms,
        forbidden=open_forbidden,
        executor=executor,
        skip_settled=skip_settled,
    )
    n = len(households)
    helper = keep.copy()
    helper[open_rows] = solved.helper
    matrix = np.zeros((n, len(every)), np.int64)
    workload = np.zeros(n, np.int64)
    reason = np.full(n, -1, np.int64)
    matrix[open_rows] = solved.terms
    workload[open_rows] = solved.workload
    reason[open_rows] = solved.reason
    if kept.size:
        matrix[kept] = _pair_terms(households, helpers, kept, keep[kept], policy, every)
        workload[kept] = _kept_workload(kept, keep[kept], helpers.load, policy.workload_step)
    plan = ColumnPlan(
        helper,
        matrix,
        workload,
        reason,
        solved.term_names,
        solved.candidates,
        solved.partitions,
        solved.solved,
    )
    return Repair(plan, kept, solved.solved, solved, open_rows)


def _rank_within(groups: IntArray) -> IntArray:
    """Each entry's rank among the earlier entries of its group (0 for the first)."""
    order = np.argsort(groups, kind="stable")
    ordered = groups[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    rank = np.empty(groups.size, np.int64)
    rank[order] = np.arange(groups.size) - np.repeat(starts, np.diff(np.r_[starts, groups.size]))
    return rank


def _pair_terms(
    households: HouseholdColumns,
    helpers: HelperColumns,
    rows: IntArray,
    cols: IntArray,
    policy: PairingPolicy,
    terms: Sequence[PairingCostTerm],
) -> IntArray:
    """Each term's cost of the given pairs (within the locality limit), as for candidates."""
    limit = level_column(policy.locality_limit)
    level = np.full(rows.size, limit + 1, np.int64)
    agree = np.ones(rows.size, bool)
    for deeper in range(limit + 1, households.keys.shape[1]):
        key = helpers.keys[cols, deeper]
        agree &= (households.keys[rows, deeper] == key) & (key >= 0)
        level += agree
    return evaluate_terms(terms, CandidateEdges(rows, cols, level, households, helpers, policy))


def _kept_workload(rows: IntArray, cols: IntArray, load: IntArray, step: int) -> IntArray:
    """Workload of kept pairs (``rows`` ascending): a helper's households take its slots
    after its ``load``, by row."""
    return step * (load[cols] + _rank_within(cols))


def _partition_key(household: Household, policy: PairingPolicy) -> int:
    return int(region_keys([household.region])[0, level_column(policy.partition)])


def changed_partitions(problem: PairingProblem) -> frozenset[int]:
    """Region keys (at the partition level) of the partitions whose stored pairing no
    longer stands.

    A partition has changed when a pair in force there ends (its helper left, is
    inactive or lost places, the household is no longer eligible, the pair is
    forbidden or beyond the limit, another helper is pinned, a second pair supersedes
    it), or when a household there without a pair in force could take a free place
    within the locality limit. The pairs in force stand everywhere else: keeping them
    (as ``keep_existing`` does) pairs nobody new there and ends nothing.
    """
    policy = problem.policy
    continuity = problem.continuity
    changed: set[int] = set()
    ended = [*continuity.released, *(p.household_id for p in continuity.superseded)]
    for household_id in ended:
        household = problem.households.get(household_id)
        if household is not None:
            changed.add(_partition_key(household, policy))
            continue
        # The household is gone: its helper's partition has a free place now.
        helper_id = continuity.current[household_id].helper_id
        helper = problem.helpers.get(helper_id)
        if helper is not None:
            changed.add(int(region_keys([helper.home_region])[0, level_column(policy.partition)]))
    households, helpers = problem.household_columns, problem.helper_columns
    fixed = np.zeros(len(households), bool)
    fixed[problem.household_rows(problem.fixed)] = True
    standing = households.current >= 0
    waiting = np.flatnonzero(~fixed & ~standing)
    load = helpers.load + np.bincount(households.current[standing], minlength=len(helpers))
    open_households = HouseholdColumns(
        take(households.ids, waiting),
        households.keys[waiting],
        households.needs[waiting],
        np.full(waiting.size, -1, np.int64),
    )
    col = level_column(policy.partition)
    for task in split(open_households, attrs.evolve(helpers, load=load), policy):
        if not settled(task, policy):
            changed.add(int(task.households.keys[0, col]))
    return frozenset(changed)
