"""Grant payments: paid, returned, reconciled.

- ``grants.batch_id``: the payment batch a grant was sent to the bank in (indexed: a
  batch is exported again by its id);
- ``grants.paid_on`` and ``grants.payment_reference``: the day the money was paid and
  the bank's reference;
- ``grants.returned_on`` and ``grants.return_reason``: the day paid money came back
  and why. A returned grant holds no money of its fund: ``funds.granted_fen`` is, from
  this revision on, the sum of the grants in force and not returned. No grant is paid
  before this revision, so every stored ``granted_fen`` is already that sum.

Every grant starts as it was: unpaid, in no batch. The columns are added with plain
``ADD COLUMN``, so SQLite does not rebuild the table (its partial unique index over
the grants in force stays as it is). The report's tally counts grants by payment
state from this revision on; the upgrade counts it again from the rows.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_ID = sa.String(64)
_BATCH_INDEX = "ix_grants_batch_id"
_COLUMNS = ("return_reason", "returned_on", "payment_reference", "paid_on", "batch_id")


def upgrade() -> None:
    op.add_column("grants", sa.Column("batch_id", _ID))
    op.add_column("grants", sa.Column("paid_on", sa.Date))
    op.add_column(
        "grants", sa.Column("payment_reference", sa.Text, nullable=False, server_default="")
    )
    op.add_column("grants", sa.Column("returned_on", sa.Date))
    op.add_column("grants", sa.Column("return_reason", sa.Text, nullable=False, server_default=""))
    op.create_index(_BATCH_INDEX, "grants", ["batch_id"])


def downgrade() -> None:
    bind = op.get_bind()
    kept = bind.exec_driver_sql(
        "SELECT count(*) FROM grants WHERE batch_id IS NOT NULL OR paid_on IS NOT NULL"
    ).scalar_one()
    if kept:
        from jieqin.errors import SchemaOutdated

        raise SchemaOutdated(
            f"{kept} grants are in a payment batch or paid, and revision 0014 cannot hold "
            "their payments: nothing was changed"
        )
    op.drop_index(_BATCH_INDEX, table_name="grants")
    for name in _COLUMNS:
        # plain DROP COLUMN (SQLite 3.35 and later too): the table is not rebuilt
        op.execute(f"ALTER TABLE grants DROP COLUMN {name}")
