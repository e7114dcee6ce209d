"""Secondary helpers: from the places the primary pairs leave, kept ones first, then solved.

A secondary pair in force is kept while it is allowed (the helper active and within
the limit, the household paired and eligible, not forbidden, never its primary
helper) and the helper has a place left, the longest-standing first and one per
household; every other secondary pair in force ends. The households without one are then solved exactly,
their primary helpers forbidden to them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor

import attrs
import numpy as np

from jieqin.model import Pairing, PairingRole
from jieqin.pairing.engine import solve_columns
from jieqin.pairing.plan import PairStatus, PlannedPair
from jieqin.pairing.problem import PairingProblem

__all__ = ["plan_secondary"]


def plan_secondary(
    problem: PairingProblem, primary: Sequence[PlannedPair], executor: Executor | None
) -> tuple[list[PlannedPair], list[Pairing]]:
    """The secondary pairs of the plan whose primary pairs are ``primary``, and the
    secondary pairs in force that end."""
    primary_of = {p.household_id: p.helper_id for p in primary}
    load = Counter(p.helper_id for p in primary)
    kept, workload, ended = _sort_out_in_force(problem, primary_of, load)
    pairs = _kept_pairs(problem, kept, workload)
    pairs += _solved_pairs(problem, primary_of, kept, load, executor)
    return pairs, ended


def _sort_out_in_force(
    problem: PairingProblem, primary_of: Mapping[str, str], load: Counter[str]
) -> tuple[dict[str, Pairing], dict[str, int], list[Pairing]]:
    """The secondary pairs in force that are kept (by household, each taking a place of
    ``load``) with their workload costs, and those that end."""
    kept: dict[str, Pairing] = {}
    workload: dict[str, int] = {}
    ended: list[Pairing] = []
    in_force = sorted(
        (
            p
            for p in problem.existing
            if p.role is PairingRole.SECONDARY and p.active_on(problem.day)
        ),
        key=lambda p: (p.start, p.household_id, p.helper_id),
    )
    for pairing in in_force:
        if _may_stay(problem, pairing, primary_of, kept, load):
            kept[pairing.household_id] = pairing
            load[pairing.helper_id] += 1
            workload[pairing.household_id] = problem.policy.slot_cost(load[pairing.helper_id])
        else:
            ended.append(pairing)
    return kept, workload, ended


def _may_stay(
    problem: PairingProblem,
    pairing: Pairing,
    primary_of: Mapping[str, str],
    kept: Mapping[str, Pairing],
    load: Counter[str],
) -> bool:
    """Whether a secondary pair in force is still allowed and its helper has a place."""
    helper = problem.helpers.get(pairing.helper_id)
    household = problem.households.get(pairing.household_id)
    household_id = pairing.household_id
    if helper is None or not helper.active or household is None:
        return False
    if household_id not in problem.eligible or household_id not in primary_of:
        return False
    policy = problem.policy
    return (
        household_id not in kept
        and primary_of[household_id] != helper.helper_id
        and (helper.helper_id, household_id) not in policy.forbidden
        and policy.within_limit(helper.home_region, household.region)
        and load[helper.helper_id] < policy.capacity(helper.capacity)
    )


def _kept_pairs(
    problem: PairingProblem, kept: Mapping[str, Pairing], workload: Mapping[str, int]
) -> list[PlannedPair]:
    """The kept secondary pairs with their costs, by household."""
    household_ids = sorted(kept)
    if not household_ids:
        return []
    rows = problem.household_rows(household_ids)
    cols = problem.helper_rows(kept[h].helper_id for h in household_ids)
    terms = problem.pair_terms(rows, cols)
    return [
        problem.planned(
            int(rows[k]),
            int(cols[k]),
            PairStatus.KEPT,
            terms[k],
            workload[household_id],
            PairingRole.SECONDARY,
        )
        for k, household_id in enumerate(household_ids)
    ]


def _solved_pairs(
    problem: PairingProblem,
    primary_of: Mapping[str, str],
    kept: Mapping[str, Pairing],
    load: Counter[str],
    executor: Executor | None,
) -> list[PlannedPair]:
    """The exact solve for the paired households without a secondary helper, over the
    places ``load`` leaves; a household's primary helper is forbidden to it."""
    targets = np.asarray(
        sorted(problem.household_row[h] for h in primary_of if h not in kept), np.int64
    )
    if targets.size == 0:
        return []
    helpers = attrs.evolve(
        problem.helper_columns,
        load=np.asarray([load.get(h, 0) for h in problem.helper_ids], np.int64),
    )
    n_helpers = len(problem.helper_ids)
    codes = [
        k * n_helpers + problem.helper_row[primary_of[problem.household_ids[row]]]
        for k, row in enumerate(targets)
    ]
    codes += problem.forbidden_codes(targets)
    result = solve_columns(
        problem.households_at(targets, current=False),
        helpers,
        problem.policy,
        terms=problem.extra_terms,
        forbidden=np.asarray(sorted(codes), np.int64),
        executor=executor,
    )
    return [
        problem.planned(
            int(row),
            int(result.helper[k]),
            PairStatus.NEW,
            result.terms[k],
            int(result.workload[k]),
            PairingRole.SECONDARY,
        )
        for k, row in enumerate(targets)
        if result.helper[k] >= 0
    ]
