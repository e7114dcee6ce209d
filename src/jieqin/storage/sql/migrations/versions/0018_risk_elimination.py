"""Risk elimination.

- ``eliminations``: a proposal that a monitored household leave monitoring: its
  status before and after, its evidence (``stable_months``: each month's income per
  person at a yearly rate and the monitoring line in force, as JSON), the home check
  (who, when, their note), and the steps of approval and public notice as a plan
  has them (maker, approver, notice period, commit or withdrawal), with the
  objections received during the notice (``objections``, JSON rows of the
  ``objections`` table's form). Never deleted.

The statements are written out here as this revision runs them, so that later
changes to the live schema never change what upgrading through it does. Nothing
existing changes; downgrading drops the table and is refused while it holds an
elimination.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_ID = sa.String(64)
_CODE = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "eliminations",
        sa.Column("elimination_id", _ID, nullable=False),
        sa.Column("household_id", _ID, nullable=False),
        sa.Column("from_status", _CODE, nullable=False),
        sa.Column("to_status", _CODE, nullable=False),
        sa.Column("stable_months", sa.JSON, nullable=False),
        sa.Column("checked_by", sa.Text, nullable=False),
        sa.Column("checked_on", sa.Date, nullable=False),
        sa.Column("check_note", sa.Text, nullable=False),
        sa.Column("made_by", sa.Text, nullable=False),
        sa.Column("made_on", sa.Date, nullable=False),
        sa.Column("status", _CODE, nullable=False),
        sa.Column("approved_by", sa.Text),
        sa.Column("approved_on", sa.Date),
        sa.Column("notice_from", sa.Date),
        sa.Column("notice_until", sa.Date),
        sa.Column("committed_on", sa.Date),
        sa.Column("withdrawn_on", sa.Date),
        sa.Column("withdraw_reason", sa.Text, nullable=False),
        sa.Column("objections", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("elimination_id", name="pk_eliminations"),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.household_id"],
            name="fk_eliminations_household_id_households",
        ),
    )
    for column in ("household_id", "status"):
        op.create_index(f"ix_eliminations_{column}", "eliminations", [column])


def downgrade() -> None:
    bind = op.get_bind()
    stored = bind.exec_driver_sql("SELECT count(*) FROM eliminations").scalar_one()
    if stored:
        from jieqin.errors import SchemaOutdated

        raise SchemaOutdated(
            f"{stored} eliminations are stored, and revision 0017 cannot hold them: "
            "nothing was changed"
        )
    for column in ("household_id", "status"):
        op.drop_index(f"ix_eliminations_{column}", table_name="eliminations")
    op.drop_table("eliminations")
