"""Household grants.

- ``programs.grant_unit``: whom a programme grants, ``member`` (each qualifying
  member) or ``household`` (each household once). Every stored programme starts as
  it was: ``member``.
- ``uq_grants_household_in_force``: a grant with no member (``member_id IS NULL``) is
  a household grant, one in force per ``(program_id, period, household_id)``, as the
  member grants are one per ``(program_id, period, member_id)`` by
  ``uq_grants_in_force`` (whose NULL members never collide). Before the index is made
  the upgrade looks for households holding two member-less grants in force of one
  programme period, and refuses, naming them, when it finds any.

Caps across programmes and the programmes' region scopes are rules (dated parameters
and region prefixes of :class:`jieqin.rules.AidProgram`), not stored: they need no
column.

The statements are written out here as this revision runs them, so that later
changes to the live schema never change what upgrading through it does. The column
is added with plain ``ADD COLUMN`` (other tables' rows name programmes by id, and
SQLite need not rebuild ``programs``); downgrading drops the index and the column,
and is refused while a programme grants per household.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_HOUSEHOLD_IN_FORCE = "uq_grants_household_in_force"
_WHERE = "revoked_on IS NULL AND member_id IS NULL"


def upgrade() -> None:
    bind = op.get_bind()
    twice = bind.exec_driver_sql(
        "SELECT program_id, period, household_id FROM grants WHERE "
        f"{_WHERE} GROUP BY program_id, period, household_id HAVING count(*) > 1 "
        "ORDER BY program_id, period, household_id"
    ).all()
    if twice:
        from jieqin.errors import SchemaOutdated

        shown = "; ".join(f"{h} in {p} {period}" for p, period, h in twice[:5])
        raise SchemaOutdated(
            f"{len(twice)} households hold two grants without a member of one programme "
            f"period ({shown}): revoke all but one of each with the jieqin that made the "
            "database, then upgrade (nothing was changed)"
        )
    op.add_column(
        "programs",
        sa.Column("grant_unit", sa.String(64), nullable=False, server_default="member"),
    )
    op.create_index(
        _HOUSEHOLD_IN_FORCE,
        "grants",
        ["program_id", "period", "household_id"],
        unique=True,
        sqlite_where=sa.text(_WHERE),
        postgresql_where=sa.text(_WHERE),
    )


def downgrade() -> None:
    bind = op.get_bind()
    per_household = bind.exec_driver_sql(
        "SELECT count(*) FROM programs WHERE grant_unit <> 'member'"
    ).scalar_one()
    if per_household:
        from jieqin.errors import SchemaOutdated

        raise SchemaOutdated(
            f"{per_household} programmes grant per household, and revision 0011 cannot "
            "say so: nothing was changed"
        )
    op.drop_index(_HOUSEHOLD_IN_FORCE, table_name="grants")
    op.drop_column("programs", "grant_unit")
