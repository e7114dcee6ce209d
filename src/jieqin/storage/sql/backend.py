"""The SQLAlchemy storage backend: engines, schema versions and the unit of work.

SQLite connections run with ``foreign_keys=ON``, a busy timeout, and (for files)
``journal_mode=WAL``; transactions are begun explicitly so that reads and writes of
a unit of work share one snapshot. PostgreSQL is reached through psycopg 3.

A new, empty database is created at the newest schema revision. A database made by
an older jieqin is refused with :class:`~jieqin.errors.SchemaOutdated` until
``jieqin db upgrade`` (:func:`upgrade`) has run; the migrations are Alembic's,
shipped inside this package.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from jieqin.errors import SchemaOutdated, StorageBusy, StorageError
from jieqin.storage._common import BaseUnitOfWork
from jieqin.storage.sql.bulk import register_sqlite_adapters
from jieqin.storage.sql.repositories import repositories_for
from jieqin.storage.sql.tables import AUDIT_LOG, METADATA, VERSION_TABLE

__all__ = [
    "BUSY_TIMEOUT_MS",
    "LOCK_WAIT_SECONDS",
    "SqlStorage",
    "SqlUnitOfWork",
    "alembic_config",
    "create_engine",
    "schema_revision",
    "upgrade",
]

#: How long one attempt to take SQLite's write lock waits (SQLite's busy timeout).
BUSY_TIMEOUT_MS = 30_000

#: How long a unit of work keeps trying to take SQLite's write lock in all, by default;
#: ``JIEQIN_SQLITE_LOCK_WAIT`` (seconds) overrides it.
LOCK_WAIT_SECONDS = 600.0

#: Where the migrations live, as a package resource (works from an installed wheel).
SCRIPT_LOCATION = "jieqin.storage.sql:migrations"


def _normalise(url: str) -> str:
    """``postgresql://`` means psycopg 3 for jieqin."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def create_engine(url: str) -> sa.Engine:
    """An engine for ``url`` with jieqin's connection settings."""
    url = _normalise(url)
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise StorageError(f"cannot use database URL {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        register_sqlite_adapters()
        database = engine.url.database or ""
        in_memory = database in ("", ":memory:") or database.startswith("file::memory:")

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            busy_ms = min(BUSY_TIMEOUT_MS, int(_lock_wait() * 1000))
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn: sa.Connection) -> None:
            # Every unit of work starts as a writer. A plain BEGIN that reads and later
            # writes fails at once with "database is locked" when another process wrote
            # in between (SQLite cannot promote a stale reader); IMMEDIATE waits out the
            # busy timeout instead. Readers in other connections are not blocked (WAL).
            _begin_immediate(conn)

    elif engine.dialect.name != "postgresql":
        raise StorageError(
            f"jieqin's SQL backend supports SQLite and PostgreSQL, not {engine.dialect.name}"
        )
    return engine


def _lock_wait() -> float:
    value = os.environ.get("JIEQIN_SQLITE_LOCK_WAIT")
    try:
        return float(value) if value else LOCK_WAIT_SECONDS
    except ValueError:
        raise StorageError(
            f"JIEQIN_SQLITE_LOCK_WAIT must be a number of seconds, not {value!r}"
        ) from None


def _begin_immediate(conn: sa.Connection) -> None:
    """Take SQLite's write lock, waiting out other writers.

    SQLite's busy handler is not a queue: with many writers one can lose the race
    for the lock again and again and see "database is locked" after the busy
    timeout. So the attempt is repeated until :data:`LOCK_WAIT_SECONDS` have passed
    in all, then :class:`~jieqin.errors.StorageBusy` says what happened.
    """
    deadline = time.monotonic() + _lock_wait()
    while True:
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except sa.exc.OperationalError as exc:
            if "locked" not in str(exc.orig) and "busy" not in str(exc.orig):
                raise
            if time.monotonic() >= deadline:
                raise StorageBusy(
                    f"other writers kept {conn.engine.url.database} locked for over "
                    f"{_lock_wait():.0f} s; nothing was written, try again "
                    "(JIEQIN_SQLITE_LOCK_WAIT sets how long to wait)"
                ) from None


def alembic_config(engine_or_connection: sa.Engine | sa.Connection | None = None) -> Config:
    """An Alembic configuration for jieqin's migrations (no ``alembic.ini`` needed)."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("version_table", VERSION_TABLE)
    if engine_or_connection is not None:
        config.attributes["connection"] = engine_or_connection
    return config


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def schema_revision(conn: sa.Connection) -> str | None:
    """The schema revision a database is at (``None`` if it has none)."""
    context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def _shown(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _check_schema(engine: sa.Engine, *, create: bool) -> None:
    """Create an empty database at head; refuse an outdated or foreign one."""
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        ours = tables & set(METADATA.tables)
        if VERSION_TABLE not in tables:
            if ours:
                raise SchemaOutdated(
                    f"{_shown(engine)} has jieqin tables but no schema revision; "
                    "it was not made by this jieqin"
                )
            if not create:
                return
            command.upgrade(alembic_config(conn), "head")
            conn.commit()
            return
        current = schema_revision(conn)
        conn.rollback()
    head = _head()
    if current == head:
        return
    script = ScriptDirectory.from_config(alembic_config())
    known = {rev.revision for rev in script.walk_revisions()}
    if current in known:
        raise SchemaOutdated(
            f"the database {_shown(engine)} has schema revision {current}, this jieqin needs "
            f"{head}: back it up, then run `jieqin db upgrade`"
        )
    raise StorageError(
        f"the database {_shown(engine)} has schema revision {current}, unknown to this "
        "jieqin: it was made by a newer version"
    )


def upgrade(url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate the database at ``url`` to ``revision``; returns (before, after)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            before = schema_revision(conn)
            command.upgrade(alembic_config(conn), revision)
            conn.commit()
            after = schema_revision(conn)
            conn.commit()
        return before, after
    finally:
        engine.dispose()


class SqlStorage:
    """Storage in a SQLite or PostgreSQL database through SQLAlchemy Core."""

    sql_backed = True

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        self.engine = create_engine(url)
        try:
            _check_schema(self.engine, create=create)
        except BaseException:
            self.engine.dispose()
            raise

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def unit_of_work(self, actor: str = "jieqin") -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, actor)

    def close(self) -> None:
        self.engine.dispose()


class SqlUnitOfWork(BaseUnitOfWork):
    """A database transaction with a repository per aggregate.

    The connection is opened at the first use and the transaction begun; ``commit``
    commits it, leaving the block rolls back what was not committed.
    """

    sql_backed = True

    def __init__(self, engine: sa.Engine, actor: str) -> None:
        super().__init__(actor)
        self._engine = engine
        self._conn: sa.Connection | None = None
        repos: Mapping[str, Any] = repositories_for(self)
        self.helpers = repos["helpers"]
        self.households = repos["households"]
        self.pairings = repos["pairings"]
        self.handovers = repos["handovers"]
        self.needs = repos["needs"]
        self.referrals = repos["referrals"]
        self.activities = repos["activities"]
        self.programs = repos["programs"]
        self.funds = repos["funds"]
        self.grants = repos["grants"]
        self.decisions = repos["decisions"]
        self.audit = repos["audit"]

    @property
    def connection(self) -> sa.Connection:
        """The SQLAlchemy connection, in this unit of work's transaction."""
        if self._conn is None:
            self._conn = self._engine.connect()
        return self._conn

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def record(
        self, action: str, entity: str, entity_id: str | None, changes: Mapping[str, Any]
    ) -> None:
        """Append an audit entry in this transaction."""
        self.connection.execute(
            AUDIT_LOG.insert().values(
                at=datetime.now(UTC),
                actor=self.actor,
                action=action,
                entity=entity,
                entity_id=entity_id,
                changes=dict(changes),
            )
        )

    def _commit(self) -> None:
        if self._conn is not None and self._conn.in_transaction():
            self._conn.commit()

    def _rollback(self) -> None:
        if self._conn is not None and self._conn.in_transaction():
            self._conn.rollback()

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
