"""Properties of household grants, caps and region scope, on paper and in storage.

For any households of Tongchuan (6102) and Weinan (6105) and any amounts and caps,
allocated in any order, with grants revoked between runs:

- a household programme never holds two grants in force for a household in a period;
- no household holds more than the cap across the programmes it covers;
- a programme grants (and decides) nobody outside its regions.

The planner is checked alone over many examples, and through the memory and SQLite
storage over fewer (each example is a new store).
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin import Parameters
from jieqin.model import Fund, Grant, Helper, Household, Pairing, RegionCode, RegionLevel, Year
from jieqin.rules import AidProgram, Context
from jieqin.services.aid import plan_allocation
from jieqin.testing.strategies import households, members, one_number_each, region_codes

sys.path.insert(0, str(Path(__file__).parent))
import weinan_plugin
from weinan_plugin import ALLOWANCE, HEATING

YEAR = Year(2021)
DAY = date(2021, 9, 1)
SCHOLARSHIP = "tc_freshman_scholarship"
CITIES = ("610200", "610500")


def _yuan(amount: int) -> dict[str, object]:
    return {"unit": "yuan", "values": [{"since": "2021-01-01", "value": str(amount)}]}


@st.composite
def worlds(draw: st.DrawFn, *, max_households: int = 8) -> list[Household]:
    """Households of both cities, some with several elderly members."""
    region = st.sampled_from(CITIES).flatmap(
        lambda city: region_codes(within=city, min_level=RegionLevel.TOWNSHIP, max_townships=3)
    )
    people = members(min_birth_date=date(1930, 1, 1), max_birth_date=date(2005, 12, 31))
    homes = draw(
        st.lists(
            households(region=region, member_strategy=people, max_members=4, max_history=1),
            min_size=1,
            max_size=max_households,
            unique_by=lambda h: h.household_id,
        )
    )
    return one_number_each(homes)


@st.composite
def weinan_programmes(draw: st.DrawFn) -> dict[str, AidProgram]:
    """Weinan's two programmes with drawn amounts and a drawn household cap."""
    parameters = weinan_plugin.PARAMETERS | Parameters.from_mapping(
        {
            "wn_heating_amount": _yuan(draw(st.integers(0, 1500))),
            "wn_allowance_amount": _yuan(draw(st.integers(0, 900))),
            "wn_household_cap_amount": _yuan(draw(st.integers(0, 2500))),
        }
    )
    return {p.program_id: p for p in weinan_plugin.programs(parameters)}


#: One step: allocate a programme from a fund of this budget, then revoke these grants.
steps = st.lists(
    st.tuples(
        st.sampled_from([HEATING, ALLOWANCE]),
        st.integers(0, 6000),
        st.lists(st.integers(0, 20), max_size=2),
    ),
    min_size=1,
    max_size=5,
)


def _cap(programs: dict[str, AidProgram]) -> Decimal:
    return programs[HEATING].cap_values(DAY)[weinan_plugin.CAP]


def _check(grants: list[Grant], homes: list[Household], cap: Decimal) -> None:
    """The three properties, over the grants in force."""
    region = {h.household_id: h.region.code for h in homes}
    in_force = [g for g in grants if g.in_force]
    heating = Counter((g.household_id, str(g.period)) for g in in_force if g.program_id == HEATING)
    assert all(n == 1 for n in heating.values()), heating
    assert all(g.member_id is None for g in in_force if g.program_id == HEATING)
    held: Counter[str] = Counter()
    for g in in_force:
        if g.program_id in (HEATING, ALLOWANCE):
            held[g.household_id] += g.amount  # type: ignore[assignment]
    assert all(total <= cap for total in held.values()), (held, cap)
    for g in in_force:
        city = "6105" if g.program_id.startswith("wn_") else "6102"
        assert region[g.household_id].startswith(city), (g, region[g.household_id])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(), weinan_programmes(), steps)
def test_the_planner_keeps_units_caps_and_scope(homes, programs, plan_steps) -> None:
    stored: list[Grant] = []
    context = Context(YEAR, on=DAY)
    for n, (program_id, budget, revoke) in enumerate(plan_steps):
        program = programs[program_id]
        fund = Fund(f"f{n}", program_id, YEAR, Decimal(budget))
        mine = [g for g in stored if g.program_id == program_id]
        plan = plan_allocation(program, fund, homes, context, existing=mine, counted=stored)
        served = {h.household_id for h in homes if h.region.code.startswith("6105")}
        assert {d.household_id for d in plan.decisions} <= served
        assert plan.out_of_scope == len(homes) - len(served)
        if program.grant_unit is jieqin.GrantUnit.HOUSEHOLD:
            per_household = Counter(d.household_id for d in plan.decisions)
            assert all(k == 1 for k in per_household.values())
        assert plan.granted_total <= fund.budget
        stored.extend(plan.grants)
        for k in revoke:
            in_force = [i for i, g in enumerate(stored) if g.in_force]
            if in_force:
                i = in_force[k % len(in_force)]
                stored[i] = attrs.evolve(stored[i], revoked_on=DAY, revoke_reason="撤销")
        _check(stored, homes, _cap(programs))


class _Programmes:
    """Registers one drawn pair of Weinan programmes (a plugin object)."""

    def __init__(self, programs: dict[str, AidProgram]) -> None:
        self.programs = programs

    @jieqin.hookimpl
    def jieqin_register_programs(self, register) -> None:  # type: ignore[no-untyped-def]
        for program in self.programs.values():
            register(program)


def _allocate_in_storage(
    url: str, homes: list[Household], programs: dict[str, AidProgram], plan_steps: list
) -> None:
    with jieqin.connect(url, plugins=[_Programmes(programs)]) as campaign:
        with campaign.unit_of_work("setup") as uow:
            uow.households.add_many(homes)
            uow.helpers.add(
                Helper("p1", "李医生", "city_member", RegionCode("610202"), capacity=99)
            )
            uow.pairings.add_many([Pairing("p1", h.household_id, date(2021, 1, 1)) for h in homes])
            uow.funds.add(Fund("f-tc", SCHOLARSHIP, YEAR, Decimal(100000)))
            uow.commit()
        campaign.allocate(SCHOLARSHIP, YEAR, on=DAY)
        for n, (program_id, budget, revoke) in enumerate(plan_steps):
            fund_id = f"f{n}-{program_id}"
            with campaign.unit_of_work("clerk") as uow:
                for fund in uow.funds.list(program_id=program_id):
                    if not fund.closed:
                        uow.funds.close(fund.fund_id, DAY, reason="换新资金")
                uow.funds.add(Fund(fund_id, program_id, YEAR, Decimal(budget)))
                uow.commit()
            campaign.allocate(program_id, YEAR, on=DAY)
            for k in revoke:
                with campaign.unit_of_work("check", read_only=True) as uow:
                    in_force = sorted(
                        (g for g in uow.grants.list() if g.in_force), key=lambda g: g.grant_id
                    )
                if in_force:
                    grant = in_force[k % len(in_force)]
                    campaign.revoke_grant(grant.grant_id, reason="撤销", on=DAY)
        with campaign.unit_of_work("check", read_only=True) as uow:
            grants = uow.grants.list()
            decided = uow.decisions.list()
    _check(grants, homes, _cap(programs))
    region = {h.household_id: h.region.code for h in homes}
    for d in decided:
        city = "6105" if d.program_id.startswith("wn_") else "6102"
        assert region[d.household_id].startswith(city), d


_STORAGE = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_STORAGE
@given(worlds(max_households=6), weinan_programmes(), steps)
def test_memory_storage_keeps_units_caps_and_scope(homes, programs, plan_steps) -> None:
    _allocate_in_storage("memory://", homes, programs, plan_steps)


@_STORAGE
@given(worlds(max_households=6), weinan_programmes(), steps)
def test_sqlite_storage_keeps_units_caps_and_scope(homes, programs, plan_steps) -> None:
    _allocate_in_storage("sqlite://", homes, programs, plan_steps)
