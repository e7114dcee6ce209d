"""Grievances and appeals.

- ``grievances``: a household's grievance (about one member, if any): how it came in,
  its category, what it is about (``target_kind``, ``target_id``: a decision, a
  helper or a need), the day it was received and the day an answer is due, what the
  person said (``description``), and its stages, each dated and signed (taken up,
  answered with the answer's text, closed); ``redecision_id`` names the decision an
  appeal led to. Never deleted.

The statements are written out here as this revision runs them, so that later
changes to the live schema never change what upgrading through it does. Nothing
existing changes; downgrading drops the table and is refused while it holds a
grievance.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_ID = sa.String(64)
_CODE = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "grievances",
        sa.Column("grievance_id", _ID, nullable=False),
        sa.Column("household_id", _ID, nullable=False),
        sa.Column("member_id", _ID),
        sa.Column("channel", _CODE, nullable=False),
        sa.Column("category", _CODE, nullable=False),
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("target_kind", _CODE),
        sa.Column("target_id", _ID),
        sa.Column("received_by", sa.Text, nullable=False),
        sa.Column("stage", _CODE, nullable=False),
        sa.Column("started_on", sa.Date),
        sa.Column("started_by", sa.Text),
        sa.Column("answered_on", sa.Date),
        sa.Column("answered_by", sa.Text),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("closed_on", sa.Date),
        sa.Column("closed_by", sa.Text),
        sa.Column("closing_note", sa.Text, nullable=False),
        sa.Column("redecision_id", _ID),
        sa.PrimaryKeyConstraint("grievance_id", name="pk_grievances"),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.household_id"],
            name="fk_grievances_household_id_households",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["household_members.member_id"],
            name="fk_grievances_member_id_household_members",
        ),
        sa.ForeignKeyConstraint(
            ["redecision_id"],
            ["decisions.decision_id"],
            name="fk_grievances_redecision_id_decisions",
        ),
        sa.CheckConstraint(
            "(target_kind IS NULL) = (target_id IS NULL)", name="ck_grievances_target_whole"
        ),
        sa.CheckConstraint("due_on >= received_on", name="ck_grievances_due_after_received"),
    )
    for column in ("household_id", "member_id", "category", "received_on", "target_id", "stage"):
        op.create_index(f"ix_grievances_{column}", "grievances", [column])


def downgrade() -> None:
    bind = op.get_bind()
    stored = bind.exec_driver_sql("SELECT count(*) FROM grievances").scalar_one()
    if stored:
        from jieqin.errors import SchemaOutdated

        raise SchemaOutdated(
            f"{stored} grievances are stored, and revision 0015 cannot hold them: "
            "nothing was changed"
        )
    for column in ("household_id", "member_id", "category", "received_on", "target_id", "stage"):
        op.drop_index(f"ix_grievances_{column}", table_name="grievances")
    op.drop_table("grievances")
