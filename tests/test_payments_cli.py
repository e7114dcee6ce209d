"""``jieqin payments export`` and ``jieqin payments reconcile``, and what ``jieqin funds
list`` and ``jieqin grants list`` show of payments."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli

sys.path.insert(0, str(Path(__file__).parent))
from test_aid import SCHOLARSHIP, YEAR, setup

FUND = f"f-{SCHOLARSHIP}"
G1 = f"g:{SCHOLARSHIP}:2021:h1-2"
G6 = f"g:{SCHOLARSHIP}:2021:h6-2"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "campaign.db"
    with jieqin.connect(f"sqlite:///{path}") as campaign:
        setup(campaign)
        campaign.allocate(SCHOLARSHIP, YEAR)
    return str(path)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner(env={"COLUMNS": "240"}).invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def fails(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    """The error lines of a command that fails (exit 1, no traceback)."""
    assert run_cli(cli, list(args)) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ")
    assert "Traceback" not in err
    return err.strip().splitlines()


def write(path: Path, header: list[str], *rows: list[str]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


RESULT = ["grant_id", "amount", "status", "paid_on", "returned_on", "reference", "reason"]


def test_export_writes_the_batch_once_and_again_on_request(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "batch.csv"
    code, _, err = run(
        "payments", "export", "--program", SCHOLARSHIP, "--period", "2021", "--out", str(out),
        "--db", db,
    )  # fmt: skip
    assert code == 0
    assert f"Wrote payment batch pb:{SCHOLARSHIP}:2021:1 to {out}: 2 grants, 10000.00 yuan" in err
    assert "matches rows on grant_id" in err
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["grant_id"] for r in rows] == [G1, G6]
    assert all(r["payee_name"].endswith("*") for r in rows)
    (line,) = fails(
        capsys, "payments", "export", "--program", SCHOLARSHIP, "--period", "2021", "--db", db
    )
    assert "awaits payment" in line
    code, text, _ = run(
        "payments", "export", "--program", SCHOLARSHIP, "--period", "2021",
        "--batch", f"pb:{SCHOLARSHIP}:2021:1", "--headers", "zh", "--db", db,
    )  # fmt: skip
    assert code == 0
    assert text.splitlines()[0].startswith(
        "批次号,资助编号,户编号,成员编号,收款人姓名,身份证号,金额"
    )
    code, _, _ = run(
        "payments", "export", "--program", SCHOLARSHIP, "--period", "2021", "--json", "--db", db
    )
    assert code == 2  # --json prints the summary; the batch needs -o


def test_reconcile_records_the_result_all_or_nothing(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(
        tmp_path / "bad.csv",
        RESULT,
        [G1, "5000.00", "paid", "2021-09-15", "", "BK1", ""],
        [G6, "4000.00", "paid", "2021-09-15", "", "BK2", ""],
        ["g:nobody", "5000.00", "paid", "2021-09-15", "", "BK3", ""],
    )
    lines = fails(capsys, "payments", "reconcile", str(bad), "--db", db)
    assert lines[0] == "Error: 2 problems:"
    assert lines[1].strip().startswith("bad.csv line 3: amount: is 4000.00")
    assert lines[2].strip() == "bad.csv line 4: grant_id: no grant g:nobody"
    code, out, _ = run("grants", "list", "--json", "--db", db)
    assert {g["payment"] for g in json.loads(out)["grants"]} == {"unpaid"}

    good = write(
        tmp_path / "good.csv",
        RESULT,
        [G1, "5000.00", "paid", "2021-09-15", "", "BK1", ""],
        [G6, "5000.00", "paid", "2021-09-15", "", "BK2", ""],
        [G6, "5000.00", "returned", "", "2021-09-20", "", "账户已注销"],
    )
    code, out, _ = run("payments", "reconcile", str(good), "--actor", "clerk:wang", "--db", db)
    assert code == 0
    assert "2 paid (10000.00 yuan), 1 returned (5000.00 yuan back in their funds)" in out
    code, out, _ = run("payments", "reconcile", str(good), "--db", db)
    assert out.strip() == "Nothing changed: the 3 rows of good.csv were recorded before."
    code, out, _ = run("payments", "reconcile", str(good), "--json", "--db", db)
    assert json.loads(out)["unchanged"] == 3

    code, out, _ = run("funds", "list", "--json", "--db", db)
    (fund,) = [f for f in json.loads(out) if f["fund"] == FUND]
    assert (fund["committed"], fund["paid"], fund["unpaid"], fund["returned"]) == (
        "5000.00",
        "5000.00",
        "0.00",
        "5000.00",
    )
    assert fund["remaining"] == "95000.00"
    code, out, _ = run("funds", "list", "--program", SCHOLARSHIP, "--db", db)
    assert "committed" in out
    assert "returned" in out
    code, out, _ = run("grants", "list", "--program", SCHOLARSHIP, "--db", db)
    assert "paid 2021-09-15" in out
    assert "returned 2021-09-20" in out
    (line,) = fails(capsys, "grants", "revoke", G1, "--reason", "x", "--db", db)
    assert "revoked only once its money came back" in line
    code, out, _ = run("report", "--period", "2021", "--json", "--db", db)
    payments = {(p["state"], p["count"], p["amount"]) for p in json.loads(out)["grant_payments"]}
    assert payments == {("paid", 1, "5000.00"), ("returned", 1, "5000.00")}


def test_a_revealed_batch_is_audited(db: str, tmp_path: Path) -> None:
    out = tmp_path / "batch.xlsx"
    code, _, err = run(
        "payments", "export", "--program", SCHOLARSHIP, "--period", "2021", "-o", str(out),
        "--reveal", "--purpose", "银行代发", "--headers", "zh", "--db", db,
    )  # fmt: skip
    assert code == 0
    assert "masked" not in err
    from openpyxl import load_workbook

    sheet = load_workbook(out).active
    names = [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)]
    with jieqin.connect(f"sqlite:///{db}") as campaign, campaign.unit_of_work() as uow:
        assert names == [uow.households.member("h1-2").name, uow.households.member("h6-2").name]
        (entry,) = uow.audit.entries(action="reveal")
        assert entry.changes["purpose"] == "银行代发"
