"""Fund top-ups and closures, and revoked grants.

- ``funds.name`` (what people call the fund), ``funds.topped_up_fen`` (the part of
  ``budget_fen``, now the budget in force, that came from top-ups) and
  ``funds.closed_on``; every fund starts as it was: not topped up, open.
- ``fund_changes``: each fund's top-ups and closing, numbered from 1, appended with
  the day, the reason and who made them.
- ``grants.revoked_on`` and ``grants.revoke_reason``: a revoked grant keeps its row.
  The unique ``(program_id, period, member_id)`` constraint becomes a unique index
  over the grants in force (``revoked_on IS NULL``), so a revoked grant does not stop
  a new one.

The statements are written out here as this revision runs them, so that later
changes to the live schema never change what upgrading through it does. Other
tables name ``funds``, so its columns are added with plain ``ADD COLUMN`` (SQLite
may not rebuild it); no table names ``grants``, so SQLite may rebuild it to drop the
constraint.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.String(64)
_OLD_UNIQUE = "uq_grants_program_id_period_member_id"
_IN_FORCE = "uq_grants_in_force"


def upgrade() -> None:
    op.add_column("funds", sa.Column("name", sa.Text, nullable=False, server_default=""))
    op.add_column(
        "funds",
        sa.Column("topped_up_fen", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    )
    op.add_column("funds", sa.Column("closed_on", sa.Date))
    op.create_table(
        "fund_changes",
        sa.Column("fund_id", _ID, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("kind", _ID, nullable=False),
        sa.Column("on", sa.Date, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("amount_fen", sa.BigInteger),
        sa.Column("actor", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("fund_id", "number", name="pk_fund_changes"),
        sa.ForeignKeyConstraint(
            ["fund_id"], ["funds.fund_id"], name="fk_fund_changes_fund_id_funds"
        ),
    )
    with op.batch_alter_table("grants") as batch:
        batch.drop_constraint(_OLD_UNIQUE, type_="unique")
        batch.add_column(sa.Column("revoked_on", sa.Date))
        batch.add_column(sa.Column("revoke_reason", sa.Text, nullable=False, server_default=""))
    op.create_index(
        _IN_FORCE,
        "grants",
        ["program_id", "period", "member_id"],
        unique=True,
        sqlite_where=sa.text("revoked_on IS NULL"),
        postgresql_where=sa.text("revoked_on IS NULL"),
    )


def downgrade() -> None:
    bind = op.get_bind()
    kept = bind.exec_driver_sql(
        "SELECT (SELECT count(*) FROM fund_changes) + "
        "(SELECT count(*) FROM grants WHERE revoked_on IS NOT NULL)"
    ).scalar_one()
    if kept:
        from jieqin.errors import SchemaOutdated

        raise SchemaOutdated(
            f"{kept} fund top-ups, closings or revoked grants are recorded, and revision "
            "0009 cannot hold them: nothing was changed"
        )
    op.drop_index(_IN_FORCE, table_name="grants")
    with op.batch_alter_table("grants") as batch:
        batch.drop_column("revoke_reason")
        batch.drop_column("revoked_on")
        batch.create_unique_constraint(_OLD_UNIQUE, ["program_id", "period", "member_id"])
    op.drop_table("fund_changes")
    op.drop_column("funds", "closed_on")
    op.drop_column("funds", "topped_up_fen")
    op.drop_column("funds", "name")
