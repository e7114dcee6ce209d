"""The records tell the truth: no trigger keeps derived state; the schema backs the checks.

- Every trigger that kept derived state (the activity tallies and follow-up rows of
  revisions 0003 to 0005, who was paired, the report cache) is dropped with its
  tables and functions; only the audit log's protection (revision 0002) remains.
- The read model the storage now keeps in the same transaction as its writes is
  created empty: ``report_tally``, ``paired_spans``, ``paired_gaps``,
  ``paired_tally``, ``pairing_follow_up``, ``activity_latest`` and
  ``read_model_state``. ``jieqin db upgrade`` counts it from the rows once this
  revision has run (the state row says it has not been built yet).
- Foreign keys from every record to the helper, household, member, need and fund it
  names; a resident ID number on at most one member (``NULL`` allowed) and
  ``departed_on`` for former members; ``member_moves``; each fund's
  ``granted_fen`` (the sum of its grants) checked against its budget.

Records that break the new constraints (an activity by a helper who is not stored,
two members with one resident ID number, a fund granted past its budget) make the
upgrade stop before anything changes, with a message that names them.

The statements are written out here as this revision runs them, so that later
changes to the live schema never change what upgrading through it does.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: The name prefixes of the triggers (and PostgreSQL functions) that kept derived state.
_DERIVED_TRIGGERS = (
    "activity_tally_",
    "activity_follow_up_",
    "paired_",
    "pairing_follow_up_",
    "report_cache_",
)
_DERIVED_TABLES = (
    "report_cache",
    "activity_tally",
    "activity_tally_month",
    "activity_latest",
    "activity_follow_up",
    "pairing_follow_up",
    "paired_households",
    "paired_household_gaps",
    "paired_helpers",
    "paired_helper_gaps",
    "paired_household_tally",
    "paired_helper_tally",
)
_DERIVED_INDEXES = (
    ("ix_households_id_region", "households"),
    ("ix_helpers_id_region_tier", "helpers"),
)

_HOUSEHOLD = "households.household_id"
_HELPER = "helpers.helper_id"
_MEMBER = "household_members.member_id"
_NEED = "needs.need_id"

#: (table, column, the table and column it names) for every new foreign key.
_FOREIGN_KEYS = (
    ("pairings", "helper_id", _HELPER),
    ("pairings", "household_id", _HOUSEHOLD),
    ("handovers", "household_id", _HOUSEHOLD),
    ("handovers", "from_helper_id", _HELPER),
    ("handovers", "to_helper_id", _HELPER),
    ("needs", "household_id", _HOUSEHOLD),
    ("needs", "member_id", _MEMBER),
    ("referrals", "need_id", _NEED),
    ("referrals", "household_id", _HOUSEHOLD),
    ("referrals", "member_id", _MEMBER),
    ("activities", "helper_id", _HELPER),
    ("activities", "household_id", _HOUSEHOLD),
    ("activities", "member_id", _MEMBER),
    ("activities", "need_id", _NEED),
    ("grants", "fund_id", "funds.fund_id"),
    ("grants", "household_id", _HOUSEHOLD),
    ("grants", "member_id", _MEMBER),
    ("grants", "need_id", _NEED),
    ("decisions", "household_id", _HOUSEHOLD),
    ("decisions", "member_id", _MEMBER),
)

#: New indexes on the columns the foreign keys and the checks look up.
_NEW_INDEXES = (
    ("needs", "member_id"),
    ("referrals", "member_id"),
    ("activities", "member_id"),
    ("activities", "need_id"),
    ("grants", "member_id"),
    ("decisions", "member_id"),
)


def _refuse_broken_records(bind: sa.Connection) -> None:
    """Stop, naming them, if records break the constraints this revision adds."""
    problems: list[str] = []
    for table, column, target in _FOREIGN_KEYS:
        parent, key = target.split(".")
        rows = bind.exec_driver_sql(
            f'SELECT t."{column}" FROM {table} t WHERE t."{column}" IS NOT NULL AND NOT EXISTS '
            f'(SELECT 1 FROM {parent} p WHERE p."{key}" = t."{column}")'
        ).all()
        if rows:
            shown = ", ".join(sorted({str(r[0]) for r in rows})[:5])
            problems.append(f"{len(rows)} {table} name a {column} that is not stored ({shown} ...)")
    shared = bind.exec_driver_sql(
        "SELECT resident_id, member_id FROM household_members WHERE resident_id IN "
        "(SELECT resident_id FROM household_members WHERE resident_id IS NOT NULL "
        "GROUP BY resident_id HAVING count(*) > 1) ORDER BY resident_id, member_id"
    ).all()
    if shared:
        holders: dict[str, list[str]] = {}
        for resident_id, member_id in shared:
            holders.setdefault(str(resident_id), []).append(str(member_id))
        # Member ids only: the numbers themselves never go into a message.
        shown = "; ".join(" and ".join(ids) for ids in list(holders.values())[:5])
        problems.append(
            f"{len(holders)} resident ID numbers are held by more than one member ({shown} "
            "...): give each person one member record, with the jieqin that made the database"
        )
    over = bind.exec_driver_sql(
        "SELECT f.fund_id FROM funds f JOIN (SELECT fund_id, sum(amount_fen) AS granted "
        "FROM grants GROUP BY fund_id) g ON g.fund_id = f.fund_id WHERE g.granted > f.budget_fen"
    ).all()
    if over:
        problems.append(f"funds granted past their budget: {', '.join(r[0] for r in over[:5])}")
    if problems:
        from jieqin.errors import SchemaOutdated

        raise SchemaOutdated(
            "the database cannot be upgraded until these records are corrected (nothing was "
            "changed): " + "; ".join(problems)
        )


def _drop_derived(bind: sa.Connection) -> None:
    """Drop the derived-state triggers (and functions), their tables and indexes."""
    if bind.dialect.name == "sqlite":
        names = [
            r[0]
            for r in bind.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        ]
        for name in names:
            if name.startswith(_DERIVED_TRIGGERS):
                op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        rows = bind.exec_driver_sql(
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
        ).all()
        for name, table in rows:
            if name.startswith(_DERIVED_TRIGGERS):
                op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        functions = bind.exec_driver_sql(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema()"
        ).all()
        for (name,) in functions:
            if name.startswith(_DERIVED_TRIGGERS):
                op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    existing = set(sa.inspect(bind).get_table_names())
    for table in _DERIVED_TABLES:
        if table in existing:
            op.drop_table(table)
    for index, table in _DERIVED_INDEXES:
        op.drop_index(index, table_name=table, if_exists=True)


def _members() -> None:
    with op.batch_alter_table("household_members") as batch:
        batch.alter_column("resident_id", existing_type=sa.String(18), nullable=True)
        batch.drop_index("ix_household_members_resident_id")
        batch.create_unique_constraint("uq_household_members_resident_id", ["resident_id"])
        batch.add_column(sa.Column("departed_on", sa.Date))
        batch.drop_index("ix_household_members_condition")
        batch.drop_index("ix_household_members_disability")
        batch.create_index(
            "ix_household_members_condition", ["health_condition", "departed_on", "household_id"]
        )
        batch.create_index(
            "ix_household_members_disability", ["disability_grade", "departed_on", "household_id"]
        )
    op.create_table(
        "member_moves",
        sa.Column(
            "move_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True
        ),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("from_household_id", sa.String(64), nullable=False),
        sa.Column("to_household_id", sa.String(64), nullable=False),
        sa.Column("on", sa.Date, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("move_id", name="pk_member_moves"),
        sa.ForeignKeyConstraint(
            ["member_id"], [_MEMBER], name="fk_member_moves_member_id_household_members"
        ),
        sa.ForeignKeyConstraint(
            ["from_household_id"], [_HOUSEHOLD], name="fk_member_moves_from_household_id_households"
        ),
        sa.ForeignKeyConstraint(
            ["to_household_id"], [_HOUSEHOLD], name="fk_member_moves_to_household_id_households"
        ),
    )
    op.create_index("ix_member_moves_member_id", "member_moves", ["member_id"])


def _foreign_keys() -> None:
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, target in _FOREIGN_KEYS:
        tables.setdefault(table, []).append((column, target))
    for table, keys in tables.items():
        with op.batch_alter_table(table) as batch:
            for column, target in keys:
                parent = target.split(".")[0]
                batch.create_foreign_key(
                    f"fk_{table}_{column}_{parent}", parent, [column], [target.split(".")[1]]
                )
            for indexed_table, column in _NEW_INDEXES:
                if indexed_table == table:
                    batch.create_index(f"ix_{table}_{column}", [column])


def _funds(bind: sa.Connection) -> None:
    with op.batch_alter_table("funds") as batch:
        batch.add_column(
            sa.Column("granted_fen", sa.BigInteger, nullable=False, server_default=sa.text("0"))
        )
    op.execute(
        "UPDATE funds SET granted_fen = COALESCE((SELECT sum(g.amount_fen) FROM grants g "
        "WHERE g.fund_id = funds.fund_id), 0)"
    )
    with op.batch_alter_table("funds") as batch:
        batch.create_check_constraint("ck_funds_within_budget", "granted_fen <= budget_fen")
        batch.create_check_constraint("ck_funds_granted_not_negative", "granted_fen >= 0")


def _read_model() -> None:
    op.create_table(
        "report_tally",
        sa.Column("figure", sa.String(16), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("county", sa.String(12), nullable=False),
        sa.Column("a", sa.String(64), nullable=False),
        sa.Column("b", sa.String(64), nullable=False),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint(
            "figure", "month", "day", "county", "a", "b", name="pk_report_tally"
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "paired_spans",
        sa.Column("side", sa.String(16), nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("county", sa.String(12), nullable=False),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date),
        sa.PrimaryKeyConstraint("side", "id", name="pk_paired_spans"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "paired_gaps",
        sa.Column("side", sa.String(16), nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date, nullable=False),
        sa.Column("county", sa.String(12), nullable=False),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("side", "id", "first_day", name="pk_paired_gaps"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "paired_tally",
        sa.Column("side", sa.String(16), nullable=False),
        sa.Column("county", sa.String(12), nullable=False),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date, nullable=False),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint(
            "side", "county", "tier", "first_day", "last_day", name="pk_paired_tally"
        ),
        sqlite_with_rowid=False,
    )
    duties = ("contact", "visit", "policy_explanation", "warmth", "practical_help")
    op.create_table(
        "pairing_follow_up",
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("helper_id", sa.String(64), nullable=False),
        sa.Column("start", sa.Date, nullable=False),
        sa.Column("end", sa.Date),
        sa.Column("start_day", sa.Integer, nullable=False),
        *(sa.Column(f"{duty}_day", sa.Integer) for duty in duties),
        sa.Column("any_duty_day", sa.Integer),
        sa.PrimaryKeyConstraint("household_id", "helper_id", "start", name="pk_pairing_follow_up"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "activity_latest",
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("last_on", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("household_id", "kind", name="pk_activity_latest"),
        sqlite_with_rowid=False,
    )
    state = op.create_table(
        "read_model_state",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_read_model_state"),
    )
    op.bulk_insert(state, [{"name": "read_model", "version": 0}])


def upgrade() -> None:
    bind = op.get_bind()
    _refuse_broken_records(bind)
    _drop_derived(bind)
    # Tables SQLite rebuilds go first: dropping one that others already name fails.
    _members()
    _funds(bind)
    _foreign_keys()
    _read_model()


def downgrade() -> None:
    raise NotImplementedError(
        "revision 0006 cannot be undone in place: restore the backup taken before upgrading"
    )
