"""The demo's monitoring strand: incomes and medical costs observed, warnings raised and
checked at home, one confirmed, one household's risk eliminated after approval and
notice, each step on its own 2021 day, and the year's table as the brief gives it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

import jieqin
from jieqin.demo.monitoring import CONFIRMED_CATEGORY, FEED, MONITORING_DAYS
from jieqin.demo.script import BRIEF_2021, DemoResult, figures_of, run_demo

pytest.importorskip("jieqin_tongchuan", reason="the demo needs the Tongchuan plugin")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoResult]:
    db = tmp_path_factory.mktemp("demo") / "tongchuan.db"
    return db, run_demo(db)


@pytest.fixture(scope="module")
def campaign(demo: tuple[Path, DemoResult]) -> Iterator[jieqin.Campaign]:
    with jieqin.connect(f"sqlite:///{demo[0]}") as campaign:
        yield campaign


def test_the_strand_leaves_the_year_as_the_brief_gives_it(demo: tuple[Path, DemoResult]) -> None:
    result = demo[1]
    assert not result.missing, result.missing
    assert figures_of(result) == BRIEF_2021


def test_the_warnings_were_raised_checked_and_decided(campaign: jieqin.Campaign) -> None:
    warnings = campaign.warnings()
    assert len(warnings) == 5
    assert {w.raised_on for w in warnings} == {MONITORING_DAYS["q3_run"]}
    assert all(w.checked_on is not None for w in warnings)
    late = [w for w in warnings if w.checked_on and w.checked_on > w.check_due]
    assert len(late) == 1
    confirmed = [w for w in warnings if w.status is jieqin.WarningStatus.CONFIRMED]
    assert [w.category for w in confirmed] == [CONFIRMED_CATEGORY]
    assert sum(w.status is jieqin.WarningStatus.DISMISSED for w in warnings) == 4
    with campaign.unit_of_work(read_only=True) as uow:
        household = uow.households.get(confirmed[0].household_id)
    assert household.status_on(date(2021, 12, 31)) == CONFIRMED_CATEGORY
    assert household.status_on(date(2021, 9, 30)) == "lifted_out"


def test_the_medical_costs_came_through_the_feed(campaign: jieqin.Campaign) -> None:
    with campaign.unit_of_work(read_only=True) as uow:
        fed = uow.observations.list(feed=FEED)
        delivered = uow.audit.entries(action="deliver")
    assert len(fed) == 2
    assert {o.kind.value for o in fed} == {"medical"}
    assert [dict(e.changes)["unmatched"] for e in delivered] == [2]


def test_one_risk_was_eliminated_after_approval_and_notice(campaign: jieqin.Campaign) -> None:
    (elimination,) = campaign.eliminations()
    assert elimination.status.value == "committed"
    assert elimination.made_by != elimination.approved_by
    assert elimination.notice_until is not None
    assert elimination.committed_on == MONITORING_DAYS["committed"] > elimination.notice_until
    with campaign.unit_of_work(read_only=True) as uow:
        household = uow.households.get(elimination.household_id)
    assert household.status_on(MONITORING_DAYS["committed"]) == elimination.to_status
    assert household.status_on(MONITORING_DAYS["proposed"]) == elimination.from_status


def test_the_report_has_the_monitoring_section(demo: tuple[Path, DemoResult]) -> None:
    report = demo[1].report
    assert report is not None
    m = report.totals.monitoring
    assert m is not None
    assert (m.warnings, m.checked_on_time, m.checked_late) == (5, 4, 1)
    assert (m.confirmed, m.dismissed, m.open, m.eliminated) == (1, 4, 0, 1)
    assert m.households == sum(c.monitored or 0 for c in m.categories)
    assert m.at_end == m.households - 1
