"""`jieqin demo` end to end: the 2021 report equals the brief's table, and the rules did the rejecting.

The demo runs once (it takes seconds) on a temporary SQLite file; the tests then read
its report and open its database through the public API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import jieqin
from jieqin.cli import cli
from jieqin.demo import Cohort, generate_cohort
from jieqin.demo.cohort import MOVED_AWAY

pytest.importorskip("jieqin_tongchuan", reason="the demo needs the Tongchuan plugin")
from jieqin_tongchuan import EMPLOYMENT_CENTER, FRESHMAN_SCHOLARSHIP, MAJOR_ILLNESS_GRANT

YEAR = jieqin.Year(2021)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo") / "tongchuan.db"


@pytest.fixture(scope="module")
def report(demo_db: Path) -> dict[str, object]:
    demo_db.write_text("an old file the demo must replace")
    result = CliRunner().invoke(cli, ["demo", "--db", str(demo_db), "--json"])
    assert result.exit_code == 0, result.output + str(result.exception)
    data: dict[str, object] = json.loads(result.stdout)
    return data


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return generate_cohort(2021)


@pytest.fixture(scope="module")
def campaign(report: dict[str, object], demo_db: Path) -> Iterator[jieqin.Campaign]:
    with jieqin.connect(f"sqlite:///{demo_db}") as campaign:
        yield campaign


def _grant_line(report: dict[str, object], program: str) -> dict[str, object]:
    lines = [g for g in report["grants"] if g["program"] == program]  # type: ignore[attr-defined]
    assert len(lines) == 1, report["grants"]
    return lines[0]  # type: ignore[no-any-return]


def test_report_equals_the_brief_table(report: dict[str, object]) -> None:
    assert report["period"] == "2021"
    assert report["helpers"] == 755
    assert report["households"] == 772
    assert report["activities"] == {
        "contact": 6087,
        "visit": 4164,
        "policy_explanation": 3095,
        "warmth": 2013,
        "practical_help": 1147,
    }
    referrals = {r["agency"]: r["count"] for r in report["referrals"]}  # type: ignore[attr-defined]
    assert referrals[EMPLOYMENT_CENTER] == 23
    scholarships = _grant_line(report, FRESHMAN_SCHOLARSHIP)
    assert (scholarships["count"], Decimal(scholarships["amount"])) == (14, Decimal(70000))  # type: ignore[arg-type]
    grants = _grant_line(report, MAJOR_ILLNESS_GRANT)
    assert (grants["count"], Decimal(grants["amount"])) == (12, Decimal(60000))  # type: ignore[arg-type]


def test_helpers_by_tier_add_up(report: dict[str, object]) -> None:
    by_tier = report["helpers_by_tier"]
    assert set(by_tier) == set(jieqin.Tier)  # type: ignore[arg-type]
    assert sum(by_tier.values()) == 755  # type: ignore[attr-defined]


def _decisions(campaign: jieqin.Campaign, program: str) -> dict[str, jieqin.Decision]:
    with campaign.unit_of_work() as uow:
        return {d.member_id: d for d in uow.decisions.list(program_id=program) if d.member_id}


def test_second_year_students_were_refused_the_freshman_scholarship(
    campaign: jieqin.Campaign, cohort: Cohort
) -> None:
    decisions = _decisions(campaign, FRESHMAN_SCHOLARSHIP)
    later = [
        m
        for m in cohort.members
        if m.schooling
        and m.schooling.level is jieqin.SchoolLevel.COLLEGE
        and m.schooling.year_of_entry < 2021
    ]
    assert later
    for member in later:
        decision = decisions[member.member_id]
        assert decision.outcome is jieqin.Outcome.INELIGIBLE
        failed = {c.name for c in decision.conditions if not c.held}
        assert "college_freshman" in failed


def test_chronic_illness_is_not_a_major_illness(campaign: jieqin.Campaign, cohort: Cohort) -> None:
    decisions = _decisions(campaign, MAJOR_ILLNESS_GRANT)
    chronic = [
        m for m in cohort.members if m.health.condition is jieqin.HealthCondition.CHRONIC_ILLNESS
    ]
    assert chronic
    for member in chronic:
        decision = decisions[member.member_id]
        assert decision.outcome is jieqin.Outcome.INELIGIBLE
        assert "major_illness" in {c.name for c in decision.conditions if not c.held}


def test_off_campaign_households_were_not_paired_and_got_nothing(
    campaign: jieqin.Campaign, cohort: Cohort
) -> None:
    tongchuan = jieqin.RegionCode("610200")
    off = [
        h for h in cohort.households if h.status == MOVED_AWAY or not tongchuan.contains(h.region)
    ]
    assert {h.status == MOVED_AWAY for h in off} == {True, False}
    scholarship = _decisions(campaign, FRESHMAN_SCHOLARSHIP)
    illness = _decisions(campaign, MAJOR_ILLNESS_GRANT)
    with campaign.unit_of_work() as uow:
        for household in off:
            assert uow.pairings.list(household_id=household.household_id) == []
            assert uow.referrals.list(household_id=household.household_id) == []
            assert uow.grants.list(household_id=household.household_id) == []
    planted = outside = 0
    for household in off:
        for member in household.members:
            if member.schooling and member.schooling.is_first_year(2021):
                decisions = scholarship
            elif member.health.major_illness:
                decisions = illness
            else:
                continue
            if not tongchuan.contains(household.region):
                # Tongchuan's programmes serve 6102 only: an outsider is not decided at all
                assert member.member_id not in decisions
                outside += 1
                continue
            planted += 1
            decision = decisions[member.member_id]
            assert decision.outcome is jieqin.Outcome.INELIGIBLE
            assert "household_paired" in {c.name for c in decision.conditions if not c.held}
    assert planted >= 1
    assert outside >= 1


def test_every_grant_is_explained_by_its_decision(campaign: jieqin.Campaign) -> None:
    with campaign.unit_of_work() as uow:
        grants = uow.grants.list()
        assert len(grants) == 26
        for grant in grants:
            decision = uow.decisions.get(grant.decision_id)
            assert decision.outcome is jieqin.Outcome.GRANTED
            assert all(c.held for c in decision.conditions)
            assert decision.amount == grant.amount == Decimal("5000.00")


def test_every_activity_refers_to_a_pairing_active_on_its_date(campaign: jieqin.Campaign) -> None:
    with campaign.unit_of_work() as uow:
        pairings: dict[tuple[str, str], list[jieqin.Pairing]] = {}
        for p in uow.pairings.list():
            pairings.setdefault((p.helper_id, p.household_id), []).append(p)
        activities = uow.activities.list()
    assert len(activities) == 16506
    for activity in activities:
        assert any(
            p.active_on(activity.on) for p in pairings[(activity.helper_id, activity.household_id)]
        )
    assert {a.on.year for a in activities} == {2021}


def test_no_helper_has_more_than_two_households(campaign: jieqin.Campaign) -> None:
    with campaign.unit_of_work() as uow:
        active = uow.pairings.active_on(jieqin.Year(2021).end)
    per_helper: dict[str, int] = {}
    for p in active:
        per_helper[p.helper_id] = per_helper.get(p.helper_id, 0) + 1
    assert max(per_helper.values()) <= 2
    assert len(per_helper) == 755
    assert len({p.household_id for p in active}) == 772


def test_without_the_tongchuan_plugin_the_demo_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIEQIN_BLOCKED_PLUGINS", "tongchuan")
    db = tmp_path / "demo.db"
    result = CliRunner().invoke(cli, ["demo", "--db", str(db)])
    assert result.exit_code == 1
    assert "pip install -e plugins/jieqin-tongchuan" in result.output
    assert "Traceback" not in result.output
    assert not db.exists()


def test_demo_help_has_an_example() -> None:
    result = CliRunner().invoke(cli, ["demo", "--help"])
    assert result.exit_code == 0
    assert "jieqin demo --db tongchuan.db" in result.output
    assert "jieqin-demo.db" in result.output
