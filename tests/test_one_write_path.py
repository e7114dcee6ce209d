"""One write path: every way a record enters is refused for the same reasons, in one line.

Each case an outside review found stored through one path and refused by another:
imports of activities of unknown kinds, by unknown helpers, with households the
helper was never paired with, dated in the future; codes nobody registered;
``Campaign.log_activity`` in the future; a resident ID number on two members; a
member dropped by a re-import; grants past a fund's budget. Each is refused, writes
nothing and names the file, line, field and reason (through the CLI: one line).
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.clock import FixedClock
from jieqin.errors import ConflictError, InvalidInput, StorageError
from jieqin.model import Activity, Fund, Grant, Year

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
ACTIVITY_HEADER = "activity_id,kind,on,helper_id,household_id,member_id,need_id,note,event"


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgresql_url"))
    if request.param == "memory":
        return f"memory://write-path-{os.urandom(6).hex()}"
    return f"sqlite:///{tmp_path / 'campaign.db'}"


@pytest.fixture
def campaign(url: str) -> Iterator[jieqin.Campaign]:
    """The examples' helpers, households and pairings (hp-001 with hh-001 from 2021,
    hp-002 with hh-002)."""
    with jieqin.connect(url) as opened:
        for kind in ("helpers", "households", "pairings"):
            opened.import_file(kind, EXAMPLES / f"{kind}.csv")
        yield opened


def _cli(*args: str) -> int:
    return run_cli(cli, list(args))


def _stored(campaign: jieqin.Campaign, kind: str) -> list[object]:
    with campaign.unit_of_work("test:reader", read_only=True) as uow:
        return list(getattr(uow, kind).list())


BAD_ACTIVITIES = {
    "visitt": ("ac-9,visitt,2021-02-11,hp-001,hh-001,,,,", "kind", "did you mean 'visit'"),
    "dancing": ("ac-9,dancing,2021-02-11,hp-001,hh-001,,,,", "kind", "unknown activity kind"),
    "no helper": ("ac-9,visit,2021-02-11,BF999,hh-001,,,,", "helper_id", "no helper BF999"),
    "never paired": (
        "ac-9,visit,2021-02-11,hp-001,hh-002,,,,",
        "helper_id",
        "was not paired with household hh-002",
    ),
    "not yet paired": (
        "ac-9,visit,2020-06-01,hp-001,hh-001,,,,",
        "helper_id",
        "paired 2021-01-01 to now",
    ),
    "future": ("ac-9,visit,2030-02-11,hp-001,hh-001,,,,", "on", "2030-02-11 is in the future"),
    "other household's member": (
        "ac-9,visit,2021-02-11,hp-001,hh-001,hh-002-2,,,",
        "member_id",
        "belongs to household hh-002",
    ),
}


@pytest.mark.parametrize("case", list(BAD_ACTIVITIES))
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_activity_import_is_checked_as_log_is(
    campaign: jieqin.Campaign,
    url: str,
    tmp_path: Path,
    case: str,
    fmt: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    row, field, reason = BAD_ACTIVITIES[case]
    good = "ac-1,visit,2021-02-11,hp-001,hh-001,,,,"
    path = tmp_path / "activities.csv"
    path.write_text(f"{ACTIVITY_HEADER}\n{good}\n{row}\n", encoding="utf-8")
    if fmt == "jsonl":
        path = _as_jsonl(campaign, path)
    line = 3 if fmt == "csv" else 2
    with pytest.raises(InvalidInput) as caught:
        campaign.import_file("activities", path)
    (problem,) = caught.value.problems
    assert (problem.source, problem.line, problem.field) == (path.name, line, field)
    assert reason in problem.reason
    assert _stored(campaign, "activities") == []
    # The CLI says the same in one line, and still writes nothing.
    capsys.readouterr()
    assert _cli("import", "activities", str(path), "--url", url) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"Error: {path.name} line {line}: {field}: {problem.reason}"]
    assert _stored(campaign, "activities") == []


def _as_jsonl(campaign: jieqin.Campaign, path: Path) -> Path:
    import csv
    import json

    out = path.with_suffix(".jsonl")
    with path.open(encoding="utf-8") as rows, out.open("w", encoding="utf-8") as lines:
        for row in csv.DictReader(rows):
            record = {k: (v or None) for k, v in row.items()}
            record["note"] = ""
            lines.write(json.dumps(record) + "\n")
    return out


def test_log_refuses_what_the_import_refuses(campaign: jieqin.Campaign) -> None:
    for row, field, reason in BAD_ACTIVITIES.values():
        activity_id, kind, on, helper, household, member, *_ = row.split(",")
        activity = Activity(
            activity_id, kind, date.fromisoformat(on), helper, household, member or None
        )
        with pytest.raises(InvalidInput) as caught:
            campaign.log_activity(activity)
        assert [(p.field, reason in p.reason) for p in caught.value.problems] == [(field, True)]
    assert _stored(campaign, "activities") == []


def test_the_report_of_no_period_is_not_a_refused_year(
    campaign: jieqin.Campaign, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign.import_file("needs", EXAMPLES / "needs.csv")
    campaign.import_file("activities", EXAMPLES / "activities.csv")
    with pytest.raises(InvalidInput):  # the review's activity of 2030 is not stored
        campaign.log_activity(Activity("a-2030", "visit", date(2030, 2, 11), "hp-001", "hh-001"))
    capsys.readouterr()
    assert _cli("report", "--json", "--url", url) == 0
    assert '"period": "2021"' in capsys.readouterr().out


def test_log_activity_refuses_a_future_day_by_the_campaign_clock(url: str) -> None:
    with jieqin.connect(url, clock=FixedClock(date(2021, 6, 30))) as campaign:
        for kind in ("helpers", "households", "pairings"):
            campaign.import_file(kind, EXAMPLES / f"{kind}.csv")
        campaign.log_activity(Activity("a1", "visit", date(2021, 6, 30), "hp-001", "hh-001"))
        with pytest.raises(InvalidInput, match="2021-07-01 is in the future"):
            campaign.log_activity(Activity("a2", "visit", date(2021, 7, 1), "hp-001", "hh-001"))
        assert [a.activity_id for a in _stored(campaign, "activities")] == ["a1"]  # type: ignore[attr-defined]


CODES = {
    "tier senator": ("helpers", "city_member", "senator", 2, "tier", "unknown tier 'senator'"),
    "sector astrology": (
        "helpers",
        "medical;education",
        "astrology",
        2,
        "sectors",
        "unknown sector",
    ),
    "sector social_welfare": (
        "helpers",
        ",employment,",
        ",social_welfare,",
        3,
        "sectors",
        "did you mean 'social_work'",
    ),
    "status lifted_ot": (
        "households",
        "lifted_out@2020-06-30",
        "lifted_ot@2020-06-30",
        2,
        "status_history",
        "did you mean 'lifted_out'",
    ),
    "need kind astrology": ("needs", ",employment,", ",astrology,", 2, "kind", "unknown need kind"),
}


@pytest.mark.parametrize("case", list(CODES))
def test_codes_nobody_registered_are_refused_on_import(url: str, tmp_path: Path, case: str) -> None:
    kind, good, bad, line, field, reason = CODES[case]
    text = (EXAMPLES / f"{kind}.csv").read_text(encoding="utf-8")
    assert good in text
    path = tmp_path / f"{kind}.csv"
    path.write_text(text.replace(good, bad), encoding="utf-8")
    with jieqin.connect(url) as campaign:
        if kind == "needs":
            campaign.import_file("households", EXAMPLES / "households.csv")
        with pytest.raises(InvalidInput) as caught:
            campaign.import_file(kind, path)
        problem = caught.value.problems[0]
        assert (problem.source, problem.line, problem.field) == (path.name, line, field)
        assert reason in problem.reason
        assert _stored(campaign, kind) == []


def test_monitored_means_what_the_plugins_registered(url: str) -> None:
    class Watch:
        @staticmethod
        @jieqin.hookimpl
        def jieqin_register_household_statuses(register: object) -> None:
            register("flood_hit", "受灾户", monitored=True)  # type: ignore[operator]

    with jieqin.connect(url, plugins=[Watch()]) as campaign:
        assert "flood_hit" in campaign.monitored_statuses
        assert "unstable" in campaign.monitored_statuses
        assert "lifted_out" not in campaign.monitored_statuses


# -- a person is one person ------------------------------------------------------------


def _households_text(tmp_path: Path, changes: dict[str, str]) -> Path:
    text = (EXAMPLES / "households.csv").read_text(encoding="utf-8")
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "households.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_resident_id_twice_in_one_file_names_both_lines(url: str, tmp_path: Path) -> None:
    lines = (EXAMPLES / "households.csv").read_text(encoding="utf-8").splitlines()
    first_number = lines[1].split(",")[7]
    twin = lines[-1].split(",")
    twin[7] = first_number
    twin[6] = lines[1].split(",")[6]  # the same birth date, so the number is valid
    path = tmp_path / "households.csv"
    path.write_text("\n".join([*lines[:-1], ",".join(twin)]) + "\n", encoding="utf-8")
    with jieqin.connect(url) as campaign:
        with pytest.raises(InvalidInput) as caught:
            campaign.import_file("households", path)
        (problem,) = caught.value.problems
        household_starts = next(
            n for n, text in enumerate(lines, start=1) if text.startswith(twin[0] + ",")
        )
        assert (problem.line, problem.field) == (household_starts, "resident_id")
        assert "already given on line 2" in problem.reason
        assert first_number not in str(caught.value)
        assert _stored(campaign, "households") == []


def test_a_resident_id_of_a_stored_member_is_refused_naming_them(url: str, tmp_path: Path) -> None:
    with jieqin.connect(url) as campaign:
        campaign.import_file("households", EXAMPLES / "households.csv")
        stored = _stored(campaign, "households")
        head = stored[0].members[0]  # type: ignore[attr-defined]
        other = stored[1]  # type: ignore[assignment]
        twin = attrs.evolve(
            other.members[0], resident_id=head.resident_id, birth_date=head.birth_date
        )  # type: ignore[attr-defined]
        with campaign.unit_of_work("clerk") as uow, pytest.raises(InvalidInput) as caught:
            uow.households.upsert_many([attrs.evolve(other, members=(twin, *other.members[1:]))])  # type: ignore[attr-defined]
        (problem,) = caught.value.problems
        assert f"stored member {head.member_id} of household hh-001" in problem.reason
        assert head.resident_id not in str(caught.value)


def test_the_same_freshman_in_two_households_gets_one_scholarship(tmp_path: Path) -> None:
    """Before, the same college freshman entered in two households got two grants."""
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    with jieqin.connect(url) as campaign:
        campaign.import_file("households", EXAMPLES / "households.csv")
        student = _stored(campaign, "households")[0].members[2]  # type: ignore[attr-defined]
        assert student.schooling is not None
        second = jieqin.Household(
            "hh-009",
            jieqin.RegionCode("610202001001"),
            [attrs.evolve(student, member_id="hh-009-1", relation="head")],
            [jieqin.StatusChange("lifted_out", date(2020, 6, 30))],
        )
        with (
            campaign.unit_of_work("clerk") as uow,
            pytest.raises(InvalidInput, match="one number, one person"),
        ):
            uow.households.add(second)


def test_a_member_with_a_grant_is_kept_when_a_reimport_leaves_them_out(
    url: str, tmp_path: Path
) -> None:
    with jieqin.connect(url) as campaign:
        campaign.import_file("households", EXAMPLES / "households.csv")
        with campaign.unit_of_work("clerk") as uow:
            uow.programs.add(campaign.aid_program("tc_freshman_scholarship").program)
            uow.funds.add(Fund("f-2021", "tc_freshman_scholarship", Year(2021), Decimal(50000)))
            uow.grants.add(
                Grant(
                    "g-1",
                    "tc_freshman_scholarship",
                    "f-2021",
                    Year(2021),
                    "hh-001",
                    "hh-001-3",
                    Decimal(5000),
                    date(2021, 9, 1),
                    "d-1",
                )
            )
            uow.commit()
        lines = (EXAMPLES / "households.csv").read_text(encoding="utf-8").splitlines()
        path = tmp_path / "households.csv"
        path.write_text(
            "\n".join(line for line in lines if ",hh-001-3," not in line) + "\n", "utf-8"
        )
        campaign.import_file("households", path)
        with campaign.unit_of_work("reader", read_only=True) as uow:
            household = uow.households.get("hh-001")
            assert "hh-001-3" not in [m.member_id for m in household.members]
            assert [m.member_id for m in household.former_members] == ["hh-001-3"]
            assert uow.households.member("hh-001-3").departed_on is not None
        explained, _decision = campaign.explain("tc_freshman_scholarship", "hh-001-3", Year(2021))
        assert explained.member_id == "hh-001-3"


def test_moving_a_member_is_explicit_and_dated(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with jieqin.connect(url) as campaign:
        campaign.import_file("households", EXAMPLES / "households.csv")
    assert (
        _cli(
            "members",
            "move",
            "hh-001-3",
            "--to",
            "hh-002",
            "--on",
            "2021-10-01",
            "--relation",
            "child",
            "--url",
            url,
        )
        == 0
    )
    assert (
        "Moved member hh-001-3 from household hh-001 to hh-002 on 2021-10-01."
        in capsys.readouterr().out
    )
    assert (
        _cli("members", "move", "hh-001-1", "--to", "hh-002", "--on", "2021-10-01", "--url", url)
        == 1
    )
    assert "is the head of hh-001" in capsys.readouterr().err
    for member, to, reason in (
        ("hh-001-2", "hh-999", "no household hh-999"),
        ("hh-001-3", "hh-002", "already in household hh-002"),
    ):
        args = ("members", "move", member, "--to", to, "--on", "2021-10-02", "--url", url)
        assert _cli(*args) == 1
        assert reason in capsys.readouterr().err
    with jieqin.connect(url) as campaign, campaign.unit_of_work("r", read_only=True) as uow:
        assert uow.households.household_of("hh-001-3") == "hh-002"
        (move,) = uow.households.moves()
        assert (move.from_household_id, move.to_household_id) == ("hh-001", "hh-002")


# -- money is checked where it is stored --------------------------------------------------


def test_a_grant_past_the_budget_is_refused_whoever_writes(url: str) -> None:
    with jieqin.connect(url) as campaign:
        campaign.import_file("households", EXAMPLES / "households.csv")
        with campaign.unit_of_work("clerk") as uow:
            uow.funds.add(Fund("f-2021", "tc_freshman_scholarship", Year(2021), Decimal(1000)))
            uow.commit()
        grant = Grant(
            "g-1",
            "tc_freshman_scholarship",
            "f-2021",
            Year(2021),
            "hh-001",
            "hh-001-3",
            Decimal(3000),
            date(2021, 9, 1),
            "d-1",
        )
        for unit_of_work in (campaign.unit_of_work, campaign.storage.unit_of_work):
            with unit_of_work("clerk") as uow, pytest.raises(ConflictError, match=r"1000\.00"):
                uow.grants.add(grant)
        with campaign.unit_of_work("clerk") as uow:
            uow.grants.add(attrs.evolve(grant, amount=Decimal(800)))
            with pytest.raises(ConflictError, match="below what the fund has already granted"):
                uow.funds.update(
                    Fund("f-2021", "tc_freshman_scholarship", Year(2021), Decimal(500))
                )
            uow.commit()
        with campaign.unit_of_work("reader", read_only=True) as uow:
            assert uow.funds.spent("f-2021") == Decimal(800)


# -- the schema keeps no derived state by triggers -------------------------------------------


def test_a_new_database_has_only_the_audit_logs_triggers(url: str) -> None:
    with jieqin.connect(url) as campaign:
        storage = campaign.storage
        if not hasattr(storage, "engine"):
            pytest.skip("only SQL databases have triggers")
        with storage.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                names = conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                ).scalars()
            else:
                names = conn.exec_driver_sql(
                    "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
                ).scalars()
            assert all(name.startswith("audit_log_") for name in names)


# -- a read-only database ---------------------------------------------------------------


@contextmanager
def _read_only(*paths: Path) -> Iterator[None]:
    """The files and folders made read-only, as on read-only media (for root, who may
    write any file, by the immutable attribute)."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", *map(str, paths)], check=True)
    else:
        for path in paths:
            path.chmod(stat.S_IRUSR | (stat.S_IXUSR if path.is_dir() else 0))
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True)
        for path in paths:
            path.chmod(stat.S_IRWXU if path.is_dir() else stat.S_IRUSR | stat.S_IWUSR)


def test_a_read_only_database_file_is_reported_listed_and_exported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "cd"
    folder.mkdir()
    db = folder / "campaign.db"
    with jieqin.connect(f"sqlite:///{db}") as campaign:
        for kind in ("helpers", "households", "pairings", "needs", "activities"):
            campaign.import_file(kind, EXAMPLES / f"{kind}.csv")
    with _read_only(db, folder):
        capsys.readouterr()
        assert _cli("report", "--period", "2021", "--json", "--db", str(db)) == 0
        assert '"households": 2' in capsys.readouterr().out
        assert _cli("export", "activities", "--db", str(db)) == 0
        assert capsys.readouterr().out.count("\n") == 5
        assert _cli("overdue", "--as-of", "2021-12-31", "--db", str(db)) == 0
        assert _cli("needs", "--json", "--db", str(db)) == 0
        assert '"need"' in capsys.readouterr().out
        assert _cli("dedup", "--json", "--db", str(db)) == 0
        assert _cli("pair", "--dry-run", "--on", "2021-12-31", "--db", str(db)) == 0
        capsys.readouterr()
        assert (
            _cli(
                "log",
                "visit",
                "--helper",
                "hp-001",
                "--household",
                "hh-001",
                "--on",
                "2021-03-01",
                "--db",
                str(db),
            )
            == 1
        )
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert "read-only" in line
        assert sorted(p.name for p in folder.iterdir()) == ["campaign.db"]


def test_reading_never_waits_for_a_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """While another process holds SQLite's write lock, reports, listings, exports and
    dry runs go on: none of them asks for the lock (it would wait, then fail)."""
    import sqlite3

    db = tmp_path / "campaign.db"
    with jieqin.connect(f"sqlite:///{db}") as campaign:
        for kind in ("helpers", "households", "pairings", "needs", "activities"):
            campaign.import_file(kind, EXAMPLES / f"{kind}.csv")
    monkeypatch.setenv("JIEQIN_SQLITE_LOCK_WAIT", "0.2")
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        for command in (
            ("report", "--period", "2021", "--json"),
            ("export", "households"),
            ("needs", "--json"),
            ("dedup", "--json"),
            ("overdue", "--as-of", "2021-12-31"),
            ("pair", "--dry-run", "--on", "2021-12-31"),
        ):
            assert _cli(*command, "--db", str(db)) == 0, (command, capsys.readouterr().err)
        with jieqin.connect(f"sqlite:///{db}") as campaign:
            campaign.pair(on=date(2021, 12, 31), dry_run=True)
            with pytest.raises(StorageError):
                campaign.pair(on=date(2021, 12, 31))
    finally:
        writer.rollback()
        writer.close()


def test_a_read_only_unit_of_work_refuses_every_write(url: str) -> None:
    with jieqin.connect(url) as campaign, campaign.unit_of_work("reader", read_only=True) as uow:
        with pytest.raises(StorageError, match="read-only"):
            uow.activities.add(Activity("a1", "visit", date(2021, 2, 11), "hp-001", "hh-001"))
        with pytest.raises(StorageError, match="read-only"):
            uow.grants.lock_programs(["tc_freshman_scholarship"])
        with pytest.raises(StorageError, match="read-only"):
            uow.funds.lock("f-2021")
