"""The households an allocation decides: model objects, or the rows storage reads.

Deciding a million members needs their facts as numpy columns
(:class:`~jieqin.rules.Population`), and a model object only for the members it
explains in full (one of each group of alike members: see
:meth:`~jieqin.rules.AidProgram.alike`). A backend whose household repository reads
rows (``iter_rows``: the SQL backend) hands the allocation those
(:class:`~jieqin.storage.rows.HouseholdRows`); the columns are built from them, and a
household becomes a :class:`~jieqin.model.Household` (checked by the model, as
always) only when one of its members is explained. Given model objects, the columns
are :meth:`Population.from_households`, as they always were; ``tests/test_aid_scope.py``
holds the two builds equal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from jieqin.model import Household
from jieqin.rules import AidProgram, Population
from jieqin.rules.facts import CATEGORIES, NO_SCHOOLING
from jieqin.storage.rows import HouseholdRows

__all__ = ["Scope", "population_of_rows", "served"]

_CODES = {name: {code: i for i, code in enumerate(codes)} for name, codes in CATEGORIES.items()}
_DEPARTED_ON = 16


class Scope:
    """The served households of an allocation: their population, each one's size, and
    each household as a model object on demand (built once)."""

    def __init__(
        self,
        population: Population,
        household: Callable[[str], Household],
        sizes: Mapping[str, int],
    ) -> None:
        self.population = population
        self._household = household
        self._built: dict[str, Household] = {}
        self.sizes = sizes
        """Current members of each household, by id."""

    def __len__(self) -> int:
        return len(self.population.household_ids)

    def household(self, household_id: str) -> Household:
        built = self._built.get(household_id)
        if built is None:
            built = self._built[household_id] = self._household(household_id)
        return built

    @classmethod
    def of_households(cls, households: Sequence[Household]) -> Scope:
        by_id = {h.household_id: h for h in households}
        return cls(
            Population.from_households(households),
            by_id.__getitem__,
            {h.household_id: len(h.members) for h in households},
        )

    @classmethod
    def of_rows(cls, rows: Sequence[HouseholdRows]) -> Scope:
        by_id = {r.household_id: r for r in rows}
        return cls(
            population_of_rows(rows),
            lambda household_id: by_id[household_id].to_household(),
            {r.household_id: _current_count(r) for r in rows},
        )


def _current_count(rows: HouseholdRows) -> int:
    return sum(1 for m in rows.members if m[_DEPARTED_ON] is None)


def population_of_rows(rows: Sequence[HouseholdRows]) -> Population:
    """:meth:`Population.from_households` of the households ``rows`` store, built from
    the rows (current members in position order, as the households list them)."""
    sex, relation, health = _CODES["sex"], _CODES["relation"], _CODES["health"]
    school, employment = _CODES["school_level"], _CODES["employment"]
    members: list[tuple[int, Any]] = []
    sizes: list[int] = []
    for i, r in enumerate(rows):
        current = sorted((m for m in r.members if m[_DEPARTED_ON] is None), key=lambda m: m[2])
        members.extend((i, m) for m in current)
        sizes.append(len(current))
    statuses = sorted({s[2] for r in rows for s in r.statuses})
    status_code = {s: k for k, s in enumerate(statuses)}
    history = [s for r in rows for s in sorted(r.statuses, key=lambda s: s[1])]
    regions = tuple(sorted({r.household[1] for r in rows}))
    region_code = {code: k for k, code in enumerate(regions)}
    lengths = [len(r.statuses) for r in rows]
    return Population.from_arrays(
        member_ids=[m[0] for _, m in members],
        household_ids=[r.household_id for r in rows],
        member_household=[i for i, _ in members],
        birth_year=[m[5].year for _, m in members],
        birth_mmdd=[m[5].month * 100 + m[5].day for _, m in members],
        sex=[sex[m[4]] for _, m in members],
        relation=[relation[m[7]] for _, m in members],
        health=[health[m[8]] for _, m in members],
        disability_grade=[m[10] or 0 for _, m in members],
        school_level=[school[m[11] if m[11] is not None else NO_SCHOOLING] for _, m in members],
        year_of_entry=[m[12] if m[11] is not None else 0 for _, m in members],
        employment=[employment[m[14]] for _, m in members],
        household_size=np.asarray(sizes, dtype=np.int32)[[i for i, _ in members]]
        if members
        else [],
        history_since=[s[3].toordinal() for s in history],
        history_status=[status_code[s[2]] for s in history],
        history_start=np.cumsum([0, *lengths[:-1]]),
        status_codes=tuple(statuses),
        region_codes=regions,
        household_region=[region_code[r.household[1]] for r in rows],
    )


def served(
    program: AidProgram, households: Sequence[Household] | Sequence[HouseholdRows]
) -> tuple[Scope, int]:
    """The households ``program`` serves (:attr:`AidProgram.regions`) as a :class:`Scope`,
    and how many were left out."""
    if households and isinstance(households[0], HouseholdRows):
        rows = [r for r in households if isinstance(r, HouseholdRows)]
        prefixes = tuple(program.regions)
        kept = [r for r in rows if not prefixes or str(r.household[1]).startswith(prefixes)]
        return Scope.of_rows(kept), len(rows) - len(kept)
    objects = [h for h in households if isinstance(h, Household)]
    kept_objects = [h for h in objects if program.covers(h)]
    return Scope.of_households(kept_objects), len(objects) - len(kept_objects)
