"""Referrals that close the loop: accepted, rejected, completed with an outcome, due dates.

- ``referrals.status``: ``referred``, ``accepted``, ``rejected`` or ``completed``
  (indexed: the listings and the overdue scan ask by status);
- ``referrals.accepted_on``, ``referrals.rejected_on`` and
  ``referrals.rejection_reason``: the agency's answer;
- ``referrals.outcome``: the referral outcome code a completion names;
- ``referrals.due_on``: the day the agency should have completed or rejected it by.

Every stored referral becomes what its dates say: ``completed`` when it has a
completion day, else ``referred``. It has no acceptance, rejection or outcome (none
was kept) and no due day (none was set when it was made), so it is never listed
overdue; a referral made from now on has one.

The statements are written out here as this revision runs them, so that later
changes to the live schema never change what upgrading through it does. The columns
are added with plain ``ADD COLUMN``; downgrading rebuilds the table (no table names
``referrals``) and is refused while any referral holds what revision 0012 cannot.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_CODE = sa.String(64)
_STATUS_INDEX = "ix_referrals_status"


def upgrade() -> None:
    op.add_column(
        "referrals", sa.Column("status", _CODE, nullable=False, server_default="referred")
    )
    op.add_column("referrals", sa.Column("accepted_on", sa.Date))
    op.add_column("referrals", sa.Column("rejected_on", sa.Date))
    op.add_column(
        "referrals", sa.Column("rejection_reason", sa.Text, nullable=False, server_default="")
    )
    op.add_column("referrals", sa.Column("outcome", _CODE))
    op.add_column("referrals", sa.Column("due_on", sa.Date))
    op.execute("UPDATE referrals SET status = 'completed' WHERE completed_on IS NOT NULL")
    op.create_index(_STATUS_INDEX, "referrals", ["status"])


def downgrade() -> None:
    bind = op.get_bind()
    kept = bind.exec_driver_sql(
        "SELECT count(*) FROM referrals WHERE status IN ('accepted', 'rejected') "
        "OR outcome IS NOT NULL OR due_on IS NOT NULL"
    ).scalar_one()
    if kept:
        from jieqin.errors import SchemaOutdated

        raise SchemaOutdated(
            f"{kept} referrals were accepted, rejected, completed with an outcome or given "
            "a due day, and revision 0012 cannot hold that: nothing was changed"
        )
    op.drop_index(_STATUS_INDEX, table_name="referrals")
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("due_on")
        batch.drop_column("outcome")
        batch.drop_column("rejection_reason")
        batch.drop_column("rejected_on")
        batch.drop_column("accepted_on")
        batch.drop_column("status")
