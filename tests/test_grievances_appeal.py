"""Appeals: a refusal decided again under the rules of its day, both decisions kept,
a grant only when the fund can pay and nobody waits ahead; ``jieqin aid appeal``."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.errors import AppealRefused, InvalidValue, NotFound
from jieqin.model import GrievanceStage, Outcome, TargetKind, Year
from jieqin.services.aid import decision_id, explain_member
from jieqin.services.grievances import Appeal, appeal

sys.path.insert(0, str(Path(__file__).parent))
from grievance_world import CHANGED, DECIDED, FUND, PROGRAM, connected, store

YEAR = Year(2021)
APPEALED = date(2021, 11, 1)
H1 = decision_id(PROGRAM, YEAR, "h1-1")


def decided(campaign: jieqin.Campaign, *, budget: str = "10000") -> None:
    """Stored and allocated on 2021-09-01: h2-1 (71) and h3-1 (81) eligible, h1-1 (56)
    and h1-2 (31) not; the age threshold of 60 becomes 50 on 2021-10-01."""
    store(campaign, budget=budget)
    campaign.allocate(PROGRAM, YEAR, on=DECIDED)


def appealed(campaign: jieqin.Campaign, decision: str = H1) -> Appeal:
    with campaign.unit_of_work("clerk:li") as uow:
        return appeal(
            uow,
            campaign.aid_program(PROGRAM),
            decision,
            reason="我已满六十岁，户口本登记错了",
            on=APPEALED,
            parameters=campaign.registry.campaign_parameters(),
        )


def born(campaign: jieqin.Campaign, member_id: str, day: date) -> None:
    """Correct a member's birth date (the appeal brought the papers)."""
    with campaign.unit_of_work("clerk:li") as uow:
        household = uow.households.get(uow.households.household_of(member_id))
        members = [
            attrs.evolve(m, birth_date=day) if m.member_id == member_id else m
            for m in household.members
        ]
        uow.households.update(attrs.evolve(household, members=members))
        uow.commit()


@pytest.fixture
def world(campaign_url: str) -> Iterator[jieqin.Campaign]:
    with connected(campaign_url) as campaign:
        yield campaign


def test_an_appeal_is_decided_under_the_rules_of_the_decision_day(world: jieqin.Campaign) -> None:
    decided(world)
    with world.unit_of_work(read_only=True) as uow:
        original = uow.decisions.get(H1)
        # decided today, under the values since 2021-10-01, she would be eligible
        now, _ = explain_member(uow, world.aid_program(PROGRAM), "h1-1", YEAR, on=APPEALED)
    assert original.outcome is Outcome.INELIGIBLE
    assert now.eligible
    done = appealed(world)
    again = done.redecision
    assert again.outcome is Outcome.INELIGIBLE  # 56 < 60, the threshold of 2021-09-01
    assert again.decided_on == DECIDED
    assert again.parameters["senior_aid_min_age"].startswith("60 (since 2021-01-01")
    assert again.reason.startswith("upheld on appeal (rules of 2021-09-01): failed: old_enough")
    assert done.grant is None
    g = done.grievance
    assert (g.category, g.stage, g.target.kind, g.target.target_id) == (
        "appeal",
        GrievanceStage.ANSWERED,
        TargetKind.DECISION,
        H1,
    )
    assert (g.received_on, g.answered_on, g.due_on) == (APPEALED, APPEALED, date(2021, 12, 31))
    assert g.redecision_id == again.decision_id == f"d:{PROGRAM}:2021:h1-1:appeal:1"
    with world.unit_of_work(read_only=True) as uow:
        # both outcomes are kept
        assert uow.decisions.get(H1) == original
        assert uow.decisions.get(again.decision_id) == again
        assert uow.grievances.get(g.grievance_id) == g
        assert uow.audit.entries(entity="grievances")[0].changes["description"] == "<set>"


def test_eligible_on_appeal_is_granted_the_amount_of_the_decision_day(
    world: jieqin.Campaign,
) -> None:
    decided(world)
    born(world, "h1-1", date(1958, 6, 1))  # 63 on 2021-09-01
    done = appealed(world)
    assert done.redecision.outcome is Outcome.GRANTED
    assert done.grant is not None
    # 3,000 yuan as on 2021-09-01, not the 4,000 of 2021-10-01
    assert done.grant.amount == done.redecision.amount == Decimal("3000.00")
    assert done.grant.decision_id == done.redecision.decision_id
    assert done.grant.decided_on == APPEALED
    with world.unit_of_work(read_only=True) as uow:
        assert uow.funds.spent(FUND) == Decimal("9000.00")
        assert uow.decisions.get(H1).outcome is Outcome.INELIGIBLE
    # the member now holds the grant: no second appeal, no second grant on a re-run
    with pytest.raises(AppealRefused, match="already holds grant"):
        appealed(world)
    plan = world.allocate(PROGRAM, YEAR, on=CHANGED)
    assert "h1-1" in plan.already_granted
    assert all(g.member_id != "h1-1" for g in plan.grants)
    with world.unit_of_work(read_only=True) as uow:
        held = [g for g in uow.grants.list(member_id="h1-1") if g.in_force]
        assert len(held) == 1
        assert uow.decisions.get(H1).outcome is Outcome.INELIGIBLE  # still the original


def test_an_appeal_never_overspends_the_fund(world: jieqin.Campaign) -> None:
    decided(world, budget="6000")  # h2-1 and h3-1 take all of it
    born(world, "h1-1", date(1958, 6, 1))
    done = appealed(world)
    assert done.redecision.outcome is Outcome.WAIT_LISTED
    assert done.grant is None
    assert f"fund {FUND} has 0.00 yuan left, 3000.00 needed" in done.redecision.reason
    with world.unit_of_work(read_only=True) as uow:
        assert uow.funds.spent(FUND) == Decimal("6000.00")
    # after a top-up, the ordinary allocation grants in priority order
    world.top_up_fund(FUND, Decimal("3000"), reason="追加", on=date(2021, 11, 5))
    plan = world.allocate(PROGRAM, YEAR, on=DECIDED)
    assert [g.member_id for g in plan.grants] == ["h1-1"]


def test_an_appeal_does_not_jump_the_wait_list(world: jieqin.Campaign) -> None:
    decided(world, budget="3000")  # one of h2-1, h3-1 granted, the other wait-listed
    world.top_up_fund(FUND, Decimal("3000"), reason="追加", on=date(2021, 10, 20))
    born(world, "h1-1", date(1958, 6, 1))
    done = appealed(world)
    assert done.redecision.outcome is Outcome.WAIT_LISTED
    assert "1 wait-listed member(s) of the programme period come first" in done.redecision.reason
    assert done.grant is None


def test_what_cannot_be_appealed(world: jieqin.Campaign) -> None:
    decided(world)
    with pytest.raises(AppealRefused, match="granted the aid"):
        appealed(world, decision_id(PROGRAM, YEAR, "h2-1"))
    with pytest.raises(NotFound, match="no decision nope"):
        appealed(world, "nope")
    with world.unit_of_work("clerk") as uow, pytest.raises(InvalidValue, match="before"):
        appeal(
            uow, world.aid_program(PROGRAM), H1, reason="x", on=date(2021, 8, 1), parameters=None
        )
    with world.unit_of_work(read_only=True) as uow:
        assert uow.grievances.count() == 0


# --- jieqin aid appeal --------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> str:
    from test_aid import setup

    path = tmp_path / "campaign.db"
    with jieqin.connect(f"sqlite:///{path}") as campaign:
        setup(campaign)
        campaign.allocate("tc_freshman_scholarship", YEAR, on=DECIDED)
        campaign.allocate("tc_major_illness_grant", YEAR, on=DECIDED)
    return str(path)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def test_the_command_prints_both_decisions(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    appealed_id = "d:tc_freshman_scholarship:2021:h2-2"  # in her second year: refused
    code, out = run(
        "aid",
        "appeal",
        appealed_id,
        "--reason",
        "录取通知书已补交",
        "--on",
        "2021-10-12",
        "--db",
        db,
    )
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("Appeal gv:")
    assert lines[1].split()[0] == "original"
    assert "ineligible" in lines[1]
    assert lines[2].split()[:2] == ["on", "appeal"]
    assert "upheld on appeal" in lines[2]
    # her year of entry corrected, the appeal grants
    with jieqin.connect(f"sqlite:///{db}") as campaign, campaign.unit_of_work("c") as uow:
        household = uow.households.get("h2")
        student = household.member("h2-2")
        fixed = attrs.evolve(student, schooling=attrs.evolve(student.schooling, year_of_entry=2021))
        uow.households.update(attrs.evolve(household, members=[household.members[0], fixed]))
        uow.commit()
    code, out = run(
        "aid",
        "appeal",
        appealed_id,
        "--reason",
        "入学年份登记错误",
        "--on",
        "2021-10-13",
        "--json",
        "--db",
        db,
    )
    data = json.loads(out)
    assert (data["original"]["outcome"], data["on_appeal"]["outcome"]) == (
        "ineligible",
        "granted",
    )
    assert data["grant"]["amount"] == "5000.00"
    assert data["grievance"]["description"] == "<masked>"
    capsys.readouterr()
    assert run_cli(cli, ["aid", "appeal", appealed_id, "--reason", "x", "--db", db]) == 1
    assert "already holds grant" in capsys.readouterr().err


def test_the_outcome_under_a_health_programme_is_masked(db: str) -> None:
    chronic = "d:tc_major_illness_grant:2021:h4-1"  # chronic, not major, illness: refused
    code, out = run(
        "aid", "appeal", chronic, "--reason", "病情加重", "--on", "2021-10-12", "--db", db
    )
    assert code == 0, out
    assert not any(word in out for word in ("ineligible", "failed", "chronic"))
    assert out.count("<masked>") >= 2
    code, out = run("grievances", "list", "--json", "--db", db)
    (row,) = json.loads(out)
    assert (row["target_kind"], row["target_id"]) == ("decision", "<masked>")
    assert "ineligible" not in row["answer"]
