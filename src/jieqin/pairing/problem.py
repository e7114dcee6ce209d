"""The problem a plan solves, built once: the checked inputs and what every step reads.

:class:`PairingProblem` holds the helpers, households, needs and pairings in force,
the policy and the day, and the indexes derived from them: the eligible households,
the pairs in force sorted out, the kept and pinned pairs, the rows of both sides and
their columns. Each step of :func:`~jieqin.pairing.planner.plan_pairings` reads it;
none changes it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import TypeVar

import attrs
import numpy as np
from attrs import frozen

from jieqin.errors import PairingError
from jieqin.model import (
    CostTerm,
    Helper,
    Household,
    Need,
    Pairing,
    PairingRole,
    RegionLevel,
)
from jieqin.pairing.columns import (
    HelperColumns,
    HouseholdColumns,
    IntArray,
    level_column,
    take,
)
from jieqin.pairing.continuity import Continuity, sort_out_existing
from jieqin.pairing.costs import CandidateEdges, PairingCostTerm, evaluate_terms, helper_covers
from jieqin.pairing.engine import all_terms
from jieqin.pairing.plan import PairStatus, PlannedPair
from jieqin.pairing.policy import PairingPolicy

__all__ = ["PairingProblem"]

_T = TypeVar("_T")

_NEAR = {
    RegionLevel.VILLAGE: "same village",
    RegionLevel.TOWNSHIP: "same township",
    RegionLevel.COUNTY: "same county",
    RegionLevel.CITY: "same city",
    RegionLevel.PROVINCE: "same province",
}


@frozen(eq=False)
class PairingProblem:
    """One plan's inputs and their indexes; household rows are the eligible households
    sorted by id, helper rows every helper sorted by id."""

    policy: PairingPolicy
    day: date
    extra_terms: tuple[PairingCostTerm, ...]
    """The caller's cost terms (the engine adds the built-in ones itself)."""
    terms: tuple[PairingCostTerm, ...]
    """Every cost term: built-in, then the caller's."""
    helpers: Mapping[str, Helper]
    households: Mapping[str, Household]
    eligible: frozenset[str]
    existing: tuple[Pairing, ...]
    continuity: Continuity
    fixed: Mapping[str, str]
    """Household id -> helper id of the kept and pinned pairs (fixed before the solve)."""
    helper_ids: tuple[str, ...]
    helper_row: Mapping[str, int]
    household_ids: tuple[str, ...]
    household_row: Mapping[str, int]
    helper_columns: HelperColumns
    """Every helper, its load the kept and pinned pairs."""
    household_columns: HouseholdColumns
    """Every eligible household, its current helper the pair in force it may keep."""
    covers: IntArray
    """:func:`~jieqin.pairing.costs.helper_covers` of :attr:`helper_columns`."""

    @classmethod
    def build(
        cls,
        helpers: Iterable[Helper],
        households: Iterable[Household],
        needs: Iterable[Need],
        existing: Iterable[Pairing],
        policy: PairingPolicy,
        day: date,
        terms: Sequence[PairingCostTerm] = (),
    ) -> PairingProblem:
        """Check the inputs (unique ids, pins that can be made) and derive every index."""
        helper_map = _by_id(helpers, lambda h: h.helper_id, "helper")
        household_map = _by_id(households, lambda h: h.household_id, "household")
        eligible = frozenset(
            h for h, hh in household_map.items() if hh.status_on(day) in policy.eligible_statuses
        )
        _check_pinned(policy, helper_map, household_map, eligible)
        pairings = tuple(existing)
        continuity = sort_out_existing(pairings, helper_map, household_map, eligible, policy, day)
        fixed = {h: p.helper_id for h, p in continuity.kept.items()}
        fixed.update(continuity.pinned)
        helper_ids = tuple(sorted(helper_map))
        helper_row = {h: i for i, h in enumerate(helper_ids)}
        household_ids = tuple(sorted(eligible))
        current = {
            h: helper_row[p.helper_id]
            for h, p in continuity.current.items()
            if h not in continuity.released and p.helper_id in helper_row
        }
        need_list = list(needs)
        every = all_terms(policy, terms)
        helper_columns = HelperColumns.from_model(
            [helper_map[h] for h in helper_ids], policy, load=Counter(fixed.values())
        )
        household_columns = HouseholdColumns.from_model(
            [household_map[h] for h in household_ids], need_list, policy, current=current
        )
        return cls(
            policy,
            day,
            tuple(terms),
            every,
            helper_map,
            household_map,
            eligible,
            pairings,
            continuity,
            fixed,
            helper_ids,
            helper_row,
            household_ids,
            {h: i for i, h in enumerate(household_ids)},
            helper_columns,
            household_columns,
            helper_covers(helper_columns, policy),
        )

    def keeping(self, partitions: frozenset[int]) -> PairingProblem:
        """The problem with every pair in force that may continue kept as it is in the
        ``partitions`` (region keys at the partition level), whatever the policy."""
        col = level_column(self.policy.partition)
        keys = self.household_columns.keys[:, col]
        continuity = self.continuity
        more = {
            h: p
            for h, p in continuity.current.items()
            if h not in continuity.released
            and h in self.household_row
            and int(keys[self.household_row[h]]) in partitions
        }
        if not more:
            return self
        rows = self.helper_rows(p.helper_id for p in more.values())
        load = self.helper_columns.load + np.bincount(rows, minlength=len(self.helper_ids))
        return attrs.evolve(
            self,
            continuity=attrs.evolve(
                continuity,
                kept={**continuity.kept, **more},
                current={h: p for h, p in continuity.current.items() if h not in more},
            ),
            fixed={**self.fixed, **{h: p.helper_id for h, p in more.items()}},
            helper_columns=attrs.evolve(self.helper_columns, load=load),
        )

    def household_rows(self, household_ids: Iterable[str]) -> IntArray:
        """The rows of these (eligible) households."""
        return np.asarray([self.household_row[h] for h in household_ids], np.int64)

    def helper_rows(self, helper_ids: Iterable[str]) -> IntArray:
        """The rows of these helpers."""
        return np.asarray([self.helper_row[h] for h in helper_ids], np.int64)

    def households_at(self, rows: IntArray, *, current: bool = True) -> HouseholdColumns:
        """The columns of the households at ``rows``; without their current helpers
        unless ``current``."""
        cols = self.household_columns
        return HouseholdColumns(
            take(cols.ids, rows),
            cols.keys[rows],
            cols.needs[rows],
            cols.current[rows] if current else np.full(rows.size, -1, np.int64),
        )

    def forbidden_codes(self, rows: IntArray) -> list[int]:
        """The policy's forbidden pairs among the households at ``rows``, as the engine's
        ``k * len(helpers) + helper_row`` codes (``k`` the position in ``rows``)."""
        position = {self.household_ids[r]: k for k, r in enumerate(rows)}
        n_helpers = len(self.helper_ids)
        return [
            position[household] * n_helpers + self.helper_row[helper]
            for helper, household in self.policy.forbidden
            if household in position and helper in self.helper_row
        ]

    def pair_terms(self, rows: IntArray, helpers: IntArray) -> IntArray:
        """Each term's cost of the given pairs (household row ``rows[e]``, helper row
        ``helpers[e]``), all at once as for candidate edges."""
        hh, hp = self.household_columns, self.helper_columns
        same = (hh.keys[rows] == hp.keys[helpers]) & (hp.keys[helpers] >= 0)
        level = np.cumprod(same, axis=1).sum(axis=1).astype(np.int64)
        return evaluate_terms(self.terms, CandidateEdges(rows, helpers, level, hh, hp, self.policy))

    def planned(
        self,
        row: int,
        helper: int,
        status: PairStatus,
        terms: IntArray,
        workload: int,
        role: PairingRole = PairingRole.PRIMARY,
    ) -> PlannedPair:
        """The planned pair of household ``row`` and helper ``helper``, with its cost by
        term (``terms`` in the order of :attr:`terms`, then ``workload``)."""
        costs = (
            *(CostTerm(t.name, float(v)) for t, v in zip(self.terms, terms, strict=True)),
            CostTerm("workload", float(workload)),
        )
        return PlannedPair(
            self.helper_ids[helper],
            self.household_ids[row],
            status,
            costs,
            self.explain(row, helper, status),
            role,
        )

    def explain(self, row: int, helper: int, status: PairStatus) -> str:
        """Why this pair, without naming any need (needs can reveal health facts)."""
        hh, hp = self.household_columns, self.helper_columns
        same = (hh.keys[row] == hp.keys[helper]) & (hp.keys[helper] >= 0)
        level = RegionLevel(int(np.cumprod(same).sum()))
        parts = [str(status), _NEAR[level]]
        needs = int(hh.needs[row])
        if needs:
            covered = needs & int(self.covers[helper])
            parts.append(
                f"helper's sectors cover {covered.bit_count()} of {needs.bit_count()} needs"
            )
        return "; ".join(parts)


def _by_id(items: Iterable[_T], ident: Callable[[_T], str], what: str) -> dict[str, _T]:
    """``items`` by id; an id twice is refused."""
    out: dict[str, _T] = {}
    for item in items:
        key = ident(item)
        if key in out:
            raise PairingError(f"{what} {key!r} appears twice")
        out[key] = item
    return out


def _check_pinned(
    policy: PairingPolicy,
    helpers: Mapping[str, Helper],
    households: Mapping[str, Household],
    eligible: frozenset[str],
) -> None:
    """Refuse a pin that cannot be made: no such helper or household, two helpers for
    one household, beyond the locality limit, or over the helper's capacity."""
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
        if not policy.within_limit(helper.home_region, household.region):
            raise PairingError(
                f"{where}: beyond the locality limit ({policy.locality_limit.name.lower()})"
            )
        load[helper_id] = load.get(helper_id, 0) + 1
        if load[helper_id] > policy.capacity(helper.capacity):
            raise PairingError(f"{where}: more pinned households than the helper's capacity")
