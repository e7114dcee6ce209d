"""Province-scale import: the member indexes of facts few members have become partial.

``ix_household_members_disability`` (disability grade, departed on, household) and
``ix_household_members_schooling`` (school level, year of entry) index only the
members who have a grade or a schooling: what the queries on them read (a grade that
is set, a level that is given), at a fraction of the size, so that a bulk load of a
province's households builds them in a moment.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_TABLE = "household_members"
_INDEXES = (
    (
        "ix_household_members_disability",
        ["disability_grade", "departed_on", "household_id"],
        "disability_grade IS NOT NULL",
    ),
    (
        "ix_household_members_schooling",
        ["school_level", "school_year_of_entry"],
        "school_level IS NOT NULL",
    ),
)


def _create(name: str, columns: list[str], where: str | None) -> None:
    if where is None:
        op.create_index(name, _TABLE, columns)
        return
    op.create_index(
        name,
        _TABLE,
        columns,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    for name, columns, where in _INDEXES:
        op.drop_index(name, table_name=_TABLE)
        _create(name, columns, where)


def downgrade() -> None:
    for name, columns, _ in _INDEXES:
        op.drop_index(name, table_name=_TABLE)
        _create(name, columns, None)
