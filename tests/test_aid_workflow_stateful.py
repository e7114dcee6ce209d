"""Stateful: the aid workflow's money stays honest however its steps interleave.

Plans made pending, approved, put on notice, objected to, decided, committed or
withdrawn; plain allocations of a second programme from the same kind of fund; grants
paid, returned and revoked; refusals appealed; days passing. After every step:

- no fund is ever overspent, counting what pending plans reserve: its grants holding
  money plus its reservations never exceed its budget, and ``spent``/``reserved`` are
  exactly what the records add up to;
- nobody holds two grants in force of one programme period;
- every paid amount matches a granted one: a paid grant's decision granted exactly
  that amount;
- a returned or revoked grant frees its money exactly once: revoking a returned grant,
  or returning a grant, moves ``spent`` by the grant's amount once and never again.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import jieqin
from jieqin.errors import JieqinError
from jieqin.model import Helper, ItemStatus, Outcome, Pairing, PlanStatus, RegionCode, Year
from jieqin.rules import AidProgram, Parameters, all_of, household_paired
from jieqin.security import NotPermitted
from jieqin.services.grievances import appeal
from jieqin.testing.strategies import households, one_number_each

YEAR = Year(2021)
_AMOUNT = {"unit": "yuan", "values": [{"since": "2020-01-01", "value": "1000"}]}

#: Needs approval and three days of public notice before money moves.
NOTICED = AidProgram(
    jieqin.Program("warm", "冬季取暖补贴", "县民政局", "cash_grant"),
    all_of("warm", household_paired()),
    parameters=Parameters.from_mapping({"warm_amount": _AMOUNT}),
    amount_parameter="warm_amount",
    approval=True,
    notice_days=3,
)
#: Commits as it allocates (no approval), per household.
DIRECT = AidProgram(
    jieqin.Program("coal", "冬季送煤", "县民政局", "in_kind", grant_unit="household"),
    all_of("coal", household_paired()),
    parameters=Parameters.from_mapping({"coal_amount": _AMOUNT}),
    amount_parameter="coal_amount",
)
PROGRAMS = {p.program_id: p for p in (NOTICED, DIRECT)}


class Programs:
    @staticmethod
    @jieqin.hookimpl
    def jieqin_register_programs(register: object) -> None:
        for program in PROGRAMS.values():
            register(program)  # type: ignore[operator]


class Calendar:
    """The campaign's clock, moved on by the state machine."""

    def __init__(self, day: date) -> None:
        self.day = day

    def today(self) -> date:
        return self.day


class Workflow(RuleBasedStateMachine):
    #: Each example's campaign (the SQLite subclass gives each a new database file).
    def url(self) -> str:
        return "memory://"

    @initialize(
        homes=st.lists(
            households(max_members=3), min_size=2, max_size=5, unique_by=lambda h: h.household_id
        ),
        budgets=st.lists(st.sampled_from([0, 1000, 2500, 4000]), min_size=2, max_size=2),
    )
    def setup(self, homes, budgets):
        self.calendar = Calendar(date(2026, 1, 5))
        self.campaign = jieqin.connect(self.url(), plugins=[Programs()], clock=self.calendar)
        homes = one_number_each(homes)
        with self.campaign.unit_of_work("t") as uow:
            uow.helpers.add(Helper("p1", "王", "city_member", RegionCode("110101"), capacity=9))
            uow.households.add_many(homes)
            uow.pairings.add_many(
                [Pairing("p1", h.household_id, date(2020, 1, 1)) for h in homes[:-1]]
            )
            uow.commit()
        for (program_id, _), budget in zip(PROGRAMS.items(), budgets, strict=True):
            self.campaign.add_fund(f"f-{program_id}", program_id, YEAR, budget)

    def teardown(self):
        if hasattr(self, "campaign"):
            self.campaign.close()

    # -- helpers -------------------------------------------------------------------

    def _plans(self, *statuses):
        return [p for p in self.campaign.plans() if p.status in statuses]

    def _grants(self):
        with self.campaign.unit_of_work("t", read_only=True) as uow:
            return uow.grants.list()

    def _spent(self, fund_id):
        with self.campaign.unit_of_work("t", read_only=True) as uow:
            return uow.funds.spent(fund_id)

    def _has(self, *statuses):
        return hasattr(self, "campaign") and bool(self._plans(*statuses))

    def _noticed(self):
        """Approved plans whose notice has ended (they may be committed)."""
        day = self.calendar.day
        return [
            p
            for p in self._plans(PlanStatus.APPROVED)
            if p.notice_until is not None and p.notice_until < day
        ]

    def _open_objections(self):
        return [
            o
            for plan in self.campaign.plans()
            for o in self.campaign.objections(plan.plan_id)
            if o.status == "open"
        ]

    # -- steps ---------------------------------------------------------------------

    @rule(days=st.sampled_from([1, 8]))
    def days_pass(self, days):
        self.calendar.day += timedelta(days=days)

    @precondition(
        lambda self: (
            hasattr(self, "campaign")
            and any(p.notice_until >= self.calendar.day for p in self._plans(PlanStatus.APPROVED))
        )
    )
    @rule()
    def notice_ends(self):
        ends = max(p.notice_until for p in self._plans(PlanStatus.APPROVED))
        self.calendar.day = ends + timedelta(days=1)

    @rule()
    def plan(self):
        try:
            self.campaign.plan_pending("warm", YEAR, actor="maker", on=date(2021, 11, 1))
            event("planned")
        except JieqinError as exc:
            event(
                "plan refused: " + str(exc)[:60]
            )  # a plan already covers everyone, or there is no money

    @precondition(lambda self: self._has(PlanStatus.PENDING))
    @rule(pick=st.integers(0, 5))
    def approve(self, pick):
        plan = self._plans(PlanStatus.PENDING)[pick % len(self._plans(PlanStatus.PENDING))]
        try:  # maker-checker: the plan's maker may not approve it
            self.campaign.approve_plan(plan.plan_id, actor="maker")
        except NotPermitted:
            pass
        else:
            raise AssertionError("the plan's maker approved their own plan")
        self.campaign.approve_plan(plan.plan_id, actor="checker")
        event("approved")

    @precondition(lambda self: self._has(PlanStatus.APPROVED))
    @rule(pick=st.integers(0, 5), who=st.integers(0, 9))
    def object_to(self, pick, who):
        approved = self._plans(PlanStatus.APPROVED)
        if not approved:
            return
        plan = approved[pick % len(approved)]
        with self.campaign.unit_of_work("t", read_only=True) as uow:
            items = [i for i in uow.plan_items.list(plan_id=plan.plan_id) if i.grant is not None]
        if items:
            item = items[who % len(items)]
            try:
                self.campaign.object_to_plan(
                    plan.plan_id, reason="收入不实", member_id=item.member_id, objector="村民"
                )
                event("objected")
            except JieqinError:
                pass  # outside the notice period, or already held

    @precondition(lambda self: hasattr(self, "campaign") and bool(self._open_objections()))
    @rule(pick=st.integers(0, 9), uphold=st.booleans())
    def decide_objection(self, pick, uphold):
        open_ = self._open_objections()
        if open_:
            objection = open_[pick % len(open_)]
            self.campaign.decide_objection(
                objection.objection_id, uphold=uphold, reason="核实", actor="checker"
            )

    @precondition(lambda self: hasattr(self, "campaign") and bool(self._noticed()))
    @rule(pick=st.integers(0, 5))
    def commit(self, pick):
        approved = self._noticed()
        if approved:
            try:
                self.campaign.commit_plan(approved[pick % len(approved)].plan_id)
                event("committed")
            except JieqinError as exc:
                event("commit refused: " + str(exc)[:50])  # the notice has not ended

    @precondition(lambda self: self._has(PlanStatus.PENDING, PlanStatus.APPROVED))
    @rule(pick=st.integers(0, 5))
    def withdraw(self, pick):
        open_ = self._plans(PlanStatus.PENDING, PlanStatus.APPROVED)
        if open_:
            self.campaign.withdraw_plan(open_[pick % len(open_)].plan_id, reason="重新核定")

    @rule()
    def allocate_direct(self):
        with contextlib.suppress(JieqinError):
            self.campaign.allocate("coal", YEAR, on=date(2021, 11, 1))

    @rule(amount=st.sampled_from([500, 1000, 3000]), program=st.sampled_from(sorted(PROGRAMS)))
    def top_up(self, amount, program):
        with contextlib.suppress(JieqinError):
            self.campaign.top_up_fund(f"f-{program}", amount, reason="追加")

    @rule(pick=st.integers(0, 20), returned=st.booleans())
    def pay(self, pick, returned):
        waiting = [g for g in self._grants() if g.in_force and g.paid_on is None]
        if not waiting:
            return
        grant = waiting[pick % len(waiting)]
        day = self.calendar.day
        paid = attrs.evolve(grant, batch_id="pb-1", paid_on=day, payment_reference="B1")
        if returned:
            paid = attrs.evolve(paid, returned_on=day, return_reason="账户已销户")
        before = self._spent(grant.fund_id)
        with self.campaign.unit_of_work("bank") as uow:
            uow.grants.record_payments([paid])
            uow.commit()
        event("paid and returned" if returned else "paid")
        freed = grant.amount if returned else Decimal(0)
        assert self._spent(grant.fund_id) == before - freed

    @rule(pick=st.integers(0, 20))
    def give_back(self, pick):
        paid = [g for g in self._grants() if g.holds_money and g.paid_on is not None]
        if not paid:
            return
        grant = paid[pick % len(paid)]
        before = self._spent(grant.fund_id)
        with self.campaign.unit_of_work("bank") as uow:
            returned = attrs.evolve(grant, returned_on=self.calendar.day, return_reason="退回")
            uow.grants.record_payments([returned])
            uow.commit()
        assert self._spent(grant.fund_id) == before - grant.amount

    @rule(pick=st.integers(0, 20))
    def revoke(self, pick):
        standing = [g for g in self._grants() if g.in_force]
        if not standing:
            return
        grant = standing[pick % len(standing)]
        before = self._spent(grant.fund_id)
        try:
            self.campaign.revoke_grant(grant.grant_id, "复核不符", self.calendar.day)
        except JieqinError:
            # a paid grant is revoked only once its money came back
            assert grant.paid_on is not None
            assert grant.returned_on is None
            return
        event("revoked a returned grant" if grant.returned_on else "revoked")
        # a returned grant freed its money already: revoking it frees nothing again
        freed = grant.amount if grant.holds_money else Decimal(0)
        assert self._spent(grant.fund_id) == before - freed

    @rule(pick=st.integers(0, 20))
    def appeal_a_refusal(self, pick):
        with self.campaign.unit_of_work("t", read_only=True) as uow:
            refused = [
                d
                for d in uow.decisions.list(program_id="warm")
                if d.outcome in (Outcome.INELIGIBLE, Outcome.WAIT_LISTED)
            ]
        if not refused:
            return
        decision = refused[pick % len(refused)]
        try:
            with self.campaign.unit_of_work("t") as uow:
                appeal(uow, NOTICED, decision.decision_id, reason="不服", on=self.calendar.day)
            event("appealed")
        except JieqinError:
            pass  # already appealed, or the member holds a grant now

    # -- what must always hold -------------------------------------------------------

    @invariant()
    def never_overspent_counting_reservations(self):
        if not hasattr(self, "campaign"):
            return
        with self.campaign.unit_of_work("t", read_only=True) as uow:
            grants = uow.grants.list()
            items = uow.plan_items.list()
            plans = {p.plan_id: p for p in uow.plans.list()}
            for fund in uow.funds.list():
                holding = sum(
                    (g.amount for g in grants if g.fund_id == fund.fund_id and g.holds_money),
                    Decimal(0),
                )
                reserving = sum(
                    (
                        i.grant.amount
                        for i in items
                        if i.grant is not None
                        and i.grant.fund_id == fund.fund_id
                        # planned on an open plan, or held by an objection (a committed
                        # plan's held item stays reserved until its objection is decided)
                        and plans[i.plan_id].status is not PlanStatus.WITHDRAWN
                        and i.status in (ItemStatus.PLANNED, ItemStatus.HELD)
                    ),
                    Decimal(0),
                )
                assert uow.funds.spent(fund.fund_id) == holding
                assert uow.funds.reserved(fund.fund_id) == reserving
                assert holding + reserving <= fund.budget

    @invariant()
    def nobody_holds_two_grants_of_a_programme_period(self):
        if not hasattr(self, "campaign"):
            return
        in_force = [g for g in self._grants() if g.in_force]
        slots = Counter(
            (g.program_id, str(g.period), g.member_id or f"household:{g.household_id}")
            for g in in_force
        )
        assert all(n == 1 for n in slots.values()), slots

    @invariant()
    def every_paid_amount_was_granted(self):
        if not hasattr(self, "campaign"):
            return
        with self.campaign.unit_of_work("t", read_only=True) as uow:
            for grant in uow.grants.list():
                if grant.paid_on is None:
                    continue
                decision = uow.decisions.get(grant.decision_id)
                assert decision.outcome is Outcome.GRANTED
                assert decision.amount == grant.amount


Workflow.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestWorkflow = Workflow.TestCase


class WorkflowOnSqlite(Workflow):
    """The same steps on SQLite, where reservations and spending are SQL queries."""

    def url(self) -> str:
        directory = Path(tempfile.mkdtemp(prefix="jieqin-workflow-"))
        self._directory = directory
        return f"sqlite:///{directory / 'campaign.db'}"

    def teardown(self):
        super().teardown()
        if hasattr(self, "_directory"):
            shutil.rmtree(self._directory, ignore_errors=True)


WorkflowOnSqlite.TestCase.settings = settings(
    Workflow.TestCase.settings, max_examples=25, stateful_step_count=30
)
TestWorkflowOnSqlite = WorkflowOnSqlite.TestCase
