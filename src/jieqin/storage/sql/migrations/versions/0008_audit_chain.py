"""The audit log becomes a hash chain, and SQLite refuses to replace an entry.

- ``audit_log`` gains ``prev_hash`` and ``hash``: each entry's hash covers its
  content and the hash before it (:mod:`jieqin.storage.audit_chain`). The entries
  already stored are chained once, here, in the order of their ids (under
  ``JIEQIN_AUDIT_KEY`` if it is set), and an entry ``chain`` is appended after them
  that says so (``{"chained_through": <their last id>}``): what was written before
  it was not protected by a chain, so ids that skip or times that step back among
  those entries are not reported. From here on jieqin itself chains each entry as
  it commits it; no trigger computes anything.
- SQLite: a trigger ``audit_log_no_replace`` refuses an insert whose ``entry_id``
  is not greater than every stored one, so ``REPLACE INTO``, ``INSERT OR REPLACE``
  and upserts cannot overwrite an entry (the ``UPDATE`` and ``DELETE`` triggers of
  revision 0002 do not see a replace). jieqin numbers every entry it appends.
- PostgreSQL: the append-only trigger of revision 0002 is made ``ENABLE ALWAYS``, so
  it fires even with ``session_replication_role = replica``.

The hash is the one form jieqin verifies with; it is fixed for good, which is why
this revision uses the definition in :mod:`jieqin.storage.audit_chain`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from jieqin.storage.audit_chain import CHAIN_ACTION, ChainHead, audit_key, chain, entry_hash
from jieqin.storage.base import AuditEntry

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_LOG = sa.table(
    "audit_log",
    sa.column("entry_id", sa.BigInteger),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.Text),
    sa.column("action", sa.String(32)),
    sa.column("entity", sa.String(64)),
    sa.column("entity_id", sa.Text),
    sa.column("changes", sa.JSON),
    sa.column("prev_hash", sa.String(80)),
    sa.column("hash", sa.String(80)),
)

_NO_UPDATE = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
)
_NO_REPLACE = (
    "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log "
    "WHEN NEW.entry_id <= (SELECT COALESCE(MAX(entry_id), 0) FROM audit_log) "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: an entry cannot be "
    "replaced'); END"
)

_BATCH = 1000


def _chain_existing(conn: sa.Connection) -> ChainHead:
    """Hash every stored entry in id order; the head of the chain they make."""
    key = audit_key()
    head = ChainHead()
    query = sa.select(_LOG).order_by(_LOG.c.entry_id)
    updates: list[dict[str, object]] = []
    statement = (
        _LOG.update()
        .where(_LOG.c.entry_id == sa.bindparam("b_id"))
        .values(prev_hash=sa.bindparam("b_prev"), hash=sa.bindparam("b_hash"))
    )
    for row in conn.execute(query).mappings().all():
        at: datetime = row["at"]
        entry = AuditEntry(
            int(row["entry_id"]),
            at,
            row["actor"],
            row["action"],
            row["entity"],
            row["entity_id"],
            row["changes"],
        )
        digest = entry_hash(entry, head.hash, key)
        updates.append({"b_id": entry.entry_id, "b_prev": head.hash, "b_hash": digest})
        latest = at if head.at is None else max(_utc(at), _utc(head.at))
        head = ChainHead(entry.entry_id, digest, latest)
        if len(updates) >= _BATCH:
            conn.execute(statement, updates)
            updates = []
    if updates:
        conn.execute(statement, updates)
    return head


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _append_chain_entry(conn: sa.Connection, head: ChainHead) -> None:
    """The entry that says the chain starts here, after the entries chained above."""
    pending = [(CHAIN_ACTION, "audit_log", None, {"chained_through": head.entry_id})]
    (entry,) = chain(head, pending, "jieqin", now=datetime.now(UTC), key=audit_key())
    conn.execute(
        _LOG.insert().values(
            entry_id=entry.entry_id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            entity=entry.entity,
            entity_id=entry.entity_id,
            changes=dict(entry.changes),
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )
    )


def upgrade() -> None:
    conn = op.get_bind()
    dialect = conn.dialect.name
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(80)))
    op.add_column("audit_log", sa.Column("hash", sa.String(80)))
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    elif dialect == "postgresql":
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    head = _chain_existing(conn)
    if dialect == "sqlite":
        op.execute(_NO_UPDATE)
    elif dialect == "postgresql":
        op.execute("ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_append_only")
    if head.entry_id:
        _append_chain_entry(conn, head)
    if dialect == "sqlite":
        op.execute(_NO_REPLACE)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_replace")
        op.execute("ALTER TABLE audit_log DROP COLUMN hash")
        op.execute("ALTER TABLE audit_log DROP COLUMN prev_hash")
    else:
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        op.drop_column("audit_log", "hash")
        op.drop_column("audit_log", "prev_hash")
