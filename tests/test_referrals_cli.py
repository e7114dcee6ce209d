"""``jieqin referrals accept|reject|complete|list``, the referrals section of ``jieqin
overdue``, ``jieqin import referral-outcomes`` (CSV and XLSX: all or nothing, errors
naming file, row and column, a second import changing nothing) and ``jieqin aid run``
of a referral programme."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.model import NeedStatus, ReferralStatus

sys.path.insert(0, str(Path(__file__).parent))
from conftest import InstallPlugin
from referral_world import JOB_REFERRAL, YEAR, connected

PLUGIN = """
from referral_world import ReferralProgrammes, ReferralWorld

jieqin_register_agencies = ReferralWorld.jieqin_register_agencies
jieqin_register_programs = ReferralProgrammes.jieqin_register_programs
"""


@pytest.fixture
def db(tmp_path: Path, install_plugin: InstallPlugin) -> str:
    """A campaign whose needs were routed on 2021-03-01: n1 (h1-2) and n2 (h2-1) to the
    employment center, n3 (h3-1) too; the commands load the same agencies as a plugin."""
    install_plugin("jieqin-referral-world", "1.0", "referral_world_plugin", PLUGIN)
    path = tmp_path / "campaign.db"
    with connected(f"sqlite:///{path}") as campaign:
        campaign.route_needs(YEAR, on=date(2021, 3, 1))
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_cli(cli, list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _listed(capsys: pytest.CaptureFixture[str], db: str, *args: str) -> list[dict[str, object]]:
    code, out, err = run(capsys, "referrals", "list", "--json", "--db", db, *args)
    assert code == 0, err
    rows: list[dict[str, object]] = json.loads(out)
    return rows


def _stored(db: str) -> tuple[dict[str, object], dict[str, object]]:
    with (
        jieqin.connect(f"sqlite:///{db}") as campaign,
        campaign.unit_of_work("reader", read_only=True) as uow,
    ):
        return (
            {r.referral_id: r for r in uow.referrals.list()},
            {n.need_id: n for n in uow.needs.list()},
        )


def test_the_steps_from_the_command_line(
    capsys: pytest.CaptureFixture[str], db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _listed(capsys, db)
    assert [(r["referral_id"], r["status"], r["due_on"]) for r in rows] == [
        ("r:n1", "referred", "2021-03-31"),
        ("r:n2", "referred", "2021-03-31"),
        ("r:n3", "referred", "2021-03-31"),
    ]
    code, out, _ = run(capsys, "referrals", "accept", "r:n1", "--on", "2021-03-05", "--db", db)
    assert (code, out.strip()) == (
        0,
        "Referral r:n1 accepted on 2021-03-05; it is due by 2021-03-31.",
    )
    code, out, _ = run(
        capsys,
        "referrals",
        "reject",
        "r:n2",
        "--reason",
        "户籍不在本市",
        "--on",
        "2021-03-06",
        "--db",
        db,
    )
    assert (code, out.strip()) == (
        0,
        "Rejected referral r:n2; its need n2 is open again for another route (`jieqin needs route`).",
    )
    code, out, _ = run(
        capsys,
        "referrals",
        "complete",
        "r:n1",
        "--outcome",
        "employed",
        "--on",
        "2021-04-01",
        "--db",
        db,
    )
    assert (code, out.strip()) == (
        0,
        "Completed referral r:n1 (employed); its need n1 is resolved.",
    )
    assert [r["referral_id"] for r in _listed(capsys, db, "--status", "rejected")] == ["r:n2"]
    assert [r["referral_id"] for r in _listed(capsys, db, "--pending")] == ["r:n3"]
    monkeypatch.setenv("COLUMNS", "200")  # the table on one line per referral
    code, out, _ = run(capsys, "referrals", "list", "--db", db)
    assert "2021-04-01 employed" in out
    assert "户籍不在本市" in out
    code, _, err = run(capsys, "referrals", "accept", "r:n2", "--db", db)
    assert code == 1
    assert "r:n2 was rejected on 2021-03-06: a rejection stands" in _one_line(err)
    code, _, err = run(capsys, "referrals", "complete", "r:n3", "--outcome", "hired", "--db", db)
    assert code == 1
    assert "unknown referral outcome 'hired'" in _one_line(err)
    code, _, err = run(capsys, "referrals", "complete", "r:n3", "--db", db)
    assert code == 2
    assert "--outcome" in err
    referrals, needs = _stored(db)
    assert referrals["r:n3"].status is ReferralStatus.REFERRED  # type: ignore[attr-defined]
    assert needs["n2"].status is NeedStatus.OPEN  # type: ignore[attr-defined]


def test_overdue_referrals_are_listed_beside_the_pairings(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    run(
        capsys,
        "referrals",
        "complete",
        "r:n1",
        "--outcome",
        "employed",
        "--on",
        "2021-03-20",
        "--db",
        db,
    )
    rows = _listed(capsys, db, "--overdue", "--on", "2021-04-10")
    assert [(r["referral_id"], r["days_overdue"]) for r in rows] == [("r:n2", 10), ("r:n3", 10)]
    assert _listed(capsys, db, "--overdue", "--on", "2021-03-31") == []
    code, _, err = run(capsys, "referrals", "list", "--on", "2021-04-10", "--db", db)
    assert code == 2
    assert "--on goes with --overdue" in err
    code, out, _ = run(capsys, "overdue", "--as-of", "2021-04-10", "--json", "--db", db)
    late = json.loads(out)
    assert {o["kind"] for o in late} == {"pairing", "referral"}
    assert [(o["referral_id"], o["days_overdue"]) for o in late if o["kind"] == "referral"] == [
        ("r:n2", 10),
        ("r:n3", 10),
    ]
    code, out, _ = run(
        capsys, "overdue", "--as-of", "2021-04-10", "--kind", "referrals", "--db", db
    )
    assert "2 referrals past their due day on 2021-04-10" in out
    assert "pairings behind" not in out
    code, out, _ = run(
        capsys, "overdue", "--as-of", "2021-03-15", "--kind", "referrals", "--db", db
    )
    assert out.strip() == "No referral is past its due day on 2021-03-15."


def _csv(tmp_path: Path, *rows: str, name: str = "outcomes.csv") -> Path:
    path = tmp_path / name
    path.write_text(
        "\n".join(["转介编号,办理状态,办理日期,办理结果,原因说明", *rows]) + "\n", "utf-8"
    )
    return path


def test_agencies_return_outcomes_in_a_file(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path,
        "r:n1,accepted,2021-03-05,,已受理",
        "r:n1,completed,2021-04-01,employed,在本地企业就业",
        "r:n2,rejected,2021-03-06,,户籍不在本市",
    )
    code, _out, err = run(capsys, "import", "referral-outcomes", str(path), "--db", db)
    assert code == 0, err
    referrals, needs = _stored(db)
    n1 = referrals["r:n1"]
    assert (n1.status, n1.accepted_on, n1.completed_on, n1.outcome, n1.note) == (  # type: ignore[attr-defined]
        ReferralStatus.COMPLETED,
        date(2021, 3, 5),
        date(2021, 4, 1),
        "employed",
        "在本地企业就业",
    )
    assert referrals["r:n2"].rejection_reason == "户籍不在本市"  # type: ignore[attr-defined]
    assert (needs["n1"].status, needs["n2"].status) == (NeedStatus.RESOLVED, NeedStatus.OPEN)  # type: ignore[attr-defined]
    # the same file again changes nothing: not a record, not an audit entry
    with (
        jieqin.connect(f"sqlite:///{db}") as campaign,
        campaign.unit_of_work("r", read_only=True) as uow,
    ):
        entries = uow.audit.count()
    code, _, err = run(capsys, "import", "referral-outcomes", str(path), "--db", db)
    assert code == 0, err
    assert _stored(db) == (referrals, needs)
    with (
        jieqin.connect(f"sqlite:///{db}") as campaign,
        campaign.unit_of_work("r", read_only=True) as uow,
    ):
        assert uow.audit.count() == entries


def test_a_file_with_a_bad_row_changes_nothing_and_says_where(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    before = _stored(db)
    for row, line, column, reason in (
        ("r:n3,completed,2021-04-01,hired,", 3, "办理结果", "unknown referral outcome 'hired'"),
        ("r:nope,accepted,2021-04-01,,", 3, "转介编号", "no referral r:nope"),
        ("r:n3,accepted,2021-02-01,,", 3, "办理日期", "before the referral was made"),
        ("r:n3,completed,2021-04-01,,", 3, "办理结果", "a completion says what came of it"),
        ("r:n3,rejected,2021-04-01,,", 3, "原因说明", "a rejection says why"),
        ("r:n3,lost,2021-04-01,,", 3, "办理状态", "'lost' is not one of"),
        ("r:n2,accepted,2021-03-07,,", 3, "办理状态", "r:n2 was rejected on 2021-03-06"),
    ):
        path = _csv(tmp_path, "r:n1,accepted,2021-03-05,,", row, "r:n2,rejected,2021-03-06,,满")
        if "r:n2,accepted" in row:  # the rejection first, then an acceptance after it
            path = _csv(tmp_path, "r:n2,rejected,2021-03-06,,满", row)
            line = 3
        code, _, err = run(capsys, "import", "referral-outcomes", str(path), "--db", db)
        message = _one_line(err)
        assert code == 1
        assert f"outcomes.csv line {line}" in message, message
        assert column in message, message
        assert reason in message, message
        assert _stored(db) == before


def test_a_workbook_of_outcomes_imports_as_a_csv_does(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "转介结果"
    sheet.append(["转介编号", "办理状态", "办理日期", "办理结果", "原因说明"])
    sheet.append(["r:n3", "completed", "2021-04-02", "training_arranged", "已安排培训"])
    sheet.append(["r:n1", "completed", "2021-04-02", "nonsense", ""])
    path = tmp_path / "outcomes.xlsx"
    book.save(path)
    code, _, err = run(capsys, "import", "referral-outcomes", str(path), "--db", db)
    assert code == 1
    message = _one_line(err)
    assert "row 3" in message, message
    assert "办理结果" in message, message
    sheet.delete_rows(3)
    book.save(path)
    code, _, err = run(capsys, "import", "referral-outcomes", str(path), "--db", db)
    assert code == 0, err
    referrals, _ = _stored(db)
    assert referrals["r:n3"].outcome == "training_arranged"  # type: ignore[attr-defined]


def test_referral_outcomes_are_not_exported(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, _, err = run(capsys, "export", "referral-outcomes", "--db", db)
    assert code == 1
    assert "imported, not exported" in _one_line(err)


def test_aid_run_of_a_referral_programme(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, err = run(
        capsys, "aid", "run", JOB_REFERRAL, "--period", "2021", "--on", "2021-03-02", "--db", db
    )
    assert code == 0, err
    assert out.strip() == (
        f"{JOB_REFERRAL} 2021: 2 referred to agency employment_center, 0 awaiting their "
        "consent, 2 ineligible, 0 referred before; no fund, no grants."
    )
    code, out, _ = run(capsys, "codes", "referral_outcomes", "--json")
    codes = {c["code"]: c["label"] for c in json.loads(out)}
    assert codes["employed"] == "已实现就业"
