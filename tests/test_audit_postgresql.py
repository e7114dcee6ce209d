"""The audit log on PostgreSQL: rewrites by the owner are caught, a least-privilege
role (`jieqin db grant`) cannot make them at all, concurrent writers chain in order."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.storage import verify_audit
from jieqin.storage.audit_chain import KEY_ENV
from jieqin.testing.contract import make_helper, make_household

pytestmark = pytest.mark.postgresql


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)


def _libpq(url: str) -> str:
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(False)


@pytest.fixture
def owner_url(postgresql_url: str) -> str:
    """A campaign with three audit entries, made by the owner of its tables."""
    with jieqin.connect(postgresql_url) as campaign:
        for i in range(1, 4):
            with campaign.unit_of_work(f"clerk:{i}") as uow:
                uow.helpers.add(make_helper(f"h{i}"))
                uow.commit()
    return postgresql_url


def _owner_sql(url: str, *statements: str) -> None:
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


def _problem(url: str) -> tuple[int, str]:
    with jieqin.connect(url) as campaign:
        problem = verify_audit(campaign).problem
    assert problem is not None
    return problem.entry_id, problem.kind


def test_the_trigger_holds_even_in_replica_mode(owner_url: str) -> None:
    """``session_replication_role = replica`` no longer skips the append-only trigger."""
    with psycopg.connect(_libpq(owner_url)) as conn:
        conn.execute("SET session_replication_role = replica")
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("DELETE FROM audit_log WHERE entry_id = 2")


def test_a_delete_by_the_owner_with_the_trigger_disabled_is_caught(
    owner_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """(d) The owner disables the trigger and deletes entry 2: verify names entry 3."""
    _owner_sql(
        owner_url,
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        "DELETE FROM audit_log WHERE entry_id = 2",
    )
    assert _problem(owner_url) == (3, "missing_entries")
    assert run_cli(cli, ["db", "check", "--url", owner_url]) == 1
    err = capsys.readouterr().err
    assert "audit_log_append_only on audit_log is disabled" in err
    assert "entry 3: entry 2 is missing" in err


def test_an_update_by_the_owner_in_replica_mode_is_caught(owner_url: str) -> None:
    """(d) The owner makes the trigger fire in replica mode only, then updates entry 1."""
    with psycopg.connect(_libpq(owner_url)) as conn:
        conn.execute("ALTER TABLE audit_log ENABLE REPLICA TRIGGER audit_log_append_only")
        conn.execute("UPDATE audit_log SET actor = 'someone else' WHERE entry_id = 1")
        conn.commit()
    assert _problem(owner_url) == (1, "hash_mismatch")


def test_the_owner_is_told_it_could_rewrite_the_log(
    owner_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(cli, ["db", "check", "--url", owner_url]) == 1
    err = capsys.readouterr().err
    assert "is a superuser" in err or "owns audit_log" in err
    assert "jieqin db grant" in err


@pytest.fixture
def app_url(owner_url: str) -> Iterator[str]:
    """A login role with the grants of `jieqin db grant --apply`; dropped after."""
    role = f"jieqin_app_{secrets.token_hex(4)}"
    _owner_sql(owner_url, f'CREATE ROLE "{role}" LOGIN')
    try:
        assert run_cli(cli, ["db", "grant", role, "--apply", "--url", owner_url]) == 0
        yield sa.engine.make_url(owner_url).set(username=role).render_as_string(False)
    finally:
        _owner_sql(owner_url, f'DROP OWNED BY "{role}"', f'DROP ROLE "{role}"')


def test_db_grant_prints_the_statements(owner_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(cli, ["db", "grant", "jieqin_app", "--url", owner_url]) == 0
    out = capsys.readouterr().out
    schema = sa.engine.make_url(owner_url).query["options"].split("=")[-1]
    assert f'GRANT SELECT, INSERT ON "{schema}"."audit_log" TO "jieqin_app";' in out
    assert f'REVOKE ALL ON "{schema}"."audit_log" FROM "jieqin_app";' in out
    assert f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{schema}"."helpers" TO "jieqin_app";' in out
    assert "UPDATE" not in "".join(line for line in out.splitlines() if '"audit_log" TO' in line)
    with psycopg.connect(_libpq(owner_url)) as conn:
        granted = conn.execute(
            "SELECT count(*) FROM pg_roles WHERE rolname = 'jieqin_app'"
        ).fetchone()
    assert granted == (0,)  # printed, not applied


def test_db_grant_refuses_a_role_name_that_is_not_one(
    owner_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(cli, ["db", "grant", 'x"; DROP TABLE audit_log; --', "--url", owner_url]) == 1
    assert "is not a role name" in capsys.readouterr().err


def test_the_least_privilege_role_writes_and_cannot_rewrite_history(
    app_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """(d) As the role of `jieqin db grant`, normal writes work; UPDATE, DELETE and
    TRUNCATE of the log, disabling its triggers and replica mode are all refused."""
    with jieqin.connect(app_url) as campaign:
        with campaign.unit_of_work("clerk:app") as uow:
            uow.helpers.add(make_helper("h9"))
            uow.households.add(make_household("hh9"))
            uow.helpers.update(make_helper("h1", capacity=5))
            assert uow.audit.count(actor="clerk:app") == 3
            uow.commit()
        assert verify_audit(campaign).ok
    refused = [
        "UPDATE audit_log SET actor = 'x' WHERE entry_id = 1",
        "DELETE FROM audit_log WHERE entry_id = 1",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        "SET session_replication_role = replica",
        "DROP TABLE audit_log",
    ]
    for statement in refused:
        with (
            psycopg.connect(_libpq(app_url)) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute(statement)  # type: ignore[arg-type]
    assert run_cli(cli, ["db", "check", "--url", app_url]) == 0
    assert "every protection of the audit log is in place" in capsys.readouterr().out
    with jieqin.connect(app_url) as campaign:
        assert verify_audit(campaign).entries == 6


def test_concurrent_writers_chain_in_order(owner_url: str) -> None:
    """Writers committing at once each take the log's lock briefly: one chain, ids in
    sequence, no gaps."""
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            with jieqin.connect(owner_url) as campaign:
                for i in range(8):
                    with campaign.unit_of_work(f"worker:{worker}") as uow:
                        uow.helpers.add(make_helper(f"w{worker}-{i}"))
                        uow.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with jieqin.connect(owner_url) as campaign:
        result = verify_audit(campaign)
        with campaign.unit_of_work("auditor") as uow:
            ids = [e.entry_id for e in uow.audit.entries()]
    assert result.ok, result.line()
    assert ids == list(range(1, 36))
