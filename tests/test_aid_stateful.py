"""Stateful: however allocations, budget top-ups, revocations and re-runs interleave, a
fund is never overspent, its budget is what it was added with plus its top-ups, and
nobody holds two grants in force of one programme period."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import jieqin
from jieqin.model import (
    Fund,
    HealthCondition,
    Helper,
    Outcome,
    Pairing,
    Program,
    RegionCode,
    Year,
)
from jieqin.rules import (
    AidProgram,
    AmountTier,
    Parameters,
    all_of,
    check,
    fact,
    household_paired,
    major_illness,
)
from jieqin.testing.strategies import healths, households, members, one_number_each

PROGRAM = AidProgram(
    Program("sick", "大病救助", "省慈善协会", "cash_grant"),
    all_of("eligible", major_illness(), household_paired()),
    parameters=Parameters.from_mapping(
        {
            "amount": {"unit": "yuan", "values": [{"since": "2020-01-01", "value": "3000"}]},
            "disabled": {"unit": "yuan", "values": [{"since": "2020-01-01", "value": "4500.50"}]},
        }
    ),
    amount_parameter="amount",
    # amounts differ by member, so the budget check cannot rely on a fixed price
    amount_tiers=[AmountTier(check("disabled", fact("disability_grade") > 0), "disabled")],
)
YEARS = [Year(2021), Year(2022)]
#: Most members ill, a third of them with a chronic (not a major) illness.
SICK_OFTEN = healths(
    conditions=[
        HealthCondition.MAJOR_ILLNESS,
        HealthCondition.MAJOR_ILLNESS,
        HealthCondition.CHRONIC_ILLNESS,
        HealthCondition.HEALTHY,
    ]
)


class SickPlugin:
    """Registers :data:`PROGRAM` (the write path stores registered programmes only)."""

    @staticmethod
    @jieqin.hookimpl
    def jieqin_register_programs(register: object) -> None:
        register(PROGRAM)  # type: ignore[operator]


class Allocations(RuleBasedStateMachine):
    @initialize(
        homes=st.lists(
            households(max_members=3, member_strategy=members(health=SICK_OFTEN)),
            min_size=2,
            max_size=5,
            unique_by=lambda h: h.household_id,
        ),
        budgets=st.lists(st.sampled_from([0, 2999, 3000, 7500, 20_000]), min_size=2, max_size=2),
    )
    def setup(self, homes, budgets):
        self.campaign = jieqin.connect("memory://", plugins=[SickPlugin()])
        self.homes = homes = one_number_each(homes)
        with self.campaign.unit_of_work("t") as uow:
            uow.helpers.add(Helper("p1", "王", "city_member", RegionCode("110101"), capacity=9))
            uow.households.add_many(homes)
            uow.pairings.add_many(
                [Pairing("p1", h.household_id, date(2020, 1, 1)) for h in homes[::2]]
            )
            uow.programs.add(PROGRAM.program)
            for year, budget in zip(YEARS, budgets, strict=True):
                uow.funds.add(Fund(f"f{year}", "sick", year, Decimal(budget)))
            uow.commit()
        self.initial = {
            f"f{year}": Decimal(budget) for year, budget in zip(YEARS, budgets, strict=True)
        }

    def teardown(self):
        if hasattr(self, "campaign"):
            self.campaign.close()

    @rule(year=st.sampled_from(YEARS), budget=st.sampled_from([1, 1500, 3000, 4500, 9000]))
    def top_up(self, year, budget):
        self.campaign.top_up_fund(f"f{year}", budget, reason="追加", on=date(2021, 6, 1))

    @rule(year=st.sampled_from(YEARS), pick=st.integers(0, 20))
    def revoke(self, year, pick):
        standing = [g for g in self.campaign.grants(period=year) if g.in_force]
        if standing:
            grant = standing[pick % len(standing)]
            self.campaign.revoke_grant(grant.grant_id, "复核不符", date(2023, 1, 1))

    @rule(year=st.sampled_from(YEARS), dry_run=st.booleans())
    def allocate(self, year, dry_run):
        from jieqin.services.aid import allocate

        with self.campaign.unit_of_work("t") as uow:
            before = uow.grants.count()
            plan = allocate(uow, PROGRAM, year, dry_run=dry_run)
        with self.campaign.unit_of_work("t") as uow:
            after = uow.grants.count()
        assert after == before + (0 if dry_run else plan.count(Outcome.GRANTED))
        assert plan.remaining >= 0

    @invariant()
    def never_overspent_never_twice(self):
        if not hasattr(self, "campaign"):
            return
        with self.campaign.unit_of_work("t") as uow:
            grants = uow.grants.list()
            for year in YEARS:
                fund = uow.funds.get(f"f{year}")
                paid = sum(
                    (g.amount for g in grants if g.fund_id == fund.fund_id and g.in_force),
                    Decimal(0),
                )
                assert uow.funds.spent(fund.fund_id) == paid <= fund.budget
                ups = [c.amount for c in uow.funds.changes(fund_id=fund.fund_id)]
                assert fund.budget == self.initial[fund.fund_id] + sum(ups, Decimal(0))
            in_force = [g for g in grants if g.in_force]
            slots = Counter((g.program_id, str(g.period), g.member_id) for g in in_force)
            assert all(n == 1 for n in slots.values())


Allocations.TestCase.settings = settings(max_examples=15, stateful_step_count=12, deadline=None)
TestAllocations = Allocations.TestCase
