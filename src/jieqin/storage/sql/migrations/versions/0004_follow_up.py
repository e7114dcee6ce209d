"""The overdue scan's one-row-per-household table, and finer report caching.

``activity_follow_up`` holds, per household, the day of its latest activity of each
of the five standing duties, kept current by triggers on ``activities`` and filled
from the activities already stored; the overdue scan joins it once per pairing.
Covering indexes give the county of a household or helper in one index lookup.
The ``report_cache`` triggers are replaced by ones that forget only the figures a
write can change (a new grant no longer forgets the pairing counts).

The statements are written out below exactly as this revision runs them (the live
code that builds them is :mod:`jieqin.reports.sql`), so that later changes there
never change what upgrading through this revision does.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: The tables whose writes the 0003 cache triggers watched (for the downgrade).
_CACHE_SOURCES = ("helpers", "households", "pairings", "needs", "referrals", "grants", "programs")

#: The follow-up triggers, the first count, then the per-figure cache triggers, on SQLite.
_SQLITE: tuple[str, ...] = (
    "CREATE TRIGGER activity_follow_up_insert AFTER INSERT ON activities WHEN NEW.kind IN ('contact', "
    "'visit', 'policy_explanation', 'warmth', 'practical_help') BEGIN \n"
    "    INSERT INTO activity_follow_up (household_id, contact_day, visit_day, "
    "policy_explanation_day, warmth_day, practical_help_day)\n"
    "    VALUES (NEW.household_id, CASE WHEN NEW.kind = 'contact' THEN CAST(julianday(NEW.\"on\") - "
    "1721424.5 AS INTEGER) END, CASE WHEN NEW.kind = 'visit' THEN CAST(julianday(NEW.\"on\") - "
    "1721424.5 AS INTEGER) END, CASE WHEN NEW.kind = 'policy_explanation' THEN "
    "CAST(julianday(NEW.\"on\") - 1721424.5 AS INTEGER) END, CASE WHEN NEW.kind = 'warmth' THEN "
    "CAST(julianday(NEW.\"on\") - 1721424.5 AS INTEGER) END, CASE WHEN NEW.kind = 'practical_help' "
    'THEN CAST(julianday(NEW."on") - 1721424.5 AS INTEGER) END)\n'
    "    ON CONFLICT (household_id) DO UPDATE SET contact_day = CASE WHEN excluded.contact_day > "
    "coalesce(contact_day, 0) THEN excluded.contact_day ELSE contact_day END, visit_day = CASE WHEN "
    "excluded.visit_day > coalesce(visit_day, 0) THEN excluded.visit_day ELSE visit_day END, "
    "policy_explanation_day = CASE WHEN excluded.policy_explanation_day > "
    "coalesce(policy_explanation_day, 0) THEN excluded.policy_explanation_day ELSE "
    "policy_explanation_day END, warmth_day = CASE WHEN excluded.warmth_day > coalesce(warmth_day, 0) "
    "THEN excluded.warmth_day ELSE warmth_day END, practical_help_day = CASE WHEN "
    "excluded.practical_help_day > coalesce(practical_help_day, 0) THEN excluded.practical_help_day "
    "ELSE practical_help_day END; END",
    "CREATE TRIGGER activity_follow_up_delete AFTER DELETE ON activities WHEN OLD.kind IN ('contact', "
    "'visit', 'policy_explanation', 'warmth', 'practical_help') BEGIN \n"
    "    DELETE FROM activity_follow_up WHERE household_id = OLD.household_id;\n"
    "    INSERT INTO activity_follow_up (household_id, contact_day, visit_day, "
    "policy_explanation_day, warmth_day, practical_help_day)\n"
    "    SELECT household_id, max(CASE WHEN kind = 'contact' THEN CAST(julianday(\"on\") - 1721424.5 "
    "AS INTEGER) END), max(CASE WHEN kind = 'visit' THEN CAST(julianday(\"on\") - 1721424.5 AS "
    "INTEGER) END), max(CASE WHEN kind = 'policy_explanation' THEN CAST(julianday(\"on\") - 1721424.5 "
    "AS INTEGER) END), max(CASE WHEN kind = 'warmth' THEN CAST(julianday(\"on\") - 1721424.5 AS "
    "INTEGER) END), max(CASE WHEN kind = 'practical_help' THEN CAST(julianday(\"on\") - 1721424.5 AS "
    "INTEGER) END) FROM activities\n"
    "    WHERE household_id = OLD.household_id AND kind IN ('contact', 'visit', 'policy_explanation', "
    "'warmth', 'practical_help') GROUP BY household_id; END",
    'CREATE TRIGGER activity_follow_up_update AFTER UPDATE OF "on", kind, household_id ON activities '
    "WHEN OLD.kind IN ('contact', 'visit', 'policy_explanation', 'warmth', 'practical_help') OR "
    "NEW.kind IN ('contact', 'visit', 'policy_explanation', 'warmth', 'practical_help') BEGIN \n"
    "    DELETE FROM activity_follow_up WHERE household_id = OLD.household_id;\n"
    "    INSERT INTO activity_follow_up (household_id, contact_day, visit_day, "
    "policy_explanation_day, warmth_day, practical_help_day)\n"
    "    SELECT household_id, max(CASE WHEN kind = 'contact' THEN CAST(julianday(\"on\") - 1721424.5 "
    "AS INTEGER) END), max(CASE WHEN kind = 'visit' THEN CAST(julianday(\"on\") - 1721424.5 AS "
    "INTEGER) END), max(CASE WHEN kind = 'policy_explanation' THEN CAST(julianday(\"on\") - 1721424.5 "
    "AS INTEGER) END), max(CASE WHEN kind = 'warmth' THEN CAST(julianday(\"on\") - 1721424.5 AS "
    "INTEGER) END), max(CASE WHEN kind = 'practical_help' THEN CAST(julianday(\"on\") - 1721424.5 AS "
    "INTEGER) END) FROM activities\n"
    "    WHERE household_id = OLD.household_id AND kind IN ('contact', 'visit', 'policy_explanation', "
    "'warmth', 'practical_help') GROUP BY household_id; \n"
    "    DELETE FROM activity_follow_up WHERE household_id = NEW.household_id;\n"
    "    INSERT INTO activity_follow_up (household_id, contact_day, visit_day, "
    "policy_explanation_day, warmth_day, practical_help_day)\n"
    "    SELECT household_id, max(CASE WHEN kind = 'contact' THEN CAST(julianday(\"on\") - 1721424.5 "
    "AS INTEGER) END), max(CASE WHEN kind = 'visit' THEN CAST(julianday(\"on\") - 1721424.5 AS "
    "INTEGER) END), max(CASE WHEN kind = 'policy_explanation' THEN CAST(julianday(\"on\") - 1721424.5 "
    "AS INTEGER) END), max(CASE WHEN kind = 'warmth' THEN CAST(julianday(\"on\") - 1721424.5 AS "
    "INTEGER) END), max(CASE WHEN kind = 'practical_help' THEN CAST(julianday(\"on\") - 1721424.5 AS "
    "INTEGER) END) FROM activities\n"
    "    WHERE household_id = NEW.household_id AND kind IN ('contact', 'visit', 'policy_explanation', "
    "'warmth', 'practical_help') GROUP BY household_id; END",
    "DELETE FROM activity_follow_up",
    "INSERT INTO activity_follow_up (household_id, contact_day, visit_day, policy_explanation_day, "
    "warmth_day, practical_help_day) SELECT activities.household_id, max(CASE WHEN (activities.kind = "
    "'contact') THEN CAST(julianday(activities.\"on\") - 1721424.5 AS INTEGER) END) AS max_1, "
    "max(CASE WHEN (activities.kind = 'visit') THEN CAST(julianday(activities.\"on\") - 1721424.5 AS "
    "INTEGER) END) AS max_2, max(CASE WHEN (activities.kind = 'policy_explanation') THEN "
    'CAST(julianday(activities."on") - 1721424.5 AS INTEGER) END) AS max_3, max(CASE WHEN '
    "(activities.kind = 'warmth') THEN CAST(julianday(activities.\"on\") - 1721424.5 AS INTEGER) END) "
    "AS max_4, max(CASE WHEN (activities.kind = 'practical_help') THEN "
    'CAST(julianday(activities."on") - 1721424.5 AS INTEGER) END) AS max_5 \n'
    "FROM activities \n"
    "WHERE activities.kind IN ('contact', 'visit', 'policy_explanation', 'warmth', 'practical_help') "
    "GROUP BY activities.household_id",
    "DROP TRIGGER IF EXISTS report_cache_helpers_insert",
    "DROP TRIGGER IF EXISTS report_cache_helpers_update",
    "DROP TRIGGER IF EXISTS report_cache_helpers_delete",
    "DROP TRIGGER IF EXISTS report_cache_households_insert",
    "DROP TRIGGER IF EXISTS report_cache_households_update",
    "DROP TRIGGER IF EXISTS report_cache_households_delete",
    "DROP TRIGGER IF EXISTS report_cache_pairings_insert",
    "DROP TRIGGER IF EXISTS report_cache_pairings_update",
    "DROP TRIGGER IF EXISTS report_cache_pairings_delete",
    "DROP TRIGGER IF EXISTS report_cache_needs_insert",
    "DROP TRIGGER IF EXISTS report_cache_needs_update",
    "DROP TRIGGER IF EXISTS report_cache_needs_delete",
    "DROP TRIGGER IF EXISTS report_cache_referrals_insert",
    "DROP TRIGGER IF EXISTS report_cache_referrals_update",
    "DROP TRIGGER IF EXISTS report_cache_referrals_delete",
    "DROP TRIGGER IF EXISTS report_cache_grants_insert",
    "DROP TRIGGER IF EXISTS report_cache_grants_update",
    "DROP TRIGGER IF EXISTS report_cache_grants_delete",
    "DROP TRIGGER IF EXISTS report_cache_programs_insert",
    "DROP TRIGGER IF EXISTS report_cache_programs_update",
    "DROP TRIGGER IF EXISTS report_cache_programs_delete",
    "CREATE TRIGGER report_cache_helpers_insert AFTER INSERT ON helpers BEGIN DELETE FROM "
    "report_cache WHERE figure IN ('helpers'); END",
    "CREATE TRIGGER report_cache_helpers_update AFTER UPDATE ON helpers BEGIN DELETE FROM "
    "report_cache WHERE figure IN ('helpers'); END",
    "CREATE TRIGGER report_cache_helpers_delete AFTER DELETE ON helpers BEGIN DELETE FROM "
    "report_cache WHERE figure IN ('helpers'); END",
    "CREATE TRIGGER report_cache_households_insert AFTER INSERT ON households BEGIN DELETE FROM "
    "report_cache WHERE figure IN ('households', 'needs', 'referrals', 'grants'); END",
    "CREATE TRIGGER report_cache_households_update AFTER UPDATE ON households BEGIN DELETE FROM "
    "report_cache WHERE figure IN ('households', 'needs', 'referrals', 'grants'); END",
    "CREATE TRIGGER report_cache_households_delete AFTER DELETE ON households BEGIN DELETE FROM "
    "report_cache WHERE figure IN ('households', 'needs', 'referrals', 'grants'); END",
    "CREATE TRIGGER report_cache_pairings_insert AFTER INSERT ON pairings BEGIN DELETE FROM "
    "report_cache WHERE figure IN ('helpers', 'households'); END",
    "CREATE TRIGGER report_cache_pairings_update AFTER UPDATE ON pairings BEGIN DELETE FROM "
    "report_cache WHERE figure IN ('helpers', 'households'); END",
    "CREATE TRIGGER report_cache_pairings_delete AFTER DELETE ON pairings BEGIN DELETE FROM "
    "report_cache WHERE figure IN ('helpers', 'households'); END",
    "CREATE TRIGGER report_cache_needs_insert AFTER INSERT ON needs BEGIN DELETE FROM report_cache "
    "WHERE figure IN ('needs'); END",
    "CREATE TRIGGER report_cache_needs_update AFTER UPDATE ON needs BEGIN DELETE FROM report_cache "
    "WHERE figure IN ('needs'); END",
    "CREATE TRIGGER report_cache_needs_delete AFTER DELETE ON needs BEGIN DELETE FROM report_cache "
    "WHERE figure IN ('needs'); END",
    "CREATE TRIGGER report_cache_referrals_insert AFTER INSERT ON referrals BEGIN DELETE FROM "
    "report_cache WHERE figure IN ('referrals'); END",
    "CREATE TRIGGER report_cache_referrals_update AFTER UPDATE ON referrals BEGIN DELETE FROM "
    "report_cache WHERE figure IN ('referrals'); END",
    "CREATE TRIGGER report_cache_referrals_delete AFTER DELETE ON referrals BEGIN DELETE FROM "
    "report_cache WHERE figure IN ('referrals'); END",
    "CREATE TRIGGER report_cache_grants_insert AFTER INSERT ON grants BEGIN DELETE FROM report_cache "
    "WHERE figure IN ('grants'); END",
    "CREATE TRIGGER report_cache_grants_update AFTER UPDATE ON grants BEGIN DELETE FROM report_cache "
    "WHERE figure IN ('grants'); END",
    "CREATE TRIGGER report_cache_grants_delete AFTER DELETE ON grants BEGIN DELETE FROM report_cache "
    "WHERE figure IN ('grants'); END",
    "CREATE TRIGGER report_cache_programs_insert AFTER INSERT ON programs BEGIN DELETE FROM "
    "report_cache WHERE figure IN ('grants'); END",
    "CREATE TRIGGER report_cache_programs_update AFTER UPDATE ON programs BEGIN DELETE FROM "
    "report_cache WHERE figure IN ('grants'); END",
    "CREATE TRIGGER report_cache_programs_delete AFTER DELETE ON programs BEGIN DELETE FROM "
    "report_cache WHERE figure IN ('grants'); END",
)

#: The same on PostgreSQL.
_POSTGRESQL: tuple[str, ...] = (
    "CREATE OR REPLACE FUNCTION activity_follow_up_insert() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN \n"
    "    INSERT INTO activity_follow_up (household_id, contact_day, visit_day, "
    "policy_explanation_day, warmth_day, practical_help_day)\n"
    "    SELECT n.household_id, max(CASE WHEN n.kind = 'contact' THEN ((n.\"on\") - DATE "
    "'0001-01-01' + 1) END), max(CASE WHEN n.kind = 'visit' THEN ((n.\"on\") - DATE '0001-01-01' "
    "+ 1) END), max(CASE WHEN n.kind = 'policy_explanation' THEN ((n.\"on\") - DATE '0001-01-01' + "
    "1) END), max(CASE WHEN n.kind = 'warmth' THEN ((n.\"on\") - DATE '0001-01-01' + 1) END), "
    "max(CASE WHEN n.kind = 'practical_help' THEN ((n.\"on\") - DATE '0001-01-01' + 1) END) FROM "
    "new_rows n\n"
    "    WHERE n.kind IN ('contact', 'visit', 'policy_explanation', 'warmth', 'practical_help') GROUP "
    "BY n.household_id\n"
    "    ON CONFLICT (household_id) DO UPDATE SET contact_day = "
    "GREATEST(activity_follow_up.contact_day, EXCLUDED.contact_day), visit_day = "
    "GREATEST(activity_follow_up.visit_day, EXCLUDED.visit_day), policy_explanation_day = "
    "GREATEST(activity_follow_up.policy_explanation_day, EXCLUDED.policy_explanation_day), warmth_day "
    "= GREATEST(activity_follow_up.warmth_day, EXCLUDED.warmth_day), practical_help_day = "
    "GREATEST(activity_follow_up.practical_help_day, EXCLUDED.practical_help_day);\n"
    " RETURN NULL;\n"
    "END $$",
    "CREATE OR REPLACE FUNCTION activity_follow_up_delete() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN \n"
    "    DELETE FROM activity_follow_up f\n"
    "    USING (SELECT DISTINCT household_id FROM old_rows WHERE kind IN ('contact', 'visit', "
    "'policy_explanation', 'warmth', 'practical_help')) o\n"
    "    WHERE f.household_id = o.household_id;\n"
    "    INSERT INTO activity_follow_up (household_id, contact_day, visit_day, "
    "policy_explanation_day, warmth_day, practical_help_day)\n"
    "    SELECT a.household_id, max(CASE WHEN a.kind = 'contact' THEN ((a.\"on\") - DATE "
    "'0001-01-01' + 1) END), max(CASE WHEN a.kind = 'visit' THEN ((a.\"on\") - DATE '0001-01-01' "
    "+ 1) END), max(CASE WHEN a.kind = 'policy_explanation' THEN ((a.\"on\") - DATE '0001-01-01' + "
    "1) END), max(CASE WHEN a.kind = 'warmth' THEN ((a.\"on\") - DATE '0001-01-01' + 1) END), "
    "max(CASE WHEN a.kind = 'practical_help' THEN ((a.\"on\") - DATE '0001-01-01' + 1) END) FROM "
    "activities a\n"
    "    JOIN (SELECT DISTINCT household_id FROM old_rows WHERE kind IN ('contact', 'visit', "
    "'policy_explanation', 'warmth', 'practical_help')) o\n"
    "      ON a.household_id = o.household_id\n"
    "    WHERE a.kind IN ('contact', 'visit', 'policy_explanation', 'warmth', 'practical_help') GROUP "
    "BY a.household_id\n"
    "    ON CONFLICT (household_id) DO UPDATE SET contact_day = EXCLUDED.contact_day, visit_day = "
    "EXCLUDED.visit_day, policy_explanation_day = EXCLUDED.policy_explanation_day, warmth_day = "
    "EXCLUDED.warmth_day, practical_help_day = EXCLUDED.practical_help_day;\n"
    " RETURN NULL;\n"
    "END $$",
    "CREATE OR REPLACE FUNCTION activity_follow_up_update() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN \n"
    "    DELETE FROM activity_follow_up f\n"
    "    USING (SELECT DISTINCT household_id FROM old_rows WHERE kind IN ('contact', 'visit', "
    "'policy_explanation', 'warmth', 'practical_help')) o\n"
    "    WHERE f.household_id = o.household_id;\n"
    "    INSERT INTO activity_follow_up (household_id, contact_day, visit_day, "
    "policy_explanation_day, warmth_day, practical_help_day)\n"
    "    SELECT a.household_id, max(CASE WHEN a.kind = 'contact' THEN ((a.\"on\") - DATE "
    "'0001-01-01' + 1) END), max(CASE WHEN a.kind = 'visit' THEN ((a.\"on\") - DATE '0001-01-01' "
    "+ 1) END), max(CASE WHEN a.kind = 'policy_explanation' THEN ((a.\"on\") - DATE '0001-01-01' + "
    "1) END), max(CASE WHEN a.kind = 'warmth' THEN ((a.\"on\") - DATE '0001-01-01' + 1) END), "
    "max(CASE WHEN a.kind = 'practical_help' THEN ((a.\"on\") - DATE '0001-01-01' + 1) END) FROM "
    "activities a\n"
    "    JOIN (SELECT DISTINCT household_id FROM old_rows WHERE kind IN ('contact', 'visit', "
    "'policy_explanation', 'warmth', 'practical_help')) o\n"
    "      ON a.household_id = o.household_id\n"
    "    WHERE a.kind IN ('contact', 'visit', 'policy_explanation', 'warmth', 'practical_help') GROUP "
    "BY a.household_id\n"
    "    ON CONFLICT (household_id) DO UPDATE SET contact_day = EXCLUDED.contact_day, visit_day = "
    "EXCLUDED.visit_day, policy_explanation_day = EXCLUDED.policy_explanation_day, warmth_day = "
    "EXCLUDED.warmth_day, practical_help_day = EXCLUDED.practical_help_day;\n"
    "    INSERT INTO activity_follow_up (household_id, contact_day, visit_day, "
    "policy_explanation_day, warmth_day, practical_help_day)\n"
    "    SELECT n.household_id, max(CASE WHEN n.kind = 'contact' THEN ((n.\"on\") - DATE "
    "'0001-01-01' + 1) END), max(CASE WHEN n.kind = 'visit' THEN ((n.\"on\") - DATE '0001-01-01' "
    "+ 1) END), max(CASE WHEN n.kind = 'policy_explanation' THEN ((n.\"on\") - DATE '0001-01-01' + "
    "1) END), max(CASE WHEN n.kind = 'warmth' THEN ((n.\"on\") - DATE '0001-01-01' + 1) END), "
    "max(CASE WHEN n.kind = 'practical_help' THEN ((n.\"on\") - DATE '0001-01-01' + 1) END) FROM "
    "new_rows n\n"
    "    WHERE n.kind IN ('contact', 'visit', 'policy_explanation', 'warmth', 'practical_help') GROUP "
    "BY n.household_id\n"
    "    ON CONFLICT (household_id) DO UPDATE SET contact_day = "
    "GREATEST(activity_follow_up.contact_day, EXCLUDED.contact_day), visit_day = "
    "GREATEST(activity_follow_up.visit_day, EXCLUDED.visit_day), policy_explanation_day = "
    "GREATEST(activity_follow_up.policy_explanation_day, EXCLUDED.policy_explanation_day), warmth_day "
    "= GREATEST(activity_follow_up.warmth_day, EXCLUDED.warmth_day), practical_help_day = "
    "GREATEST(activity_follow_up.practical_help_day, EXCLUDED.practical_help_day);\n"
    " RETURN NULL;\n"
    "END $$",
    "CREATE TRIGGER activity_follow_up_insert AFTER INSERT ON activities REFERENCING NEW TABLE AS "
    "new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_follow_up_insert()",
    "CREATE TRIGGER activity_follow_up_delete AFTER DELETE ON activities REFERENCING OLD TABLE AS "
    "old_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_follow_up_delete()",
    "CREATE TRIGGER activity_follow_up_update AFTER UPDATE ON activities REFERENCING OLD TABLE AS "
    "old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_follow_up_update()",
    "DELETE FROM activity_follow_up",
    "INSERT INTO activity_follow_up (household_id, contact_day, visit_day, policy_explanation_day, "
    "warmth_day, practical_help_day) SELECT activities.household_id, max(CASE WHEN (activities.kind = "
    "'contact') THEN CAST(activities.\"on\" - '0001-01-01' AS INTEGER) + 1 END) AS max_1, max(CASE "
    "WHEN (activities.kind = 'visit') THEN CAST(activities.\"on\" - '0001-01-01' AS INTEGER) + 1 "
    "END) AS max_2, max(CASE WHEN (activities.kind = 'policy_explanation') THEN "
    "CAST(activities.\"on\" - '0001-01-01' AS INTEGER) + 1 END) AS max_3, max(CASE WHEN "
    "(activities.kind = 'warmth') THEN CAST(activities.\"on\" - '0001-01-01' AS INTEGER) + 1 END) "
    "AS max_4, max(CASE WHEN (activities.kind = 'practical_help') THEN CAST(activities.\"on\" - "
    "'0001-01-01' AS INTEGER) + 1 END) AS max_5 \n"
    "FROM activities \n"
    "WHERE activities.kind IN ('contact', 'visit', 'policy_explanation', 'warmth', 'practical_help') "
    "GROUP BY activities.household_id",
    "DROP TRIGGER IF EXISTS report_cache_helpers ON helpers",
    "DROP TRIGGER IF EXISTS report_cache_households ON households",
    "DROP TRIGGER IF EXISTS report_cache_pairings ON pairings",
    "DROP TRIGGER IF EXISTS report_cache_needs ON needs",
    "DROP TRIGGER IF EXISTS report_cache_referrals ON referrals",
    "DROP TRIGGER IF EXISTS report_cache_grants ON grants",
    "DROP TRIGGER IF EXISTS report_cache_programs ON programs",
    "DROP FUNCTION IF EXISTS report_cache_forget()",
    "DROP FUNCTION IF EXISTS report_cache_clear()",
    "CREATE OR REPLACE FUNCTION report_cache_forget() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "DELETE FROM report_cache WHERE figure = ANY(TG_ARGV); RETURN NULL; END $$",
    "CREATE TRIGGER report_cache_helpers AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON helpers FOR "
    "EACH STATEMENT EXECUTE FUNCTION report_cache_forget('helpers')",
    "CREATE TRIGGER report_cache_households AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "
    "households FOR EACH STATEMENT EXECUTE FUNCTION report_cache_forget('households', 'needs', "
    "'referrals', 'grants')",
    "CREATE TRIGGER report_cache_pairings AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pairings "
    "FOR EACH STATEMENT EXECUTE FUNCTION report_cache_forget('helpers', 'households')",
    "CREATE TRIGGER report_cache_needs AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON needs FOR EACH "
    "STATEMENT EXECUTE FUNCTION report_cache_forget('needs')",
    "CREATE TRIGGER report_cache_referrals AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON referrals "
    "FOR EACH STATEMENT EXECUTE FUNCTION report_cache_forget('referrals')",
    "CREATE TRIGGER report_cache_grants AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grants FOR "
    "EACH STATEMENT EXECUTE FUNCTION report_cache_forget('grants')",
    "CREATE TRIGGER report_cache_programs AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON programs "
    "FOR EACH STATEMENT EXECUTE FUNCTION report_cache_forget('grants')",
)


def upgrade() -> None:
    op.create_table(
        "activity_follow_up",
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("contact_day", sa.Integer(), nullable=True),
        sa.Column("visit_day", sa.Integer(), nullable=True),
        sa.Column("policy_explanation_day", sa.Integer(), nullable=True),
        sa.Column("warmth_day", sa.Integer(), nullable=True),
        sa.Column("practical_help_day", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("household_id", name="pk_activity_follow_up"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_households_id_region", "households", ["household_id", "region"])
    op.create_index("ix_helpers_id_region_tier", "helpers", ["helper_id", "home_region", "tier"])
    bind = op.get_bind()
    for statement in _POSTGRESQL if bind.dialect.name == "postgresql" else _SQLITE:
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    for name in (
        "activity_follow_up_insert",
        "activity_follow_up_delete",
        "activity_follow_up_update",
    ):
        if postgresql:
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON activities")
            bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("activity_follow_up")
    op.drop_index("ix_helpers_id_region_tier", "helpers")
    op.drop_index("ix_households_id_region", "households")
    for table in _CACHE_SOURCES:
        if postgresql:
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS report_cache_{table} ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS report_cache_{table}_{event}")
    if postgresql:
        bind.exec_driver_sql("DROP FUNCTION IF EXISTS report_cache_forget()")
    # Schema 0003's triggers: any write empties the whole cache.
    if postgresql:
        bind.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION report_cache_clear() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN DELETE FROM report_cache; RETURN NULL; END $$"
        )
    for table in _CACHE_SOURCES:
        if postgresql:
            bind.exec_driver_sql(
                f"CREATE TRIGGER report_cache_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION report_cache_clear()"
            )
            continue
        for event in ("INSERT", "UPDATE", "DELETE"):
            bind.exec_driver_sql(
                f"CREATE TRIGGER report_cache_{table}_{event.lower()} AFTER {event} ON {table} "
                "BEGIN DELETE FROM report_cache; END"
            )
