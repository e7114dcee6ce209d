"""Plan a pairing from model objects: continuity, pinned pairs, the exact solve, the records."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from datetime import date, timedelta

import attrs
import numpy as np

from jieqin.errors import PairingError
from jieqin.model import (
    CostTerm,
    Handover,
    Helper,
    Household,
    Need,
    Pairing,
    PairingRole,
    RegionLevel,
)
from jieqin.pairing.columns import HelperColumns, HouseholdColumns, IntArray, take
from jieqin.pairing.continuity import Continuity, HandoverReason, sort_out_existing
from jieqin.pairing.costs import CandidateEdges, PairingCostTerm, evaluate_terms, helper_covers
from jieqin.pairing.engine import all_terms, solve_columns
from jieqin.pairing.partitions import REASONS, UnpairedReason
from jieqin.pairing.plan import PairingPlan, PairStatus, PlannedPair, UnpairedHousehold
from jieqin.pairing.policy import PairingPolicy

__all__ = ["plan_pairings"]

_NEAR = {
    RegionLevel.VILLAGE: "same village",
    RegionLevel.TOWNSHIP: "same township",
    RegionLevel.COUNTY: "same county",
    RegionLevel.CITY: "same city",
    RegionLevel.PROVINCE: "same province",
}


def _unique(items: Iterable[object], key: str, what: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for item in items:
        ident = getattr(item, key)
        if ident in out:
            raise PairingError(f"{what} {ident!r} appears twice")
        out[ident] = item
    return out


def _check_pinned(
    policy: PairingPolicy,
    helpers: dict[str, Helper],
    households: dict[str, Household],
    eligible: frozenset[str],
) -> None:
    seen: dict[str, str] = {}
    load: dict[str, int] = {}
    for helper_id, household_id in sorted(policy.pinned):
        where = f"pinned pair {helper_id} / {household_id}"
        helper = helpers.get(helper_id)
        household = households.get(household_id)
        if helper is None or not helper.active:
            raise PairingError(f"{where}: no active helper {helper_id!r}")
        if household is None or household_id not in eligible:
            raise PairingError(f"{where}: no eligible household {household_id!r}")
        if household_id in seen:
            raise PairingError(f"{where}: household is also pinned to {seen[household_id]!r}")
        seen[household_id] = helper_id
        level = helper.home_region.common_level(household.region)
        if level is None or level < policy.locality_limit:
            raise PairingError(
                f"{where}: beyond the locality limit ({policy.locality_limit.name.lower()})"
            )
        load[helper_id] = load.get(helper_id, 0) + 1
        if load[helper_id] > policy.capacity(helper.capacity):
            raise PairingError(f"{where}: more pinned households than the helper's capacity")


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
) -> PairingPlan:
    """The optimal plan on ``on`` (default today): keep what may stay, pair the rest exactly.

    Households eligible under the policy are paired; as many as the helpers' places
    and the locality limit allow, at the least total cost. ``terms`` are added to the
    built-in cost terms. The plan is the same for the same input.
    """
    policy = policy or PairingPolicy()
    day = on or date.today()
    helper_map: dict[str, Helper] = _unique(helpers, "helper_id", "helper")  # type: ignore[assignment]
    household_map: dict[str, Household] = _unique(households, "household_id", "household")  # type: ignore[assignment]
    eligible = frozenset(
        h for h, hh in household_map.items() if hh.status_on(day) in policy.eligible_statuses
    )
    _check_pinned(policy, helper_map, household_map, eligible)
    existing_list = list(existing)
    continuity = sort_out_existing(existing_list, helper_map, household_map, eligible, policy, day)
    helper_list = [helper_map[h] for h in sorted(helper_map)]
    helper_row = {h.helper_id: i for i, h in enumerate(helper_list)}
    fixed: dict[str, str] = {h: p.helper_id for h, p in continuity.kept.items()}
    fixed.update(continuity.pinned)
    load: dict[str, int] = {}
    for helper_id in fixed.values():
        load[helper_id] = load.get(helper_id, 0) + 1
    household_list = [household_map[h] for h in sorted(eligible)]
    current = {
        h: helper_row[p.helper_id]
        for h, p in continuity.current.items()
        if h not in continuity.released and p.helper_id in helper_row
    }
    need_list = list(needs)
    every = all_terms(policy, terms)
    hp_cols = HelperColumns.from_model(helper_list, policy, load=load)
    covers = helper_covers(hp_cols, policy)
    hh_cols = HouseholdColumns.from_model(household_list, need_list, policy, current=current)
    solve_rows = np.asarray(
        [i for i, h in enumerate(household_list) if h.household_id not in fixed], np.int64
    )
    sub = HouseholdColumns(
        take(hh_cols.ids, solve_rows),
        hh_cols.keys[solve_rows],
        hh_cols.needs[solve_rows],
        hh_cols.current[solve_rows],
    )
    sub_row = {hh_cols.ids[i]: k for k, i in enumerate(solve_rows)}
    forbidden = np.asarray(
        sorted(
            sub_row[hh] * len(helper_list) + helper_row[hp]
            for hp, hh in policy.forbidden
            if hh in sub_row and hp in helper_row
        ),
        np.int64,
    )
    result = solve_columns(
        sub, hp_cols, policy, terms=terms, forbidden=forbidden, executor=executor
    )
    # Costs of the fixed pairs, over all of them at once.
    row_of = {h: i for i, h in enumerate(hh_cols.ids)}
    fixed_ids = sorted(fixed)
    fixed_hh = np.asarray([row_of[h] for h in fixed_ids], np.int64)
    fixed_hp = np.asarray([helper_row[fixed[h]] for h in fixed_ids], np.int64)
    fixed_terms = _terms_of(hh_cols, hp_cols, policy, every, fixed_hh, fixed_hp)
    fixed_work = _fixed_workload(fixed_ids, fixed, continuity, policy)
    pairs: list[PlannedPair] = []
    names = [t.name for t in every]
    for k, household_id in enumerate(fixed_ids):
        status = PairStatus.KEPT if household_id in continuity.kept else PairStatus.PINNED
        costs = _costs(names, fixed_terms[k], fixed_work[household_id])
        pairs.append(
            PlannedPair(
                fixed[household_id],
                household_id,
                status,
                costs,
                _explain(hh_cols, hp_cols, int(fixed_hh[k]), int(fixed_hp[k]), covers, status),
            )
        )
    unpaired: list[UnpairedHousehold] = []
    limit = policy.locality_limit.name.lower()
    for k, row in enumerate(solve_rows):
        household_id = hh_cols.ids[row]
        j = int(result.helper[k])
        if j < 0:
            reason = REASONS[int(result.reason[k])]
            region = household_map[household_id].region.at_level(policy.locality_limit)
            unpaired.append(UnpairedHousehold(household_id, reason, _detail(reason, limit, region)))
            continue
        had = continuity.current.get(household_id)
        status = PairStatus.NEW if had is None else PairStatus.CHANGED
        if had is not None and had.helper_id == helper_list[j].helper_id:
            status = PairStatus.KEPT
        costs = _costs(names, result.terms[k], int(result.workload[k]))
        pairs.append(
            PlannedPair(
                helper_list[j].helper_id,
                household_id,
                status,
                costs,
                _explain(hh_cols, hp_cols, int(row), j, covers, status),
            )
        )
    secondary: list[PlannedPair] = []
    ended_secondary: list[Pairing] = []
    if policy.secondary:
        secondary, ended_secondary = _secondary(
            pairs,
            list(existing_list),
            helper_list,
            hh_cols,
            hp_cols,
            household_map,
            eligible,
            policy,
            day,
            terms,
            executor,
        )
    pairs.sort(key=lambda p: p.household_id)
    plan = _records(day, pairs, unpaired, continuity, result.candidates)
    if not policy.secondary:
        return plan
    new_secondary = [
        Pairing(
            p.helper_id,
            p.household_id,
            day,
            role=PairingRole.SECONDARY,
            reason=p.explanation,
            costs=p.costs,
        )
        for p in secondary
        if p.status is not PairStatus.KEPT
    ]
    return attrs.evolve(
        plan,
        pairs=tuple(
            sorted(
                (*plan.pairs, *secondary),
                key=lambda p: (p.household_id, p.role != PairingRole.PRIMARY),
            )
        ),
        pairings=tuple(
            sorted((*plan.pairings, *new_secondary), key=lambda p: (p.household_id, p.role))
        ),
        ended=tuple(
            sorted(
                (*plan.ended, *(_end(p, day) for p in ended_secondary)),
                key=lambda p: (p.household_id, p.helper_id),
            )
        ),
    )


def _end(pairing: Pairing, day: date) -> Pairing:
    return attrs.evolve(pairing, end=max(pairing.start, day - timedelta(days=1)))


def _secondary(
    primary: list[PlannedPair],
    existing: list[Pairing],
    helper_list: list[Helper],
    hh_cols: HouseholdColumns,
    hp_cols: HelperColumns,
    households: dict[str, Household],
    eligible: frozenset[str],
    policy: PairingPolicy,
    day: date,
    terms: Sequence[PairingCostTerm],
    executor: Executor | None,
) -> tuple[list[PlannedPair], list[Pairing]]:
    """Secondary helpers from the places the primary pairs leave: kept ones, then an exact solve."""
    primary_of = {p.household_id: p.helper_id for p in primary}
    helper_of = {h.helper_id: h for h in helper_list}
    helper_row = {h.helper_id: i for i, h in enumerate(helper_list)}
    load: dict[str, int] = {}
    for p in primary:
        load[p.helper_id] = load.get(p.helper_id, 0) + 1
    kept: dict[str, Pairing] = {}
    workload: dict[str, int] = {}
    ended: list[Pairing] = []
    in_force = sorted(
        (p for p in existing if p.role is PairingRole.SECONDARY and p.active_on(day)),
        key=lambda p: (p.start, p.household_id, p.helper_id),
    )
    for pairing in in_force:
        helper = helper_of.get(pairing.helper_id)
        household = households.get(pairing.household_id)
        allowed = (
            helper is not None
            and helper.active
            and household is not None
            and pairing.household_id in eligible
            and pairing.household_id in primary_of
            and pairing.household_id not in kept
            and primary_of[pairing.household_id] != helper.helper_id
            and (helper.helper_id, pairing.household_id) not in policy.forbidden
            and not _beyond(helper, household, policy)
            and load.get(helper.helper_id, 0) < policy.capacity(helper.capacity)
        )
        if allowed:
            kept[pairing.household_id] = pairing
            load[pairing.helper_id] = load.get(pairing.helper_id, 0) + 1
            workload[pairing.household_id] = policy.slot_cost(load[pairing.helper_id])
        else:
            ended.append(pairing)
    every = all_terms(policy, terms)
    names = [t.name for t in every]
    row_of = {h: i for i, h in enumerate(hh_cols.ids)}
    out: list[PlannedPair] = []
    covers = helper_covers(hp_cols, policy)
    kept_ids = sorted(kept)
    if kept_ids:
        rows = np.asarray([row_of[h] for h in kept_ids], np.int64)
        cols = np.asarray([helper_row[kept[h].helper_id] for h in kept_ids], np.int64)
        matrix = _terms_of(hh_cols, hp_cols, policy, every, rows, cols)
        for k, household_id in enumerate(kept_ids):
            out.append(
                PlannedPair(
                    kept[household_id].helper_id,
                    household_id,
                    PairStatus.KEPT,
                    _costs(names, matrix[k], workload[household_id]),
                    _explain(hh_cols, hp_cols, int(rows[k]), int(cols[k]), covers, PairStatus.KEPT),
                    PairingRole.SECONDARY,
                )
            )
    targets = np.asarray(sorted(row_of[h] for h in primary_of if h not in kept), np.int64)
    if targets.size == 0:
        return out, ended
    sub = HouseholdColumns(
        take(hh_cols.ids, targets),
        hh_cols.keys[targets],
        hh_cols.needs[targets],
        np.full(targets.size, -1),
    )
    helpers2 = attrs.evolve(
        hp_cols, load=np.asarray([load.get(h.helper_id, 0) for h in helper_list], np.int64)
    )
    n_helpers = len(helper_list)
    codes = [k * n_helpers + helper_row[primary_of[hh_cols.ids[r]]] for k, r in enumerate(targets)]
    sub_row = {hh_cols.ids[r]: k for k, r in enumerate(targets)}
    codes += [
        sub_row[hh] * n_helpers + helper_row[hp]
        for hp, hh in policy.forbidden
        if hh in sub_row and hp in helper_row
    ]
    result = solve_columns(
        sub,
        helpers2,
        policy,
        terms=terms,
        forbidden=np.asarray(sorted(codes), np.int64),
        executor=executor,
    )
    for k, row in enumerate(targets):
        j = int(result.helper[k])
        if j < 0:
            continue
        out.append(
            PlannedPair(
                helper_list[j].helper_id,
                hh_cols.ids[row],
                PairStatus.NEW,
                _costs(names, result.terms[k], int(result.workload[k])),
                _explain(hh_cols, hp_cols, int(row), j, covers, PairStatus.NEW),
                PairingRole.SECONDARY,
            )
        )
    return out, ended


def _beyond(helper: Helper, household: Household, policy: PairingPolicy) -> bool:
    level = helper.home_region.common_level(household.region)
    return level is None or level < policy.locality_limit


def _terms_of(
    hh: HouseholdColumns,
    hp: HelperColumns,
    policy: PairingPolicy,
    terms: Sequence[PairingCostTerm],
    rows: IntArray,
    helpers: IntArray,
) -> IntArray:
    same = (hh.keys[rows] == hp.keys[helpers]) & (hp.keys[helpers] >= 0)
    level = np.cumprod(same, axis=1).sum(axis=1).astype(np.int64)
    return evaluate_terms(terms, CandidateEdges(rows, helpers, level, hh, hp, policy))


def _fixed_workload(
    ids: list[str], fixed: dict[str, str], continuity: Continuity, policy: PairingPolicy
) -> dict[str, int]:
    """Workload of kept and pinned pairs: a helper's pinned first, then by start date."""
    by_helper: dict[str, list[tuple[int, date, str]]] = {}
    for household_id in ids:
        kept = continuity.kept.get(household_id)
        start = kept.start if kept is not None else date.min
        pinned = 0 if household_id in continuity.pinned else 1
        by_helper.setdefault(fixed[household_id], []).append((pinned, start, household_id))
    out: dict[str, int] = {}
    for entries in by_helper.values():
        for k, (_, _, household_id) in enumerate(sorted(entries)):
            out[household_id] = policy.slot_cost(k + 1)
    return out


def _costs(names: list[str], values: IntArray, workload: int) -> tuple[CostTerm, ...]:
    return (
        *(CostTerm(n, float(v)) for n, v in zip(names, values, strict=True)),
        CostTerm("workload", float(workload)),
    )


def _explain(
    hh: HouseholdColumns,
    hp: HelperColumns,
    row: int,
    helper: int,
    covers: IntArray,
    status: PairStatus,
) -> str:
    """Why this pair, without naming any need (needs can reveal health facts).

    ``covers`` is :func:`~jieqin.pairing.costs.helper_covers` of ``hp``.
    """
    same = (hh.keys[row] == hp.keys[helper]) & (hp.keys[helper] >= 0)
    level = RegionLevel(int(np.cumprod(same).sum()))
    parts = [str(status), _NEAR[level]]
    needs = int(hh.needs[row])
    if needs:
        covered = needs & int(covers[helper])
        parts.append(f"helper's sectors cover {covered.bit_count()} of {needs.bit_count()} needs")
    return "; ".join(parts)


def _detail(reason: UnpairedReason, limit: str, region: object) -> str:
    where = f"{limit} {region}" if region is not None else f"the {limit}"
    if reason is UnpairedReason.NO_HELPER_WITHIN_LIMIT:
        return f"no active helper lives within {where}"
    if reason is UnpairedReason.CAPACITY_EXHAUSTED:
        return f"every place of the helpers within {where} is taken"
    return f"every helper with a free place within {where} is forbidden for this household"


def _records(
    day: date,
    pairs: list[PlannedPair],
    unpaired: list[UnpairedHousehold],
    continuity: Continuity,
    candidates: int,
) -> PairingPlan:
    """The records that make the plan so: new pairings, ended ones, handovers."""
    new: list[Pairing] = []
    ended: list[Pairing] = []
    handovers: list[Handover] = []

    def end(pairing: Pairing) -> None:
        ended.append(attrs.evolve(pairing, end=max(pairing.start, day - timedelta(days=1))))

    for pairing in continuity.superseded:
        end(pairing)
        handovers.append(
            Handover(pairing.household_id, day, HandoverReason.SUPERSEDED, pairing.helper_id, None)
        )
    for pair in pairs:
        if pair.status is PairStatus.KEPT:
            continue
        had = continuity.current.get(pair.household_id)
        if had is not None and had.helper_id == pair.helper_id:
            continue
        new.append(
            Pairing(
                pair.helper_id, pair.household_id, day, reason=pair.explanation, costs=pair.costs
            )
        )
        if had is None:
            handovers.append(
                Handover(pair.household_id, day, HandoverReason.FIRST_PAIRING, None, pair.helper_id)
            )
            continue
        end(had)
        reason = continuity.released.get(pair.household_id)
        if reason is None:
            reason = (
                HandoverReason.PINNED
                if pair.status is PairStatus.PINNED
                else HandoverReason.RE_PAIRED
            )
        handovers.append(Handover(pair.household_id, day, reason, had.helper_id, pair.helper_id))
    paired = {p.household_id for p in pairs}
    for household_id, had in sorted(continuity.current.items()):
        if household_id in paired:
            continue
        end(had)
        reason = continuity.released.get(household_id, HandoverReason.RE_PAIRED)
        handovers.append(Handover(household_id, day, reason, had.helper_id, None))
    unpaired.sort(key=lambda u: u.household_id)
    return PairingPlan(
        day,
        tuple(pairs),
        tuple(unpaired),
        tuple(sorted(new, key=lambda p: p.household_id)),
        tuple(sorted(ended, key=lambda p: (p.household_id, p.helper_id))),
        tuple(sorted(handovers, key=lambda h: (h.household_id, h.reason))),
        candidates,
    )
