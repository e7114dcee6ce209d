"""Pending allocation plans, approval, public notice and objections.

- ``plans``: an allocation stored for approval before it grants (who made it and
  when, its status, who approved it and when, the public notice period, the commit
  or the withdrawal with its reason).
- ``plan_items``: each decision of a plan as JSON (a granting one with its grant),
  with the fund and amount it reserves as columns, indexed for the fund's
  ``reserved`` sum.
- ``objections``: objections to a person or household on a plan's notice, with their
  decision.

The statements are written out here as this revision runs them, so that later
changes to the live schema never change what upgrading through it does. Only new
tables: no existing row changes. Downgrading is refused while any plan is stored.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_ID = sa.String(64)
_CODE = sa.String(64)
_MEMBER = "household_members.member_id"
_HOUSEHOLD = "households.household_id"


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("plan_id", _ID, nullable=False),
        sa.Column("program_id", _ID, nullable=False),
        sa.Column("fund_id", _ID, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("decided_on", sa.Date, nullable=False),
        sa.Column("rule_version", sa.Text, nullable=False),
        sa.Column("made_by", sa.Text, nullable=False),
        sa.Column("made_on", sa.Date, nullable=False),
        sa.Column("item_count", sa.Integer, nullable=False),
        sa.Column("status", _CODE, nullable=False),
        sa.Column("approved_by", sa.Text),
        sa.Column("approved_on", sa.Date),
        sa.Column("notice_from", sa.Date),
        sa.Column("notice_until", sa.Date),
        sa.Column("committed_on", sa.Date),
        sa.Column("withdrawn_on", sa.Date),
        sa.Column("withdraw_reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("plan_id", name="pk_plans"),
        sa.ForeignKeyConstraint(["fund_id"], ["funds.fund_id"], name="fk_plans_fund_id_funds"),
    )
    for column in ("program_id", "fund_id", "status"):
        op.create_index(f"ix_plans_{column}", "plans", [column])
    op.create_table(
        "plan_items",
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("plan_id", _ID, nullable=False),
        sa.Column("household_id", _ID, nullable=False),
        sa.Column("member_id", _ID),
        sa.Column("status", _CODE, nullable=False),
        sa.Column("fund_id", _ID),
        sa.Column("amount_fen", sa.BigInteger),
        sa.Column("settled_on", sa.Date),
        sa.Column("decision", sa.JSON, nullable=False),
        sa.Column("planned_grant", sa.JSON),
        sa.PrimaryKeyConstraint("item_id", name="pk_plan_items"),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.plan_id"], name="fk_plan_items_plan_id_plans"),
        sa.ForeignKeyConstraint(
            ["household_id"], [_HOUSEHOLD], name="fk_plan_items_household_id_households"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], [_MEMBER], name="fk_plan_items_member_id_household_members"
        ),
        sa.ForeignKeyConstraint(["fund_id"], ["funds.fund_id"], name="fk_plan_items_fund_id_funds"),
    )
    for column in ("plan_id", "household_id", "member_id"):
        op.create_index(f"ix_plan_items_{column}", "plan_items", [column])
    op.create_index("ix_plan_items_fund_id_status", "plan_items", ["fund_id", "status"])
    op.create_table(
        "objections",
        sa.Column("objection_id", _ID, nullable=False),
        sa.Column("plan_id", _ID, nullable=False),
        sa.Column("household_id", _ID, nullable=False),
        sa.Column("member_id", _ID),
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("objector", sa.Text, nullable=False),
        sa.Column("status", _CODE, nullable=False),
        sa.Column("decided_on", sa.Date),
        sa.Column("decided_by", sa.Text),
        sa.Column("decision_reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("objection_id", name="pk_objections"),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.plan_id"], name="fk_objections_plan_id_plans"),
        sa.ForeignKeyConstraint(
            ["household_id"], [_HOUSEHOLD], name="fk_objections_household_id_households"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], [_MEMBER], name="fk_objections_member_id_household_members"
        ),
    )
    for column in ("plan_id", "household_id", "member_id"):
        op.create_index(f"ix_objections_{column}", "objections", [column])


def downgrade() -> None:
    bind = op.get_bind()
    kept = bind.exec_driver_sql("SELECT count(*) FROM plans").scalar_one()
    if kept:
        from jieqin.errors import SchemaOutdated

        raise SchemaOutdated(
            f"{kept} allocation plans are stored, and revision 0013 cannot hold them: "
            "nothing was changed"
        )
    op.drop_table("objections")
    op.drop_table("plan_items")
    op.drop_table("plans")
