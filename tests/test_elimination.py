"""Risk elimination on every backend: a household leaves monitoring only on income stable
above the line for stability_months, a home check by someone allowed, approval by
someone else in a role that decides, a public notice whose objections hold it, and a
commit after the notice; each refusal names its reason."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

import jieqin
from jieqin.errors import InvalidValue, JieqinError
from jieqin.model import Elimination, Month, ObjectionStatus, PlanStatus, StableMonth
from jieqin.security import NotPermitted
from jieqin.services.elimination import EliminationRefused, evidence_months
from jieqin.testing.contract import make_elimination

sys.path.insert(0, str(Path(__file__).parent))
from monitoring_lifecycle_world import MONITORED, TODAY, Calendar, income, populate

CHECKED = date(2021, 12, 3)


@pytest.fixture
def calendar() -> Calendar:
    return Calendar()


@pytest.fixture
def village(campaign_url: str, calendar: Calendar) -> Iterator[jieqin.Campaign]:
    with jieqin.connect(campaign_url, clock=calendar) as campaign:
        populate(campaign)
        yield campaign


def _propose(campaign: jieqin.Campaign, **changes: object) -> Elimination:
    given: dict[str, object] = {"checked_by": "h001", "checked_on": CHECKED, "actor": "clerk:li"}
    given.update(changes)
    elimination, _ = campaign.propose_elimination("hh001", **given)  # type: ignore[arg-type]
    return elimination


def _approved(campaign: jieqin.Campaign) -> Elimination:
    e = _propose(campaign)
    return campaign.approve_elimination(e.elimination_id, actor="approver:sun", days=7)


def test_the_whole_way_out_of_monitoring(village: jieqin.Campaign, calendar: Calendar) -> None:
    found = village.elimination_stability("hh001")
    assert found.holds
    assert [str(m.month) for m in found.months] == [f"2021-{m:02d}" for m in range(6, 12)]
    assert found.explanation()[-1].startswith("stable: income above the line each of the 6")

    e = _propose(village, note="务工收入稳定")
    assert (e.elimination_id, e.status, e.from_status, e.to_status) == (
        "el:hh001:1",
        PlanStatus.PENDING,
        "unstable",
        "lifted_out",
    )
    assert [m.income for m in e.stable_months] == [Decimal("8400.00")] * 6
    assert {m.line for m in e.stable_months} == {Decimal("6000.00")}

    approved = village.approve_elimination(e.elimination_id, actor="approver:sun", days=7)
    assert (approved.notice_from, approved.notice_until) == (TODAY, TODAY + timedelta(days=6))
    calendar.day = date(2021, 12, 9)
    objection = village.object_to_elimination(
        e.elimination_id, reason="收入情况不实", objector="张三"
    )
    calendar.day = date(2021, 12, 14)
    with pytest.raises(EliminationRefused, match="held by objection"):
        village.commit_elimination(e.elimination_id)
    village.decide_elimination_objection(
        objection.objection_id, uphold=False, reason="经核实收入属实", actor="approver:sun"
    )
    committed, household = village.commit_elimination(e.elimination_id, actor="clerk:li")
    assert (committed.status, committed.committed_on) == (PlanStatus.COMMITTED, calendar.day)
    assert [(c.status, c.since) for c in household.status_history] == [
        ("lifted_out", date(2019, 1, 1)),
        ("unstable", MONITORED),
        ("lifted_out", date(2021, 12, 14)),
    ]
    note = household.status_history[-1].note
    for step in (
        "风险消除 el:hh001:1",
        "2021-06 to 2021-11",
        "home check 2021-12-03 by h001",
        "proposed 2021-12-07 by clerk:li",
        "approved 2021-12-07 by approver:sun",
        "notice 2021-12-07 to 2021-12-13",
        "committed 2021-12-14",
    ):
        assert step in note
    with village.unit_of_work("t", read_only=True) as uow:
        assert uow.households.get("hh001").status == "lifted_out"
        stored = uow.eliminations.get(e.elimination_id)
        assert stored == committed
        assert stored.objections[0].status is ObjectionStatus.DISMISSED
        entries = uow.audit.entries(entity="eliminations")
    # the objector's words never reach the audit log
    assert "收入情况不实" not in repr([entry.changes for entry in entries])


def test_not_monitored_is_refused(village: jieqin.Campaign) -> None:
    with pytest.raises(EliminationRefused, match="hh002 is lifted_out, not monitored"):
        village.propose_elimination(
            "hh002", checked_by="clerk:li", checked_on=CHECKED, actor="clerk:li"
        )


@pytest.mark.parametrize(
    ("amounts", "missing", "reason"),
    [
        ({"2021-09": Decimal("400")}, (), r"2021-09: income 4800.00 .* is not above the line"),
        ({"2021-11": Decimal("500")}, (), r"1 of the 6 months .* \(2021-11\)"),
        ({}, ("2021-07",), "2021-07: no income observation"),
    ],
)
def test_unstable_income_is_refused_with_the_month(
    campaign_url: str,
    calendar: Calendar,
    amounts: dict[str, Decimal],
    missing: tuple[str, ...],
    reason: str,
) -> None:
    observed = [m for m in evidence_months(TODAY, 9) if str(m) not in missing]
    with jieqin.connect(campaign_url, clock=calendar) as campaign:
        populate(campaign, observed=observed, amounts=amounts)
        assert not campaign.elimination_stability("hh001").holds
        with pytest.raises(EliminationRefused, match=reason):
            _propose(campaign)
        assert campaign.eliminations() == []


def test_a_month_counts_its_most_specific_observation(
    village: jieqin.Campaign,
) -> None:
    # a year's income above the line does not hide a month below it
    from jieqin.model import Year
    from jieqin.model.monitoring import Observation

    with village.unit_of_work("setup") as uow:
        uow.observations.add(
            Observation("ob:year", "hh001", "income", Year(2021), Decimal("9000"), "survey", TODAY)
        )
        uow.observations.update(income("hh001", Month(2021, 8), Decimal("300")))
        uow.commit()
    found = village.elimination_stability("hh001")
    assert [m.stable for m in found.months] == [True, True, False, True, True, True]


def test_the_home_check_must_be_recent_and_allowed(village: jieqin.Campaign) -> None:
    with pytest.raises(EliminationRefused, match="not between the start of the last month"):
        _propose(village, checked_on=date(2021, 10, 30))
    with pytest.raises(NotPermitted, match="h002 is not paired with household hh001"):
        _propose(village, checked_by="h002")
    # a clerk may check as themselves
    e = _propose(village, checked_by="clerk:li")
    assert e.checked_by == "clerk:li"


def test_one_open_elimination_at_a_time(village: jieqin.Campaign) -> None:
    e = _propose(village)
    with pytest.raises(EliminationRefused, match="el:hh001:1 of household hh001 is pending"):
        _propose(village)
    village.withdraw_elimination(e.elimination_id, reason="重新核查")
    assert _propose(village).elimination_id == "el:hh001:2"


def test_no_monitored_status_as_the_target(village: jieqin.Campaign) -> None:
    with pytest.raises(EliminationRefused, match="edge_of_poverty is a monitored status"):
        _propose(village, to_status="edge_of_poverty")


def test_maker_checker(village: jieqin.Campaign) -> None:
    e = _propose(village)
    with pytest.raises(NotPermitted, match="clerk:li made elimination el:hh001:1"):
        village.approve_elimination(e.elimination_id, actor="clerk:li")
    from jieqin.security import STANDARD_ROLES, Principal

    clerk = Principal("clerk:wang", STANDARD_ROLES["clerk"], regions=["*"])
    with pytest.raises(NotPermitted, match="needs a role that decides"):
        village.acting_as(clerk).approve_elimination(e.elimination_id)
    assert village.eliminations()[0].status is PlanStatus.PENDING


def test_no_commit_before_approval_or_notice_end(
    village: jieqin.Campaign, calendar: Calendar
) -> None:
    e = _propose(village)
    with pytest.raises(EliminationRefused, match="is not approved"):
        village.commit_elimination(e.elimination_id)
    village.approve_elimination(e.elimination_id, actor="approver:sun", days=3)
    calendar.day = date(2021, 12, 9)
    with pytest.raises(EliminationRefused, match="runs until 2021-12-09"):
        village.commit_elimination(e.elimination_id)
    calendar.day = date(2021, 12, 10)
    committed, _ = village.commit_elimination(e.elimination_id)
    with pytest.raises(EliminationRefused, match="was committed on 2021-12-10"):
        village.commit_elimination(e.elimination_id)
    with pytest.raises(EliminationRefused, match="committed"):
        village.withdraw_elimination(e.elimination_id, reason="x")
    assert committed.status is PlanStatus.COMMITTED


def test_an_upheld_objection_withdraws_it(village: jieqin.Campaign, calendar: Calendar) -> None:
    e = _approved(village)
    o = village.object_to_elimination(e.elimination_id, reason="家中有人新患重病")
    withdrawn = village.decide_elimination_objection(
        o.objection_id, uphold=True, reason="经核实属实", actor="approver:sun"
    )
    assert withdrawn.status is PlanStatus.WITHDRAWN
    assert withdrawn.withdraw_reason.startswith(f"objection {o.objection_id} upheld")
    calendar.day = date(2021, 12, 20)
    with pytest.raises(EliminationRefused, match="withdrawn"):
        village.commit_elimination(e.elimination_id)
    with village.unit_of_work("t", read_only=True) as uow:
        assert uow.households.get("hh001").status == "unstable"


def test_objections_only_during_the_notice(village: jieqin.Campaign, calendar: Calendar) -> None:
    e = _propose(village)
    with pytest.raises(EliminationRefused, match="not approved yet"):
        village.object_to_elimination(e.elimination_id, reason="不同意")
    village.approve_elimination(e.elimination_id, actor="approver:sun", days=2)
    calendar.day = date(2021, 12, 12)
    with pytest.raises(EliminationRefused, match="ran from 2021-12-07 to 2021-12-08"):
        village.object_to_elimination(e.elimination_id, reason="不同意")


def test_a_status_changed_meanwhile_refuses_the_commit(
    village: jieqin.Campaign, calendar: Calendar
) -> None:
    from jieqin.model import StatusChange

    e = _approved(village)
    calendar.day = date(2021, 12, 10)
    with village.unit_of_work("clerk") as uow:
        h = uow.households.get("hh001")
        change = StatusChange("sudden_difficulty", date(2021, 12, 10))
        uow.households.update(attrs.evolve(h, status_history=(*h.status_history, change)))
        uow.commit()
    calendar.day = date(2021, 12, 15)
    with pytest.raises(EliminationRefused, match="is sudden_difficulty now, not unstable"):
        village.commit_elimination(e.elimination_id)


def test_a_stored_elimination_never_moves_back(village: jieqin.Campaign) -> None:
    e = _approved(village)
    with village.unit_of_work("clerk") as uow:
        back = attrs.evolve(
            uow.eliminations.get(e.elimination_id),
            status=PlanStatus.PENDING,
            approved_by=None,
            approved_on=None,
            notice_from=None,
            notice_until=None,
        )
        with pytest.raises(JieqinError, match="never moves back"):
            uow.eliminations.update(back)
        other = attrs.evolve(uow.eliminations.get(e.elimination_id), check_note="改写")
        with pytest.raises(JieqinError, match="check_note"):
            uow.eliminations.update(other)


# -- the record checks its own steps ---------------------------------------------------------


def test_the_record_refuses_inconsistent_steps() -> None:
    with pytest.raises(InvalidValue, match="may not approve it too"):
        make_elimination(
            status="approved",
            approved_by="clerk:li",
            approved_on=date(2021, 9, 3),
            notice_from=date(2021, 9, 3),
            notice_until=date(2021, 9, 9),
        )
    with pytest.raises(InvalidValue, match="a committed elimination has its commit day"):
        make_elimination(
            status="committed",
            approved_by="approver:sun",
            approved_on=date(2021, 9, 3),
            notice_from=date(2021, 9, 3),
            notice_until=date(2021, 9, 9),
        )
    with pytest.raises(InvalidValue, match="consecutive"):
        make_elimination(
            stable_months=[
                StableMonth(Month(2021, 3), Decimal(9000), Decimal(6000)),
                StableMonth(Month(2021, 5), Decimal(9000), Decimal(6000)),
            ]
        )
    with pytest.raises(InvalidValue, match="not above the line"):
        StableMonth(Month(2021, 3), Decimal(6000), Decimal(6000))


def test_an_open_warning_holds_the_elimination(
    village: jieqin.Campaign, calendar: Calendar
) -> None:
    from monitoring_lifecycle_world import raise_warnings, warning

    raise_warnings(village, warning("hh001", "rw1", raised_on=date(2021, 12, 6)))
    with pytest.raises(EliminationRefused, match="warning rw1 of household hh001 is assigned"):
        _propose(village)
    village.check_warning("rw1", "dismissed", reason="临时波动", checked_by="h001")
    e = _approved(village)
    calendar.day = date(2021, 12, 20)
    raise_warnings(village, warning("hh001", "rw2", raised_on=date(2021, 12, 20)))
    with pytest.raises(EliminationRefused, match="warning rw2"):
        village.commit_elimination(e.elimination_id)
