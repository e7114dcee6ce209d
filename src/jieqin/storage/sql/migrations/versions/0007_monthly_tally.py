"""The report tally counts per month, not per day.

Revision 0006 created ``report_tally`` with a ``day`` column in its key, so a year
held a row per day, county and codes. The report reads whole months, and counts the
days of a range that are not whole months from the rows, so the tally now keeps a
row per month: ``day`` is dropped and the key is (figure, month, county, a, b).

The table holds only what can be counted again from the records: it is dropped and
created in its new layout, and the read model is marked unbuilt, so ``jieqin db
upgrade`` counts it from the rows once this revision has run.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _tally(*day: sa.Column[object]) -> None:
    """``report_tally`` with the given day column (none: per month)."""
    op.create_table(
        "report_tally",
        sa.Column("figure", sa.String(16), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        *day,
        sa.Column("county", sa.String(12), nullable=False),
        sa.Column("a", sa.String(64), nullable=False),
        sa.Column("b", sa.String(64), nullable=False),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint(
            "figure", "month", *(c.name for c in day), "county", "a", "b", name="pk_report_tally"
        ),
        sqlite_with_rowid=False,
    )
    # Counted again from the rows by ``jieqin db upgrade``.
    op.execute(sa.text("UPDATE read_model_state SET version = 0 WHERE name = 'read_model'"))


def upgrade() -> None:
    op.drop_table("report_tally")
    _tally()


def downgrade() -> None:
    op.drop_table("report_tally")
    _tally(sa.Column("day", sa.Date, nullable=False))
