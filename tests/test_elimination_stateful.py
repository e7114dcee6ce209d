"""Stateful: a household never leaves monitoring without stable income, a home check
and an approval, however proposals, approvals, objections, decisions, commits,
withdrawals, new income observations and the days interleave.

After every step:

- every move of a household from a monitored status to one that is not is the commit
  of exactly one elimination of it, on that day, to that status;
- every committed elimination was approved by someone other than its maker, committed
  after its notice with no objection open, and its evidence holds when recomputed
  naively from the observations stored on the day it was made: each of the six whole
  months before, the latest income observation of the month, at a yearly rate, above
  the line of the month's year; its home check lies between the first day of the last
  month of evidence and the day it was made, by the paired helper or a clerk;
- no elimination's step moves back, and a committed or withdrawn one never changes;
  an objection decided stays decided.
"""

from __future__ import annotations

import itertools
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import jieqin
from jieqin.errors import JieqinError
from jieqin.model import MONITORED_STATUSES, Elimination, Month, PlanStatus, StatusChange
from jieqin.model.monitoring import Observation
from jieqin.services.elimination import evidence_months
from jieqin.testing.contract import make_helper, make_household

sys.path.insert(0, str(Path(__file__).parent))
from monitoring_lifecycle_world import TODAY, Calendar

HOUSEHOLDS = ("hh001", "hh002", "hh003")
MAKERS = ("clerk:li", "clerk:wang")
APPROVERS = ("clerk:li", "clerk:wang", "approver:sun")
CHECKERS = ("h001", "h002", "clerk:li")
#: Monthly incomes per person: below both lines, above 2021's only, above both.
AMOUNTS = (Decimal("300"), Decimal("520"), Decimal("560"), Decimal("700"))
_RANK = {PlanStatus.PENDING: 0, PlanStatus.APPROVED: 1}


def _line(month: Month) -> Decimal:
    return Decimal("6000") if month.year <= 2021 else Decimal("6600")


class EliminationWorkflow(RuleBasedStateMachine):
    url = "memory://"

    def __init__(self) -> None:
        super().__init__()
        self.calendar = Calendar(TODAY)
        self.campaign = jieqin.connect(self._url(), clock=self.calendar)
        self.seen: dict[str, Elimination] = {}
        self.numbers = 0

    def _url(self) -> str:
        return self.url

    def teardown(self) -> None:
        self.campaign.close()

    @initialize(data=st.data())
    def village(self, data: st.DataObject) -> None:
        with self.campaign.unit_of_work("setup") as uow:
            uow.helpers.add_many([make_helper("h001"), make_helper("h002")])
            uow.households.add_many(
                [
                    make_household(
                        h,
                        members=1,
                        status_history=(
                            StatusChange("lifted_out", date(2019, 1, 1)),
                            StatusChange("unstable", date(2021, 3, 1)),
                        ),
                    )
                    for h in HOUSEHOLDS
                ]
            )
            from jieqin.model import Pairing

            uow.pairings.add(Pairing("h001", "hh001", date(2021, 1, 1)))
            uow.pairings.add(Pairing("h002", "hh002", date(2021, 1, 1)))
            observations = []
            for h in HOUSEHOLDS:
                for m in evidence_months(TODAY, 8):
                    amount = data.draw(st.sampled_from(AMOUNTS[1:] + AMOUNTS[3:] * 3))
                    observations.append(self._observation(h, m, amount, m.end))
            uow.observations.add_many(observations)
            uow.commit()

    def _observation(self, household: str, month: Month, amount: Decimal, on: date) -> Observation:
        self.numbers += 1
        return Observation(
            f"ob:{household}:{month}:{self.numbers}",
            household,
            "income",
            month,
            amount,
            "survey",
            on,
        )

    def _try(self, step: object) -> object:
        try:
            return step() if callable(step) else None
        except JieqinError:
            return None

    def _pick(self, data: st.DataObject) -> Elimination | None:
        """An elimination, most often an open one (a closed one tests the refusals)."""
        found = self.campaign.eliminations()
        still = [e for e in found if e.open]
        mostly_open = bool(data.draw(st.integers(0, 3)))
        chosen = still if still and mostly_open else found
        return data.draw(st.sampled_from(chosen)) if chosen else None

    # -- steps -------------------------------------------------------------------------

    @rule(
        household=st.sampled_from(HOUSEHOLDS),
        back=st.integers(1, 3),
        amount=st.sampled_from(AMOUNTS),
    )
    def observe(self, household: str, back: int, amount: Decimal) -> None:
        month = evidence_months(self.calendar.day, back)[0]
        with self.campaign.unit_of_work("survey") as uow:
            uow.observations.add(self._observation(household, month, amount, self.calendar.day))
            uow.commit()

    @rule(
        household=st.sampled_from(HOUSEHOLDS),
        maker=st.sampled_from(MAKERS),
        checker=st.sampled_from(CHECKERS),
        back=st.integers(0, 40),
    )
    def propose(self, household: str, maker: str, checker: str, back: int) -> None:
        done = self._try(
            lambda: self.campaign.propose_elimination(
                household,
                checked_by=checker,
                checked_on=self.calendar.day - timedelta(days=back),
                actor=maker,
            )
        )
        event("proposed" if done is not None else "proposal refused")

    @rule(data=st.data(), approver=st.sampled_from(APPROVERS), days=st.integers(1, 5))
    def approve(self, data: st.DataObject, approver: str, days: int) -> None:
        e = self._pick(data)
        if e is not None:
            self._try(
                lambda: self.campaign.approve_elimination(
                    e.elimination_id, actor=approver, days=days
                )
            )

    @rule(data=st.data())
    def object_(self, data: st.DataObject) -> None:
        e = self._pick(data)
        if e is not None:
            self._try(lambda: self.campaign.object_to_elimination(e.elimination_id, reason="异议"))

    @rule(data=st.data(), uphold=st.booleans(), who=st.sampled_from(APPROVERS))
    def decide(self, data: st.DataObject, uphold: bool, who: str) -> None:
        objections = [o for e in self.campaign.eliminations() for o in e.objections]
        if objections:
            o = data.draw(st.sampled_from(objections))
            self._try(
                lambda: self.campaign.decide_elimination_objection(
                    o.objection_id, uphold=uphold, reason="经核实", actor=who
                )
            )

    @rule(data=st.data())
    def commit(self, data: st.DataObject) -> None:
        e = self._pick(data)
        if e is not None:
            done = self._try(lambda: self.campaign.commit_elimination(e.elimination_id))
            event("committed" if done is not None else "commit refused")

    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        e = self._pick(data)
        if e is not None:
            self._try(
                lambda: self.campaign.withdraw_elimination(e.elimination_id, reason="重新核查")
            )

    @rule(data=st.data(), wait=st.integers(0, 3))
    def through_the_notice(self, data: st.DataObject, wait: int) -> None:
        """The usual way: someone else approves for a day's notice, days pass, commit."""
        e = self._pick(data)
        if e is None:
            return
        self._try(
            lambda: self.campaign.approve_elimination(
                e.elimination_id, actor="approver:sun", days=1
            )
        )
        self.calendar.day += timedelta(days=wait)
        done = self._try(lambda: self.campaign.commit_elimination(e.elimination_id))
        event("committed" if done is not None else "commit refused")

    @rule(days=st.integers(1, 12))
    def pass_days(self, days: int) -> None:
        self.calendar.day += timedelta(days=days)

    # -- what must always hold ------------------------------------------------------------

    @invariant()
    def nobody_leaves_without_every_step(self) -> None:
        with self.campaign.unit_of_work("check", read_only=True) as uow:
            households = uow.households.list()
            eliminations = uow.eliminations.list()
            observations = uow.observations.list(kind="income")
        committed = [e for e in eliminations if e.status is PlanStatus.COMMITTED]
        for household in households:
            history = household.status_history
            for before, after in itertools.pairwise(history):
                if before.status in MONITORED_STATUSES and after.status not in MONITORED_STATUSES:
                    mine = [
                        e
                        for e in committed
                        if e.household_id == household.household_id
                        and e.committed_on == after.since
                        and e.to_status == after.status
                    ]
                    assert len(mine) == 1, (household.household_id, after)
        for e in committed:
            self._holds(e, observations)

    def _holds(self, e: Elimination, observations: list[Observation]) -> None:
        assert e.approved_by is not None
        assert e.approved_by != e.made_by
        assert e.notice_until is not None
        assert e.committed_on is not None
        assert e.committed_on > e.notice_until
        assert not any(o.is_open for o in e.objections)
        months = evidence_months(e.made_on, 6)
        assert tuple(m.month for m in e.stable_months) == months
        for month in months:
            seen = [
                o
                for o in observations
                if o.household_id == e.household_id
                and o.period == month
                and o.recorded_on <= e.made_on
            ]
            assert seen, (e.elimination_id, month)
            latest = max(seen, key=lambda o: (o.recorded_on, o.observation_id))
            assert latest.amount * 12 > _line(month), (e.elimination_id, month)
        assert months[-1].start <= e.checked_on <= e.made_on
        helper = {"hh001": "h001", "hh002": "h002"}.get(e.household_id)
        assert e.checked_by in (helper, "clerk:li")

    @invariant()
    def steps_never_move_back(self) -> None:
        for e in self.campaign.eliminations():
            before = self.seen.get(e.elimination_id)
            self.seen[e.elimination_id] = e
            if before is None:
                continue
            if not before.open:
                assert e == before
                continue
            assert _RANK.get(e.status, 2) >= _RANK[before.status]
            old = {o.objection_id: o for o in before.objections}
            new = {o.objection_id: o for o in e.objections}
            assert set(old) <= set(new)
            for objection_id, o in old.items():
                if not o.is_open:
                    assert new[objection_id] == o


EliminationWorkflow.TestCase.settings = settings(
    max_examples=50,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestEliminationWorkflow = EliminationWorkflow.TestCase


class SqliteWorkflow(EliminationWorkflow):
    """The same on SQLite, fewer examples: the storage path of every step."""

    def _url(self) -> str:
        import tempfile

        self.directory = tempfile.TemporaryDirectory()
        return f"sqlite:///{self.directory.name}/jieqin.db"

    def teardown(self) -> None:
        super().teardown()
        self.directory.cleanup()


SqliteWorkflow.TestCase.settings = settings(
    max_examples=8,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestEliminationWorkflowSqlite = SqliteWorkflow.TestCase
