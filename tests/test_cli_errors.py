"""Every failure of the ``jieqin`` command is one line on stderr, never a traceback.

Each case runs the real command in a subprocess (a full disk, a server that does not
answer, a driver that is not installed are real failures there, not mocks of jieqin)
and checks: a non-zero exit code, exactly one line on stderr saying what happened,
no traceback, and no resident ID or phone number in clear in anything printed.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import attrs
import click
import pytest
import sqlalchemy as sa

import jieqin
from jieqin.cli._common import EXIT_INTERRUPTED, debug_option, run_cli
from jieqin.errors import DatabaseMissing
from jieqin.io.exporter import write_records
from jieqin.privacy import find_sensitive
from reliability import _world

#: Enough households (each with a resident ID and a phone) to need new database pages.
HOUSEHOLDS = [_world.household(n) for n in range(1, 301)]
RESIDENT_IDS = [m.resident_id for h in HOUSEHOLDS for m in h.members]
PHONES = [m.phone for h in HOUSEHOLDS for m in h.members if m.phone]


@attrs.frozen
class Ran:
    code: int
    out: str
    err: str


def jieqin_cli(*args: str, before: str = "", cwd: Path | None = None, **popen: object) -> Ran:
    """Run ``jieqin ARGS`` in a fresh interpreter; ``before`` is Python run first
    (to make the environment fail for real: a driver that cannot be imported...)."""
    code = f"{before}\nfrom jieqin.cli import main\nmain()"
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, "JIEQIN_TRACEBACK": ""},
        check=False,
        **popen,  # type: ignore[arg-type]
    )
    return Ran(result.returncode, result.stdout, result.stderr)


@pytest.fixture
def run(capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Ran]:
    """``run(*args, cwd=None)``: ``jieqin ARGS`` in this process, as ``main`` runs it
    (faster than a fresh interpreter where the environment need not fail for real)."""
    from jieqin.cli import cli

    monkeypatch.delenv("JIEQIN_TRACEBACK", raising=False)

    def invoke(*args: str, cwd: Path | None = None) -> Ran:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capfd.readouterr()
        code = run_cli(cli, list(args))
        captured = capfd.readouterr()
        return Ran(code, captured.out, captured.err)

    return invoke


def assert_one_line(ran: Ran, *words: str) -> str:
    """A failure said in one masked line that holds each of ``words``; returns it."""
    assert ran.code != 0, ran
    assert "Traceback" not in ran.err, ran.err
    lines = ran.err.splitlines()
    assert len(lines) == 1, ran.err
    shown = ran.out + ran.err
    assert not find_sensitive(shown, resident_ids=RESIDENT_IDS, phones=PHONES), shown
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database at the newest schema, made once (migrations take a while)."""
    path = tmp_path_factory.mktemp("template") / "campaign.db"
    jieqin.connect(f"sqlite:///{path}").close()
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Path:
    """An empty database of this test's own."""
    path = tmp_path / "campaign.db"
    shutil.copyfile(template, path)
    return path


@pytest.fixture
def households_csv(tmp_path: Path) -> Path:
    path = tmp_path / "households.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        write_records(HOUSEHOLDS, "households", out, include_sensitive=True)
    return path


# --- storage ---------------------------------------------------------------------------

#: Python run before the command: every SQLite connection may not grow its database
#: (``max_page_count`` is kept at the pages it has), so a write fails with SQLITE_FULL.
SQLITE_FULL = textwrap.dedent(
    """
    import sqlalchemy as sa

    @sa.event.listens_for(sa.pool.Pool, "connect")
    def _no_room(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA max_page_count = 1")
        cursor.close()
    """
)


def test_a_full_sqlite_database_is_one_line_without_the_rows(
    db: Path, households_csv: Path
) -> None:
    ran = jieqin_cli(
        "import", "households", str(households_csv), "--db", str(db), before=SQLITE_FULL
    )
    assert_one_line(ran, "is full", "nothing was written")
    assert "INSERT" not in ran.err


def test_an_unwritable_sqlite_path_is_one_line(tmp_path: Path, run: Callable[..., Ran]) -> None:
    ran = run("init", "--db", str(tmp_path / "no-such-folder" / "x.db"))
    assert_one_line(ran, "cannot open the database", "check the path")


def test_a_read_only_sqlite_database_is_one_line(
    db: Path, households_csv: Path, run: Callable[..., Ran]
) -> None:
    url = f"sqlite:///file:{db}?mode=ro&uri=true"
    ran = run("import", "households", str(households_csv), "--url", url)
    assert_one_line(ran, "read-only")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any file")
def test_a_sqlite_file_jieqin_may_not_write_is_one_line(db: Path, households_csv: Path) -> None:
    db.chmod(0o444)
    ran = jieqin_cli("import", "households", str(households_csv), "--db", str(db))
    assert_one_line(ran, "read-only")


def test_an_unreachable_postgresql_server_is_one_line(run: Callable[..., Ran]) -> None:
    pytest.importorskip("psycopg")
    ran = run("report", "--url", "postgresql+psycopg://postgres@127.0.0.1:1/test")
    assert_one_line(ran, "cannot connect to", "127.0.0.1:1", "check that the server runs")


def test_a_missing_postgresql_database_is_one_line(
    postgresql_server: str, run: Callable[..., Ran]
) -> None:
    url = sa.engine.make_url(postgresql_server).set(database="jieqin_no_such_database")
    ran = run("report", "--url", url.render_as_string(hide_password=False))
    assert_one_line(ran, "does not exist", "jieqin init")


def test_a_missing_psycopg_names_the_extra_to_install() -> None:
    # A real import failure: ``import psycopg`` raises ImportError in that interpreter.
    ran = jieqin_cli(
        "report",
        "--url",
        "postgresql+psycopg://postgres@127.0.0.1/test",
        before="import sys\nsys.modules['psycopg'] = None",
    )
    assert_one_line(ran, "psycopg", "pip install 'jieqin[postgresql]'")


def test_a_nul_byte_in_a_name_on_postgresql_is_one_line(
    postgresql_url: str, tmp_path: Path, run: Callable[..., Ran]
) -> None:
    assert run("init", "--url", postgresql_url).code == 0
    household = _world.household(7)
    member = attrs.evolve(household.members[0], name="李\x00秀英")
    out = io.StringIO()
    write_records(
        [attrs.evolve(household, members=[member])],
        "households",
        out,
        format="jsonl",
        include_sensitive=True,
    )
    path = tmp_path / "households.jsonl"
    path.write_text(out.getvalue(), encoding="utf-8")
    ran = run("import", "households", str(path), "--url", postgresql_url)
    line = assert_one_line(ran, "NUL", "nothing was written")
    for diagnosis in _world.DIAGNOSES:
        assert diagnosis not in line


# --- a database that does not exist ----------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["report"],
        ["pair"],
        ["needs"],
        ["export", "households"],
        ["import", "helpers", "HELPERS"],
        ["db", "upgrade"],
        ["db", "rebuild"],
    ],
    ids=" ".join,
)
def test_every_command_but_init_refuses_a_missing_database(
    command: list[str], tmp_path: Path, run: Callable[..., Ran]
) -> None:
    helpers = tmp_path / "helpers.jsonl"
    helpers.write_text("", encoding="utf-8")
    args = [str(helpers) if part == "HELPERS" else part for part in command]
    ran = run(*args, "--db", "missing.db", cwd=tmp_path)
    assert_one_line(ran, "missing.db", "jieqin init --db missing.db")
    assert not (tmp_path / "missing.db").exists()


def test_the_default_database_is_refused_when_missing_too(tmp_path: Path) -> None:
    ran = subprocess.run(
        [sys.executable, "-c", "from jieqin.cli import main; main()", "report"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "JIEQIN_DATABASE_URL"},
    )
    assert_one_line(Ran(ran.returncode, ran.stdout, ran.stderr), "jieqin.db", "jieqin init")
    assert not (tmp_path / "jieqin.db").exists()


def test_init_creates_the_database(tmp_path: Path, run: Callable[..., Ran]) -> None:
    ran = run("init", "--db", "new.db", cwd=tmp_path)
    assert ran.code == 0, ran.err
    assert (tmp_path / "new.db").exists()
    assert run("report", "--db", "new.db", cwd=tmp_path).code == 0


def test_the_api_refuses_a_missing_database_when_told(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(DatabaseMissing, match=r"missing\.db"):
        jieqin.connect(f"sqlite:///{path}", create=False)
    assert not path.exists()
    with jieqin.connect(f"sqlite:///{path}"):  # the API's default creates it
        pass
    assert path.exists()
    jieqin.connect(f"sqlite:///{path}", create=False).close()


def test_an_empty_postgresql_schema_is_refused_when_not_creating(postgresql_url: str) -> None:
    with pytest.raises(DatabaseMissing, match="jieqin init"):
        jieqin.connect(postgresql_url, create=False)


def test_a_missing_jsonl_store_is_refused(tmp_path: Path, run: Callable[..., Ran]) -> None:
    pytest.importorskip("jieqin_jsonl")
    url = f"jsonl://{tmp_path / 'store'}"
    with pytest.raises(DatabaseMissing, match="jieqin init"):
        jieqin.connect(url, create=False)
    assert not (tmp_path / "store").exists()
    assert_one_line(run("report", "--url", url), "jsonl store", "jieqin init")
    assert run("init", "--url", url).code == 0
    assert run("report", "--url", url).code == 0


# --- input -----------------------------------------------------------------------------


def test_json_nested_100000_deep_is_one_line(
    db: Path, tmp_path: Path, run: Callable[..., Ran]
) -> None:
    path = tmp_path / "helpers.jsonl"
    path.write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    ran = run("import", "helpers", str(path), "--db", str(db))
    assert_one_line(ran, "helpers.jsonl line 1", "nest")


def test_an_integer_of_5000_digits_is_one_line(
    db: Path, tmp_path: Path, run: Callable[..., Ran]
) -> None:
    path = tmp_path / "helpers.jsonl"
    path.write_text('{"helper_id": "p1", "capacity": ' + "7" * 5000 + "}\n", encoding="utf-8")
    ran = run("import", "helpers", str(path), "--db", str(db))
    assert_one_line(ran, "helpers.jsonl line 1", "5000 digits")


def test_an_unknown_import_encoding_is_one_line(
    db: Path, households_csv: Path, run: Callable[..., Ran]
) -> None:
    ran = run(
        "import", "households", str(households_csv), "--db", str(db), "--encoding", "nonsense"
    )
    assert_one_line(ran, "unknown encoding 'nonsense'")


# --- output ----------------------------------------------------------------------------


def test_an_unknown_export_encoding_is_one_line(
    db: Path, tmp_path: Path, run: Callable[..., Ran]
) -> None:
    out = tmp_path / "households.csv"
    ran = run("export", "households", "-o", str(out), "--db", str(db), "--encoding", "nonsense")
    assert_one_line(ran, "unknown encoding 'nonsense'")
    assert list(tmp_path.glob("*.csv*")) == []


def test_a_character_gbk_lacks_is_one_line(tmp_path: Path, run: Callable[..., Ran]) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    with jieqin.connect(url) as campaign, campaign.unit_of_work() as uow:
        uow.helpers.add(attrs.evolve(_world.helper(1), name="王伟😀"))
        uow.commit()
    out = tmp_path / "helpers.csv"
    ran = run("export", "helpers", "-o", str(out), "--url", url, "--encoding", "gbk")
    assert_one_line(ran, "gbk has no character U+1F600", "--encoding utf-8")
    assert list(tmp_path.glob("*.csv*")) == []


def test_an_export_to_a_full_disk_is_one_line(db: Path, run: Callable[..., Ran]) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    ran = run("export", "households", "-o", "/dev/full", "--db", str(db))
    assert_one_line(ran, "/dev/full", "disk is full")


def test_an_export_to_dev_stdout_writes_standard_output(db: Path, run: Callable[..., Ran]) -> None:
    ran = run("export", "households", "-o", "/dev/stdout", "--db", str(db))
    assert ran.code == 0, ran.err
    assert ran.out.startswith("household_id,")
    assert "Traceback" not in ran.err


def test_a_closed_pipe_ends_quietly(db: Path) -> None:
    code = "from jieqin.cli import main\nmain()"
    args = [sys.executable, "-c", code, "export", "households", "--db", str(db)]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        proc.stdout.close()  # as `| head -1` does once it has its line
        err = proc.stderr.read().decode()
        code_ = proc.wait(timeout=120)
    assert code_ != 0
    assert "Traceback" not in err
    assert "Exception ignored" not in err


# --- the last line of defence ----------------------------------------------------------


def _group(raise_: Callable[[], None]) -> click.Group:
    @click.group()
    @debug_option
    def group() -> None:
        pass

    @group.command()
    def fail() -> None:
        raise_()

    return group


def _bug() -> None:
    raise RuntimeError(f"unexpected state for member {RESIDENT_IDS[0]} phone {PHONES[0]}")


def test_an_unexpected_error_is_one_masked_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(_group(_bug), ["fail"]) == 1
    err = capsys.readouterr().err
    line = assert_one_line(Ran(1, "", err), "internal error: RuntimeError", "--debug")
    assert RESIDENT_IDS[0][:4] in line


def test_debug_shows_the_traceback_masked(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(_group(_bug), ["--debug", "fail"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert "_bug" in err
    assert not find_sensitive(err, resident_ids=RESIDENT_IDS, phones=PHONES), err
    assert err.splitlines()[-1].startswith("Error: internal error: RuntimeError")


def test_the_traceback_variable_still_shows_it_masked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIEQIN_TRACEBACK", "1")
    assert run_cli(_group(_bug), ["fail"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert not find_sensitive(err, resident_ids=RESIDENT_IDS, phones=PHONES), err


def test_an_interruption_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    assert run_cli(_group(interrupt), ["fail"]) == EXIT_INTERRUPTED
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.strip()] == [
        "Error: interrupted; what was not committed was not written"
    ]


def test_usage_errors_are_one_line(run: Callable[..., Ran]) -> None:
    ran = run("report", "--no-such-option")
    assert ran.code == 2
    assert_one_line(ran, "--no-such-option", "jieqin report --help")


# --- parameters never reach a message --------------------------------------------------


def test_sql_parameters_never_reach_a_message(tmp_path: Path) -> None:
    from jieqin.storage.sql.backend import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with pytest.raises(sa.exc.DBAPIError) as info, engine.connect() as conn:
            conn.execute(
                sa.text("SELECT * FROM no_such_table WHERE id = :id"), {"id": RESIDENT_IDS[0]}
            )
    finally:
        engine.dispose()
    assert RESIDENT_IDS[0] not in str(info.value)
    assert "parameters hidden" in str(info.value)
