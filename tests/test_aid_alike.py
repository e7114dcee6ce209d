"""Explaining alike members once: an allocation explains one member per group of
members who read the same facts, and must record exactly what explaining every
member by itself records."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jieqin.errors import AllocationError
from jieqin.model import Fund, GrantUnit, Household, Program, Year
from jieqin.rules import (
    AidProgram,
    Context,
    Parameters,
    Population,
    age_between,
    all_of,
    any_of,
    check,
    fact,
    household_paired,
    param,
)
from jieqin.rules.programs import AidProgram as AidProgramClass
from jieqin.services.aid import plan_allocation
from jieqin.services.allocation_scope import population_of_rows
from jieqin.storage.rows import rows_of
from jieqin.testing import strategies
from jieqin.testing.contract import make_household

YEAR = Year(2021)
PARAMETERS = Parameters.from_mapping(
    {
        "min_age": {"values": [{"since": "2015-01-01", "value": 16, "source": "test"}]},
        "max_age": {"values": [{"since": "2015-01-01", "value": 65, "source": "test"}]},
        "max_size": {"values": [{"since": "2015-01-01", "value": 4}]},
    }
)
RULE = all_of(
    "eligible",
    age_between("min_age", "max_age"),
    any_of(
        "in_need",
        check("ill", fact("health") == "major_illness"),
        check("disabled", fact("disability_grade") > 0),
        household_paired(),
    ),
    check("small", fact("household_size") <= param("max_size")),
)


def _program(unit: GrantUnit) -> AidProgram:
    return AidProgram(
        Program("alike", "同", "同", "cash_grant", amount=Decimal(100), grant_unit=unit),
        RULE,
        parameters=PARAMETERS,
    )


def _plan(program: AidProgram, households: list[Any], paired: set[str]):  # type: ignore[no-untyped-def]
    fund = Fund("f-alike", "alike", YEAR, Decimal(300))
    context = Context(YEAR, date(2021, 9, 1), paired_households=frozenset(paired))
    return plan_allocation(program, fund, households, context)


def _one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every member in a group of their own: explained by itself."""
    monkeypatch.setattr(
        AidProgramClass, "alike", lambda self, population, context: np.arange(len(population))
    )


#: Drawn households, and sample ones whose members are alike across households.
_HOUSEHOLDS = st.lists(
    strategies.households(), max_size=6, unique_by=lambda h: h.household_id
).flatmap(
    lambda drawn: st.lists(st.integers(1, 3), min_size=1, max_size=6).map(
        lambda sizes: [
            *drawn,
            *(make_household(f"hh{i:03d}", members=size) for i, size in enumerate(sizes)),
        ]
    )
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    households=_HOUSEHOLDS,
    unit=st.sampled_from(list(GrantUnit)),
    data=st.data(),
)
def test_alike_members_are_recorded_as_if_each_was_explained(
    households: list[Household], unit: GrantUnit, data: st.DataObject
) -> None:
    paired = data.draw(st.sets(st.sampled_from([h.household_id for h in households])))
    program = _program(unit)
    grouped = _plan(program, households, paired)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _one_by_one(monkeypatch)
        alone = _plan(program, households, paired)
    assert grouped.decisions == alone.decisions
    assert grouped.grants == alone.grants
    assert grouped.entitlements == alone.entitlements


def test_a_wrong_grouping_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Members put in one group though they read different facts: the second member of
    the group is explained in full, differs, and the allocation stops."""
    households = [make_household("hh001"), make_household("hh002")]
    monkeypatch.setattr(
        AidProgramClass,
        "alike",
        lambda self, population, context: np.zeros(len(population), dtype=np.int64),
    )
    with pytest.raises(AllocationError, match=r"unlike|disagrees with itself"):
        _plan(_program(GrantUnit.MEMBER), households, {"hh001"})


def _with_a_former_member() -> Household:
    """A household whose second member left it (a former member is not decided)."""
    household = make_household("hh900", members=3)
    head, gone, child = household.members
    return attrs.evolve(
        household,
        members=(head, child),
        former_members=(attrs.evolve(gone, departed_on=date(2021, 3, 1)),),
    )


_COLUMNS = (
    "member_household", "birth_year", "birth_mmdd", "sex", "relation", "health",
    "disability_grade", "school_level", "year_of_entry", "employment", "household_size",
    "history_since", "history_status", "history_start", "household_region",
)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(households=_HOUSEHOLDS, unit=st.sampled_from(list(GrantUnit)), data=st.data())
def test_rows_decide_as_the_households_they_store(
    households: list[Household], unit: GrantUnit, data: st.DataObject
) -> None:
    """The population built from the rows storage reads is the households' own, and so
    is the plan: the SQL backend's allocation decides from rows."""
    households = [*households, _with_a_former_member()]
    paired = data.draw(st.sets(st.sampled_from([h.household_id for h in households])))
    rows = [rows_of(h) for h in households]
    built, expected = population_of_rows(rows), Population.from_households(households)
    for name in ("member_ids", "household_ids", "status_codes", "region_codes"):
        assert getattr(built, name) == getattr(expected, name), name
    for name in _COLUMNS:
        assert getattr(built, name).tolist() == getattr(expected, name).tolist(), name
    program = _program(unit)
    from_rows = _plan(program, rows, paired)
    from_objects = _plan(program, households, paired)
    assert from_rows.decisions == from_objects.decisions
    assert from_rows.grants == from_objects.grants
    assert from_rows.summary() == from_objects.summary()
