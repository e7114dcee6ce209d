"""Approval and public notice of allocations, on every backend: a plan reserves its fund's
money and grants nobody; someone else, in a role that decides, approves it; objections
during the notice hold a person's grant; the plan commits only after the notice, through
the allocation's own write path; a withdrawal frees the money."""

from __future__ import annotations

import sys
import threading
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

import jieqin
from jieqin import AidProgram, all_of, college_freshman, hookimpl, household_paired, major_illness
from jieqin.clock import FixedClock
from jieqin.errors import AllocationError, NotFound, PlanRefused
from jieqin.model import (
    Fund,
    Helper,
    ItemStatus,
    Need,
    NeedStatus,
    Outcome,
    Pairing,
    PlanStatus,
    Program,
    ProgramKind,
    RegionCode,
    Route,
    RouteKind,
    Year,
)
from jieqin.privacy import find_sensitive
from jieqin.reports.notice import render_notice
from jieqin.security import STANDARD_ROLES, NotPermitted, Principal
from jieqin.services.aid import decision_id, grant_id

sys.path.insert(0, str(Path(__file__).parent))
from test_aid import cohort

SCHOOL = "school_aid"
ILLNESS = "illness_aid"
PLAIN = "plain_aid"
YEAR = Year(2021)
MADE = date(2021, 9, 1)
"""The day plans are made (and, in most tests, approved: the notice runs 09-01 to 09-07)."""
AFTER = date(2021, 9, 8)
"""The first day after a seven-day notice from :data:`MADE`."""
VILLAGE_NAME = "=HYPERLINK(红星村)"
"""The registered name of the cohort's village: formula-shaped, as a CSV must never run."""


def _program(program_id: str, name: str, rule: Any, *, approval: bool) -> AidProgram:
    kind = ProgramKind.SCHOLARSHIP if program_id != ILLNESS else ProgramKind.CASH_GRANT
    program = Program(program_id, name, "市慈善协会", kind, Decimal(5000))
    return AidProgram(program, rule, approval=approval, notice_days=7)


class ApprovalWorld:
    """Two programmes that need approval (one reads a health fact) and one that does not;
    it hears every ``jieqin_grants_decided``."""

    __test__ = False

    def __init__(self) -> None:
        self.granted: list[str] = []

    @hookimpl
    def jieqin_register_programs(self, register: Any) -> None:
        school = all_of("school", college_freshman(), household_paired())
        register(_program(SCHOOL, "新生助学金", school, approval=True))
        ill = all_of("ill", major_illness(), household_paired())
        register(_program(ILLNESS, "大病救助金", ill, approval=True))
        plain = all_of("plain", college_freshman(), household_paired())
        register(_program(PLAIN, "助学金", plain, approval=False))

    @hookimpl
    def jieqin_register_region_names(self, register: Any) -> None:
        register("610202001001", VILLAGE_NAME)

    @hookimpl
    def jieqin_grants_decided(self, campaign: Any, decisions: Any, grants: Any) -> None:
        self.granted.extend(g.grant_id for g in grants)


@pytest.fixture
def world() -> ApprovalWorld:
    return ApprovalWorld()


@pytest.fixture
def url(campaign_url: str, world: ApprovalWorld) -> str:
    """A campaign (memory, SQLite, PostgreSQL) every connection of the test shares,
    holding the cohort of :mod:`test_aid` and a fund of 10,000 yuan per programme."""
    shared = (
        f"memory://approval-{uuid.uuid4().hex}" if campaign_url == "memory://" else campaign_url
    )
    homes, paired = cohort()
    head, *rest = homes[0].members
    homes[0] = attrs.evolve(homes[0], members=[attrs.evolve(head, phone="13912345678"), *rest])
    with at(shared, world, MADE) as campaign, campaign.unit_of_work("setup") as uow:
        uow.households.add_many(homes)
        uow.helpers.add(Helper("p1", "李医生", "city_member", RegionCode("610202"), capacity=9))
        uow.pairings.add_many([Pairing("p1", h, date(2021, 1, 1)) for h in paired])
        for program_id in (SCHOOL, ILLNESS, PLAIN):
            uow.programs.add(campaign.aid_program(program_id).program)
            uow.funds.add(Fund(f"f-{program_id}", program_id, YEAR, Decimal(10000)))
        uow.commit()
    return shared


def at(url: str, world: ApprovalWorld, day: date) -> jieqin.Campaign:
    """The campaign at ``url`` on ``day``."""
    return jieqin.connect(url, plugins=[world], clock=FixedClock(day))


def money(campaign: jieqin.Campaign, program_id: str) -> tuple[Decimal, Decimal]:
    """(spent, reserved) of the programme's fund."""
    with campaign.unit_of_work("reader", read_only=True) as uow:
        fund = f"f-{program_id}"
        return uow.funds.spent(fund), uow.funds.reserved(fund)


def planned(
    url: str, world: ApprovalWorld, program_id: str = SCHOOL, *, approve: bool = True
) -> str:
    """A plan of ``program_id`` made by clerk:li on :data:`MADE` (and approved by
    approver:sun that day, a seven-day notice)."""
    with at(url, world, MADE) as campaign:
        plan = campaign.plan_pending(program_id, YEAR, actor="clerk:li").plan
        if approve:
            campaign.approve_plan(plan.plan_id, actor="approver:sun")
    return plan.plan_id


# -- plans and reservations --------------------------------------------------------------


def test_a_programme_that_needs_approval_is_not_granted_by_a_plain_run(
    url: str, world: ApprovalWorld
) -> None:
    with at(url, world, MADE) as campaign:
        with pytest.raises(AllocationError, match=f"aid run {SCHOOL} --period 2021 --pending"):
            campaign.allocate(SCHOOL, YEAR)
        dry = campaign.allocate(SCHOOL, YEAR, dry_run=True)  # a dry run writes nothing anyway
        assert len(dry.grants) == 2
        assert campaign.grants(program_id=SCHOOL) == []


def test_a_pending_plan_reserves_its_money_and_grants_nobody(
    url: str, world: ApprovalWorld
) -> None:
    with at(url, world, MADE) as campaign:
        pending = campaign.plan_pending(SCHOOL, YEAR, actor="clerk:li")
        plan = pending.plan
        assert (plan.status, plan.made_by, plan.made_on) == (PlanStatus.PENDING, "clerk:li", MADE)
        assert plan.item_count == len(pending.allocation.decisions) == 10
        assert {g.member_id for g in pending.allocation.grants} == {"h1-2", "h6-2"}
        assert campaign.grants(program_id=SCHOOL) == []
        assert money(campaign, SCHOOL) == (Decimal("0.00"), Decimal("10000.00"))
        with campaign.unit_of_work("reader", read_only=True) as uow:
            assert uow.decisions.count(program_id=SCHOOL) == 0
            items = uow.plan_items.list(plan_id=plan.plan_id)
        assert sorted(str(i.status) for i in items) == ["noted"] * 8 + ["planned"] * 2
        assert campaign.plans(program_id=SCHOOL) == [plan]
        assert world.granted == []


def test_a_plan_s_reservation_is_counted_by_another_allocation(
    url: str, world: ApprovalWorld
) -> None:
    from jieqin.services.approval import plan_pending

    with at(url, world, MADE) as campaign:
        program = campaign.aid_program(PLAIN)
        with campaign.unit_of_work("clerk:li") as uow:
            uow.funds.update(attrs.evolve(uow.funds.get(f"f-{PLAIN}"), budget=Decimal(7000)))
            uow.commit()
        with campaign.unit_of_work("clerk:li") as uow:
            h1 = uow.households.get("h1")
            plan = plan_pending(uow, program, YEAR, households=[h1]).plan
        assert money(campaign, PLAIN) == (Decimal("0.00"), Decimal("5000.00"))
        # 2,000 yuan are free: h6-2 waits, and h1-2 (on the plan) is not decided again
        run = campaign.allocate(PLAIN, YEAR)
        assert run.grants == ()
        assert run.already_granted == ("h1-2",)
        assert [d.member_id for d in run.decisions if d.outcome is Outcome.WAIT_LISTED] == ["h6-2"]
        spent, reserved = money(campaign, PLAIN)
        assert spent + reserved <= Decimal(7000)
        campaign.withdraw_plan(plan.plan_id, reason="改为统一审批")
        again = campaign.allocate(PLAIN, YEAR)  # h6 (monitored) ranks first
        assert {g.member_id for g in again.grants} == {"h6-2"}
        assert money(campaign, PLAIN) == (Decimal("5000.00"), Decimal("0.00"))


def test_concurrent_plans_and_allocations_never_overspend(url: str, world: ApprovalWorld) -> None:
    with at(url, world, MADE) as campaign, campaign.unit_of_work("setup") as uow:
        uow.funds.update(attrs.evolve(uow.funds.get(f"f-{PLAIN}"), budget=Decimal(5000)))
        uow.commit()
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def run(pending: bool) -> None:
        with at(url, world, MADE) as campaign:
            start.wait()
            try:
                if pending:
                    campaign.plan_pending(PLAIN, YEAR, actor="clerk:li")
                else:
                    campaign.allocate(PLAIN, YEAR, actor="clerk:wang")
            except AllocationError as exc:  # the other took the money: nothing to approve
                failures.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in (True, False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with at(url, world, MADE) as campaign:
        spent, reserved = money(campaign, PLAIN)
        assert spent + reserved == Decimal(5000)
        held = {g.member_id for g in campaign.grants(program_id=PLAIN)}
        with campaign.unit_of_work("reader", read_only=True) as uow:
            items = [i for i in uow.plan_items.list() if i.reserves]
        on_plans = {i.member_id for i in items}
        assert not held & on_plans
        assert len(held | on_plans) == 1
    assert len(failures) <= 1


# -- maker-checker and approval ----------------------------------------------------------


def test_the_maker_and_a_role_that_does_not_decide_may_not_approve(
    url: str, world: ApprovalWorld
) -> None:
    plan_id = planned(url, world, approve=False)
    with at(url, world, MADE) as campaign:
        with pytest.raises(NotPermitted, match="maker-checker"):
            campaign.approve_plan(plan_id, actor="clerk:li")
        clerk = Principal("clerk:wang", STANDARD_ROLES["clerk"], regions=["*"])
        with pytest.raises(NotPermitted, match="decides"):
            campaign.acting_as(clerk).approve_plan(plan_id)
        approver = Principal("approver:sun", STANDARD_ROLES["approver"], regions=["*"])
        approved = campaign.acting_as(approver).approve_plan(plan_id, days=10)
        assert (approved.status, approved.approved_by) == (PlanStatus.APPROVED, "approver:sun")
        assert (approved.notice_from, approved.notice_until) == (MADE, date(2021, 9, 10))
        with pytest.raises(PlanRefused, match="was approved on 2021-09-01 by approver:sun"):
            campaign.approve_plan(plan_id, actor="admin:zhou")
        with campaign.unit_of_work("auditor", read_only=True) as uow:
            entries = uow.audit.entries(entity="plans", entity_id=plan_id)
        assert [(e.action, e.actor) for e in entries][-1] == ("update", "approver:sun")


def test_an_approver_scoped_to_part_of_the_plan_may_not_approve_it(
    url: str, world: ApprovalWorld
) -> None:
    plan_id = planned(url, world, approve=False)
    with at(url, world, MADE) as campaign:
        township = Principal("approver:qian", STANDARD_ROLES["approver"], regions=["610202002"])
        with pytest.raises(NotPermitted, match="within your scope"):
            campaign.acting_as(township).approve_plan(plan_id)


# -- commit ----------------------------------------------------------------------------------


def test_a_plan_commits_only_after_its_notice_through_the_allocation_path(
    url: str, world: ApprovalWorld
) -> None:
    with at(url, world, MADE) as campaign, campaign.unit_of_work("clerk:li") as uow:
        route = Route(RouteKind.PROGRAM, SCHOOL, "新生")
        uow.needs.add(
            Need("n-h1-2", "h1", "schooling", YEAR, "survey", date(2021, 8, 1), "h1-2", "学费",
                 status=NeedStatus.ROUTED, route=route)
        )  # fmt: skip
        uow.commit()
    plan_id = planned(url, world)
    last_day = at(url, world, date(2021, 9, 7))
    with (
        last_day as campaign,
        pytest.raises(PlanRefused, match=r"until 2021-09-07.*from 2021-09-08"),
    ):
        campaign.commit_plan(plan_id)
    with at(url, world, AFTER) as campaign:
        committed = campaign.commit_plan(plan_id, actor="clerk:wang")
        assert committed.plan.status is PlanStatus.COMMITTED
        assert committed.plan.committed_on == AFTER
        expected = sorted(grant_id(SCHOOL, YEAR, m) for m in ("h1-2", "h6-2"))
        assert sorted(g.grant_id for g in campaign.grants(program_id=SCHOOL)) == expected
        assert sorted(world.granted) == expected
        assert money(campaign, SCHOOL) == (Decimal("10000.00"), Decimal("0.00"))
        with campaign.unit_of_work("reader", read_only=True) as uow:
            decisions = uow.decisions.list(program_id=SCHOOL)
        assert len(decisions) == 10
        granted = uow_decision(decisions, "h1-2")
        assert granted.decision_id == decision_id(SCHOOL, YEAR, "h1-2")
        assert (granted.outcome, granted.decided_on) == (Outcome.GRANTED, date(2021, 1, 1))
        # the need routed to the programme is resolved by the grant, as an allocation does
        (need,) = campaign.needs()
        assert (need.status, need.resolved_by) == (
            NeedStatus.RESOLVED,
            f"grant:{grant_id(SCHOOL, YEAR, 'h1-2')}",
        )
        (h1,) = [g for g in campaign.grants(program_id=SCHOOL) if g.member_id == "h1-2"]
        assert h1.need_id == "n-h1-2"
        with pytest.raises(PlanRefused, match="committed on 2021-09-08"):
            campaign.commit_plan(plan_id)
        with pytest.raises(PlanRefused, match="committed"):
            campaign.withdraw_plan(plan_id, reason="重复")


def uow_decision(decisions: list[Any], member_id: str) -> Any:
    (found,) = [d for d in decisions if d.member_id == member_id]
    return found


def test_a_pending_plan_is_not_committed(url: str, world: ApprovalWorld) -> None:
    plan_id = planned(url, world, approve=False)
    with at(url, world, AFTER) as campaign, pytest.raises(PlanRefused, match="not approved"):
        campaign.commit_plan(plan_id)


def test_commit_checks_the_fund_again(url: str, world: ApprovalWorld) -> None:
    plan_id = planned(url, world)
    with at(url, world, AFTER) as campaign:
        with campaign.unit_of_work("setup") as uow:
            uow.funds.update(attrs.evolve(uow.funds.get(f"f-{SCHOOL}"), budget=Decimal(6000)))
            uow.commit()
        with pytest.raises(PlanRefused, match=r"has 6000\.00 yuan for the 10000\.00"):
            campaign.commit_plan(plan_id)
        campaign.close_fund(f"f-{SCHOOL}", reason="年度结束")
        with pytest.raises(jieqin.errors.FundClosed, match="withdraw plan"):
            campaign.commit_plan(plan_id)
        assert campaign.grants(program_id=SCHOOL) == []


# -- objections ---------------------------------------------------------------------------------


def test_an_objection_holds_the_grant_until_its_dismissal_grants_it(
    url: str, world: ApprovalWorld
) -> None:
    plan_id = planned(url, world)
    with at(url, world, date(2021, 9, 3)) as campaign:
        objection = campaign.object_to_plan(
            plan_id, member_id="h1-2", reason="听说已经工作了", objector="张三"
        )
        assert objection.objection_id == f"o:{plan_id}:1"
        assert (objection.household_id, objection.received_on) == ("h1", date(2021, 9, 3))
    with at(url, world, AFTER) as campaign:
        committed = campaign.commit_plan(plan_id)
        assert [g.member_id for g in committed.allocation.grants] == ["h6-2"]
        assert [i.member_id for i in committed.held] == ["h1-2"]
        # the held grant's money stays reserved
        assert money(campaign, SCHOOL) == (Decimal("5000.00"), Decimal("5000.00"))
        with pytest.raises(NotPermitted, match="maker-checker"):
            campaign.decide_objection(
                objection.objection_id, uphold=False, reason="x", actor="clerk:li"
            )
        decided = campaign.decide_objection(
            objection.objection_id, uphold=False, reason="经核实仍在校就读", actor="approver:sun"
        )
        assert decided.objection.status is jieqin.ObjectionStatus.DISMISSED
        assert [g.grant_id for g in decided.grants] == [grant_id(SCHOOL, YEAR, "h1-2")]
        assert money(campaign, SCHOOL) == (Decimal("10000.00"), Decimal("0.00"))
        with pytest.raises(PlanRefused, match="a decision stands"):
            campaign.decide_objection(
                objection.objection_id, uphold=True, reason="x", actor="approver:sun"
            )


def test_an_upheld_objection_refuses_the_grant_and_frees_its_money(
    url: str, world: ApprovalWorld
) -> None:
    plan_id = planned(url, world)
    with at(url, world, date(2021, 9, 2)) as campaign:
        objection = campaign.object_to_plan(plan_id, household_id="h6", reason="户口已迁出")
    with at(url, world, date(2021, 9, 4)) as campaign:
        campaign.decide_objection(
            objection.objection_id, uphold=True, reason="核实户口已迁出本村", actor="approver:sun"
        )
        assert money(campaign, SCHOOL) == (Decimal("0.00"), Decimal("5000.00"))
        notice = campaign.plan_notice(plan_id)
        assert notice.total_count == 1  # the refused one is off the notice
    with at(url, world, AFTER) as campaign:
        committed = campaign.commit_plan(plan_id)
        assert [g.member_id for g in committed.allocation.grants] == ["h1-2"]
        assert money(campaign, SCHOOL) == (Decimal("5000.00"), Decimal("0.00"))
        history = campaign.decision_history(SCHOOL, "h6-2", YEAR)
        assert [d.outcome for d in history] == [Outcome.NOT_GRANTED]
        assert history[0].decided_on == date(2021, 9, 4)
        assert f"objection {objection.objection_id} upheld" in history[0].reason
        # a later plan does not decide the refused member again
        with pytest.raises(AllocationError, match="grants nobody"):
            campaign.plan_pending(SCHOOL, YEAR, actor="clerk:li")


def test_objections_are_taken_only_during_the_notice_and_for_whom_it_lists(
    url: str, world: ApprovalWorld
) -> None:
    plan_id = planned(url, world, approve=False)
    with at(url, world, MADE) as campaign:
        with pytest.raises(PlanRefused, match="not on notice yet"):
            campaign.object_to_plan(plan_id, member_id="h1-2", reason="x")
        campaign.approve_plan(plan_id, actor="approver:sun")
        with pytest.raises(NotFound, match="h2-2 is not on the notice"):
            campaign.object_to_plan(plan_id, member_id="h2-2", reason="x")
        with pytest.raises(jieqin.InvalidValue, match="one member or one household"):
            campaign.object_to_plan(plan_id, reason="x")
    with at(url, world, AFTER) as campaign:
        with pytest.raises(PlanRefused, match="ran from 2021-09-01 to 2021-09-07"):
            campaign.object_to_plan(plan_id, member_id="h1-2", reason="迟到的异议")
        late = campaign.object_to_plan  # received in time, entered late: on its day
        objection = late(plan_id, member_id="h1-2", reason="按时收到", on=date(2021, 9, 6))
        assert objection.received_on == date(2021, 9, 6)


# -- withdrawal --------------------------------------------------------------------------------


def test_a_withdrawal_frees_every_reserved_yuan(url: str, world: ApprovalWorld) -> None:
    plan_id = planned(url, world)
    with at(url, world, date(2021, 9, 3)) as campaign:
        campaign.object_to_plan(plan_id, member_id="h1-2", reason="有异议")
        assert money(campaign, SCHOOL) == (Decimal("0.00"), Decimal("10000.00"))
        withdrawn = campaign.withdraw_plan(plan_id, reason="资助标准调整", actor="clerk:li")
        assert (withdrawn.status, withdrawn.withdraw_reason) == (
            PlanStatus.WITHDRAWN,
            "资助标准调整",
        )
        assert money(campaign, SCHOOL) == (Decimal("0.00"), Decimal("0.00"))
        with campaign.unit_of_work("reader", read_only=True) as uow:
            items = uow.plan_items.list(plan_id=plan_id)
        assert {i.status for i in items} == {ItemStatus.WITHDRAWN}
        with pytest.raises(PlanRefused, match="withdrawn on 2021-09-03"):
            campaign.withdraw_plan(plan_id, reason="again")
    with at(url, world, AFTER) as campaign:
        with pytest.raises(PlanRefused, match="withdrawn"):
            campaign.commit_plan(plan_id)
        # the money is free again: a new plan reserves it
        again = campaign.plan_pending(SCHOOL, YEAR, actor="clerk:li")
        assert again.plan.plan_id == f"plan:{SCHOOL}:2021:2"
        assert money(campaign, SCHOOL) == (Decimal("0.00"), Decimal("10000.00"))


# -- the public notice ----------------------------------------------------------------------------


def _sensitive_values(campaign: jieqin.Campaign) -> dict[str, list[str]]:
    with campaign.unit_of_work("reader", read_only=True) as uow:
        people = [(h, m) for h in uow.households.list() for m in h.people]
    return {
        "resident_ids": [m.resident_id for _, m in people if m.resident_id],
        "phones": [m.phone for _, m in people if m.phone],
        "diagnoses": [m.health.diagnosis for _, m in people if m.health.diagnosis],
        "persons": [x for h, m in people for x in (m.member_id, m.name, h.household_id)],
    }


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_notice_shows_masked_names_villages_and_amounts_only(
    url: str, world: ApprovalWorld, lang: str
) -> None:
    plan_id = planned(url, world, approve=False)
    with at(url, world, MADE) as campaign:
        draft = campaign.plan_notice(plan_id, days=5)
        assert draft.draft
        assert (draft.notice_from, draft.notice_until) == (MADE, date(2021, 9, 5))
        campaign.approve_plan(plan_id, actor="approver:sun")
        notice = campaign.plan_notice(plan_id)
        values = _sensitive_values(campaign)
        with campaign.unit_of_work("reader", read_only=True) as uow:
            names = {m.member_id: m.name for h in uow.households.list() for m in h.people}
    assert not notice.draft
    assert [(line.village, line.amount) for line in notice.lines] == [
        (VILLAGE_NAME, Decimal("5000.00"))
    ] * 2
    assert (notice.total_count, notice.total_amount) == (2, Decimal("10000.00"))
    for fmt in ("text", "csv", "html"):
        text = render_notice(notice, fmt, lang=lang)
        assert find_sensitive(text, **values) == [], fmt
        assert names["h1-2"] not in text
        assert names["h6-2"] not in text
        assert names["h1-2"][0] + "*" in text
        assert "2021-09-01" in text
        assert "2021-09-07" in text
    csv_text = render_notice(notice, "csv", lang=lang)
    assert f"'{VILLAGE_NAME}" in csv_text  # a formula-shaped cell is neutralised
    assert all(not line.startswith(("=", "+", "-", "@")) for line in csv_text.splitlines())
    html = render_notice(notice, "html", lang=lang)
    assert "<table>" in html
    assert "HYPERLINK(红星村)" in html


def test_the_notice_of_a_health_programme_tells_no_one_s_health(
    url: str, world: ApprovalWorld
) -> None:
    plan_id = planned(url, world, ILLNESS)
    with at(url, world, MADE) as campaign:
        notice = campaign.plan_notice(plan_id)
        values = _sensitive_values(campaign)
    assert notice.counted_only
    assert notice.lines == ()
    assert [(c.village, c.count) for c in notice.counts] == [(VILLAGE_NAME, 1)]
    for lang in ("zh", "en"):
        for fmt in ("text", "csv", "html"):
            text = render_notice(notice, fmt, lang=lang)
            assert find_sensitive(text, **values, ignore=["大病救助金"]) == [], (lang, fmt)
            assert "王*" not in text
            assert "5000" not in text  # no amount, not even the total of one person


def test_a_notice_asks_for_a_known_format_and_language(url: str, world: ApprovalWorld) -> None:
    plan_id = planned(url, world)
    with at(url, world, MADE) as campaign:
        notice = campaign.plan_notice(plan_id)
        with pytest.raises(jieqin.InvalidValue, match="--days sets the period of a draft"):
            campaign.plan_notice(plan_id, days=3)
    with pytest.raises(jieqin.InvalidValue, match="one of zh, en"):
        render_notice(notice, "text", lang="fr")
    with pytest.raises(jieqin.InvalidValue, match="one of text, csv, html"):
        render_notice(notice, "pdf")
