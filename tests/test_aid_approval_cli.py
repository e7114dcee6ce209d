"""``jieqin aid run --pending``, ``approve``, ``notice``, ``object``, ``objection``,
``commit``, ``withdraw``, ``plans`` and ``objections`` on a SQLite file."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.privacy import find_sensitive

sys.path.insert(0, str(Path(__file__).parent))
from conftest import InstallPlugin
from test_aid import SCHOLARSHIP, setup

PLAN = f"plan:{SCHOLARSHIP}:2021:1"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "campaign.db"
    with jieqin.connect(f"sqlite:///{path}") as campaign:
        setup(campaign, budget="10000")
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
    return err


def reserved(db: str) -> Decimal:
    with (
        jieqin.connect(f"sqlite:///{db}") as campaign,
        campaign.unit_of_work("reader", read_only=True) as uow,
    ):
        return uow.funds.reserved(f"f-{SCHOLARSHIP}")


def test_a_plan_from_the_command_line_through_approval_objection_and_withdrawal(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(
        "aid",
        "run",
        SCHOLARSHIP,
        "--period",
        "2021",
        "--pending",
        "--actor",
        "clerk:li",
        "--db",
        db,
    )
    assert code == 0
    assert out.startswith(f"PENDING: stored as plan {PLAN}; nothing is granted")
    assert "2 granted (10000.00 yuan)" in out
    assert reserved(db) == Decimal("10000.00")
    # maker-checker: the maker is refused, and so is a role that does not decide
    err = fails(capsys, "aid", "approve", PLAN, "--actor", "clerk:li", "--db", db)
    assert "maker-checker" in err
    principals = tmp_path / "principals.toml"
    principals.write_text('[principals."clerk:wang"]\nrole = "clerk"\nregions = ["*"]\n')
    as_clerk = ["--as", "clerk:wang", "--principals", str(principals)]
    err = fails(capsys, *as_clerk, "aid", "approve", PLAN, "--db", db)
    assert "a role that decides" in err
    code, out = run(
        "aid", "approve", PLAN, "--actor", "approver:sun", "--days", "7", "--json", "--db", db
    )
    assert code == 0
    approved = json.loads(out)
    today = date.today()
    assert (approved["status"], approved["approved_by"]) == ("approved", "approver:sun")
    assert approved["notice_until"] == (today + timedelta(days=6)).isoformat()
    _notice_is_clean(db)
    # an objection holds h1-2; the commit waits for the notice to end
    code, out = run(
        "aid", "object", PLAN, "--member", "h1-2", "--reason", "已经工作", "--by", "张三丰", "--json",
        "--db", db,
    )  # fmt: skip
    assert code == 0
    objection = json.loads(out)
    assert (objection["objection"], objection["objector"]) == (f"o:{PLAN}:1", "张**")
    code, out = run("aid", "objections", PLAN, "--json", "--db", db)
    assert [o["status"] for o in json.loads(out)] == ["open"]
    err = fails(capsys, "aid", "commit", PLAN, "--db", db)
    assert f"runs until {today + timedelta(days=6)}" in err
    err = fails(
        capsys, "aid", "objection", objection["objection"], "--dismiss", "--reason", "核实",
        "--actor", "clerk:li", "--db", db,
    )  # fmt: skip
    assert "maker-checker" in err
    code, out = run(
        "aid", "objection", objection["objection"], "--dismiss", "--reason", "经核实仍在校",
        "--actor", "approver:sun", "--db", db,
    )  # fmt: skip
    assert (code, out.strip()) == (0, f"Objection {objection['objection']} dismissed.")
    code, out = run("aid", "withdraw", PLAN, "--reason", "资金来源调整", "--db", db)
    assert code == 0
    assert reserved(db) == Decimal("0.00")
    code, out = run("aid", "plans", "--json", "--db", db)
    assert [(p["plan"], p["status"]) for p in json.loads(out)] == [(PLAN, "withdrawn")]


def _notice_is_clean(db: str) -> None:
    with (
        jieqin.connect(f"sqlite:///{db}") as campaign,
        campaign.unit_of_work("reader", read_only=True) as uow,
    ):
        people = [(h, m) for h in uow.households.list() for m in h.people]
    ids = [m.resident_id for _, m in people if m.resident_id]
    persons = [x for h, m in people for x in (m.member_id, m.name, h.household_id)]
    for fmt in ("text", "csv", "html"):
        for lang in ("zh", "en"):
            code, out = run("aid", "notice", PLAN, "--format", fmt, "--lang", lang, "--db", db)
            assert code == 0
            assert find_sensitive(out, resident_ids=ids, persons=persons) == []
            assert "5000.00" in out


def test_a_notice_is_written_to_a_file(db: str, tmp_path: Path) -> None:
    run("aid", "run", SCHOLARSHIP, "--period", "2021", "--pending", "--db", db)
    target = tmp_path / "公示.html"
    code, _ = run("aid", "notice", PLAN, "--format", "html", "-o", str(target), "--db", db)
    assert code == 0
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "草稿" in text  # not approved yet: a draft


def test_a_programme_that_needs_approval_names_pending(
    tmp_path: Path, install_plugin: InstallPlugin, capsys: pytest.CaptureFixture[str]
) -> None:
    install_plugin(
        "jieqin-approved-aid",
        "1.0",
        "approved_aid",
        """
        from decimal import Decimal
        from jieqin import AidProgram, Program, check, fact, hookimpl

        @hookimpl
        def jieqin_register_programs(register):
            program = Program("approved_aid", "临时救助", "民政局", "cash_grant", Decimal(800))
            register(AidProgram(program, check("anyone", fact("age") >= 0), approval=True))
        """,
    )
    db = str(tmp_path / "c.db")
    with jieqin.connect(f"sqlite:///{db}") as campaign:
        setup(campaign, budget="10000")
    err = fails(capsys, "aid", "run", "approved_aid", "--period", "2021", "--db", db)
    assert "`jieqin aid run approved_aid --period 2021 --pending`" in err
    code, out = run("aid", "run", "approved_aid", "--period", "2021", "--pending", "--db", db)
    assert code == 0
    assert out.startswith("PENDING: stored as plan plan:approved_aid:2021:1")
