"""The first schema: helpers, households with members and status history, pairings,
handovers, needs, referrals, activities, programmes, funds, grants, decisions and the
audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(64)
CODE = sa.String(64)
REGION = sa.String(12)
PERIOD = sa.String(7)
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _indexes(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade() -> None:
    op.create_table(
        "helpers",
        sa.Column("helper_id", ID, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("tier", CODE, nullable=False),
        sa.Column("home_region", REGION, nullable=False),
        sa.Column("sectors", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("helper_id", name="pk_helpers"),
    )
    _indexes("helpers", "tier", "home_region")

    op.create_table(
        "households",
        sa.Column("household_id", ID, nullable=False),
        sa.Column("region", REGION, nullable=False),
        sa.Column("status", CODE, nullable=False),
        sa.PrimaryKeyConstraint("household_id", name="pk_households"),
    )
    _indexes("households", "region", "status")

    op.create_table(
        "household_members",
        sa.Column("member_id", ID, nullable=False),
        sa.Column("household_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sex", CODE, nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("resident_id", sa.String(18), nullable=False),
        sa.Column("relation", CODE, nullable=False),
        sa.Column("health_condition", CODE, nullable=False),
        sa.Column("diagnosis", sa.Text(), nullable=True),
        sa.Column("disability_grade", sa.SmallInteger(), nullable=True),
        sa.Column("school_level", CODE, nullable=True),
        sa.Column("school_year_of_entry", sa.Integer(), nullable=True),
        sa.Column("school_institution", sa.Text(), nullable=True),
        sa.Column("employment", CODE, nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.household_id"],
            name="fk_household_members_household_id_households",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name="pk_household_members"),
    )
    _indexes(
        "household_members",
        "household_id",
        "birth_date",
        "resident_id",
        "health_condition",
        "disability_grade",
        "employment",
    )
    op.create_index(
        "ix_household_members_schooling",
        "household_members",
        ["school_level", "school_year_of_entry"],
    )

    op.create_table(
        "household_status",
        sa.Column("household_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", CODE, nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.household_id"],
            name="fk_household_status_household_id_households",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("household_id", "position", name="pk_household_status"),
    )
    _indexes("household_status", "status")

    op.create_table(
        "pairings",
        sa.Column("helper_id", ID, nullable=False),
        sa.Column("household_id", ID, nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("role", CODE, nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("costs", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("helper_id", "household_id", "start", name="pk_pairings"),
    )
    _indexes("pairings", "household_id")

    op.create_table(
        "handovers",
        sa.Column("handover_id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("household_id", ID, nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("from_helper_id", ID, nullable=True),
        sa.Column("to_helper_id", ID, nullable=True),
        sa.PrimaryKeyConstraint("handover_id", name="pk_handovers"),
    )
    _indexes("handovers", "household_id")

    op.create_table(
        "needs",
        sa.Column("need_id", ID, nullable=False),
        sa.Column("household_id", ID, nullable=False),
        sa.Column("kind", CODE, nullable=False),
        sa.Column("period", PERIOD, nullable=False),
        sa.Column("source", CODE, nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("member_id", ID, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", CODE, nullable=False),
        sa.Column("route_kind", CODE, nullable=True),
        sa.Column("route_target", ID, nullable=True),
        sa.Column("route_explanation", sa.Text(), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("resolved_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("need_id", name="pk_needs"),
    )
    _indexes("needs", "household_id", "kind", "period", "status")

    op.create_table(
        "referrals",
        sa.Column("referral_id", ID, nullable=False),
        sa.Column("need_id", ID, nullable=False),
        sa.Column("household_id", ID, nullable=False),
        sa.Column("agency", CODE, nullable=False),
        sa.Column("referred_on", sa.Date(), nullable=False),
        sa.Column("member_id", ID, nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("referral_id", name="pk_referrals"),
    )
    _indexes("referrals", "need_id", "household_id", "agency")

    op.create_table(
        "activities",
        sa.Column("activity_id", ID, nullable=False),
        sa.Column("kind", CODE, nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("helper_id", ID, nullable=False),
        sa.Column("household_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=True),
        sa.Column("need_id", ID, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("event", ID, nullable=True),
        sa.PrimaryKeyConstraint("activity_id", name="pk_activities"),
    )
    _indexes("activities", "kind", "on", "helper_id", "household_id")

    op.create_table(
        "programs",
        sa.Column("program_id", ID, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("funder", sa.Text(), nullable=False),
        sa.Column("kind", CODE, nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("serves", sa.JSON(), nullable=False),
        sa.Column("agency", ID, nullable=True),
        sa.Column("period_kind", CODE, nullable=False),
        sa.PrimaryKeyConstraint("program_id", name="pk_programs"),
    )

    op.create_table(
        "funds",
        sa.Column("fund_id", ID, nullable=False),
        sa.Column("program_id", ID, nullable=False),
        sa.Column("period", PERIOD, nullable=False),
        sa.Column("budget_fen", sa.BigInteger(), nullable=False),
        sa.Column("funder", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("fund_id", name="pk_funds"),
    )
    _indexes("funds", "program_id")

    op.create_table(
        "grants",
        sa.Column("grant_id", ID, nullable=False),
        sa.Column("program_id", ID, nullable=False),
        sa.Column("fund_id", ID, nullable=False),
        sa.Column("period", PERIOD, nullable=False),
        sa.Column("household_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("decision_id", ID, nullable=False),
        sa.Column("agency", ID, nullable=True),
        sa.Column("need_id", ID, nullable=True),
        sa.PrimaryKeyConstraint("grant_id", name="pk_grants"),
        sa.UniqueConstraint(
            "program_id", "period", "member_id", name="uq_grants_program_id_period_member_id"
        ),
    )
    _indexes("grants", "fund_id", "household_id")

    op.create_table(
        "decisions",
        sa.Column("decision_id", ID, nullable=False),
        sa.Column("program_id", ID, nullable=False),
        sa.Column("period", PERIOD, nullable=False),
        sa.Column("household_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=True),
        sa.Column("outcome", CODE, nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("rule_version", sa.Text(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("decision_id", name="pk_decisions"),
    )
    _indexes("decisions", "program_id", "household_id", "outcome")

    op.create_table(
        "audit_log",
        sa.Column("entry_id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.Text(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name="pk_audit_log"),
    )
    _indexes("audit_log", "actor")
    op.create_index("ix_audit_log_entity", "audit_log", ["entity", "entity_id"])


def downgrade() -> None:
    for table in (
        "audit_log",
        "decisions",
        "grants",
        "funds",
        "programs",
        "activities",
        "referrals",
        "needs",
        "handovers",
        "pairings",
        "household_status",
        "household_members",
        "households",
        "helpers",
    ):
        op.drop_table(table)
