"""The ``jieqin aid run``, ``jieqin aid explain`` and ``jieqin needs`` commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.model import Year

sys.path.insert(0, str(Path(__file__).parent))
from test_aid import SCHOLARSHIP, _late_freshman, setup


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "campaign.db"
    with jieqin.connect(f"sqlite:///{path}") as campaign:
        setup(campaign, budget="5000")
    return str(path)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def test_dry_run_then_run_then_rerun(db: str) -> None:
    code, out = run("aid", "run", SCHOLARSHIP, "--period", "2021", "--dry-run", "--db", db)
    assert code == 0
    assert out.startswith("DRY RUN: nothing written.")
    assert "1 granted (5000.00 yuan), 1 wait-listed" in out
    code, out = run("aid", "run", SCHOLARSHIP, "--period", "2021", "--json", "--db", db)
    data = json.loads(out)
    assert (data["granted"], data["wait_listed"], data["remaining"]) == (1, 1, "0.00")
    waiting = [d for d in data["decisions"] if d["outcome"] == "wait_listed"]
    assert "yuan left when rank 2 was reached and 5000.00 were needed" in waiting[0]["reason"]
    assert (
        "strict priority order: nobody ranked lower is granted before rank 2"
        in (waiting[0]["reason"])
    )
    code, out = run("aid", "run", SCHOLARSHIP, "--period", "2021", "--json", "--db", db)
    again = json.loads(out)
    assert (again["granted"], again["already_granted"]) == (0, 1)


def test_explain_lists_conditions_and_masks_health(db: str) -> None:
    code, out = run(
        "aid", "explain", "tc_major_illness_grant", "h3-1", "--period", "2021", "--db", db
    )
    assert code == 0
    # Under a health programme the verdict itself tells the health fact: masked, and the
    # health conditions neither ticked nor crossed.
    assert "ELIGIBLE" not in out
    assert "[x] major_illness" not in out
    assert "[?] <masked>: <masked>" in out
    assert "[x] household_paired: paired yes == yes" in out
    code, out = run("aid", "explain", SCHOLARSHIP, "h2-2", "--period", "2021", "--json", "--db", db)
    data = json.loads(out)
    assert data["eligible"] is False
    failed = [c["name"] for c in data["conditions"] if not c["held"]]
    assert "college_freshman" in failed
    assert data["inputs"]["resident_id"] == "<masked>"


def test_explain_agrees_with_the_stored_decision_and_says_which_day(tmp_path: Path) -> None:
    db = str(tmp_path / "enough.db")
    with jieqin.connect(f"sqlite:///{db}") as campaign:
        setup(campaign)  # money for every freshman
        _late_freshman(campaign)  # h7-2: paired from 2021-06-01 only
    code, out = run("aid", "explain", SCHOLARSHIP, "h7-2", "--period", "2021", "--db", db)
    assert code == 0
    assert "Rules applied on 2021-12-31: no stored decision; today (" in out
    code, out = run("aid", "run", SCHOLARSHIP, "--period", "2021", "--on", "2021-09-15", "--db", db)
    assert code == 0
    code, out = run("aid", "explain", SCHOLARSHIP, "h7-2", "--period", "2021", "--db", db)
    lines = out.splitlines()
    assert lines[0] == f"h7-2 under {SCHOLARSHIP} in 2021: ELIGIBLE"
    assert lines[1] == "Rules applied on 2021-09-15: the day of the latest stored decision."
    assert "  [x] household_paired: paired yes == yes" in lines
    assert any(line.startswith("Stored decision (2021-09-15, ") for line in lines)
    assert "granted; all conditions held" in out
    args = ("aid", "explain", SCHOLARSHIP, "h7-2", "--period", "2021", "--on", "2021-03-01")
    code, out = run(*args, "--db", db)
    lines = out.splitlines()
    assert lines[0] == f"h7-2 under {SCHOLARSHIP} in 2021: not eligible"
    assert lines[1] == "Rules applied on 2021-03-01: the day asked for."
    assert "  [ ] household_paired: paired no != yes" in lines
    code, out = run(*args, "--json", "--db", db)
    data = json.loads(out)
    assert (data["on"], data["on_why"], data["eligible"]) == (
        "2021-03-01",
        "the day asked for",
        False,
    )
    assert data["stored_decision"]["outcome"] == "granted"


def test_unknown_programme_is_one_line_error(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(cli, ["aid", "run", "nope", "--period", "2021", "--db", db])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: no aid programme 'nope'; known:")


def test_needs_derive_route_and_list(db: str) -> None:
    code, out = run("needs", "--period", "2021", "--derive", "--route", "--json", "--db", db)
    assert code == 0
    rows = {(r["member"], r["kind"]): r for r in json.loads(out)}
    assert rows[("h1-2", "schooling")]["route"] == f"program:{SCHOLARSHIP}"
    assert rows[("h6-1", "employment")]["route"] == "referral:tc_employment_promotion_center"
    assert ("h5-2", "schooling") not in rows  # h5 is not paired
    code, out = run("needs", "--period", "2021", "--db", db)
    assert code == 0
    assert "needs in 2021" in out


def test_needs_list_says_why_a_need_has_no_route(db: str) -> None:
    from jieqin import SurveyAnswer

    with jieqin.connect(f"sqlite:///{db}") as campaign:
        campaign.survey_needs([SurveyAnswer("h5", "schooling", member_id="h5-2")], Year(2021))
    code, out = run("needs", "--period", "2021", "--route", "--json", "--db", db)
    assert code == 0
    row = next(r for r in json.loads(out) if r["member"] == "h5-2")
    assert (row["status"], row["route"]) == ("open", None)
    # h5 is not paired: the scholarship refuses, nobody else takes schooling needs
    assert row["why"] == (
        f"no route; not eligible for {SCHOLARSHIP} (failed: household_paired (paired no != "
        "yes)); no agency takes schooling needs; the household has no paired helper"
    )
    code, out = run("needs", "--period", "2021", "--status", "open", "--json", "--db", db)
    assert [r["why"] for r in json.loads(out) if r["member"] == "h5-2"] == [row["why"]]


def test_programs_lists_rules_and_the_amount_in_force(db: str) -> None:
    code, out = run("aid", "programs", "--on", "2021-09-01", "--json", "--db", db)
    assert code == 0
    rows = {r["program"]: r for r in json.loads(out)}
    assert rows[SCHOLARSHIP]["amount"] == "5000.00"
    assert "college_freshman" in rows[SCHOLARSHIP]["rules"]
    code, out = run("aid", "programs", "--on", "2020-06-01", "--db", db)
    assert "no amount in force" in out
