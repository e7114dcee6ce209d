"""Voided activities.

- ``activities.voided_on``, ``activities.void_reason`` and ``activities.voided_by``:
  an activity logged by mistake is voided, never deleted; it keeps its row with the
  day, the reason and who voided it, and counts in no figure and no follow-up row.
  Every stored activity starts as it was: not voided, so the read model stays as it
  is built.

The statements are written out here as this revision runs them, so that later
changes to the live schema never change what upgrading through it does. The columns
are added with plain ``ADD COLUMN``; downgrading rebuilds the table (no table names
``activities``) and is refused while any activity is voided.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("activities", sa.Column("voided_on", sa.Date))
    op.add_column(
        "activities", sa.Column("void_reason", sa.Text, nullable=False, server_default="")
    )
    op.add_column("activities", sa.Column("voided_by", sa.Text))


def downgrade() -> None:
    bind = op.get_bind()
    voided = bind.exec_driver_sql(
        "SELECT count(*) FROM activities WHERE voided_on IS NOT NULL"
    ).scalar_one()
    if voided:
        from jieqin.errors import SchemaOutdated

        raise SchemaOutdated(
            f"{voided} activities are voided, and revision 0010 cannot hold a void: "
            "nothing was changed"
        )
    with op.batch_alter_table("activities") as batch:
        batch.drop_column("voided_by")
        batch.drop_column("void_reason")
        batch.drop_column("voided_on")
