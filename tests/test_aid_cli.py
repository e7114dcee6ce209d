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

sys.path.insert(0, str(Path(__file__).parent))
from test_aid import SCHOLARSHIP, setup


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
    assert "yuan left" in waiting[0]["reason"]
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
    assert "[x] household_paired: paired=yes == yes" in out
    code, out = run("aid", "explain", SCHOLARSHIP, "h2-2", "--period", "2021", "--json", "--db", db)
    data = json.loads(out)
    assert data["eligible"] is False
    failed = [c["name"] for c in data["conditions"] if not c["held"]]
    assert "college_freshman" in failed
    assert data["inputs"]["resident_id"] == "<masked>"


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


def test_programs_lists_rules_and_the_amount_in_force(db: str) -> None:
    code, out = run("aid", "programs", "--on", "2021-09-01", "--json", "--db", db)
    assert code == 0
    rows = {r["program"]: r for r in json.loads(out)}
    assert rows[SCHOLARSHIP]["amount"] == "5000.00"
    assert "college_freshman" in rows[SCHOLARSHIP]["rules"]
    code, out = run("aid", "programs", "--on", "2020-06-01", "--db", db)
    assert "no amount in force" in out
