"""The SQLAlchemy storage backend: engines, schema versions and the unit of work.

SQLite connections run with ``foreign_keys=ON``, a busy timeout, and (for files)
``journal_mode=WAL``; transactions are begun explicitly so that reads and writes of
a unit of work share one snapshot. A unit of work that writes begins ``IMMEDIATE``
(it holds the write lock from its first statement, so it never fails to turn a
reader into a writer); a read-only one begins ``DEFERRED`` and never takes the
write lock, and a database file jieqin may not write is opened read-only, so it can
still be reported, listed and exported. PostgreSQL is reached through psycopg 3; a
read-only unit of work is a ``READ ONLY`` transaction there.

A new, empty database is created at the newest schema revision. A database made by
an older jieqin is refused with :class:`~jieqin.errors.SchemaOutdated` until
``jieqin db upgrade`` (:func:`upgrade`) has run, which also rebuilds the read model
(:mod:`jieqin.storage.sql.read_model`) from the rows; the migrations are Alembic's,
shipped inside this package.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from jieqin.errors import DatabaseMissing, SchemaOutdated, StorageBusy, StorageError
from jieqin.storage._common import BaseUnitOfWork
from jieqin.storage.audit_chain import audit_key, normalised
from jieqin.storage.sql import audit as sql_audit
from jieqin.storage.sql import read_model
from jieqin.storage.sql.bulk import register_sqlite_adapters
from jieqin.storage.sql.encryption import KeyProvider, Sealer
from jieqin.storage.sql.errors import driver_missing, translate_errors
from jieqin.storage.sql.read_model import SqlReadModel
from jieqin.storage.sql.repositories import repositories_for
from jieqin.storage.sql.tables import METADATA, VERSION_TABLE

__all__ = [
    "BUSY_TIMEOUT_MS",
    "LOCK_WAIT_SECONDS",
    "READ_ONLY",
    "SqlStorage",
    "SqlUnitOfWork",
    "alembic_config",
    "create_engine",
    "rebuild_read_model",
    "require_file",
    "schema_revision",
    "shown_url",
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


#: The execution option that marks a read-only unit of work's connection.
READ_ONLY = "jieqin_read_only"


def _sqlite_file(url: sa.URL) -> Path | None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _writable(path: Path) -> bool:
    """Whether jieqin may write the SQLite file at ``path`` (and its journal beside it)."""
    if path.exists():
        return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    return True


def _read_only_uri(path: Path) -> str:
    """The URL that opens ``path`` read-only. In a folder jieqin may not write either
    (read-only media) SQLite cannot make the write-ahead log's index beside it, so the
    file is opened as immutable: nothing can change it there."""
    from urllib.parse import quote

    immutable = "" if os.access(path.parent, os.W_OK) else "&immutable=1"
    return f"sqlite:///file:{quote(str(path.resolve()))}?mode=ro{immutable}&uri=true"


def read_only_file(url: str) -> Path | None:
    """The SQLite file of ``url`` when jieqin may only read it, else ``None``."""
    try:
        parsed = sa.engine.make_url(_normalise(url))
    except sa.exc.ArgumentError as exc:
        raise StorageError(f"cannot use database URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() != "sqlite":
        return None
    path = _sqlite_file(parsed)
    return path if path is not None and not _writable(path) else None


def create_engine(url: str, *, must_exist: bool = False) -> sa.Engine:
    """An engine for ``url`` with jieqin's connection settings (a SQLite file jieqin may
    not write is opened read-only).

    Statement parameters never reach a message or a log (``hide_parameters``: they
    hold resident IDs and health facts), and the driver's errors that are not a bug
    (a full disk, a server that does not answer, a read-only file) become
    :class:`~jieqin.errors.StorageError` subclasses of one line
    (:mod:`jieqin.storage.sql.errors`). ``must_exist`` refuses a SQLite file that
    does not exist with :class:`~jieqin.errors.DatabaseMissing` instead of creating it.
    """
    url = _normalise(url)
    path = read_only_file(url)
    read_only = path is not None
    if must_exist:
        require_file(url)
    try:
        if read_only:
            assert path is not None
            engine = sa.create_engine(_read_only_uri(path), hide_parameters=True)
        else:
            engine = sa.create_engine(url, hide_parameters=True)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise StorageError(f"cannot use database URL {shown_url(url)!r}: {exc}") from exc
    except ImportError as exc:
        raise driver_missing(url, exc) from exc
    translate_errors(engine)
    if engine.dialect.name == "sqlite":
        in_memory = not read_only and _sqlite_file(engine.url) is None
        _configure_sqlite(engine, in_memory=in_memory, read_only=read_only)
    elif engine.dialect.name == "postgresql":
        _configure_postgresql(engine)
    else:
        raise StorageError(
            f"jieqin's SQL backend supports SQLite and PostgreSQL, not {engine.dialect.name}"
        )
    return engine


def require_file(url: str) -> None:
    """Refuse a SQLite URL whose file does not exist (SQLite would create it)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return
    path = _sqlite_file(parsed)
    if path is not None and not path.exists():
        raise DatabaseMissing(
            f"there is no database {path}: create it with `jieqin init --db {path}` first "
            "(or check the path)"
        )


def _configure_sqlite(engine: sa.Engine, *, in_memory: bool, read_only: bool) -> None:
    register_sqlite_adapters()

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        busy_ms = min(BUSY_TIMEOUT_MS, int(_lock_wait() * 1000))
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        if not in_memory and not read_only:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        # A unit of work that writes starts as a writer: a plain BEGIN that reads and
        # later writes fails at once with "database is locked" when another process
        # wrote in between (SQLite cannot promote a stale reader); IMMEDIATE waits out
        # the busy timeout instead. A read-only one never takes the write lock.
        if conn.get_execution_options().get(READ_ONLY) or read_only:
            conn.exec_driver_sql("BEGIN")
        else:
            _begin_immediate(conn)


def _configure_postgresql(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")


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
            if "readonly" in str(exc.orig) or "read-only" in str(exc.orig):
                raise StorageError(
                    f"the database {conn.engine.url.database} is read-only: it can be reported, "
                    "listed and exported, not written"
                ) from None
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


def shown_url(url: str) -> str:
    """``url`` as it may be shown: its password hidden (as given if it does not parse)."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def _check_schema(engine: sa.Engine, *, create: bool, read_only: bool = False) -> None:
    """Create an empty database at head; refuse an outdated or foreign one.

    The check reads without SQLite's write lock (opening a database never waits for
    another process's write); only creating the schema takes it."""
    current: str | None = None
    fresh = True  # the read model was built for this jieqin (or is rebuilt on upgrade)
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        tables = set(sa.inspect(conn).get_table_names())
        ours = tables & set(METADATA.tables)
        if VERSION_TABLE in tables:
            current = schema_revision(conn)
            fresh = current != _head() or read_model.is_current(conn)
        conn.rollback()
    if VERSION_TABLE not in tables:
        if ours:
            raise SchemaOutdated(
                f"{_shown(engine)} has jieqin tables but no schema revision; "
                "it was not made by this jieqin"
            )
        if create and not read_only:
            _create(engine)
            return
        raise DatabaseMissing(
            f"{_shown(engine)} holds no jieqin database: create one with "
            f"`jieqin init --url {_shown(engine)}` first"
        )
    head = _head()
    if current == head:
        if not fresh:
            raise SchemaOutdated(
                f"the read model of {_shown(engine)} was built by another jieqin: back the "
                "database up, then run `jieqin db upgrade` (it rebuilds it from the records)"
            )
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


def _create(engine: sa.Engine) -> None:
    """Build the schema at head in an empty database (unless another process just did)."""
    with engine.connect() as conn:
        if VERSION_TABLE not in set(sa.inspect(conn).get_table_names()):
            command.upgrade(alembic_config(conn), "head")
            read_model.rebuild(conn)
        conn.commit()


def upgrade(url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate the database at ``url`` to ``revision``; returns (before, after).

    At the newest revision the read model is rebuilt from the rows whenever it was
    built for another layout (the migrations leave its tables empty).
    """
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            before = schema_revision(conn)
            command.upgrade(alembic_config(conn), revision)
            conn.commit()
            after = schema_revision(conn)
            if after == _head() and not read_model.is_current(conn):
                read_model.rebuild(conn)
            conn.commit()
        return before, after
    finally:
        engine.dispose()


def rebuild_read_model(url: str) -> None:
    """Count the read model of the database at ``url`` again from its rows."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            read_model.rebuild(conn)
            conn.commit()
    finally:
        engine.dispose()


class SqlStorage:
    """Storage in a SQLite or PostgreSQL database through SQLAlchemy Core.

    ``read_only`` is set for a SQLite file jieqin may not write: every unit of work
    on it is read-only.
    """

    def __init__(
        self, url: str, *, create: bool = True, key_provider: KeyProvider | None = None
    ) -> None:
        self.url = url
        self.sealer: Sealer | None = None
        if key_provider is not None:
            self.use_key_provider(key_provider)
        self.read_only = read_only_file(url) is not None
        self.engine = create_engine(url, must_exist=not create)
        try:
            _check_schema(self.engine, create=create, read_only=self.read_only)
        except BaseException:
            self.engine.dispose()
            raise

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def use_key_provider(self, provider: KeyProvider) -> None:
        """Seal resident ID numbers, phones and diagnoses at rest with ``provider``'s
        keys from now on (see :mod:`jieqin.storage.sql.encryption`)."""
        self.sealer = Sealer(provider)

    def unit_of_work(self, actor: str = "jieqin", *, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self.engine, actor, read_only=read_only or self.read_only, sealer=self.sealer
        )

    def close(self) -> None:
        self.engine.dispose()


#: The memory an index build of a bulk load may sort in (SQLite's page cache while it
#: builds, PostgreSQL's ``maintenance_work_mem``).
INDEX_BUILD_MEMORY_KB = 128 * 1024


class SqlUnitOfWork(BaseUnitOfWork):
    """A database transaction with a repository per aggregate.

    The connection is opened at the first use and the transaction begun; ``commit``
    commits it, leaving the block rolls back what was not committed.
    """

    def __init__(
        self,
        engine: sa.Engine,
        actor: str,
        *,
        read_only: bool = False,
        sealer: Sealer | None = None,
    ) -> None:
        super().__init__(actor, read_only=read_only)
        self.sealer = sealer
        self._pending_audit: list[sql_audit.Pending] = []
        #: Indexes a bulk load dropped in this transaction, built again before it commits.
        self.deferred_indexes: list[sa.Index] = []
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
        self.consents = repos["consents"]
        self.grievances = repos["grievances"]
        self.plans = repos["plans"]
        self.plan_items = repos["plan_items"]
        self.objections = repos["objections"]
        self.eliminations = repos["eliminations"]
        self.observations = repos["observations"]
        self.warnings = repos["warnings"]
        self.audit = repos["audit"]
        self.read_model = SqlReadModel(lambda: self.connection)

    @property
    def connection(self) -> sa.Connection:
        """The SQLAlchemy connection, in this unit of work's transaction."""
        if self._conn is None:
            conn = self._engine.connect()
            if self.read_only:
                conn.execution_options(**{READ_ONLY: True})
            self._conn = conn
        return self._conn

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def record(
        self, action: str, entity: str, entity_id: str | None, changes: Mapping[str, Any]
    ) -> None:
        """Add an audit entry to this transaction: kept until :meth:`flush_audit` (at the
        commit, or when this unit of work reads the log), then numbered and chained."""
        self._pending_audit.append((action, entity, entity_id, normalised(changes)))

    def flush_audit(self) -> None:
        """Chain and insert the audit entries kept so far (the log's writers wait for
        each other from here until this transaction ends)."""
        if self._pending_audit:
            pending, self._pending_audit = self._pending_audit, []
            sql_audit.append(self.connection, self.actor, pending, key=audit_key())

    def build_deferred_indexes(self) -> None:
        """Build the indexes a bulk load of this transaction dropped (one sort each
        instead of an insert per row); a commit does it first, so none is ever missing."""
        indexes, self.deferred_indexes = self.deferred_indexes, []
        if not indexes:
            return
        conn = self.connection
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # room to sort in memory rather than in temporary files
            cache = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
            conn.exec_driver_sql(f"PRAGMA cache_size = -{INDEX_BUILD_MEMORY_KB}")
        else:
            conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY_KB}kB'")
        try:
            for index in indexes:
                conn.execute(sa.schema.CreateIndex(index, if_not_exists=True))
        finally:
            if sqlite:
                conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache)}")

    def _commit(self) -> None:
        self.build_deferred_indexes()
        self.flush_audit()
        if self._conn is not None and self._conn.in_transaction():
            self._conn.commit()

    def _rollback(self) -> None:
        self.deferred_indexes = []
        self._pending_audit = []
        if self._conn is not None and self._conn.in_transaction():
            self._conn.rollback()

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
