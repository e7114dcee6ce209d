"""Plan a pairing from model objects: continuity, pinned pairs, the exact solve, the records.

:func:`plan_pairings` builds one :class:`~jieqin.pairing.problem.PairingProblem` and
takes it through the steps: the pairs in force sorted out (while building it), the
kept and pinned pairs, the exact solve of the other households per partition, the
households left unpaired and why, the secondary helpers, and the records.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from datetime import date

import numpy as np

from jieqin.model import Helper, Household, Need, Pairing
from jieqin.pairing.columns import IntArray, level_column
from jieqin.pairing.costs import PairingCostTerm
from jieqin.pairing.engine import ColumnPlan, solve_columns
from jieqin.pairing.incremental import changed_partitions
from jieqin.pairing.partitions import REASONS, UnpairedReason
from jieqin.pairing.plan import PairingPlan, PairStatus, PlannedPair, UnpairedHousehold
from jieqin.pairing.policy import PairingPolicy
from jieqin.pairing.problem import PairingProblem
from jieqin.pairing.records import gather_plan, with_secondary
from jieqin.pairing.secondary import plan_secondary

__all__ = ["plan_pairings"]


def plan_pairings(
    helpers: Iterable[Helper],
    households: Iterable[Household],
    needs: Iterable[Need] = (),
    existing: Iterable[Pairing] = (),
    policy: PairingPolicy | None = None,
    *,
    on: date | None = None,
    terms: Sequence[PairingCostTerm] = (),
    executor: Executor | None = None,
    changed_only: bool = False,
) -> PairingPlan:
    """The optimal plan on ``on`` (default today): keep what may stay, pair the rest exactly.

    Households eligible under the policy are paired; as many as the helpers' places
    and the locality limit allow, at the least total cost. ``terms`` are added to the
    built-in cost terms. The plan is the same for the same input.

    With ``changed_only``, only the partitions whose stored pairing no longer stands
    (:func:`~jieqin.pairing.incremental.changed_partitions`) are re-paired under the
    policy; everywhere else every pair in force is kept as it is, even when the policy
    re-pairs everyone (``keep_existing=False``). With ``keep_existing`` the plan is
    the same either way: partitions where the pairing stands are never solved.
    """
    problem = PairingProblem.build(
        helpers, households, needs, existing, policy or PairingPolicy(), on or date.today(), terms
    )
    if changed_only and not problem.policy.keep_existing:
        problem = _keep_unchanged(problem)
    rows = _open_rows(problem)
    solved = _solve_open(problem, rows, executor)
    pairs = [*_fixed_pairs(problem), *_solved_pairs(problem, rows, solved)]
    unpaired = _unpaired(problem, rows, solved)
    secondary = plan_secondary(problem, pairs, executor) if problem.policy.secondary else None
    pairs.sort(key=lambda p: p.household_id)
    policy = problem.policy
    plan = gather_plan(
        problem.day, pairs, unpaired, problem.continuity, solved.candidates, policy.handover_cost
    )
    return plan if secondary is None else with_secondary(plan, *secondary)


def _keep_unchanged(problem: PairingProblem) -> PairingProblem:
    """``problem`` with the pairs in force kept in the partitions where they stand."""
    col = level_column(problem.policy.partition)
    every = frozenset(int(k) for k in np.unique(problem.household_columns.keys[:, col]))
    return problem.keeping(every - changed_partitions(problem))


def _open_rows(problem: PairingProblem) -> IntArray:
    """Rows of the households no kept or pinned pair holds: those the solve pairs."""
    fixed = problem.fixed
    return np.asarray([i for i, h in enumerate(problem.household_ids) if h not in fixed], np.int64)


def _solve_open(problem: PairingProblem, rows: IntArray, executor: Executor | None) -> ColumnPlan:
    """The exact solve, per partition, of the households at ``rows`` over the places the
    kept and pinned pairs leave."""
    return solve_columns(
        problem.households_at(rows),
        problem.helper_columns,
        problem.policy,
        terms=problem.extra_terms,
        forbidden=np.asarray(sorted(problem.forbidden_codes(rows)), np.int64),
        executor=executor,
    )


def _fixed_pairs(problem: PairingProblem) -> list[PlannedPair]:
    """The kept and pinned pairs with their costs, by household."""
    household_ids = sorted(problem.fixed)
    rows = problem.household_rows(household_ids)
    cols = problem.helper_rows(problem.fixed[h] for h in household_ids)
    terms = problem.pair_terms(rows, cols)
    workload = _fixed_workload(problem, household_ids)
    kept = problem.continuity.kept
    return [
        problem.planned(
            int(rows[k]),
            int(cols[k]),
            PairStatus.KEPT if household_id in kept else PairStatus.PINNED,
            terms[k],
            workload[household_id],
        )
        for k, household_id in enumerate(household_ids)
    ]


def _fixed_workload(problem: PairingProblem, household_ids: list[str]) -> dict[str, int]:
    """Workload of kept and pinned pairs: a helper's pinned first, then by start date."""
    continuity = problem.continuity
    by_helper: dict[str, list[tuple[int, date, str]]] = {}
    for household_id in household_ids:
        kept = continuity.kept.get(household_id)
        start = kept.start if kept is not None else date.min
        pinned = 0 if household_id in continuity.pinned else 1
        by_helper.setdefault(problem.fixed[household_id], []).append((pinned, start, household_id))
    out: dict[str, int] = {}
    for entries in by_helper.values():
        for k, (_, _, household_id) in enumerate(sorted(entries)):
            out[household_id] = problem.policy.slot_cost(k + 1)
    return out


def _solved_pairs(problem: PairingProblem, rows: IntArray, solved: ColumnPlan) -> list[PlannedPair]:
    """The pairs the solve made, each new, changed, or kept when it is the pair in force."""
    out: list[PlannedPair] = []
    for k, row in enumerate(rows):
        helper = int(solved.helper[k])
        if helper < 0:
            continue
        had = problem.continuity.current.get(problem.household_ids[row])
        status = PairStatus.NEW if had is None else PairStatus.CHANGED
        if had is not None and had.helper_id == problem.helper_ids[helper]:
            status = PairStatus.KEPT
        out.append(
            problem.planned(int(row), helper, status, solved.terms[k], int(solved.workload[k]))
        )
    return out


def _unpaired(
    problem: PairingProblem, rows: IntArray, solved: ColumnPlan
) -> list[UnpairedHousehold]:
    """The households the solve left unpaired, each with why and where it looked."""
    level = problem.policy.locality_limit
    out: list[UnpairedHousehold] = []
    for k, row in enumerate(rows):
        if solved.helper[k] >= 0:
            continue
        household_id = problem.household_ids[row]
        reason = REASONS[int(solved.reason[k])]
        region = problem.households[household_id].region.at_level(level)
        out.append(
            UnpairedHousehold(household_id, reason, _detail(reason, level.name.lower(), region))
        )
    return out


def _detail(reason: UnpairedReason, limit: str, region: object) -> str:
    """The sentence that says why, naming the region at the limit that was searched."""
    where = f"{limit} {region}" if region is not None else f"the {limit}"
    if reason is UnpairedReason.NO_HELPER_WITHIN_LIMIT:
        return f"no active helper lives within {where}"
    if reason is UnpairedReason.CAPACITY_EXHAUSTED:
        return f"every place of the helpers within {where} is taken"
    return f"every helper with a free place within {where} is forbidden for this household"
