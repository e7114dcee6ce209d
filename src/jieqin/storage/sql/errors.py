"""The database driver's errors that are not a bug, in one line a person can act on.

An engine made by :func:`jieqin.storage.sql.backend.create_engine` turns the
errors of its connections (through SQLAlchemy's ``handle_error`` event) into
:class:`~jieqin.errors.JieqinError` subclasses: a full disk or database
(:class:`~jieqin.errors.StorageFull`), a server that does not answer or a file
that cannot be opened (:class:`~jieqin.errors.DatabaseUnavailable`), a database
that does not exist (:class:`~jieqin.errors.DatabaseMissing`), a read-only file,
a text value PostgreSQL cannot store (:class:`~jieqin.errors.InvalidInput`). The
message is built from the driver's reason (its first line, masked), never from
the statement or its parameters. Constraint violations are left to the
repositories (they say which record conflicts), lock waits to the unit of work.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from jieqin._masking import mask_text
from jieqin.errors import (
    DatabaseMissing,
    DatabaseUnavailable,
    DependencyMissing,
    InvalidInput,
    JieqinError,
    Problem,
    StorageError,
    StorageFull,
)

__all__ = ["driver_missing", "reason_of", "translate_errors", "translated"]

#: The most of a driver's reason a message repeats.
_REASON_CHARS = 300

#: SQLSTATE classes and codes of PostgreSQL (Appendix A of its manual).
_PG_DISK_FULL = "53100"
_PG_OUT_OF_RESOURCES = "53"
_PG_NO_DATABASE = "3D000"
_PG_READ_ONLY = "25006"

#: libpq's words when the database named in the URL does not exist.
_NO_DATABASE = re.compile(r'FATAL:\s+database ".*" does not exist')


def reason_of(error: object) -> str:
    """The first line of a driver error's message, masked and cut short."""
    lines = str(error).strip().splitlines()
    text = lines[0].strip() if lines else type(error).__name__
    if len(text) > _REASON_CHARS:
        text = text[:_REASON_CHARS] + "..."
    return mask_text(text)


def driver_missing(url: str, exc: ImportError) -> DependencyMissing:
    """The driver of ``url`` is not installed: say which extra installs it."""
    if url.startswith("postgresql"):
        return DependencyMissing(
            "PostgreSQL needs the psycopg driver, which is not installed: "
            "pip install 'jieqin[postgresql]'"
        )
    return DependencyMissing(f"the database driver is not installed ({reason_of(exc)})")


def translate_errors(engine: sa.Engine) -> None:
    """Raise a one-line :class:`~jieqin.errors.JieqinError` for the driver errors of
    ``engine`` that :func:`translated` knows."""

    @sa.event.listens_for(engine, "handle_error")
    def _handle(context: sa.engine.ExceptionContext) -> None:
        statement = (context.statement or "").strip().upper()
        if statement == "BEGIN IMMEDIATE":
            return  # the unit of work waits out a lock, and words a read-only file itself
        error = translated(context.original_exception, _shown(engine))
        if error is not None:
            raise error from context.sqlalchemy_exception


def _shown(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def translated(error: BaseException, where: str) -> JieqinError | None:
    """What ``error`` (a DBAPI exception of the database ``where``) means, or ``None``
    when it is not one of the errors a person can act on."""
    module = type(error).__module__.split(".")[0]
    if module == "sqlite3":
        return _sqlite(error, where)
    if module == "psycopg":
        return _postgresql(error, where)
    return None


def _sqlite(error: BaseException, where: str) -> JieqinError | None:
    text = str(error).lower()
    if "database or disk is full" in text:
        return StorageFull(
            f"the database {where} or its disk is full; nothing was written: "
            "free some space and run the command again"
        )
    if "readonly database" in text or "read-only" in text:
        return StorageError(
            f"the database {where} is read-only: it can be reported, listed and exported, "
            "not written"
        )
    if "unable to open database file" in text:
        return DatabaseUnavailable(
            f"cannot open the database {where}: its folder does not exist or jieqin may not "
            "write there; check the path and its permissions"
        )
    if "disk i/o error" in text:
        return StorageError(
            f"the disk failed while writing {where} (disk I/O error); nothing was written: "
            "check the disk and run the command again"
        )
    if "file is not a database" in text or "malformed" in text:
        return StorageError(
            f"{where} is not a jieqin database or is damaged ({reason_of(error)}); "
            "restore it from a backup"
        )
    if "database is locked" in text:
        return StorageError(f"another process holds {where} locked; nothing was written: try again")
    return None


def _postgresql(error: BaseException, where: str) -> JieqinError | None:
    sqlstate: str = getattr(error, "sqlstate", None) or ""
    name = type(error).__name__
    if sqlstate == _PG_NO_DATABASE or (not sqlstate and _NO_DATABASE.search(str(error))):
        return DatabaseMissing(
            f"the database of {where} does not exist: create it (createdb), then "
            f"run `jieqin init --url {where}`"
        )
    if sqlstate == _PG_DISK_FULL or sqlstate.startswith(_PG_OUT_OF_RESOURCES):
        return StorageFull(
            f"the PostgreSQL server of {where} is out of space or resources "
            f"({reason_of(error)}); nothing was written"
        )
    if sqlstate == _PG_READ_ONLY:
        return StorageError(f"the database {where} is read-only here ({reason_of(error)})")
    if name == "DataError" and "NUL" in str(error):
        return InvalidInput(
            [
                Problem(
                    "a text value holds a NUL character (\\x00), which PostgreSQL cannot "
                    "store; nothing was written: remove it from the input"
                )
            ]
        )
    if name == "OperationalError" and not sqlstate:
        # No SQLSTATE: the client could not connect (refused, unknown host, bad login).
        return DatabaseUnavailable(
            f"cannot connect to {where}: {_connect_reason(error)}; check that the server "
            "runs and the URL (host, port, user, database)"
        )
    return None


def _connect_reason(error: Any) -> str:
    """The useful part of libpq's reason ("Connection refused", "password ... failed")."""
    text = str(error).strip()
    for line in text.splitlines():
        if "failed:" in line:
            return reason_of(line.rsplit("failed:", 1)[1].strip() or line)
    return reason_of(text)
