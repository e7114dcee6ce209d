"""Consents, the consent a referral relied on, and the columns of encryption at rest.

- ``consents``: a member's consent to share facts with an agency (purpose, the facts
  covered, given, expiring, withdrawn), never deleted.
- ``referrals.consent_id``: the consent a referral that shares health or disability
  facts relied on.
- ``household_members.sealed``, ``household_members.resident_id_index`` (unique) and
  ``helpers.sealed``: with a key provider, the resident ID number, phone and
  diagnosis are sealed (AES-GCM) into ``sealed`` and a keyed hash of the number keeps
  it on one member. Without one they stay ``NULL`` and nothing changes.

The statements are written out here as this revision runs them, so that later
changes to the live schema never change what upgrading through it does. Existing
rows are untouched: ``jieqin db rekey`` seals them once a key provider is installed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("consent_id", _ID, nullable=False),
        sa.Column("member_id", _ID, nullable=False),
        sa.Column("household_id", _ID, nullable=False),
        sa.Column("recipient", _ID, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("facts", sa.JSON, nullable=False),
        sa.Column("given_on", sa.Date, nullable=False),
        sa.Column("expires_on", sa.Date),
        sa.Column("withdrawn_on", sa.Date),
        sa.Column("withdrawal_reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("consent_id", name="pk_consents"),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["household_members.member_id"],
            name="fk_consents_member_id_household_members",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.household_id"],
            name="fk_consents_household_id_households",
        ),
    )
    for column in ("member_id", "household_id", "recipient"):
        op.create_index(f"ix_consents_{column}", "consents", [column])
    # No table names referrals, so SQLite may rebuild it to add the foreign key.
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("consent_id", _ID))
        batch.create_foreign_key(
            "fk_referrals_consent_id_consents", "consents", ["consent_id"], ["consent_id"]
        )
        batch.create_index("ix_referrals_consent_id", ["consent_id"])
    # Many tables name household_members: plain ADD COLUMN, no rebuild.
    op.add_column("household_members", sa.Column("sealed", sa.Text))
    op.add_column("household_members", sa.Column("resident_id_index", sa.String(64)))
    op.create_index(
        "ix_household_members_resident_id_index",
        "household_members",
        ["resident_id_index"],
        unique=True,
    )
    op.add_column("helpers", sa.Column("sealed", sa.Text))


def downgrade() -> None:
    bind = op.get_bind()
    sealed = bind.exec_driver_sql(
        "SELECT (SELECT count(*) FROM household_members WHERE sealed IS NOT NULL) + "
        "(SELECT count(*) FROM helpers WHERE sealed IS NOT NULL)"
    ).scalar_one()
    if sealed:
        from jieqin.errors import SchemaOutdated

        raise SchemaOutdated(
            f"{sealed} rows hold sealed values: decrypt them first (`jieqin db rekey "
            "--decrypt`), nothing was changed"
        )
    op.drop_column("helpers", "sealed")
    op.drop_index("ix_household_members_resident_id_index", table_name="household_members")
    op.drop_column("household_members", "resident_id_index")
    op.drop_column("household_members", "sealed")
    with op.batch_alter_table("referrals") as batch:
        batch.drop_index("ix_referrals_consent_id")
        batch.drop_constraint("fk_referrals_consent_id_consents", type_="foreignkey")
        batch.drop_column("consent_id")
    op.drop_table("consents")
