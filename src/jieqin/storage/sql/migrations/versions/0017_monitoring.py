"""Observations and risk warnings (防返贫监测).

- ``observations``: a household's income or rigid expenditure (medical, schooling,
  disaster loss) over a period, in fen, from a source (a declaration, a survey, a
  visit or a department's feed), for one member if known; a feed's record
  (``feed``, ``feed_record``) is unique. ``sealed`` holds a medical expenditure's
  amount sealed at rest (``amount_fen`` then ``NULL``) when a key provider is
  installed.
- ``risk_warnings``: a warning raised for a household and a period by the warning
  rules that held (``rules``, JSON), its check due day, and its steps, each dated and
  signed (assigned, checked with a note, confirmed as a monitoring category or
  dismissed with a reason). Never deleted.

The statements are written out here as this revision runs them, so that later
changes to the live schema never change what upgrading through it does. Nothing
existing changes; downgrading drops the tables and is refused while they hold an
observation or a warning.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_ID = sa.String(64)
_CODE = sa.String(64)
_PERIOD = sa.String(7)

_OBSERVATION_INDEXES = ("household_id", "member_id", "kind", "period")
_WARNING_INDEXES = ("household_id", "period", "raised_on", "status", "assigned_to")


def upgrade() -> None:
    op.create_table(
        "observations",
        sa.Column("observation_id", _ID, nullable=False),
        sa.Column("household_id", _ID, nullable=False),
        sa.Column("member_id", _ID),
        sa.Column("kind", _CODE, nullable=False),
        sa.Column("period", _PERIOD, nullable=False),
        sa.Column("amount_fen", sa.BigInteger),
        sa.Column("source", _CODE, nullable=False),
        sa.Column("recorded_on", sa.Date, nullable=False),
        sa.Column("feed", sa.Text),
        sa.Column("feed_record", sa.Text),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("sealed", sa.Text),
        sa.PrimaryKeyConstraint("observation_id", name="pk_observations"),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.household_id"],
            name="fk_observations_household_id_households",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["household_members.member_id"],
            name="fk_observations_member_id_household_members",
        ),
        sa.UniqueConstraint("feed", "feed_record", name="uq_observations_feed_feed_record"),
        sa.CheckConstraint(
            "(feed IS NULL) = (feed_record IS NULL)", name="ck_observations_feed_whole"
        ),
        sa.CheckConstraint(
            "amount_fen IS NOT NULL OR sealed IS NOT NULL", name="ck_observations_amount_kept"
        ),
        sa.CheckConstraint("amount_fen >= 0", name="ck_observations_amount_nonnegative"),
    )
    for column in _OBSERVATION_INDEXES:
        op.create_index(f"ix_observations_{column}", "observations", [column])
    op.create_table(
        "risk_warnings",
        sa.Column("warning_id", _ID, nullable=False),
        sa.Column("household_id", _ID, nullable=False),
        sa.Column("rules", sa.JSON, nullable=False),
        sa.Column("period", _PERIOD, nullable=False),
        sa.Column("raised_on", sa.Date, nullable=False),
        sa.Column("check_due", sa.Date, nullable=False),
        sa.Column("status", _CODE, nullable=False),
        sa.Column("assigned_to", sa.Text),
        sa.Column("assigned_on", sa.Date),
        sa.Column("checked_by", sa.Text),
        sa.Column("checked_on", sa.Date),
        sa.Column("check_note", sa.Text, nullable=False),
        sa.Column("decided_by", sa.Text),
        sa.Column("decided_on", sa.Date),
        sa.Column("category", _CODE),
        sa.Column("reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("warning_id", name="pk_risk_warnings"),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.household_id"],
            name="fk_risk_warnings_household_id_households",
        ),
        sa.CheckConstraint("check_due >= raised_on", name="ck_risk_warnings_due_after_raised"),
    )
    for column in _WARNING_INDEXES:
        op.create_index(f"ix_risk_warnings_{column}", "risk_warnings", [column])


def downgrade() -> None:
    bind = op.get_bind()
    for table, what in (("observations", "observations"), ("risk_warnings", "warnings")):
        stored = bind.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
        if stored:
            from jieqin.errors import SchemaOutdated

            raise SchemaOutdated(
                f"{stored} {what} are stored, and revision 0016 cannot hold them: "
                "nothing was changed"
            )
    for column in _WARNING_INDEXES:
        op.drop_index(f"ix_risk_warnings_{column}", table_name="risk_warnings")
    op.drop_table("risk_warnings")
    for column in _OBSERVATION_INDEXES:
        op.drop_index(f"ix_observations_{column}", table_name="observations")
    op.drop_table("observations")
