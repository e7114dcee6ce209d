"""``jieqin warnings list|check`` and ``jieqin monitor`` on a SQLite file: a warning
listed, overdue, checked and confirmed; a household proposed for elimination, refused
while unstable, approved by someone else, objected to, committed after its notice."""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.clock import FixedClock
from jieqin.model import Month
from jieqin.privacy import find_sensitive

sys.path.insert(0, str(Path(__file__).parent))
from monitoring_lifecycle_world import Calendar, income, populate, raise_warnings, warning


@pytest.fixture(autouse=True)
def calendar(monkeypatch: pytest.MonkeyPatch) -> Calendar:
    """The command line's today: 2021-12-07 until a test moves it on."""
    calendar = Calendar()
    monkeypatch.setattr("jieqin.clock.SystemClock.today", lambda self: calendar.day)
    return calendar


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "campaign.db"
    with jieqin.connect(f"sqlite:///{path}", clock=FixedClock(date(2021, 12, 7))) as campaign:
        populate(campaign, amounts={"2021-11": Decimal("400")})
        raise_warnings(
            campaign,
            warning("hh001", "rw1", rules=("medical_burden",), raised_on=date(2021, 11, 1)),
            warning("hh002", "rw2", raised_on=date(2021, 12, 1)),
        )
    return str(path)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run a command that must fail: exit 1 and one line on stderr, which is returned."""
    capsys.readouterr()
    assert run_cli(cli, list(args)) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ")
    assert "Traceback" not in err
    assert err.count("\n") == 1
    return err


def test_warnings_list_masks_the_rules_and_shows_the_overdue(db: str) -> None:
    code, out = run("warnings", "list", "--as-of", "2021-12-07", "--json", "--db", db)
    assert code == 0
    rows = json.loads(out)
    assert [r["warning_id"] for r in rows] == ["rw1", "rw2"]
    assert {r["rules"] for r in rows} == {"<masked>"}  # the same in every row
    assert "medical_burden" not in out
    assert rows[0]["overdue"] is True
    assert rows[0]["days_overdue"] == 21
    code, out = run("warnings", "list", "--overdue", "--as-of", "2021-12-07", "--db", db)
    assert code == 0
    assert "rw1" in out
    assert "rw2" not in out
    assert "1 warnings with an overdue check" in out


def test_warnings_check_confirms_and_the_status_follows(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    err = fails(
        capsys,
        "warnings", "check", "rw1", "--result", "confirmed", "--category", "lifted_out",
        "--checked-by", "h001", "--db", db,
    )  # fmt: skip
    assert "not a monitored status" in err
    err = fails(capsys, "warnings", "check", "rw1", "--result", "dismissed", "--checked-by",
                "h002", "--reason", "无", "--db", db)  # fmt: skip
    assert "not paired" in err
    code, out = run(
        "warnings", "check", "rw1", "--result", "confirmed", "--category", "sudden_difficulty",
        "--checked-by", "h001", "--note", "户主住院，电话13800138000", "--on", "2021-12-06",
        "--actor", "clerk:li", "--json", "--db", db,
    )  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert (data["status"], data["category"], data["checked_on"]) == (
        "confirmed",
        "sudden_difficulty",
        "2021-12-06",
    )
    assert data["needs"]
    assert find_sensitive(out) == []
    err = fails(capsys, "warnings", "check", "rw1", "--result", "dismissed", "--reason", "x",
                "--checked-by", "h001", "--db", db)  # fmt: skip
    assert "a decision stands" in err
    with (
        jieqin.connect(f"sqlite:///{db}") as campaign,
        campaign.unit_of_work("t", read_only=True) as uow,
    ):
        household = uow.households.get("hh001")
    assert household.status_on(date(2021, 12, 6)) == "sudden_difficulty"


def test_monitor_from_proposal_to_commit(
    db: str, capsys: pytest.CaptureFixture[str], calendar: Calendar
) -> None:
    # the household's open warning is looked at first
    err = fails(capsys, "monitor", "eliminate", "hh001", "--checked-by", "h001",
                "--checked-on", "2021-12-03", "--db", db)  # fmt: skip
    assert "warning rw1 of household hh001 is assigned" in err
    code, _ = run("warnings", "check", "rw1", "--result", "dismissed", "--reason", "临时波动",
                  "--checked-by", "h001", "--db", db)  # fmt: skip
    assert code == 0
    # November's income was below the line: refused, naming the month
    err = fails(capsys, "monitor", "eliminate", "hh001", "--checked-by", "h001",
                "--checked-on", "2021-12-03", "--db", db)  # fmt: skip
    assert "2021-11" in err
    assert "not above the line" in err
    code, out = run("monitor", "stability", "hh001", "--as-of", "2021-12-07", "--json",
                    "--db", db)  # fmt: skip
    assert code == 0
    assert json.loads(out)["stable"] is False
    # a later survey of November finds the income above the line after all
    again = attrs.evolve(
        income("hh001", Month(2021, 11)),
        observation_id="ob:hh001:2021-11:again",
        recorded_on=date(2021, 12, 7),
    )
    with jieqin.connect(f"sqlite:///{db}") as campaign, campaign.unit_of_work("survey") as uow:
        uow.observations.add(again)
        uow.commit()
    code, out = run("monitor", "eliminate", "hh001", "--checked-by", "h001", "--checked-on",
                    "2021-12-03", "--note", "务工收入稳定", "--actor", "clerk:li", "--db", db)  # fmt: skip
    assert code == 0, out
    assert "PENDING: elimination el:hh001:1" in out
    assert "stable: income above the line each of the 6 months 2021-06 to 2021-11" in out
    err = fails(capsys, "monitor", "approve", "el:hh001:1", "--actor", "clerk:li", "--db", db)
    assert "maker-checker" in err
    code, out = run("monitor", "approve", "el:hh001:1", "--actor", "approver:sun", "--days",
                    "3", "--db", db)  # fmt: skip
    assert code == 0
    assert "2021-12-09" in out
    code, out = run("monitor", "object", "el:hh001:1", "--reason", "收入不实", "--objector",
                    "张三", "--db", db)  # fmt: skip
    assert code == 0
    assert "o:el:hh001:1:1" in out
    code, out = run("monitor", "list", "--json", "--db", db)
    row = json.loads(out)[0]
    assert row["objections"][0]["objector"] != "张三"
    assert row["status"] == "approved"
    calendar.day = date(2021, 12, 10)
    err = fails(capsys, "monitor", "commit", "el:hh001:1", "--db", db)
    assert "held by objection o:el:hh001:1:1" in err
    code, out = run("monitor", "objection", "o:el:hh001:1:1", "--dismiss", "--reason",
                    "经核实属实", "--actor", "approver:sun", "--db", db)  # fmt: skip
    assert code == 0
    assert "goes on" in out
    code, out = run("monitor", "commit", "el:hh001:1", "--db", db)
    assert code == 0
    assert "household hh001 is lifted_out from 2021-12-10 (was unstable)" in out
    code, out = run("monitor", "--status", "committed", "--db", db)
    assert "el:hh001:1" in out
