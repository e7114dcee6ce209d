"""The audit log in SQL: appending chained entries, walking the chain, the protections.

A unit of work keeps its audit entries until it commits; then :func:`append`
serialises the writers (on PostgreSQL a transaction-level advisory lock, taken
just before the commit so it is held only briefly; a SQLite writer holds the
database's write lock already), reads the newest entry, numbers, dates and chains
the new entries after it (:func:`jieqin.storage.audit_chain.chain`) and inserts
them. :func:`verify` walks the whole log a page at a time. :func:`protections`
says which of the database's own protections of the log are missing, and
:func:`grant_statements` gives the privileges of a least-privilege role on
PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs
import sqlalchemy as sa

from jieqin.errors import StorageError
from jieqin.storage.audit_chain import AuditVerification, ChainHead, ChainVerifier, chain
from jieqin.storage.base import AuditEntry
from jieqin.storage.sql.tables import AUDIT_LOG, VERSION_TABLE

__all__ = [
    "NO_TABLE",
    "Finding",
    "append",
    "check_engine",
    "entry_from_row",
    "grant_statements",
    "head",
    "protections",
    "verify",
    "verify_engine",
    "walk",
]

Pending = tuple[str, str, str | None, Mapping[str, Any]]

#: The SQLite triggers that protect the log (revisions 0002 and 0008).
SQLITE_TRIGGERS = ("audit_log_no_update", "audit_log_no_delete", "audit_log_no_replace")

#: The PostgreSQL trigger (revision 0002) and the events it must refuse.
PG_TRIGGER = "audit_log_append_only"
_PG_EVENTS = ("UPDATE", "DELETE", "TRUNCATE")

_PAGE = 5000

#: What :func:`protections` says when the log itself is gone.
NO_TABLE = "the table audit_log is missing: the audit log was dropped"


def _lock(conn: sa.Connection) -> None:
    """Serialise the writers of the log until this transaction ends (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text(
                "SELECT pg_advisory_xact_lock("
                "hashtextextended('jieqin.audit_log:' || current_schema(), 0))"
            )
        )


def head(conn: sa.Connection) -> ChainHead:
    """The newest entry, which the next one chains to."""
    log = AUDIT_LOG
    row = conn.execute(
        sa.select(log.c.entry_id, log.c.hash, log.c.at).order_by(log.c.entry_id.desc()).limit(1)
    ).first()
    if row is None:
        return ChainHead()
    return ChainHead(int(row.entry_id), row.hash or "", _utc(row.at))


def append(
    conn: sa.Connection, actor: str, pending: Sequence[Pending], *, key: bytes | None
) -> list[AuditEntry]:
    """Chain ``pending`` after the newest entry and insert them, in ``conn``'s transaction."""
    if not pending:
        return []
    _lock(conn)
    entries = chain(head(conn), pending, actor, now=datetime.now(UTC), key=key)
    conn.execute(AUDIT_LOG.insert(), [_row(entry) for entry in entries])
    return entries


def _row(entry: AuditEntry) -> dict[str, Any]:
    row = attrs.asdict(entry, recurse=False)
    row["changes"] = dict(entry.changes)
    return row


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def entry_from_row(row: Mapping[Any, Any]) -> AuditEntry:
    """An audit entry as a row of ``audit_log`` holds it."""
    return AuditEntry(
        entry_id=int(row["entry_id"]),
        at=_utc(row["at"]),
        actor=row["actor"],
        action=row["action"],
        entity=row["entity"],
        entity_id=row["entity_id"],
        changes=row["changes"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def walk(conn: sa.Connection, page: int = _PAGE) -> Iterator[AuditEntry]:
    """Every entry in id order, ``page`` rows at a time (memory stays flat)."""
    after: int | None = None
    while True:
        query = sa.select(AUDIT_LOG).order_by(AUDIT_LOG.c.entry_id).limit(page)
        if after is not None:
            query = query.where(AUDIT_LOG.c.entry_id > after)
        rows = conn.execute(query).mappings().all()
        if not rows:
            return
        for row in rows:
            yield entry_from_row(row)
        after = int(rows[-1]["entry_id"])


def verify(conn: sa.Connection, *, key: bytes | None) -> AuditVerification:
    """Walk the chain of the log ``conn`` reads; the first entry that does not fit."""
    verifier = ChainVerifier(key)
    for entry in walk(conn):
        if not verifier.feed(entry):
            break
    return verifier.result()


@attrs.frozen
class Finding:
    """A protection of the audit log that is missing. ``structural`` findings are in
    the database itself (a dropped trigger or table); the others are about the role
    that connects (it could remove the protections)."""

    message: str
    structural: bool = True


def protections(conn: sa.Connection) -> list[Finding]:
    """What is missing of the protections of the audit log (nothing: an empty list)."""
    if "audit_log" not in set(sa.inspect(conn).get_table_names()):
        return [Finding(NO_TABLE)]
    if conn.dialect.name == "sqlite":
        return _sqlite_protections(conn)
    return _postgresql_protections(conn)


def _sqlite_protections(conn: sa.Connection) -> list[Finding]:
    rows = conn.execute(
        sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
        {"t": "audit_log"},
    )
    found = {name: sql or "" for name, sql in rows}
    findings = []
    for name in SQLITE_TRIGGERS:
        if name not in found:
            findings.append(Finding(f"the trigger {name} on audit_log is missing"))
        elif "RAISE(ABORT" not in found[name].upper().replace(" ", ""):
            findings.append(Finding(f"the trigger {name} on audit_log no longer refuses"))
    return findings


def _postgresql_protections(conn: sa.Connection) -> list[Finding]:
    row = conn.execute(
        sa.text(
            "SELECT t.tgenabled, pg_get_triggerdef(t.oid) AS definition, p.prosrc "
            "FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE t.tgrelid = 'audit_log'::regclass AND t.tgname = :name"
        ),
        {"name": PG_TRIGGER},
    ).first()
    findings = []
    if row is None:
        findings.append(Finding(f"the trigger {PG_TRIGGER} on audit_log is missing"))
    else:
        definition = str(row.definition).upper()
        missing = [event for event in _PG_EVENTS if event not in definition]
        if missing or "RAISE EXCEPTION" not in str(row.prosrc).upper():
            refused = ", ".join(missing) or "anything"
            findings.append(Finding(f"the trigger {PG_TRIGGER} no longer refuses {refused}"))
        enabled = str(row.tgenabled)
        if enabled == "D":
            findings.append(Finding(f"the trigger {PG_TRIGGER} on audit_log is disabled"))
        elif enabled != "A":
            findings.append(
                Finding(
                    f"the trigger {PG_TRIGGER} is not ENABLE ALWAYS: "
                    "session_replication_role = replica would skip it"
                )
            )
    return findings + _role_findings(conn)


def _role_findings(conn: sa.Connection) -> list[Finding]:
    row = conn.execute(
        sa.text(
            "SELECT current_user AS role, r.rolsuper AS superuser, "
            "pg_has_role(current_user, c.relowner, 'USAGE') AS owns, "
            "has_table_privilege('audit_log', 'UPDATE') AS can_update, "
            "has_table_privilege('audit_log', 'DELETE') AS can_delete, "
            "has_table_privilege('audit_log', 'TRUNCATE') AS can_truncate, "
            "has_table_privilege('audit_log', 'TRIGGER') AS can_trigger "
            "FROM pg_class c, pg_roles r "
            "WHERE c.oid = 'audit_log'::regclass AND r.rolname = current_user"
        )
    ).one()
    grant = "connect as a role with INSERT and SELECT only on it (see `jieqin db grant`)"
    if row.superuser:
        return [
            Finding(
                f"the role {row.role} is a superuser: it can rewrite the audit log; {grant}",
                structural=False,
            )
        ]
    if row.owns:
        return [
            Finding(
                f"the role {row.role} owns audit_log: it can disable its trigger; {grant}",
                structural=False,
            )
        ]
    allowed = [
        name
        for name, flag in (
            ("UPDATE", row.can_update),
            ("DELETE", row.can_delete),
            ("TRUNCATE", row.can_truncate),
            ("TRIGGER", row.can_trigger),
        )
        if flag
    ]
    if allowed:
        return [
            Finding(
                f"the role {row.role} may {', '.join(allowed)} audit_log; {grant}", structural=False
            )
        ]
    return []


_ROLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$-]{0,62}$")


def grant_statements(conn: sa.Connection, role: str) -> list[str]:
    """The statements that let ``role`` run jieqin and nothing more on the audit log:
    SELECT, INSERT, UPDATE, DELETE on the records and read-model tables, SELECT on the
    schema revision, SELECT and INSERT only on ``audit_log``, USAGE on the sequences."""
    if conn.dialect.name != "postgresql":
        raise StorageError("grants are for PostgreSQL; SQLite has no roles")
    if not _ROLE.match(role):
        raise StorageError(
            f"{role!r} is not a role name jieqin grants to: letters, digits, _ and -, "
            "starting with a letter or _"
        )
    quote = conn.dialect.identifier_preparer.quote_identifier
    schema = str(conn.execute(sa.text("SELECT current_schema()")).scalar_one())
    tables = sorted(sa.inspect(conn).get_table_names(schema=schema))
    if "audit_log" not in tables:
        raise StorageError(f"the schema {schema} holds no audit_log: is it a jieqin database?")
    sequences = conn.execute(
        sa.text(
            "SELECT sequence_name FROM information_schema.sequences "
            "WHERE sequence_schema = :s ORDER BY sequence_name"
        ),
        {"s": schema},
    ).scalars()
    who, where = quote(role), quote(schema)
    statements = [f"GRANT USAGE ON SCHEMA {where} TO {who}"]
    for table in tables:
        name = f"{where}.{quote(table)}"
        if table == "audit_log":
            statements.append(f"REVOKE ALL ON {name} FROM {who}")
            statements.append(f"GRANT SELECT, INSERT ON {name} TO {who}")
        elif table == VERSION_TABLE:
            statements.append(f"REVOKE ALL ON {name} FROM {who}")
            statements.append(f"GRANT SELECT ON {name} TO {who}")
        else:
            statements.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {name} TO {who}")
    for sequence in sequences:
        statements.append(f"GRANT USAGE, SELECT ON SEQUENCE {where}.{quote(sequence)} TO {who}")
    return statements


def verify_engine(engine: sa.Engine, *, key: bytes | None) -> AuditVerification:
    """:func:`verify` in a read-only transaction of its own (no write lock taken)."""
    from jieqin.storage.sql.backend import READ_ONLY

    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        try:
            return verify(conn, key=key)
        finally:
            conn.rollback()


def check_engine(engine: sa.Engine) -> list[Finding]:
    """:func:`protections` in a read-only transaction of its own."""
    from jieqin.storage.sql.backend import READ_ONLY

    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        try:
            return protections(conn)
        finally:
            conn.rollback()
