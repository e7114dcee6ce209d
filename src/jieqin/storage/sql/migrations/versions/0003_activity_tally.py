"""Activity tallies for fast reports and follow-up: ``activity_tally`` and
``activity_tally_month`` (activities per day or month, household county, kind and
helper tier) and ``activity_latest`` (latest activity
day per household and kind), kept current by triggers on ``activities`` and filled
from the activities already stored; covering indexes on the pairings' spans; and
``report_cache``, emptied by triggers whenever a table it summarises is written.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from jieqin.reports.sql import create_cache_triggers, create_tally_triggers, rebuild_tallies

    op.create_table(
        "activity_tally",
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("month", "region", "kind", "tier", "day", name="pk_activity_tally"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "activity_tally_month",
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("month", "region", "kind", "tier", name="pk_activity_tally_month"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_cache",
        sa.Column("first", sa.Date(), nullable=False),
        sa.Column("last", sa.Date(), nullable=False),
        sa.Column("figure", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("first", "last", "figure", name="pk_report_cache"),
    )
    op.create_table(
        "activity_latest",
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("last_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("household_id", "kind", name="pk_activity_latest"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_pairings_household_span", "pairings", ["household_id", "start", "end"])
    op.create_index("ix_pairings_helper_span", "pairings", ["helper_id", "start", "end"])
    bind = op.get_bind()
    create_tally_triggers(bind)
    create_cache_triggers(bind)
    rebuild_tallies(bind)


def downgrade() -> None:
    from jieqin.reports.sql import drop_cache_triggers, drop_tally_triggers

    drop_cache_triggers(op.get_bind())
    drop_tally_triggers(op.get_bind())
    op.drop_index("ix_pairings_helper_span", "pairings")
    op.drop_index("ix_pairings_household_span", "pairings")
    op.drop_table("report_cache")
    op.drop_table("activity_latest")
    op.drop_table("activity_tally_month")
    op.drop_table("activity_tally")
