"""``jieqin funds``, ``jieqin grants`` and what ``jieqin aid run`` prints of who got what."""

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
from test_aid import ILLNESS, SCHOLARSHIP, setup

FUND = f"f-{SCHOLARSHIP}"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "campaign.db"
    with jieqin.connect(f"sqlite:///{path}") as campaign:
        setup(campaign, budget="5000")
    return str(path)


def run(*args: str) -> tuple[int, str]:
    """Run a command; its tables on one line per row (a wide terminal)."""
    result = CliRunner(env={"COLUMNS": "240"}).invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The one error line of a command that fails (exit 1, no traceback)."""
    assert run_cli(cli, list(args)) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ")
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


def _fund(db: str, fund_id: str = FUND) -> dict[str, object]:
    code, out = run("funds", "list", "--json", "--db", db)
    assert code == 0
    (row,) = [r for r in json.loads(out) if r["fund"] == fund_id]
    return dict(row)


def _report_grants(db: str) -> list[tuple[str, int, str]]:
    code, out = run("report", "--period", "2021", "--json", "--db", db)
    assert code == 0
    return [(g["program"], g["count"], g["amount"]) for g in json.loads(out)["grants"]]


def test_funds_add_top_up_close_and_list(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        "funds", "add", "F2021-B", "--program", SCHOLARSHIP, "--period", "2021",
        "--budget", "60000", "--name", "2021年新生助学金", "--db", db,
    )  # fmt: skip
    assert code == 0
    assert out.startswith(f"Added fund F2021-B of {SCHOLARSHIP} for 2021: 60000.00 yuan")
    err = fails(
        capsys, "funds", "add", "F2021-B", "--program", SCHOLARSHIP, "--period", "2021",
        "--budget", "1", "--db", db,
    )  # fmt: skip
    assert "F2021-B already exists" in err
    assert "funds top-up F2021-B" in err
    err = fails(
        capsys, "funds", "add", "F-x", "--program", "nope", "--period", "2021",
        "--budget", "1", "--db", db,
    )  # fmt: skip
    assert "no aid programme 'nope'" in err

    code, out = run(
        "funds", "top-up", "F2021-B", "20000", "--reason", "市慈善协会追加", "--on",
        "2021-09-15", "--db", db,
    )  # fmt: skip
    assert code == 0
    assert "Topped up fund F2021-B by 20000.00 yuan on 2021-09-15" in out
    assert "its budget is now 80000.00 yuan, 80000.00 left" in out
    assert "more than 0" in fails(
        capsys, "funds", "top-up", "F2021-B", "0", "--reason", "x", "--db", db
    )
    assert "more than 0" in fails(
        capsys, "funds", "top-up", "--reason", "x", "--db", db, "--", "F2021-B", "-5"
    )
    assert "no fund F-none" in fails(
        capsys, "funds", "top-up", "F-none", "5", "--reason", "x", "--db", db
    )
    code, _ = run("funds", "top-up", "F2021-B", "5", "--db", db)
    assert code == 2  # --reason is required

    code, out = run(
        "funds", "close", "F2021-B", "--reason", "并入", "--on", "2021-10-01", "--db", db
    )
    assert code == 0
    assert "Closed fund F2021-B on 2021-10-01" in out
    err = fails(capsys, "funds", "top-up", "F2021-B", "5", "--reason", "late", "--db", db)
    assert "F2021-B was closed on 2021-10-01" in err
    assert "closed" in fails(capsys, "funds", "close", "F2021-B", "--reason", "x", "--db", db)

    row = _fund(db, "F2021-B")
    assert (row["initial_budget"], row["topped_up"], row["budget"]) == (
        "60000.00",
        "20000.00",
        "80000.00",
    )
    assert (row["granted"], row["remaining"], row["closed_on"]) == (
        "0.00",
        "80000.00",
        "2021-10-01",
    )
    code, out = run("funds", "list", "--program", SCHOLARSHIP, "--changes", "--db", db)
    assert code == 0
    assert "F2021-B (2021年新生助学金)" in out
    assert "F2021-B #1 2021-09-15 top_up +20000.00 yuan by cli: 市慈善协会追加" in out
    assert "F2021-B #2 2021-10-01 close by cli: 并入" in out
    assert ILLNESS not in out
    code, out = run("funds", "list", "--period", "2022", "--db", db)
    assert "No funds for 2022: add one with `jieqin funds add" in out


def test_aid_run_lists_who_was_granted_and_wait_listed_then_a_top_up_grants_the_rest(
    db: str,
) -> None:
    code, out = run("aid", "run", SCHOLARSHIP, "--period", "2021", "--db", db)
    assert code == 0
    assert "1 granted (5000.00 yuan), 1 wait-listed" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [r[:3] for r in rows] == [["1", "granted", "h6-2"], ["2", "wait-listed", "h1-2"]]
    assert all(r[-2:] == ["5000.00", "yuan"] for r in rows)
    names = [r[3] for r in rows]
    assert all(name.startswith("王") and set(name[1:]) == {"*"} for name in names), names
    assert _fund(db)["wait_listed"] == 1

    code, out = run("funds", "top-up", FUND, "5000", "--reason", "追加", "--db", db)
    assert "1 wait-listed: run `jieqin aid run tc_freshman_scholarship --period 2021 --fund" in out
    code, out = run("aid", "run", SCHOLARSHIP, "--period", "2021", "--json", "--db", db)
    data = json.loads(out)
    assert (data["granted"], data["wait_listed"], data["already_granted"]) == (1, 0, 1)
    (line,) = data["ranked"]
    assert (line["rank"], line["member"], line["outcome"], line["amount"]) == (
        1,
        "h1-2",
        "granted",
        "5000.00",
    )
    assert line["name"].startswith("王")
    assert set(line["name"][1:]) == {"*"}
    row = _fund(db)
    assert (row["budget"], row["granted"], row["remaining"], row["wait_listed"]) == (
        "10000.00",
        "10000.00",
        "0.00",
        0,
    )


def test_aid_run_of_a_health_programme_prints_counts_only_unless_revealed(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run("aid", "run", ILLNESS, "--period", "2021", "--dry-run", "--db", db)
    assert code == 0
    assert "1 granted" in out
    assert "h3-1" not in out
    assert "王" not in out
    assert "`--reveal --purpose TEXT` lists them" in out
    code, out = run("aid", "run", ILLNESS, "--period", "2021", "--dry-run", "--json", "--db", db)
    data = json.loads(out)
    assert (data["ranked"], data["ranked_withheld"], data["decisions"]) == ([], 1, [])
    assert "h3-1" not in out
    err = fails(capsys, "aid", "run", ILLNESS, "--period", "2021", "--reveal", "--db", db)
    assert "needs a purpose" in err
    with jieqin.connect(f"sqlite:///{db}") as campaign, campaign.unit_of_work("t") as uow:
        assert uow.grants.count() == 0  # the refused reveal allocated nothing
    code, out = run(
        "aid", "run", ILLNESS, "--period", "2021", "--reveal", "--purpose", "救助审核",
        "--db", db,
    )  # fmt: skip
    assert code == 0
    (row,) = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert row[:3] == ["1", "granted", "h3-1"]
    assert "*" not in row[3]  # revealed: the full name
    with jieqin.connect(f"sqlite:///{db}") as campaign, campaign.unit_of_work("t") as uow:
        (entry,) = [e for e in uow.audit.entries() if e.action == "reveal"]
        assert entry.changes["purpose"] == "救助审核"
        assert "h3-1" in json.dumps(entry.changes)


def test_aid_run_needs_a_fund_and_chooses_with_fund(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "empty.db")
    with jieqin.connect(f"sqlite:///{db}") as campaign:
        setup(campaign, budget="5000")
    err = fails(capsys, "aid", "run", SCHOLARSHIP, "--period", "2022", "--db", db)
    assert f"no fund for programme {SCHOLARSHIP} in 2022" in err
    assert f"jieqin funds add FUND_ID --program {SCHOLARSHIP} --period 2022" in err
    run(
        "funds",
        "add",
        "F-2",
        "--program",
        SCHOLARSHIP,
        "--period",
        "2021",
        "--budget",
        "9",
        "--db",
        db,
    )
    err = fails(capsys, "aid", "run", SCHOLARSHIP, "--period", "2021", "--db", db)
    assert "several funds" in err
    assert "--fund" in err
    code, out = run("aid", "run", SCHOLARSHIP, "--period", "2021", "--fund", "F-2", "--db", db)
    assert code == 0
    assert "0 granted (0.00 yuan), 2 wait-listed" in out
    assert "9.00 yuan left in F-2" in out
    assert "no fund F-9" in fails(
        capsys, "aid", "run", SCHOLARSHIP, "--period", "2021", "--fund", "F-9", "--db", db
    )


def test_grants_list_and_revoke(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    run("funds", "top-up", FUND, "5000", "--reason", "追加", "--db", db)
    run("aid", "run", SCHOLARSHIP, "--period", "2021", "--db", db)
    run("aid", "run", ILLNESS, "--period", "2021", "--db", db)
    assert sorted(_report_grants(db)) == [(SCHOLARSHIP, 2, "10000.00"), (ILLNESS, 1, "5000.00")]
    code, out = run("grants", "list", "--db", db)
    assert code == 0
    assert f"g:{SCHOLARSHIP}:2021:h1-2" in out
    assert "h3-1" not in out  # a health programme's grant tells the member's health
    assert f"1 grant of {ILLNESS} not shown" in out
    code, out = run("grants", "list", "--json", "--household", "h1", "--db", db)
    data = json.loads(out)
    assert [g["member"] for g in data["grants"]] == ["h1-2"]
    assert data["withheld"] == {}

    target = f"g:{SCHOLARSHIP}:2021:h1-2"
    code, out = run(
        "grants", "revoke", target, "--reason", "重复申报", "--on", "2021-10-08", "--db", db
    )
    assert code == 0
    assert f"Revoked grant {target} (5000.00 yuan) on 2021-10-08" in out
    assert f"back in fund {FUND}, which has 5000.00 yuan left" in out
    assert sorted(_report_grants(db)) == [(SCHOLARSHIP, 1, "5000.00"), (ILLNESS, 1, "5000.00")]
    row = _fund(db)
    assert (row["granted"], row["remaining"], row["revoked"]) == ("5000.00", "5000.00", 1)
    err = fails(capsys, "grants", "revoke", target, "--reason", "again", "--db", db)
    assert f"{target} was already revoked on 2021-10-08" in err
    assert "no grant g-none" in fails(
        capsys, "grants", "revoke", "g-none", "--reason", "x", "--db", db
    )
    code, out = run("grants", "list", "--program", SCHOLARSHIP, "--period", "2021", "--db", db)
    assert "revoked 2021-10-08" in out
    code, out = run("aid", "explain", SCHOLARSHIP, "h1-2", "--period", "2021", "--db", db)
    assert "Decision history:" in out
    assert "revoked: grant" in out

    code, out = run("aid", "run", SCHOLARSHIP, "--period", "2021", "--on", "2021-10-09", "--db", db)
    assert "1 granted (5000.00 yuan)" in out
    assert sorted(_report_grants(db)) == [(SCHOLARSHIP, 2, "10000.00"), (ILLNESS, 1, "5000.00")]
    code, out = run("grants", "list", "--json", "--household", "h1", "--db", db)
    states = [(g["grant"], g["revoked_on"]) for g in json.loads(out)["grants"]]
    assert states == [(target, "2021-10-08"), (f"{target}:r1", None)]
