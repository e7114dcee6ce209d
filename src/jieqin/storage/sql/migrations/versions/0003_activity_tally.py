"""Activity tallies for fast reports and follow-up: ``activity_tally`` and
``activity_tally_month`` (activities per day or month, household county, kind and
helper tier) and ``activity_latest`` (latest activity
day per household and kind), kept current by triggers on ``activities`` and filled
from the activities already stored; covering indexes on the pairings' spans; and
``report_cache``, emptied by triggers whenever a table it summarises is written.

The trigger and recount statements are written out below exactly as this revision
created them, so that later changes to the live code in :mod:`jieqin.reports.sql`
never change what upgrading through this revision does.

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

_CACHE_SOURCES = ("helpers", "households", "pairings", "needs", "referrals", "grants", "programs")

#: The triggers, then the recount, on SQLite.
_SQLITE: tuple[str, ...] = (
    "CREATE TRIGGER activity_tally_insert AFTER INSERT ON activities BEGIN \n"
    "    INSERT INTO activity_tally (day, region, kind, tier, month, n)\n"
    '    VALUES (NEW."on", COALESCE((SELECT substr(region, 1, 6) FROM households WHERE household_id = '
    "NEW.household_id), 'unknown'), NEW.kind,\n"
    "            COALESCE((SELECT tier FROM helpers WHERE helper_id = NEW.helper_id), 'unknown'), "
    'substr(NEW."on", 1, 7), 1)\n'
    "    ON CONFLICT (month, region, kind, tier, day) DO UPDATE SET n = n + 1;\n"
    "    INSERT INTO activity_tally_month (month, region, kind, tier, n)\n"
    '    VALUES (substr(NEW."on", 1, 7), COALESCE((SELECT substr(region, 1, 6) FROM households WHERE '
    "household_id = NEW.household_id), 'unknown'), NEW.kind,\n"
    "            COALESCE((SELECT tier FROM helpers WHERE helper_id = NEW.helper_id), 'unknown'), 1)\n"
    "    ON CONFLICT (month, region, kind, tier) DO UPDATE SET n = n + 1;\n"
    "    INSERT INTO activity_latest (household_id, kind, last_on)\n"
    '    VALUES (NEW.household_id, NEW.kind, NEW."on")\n'
    "    ON CONFLICT (household_id, kind) DO UPDATE SET last_on = max(last_on, excluded.last_on); END",
    "CREATE TRIGGER activity_tally_delete AFTER DELETE ON activities BEGIN \n"
    '    UPDATE activity_tally SET n = n - 1 WHERE month = substr(OLD."on", 1, 7) AND kind = OLD.kind '
    "AND region = COALESCE((SELECT substr(region, 1, 6) FROM households WHERE household_id = "
    "OLD.household_id), 'unknown') AND tier = COALESCE((SELECT tier FROM helpers WHERE helper_id = "
    "OLD.helper_id), 'unknown') AND day = OLD.\"on\";\n"
    '    DELETE FROM activity_tally WHERE month = substr(OLD."on", 1, 7) AND kind = OLD.kind AND '
    "region = COALESCE((SELECT substr(region, 1, 6) FROM households WHERE household_id = "
    "OLD.household_id), 'unknown') AND tier = COALESCE((SELECT tier FROM helpers WHERE helper_id = "
    "OLD.helper_id), 'unknown') AND day = OLD.\"on\" AND n <= 0;\n"
    '    UPDATE activity_tally_month SET n = n - 1 WHERE month = substr(OLD."on", 1, 7) AND kind = '
    "OLD.kind AND region = COALESCE((SELECT substr(region, 1, 6) FROM households WHERE household_id = "
    "OLD.household_id), 'unknown') AND tier = COALESCE((SELECT tier FROM helpers WHERE helper_id = "
    "OLD.helper_id), 'unknown');\n"
    '    DELETE FROM activity_tally_month WHERE month = substr(OLD."on", 1, 7) AND kind = OLD.kind '
    "AND region = COALESCE((SELECT substr(region, 1, 6) FROM households WHERE household_id = "
    "OLD.household_id), 'unknown') AND tier = COALESCE((SELECT tier FROM helpers WHERE helper_id = "
    "OLD.helper_id), 'unknown') AND n <= 0;\n"
    "    DELETE FROM activity_latest WHERE household_id = OLD.household_id AND kind = OLD.kind;\n"
    "    INSERT INTO activity_latest (household_id, kind, last_on)\n"
    '    SELECT household_id, kind, max("on") FROM activities WHERE household_id = OLD.household_id '
    "AND kind = OLD.kind\n"
    "    GROUP BY household_id, kind; END",
    'CREATE TRIGGER activity_tally_update AFTER UPDATE OF "on", kind, helper_id, household_id ON '
    "activities BEGIN \n"
    '    UPDATE activity_tally SET n = n - 1 WHERE month = substr(OLD."on", 1, 7) AND kind = OLD.kind '
    "AND region = COALESCE((SELECT substr(region, 1, 6) FROM households WHERE household_id = "
    "OLD.household_id), 'unknown') AND tier = COALESCE((SELECT tier FROM helpers WHERE helper_id = "
    "OLD.helper_id), 'unknown') AND day = OLD.\"on\";\n"
    '    DELETE FROM activity_tally WHERE month = substr(OLD."on", 1, 7) AND kind = OLD.kind AND '
    "region = COALESCE((SELECT substr(region, 1, 6) FROM households WHERE household_id = "
    "OLD.household_id), 'unknown') AND tier = COALESCE((SELECT tier FROM helpers WHERE helper_id = "
    "OLD.helper_id), 'unknown') AND day = OLD.\"on\" AND n <= 0;\n"
    '    UPDATE activity_tally_month SET n = n - 1 WHERE month = substr(OLD."on", 1, 7) AND kind = '
    "OLD.kind AND region = COALESCE((SELECT substr(region, 1, 6) FROM households WHERE household_id = "
    "OLD.household_id), 'unknown') AND tier = COALESCE((SELECT tier FROM helpers WHERE helper_id = "
    "OLD.helper_id), 'unknown');\n"
    '    DELETE FROM activity_tally_month WHERE month = substr(OLD."on", 1, 7) AND kind = OLD.kind '
    "AND region = COALESCE((SELECT substr(region, 1, 6) FROM households WHERE household_id = "
    "OLD.household_id), 'unknown') AND tier = COALESCE((SELECT tier FROM helpers WHERE helper_id = "
    "OLD.helper_id), 'unknown') AND n <= 0;\n"
    "    DELETE FROM activity_latest WHERE household_id = OLD.household_id AND kind = OLD.kind;\n"
    "    INSERT INTO activity_latest (household_id, kind, last_on)\n"
    '    SELECT household_id, kind, max("on") FROM activities WHERE household_id = OLD.household_id '
    "AND kind = OLD.kind\n"
    "    GROUP BY household_id, kind; \n"
    "    INSERT INTO activity_tally (day, region, kind, tier, month, n)\n"
    '    VALUES (NEW."on", COALESCE((SELECT substr(region, 1, 6) FROM households WHERE household_id = '
    "NEW.household_id), 'unknown'), NEW.kind,\n"
    "            COALESCE((SELECT tier FROM helpers WHERE helper_id = NEW.helper_id), 'unknown'), "
    'substr(NEW."on", 1, 7), 1)\n'
    "    ON CONFLICT (month, region, kind, tier, day) DO UPDATE SET n = n + 1;\n"
    "    INSERT INTO activity_tally_month (month, region, kind, tier, n)\n"
    '    VALUES (substr(NEW."on", 1, 7), COALESCE((SELECT substr(region, 1, 6) FROM households WHERE '
    "household_id = NEW.household_id), 'unknown'), NEW.kind,\n"
    "            COALESCE((SELECT tier FROM helpers WHERE helper_id = NEW.helper_id), 'unknown'), 1)\n"
    "    ON CONFLICT (month, region, kind, tier) DO UPDATE SET n = n + 1;\n"
    "    INSERT INTO activity_latest (household_id, kind, last_on)\n"
    '    VALUES (NEW.household_id, NEW.kind, NEW."on")\n'
    "    ON CONFLICT (household_id, kind) DO UPDATE SET last_on = max(last_on, excluded.last_on); END",
    "CREATE TRIGGER report_cache_helpers_insert AFTER INSERT ON helpers BEGIN DELETE FROM "
    "report_cache; END",
    "CREATE TRIGGER report_cache_helpers_update AFTER UPDATE ON helpers BEGIN DELETE FROM "
    "report_cache; END",
    "CREATE TRIGGER report_cache_helpers_delete AFTER DELETE ON helpers BEGIN DELETE FROM "
    "report_cache; END",
    "CREATE TRIGGER report_cache_households_insert AFTER INSERT ON households BEGIN DELETE FROM "
    "report_cache; END",
    "CREATE TRIGGER report_cache_households_update AFTER UPDATE ON households BEGIN DELETE FROM "
    "report_cache; END",
    "CREATE TRIGGER report_cache_households_delete AFTER DELETE ON households BEGIN DELETE FROM "
    "report_cache; END",
    "CREATE TRIGGER report_cache_pairings_insert AFTER INSERT ON pairings BEGIN DELETE FROM "
    "report_cache; END",
    "CREATE TRIGGER report_cache_pairings_update AFTER UPDATE ON pairings BEGIN DELETE FROM "
    "report_cache; END",
    "CREATE TRIGGER report_cache_pairings_delete AFTER DELETE ON pairings BEGIN DELETE FROM "
    "report_cache; END",
    "CREATE TRIGGER report_cache_needs_insert AFTER INSERT ON needs BEGIN DELETE FROM report_cache; "
    "END",
    "CREATE TRIGGER report_cache_needs_update AFTER UPDATE ON needs BEGIN DELETE FROM report_cache; "
    "END",
    "CREATE TRIGGER report_cache_needs_delete AFTER DELETE ON needs BEGIN DELETE FROM report_cache; "
    "END",
    "CREATE TRIGGER report_cache_referrals_insert AFTER INSERT ON referrals BEGIN DELETE FROM "
    "report_cache; END",
    "CREATE TRIGGER report_cache_referrals_update AFTER UPDATE ON referrals BEGIN DELETE FROM "
    "report_cache; END",
    "CREATE TRIGGER report_cache_referrals_delete AFTER DELETE ON referrals BEGIN DELETE FROM "
    "report_cache; END",
    "CREATE TRIGGER report_cache_grants_insert AFTER INSERT ON grants BEGIN DELETE FROM report_cache; "
    "END",
    "CREATE TRIGGER report_cache_grants_update AFTER UPDATE ON grants BEGIN DELETE FROM report_cache; "
    "END",
    "CREATE TRIGGER report_cache_grants_delete AFTER DELETE ON grants BEGIN DELETE FROM report_cache; "
    "END",
    "CREATE TRIGGER report_cache_programs_insert AFTER INSERT ON programs BEGIN DELETE FROM "
    "report_cache; END",
    "CREATE TRIGGER report_cache_programs_update AFTER UPDATE ON programs BEGIN DELETE FROM "
    "report_cache; END",
    "CREATE TRIGGER report_cache_programs_delete AFTER DELETE ON programs BEGIN DELETE FROM "
    "report_cache; END",
    "DELETE FROM activity_tally",
    "DELETE FROM activity_tally_month",
    "DELETE FROM activity_latest",
    'INSERT INTO activity_tally (day, region, kind, tier, month, n) SELECT activities."on", '
    "coalesce(substr(households.region, 1, 6), 'unknown') AS coalesce_1, activities.kind, "
    "coalesce(helpers.tier, 'unknown') AS coalesce_2, substr(activities.\"on\", 1, 7) AS substr_1, "
    "count(*) AS count_1 \n"
    "FROM activities LEFT OUTER JOIN households ON households.household_id = activities.household_id "
    'LEFT OUTER JOIN helpers ON helpers.helper_id = activities.helper_id GROUP BY activities."on", '
    "coalesce(substr(households.region, 1, 6), 'unknown'), activities.kind, coalesce(helpers.tier, "
    "'unknown'), substr(activities.\"on\", 1, 7)",
    "INSERT INTO activity_tally_month (month, region, kind, tier, n) SELECT activity_tally.month, "
    "activity_tally.region, activity_tally.kind, activity_tally.tier, sum(activity_tally.n) AS "
    "sum_1 \n"
    "FROM activity_tally GROUP BY activity_tally.month, activity_tally.region, activity_tally.kind, "
    "activity_tally.tier",
    "INSERT INTO activity_latest (household_id, kind, last_on) SELECT activities.household_id, "
    'activities.kind, max(activities."on") AS max_1 \n'
    "FROM activities GROUP BY activities.household_id, activities.kind",
)

#: The trigger functions and triggers, then the recount, on PostgreSQL.
_POSTGRESQL: tuple[str, ...] = (
    "CREATE OR REPLACE FUNCTION activity_tally_insert() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN \n"
    "    INSERT INTO activity_tally (day, region, kind, tier, month, n)\n"
    "    \n"
    "    SELECT a.\"on\" AS day, COALESCE(substr(h.region, 1, 6), 'unknown') AS region, a.kind,\n"
    "           COALESCE(p.tier, 'unknown') AS tier, to_char(a.\"on\", 'YYYY-MM') AS month, "
    "count(*) AS n\n"
    "    FROM new_rows a\n"
    "    LEFT JOIN households h ON h.household_id = a.household_id\n"
    "    LEFT JOIN helpers p ON p.helper_id = a.helper_id\n"
    "    GROUP BY 1, 2, 3, 4, 5\n"
    "    ON CONFLICT (month, region, kind, tier, day) DO UPDATE SET n = activity_tally.n + "
    "EXCLUDED.n;\n"
    "    INSERT INTO activity_tally_month (month, region, kind, tier, n)\n"
    "    SELECT month, region, kind, tier, sum(n) FROM (\n"
    "    SELECT a.\"on\" AS day, COALESCE(substr(h.region, 1, 6), 'unknown') AS region, a.kind,\n"
    "           COALESCE(p.tier, 'unknown') AS tier, to_char(a.\"on\", 'YYYY-MM') AS month, "
    "count(*) AS n\n"
    "    FROM new_rows a\n"
    "    LEFT JOIN households h ON h.household_id = a.household_id\n"
    "    LEFT JOIN helpers p ON p.helper_id = a.helper_id\n"
    "    GROUP BY 1, 2, 3, 4, 5) g\n"
    "    GROUP BY 1, 2, 3, 4\n"
    "    ON CONFLICT (month, region, kind, tier) DO UPDATE SET n = activity_tally_month.n + "
    "EXCLUDED.n;\n"
    "    INSERT INTO activity_latest (household_id, kind, last_on)\n"
    '    SELECT household_id, kind, max("on") FROM new_rows GROUP BY 1, 2\n'
    "    ON CONFLICT (household_id, kind)\n"
    "    DO UPDATE SET last_on = GREATEST(activity_latest.last_on, EXCLUDED.last_on);\n"
    " RETURN NULL;\n"
    "END $$",
    "CREATE OR REPLACE FUNCTION activity_tally_delete() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN \n"
    "    UPDATE activity_tally t SET n = t.n - g.n FROM (\n"
    "    SELECT a.\"on\" AS day, COALESCE(substr(h.region, 1, 6), 'unknown') AS region, a.kind,\n"
    "           COALESCE(p.tier, 'unknown') AS tier, to_char(a.\"on\", 'YYYY-MM') AS month, "
    "count(*) AS n\n"
    "    FROM old_rows a\n"
    "    LEFT JOIN households h ON h.household_id = a.household_id\n"
    "    LEFT JOIN helpers p ON p.helper_id = a.helper_id\n"
    "    GROUP BY 1, 2, 3, 4, 5) g\n"
    "    WHERE t.day = g.day AND t.region = g.region AND t.kind = g.kind AND t.tier = g.tier;\n"
    "    DELETE FROM activity_tally WHERE n <= 0;\n"
    "    UPDATE activity_tally_month t SET n = t.n - g.n FROM (\n"
    "        SELECT month, region, kind, tier, sum(n) AS n\n"
    "        FROM (\n"
    "    SELECT a.\"on\" AS day, COALESCE(substr(h.region, 1, 6), 'unknown') AS region, a.kind,\n"
    "           COALESCE(p.tier, 'unknown') AS tier, to_char(a.\"on\", 'YYYY-MM') AS month, "
    "count(*) AS n\n"
    "    FROM old_rows a\n"
    "    LEFT JOIN households h ON h.household_id = a.household_id\n"
    "    LEFT JOIN helpers p ON p.helper_id = a.helper_id\n"
    "    GROUP BY 1, 2, 3, 4, 5) d GROUP BY 1, 2, 3, 4) g\n"
    "    WHERE t.month = g.month AND t.region = g.region AND t.kind = g.kind AND t.tier = g.tier;\n"
    "    DELETE FROM activity_tally_month WHERE n <= 0;\n"
    "    DELETE FROM activity_latest l USING (SELECT DISTINCT household_id, kind FROM old_rows) o\n"
    "    WHERE l.household_id = o.household_id AND l.kind = o.kind;\n"
    "    INSERT INTO activity_latest (household_id, kind, last_on)\n"
    '    SELECT a.household_id, a.kind, max(a."on") FROM activities a\n'
    "    JOIN (SELECT DISTINCT household_id, kind FROM old_rows) o\n"
    "      ON a.household_id = o.household_id AND a.kind = o.kind\n"
    "    GROUP BY 1, 2\n"
    "    ON CONFLICT (household_id, kind) DO UPDATE SET last_on = EXCLUDED.last_on;\n"
    " RETURN NULL;\n"
    "END $$",
    "CREATE OR REPLACE FUNCTION activity_tally_update() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN \n"
    "    UPDATE activity_tally t SET n = t.n - g.n FROM (\n"
    "    SELECT a.\"on\" AS day, COALESCE(substr(h.region, 1, 6), 'unknown') AS region, a.kind,\n"
    "           COALESCE(p.tier, 'unknown') AS tier, to_char(a.\"on\", 'YYYY-MM') AS month, "
    "count(*) AS n\n"
    "    FROM old_rows a\n"
    "    LEFT JOIN households h ON h.household_id = a.household_id\n"
    "    LEFT JOIN helpers p ON p.helper_id = a.helper_id\n"
    "    GROUP BY 1, 2, 3, 4, 5) g\n"
    "    WHERE t.day = g.day AND t.region = g.region AND t.kind = g.kind AND t.tier = g.tier;\n"
    "    DELETE FROM activity_tally WHERE n <= 0;\n"
    "    UPDATE activity_tally_month t SET n = t.n - g.n FROM (\n"
    "        SELECT month, region, kind, tier, sum(n) AS n\n"
    "        FROM (\n"
    "    SELECT a.\"on\" AS day, COALESCE(substr(h.region, 1, 6), 'unknown') AS region, a.kind,\n"
    "           COALESCE(p.tier, 'unknown') AS tier, to_char(a.\"on\", 'YYYY-MM') AS month, "
    "count(*) AS n\n"
    "    FROM old_rows a\n"
    "    LEFT JOIN households h ON h.household_id = a.household_id\n"
    "    LEFT JOIN helpers p ON p.helper_id = a.helper_id\n"
    "    GROUP BY 1, 2, 3, 4, 5) d GROUP BY 1, 2, 3, 4) g\n"
    "    WHERE t.month = g.month AND t.region = g.region AND t.kind = g.kind AND t.tier = g.tier;\n"
    "    DELETE FROM activity_tally_month WHERE n <= 0;\n"
    "    DELETE FROM activity_latest l USING (SELECT DISTINCT household_id, kind FROM old_rows) o\n"
    "    WHERE l.household_id = o.household_id AND l.kind = o.kind;\n"
    "    INSERT INTO activity_latest (household_id, kind, last_on)\n"
    '    SELECT a.household_id, a.kind, max(a."on") FROM activities a\n'
    "    JOIN (SELECT DISTINCT household_id, kind FROM old_rows) o\n"
    "      ON a.household_id = o.household_id AND a.kind = o.kind\n"
    "    GROUP BY 1, 2\n"
    "    ON CONFLICT (household_id, kind) DO UPDATE SET last_on = EXCLUDED.last_on;\n"
    "    INSERT INTO activity_tally (day, region, kind, tier, month, n)\n"
    "    \n"
    "    SELECT a.\"on\" AS day, COALESCE(substr(h.region, 1, 6), 'unknown') AS region, a.kind,\n"
    "           COALESCE(p.tier, 'unknown') AS tier, to_char(a.\"on\", 'YYYY-MM') AS month, "
    "count(*) AS n\n"
    "    FROM new_rows a\n"
    "    LEFT JOIN households h ON h.household_id = a.household_id\n"
    "    LEFT JOIN helpers p ON p.helper_id = a.helper_id\n"
    "    GROUP BY 1, 2, 3, 4, 5\n"
    "    ON CONFLICT (month, region, kind, tier, day) DO UPDATE SET n = activity_tally.n + "
    "EXCLUDED.n;\n"
    "    INSERT INTO activity_tally_month (month, region, kind, tier, n)\n"
    "    SELECT month, region, kind, tier, sum(n) FROM (\n"
    "    SELECT a.\"on\" AS day, COALESCE(substr(h.region, 1, 6), 'unknown') AS region, a.kind,\n"
    "           COALESCE(p.tier, 'unknown') AS tier, to_char(a.\"on\", 'YYYY-MM') AS month, "
    "count(*) AS n\n"
    "    FROM new_rows a\n"
    "    LEFT JOIN households h ON h.household_id = a.household_id\n"
    "    LEFT JOIN helpers p ON p.helper_id = a.helper_id\n"
    "    GROUP BY 1, 2, 3, 4, 5) g\n"
    "    GROUP BY 1, 2, 3, 4\n"
    "    ON CONFLICT (month, region, kind, tier) DO UPDATE SET n = activity_tally_month.n + "
    "EXCLUDED.n;\n"
    "    INSERT INTO activity_latest (household_id, kind, last_on)\n"
    '    SELECT household_id, kind, max("on") FROM new_rows GROUP BY 1, 2\n'
    "    ON CONFLICT (household_id, kind)\n"
    "    DO UPDATE SET last_on = GREATEST(activity_latest.last_on, EXCLUDED.last_on);\n"
    " RETURN NULL;\n"
    "END $$",
    "CREATE TRIGGER activity_tally_insert AFTER INSERT ON activities REFERENCING NEW TABLE AS "
    "new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_tally_insert()",
    "CREATE TRIGGER activity_tally_delete AFTER DELETE ON activities REFERENCING OLD TABLE AS "
    "old_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_tally_delete()",
    "CREATE TRIGGER activity_tally_update AFTER UPDATE ON activities REFERENCING OLD TABLE AS "
    "old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_tally_update()",
    "CREATE OR REPLACE FUNCTION report_cache_clear() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "DELETE FROM report_cache; RETURN NULL; END $$",
    "CREATE TRIGGER report_cache_helpers AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON helpers FOR "
    "EACH STATEMENT EXECUTE FUNCTION report_cache_clear()",
    "CREATE TRIGGER report_cache_households AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "
    "households FOR EACH STATEMENT EXECUTE FUNCTION report_cache_clear()",
    "CREATE TRIGGER report_cache_pairings AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pairings "
    "FOR EACH STATEMENT EXECUTE FUNCTION report_cache_clear()",
    "CREATE TRIGGER report_cache_needs AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON needs FOR EACH "
    "STATEMENT EXECUTE FUNCTION report_cache_clear()",
    "CREATE TRIGGER report_cache_referrals AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON referrals "
    "FOR EACH STATEMENT EXECUTE FUNCTION report_cache_clear()",
    "CREATE TRIGGER report_cache_grants AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grants FOR "
    "EACH STATEMENT EXECUTE FUNCTION report_cache_clear()",
    "CREATE TRIGGER report_cache_programs AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON programs "
    "FOR EACH STATEMENT EXECUTE FUNCTION report_cache_clear()",
    "DELETE FROM activity_tally",
    "DELETE FROM activity_tally_month",
    "DELETE FROM activity_latest",
    'INSERT INTO activity_tally (day, region, kind, tier, month, n) SELECT activities."on", '
    "coalesce(substr(households.region, 1, 6), 'unknown') AS coalesce_1, activities.kind, "
    "coalesce(helpers.tier, 'unknown') AS coalesce_2, to_char(activities.\"on\", 'YYYY-MM') AS "
    "to_char_1, count(*) AS count_1 \n"
    "FROM activities LEFT OUTER JOIN households ON households.household_id = activities.household_id "
    'LEFT OUTER JOIN helpers ON helpers.helper_id = activities.helper_id GROUP BY activities."on", '
    "coalesce(substr(households.region, 1, 6), 'unknown'), activities.kind, coalesce(helpers.tier, "
    "'unknown'), to_char(activities.\"on\", 'YYYY-MM')",
    "INSERT INTO activity_tally_month (month, region, kind, tier, n) SELECT activity_tally.month, "
    "activity_tally.region, activity_tally.kind, activity_tally.tier, sum(activity_tally.n) AS "
    "sum_1 \n"
    "FROM activity_tally GROUP BY activity_tally.month, activity_tally.region, activity_tally.kind, "
    "activity_tally.tier",
    "INSERT INTO activity_latest (household_id, kind, last_on) SELECT activities.household_id, "
    'activities.kind, max(activities."on") AS max_1 \n'
    "FROM activities GROUP BY activities.household_id, activities.kind",
)


def upgrade() -> None:
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
    for statement in _POSTGRESQL if bind.dialect.name == "postgresql" else _SQLITE:
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    for table in _CACHE_SOURCES:
        if postgresql:
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS report_cache_{table} ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS report_cache_{table}_{event}")
    for name in ("activity_tally_insert", "activity_tally_delete", "activity_tally_update"):
        if postgresql:
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON activities")
            bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    if postgresql:
        bind.exec_driver_sql("DROP FUNCTION IF EXISTS report_cache_clear()")
    op.drop_index("ix_pairings_helper_span", "pairings")
    op.drop_index("ix_pairings_household_span", "pairings")
    op.drop_table("report_cache")
    op.drop_table("activity_latest")
    op.drop_table("activity_tally_month")
    op.drop_table("activity_tally")
