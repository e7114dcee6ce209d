"""Allocation of a programme's fund, end to end through a campaign and its storage."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

import jieqin
from jieqin.clock import FixedClock
from jieqin.errors import AllocationError, NotFound
from jieqin.model import (
    EmploymentStatus,
    Fund,
    Health,
    HealthCondition,
    Helper,
    Household,
    Member,
    Outcome,
    Pairing,
    RegionCode,
    Relation,
    Schooling,
    SchoolLevel,
    Sex,
    StatusChange,
    Year,
)
from jieqin.model.identity import birthplace_codes, check_digit
from jieqin.services.aid import names_fund, wait_list_reason

SCHOLARSHIP = "tc_freshman_scholarship"
ILLNESS = "tc_major_illness_grant"
YEAR = Year(2021)


def resident_id(born: date, serial: int) -> str:
    place = birthplace_codes(born.year, within="6102")[0]
    first = f"{place}{born:%Y%m%d}{serial % 1000:03d}"
    return first + check_digit(first)


def member(mid: str, born: date, *, relation=Relation.HEAD, **facts) -> Member:
    serial = sum(map(ord, mid))
    return Member(
        mid,
        "王" + "一二三四五六七八九十"[serial % 10],
        Sex.MALE if serial % 2 else Sex.FEMALE,
        born,
        resident_id(born, serial),
        relation,
        **facts,
    )


def household(hid: str, *people: Member, status="lifted_out") -> Household:
    return Household(
        hid, RegionCode("610202001001"), people, [StatusChange(status, date(2019, 1, 1))]
    )


def cohort() -> tuple[list[Household], list[str]]:
    """Households h1..: freshmen, a second-year student, major and chronic illness, one unpaired."""
    homes = [
        household(
            "h1",
            member("h1-1", date(1970, 3, 1)),
            member(
                "h1-2",
                date(2003, 5, 1),
                relation=Relation.CHILD,
                schooling=Schooling(SchoolLevel.COLLEGE, 2021),
            ),
        ),
        household(
            "h2",
            member("h2-1", date(1968, 3, 1)),
            member(
                "h2-2",
                date(2002, 5, 1),
                relation=Relation.CHILD,
                schooling=Schooling(SchoolLevel.COLLEGE, 2020),
            ),
        ),
        household(
            "h3",
            member(
                "h3-1", date(1960, 3, 1), health=Health(HealthCondition.MAJOR_ILLNESS, "尿毒症")
            ),
        ),
        household(
            "h4",
            member(
                "h4-1", date(1961, 3, 1), health=Health(HealthCondition.CHRONIC_ILLNESS, "高血压")
            ),
        ),
        household(
            "h5",
            member("h5-1", date(1962, 3, 1), health=Health(HealthCondition.MAJOR_ILLNESS)),
            member(
                "h5-2",
                date(2003, 1, 1),
                relation=Relation.CHILD,
                schooling=Schooling(SchoolLevel.COLLEGE, 2021),
            ),
        ),
        household(
            "h6",
            member("h6-1", date(1963, 3, 1), employment=EmploymentStatus.UNEMPLOYED_SEEKING),
            member(
                "h6-2",
                date(2003, 2, 1),
                relation=Relation.CHILD,
                schooling=Schooling(SchoolLevel.COLLEGE, 2021),
            ),
            status="unstable",
        ),
    ]
    paired = ["h1", "h2", "h3", "h4", "h6"]  # h5 is not paired
    return homes, paired


def setup(campaign: jieqin.Campaign, *, budget: str = "100000") -> None:
    homes, paired = cohort()
    with campaign.unit_of_work("test") as uow:
        uow.households.add_many(homes)
        uow.helpers.add(
            Helper("p1", "李医生", "city_member", RegionCode("610202"), {"medical"}, capacity=9)
        )
        uow.pairings.add_many([Pairing("p1", h, date(2021, 1, 1)) for h in paired])
        for program in campaign.aid_programs().values():
            uow.programs.add(program.program)
            uow.funds.add(
                Fund(f"f-{program.program_id}", program.program_id, YEAR, Decimal(budget))
            )
        uow.commit()


@pytest.fixture
def memory_campaign():
    with jieqin.connect("memory://") as campaign:
        yield campaign


def test_scholarship_goes_to_freshmen_of_paired_households(campaign):
    setup(campaign)
    plan = campaign.allocate(SCHOLARSHIP, YEAR, on=date(2021, 9, 1))
    granted = sorted(d.member_id for d in plan.decisions if d.outcome is Outcome.GRANTED)
    assert granted == ["h1-2", "h6-2"]  # h2-2 is in second year, h5-2's household is unpaired
    assert plan.granted_total == Decimal("10000.00")
    assert {g.amount for g in plan.grants} == {Decimal("5000.00")}
    # the monitored (unstable) household comes first in the documented priority
    assert [d.member_id for d in sorted(plan.decisions, key=lambda d: d.priority or 99)][:2] == [
        "h6-2",
        "h1-2",
    ]
    with campaign.unit_of_work("test") as uow:
        stored = uow.decisions.list(program_id=SCHOLARSHIP)
        assert len(uow.grants.list(program_id=SCHOLARSHIP)) == 2
        assert uow.funds.spent(f"f-{SCHOLARSHIP}") == Decimal("10000.00")
    second_year = next(d for d in stored if d.member_id == "h2-2")
    assert second_year.outcome is Outcome.INELIGIBLE
    assert "college_freshman" in second_year.reason
    assert second_year.rule_version == campaign.aid_program(SCHOLARSHIP).rule_version
    assert second_year.parameters["freshman_scholarship_amount"].startswith(
        "5000.00 (since 2021-01-01"
    )
    assert second_year.inputs["year_of_entry"] == "2020"


def test_major_illness_grant_rejects_chronic_illness_and_masks_health(memory_campaign):
    setup(memory_campaign)
    plan = memory_campaign.allocate(ILLNESS, YEAR)
    granted = [d for d in plan.decisions if d.outcome is Outcome.GRANTED]
    assert [d.member_id for d in granted] == ["h3-1"]  # h4-1 chronic; h5-1 unpaired
    assert granted[0].inputs["health"] == "<masked>"
    assert "3" not in granted[0].inputs["resident_id"][6:14]
    chronic = next(d for d in plan.decisions if d.member_id == "h4-1")
    assert chronic.outcome is Outcome.INELIGIBLE


def test_budget_is_never_overspent_and_the_rest_are_wait_listed(memory_campaign):
    setup(memory_campaign, budget="5000")
    plan = memory_campaign.allocate(SCHOLARSHIP, YEAR)
    assert plan.granted_total == Decimal("5000.00")
    waiting = [d for d in plan.decisions if d.outcome is Outcome.WAIT_LISTED]
    assert [d.member_id for d in waiting] == ["h1-2"]
    assert waiting[0].reason.startswith(
        f"fund f-{SCHOLARSHIP} had 0.00 yuan left when rank 2 was reached and 5000.00 were "
        "needed; strict priority order: nobody ranked lower is granted before rank 2"
    )
    assert names_fund(waiting[0].reason, f"f-{SCHOLARSHIP}")
    assert plan.remaining == Decimal("0.00")


def test_the_wait_list_reason_says_which_order_applied():
    reason = wait_list_reason(
        "F", Decimal("2500"), 182, Decimal("2000.00"), order="monitored first; then member id"
    )
    assert reason == (
        "fund F had 2500.00 yuan left when rank 182 was reached and 2000.00 were needed; "
        "strict priority order: nobody ranked lower is granted before rank 182 "
        "(order: monitored first; then member id)"
    )
    assert names_fund(reason, "F")
    assert not names_fund(reason, "F-2")
    # the reasons stored before the order was said still name their fund
    assert names_fund("fund F had 0.00 yuan left when rank 3 was reached; 5000.00 needed", "F")


def test_dry_run_writes_nothing_and_a_rerun_grants_nothing_new(memory_campaign):
    setup(memory_campaign)
    dry = memory_campaign.allocate(SCHOLARSHIP, YEAR, dry_run=True)
    assert dry.dry_run
    assert dry.count(Outcome.GRANTED) == 2
    with memory_campaign.unit_of_work("test") as uow:
        assert uow.grants.count() == 0
        assert uow.decisions.count() == 0
    first = memory_campaign.allocate(SCHOLARSHIP, YEAR)
    again = memory_campaign.allocate(SCHOLARSHIP, YEAR)
    assert len(first.grants) == 2
    assert again.grants == ()
    assert sorted(again.already_granted) == ["h1-2", "h6-2"]
    with memory_campaign.unit_of_work("test") as uow:
        assert uow.grants.count() == 2


def test_explain_a_member_a_year_later(memory_campaign):
    setup(memory_campaign)
    memory_campaign.allocate(SCHOLARSHIP, YEAR)
    explained, stored = memory_campaign.explain(SCHOLARSHIP, "h2-2", YEAR)
    assert not explained.eligible
    assert stored is not None
    assert stored.outcome is Outcome.INELIGIBLE
    with pytest.raises(NotFound):
        memory_campaign.explain(SCHOLARSHIP, "nobody", YEAR)
    with pytest.raises(NotFound, match="known"):
        memory_campaign.allocate("no_such_programme", YEAR)


def _late_freshman(campaign: jieqin.Campaign) -> None:
    """h7-2, a freshman whose household is paired from 2021-06-01 only."""
    home = household(
        "h7",
        member("h7-1", date(1971, 3, 1)),
        member(
            "h7-2",
            date(2003, 4, 1),
            relation=Relation.CHILD,
            schooling=Schooling(SchoolLevel.COLLEGE, 2021),
        ),
    )
    with campaign.unit_of_work("test") as uow:
        uow.households.add(home)
        uow.pairings.add(Pairing("p1", "h7", date(2021, 6, 1)))
        uow.commit()


def test_explain_applies_the_rules_on_the_stored_decisions_day(memory_campaign):
    setup(memory_campaign)
    _late_freshman(memory_campaign)
    memory_campaign.allocate(SCHOLARSHIP, YEAR, on=date(2021, 9, 15))
    explained, stored = memory_campaign.explain(SCHOLARSHIP, "h7-2", YEAR)
    assert stored is not None
    assert stored.outcome is Outcome.GRANTED
    # the explanation agrees with the decision beside it: same day, same rules
    assert explained.eligible
    assert (explained.on, explained.on_why) == (
        date(2021, 9, 15),
        "the day of the latest stored decision",
    )
    asked, _ = memory_campaign.explain(SCHOLARSHIP, "h7-2", YEAR, on=date(2021, 3, 1))
    assert (asked.eligible, asked.on, asked.on_why) == (
        False,
        date(2021, 3, 1),
        "the day asked for",
    )
    assert asked.reason() == "failed: household_paired (paired no != yes)"


@pytest.mark.parametrize(
    ("today", "period", "day", "why"),
    [
        (date(2021, 6, 15), YEAR, date(2021, 6, 15), "no stored decision, so today"),
        (
            date(2022, 3, 1),
            YEAR,
            date(2021, 12, 31),
            "no stored decision; today (2022-03-01) is after 2021, so its last day",
        ),
        (
            date(2021, 6, 15),
            Year(2022),
            date(2022, 1, 1),
            "no stored decision; today (2021-06-15) is before 2022, so its first day",
        ),
    ],
)
def test_without_a_stored_decision_explain_applies_the_rules_today(today, period, day, why):
    with jieqin.connect("memory://", clock=FixedClock(today)) as campaign:
        setup(campaign)
        _late_freshman(campaign)
        explained, stored = campaign.explain(SCHOLARSHIP, "h7-2", period)
    assert stored is None
    assert (explained.on, explained.on_why) == (day, why)
    assert explained.eligible is (day >= date(2021, 6, 1) and period == YEAR)


def test_a_fund_for_another_period_is_refused(memory_campaign):
    setup(memory_campaign)
    with pytest.raises(AllocationError, match="no fund"):
        memory_campaign.allocate(SCHOLARSHIP, Year(2022))


class Recorder:
    """A plugin that records the aid notifications it gets."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[tuple[int, int]] = []
        self.resolved: list[str] = []

    @jieqin.hookimpl
    def jieqin_grants_decided(self, decisions, grants):
        if self.fail:
            raise RuntimeError("the municipal system is down")
        self.calls.append((len(decisions), len(grants)))

    @jieqin.hookimpl
    def jieqin_need_resolved(self, need):
        self.resolved.append(need.need_id)


def test_plugins_hear_of_grants_and_resolved_needs():
    recorder = Recorder()
    with jieqin.connect("memory://", plugins=[recorder]) as campaign:
        setup(campaign)
        campaign.derive_needs(YEAR)
        campaign.route_needs(YEAR)
        plan = campaign.allocate(SCHOLARSHIP, YEAR)
    assert recorder.calls == [(len(plan.decisions), 2)]
    assert sorted(recorder.resolved) == sorted(g.need_id for g in plan.grants)


def test_a_failing_plugin_rolls_the_whole_allocation_back(campaign_url):
    from jieqin.errors import PluginError

    with jieqin.connect(campaign_url, plugins=[Recorder(fail=True)]) as campaign:
        setup(campaign)
        with pytest.raises(PluginError, match="municipal system is down"):
            campaign.allocate(SCHOLARSHIP, YEAR)
        with campaign.unit_of_work("test") as uow:
            assert uow.grants.count() == 0
            assert uow.decisions.count() == 0


def test_a_rule_can_ask_about_grants_of_another_programme(memory_campaign):
    """A top-up only for those who did not get the scholarship: earlier grants are context."""
    from jieqin.rules import AidProgram, all_of, college_freshman, not_granted_before
    from jieqin.services.aid import allocate

    setup(memory_campaign, budget="5000")
    memory_campaign.allocate(SCHOLARSHIP, YEAR)  # one freshman gets it, one is wait-listed
    top_up = AidProgram(
        jieqin.Program("top_up", "补助", "市慈善协会", "cash_grant", amount=Decimal(800)),
        all_of("top_up", college_freshman(), not_granted_before(SCHOLARSHIP)),
    )
    # A programme no plugin registered: written through the storage alone.
    with memory_campaign.storage.unit_of_work("test") as uow:
        uow.funds.add(Fund("f-top", "top_up", YEAR, Decimal(10_000)))
        uow.commit()
    with memory_campaign.storage.unit_of_work("test") as uow:
        plan = allocate(uow, top_up, YEAR, fund_id="f-top")
    with memory_campaign.unit_of_work("test") as uow:
        had = {g.member_id for g in uow.grants.list(program_id=SCHOLARSHIP)}
    got = {g.member_id for g in plan.grants}
    assert len(had) == 1
    assert got == {"h1-2", "h6-2", "h5-2"} - had
