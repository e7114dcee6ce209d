"""The tamper-evident audit log: the chain, `jieqin audit verify`, `jieqin db check`,
and each rewrite of history caught (SQLite here; PostgreSQL in test_audit_postgresql)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.errors import StorageError
from jieqin.storage import AuditEntry, verify_audit
from jieqin.storage.audit_chain import (
    GENESIS,
    KEY_ENV,
    ChainHead,
    audit_key,
    chain,
    entry_hash,
    verify,
)
from jieqin.storage.sql import upgrade
from jieqin.storage.sql.backend import _head, create_engine
from jieqin.testing.contract import make_helper

KEY = "a-long-secret-audit-key-0001"


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_cli(cli, list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A SQLite campaign with five audit entries (helpers h1..h5, one commit each)."""
    path = tmp_path / "campaign.db"
    with jieqin.connect(f"sqlite:///{path}") as campaign:
        for i in range(1, 6):
            with campaign.unit_of_work(f"clerk:{i}") as uow:
                uow.helpers.add(make_helper(f"h{i}"))
                uow.commit()
    return path


def _sql(path: Path, *statements: str, params: tuple[object, ...] = ()) -> None:
    conn = sqlite3.connect(path)
    try:
        for statement in statements:
            conn.execute(statement, params if "?" in statement else ())
        conn.commit()
    finally:
        conn.close()


def _entries(path: Path) -> list[AuditEntry]:
    with jieqin.connect(f"sqlite:///{path}") as campaign, campaign.unit_of_work("a") as uow:
        return uow.audit.entries()


def _problem(path: Path, key: bytes | None = None) -> tuple[int, str]:
    result = verify_audit(jieqin.connect(f"sqlite:///{path}"), key=key)
    assert result.problem is not None, result.line()
    return result.problem.entry_id, result.problem.kind


# -- the chain itself ---------------------------------------------------------------


def _log(n: int, key: bytes | None = None) -> list[AuditEntry]:
    pending = [("add", "helpers", f"h{i}", {"capacity": i}) for i in range(1, n + 1)]
    return chain(ChainHead(), pending, "clerk", now=datetime(2021, 3, 1, tzinfo=UTC), key=key)


def test_entries_are_numbered_and_linked_from_genesis() -> None:
    entries = _log(3)
    assert [e.entry_id for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS
    assert entries[1].prev_hash == entries[0].hash
    assert verify(entries).ok


def _changed(entries: list[AuditEntry]) -> list[AuditEntry]:
    return [entries[0], attrs.evolve(entries[1], actor="someone else"), entries[2]]


@pytest.mark.parametrize(
    ("tamper", "entry_id", "kind"),
    [
        (_changed, 2, "hash_mismatch"),
        (lambda es: [es[0], es[2]], 3, "missing_entries"),
        (lambda es: es[1:], 2, "missing_entries"),
        (lambda es: [es[0], es[2], es[1]], 3, "missing_entries"),
        (lambda es: [es[0], attrs.evolve(es[1], hash=None), es[2]], 2, "unhashed"),
    ],
    ids=["changed", "removed", "first-removed", "reordered", "unhashed"],
)
def test_verify_names_the_first_entry_that_does_not_fit(
    tamper: Callable[[list[AuditEntry]], list[AuditEntry]], entry_id: int, kind: str
) -> None:
    result = verify(tamper(_log(3)))
    assert not result.ok
    assert result.problem is not None
    assert (result.problem.entry_id, result.problem.kind) == (entry_id, kind)
    assert result.line().startswith(f"the audit log is broken at entry {entry_id}: ")


def test_time_never_goes_backwards_along_the_chain() -> None:
    head = ChainHead(7, "sha256:" + "1" * 64, datetime(2021, 3, 2, tzinfo=UTC))
    (entry,) = chain(head, [("add", "helpers", "h", {})], "c", now=datetime(2021, 3, 1), key=None)
    assert entry.at == datetime(2021, 3, 2, tzinfo=UTC)


def test_an_audit_key_must_be_long() -> None:
    assert audit_key({KEY_ENV: KEY}) == KEY.encode()
    assert audit_key({}) is None
    with pytest.raises(StorageError, match="at least 16"):
        audit_key({KEY_ENV: "short"})


# -- SQLite: the five rewrites ---------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "REPLACE INTO audit_log (entry_id, at, actor, action, entity, changes) "
        "VALUES (1, '2021-01-01 00:00:00', 'x', 'add', 'helpers', '{}')",
        "INSERT OR REPLACE INTO audit_log (entry_id, at, actor, action, entity, changes) "
        "VALUES (1, '2021-01-01 00:00:00', 'x', 'add', 'helpers', '{}')",
        "INSERT INTO audit_log (entry_id, at, actor, action, entity, changes) "
        "VALUES (1, '2021-01-01 00:00:00', 'x', 'add', 'helpers', '{}') "
        "ON CONFLICT (entry_id) DO UPDATE SET actor = 'x'",
        "INSERT INTO audit_log (at, actor, action, entity, changes) "
        "VALUES ('2021-01-01 00:00:00', 'x', 'add', 'helpers', '{}')",
    ],
    ids=["replace", "insert-or-replace", "upsert", "unnumbered"],
)
def test_a_replace_of_an_entry_is_refused(db: Path, statement: str) -> None:
    """(a) REPLACE INTO over entry 1 is refused by the database."""
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        _sql(db, statement)
    assert _entries(db)[0].actor == "clerk:1"
    assert verify_audit(jieqin.connect(f"sqlite:///{db}")).ok


def test_a_replace_after_dropping_its_trigger_is_caught(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """(a) With the trigger dropped the replace goes through; verify names entry 1 and
    db check names the trigger."""
    first = _entries(db)[0]
    _sql(
        db,
        "DROP TRIGGER audit_log_no_replace",
        "REPLACE INTO audit_log (entry_id, at, actor, action, entity, entity_id, changes, "
        "prev_hash, hash) VALUES (1, ?, 'mallory', 'add', 'helpers', 'h1', '{}', ?, ?)",
        params=(first.at.strftime("%Y-%m-%d %H:%M:%S.%f"), first.prev_hash, first.hash),
    )
    assert _problem(db) == (1, "hash_mismatch")
    code, _, err = run(capsys, "audit", "verify", "--db", str(db))
    assert code == 1
    assert err.strip() == (
        "Error: the audit log is broken at entry 1: its content does not match its hash: "
        "it was changed"
    )
    code, _, err = run(capsys, "db", "check", "--db", str(db))
    assert code == 1
    assert "audit_log_no_replace" in err
    assert "broken at entry 1" in err
    assert len(err.strip().splitlines()) == 1


def test_an_update_after_dropping_its_trigger_is_caught(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """(b) DROP TRIGGER, then UPDATE entry 3: verify names entry 3, db check the trigger,
    and init does not say the database is ready."""
    _sql(
        db,
        "DROP TRIGGER audit_log_no_update",
        "UPDATE audit_log SET actor = 'x' WHERE entry_id = 3",
    )
    assert _problem(db) == (3, "hash_mismatch")
    code, out, err = run(capsys, "audit", "verify", "--json", "--db", str(db))
    assert code == 1
    assert json.loads(out)["problem"]["entry_id"] == 3
    code, _, err = run(capsys, "db", "check", "--db", str(db))
    assert code == 1
    assert "the trigger audit_log_no_update on audit_log is missing" in err
    code, out, err = run(capsys, "init", "--db", str(db))
    assert code == 1
    assert "Database ready" not in out
    assert "audit_log_no_update" in err


def test_a_delete_after_dropping_its_trigger_is_caught(db: Path) -> None:
    _sql(db, "DROP TRIGGER audit_log_no_delete", "DELETE FROM audit_log WHERE entry_id IN (2, 3)")
    assert _problem(db) == (4, "missing_entries")


def test_a_dropped_audit_log_is_reported(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """(c) DROP TABLE audit_log: db check and init report it."""
    _sql(db, "DROP TABLE audit_log")
    code, _, err = run(capsys, "db", "check", "--db", str(db))
    assert code == 1
    assert "the table audit_log is missing" in err
    code, out, err = run(capsys, "init", "--db", str(db))
    assert code == 1
    assert "Database ready" not in out
    assert "the table audit_log is missing" in err


def _forge(db: Path, at: datetime, *, key: bytes | None = None) -> None:
    """Append an entry as someone who knows the algorithm (and ``key``) would."""
    last = _entries(db)[-1]
    forged = AuditEntry(last.entry_id + 1, at, "boss", "add", "helpers", "h99", {"capacity": 1})
    digest = entry_hash(forged, last.hash or "", key)
    _sql(
        db,
        "INSERT INTO audit_log (entry_id, at, actor, action, entity, entity_id, changes, "
        "prev_hash, hash) VALUES (?, ?, 'boss', 'add', 'helpers', 'h99', '{\"capacity\": 1}', ?, ?)",
        params=(forged.entry_id, at.strftime("%Y-%m-%d %H:%M:%S.%f"), last.hash, digest),
    )


def test_a_forged_back_dated_entry_is_caught(db: Path) -> None:
    """(e) A well-formed entry dated before the last one: its time goes backwards."""
    _forge(db, datetime(2020, 1, 1, tzinfo=UTC))
    assert _problem(db) == (6, "time_backwards")


def test_only_the_key_catches_a_well_formed_entry_appended_now(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(e) Unkeyed, a forger who knows the algorithm can append a fitting entry at the
    end (the docs say so); in keyed mode the same forgery does not fit."""
    monkeypatch.setenv(KEY_ENV, KEY)
    with jieqin.connect(f"sqlite:///{db}") as campaign, campaign.unit_of_work("c") as uow:
        uow.helpers.add(make_helper("h6"))
        uow.commit()
    _forge(db, datetime.now(UTC))
    assert _problem(db) == (7, "not_keyed")
    _sql(db, "DROP TRIGGER audit_log_no_delete", "DELETE FROM audit_log WHERE entry_id = 7")
    _forge(db, datetime.now(UTC), key=b"a guessed key, not the one")
    assert _problem(db) == (7, "hash_mismatch")
    monkeypatch.delenv(KEY_ENV)
    plain = db.parent / "plain.db"
    with jieqin.connect(f"sqlite:///{plain}") as campaign, campaign.unit_of_work("c") as uow:
        uow.helpers.add(make_helper("h1"))
        uow.commit()
    _forge(plain, datetime.now(UTC))
    assert verify_audit(jieqin.connect(f"sqlite:///{plain}")).ok


def test_an_intact_database_checks_clean(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "db", "check", "--db", str(db))
    assert code == 0
    assert "every protection of the audit log is in place" in out
    assert "5 entries" in out
    code, out, _ = run(capsys, "init", "--db", str(db))
    assert code == 0
    assert out.startswith("Database ready")
    code, out, _ = run(capsys, "audit", "verify", "--json", "--db", str(db))
    assert code == 0
    assert json.loads(out)["ok"] is True


# -- migration 0008 ----------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def sql_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


def test_upgrading_chains_the_entries_already_written(sql_url: str) -> None:
    """Entries written before revision 0008 (ids that skip, a time that steps back, as
    concurrent writers left them) are chained once, with a ``chain`` entry after them;
    later changes to them are caught, and new entries chain on."""
    upgrade(sql_url, "0007")
    engine = create_engine(sql_url)
    rows = [(1, "2021-03-01 10:00:00.5"), (2, "2021-03-01 10:00:00.4"), (4, "2021-03-02 09:00:00")]
    with engine.begin() as conn:
        for entry_id, at in rows:
            conn.execute(
                sa.text(
                    "INSERT INTO audit_log (entry_id, at, actor, action, entity, entity_id, "
                    "changes) VALUES (:i, :at, 'clerk', 'add', 'helpers', :e, :c)"
                ),
                {"i": entry_id, "at": at, "e": f"h{entry_id}", "c": '{"capacity": 3}'},
            )
    assert upgrade(sql_url) == ("0007", _head())
    with jieqin.connect(sql_url) as campaign:
        with campaign.unit_of_work("clerk") as uow:
            uow.helpers.add(make_helper("h9"))
            uow.commit()
        with campaign.unit_of_work("auditor") as uow:
            entries = uow.audit.entries()
        result = verify_audit(campaign)
    assert [e.entry_id for e in entries] == [1, 2, 4, 5, 6]
    assert (entries[3].action, entries[3].changes) == ("chain", {"chained_through": 4})
    assert result.ok, result.line()
    assert result.chained_from == 5
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        conn.exec_driver_sql("UPDATE audit_log SET entity_id = 'h7' WHERE entry_id = 2")
    engine.dispose()
    with jieqin.connect(sql_url) as campaign:
        problem = verify_audit(campaign).problem
    assert problem is not None
    assert (problem.entry_id, problem.kind) == (2, "hash_mismatch")
