"""The ``jieqin activities``, ``jieqin needs`` (listing filters, ``resolve``, ``close``)
and ``jieqin referrals`` commands: each with its errors as one line, and the report
and overdue list following a void."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import attrs
import pytest

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.model import Need, NeedSource, Route, RouteKind, Year

sys.path.insert(0, str(Path(__file__).parent))
from activity_world import YINTAI, world

AGENCY = "tc_employment_promotion_center"


@pytest.fixture
def db(tmp_path: Path) -> str:
    """The activity world, its needs and referral routed to what the built-in and
    regional plugins register (the command loads no test plugin)."""
    data = world()
    n1, n2, n3 = data["needs"]
    needs = [
        attrs.evolve(n1, route=Route(RouteKind.REFERRAL, AGENCY)),  # type: ignore[misc]
        attrs.evolve(n2, route=Route(RouteKind.PROGRAM, "tc_freshman_scholarship")),  # type: ignore[misc]
        n3,
        Need("n4", "h1", "schooling", Year(2021), NeedSource.SURVEY, date(2021, 2, 1), "h1-1"),
    ]
    referrals = [attrs.evolve(data["referrals"][0], agency=AGENCY)]  # type: ignore[misc]
    path = tmp_path / "campaign.db"
    with jieqin.connect(f"sqlite:///{path}") as campaign:
        with campaign.unit_of_work("test") as uow:
            for name in ("helpers", "households", "pairings"):
                getattr(uow, name).add_many(data[name])
            uow.needs.add_many(needs)
            uow.referrals.add_many(referrals)
            uow.commit()
        campaign.log_activities(data["activities"])  # type: ignore[arg-type]
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_cli(cli, list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# -- activities ---------------------------------------------------------------------


def test_activities_list_filters_and_marks_the_voided(
    capsys: pytest.CaptureFixture[str], db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the table's headers on one line
    code, out, _ = run(
        capsys,
        "activities",
        "list",
        "--household",
        "h1",
        "--from",
        "2021-12-01",
        "--json",
        "--db",
        db,
    )
    assert code == 0
    assert [(r["activity_id"], r["voided_on"]) for r in json.loads(out)] == [
        ("a43", None),
        ("a44", None),
    ]
    code, out, _ = run(
        capsys,
        "activities",
        "void",
        "a44",
        "--reason",
        "logged twice",
        "--on",
        "2022-01-05",
        "--db",
        db,
    )
    assert (code, out.strip()) == (
        0,
        "Voided visit a44 of 2021-12-10 (helper p1, household h1) on 2022-01-05.",
    )
    _, out, _ = run(
        capsys,
        "activities",
        "list",
        "--household",
        "h1",
        "--from",
        "2021-12-01",
        "--json",
        "--db",
        db,
    )
    assert [r["activity_id"] for r in json.loads(out)] == ["a43"]
    _, out, _ = run(
        capsys,
        "activities",
        "list",
        "--household",
        "h1",
        "--from",
        "2021-12-01",
        "--voided",
        "--json",
        "--db",
        db,
    )
    rows = json.loads(out)
    assert [(r["activity_id"], r["voided_on"], r["void_reason"]) for r in rows] == [
        ("a43", None, ""),
        ("a44", "2022-01-05", "logged twice"),
    ]
    code, out, _ = run(
        capsys,
        "activities",
        "list",
        "--helper",
        "p3",
        "--kind",
        "practical_help",
        "--to",
        "2021-06-30",
        "--voided",
        "--db",
        db,
    )
    assert code == 0
    assert "1 activities" in out
    assert "voided_on" in out
    assert "2021-06-10" in out


def test_a_void_of_a_voided_or_unknown_activity_is_one_line(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    assert run(capsys, "activities", "void", "a1", "--reason", "wrong day", "--db", db)[0] == 0
    code, _, err = run(capsys, "activities", "void", "a1", "--reason", "again", "--db", db)
    assert code == 1
    assert _error(err).startswith("Error: activity a1 was already voided on ")
    code, _, err = run(capsys, "activities", "void", "nope", "--reason", "x", "--db", db)
    assert (code, _error(err)) == (1, "Error: no activity nope")
    code, _, err = run(capsys, "activities", "list", "--kind", "contakt", "--db", db)
    assert code == 1
    assert "did you mean 'contact'" in _error(err)
    code, _, err = run(capsys, "activities", "void", "a2", "--db", db)
    assert code == 2
    assert "--reason" in err


def test_logging_an_id_that_exists_names_the_void(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    args = ("log", "contact", "--id", "a1", "--helper", "p1", "--household", "h1")
    code, _, err = run(capsys, *args, "--on", "2021-01-11", "--db", db)
    assert code == 1
    line = _error(err)
    assert "activity a1 is already logged" in line
    assert "`jieqin activities void a1 --reason" in line
    assert "constraint" not in line.lower()


def test_a_void_changes_the_report_and_the_overdue_list(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    _, out, _ = run(capsys, "report", "--period", "2021", "--json", "--db", db)
    before = json.loads(out)["activities"]
    _, out, _ = run(capsys, "overdue", "--as-of", "2021-12-30", "--json", "--db", db)
    assert {r["household_id"] for r in json.loads(out)} == {"h2"}
    for activity_id in ("a43", "a44"):
        run(capsys, "activities", "void", activity_id, "--reason", "logged twice", "--db", db)
    _, out, _ = run(capsys, "report", "--period", "2021", "--json", "--db", db)
    after = json.loads(out)["activities"]
    assert after == {**before, "contact": before["contact"] - 1, "visit": before["visit"] - 1}
    _, out, _ = run(capsys, "overdue", "--as-of", "2021-12-30", "--json", "--db", db)
    late = {r["household_id"]: r for r in json.loads(out)}
    assert set(late) == {"h1", "h2"}
    assert {t["track"]: t["last_on"] for t in late["h1"]["behind"]} == {
        "contact": "2021-11-10",
        "visit": "2021-09-10",
    }


# -- needs ----------------------------------------------------------------------------


def _needs(capsys: pytest.CaptureFixture[str], db: str, *args: str) -> list[str]:
    code, out, _ = run(capsys, "needs", *args, "--json", "--db", db)
    assert code == 0
    return sorted(r["need"] for r in json.loads(out))


def test_the_needs_listing_filters(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, _, err = run(capsys, "needs", "--db", db)
    assert code == 0
    assert err.startswith("1 needs that tell a health or disability fact are not listed")
    assert _needs(capsys, db) == ["n1", "n2", "n4"]
    assert _needs(capsys, db, "--period", "2021", "--kind", "schooling") == ["n2", "n4"]
    assert _needs(capsys, db, "list", "--routed-to", "referral") == ["n1"]
    assert _needs(capsys, db, "--routed-to", "program:tc_freshman_scholarship") == ["n2"]
    assert _needs(capsys, db, "--routed-to", "unrouted") == ["n4"]
    assert _needs(capsys, db, "--region", YINTAI) == ["n2"]
    assert _needs(capsys, db, "--member", "h1-1") == ["n4"]
    assert _needs(capsys, db, "--status", "closed") == []
    code, _, err = run(capsys, "needs", "--status", "done", "--db", db)
    assert code == 2
    assert "'done' is not one of" in err
    code, _, err = run(capsys, "needs", "--kind", "schoolin", "--db", db)
    assert code == 1
    assert "did you mean 'schooling'" in _error(err)


def test_needs_resolve_and_close_with_their_errors(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    code, out, _ = run(
        capsys, "needs", "resolve", "n4", "--by", "学校减免学费", "--on", "2021-09-01", "--db", db
    )
    assert (code, out.strip()) == (0, "Resolved need n4 on 2021-09-01: 学校减免学费.")
    code, _, err = run(capsys, "needs", "resolve", "n4", "--by", "again", "--db", db)
    assert (code, _error(err)) == (
        1,
        "Error: need n4 was already resolved on 2021-09-01 (学校减免学费)",
    )
    code, out, _ = run(
        capsys,
        "needs",
        "close",
        "n2",
        "--reason",
        "全户迁出",
        "--on",
        "2021-10-01",
        "--json",
        "--db",
        db,
    )
    closed = json.loads(out)
    assert (code, closed["status"], closed["resolved_by"]) == (0, "closed", "全户迁出")
    code, _, err = run(capsys, "needs", "close", "n2", "--reason", "again", "--db", db)
    assert code == 1
    assert "n2 was already closed" in _error(err)
    code, _, err = run(capsys, "needs", "resolve", "nope", "--by", "x", "--db", db)
    assert (code, _error(err)) == (1, "Error: no need nope")
    code, _, err = run(capsys, "needs", "close", "nope", "--reason", "x", "--db", db)
    assert (code, _error(err)) == (1, "Error: no need nope")
    assert _needs(capsys, db, "--status", "resolved") == ["n4"]
    assert _needs(capsys, db, "--status", "closed") == ["n2"]


def test_settling_a_sensitive_need_masks_what_it_tells(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    code, out, _ = run(capsys, "needs", "close", "n3", "--reason", "moved", "--json", "--db", db)
    shown = json.loads(out)
    assert code == 0
    assert (shown["need"], shown["kind"], shown["status"]) == ("n3", "<masked>", "closed")


# -- referrals ---------------------------------------------------------------------


def test_referrals_list_and_complete_with_their_errors(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    code, out, _ = run(capsys, "referrals", "list", "--pending", "--json", "--db", db)
    assert code == 0
    assert [(r["referral_id"], r["completed_on"]) for r in json.loads(out)] == [("r1", None)]
    code, out, _ = run(
        capsys,
        "referrals",
        "complete",
        "r1",
        "--on",
        "2021-04-01",
        "--note",
        "已安排就业培训",
        "--outcome",
        "training_arranged",
        "--db",
        db,
    )
    assert (code, out.strip()) == (
        0,
        "Completed referral r1 (training_arranged); its need n1 is resolved.",
    )
    code, out, _ = run(capsys, "referrals", "list", "--pending", "--json", "--db", db)
    assert json.loads(out) == []
    code, out, _ = run(capsys, "referrals", "list", "--db", db)
    assert "2021-04-01" in out
    code, _, err = run(capsys, "referrals", "complete", "r1", "--outcome", "employed", "--db", db)
    assert (code, _error(err)) == (
        1,
        "Error: referral r1 was completed on 2021-04-01 (training_arranged): a completion stands",
    )
    code, _, err = run(capsys, "referrals", "complete", "nope", "--outcome", "employed", "--db", db)
    assert (code, _error(err)) == (1, "Error: no referral nope; `jieqin referrals list` lists them")
    assert _needs(capsys, db, "--status", "resolved") == ["n1"]
