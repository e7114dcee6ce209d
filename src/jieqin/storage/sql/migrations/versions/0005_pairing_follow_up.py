"""The overdue scan's one-row-per-pairing table, and who was paired in a period.

``pairing_follow_up`` holds every pairing with a copy of its household's latest duty
days, kept current by triggers on ``pairings`` and ``activity_follow_up``: the
overdue scan reads it alone, in key order. Six tables, kept by triggers on
``pairings`` (and on ``households`` and ``helpers`` for county and tier), give who
was paired in a period without scanning the pairings: ``paired_households`` and
``paired_helpers`` (the first and last day each was paired, with county and tier),
``paired_household_gaps`` and ``paired_helper_gaps`` (stretches inside those spans
with no pairing in force), and ``paired_household_tally`` and
``paired_helper_tally`` (the spans counted per county, tier, first and last day).
All are filled from the rows already stored.

The members' single-column indexes on health condition and disability grade become
covering indexes with the household id (which households have a member with a major
illness or a disability is read from the index alone). The two span indexes on the
pairings of revision 0003 have no reader left and are dropped.

The statements are written out below exactly as this revision runs them (the live
code that builds them is :mod:`jieqin.reports.paired` and
:mod:`jieqin.reports.pairing_follow_up`), so that later changes there never change
what upgrading through this revision does.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: The triggers and their tables (on PostgreSQL each trigger also names its function).
_TRIGGERS = {
    **{f"paired_pairings_{event}": "pairings" for event in ("insert", "delete", "update")},
    **{
        f"paired_{kind}_{side}s_{event}": table
        for side in ("household", "helper")
        for kind, table in (("relabel", f"{side}s"), ("tally", f"paired_{side}s"))
        for event in ("insert", "delete", "update")
    },
    **{
        f"pairing_follow_up_{short}_{event}": table
        for short, table in (("pairings", "pairings"), ("days", "activity_follow_up"))
        for event in ("insert", "delete", "update")
    },
}
_DUTIES = ("contact", "visit", "policy_explanation", "warmth", "practical_help")

#: The triggers, the first count, then the tallies' triggers, on SQLite.
_SQLITE: tuple[str, ...] = (
    "CREATE TRIGGER paired_pairings_insert AFTER INSERT ON pairings BEGIN \n    DELETE FROM "
    "paired_households WHERE household_id = NEW.household_id;\n    DELETE FROM "
    "paired_household_gaps WHERE household_id = NEW.household_id;\n    INSERT INTO "
    "paired_households (household_id, county, first_day, last_day)\n    SELECT "
    "NEW.household_id, COALESCE((SELECT substr(region, 1, 6) FROM households WHERE "
    "household_id = NEW.household_id), 'unknown'), min(start),\n           CASE WHEN "
    'count("end") < count(*) THEN NULL ELSE max("end") END\n    FROM pairings WHERE '
    "household_id = NEW.household_id GROUP BY household_id;\n    INSERT INTO "
    "paired_household_gaps (household_id, first_day, last_day, county)\n    SELECT "
    "NEW.household_id, date(reach, '+1 day'), date(start, '-1 day'), COALESCE((SELECT "
    "substr(region, 1, 6) FROM households WHERE household_id = NEW.household_id), "
    "'unknown')\n    FROM (SELECT start, max(coalesce(\"end\", '9999-12-31')) OVER (ORDER BY "
    "start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach FROM pairings WHERE "
    "household_id = NEW.household_id)\n    WHERE reach < date(start, '-1 day');\n    DELETE "
    "FROM paired_helpers WHERE helper_id = NEW.helper_id;\n    DELETE FROM paired_helper_gaps "
    "WHERE helper_id = NEW.helper_id;\n    INSERT INTO paired_helpers (helper_id, county, "
    "tier, first_day, last_day)\n    SELECT NEW.helper_id, COALESCE((SELECT "
    "substr(home_region, 1, 6) FROM helpers WHERE helper_id = NEW.helper_id), 'unknown'), "
    "COALESCE((SELECT tier FROM helpers WHERE helper_id = NEW.helper_id), 'unknown'), "
    'min(start),\n           CASE WHEN count("end") < count(*) THEN NULL ELSE max("end") END\n '
    "   FROM pairings WHERE helper_id = NEW.helper_id GROUP BY helper_id;\n    INSERT INTO "
    "paired_helper_gaps (helper_id, first_day, last_day, county, tier)\n    SELECT "
    "NEW.helper_id, date(reach, '+1 day'), date(start, '-1 day'), COALESCE((SELECT "
    "substr(home_region, 1, 6) FROM helpers WHERE helper_id = NEW.helper_id), 'unknown'), "
    "COALESCE((SELECT tier FROM helpers WHERE helper_id = NEW.helper_id), 'unknown')\n    "
    "FROM (SELECT start, max(coalesce(\"end\", '9999-12-31')) OVER (ORDER BY start ROWS "
    "BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach FROM pairings WHERE helper_id = "
    "NEW.helper_id)\n    WHERE reach < date(start, '-1 day'); END",
    "CREATE TRIGGER paired_pairings_delete AFTER DELETE ON pairings BEGIN \n    DELETE FROM "
    "paired_households WHERE household_id = OLD.household_id;\n    DELETE FROM "
    "paired_household_gaps WHERE household_id = OLD.household_id;\n    INSERT INTO "
    "paired_households (household_id, county, first_day, last_day)\n    SELECT "
    "OLD.household_id, COALESCE((SELECT substr(region, 1, 6) FROM households WHERE "
    "household_id = OLD.household_id), 'unknown'), min(start),\n           CASE WHEN "
    'count("end") < count(*) THEN NULL ELSE max("end") END\n    FROM pairings WHERE '
    "household_id = OLD.household_id GROUP BY household_id;\n    INSERT INTO "
    "paired_household_gaps (household_id, first_day, last_day, county)\n    SELECT "
    "OLD.household_id, date(reach, '+1 day'), date(start, '-1 day'), COALESCE((SELECT "
    "substr(region, 1, 6) FROM households WHERE household_id = OLD.household_id), "
    "'unknown')\n    FROM (SELECT start, max(coalesce(\"end\", '9999-12-31')) OVER (ORDER BY "
    "start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach FROM pairings WHERE "
    "household_id = OLD.household_id)\n    WHERE reach < date(start, '-1 day');\n    DELETE "
    "FROM paired_helpers WHERE helper_id = OLD.helper_id;\n    DELETE FROM paired_helper_gaps "
    "WHERE helper_id = OLD.helper_id;\n    INSERT INTO paired_helpers (helper_id, county, "
    "tier, first_day, last_day)\n    SELECT OLD.helper_id, COALESCE((SELECT "
    "substr(home_region, 1, 6) FROM helpers WHERE helper_id = OLD.helper_id), 'unknown'), "
    "COALESCE((SELECT tier FROM helpers WHERE helper_id = OLD.helper_id), 'unknown'), "
    'min(start),\n           CASE WHEN count("end") < count(*) THEN NULL ELSE max("end") END\n '
    "   FROM pairings WHERE helper_id = OLD.helper_id GROUP BY helper_id;\n    INSERT INTO "
    "paired_helper_gaps (helper_id, first_day, last_day, county, tier)\n    SELECT "
    "OLD.helper_id, date(reach, '+1 day'), date(start, '-1 day'), COALESCE((SELECT "
    "substr(home_region, 1, 6) FROM helpers WHERE helper_id = OLD.helper_id), 'unknown'), "
    "COALESCE((SELECT tier FROM helpers WHERE helper_id = OLD.helper_id), 'unknown')\n    "
    "FROM (SELECT start, max(coalesce(\"end\", '9999-12-31')) OVER (ORDER BY start ROWS "
    "BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach FROM pairings WHERE helper_id = "
    "OLD.helper_id)\n    WHERE reach < date(start, '-1 day'); END",
    "CREATE TRIGGER paired_pairings_update AFTER UPDATE OF helper_id, household_id, start, "
    '"end" ON pairings BEGIN \n    DELETE FROM paired_households WHERE household_id = '
    "OLD.household_id;\n    DELETE FROM paired_household_gaps WHERE household_id = "
    "OLD.household_id;\n    INSERT INTO paired_households (household_id, county, first_day, "
    "last_day)\n    SELECT OLD.household_id, COALESCE((SELECT substr(region, 1, 6) FROM "
    "households WHERE household_id = OLD.household_id), 'unknown'), min(start),\n           "
    'CASE WHEN count("end") < count(*) THEN NULL ELSE max("end") END\n    FROM pairings WHERE '
    "household_id = OLD.household_id GROUP BY household_id;\n    INSERT INTO "
    "paired_household_gaps (household_id, first_day, last_day, county)\n    SELECT "
    "OLD.household_id, date(reach, '+1 day'), date(start, '-1 day'), COALESCE((SELECT "
    "substr(region, 1, 6) FROM households WHERE household_id = OLD.household_id), "
    "'unknown')\n    FROM (SELECT start, max(coalesce(\"end\", '9999-12-31')) OVER (ORDER BY "
    "start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach FROM pairings WHERE "
    "household_id = OLD.household_id)\n    WHERE reach < date(start, '-1 day');\n    DELETE "
    "FROM paired_helpers WHERE helper_id = OLD.helper_id;\n    DELETE FROM paired_helper_gaps "
    "WHERE helper_id = OLD.helper_id;\n    INSERT INTO paired_helpers (helper_id, county, "
    "tier, first_day, last_day)\n    SELECT OLD.helper_id, COALESCE((SELECT "
    "substr(home_region, 1, 6) FROM helpers WHERE helper_id = OLD.helper_id), 'unknown'), "
    "COALESCE((SELECT tier FROM helpers WHERE helper_id = OLD.helper_id), 'unknown'), "
    'min(start),\n           CASE WHEN count("end") < count(*) THEN NULL ELSE max("end") END\n '
    "   FROM pairings WHERE helper_id = OLD.helper_id GROUP BY helper_id;\n    INSERT INTO "
    "paired_helper_gaps (helper_id, first_day, last_day, county, tier)\n    SELECT "
    "OLD.helper_id, date(reach, '+1 day'), date(start, '-1 day'), COALESCE((SELECT "
    "substr(home_region, 1, 6) FROM helpers WHERE helper_id = OLD.helper_id), 'unknown'), "
    "COALESCE((SELECT tier FROM helpers WHERE helper_id = OLD.helper_id), 'unknown')\n    "
    "FROM (SELECT start, max(coalesce(\"end\", '9999-12-31')) OVER (ORDER BY start ROWS "
    "BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach FROM pairings WHERE helper_id = "
    "OLD.helper_id)\n    WHERE reach < date(start, '-1 day'); \n    DELETE FROM "
    "paired_households WHERE household_id = NEW.household_id;\n    DELETE FROM "
    "paired_household_gaps WHERE household_id = NEW.household_id;\n    INSERT INTO "
    "paired_households (household_id, county, first_day, last_day)\n    SELECT "
    "NEW.household_id, COALESCE((SELECT substr(region, 1, 6) FROM households WHERE "
    "household_id = NEW.household_id), 'unknown'), min(start),\n           CASE WHEN "
    'count("end") < count(*) THEN NULL ELSE max("end") END\n    FROM pairings WHERE '
    "household_id = NEW.household_id GROUP BY household_id;\n    INSERT INTO "
    "paired_household_gaps (household_id, first_day, last_day, county)\n    SELECT "
    "NEW.household_id, date(reach, '+1 day'), date(start, '-1 day'), COALESCE((SELECT "
    "substr(region, 1, 6) FROM households WHERE household_id = NEW.household_id), "
    "'unknown')\n    FROM (SELECT start, max(coalesce(\"end\", '9999-12-31')) OVER (ORDER BY "
    "start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach FROM pairings WHERE "
    "household_id = NEW.household_id)\n    WHERE reach < date(start, '-1 day');\n    DELETE "
    "FROM paired_helpers WHERE helper_id = NEW.helper_id;\n    DELETE FROM paired_helper_gaps "
    "WHERE helper_id = NEW.helper_id;\n    INSERT INTO paired_helpers (helper_id, county, "
    "tier, first_day, last_day)\n    SELECT NEW.helper_id, COALESCE((SELECT "
    "substr(home_region, 1, 6) FROM helpers WHERE helper_id = NEW.helper_id), 'unknown'), "
    "COALESCE((SELECT tier FROM helpers WHERE helper_id = NEW.helper_id), 'unknown'), "
    'min(start),\n           CASE WHEN count("end") < count(*) THEN NULL ELSE max("end") END\n '
    "   FROM pairings WHERE helper_id = NEW.helper_id GROUP BY helper_id;\n    INSERT INTO "
    "paired_helper_gaps (helper_id, first_day, last_day, county, tier)\n    SELECT "
    "NEW.helper_id, date(reach, '+1 day'), date(start, '-1 day'), COALESCE((SELECT "
    "substr(home_region, 1, 6) FROM helpers WHERE helper_id = NEW.helper_id), 'unknown'), "
    "COALESCE((SELECT tier FROM helpers WHERE helper_id = NEW.helper_id), 'unknown')\n    "
    "FROM (SELECT start, max(coalesce(\"end\", '9999-12-31')) OVER (ORDER BY start ROWS "
    "BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach FROM pairings WHERE helper_id = "
    "NEW.helper_id)\n    WHERE reach < date(start, '-1 day'); END",
    "CREATE TRIGGER paired_relabel_households_insert AFTER INSERT ON households BEGIN \n    "
    "UPDATE paired_households SET county = COALESCE((SELECT substr(region, 1, 6) FROM "
    "households WHERE household_id = NEW.household_id), 'unknown') WHERE household_id = "
    "NEW.household_id;\n    UPDATE paired_household_gaps SET county = COALESCE((SELECT "
    "substr(region, 1, 6) FROM households WHERE household_id = NEW.household_id), 'unknown') "
    "WHERE household_id = NEW.household_id; END",
    "CREATE TRIGGER paired_relabel_households_delete AFTER DELETE ON households BEGIN \n    "
    "UPDATE paired_households SET county = COALESCE((SELECT substr(region, 1, 6) FROM "
    "households WHERE household_id = OLD.household_id), 'unknown') WHERE household_id = "
    "OLD.household_id;\n    UPDATE paired_household_gaps SET county = COALESCE((SELECT "
    "substr(region, 1, 6) FROM households WHERE household_id = OLD.household_id), 'unknown') "
    "WHERE household_id = OLD.household_id; END",
    "CREATE TRIGGER paired_relabel_households_update AFTER UPDATE OF household_id, region ON "
    "households BEGIN \n    UPDATE paired_households SET county = COALESCE((SELECT "
    "substr(region, 1, 6) FROM households WHERE household_id = OLD.household_id), 'unknown') "
    "WHERE household_id = OLD.household_id;\n    UPDATE paired_household_gaps SET county = "
    "COALESCE((SELECT substr(region, 1, 6) FROM households WHERE household_id = "
    "OLD.household_id), 'unknown') WHERE household_id = OLD.household_id; \n    UPDATE "
    "paired_households SET county = COALESCE((SELECT substr(region, 1, 6) FROM households "
    "WHERE household_id = NEW.household_id), 'unknown') WHERE household_id = "
    "NEW.household_id;\n    UPDATE paired_household_gaps SET county = COALESCE((SELECT "
    "substr(region, 1, 6) FROM households WHERE household_id = NEW.household_id), 'unknown') "
    "WHERE household_id = NEW.household_id; END",
    "CREATE TRIGGER paired_relabel_helpers_insert AFTER INSERT ON helpers BEGIN \n    UPDATE "
    "paired_helpers SET county = COALESCE((SELECT substr(home_region, 1, 6) FROM helpers "
    "WHERE helper_id = NEW.helper_id), 'unknown'), tier = COALESCE((SELECT tier FROM helpers "
    "WHERE helper_id = NEW.helper_id), 'unknown') WHERE helper_id = NEW.helper_id;\n    "
    "UPDATE paired_helper_gaps SET county = COALESCE((SELECT substr(home_region, 1, 6) FROM "
    "helpers WHERE helper_id = NEW.helper_id), 'unknown'), tier = COALESCE((SELECT tier FROM "
    "helpers WHERE helper_id = NEW.helper_id), 'unknown') WHERE helper_id = NEW.helper_id; "
    "END",
    "CREATE TRIGGER paired_relabel_helpers_delete AFTER DELETE ON helpers BEGIN \n    UPDATE "
    "paired_helpers SET county = COALESCE((SELECT substr(home_region, 1, 6) FROM helpers "
    "WHERE helper_id = OLD.helper_id), 'unknown'), tier = COALESCE((SELECT tier FROM helpers "
    "WHERE helper_id = OLD.helper_id), 'unknown') WHERE helper_id = OLD.helper_id;\n    "
    "UPDATE paired_helper_gaps SET county = COALESCE((SELECT substr(home_region, 1, 6) FROM "
    "helpers WHERE helper_id = OLD.helper_id), 'unknown'), tier = COALESCE((SELECT tier FROM "
    "helpers WHERE helper_id = OLD.helper_id), 'unknown') WHERE helper_id = OLD.helper_id; "
    "END",
    "CREATE TRIGGER paired_relabel_helpers_update AFTER UPDATE OF helper_id, home_region, "
    "tier ON helpers BEGIN \n    UPDATE paired_helpers SET county = COALESCE((SELECT "
    "substr(home_region, 1, 6) FROM helpers WHERE helper_id = OLD.helper_id), 'unknown'), "
    "tier = COALESCE((SELECT tier FROM helpers WHERE helper_id = OLD.helper_id), 'unknown') "
    "WHERE helper_id = OLD.helper_id;\n    UPDATE paired_helper_gaps SET county = "
    "COALESCE((SELECT substr(home_region, 1, 6) FROM helpers WHERE helper_id = "
    "OLD.helper_id), 'unknown'), tier = COALESCE((SELECT tier FROM helpers WHERE helper_id = "
    "OLD.helper_id), 'unknown') WHERE helper_id = OLD.helper_id; \n    UPDATE paired_helpers "
    "SET county = COALESCE((SELECT substr(home_region, 1, 6) FROM helpers WHERE helper_id = "
    "NEW.helper_id), 'unknown'), tier = COALESCE((SELECT tier FROM helpers WHERE helper_id = "
    "NEW.helper_id), 'unknown') WHERE helper_id = NEW.helper_id;\n    UPDATE "
    "paired_helper_gaps SET county = COALESCE((SELECT substr(home_region, 1, 6) FROM helpers "
    "WHERE helper_id = NEW.helper_id), 'unknown'), tier = COALESCE((SELECT tier FROM helpers "
    "WHERE helper_id = NEW.helper_id), 'unknown') WHERE helper_id = NEW.helper_id; END",
    "CREATE TRIGGER pairing_follow_up_pairings_insert AFTER INSERT ON pairings BEGIN \n    "
    'INSERT INTO pairing_follow_up (household_id, helper_id, start, "end", start_day, '
    "contact_day, visit_day, policy_explanation_day, warmth_day, practical_help_day, "
    'any_duty_day)\n    SELECT NEW.household_id, NEW.helper_id, NEW.start, NEW."end", '
    "CAST(julianday(NEW.start) - 1721424.5 AS INTEGER),\n           f.contact_day, "
    "f.visit_day, f.policy_explanation_day, f.warmth_day, f.practical_help_day, "
    "NULLIF(max(coalesce(f.contact_day, 0), coalesce(f.visit_day, 0), "
    "coalesce(f.policy_explanation_day, 0), coalesce(f.warmth_day, 0), "
    "coalesce(f.practical_help_day, 0)), 0)\n    FROM (SELECT 1) LEFT JOIN activity_follow_up "
    "f ON f.household_id = NEW.household_id; END",
    "CREATE TRIGGER pairing_follow_up_pairings_delete AFTER DELETE ON pairings BEGIN \n    "
    "DELETE FROM pairing_follow_up WHERE household_id = OLD.household_id\n    AND helper_id = "
    "OLD.helper_id AND start = OLD.start; END",
    "CREATE TRIGGER pairing_follow_up_pairings_update AFTER UPDATE OF helper_id, "
    'household_id, start, "end" ON pairings BEGIN \n    DELETE FROM pairing_follow_up WHERE '
    "household_id = OLD.household_id\n    AND helper_id = OLD.helper_id AND start = "
    'OLD.start; \n    INSERT INTO pairing_follow_up (household_id, helper_id, start, "end", '
    "start_day, contact_day, visit_day, policy_explanation_day, warmth_day, "
    "practical_help_day, any_duty_day)\n    SELECT NEW.household_id, NEW.helper_id, "
    'NEW.start, NEW."end", CAST(julianday(NEW.start) - 1721424.5 AS INTEGER),\n           '
    "f.contact_day, f.visit_day, f.policy_explanation_day, f.warmth_day, "
    "f.practical_help_day, NULLIF(max(coalesce(f.contact_day, 0), coalesce(f.visit_day, 0), "
    "coalesce(f.policy_explanation_day, 0), coalesce(f.warmth_day, 0), "
    "coalesce(f.practical_help_day, 0)), 0)\n    FROM (SELECT 1) LEFT JOIN activity_follow_up "
    "f ON f.household_id = NEW.household_id; END",
    "CREATE TRIGGER pairing_follow_up_days_insert AFTER INSERT ON activity_follow_up BEGIN \n "
    "   UPDATE pairing_follow_up SET contact_day = NEW.contact_day, visit_day = "
    "NEW.visit_day, policy_explanation_day = NEW.policy_explanation_day, warmth_day = "
    "NEW.warmth_day, practical_help_day = NEW.practical_help_day, any_duty_day = "
    "NULLIF(max(coalesce(NEW.contact_day, 0), coalesce(NEW.visit_day, 0), "
    "coalesce(NEW.policy_explanation_day, 0), coalesce(NEW.warmth_day, 0), "
    "coalesce(NEW.practical_help_day, 0)), 0) WHERE household_id = NEW.household_id; END",
    "CREATE TRIGGER pairing_follow_up_days_update AFTER UPDATE ON activity_follow_up BEGIN \n "
    "   UPDATE pairing_follow_up SET contact_day = NULL, visit_day = NULL, "
    "policy_explanation_day = NULL, warmth_day = NULL, practical_help_day = NULL, "
    "any_duty_day = NULL WHERE household_id = OLD.household_id AND OLD.household_id <> "
    "NEW.household_id; \n    UPDATE pairing_follow_up SET contact_day = NEW.contact_day, "
    "visit_day = NEW.visit_day, policy_explanation_day = NEW.policy_explanation_day, "
    "warmth_day = NEW.warmth_day, practical_help_day = NEW.practical_help_day, any_duty_day "
    "= NULLIF(max(coalesce(NEW.contact_day, 0), coalesce(NEW.visit_day, 0), "
    "coalesce(NEW.policy_explanation_day, 0), coalesce(NEW.warmth_day, 0), "
    "coalesce(NEW.practical_help_day, 0)), 0) WHERE household_id = NEW.household_id; END",
    "CREATE TRIGGER pairing_follow_up_days_delete AFTER DELETE ON activity_follow_up BEGIN \n "
    "   UPDATE pairing_follow_up SET contact_day = NULL, visit_day = NULL, "
    "policy_explanation_day = NULL, warmth_day = NULL, practical_help_day = NULL, "
    "any_duty_day = NULL WHERE household_id = OLD.household_id; END",
    "DELETE FROM paired_households",
    "DELETE FROM paired_household_gaps",
    "INSERT INTO paired_households (household_id, county, first_day, last_day) SELECT "
    "p.household_id, COALESCE(substr(s.region, 1, 6), 'unknown'), min(p.start), CASE WHEN "
    'count(p."end") < count(*) THEN NULL ELSE max(p."end") END FROM pairings p LEFT JOIN '
    "households s ON s.household_id = p.household_id GROUP BY p.household_id",
    "INSERT INTO paired_household_gaps (household_id, first_day, last_day, county) SELECT "
    "household_id, date(reach, '+1 day'), date(start, '-1 day'), county FROM (SELECT "
    "p.household_id, p.start, max(coalesce(p.\"end\", '9999-12-31')) OVER (PARTITION BY "
    "p.household_id ORDER BY p.start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS "
    "reach, COALESCE(substr(s.region, 1, 6), 'unknown') AS county FROM pairings p LEFT JOIN "
    "households s ON s.household_id = p.household_id) WHERE reach < date(start, '-1 day')",
    "DELETE FROM paired_household_tally",
    "INSERT INTO paired_household_tally (county, first_day, last_day, n) SELECT county, "
    "first_day, coalesce(last_day, '9999-12-31'), count(*) FROM paired_households GROUP BY "
    "county, first_day, coalesce(last_day, '9999-12-31')",
    "DELETE FROM paired_helpers",
    "DELETE FROM paired_helper_gaps",
    "INSERT INTO paired_helpers (helper_id, county, tier, first_day, last_day) SELECT "
    "p.helper_id, COALESCE(substr(s.home_region, 1, 6), 'unknown'), COALESCE(s.tier, "
    "'unknown'), min(p.start), CASE WHEN count(p.\"end\") < count(*) THEN NULL ELSE "
    'max(p."end") END FROM pairings p LEFT JOIN helpers s ON s.helper_id = p.helper_id GROUP '
    "BY p.helper_id",
    "INSERT INTO paired_helper_gaps (helper_id, first_day, last_day, county, tier) SELECT "
    "helper_id, date(reach, '+1 day'), date(start, '-1 day'), county, tier FROM (SELECT "
    "p.helper_id, p.start, max(coalesce(p.\"end\", '9999-12-31')) OVER (PARTITION BY "
    "p.helper_id ORDER BY p.start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS "
    "reach, COALESCE(substr(s.home_region, 1, 6), 'unknown') AS county, COALESCE(s.tier, "
    "'unknown') AS tier FROM pairings p LEFT JOIN helpers s ON s.helper_id = p.helper_id) "
    "WHERE reach < date(start, '-1 day')",
    "DELETE FROM paired_helper_tally",
    "INSERT INTO paired_helper_tally (county, tier, first_day, last_day, n) SELECT county, "
    "tier, first_day, coalesce(last_day, '9999-12-31'), count(*) FROM paired_helpers GROUP "
    "BY county, tier, first_day, coalesce(last_day, '9999-12-31')",
    "DELETE FROM pairing_follow_up",
    'INSERT INTO pairing_follow_up (household_id, helper_id, start, "end", start_day, '
    "contact_day, visit_day, policy_explanation_day, warmth_day, practical_help_day, "
    'any_duty_day) SELECT p.household_id, p.helper_id, p.start, p."end", '
    "CAST(julianday(p.start) - 1721424.5 AS INTEGER), f.contact_day, f.visit_day, "
    "f.policy_explanation_day, f.warmth_day, f.practical_help_day, "
    "NULLIF(max(coalesce(f.contact_day, 0), coalesce(f.visit_day, 0), "
    "coalesce(f.policy_explanation_day, 0), coalesce(f.warmth_day, 0), "
    "coalesce(f.practical_help_day, 0)), 0) FROM pairings p LEFT JOIN activity_follow_up f "
    "ON f.household_id = p.household_id",
    "CREATE TRIGGER paired_tally_households_insert AFTER INSERT ON paired_households BEGIN \n "
    "   INSERT INTO paired_household_tally (county, first_day, last_day, n) VALUES "
    "(NEW.county, NEW.first_day, coalesce(NEW.last_day, '9999-12-31'), 1)\n    ON CONFLICT "
    "(county, first_day, last_day) DO UPDATE SET n = n + 1; END",
    "CREATE TRIGGER paired_tally_households_delete AFTER DELETE ON paired_households BEGIN \n "
    "   UPDATE paired_household_tally SET n = n - 1 WHERE county = OLD.county AND first_day "
    "= OLD.first_day AND last_day = coalesce(OLD.last_day, '9999-12-31');\n    DELETE FROM "
    "paired_household_tally WHERE county = OLD.county AND first_day = OLD.first_day AND "
    "last_day = coalesce(OLD.last_day, '9999-12-31') AND n <= 0; END",
    "CREATE TRIGGER paired_tally_households_update AFTER UPDATE ON paired_households BEGIN \n "
    "   UPDATE paired_household_tally SET n = n - 1 WHERE county = OLD.county AND first_day "
    "= OLD.first_day AND last_day = coalesce(OLD.last_day, '9999-12-31');\n    DELETE FROM "
    "paired_household_tally WHERE county = OLD.county AND first_day = OLD.first_day AND "
    "last_day = coalesce(OLD.last_day, '9999-12-31') AND n <= 0; \n    INSERT INTO "
    "paired_household_tally (county, first_day, last_day, n) VALUES (NEW.county, "
    "NEW.first_day, coalesce(NEW.last_day, '9999-12-31'), 1)\n    ON CONFLICT (county, "
    "first_day, last_day) DO UPDATE SET n = n + 1; END",
    "CREATE TRIGGER paired_tally_helpers_insert AFTER INSERT ON paired_helpers BEGIN \n    "
    "INSERT INTO paired_helper_tally (county, tier, first_day, last_day, n) VALUES "
    "(NEW.county, NEW.tier, NEW.first_day, coalesce(NEW.last_day, '9999-12-31'), 1)\n    ON "
    "CONFLICT (county, tier, first_day, last_day) DO UPDATE SET n = n + 1; END",
    "CREATE TRIGGER paired_tally_helpers_delete AFTER DELETE ON paired_helpers BEGIN \n    "
    "UPDATE paired_helper_tally SET n = n - 1 WHERE county = OLD.county AND tier = OLD.tier "
    "AND first_day = OLD.first_day AND last_day = coalesce(OLD.last_day, '9999-12-31');\n    "
    "DELETE FROM paired_helper_tally WHERE county = OLD.county AND tier = OLD.tier AND "
    "first_day = OLD.first_day AND last_day = coalesce(OLD.last_day, '9999-12-31') AND n <= "
    "0; END",
    "CREATE TRIGGER paired_tally_helpers_update AFTER UPDATE ON paired_helpers BEGIN \n    "
    "UPDATE paired_helper_tally SET n = n - 1 WHERE county = OLD.county AND tier = OLD.tier "
    "AND first_day = OLD.first_day AND last_day = coalesce(OLD.last_day, '9999-12-31');\n    "
    "DELETE FROM paired_helper_tally WHERE county = OLD.county AND tier = OLD.tier AND "
    "first_day = OLD.first_day AND last_day = coalesce(OLD.last_day, '9999-12-31') AND n <= "
    "0; \n    INSERT INTO paired_helper_tally (county, tier, first_day, last_day, n) VALUES "
    "(NEW.county, NEW.tier, NEW.first_day, coalesce(NEW.last_day, '9999-12-31'), 1)\n    ON "
    "CONFLICT (county, tier, first_day, last_day) DO UPDATE SET n = n + 1; END",
)

#: The same on PostgreSQL (each trigger with its function).
_POSTGRESQL: tuple[str, ...] = (
    "CREATE OR REPLACE FUNCTION paired_pairings_insert() RETURNS trigger LANGUAGE plpgsql AS "
    "$$\nBEGIN \n    DELETE FROM paired_households WHERE household_id IN (SELECT household_id "
    "FROM new_rows);\n    DELETE FROM paired_household_gaps WHERE household_id IN (SELECT "
    "household_id FROM new_rows);\n    INSERT INTO paired_households (household_id, county, "
    "first_day, last_day) SELECT p.household_id, COALESCE(substr(s.region, 1, 6), "
    "'unknown'), min(p.start), CASE WHEN count(p.\"end\") < count(*) THEN NULL ELSE "
    'max(p."end") END FROM pairings p LEFT JOIN households s ON s.household_id = '
    "p.household_id WHERE p.household_id IN (SELECT household_id FROM new_rows) GROUP BY "
    "p.household_id, COALESCE(substr(s.region, 1, 6), 'unknown');\n    INSERT INTO "
    "paired_household_gaps (household_id, first_day, last_day, county) SELECT household_id, "
    "reach + 1, start - 1, county FROM (SELECT p.household_id, p.start, "
    "max(coalesce(p.\"end\", DATE '9999-12-31')) OVER (PARTITION BY p.household_id ORDER BY "
    "p.start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach, "
    "COALESCE(substr(s.region, 1, 6), 'unknown') AS county FROM pairings p LEFT JOIN "
    "households s ON s.household_id = p.household_id WHERE p.household_id IN (SELECT "
    "household_id FROM new_rows)) g WHERE reach < start - 1;\n    DELETE FROM paired_helpers "
    "WHERE helper_id IN (SELECT helper_id FROM new_rows);\n    DELETE FROM paired_helper_gaps "
    "WHERE helper_id IN (SELECT helper_id FROM new_rows);\n    INSERT INTO paired_helpers "
    "(helper_id, county, tier, first_day, last_day) SELECT p.helper_id, "
    "COALESCE(substr(s.home_region, 1, 6), 'unknown'), COALESCE(s.tier, 'unknown'), "
    'min(p.start), CASE WHEN count(p."end") < count(*) THEN NULL ELSE max(p."end") END FROM '
    "pairings p LEFT JOIN helpers s ON s.helper_id = p.helper_id WHERE p.helper_id IN "
    "(SELECT helper_id FROM new_rows) GROUP BY p.helper_id, COALESCE(substr(s.home_region, "
    "1, 6), 'unknown'), COALESCE(s.tier, 'unknown');\n    INSERT INTO paired_helper_gaps "
    "(helper_id, first_day, last_day, county, tier) SELECT helper_id, reach + 1, start - 1, "
    'county, tier FROM (SELECT p.helper_id, p.start, max(coalesce(p."end", DATE '
    "'9999-12-31')) OVER (PARTITION BY p.helper_id ORDER BY p.start ROWS BETWEEN UNBOUNDED "
    "PRECEDING AND 1 PRECEDING) AS reach, COALESCE(substr(s.home_region, 1, 6), 'unknown') "
    "AS county, COALESCE(s.tier, 'unknown') AS tier FROM pairings p LEFT JOIN helpers s ON "
    "s.helper_id = p.helper_id WHERE p.helper_id IN (SELECT helper_id FROM new_rows)) g "
    "WHERE reach < start - 1;\n RETURN NULL;\nEND $$",
    "CREATE TRIGGER paired_pairings_insert AFTER INSERT ON pairings REFERENCING NEW TABLE AS "
    "new_rows FOR EACH STATEMENT EXECUTE FUNCTION paired_pairings_insert()",
    "CREATE OR REPLACE FUNCTION paired_pairings_delete() RETURNS trigger LANGUAGE plpgsql AS "
    "$$\nBEGIN \n    DELETE FROM paired_households WHERE household_id IN (SELECT household_id "
    "FROM old_rows);\n    DELETE FROM paired_household_gaps WHERE household_id IN (SELECT "
    "household_id FROM old_rows);\n    INSERT INTO paired_households (household_id, county, "
    "first_day, last_day) SELECT p.household_id, COALESCE(substr(s.region, 1, 6), "
    "'unknown'), min(p.start), CASE WHEN count(p.\"end\") < count(*) THEN NULL ELSE "
    'max(p."end") END FROM pairings p LEFT JOIN households s ON s.household_id = '
    "p.household_id WHERE p.household_id IN (SELECT household_id FROM old_rows) GROUP BY "
    "p.household_id, COALESCE(substr(s.region, 1, 6), 'unknown');\n    INSERT INTO "
    "paired_household_gaps (household_id, first_day, last_day, county) SELECT household_id, "
    "reach + 1, start - 1, county FROM (SELECT p.household_id, p.start, "
    "max(coalesce(p.\"end\", DATE '9999-12-31')) OVER (PARTITION BY p.household_id ORDER BY "
    "p.start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach, "
    "COALESCE(substr(s.region, 1, 6), 'unknown') AS county FROM pairings p LEFT JOIN "
    "households s ON s.household_id = p.household_id WHERE p.household_id IN (SELECT "
    "household_id FROM old_rows)) g WHERE reach < start - 1;\n    DELETE FROM paired_helpers "
    "WHERE helper_id IN (SELECT helper_id FROM old_rows);\n    DELETE FROM paired_helper_gaps "
    "WHERE helper_id IN (SELECT helper_id FROM old_rows);\n    INSERT INTO paired_helpers "
    "(helper_id, county, tier, first_day, last_day) SELECT p.helper_id, "
    "COALESCE(substr(s.home_region, 1, 6), 'unknown'), COALESCE(s.tier, 'unknown'), "
    'min(p.start), CASE WHEN count(p."end") < count(*) THEN NULL ELSE max(p."end") END FROM '
    "pairings p LEFT JOIN helpers s ON s.helper_id = p.helper_id WHERE p.helper_id IN "
    "(SELECT helper_id FROM old_rows) GROUP BY p.helper_id, COALESCE(substr(s.home_region, "
    "1, 6), 'unknown'), COALESCE(s.tier, 'unknown');\n    INSERT INTO paired_helper_gaps "
    "(helper_id, first_day, last_day, county, tier) SELECT helper_id, reach + 1, start - 1, "
    'county, tier FROM (SELECT p.helper_id, p.start, max(coalesce(p."end", DATE '
    "'9999-12-31')) OVER (PARTITION BY p.helper_id ORDER BY p.start ROWS BETWEEN UNBOUNDED "
    "PRECEDING AND 1 PRECEDING) AS reach, COALESCE(substr(s.home_region, 1, 6), 'unknown') "
    "AS county, COALESCE(s.tier, 'unknown') AS tier FROM pairings p LEFT JOIN helpers s ON "
    "s.helper_id = p.helper_id WHERE p.helper_id IN (SELECT helper_id FROM old_rows)) g "
    "WHERE reach < start - 1;\n RETURN NULL;\nEND $$",
    "CREATE TRIGGER paired_pairings_delete AFTER DELETE ON pairings REFERENCING OLD TABLE AS "
    "old_rows FOR EACH STATEMENT EXECUTE FUNCTION paired_pairings_delete()",
    "CREATE OR REPLACE FUNCTION paired_pairings_update() RETURNS trigger LANGUAGE plpgsql AS "
    "$$\nBEGIN \n    DELETE FROM paired_households WHERE household_id IN (SELECT household_id "
    "FROM old_rows UNION SELECT household_id FROM new_rows);\n    DELETE FROM "
    "paired_household_gaps WHERE household_id IN (SELECT household_id FROM old_rows UNION "
    "SELECT household_id FROM new_rows);\n    INSERT INTO paired_households (household_id, "
    "county, first_day, last_day) SELECT p.household_id, COALESCE(substr(s.region, 1, 6), "
    "'unknown'), min(p.start), CASE WHEN count(p.\"end\") < count(*) THEN NULL ELSE "
    'max(p."end") END FROM pairings p LEFT JOIN households s ON s.household_id = '
    "p.household_id WHERE p.household_id IN (SELECT household_id FROM old_rows UNION SELECT "
    "household_id FROM new_rows) GROUP BY p.household_id, COALESCE(substr(s.region, 1, 6), "
    "'unknown');\n    INSERT INTO paired_household_gaps (household_id, first_day, last_day, "
    "county) SELECT household_id, reach + 1, start - 1, county FROM (SELECT p.household_id, "
    "p.start, max(coalesce(p.\"end\", DATE '9999-12-31')) OVER (PARTITION BY p.household_id "
    "ORDER BY p.start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach, "
    "COALESCE(substr(s.region, 1, 6), 'unknown') AS county FROM pairings p LEFT JOIN "
    "households s ON s.household_id = p.household_id WHERE p.household_id IN (SELECT "
    "household_id FROM old_rows UNION SELECT household_id FROM new_rows)) g WHERE reach < "
    "start - 1;\n    DELETE FROM paired_helpers WHERE helper_id IN (SELECT helper_id FROM "
    "old_rows UNION SELECT helper_id FROM new_rows);\n    DELETE FROM paired_helper_gaps "
    "WHERE helper_id IN (SELECT helper_id FROM old_rows UNION SELECT helper_id FROM "
    "new_rows);\n    INSERT INTO paired_helpers (helper_id, county, tier, first_day, "
    "last_day) SELECT p.helper_id, COALESCE(substr(s.home_region, 1, 6), 'unknown'), "
    "COALESCE(s.tier, 'unknown'), min(p.start), CASE WHEN count(p.\"end\") < count(*) THEN "
    'NULL ELSE max(p."end") END FROM pairings p LEFT JOIN helpers s ON s.helper_id = '
    "p.helper_id WHERE p.helper_id IN (SELECT helper_id FROM old_rows UNION SELECT helper_id "
    "FROM new_rows) GROUP BY p.helper_id, COALESCE(substr(s.home_region, 1, 6), 'unknown'), "
    "COALESCE(s.tier, 'unknown');\n    INSERT INTO paired_helper_gaps (helper_id, first_day, "
    "last_day, county, tier) SELECT helper_id, reach + 1, start - 1, county, tier FROM "
    "(SELECT p.helper_id, p.start, max(coalesce(p.\"end\", DATE '9999-12-31')) OVER (PARTITION "
    "BY p.helper_id ORDER BY p.start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS "
    "reach, COALESCE(substr(s.home_region, 1, 6), 'unknown') AS county, COALESCE(s.tier, "
    "'unknown') AS tier FROM pairings p LEFT JOIN helpers s ON s.helper_id = p.helper_id "
    "WHERE p.helper_id IN (SELECT helper_id FROM old_rows UNION SELECT helper_id FROM "
    "new_rows)) g WHERE reach < start - 1;\n RETURN NULL;\nEND $$",
    "CREATE TRIGGER paired_pairings_update AFTER UPDATE ON pairings REFERENCING OLD TABLE AS "
    "old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "paired_pairings_update()",
    "CREATE OR REPLACE FUNCTION paired_relabel_households_insert() RETURNS trigger LANGUAGE "
    "plpgsql AS $$\nBEGIN UPDATE paired_households t SET county = COALESCE(substr(s.region, "
    "1, 6), 'unknown') FROM (SELECT DISTINCT household_id FROM new_rows) r LEFT JOIN "
    "households s ON s.household_id = r.household_id WHERE t.household_id = r.household_id;\n "
    "   UPDATE paired_household_gaps t SET county = COALESCE(substr(s.region, 1, 6), "
    "'unknown') FROM (SELECT DISTINCT household_id FROM new_rows) r LEFT JOIN households s "
    "ON s.household_id = r.household_id WHERE t.household_id = r.household_id;\n RETURN "
    "NULL;\nEND $$",
    "CREATE TRIGGER paired_relabel_households_insert AFTER INSERT ON households REFERENCING "
    "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "paired_relabel_households_insert()",
    "CREATE OR REPLACE FUNCTION paired_relabel_households_delete() RETURNS trigger LANGUAGE "
    "plpgsql AS $$\nBEGIN UPDATE paired_households t SET county = COALESCE(substr(s.region, "
    "1, 6), 'unknown') FROM (SELECT DISTINCT household_id FROM old_rows) r LEFT JOIN "
    "households s ON s.household_id = r.household_id WHERE t.household_id = r.household_id;\n "
    "   UPDATE paired_household_gaps t SET county = COALESCE(substr(s.region, 1, 6), "
    "'unknown') FROM (SELECT DISTINCT household_id FROM old_rows) r LEFT JOIN households s "
    "ON s.household_id = r.household_id WHERE t.household_id = r.household_id;\n RETURN "
    "NULL;\nEND $$",
    "CREATE TRIGGER paired_relabel_households_delete AFTER DELETE ON households REFERENCING "
    "OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "paired_relabel_households_delete()",
    "CREATE OR REPLACE FUNCTION paired_relabel_households_update() RETURNS trigger LANGUAGE "
    "plpgsql AS $$\nBEGIN UPDATE paired_households t SET county = COALESCE(substr(s.region, "
    "1, 6), 'unknown') FROM (SELECT DISTINCT household_id FROM old_rows) r LEFT JOIN "
    "households s ON s.household_id = r.household_id WHERE t.household_id = r.household_id;\n "
    "   UPDATE paired_household_gaps t SET county = COALESCE(substr(s.region, 1, 6), "
    "'unknown') FROM (SELECT DISTINCT household_id FROM old_rows) r LEFT JOIN households s "
    "ON s.household_id = r.household_id WHERE t.household_id = r.household_id;UPDATE "
    "paired_households t SET county = COALESCE(substr(s.region, 1, 6), 'unknown') FROM "
    "(SELECT DISTINCT household_id FROM new_rows) r LEFT JOIN households s ON s.household_id "
    "= r.household_id WHERE t.household_id = r.household_id;\n    UPDATE "
    "paired_household_gaps t SET county = COALESCE(substr(s.region, 1, 6), 'unknown') FROM "
    "(SELECT DISTINCT household_id FROM new_rows) r LEFT JOIN households s ON s.household_id "
    "= r.household_id WHERE t.household_id = r.household_id;\n RETURN NULL;\nEND $$",
    "CREATE TRIGGER paired_relabel_households_update AFTER UPDATE ON households REFERENCING "
    "OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "paired_relabel_households_update()",
    "CREATE OR REPLACE FUNCTION paired_relabel_helpers_insert() RETURNS trigger LANGUAGE "
    "plpgsql AS $$\nBEGIN UPDATE paired_helpers t SET county = COALESCE(substr(s.home_region, "
    "1, 6), 'unknown'), tier = COALESCE(s.tier, 'unknown') FROM (SELECT DISTINCT helper_id "
    "FROM new_rows) r LEFT JOIN helpers s ON s.helper_id = r.helper_id WHERE t.helper_id = "
    "r.helper_id;\n    UPDATE paired_helper_gaps t SET county = "
    "COALESCE(substr(s.home_region, 1, 6), 'unknown'), tier = COALESCE(s.tier, 'unknown') "
    "FROM (SELECT DISTINCT helper_id FROM new_rows) r LEFT JOIN helpers s ON s.helper_id = "
    "r.helper_id WHERE t.helper_id = r.helper_id;\n RETURN NULL;\nEND $$",
    "CREATE TRIGGER paired_relabel_helpers_insert AFTER INSERT ON helpers REFERENCING NEW "
    "TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION paired_relabel_helpers_insert()",
    "CREATE OR REPLACE FUNCTION paired_relabel_helpers_delete() RETURNS trigger LANGUAGE "
    "plpgsql AS $$\nBEGIN UPDATE paired_helpers t SET county = COALESCE(substr(s.home_region, "
    "1, 6), 'unknown'), tier = COALESCE(s.tier, 'unknown') FROM (SELECT DISTINCT helper_id "
    "FROM old_rows) r LEFT JOIN helpers s ON s.helper_id = r.helper_id WHERE t.helper_id = "
    "r.helper_id;\n    UPDATE paired_helper_gaps t SET county = "
    "COALESCE(substr(s.home_region, 1, 6), 'unknown'), tier = COALESCE(s.tier, 'unknown') "
    "FROM (SELECT DISTINCT helper_id FROM old_rows) r LEFT JOIN helpers s ON s.helper_id = "
    "r.helper_id WHERE t.helper_id = r.helper_id;\n RETURN NULL;\nEND $$",
    "CREATE TRIGGER paired_relabel_helpers_delete AFTER DELETE ON helpers REFERENCING OLD "
    "TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION paired_relabel_helpers_delete()",
    "CREATE OR REPLACE FUNCTION paired_relabel_helpers_update() RETURNS trigger LANGUAGE "
    "plpgsql AS $$\nBEGIN UPDATE paired_helpers t SET county = COALESCE(substr(s.home_region, "
    "1, 6), 'unknown'), tier = COALESCE(s.tier, 'unknown') FROM (SELECT DISTINCT helper_id "
    "FROM old_rows) r LEFT JOIN helpers s ON s.helper_id = r.helper_id WHERE t.helper_id = "
    "r.helper_id;\n    UPDATE paired_helper_gaps t SET county = "
    "COALESCE(substr(s.home_region, 1, 6), 'unknown'), tier = COALESCE(s.tier, 'unknown') "
    "FROM (SELECT DISTINCT helper_id FROM old_rows) r LEFT JOIN helpers s ON s.helper_id = "
    "r.helper_id WHERE t.helper_id = r.helper_id;UPDATE paired_helpers t SET county = "
    "COALESCE(substr(s.home_region, 1, 6), 'unknown'), tier = COALESCE(s.tier, 'unknown') "
    "FROM (SELECT DISTINCT helper_id FROM new_rows) r LEFT JOIN helpers s ON s.helper_id = "
    "r.helper_id WHERE t.helper_id = r.helper_id;\n    UPDATE paired_helper_gaps t SET county "
    "= COALESCE(substr(s.home_region, 1, 6), 'unknown'), tier = COALESCE(s.tier, 'unknown') "
    "FROM (SELECT DISTINCT helper_id FROM new_rows) r LEFT JOIN helpers s ON s.helper_id = "
    "r.helper_id WHERE t.helper_id = r.helper_id;\n RETURN NULL;\nEND $$",
    "CREATE TRIGGER paired_relabel_helpers_update AFTER UPDATE ON helpers REFERENCING OLD "
    "TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "paired_relabel_helpers_update()",
    "CREATE OR REPLACE FUNCTION pairing_follow_up_pairings_insert() RETURNS trigger LANGUAGE "
    "plpgsql AS $$\nBEGIN \n    INSERT INTO pairing_follow_up (household_id, helper_id, start, "
    '"end", start_day, contact_day, visit_day, policy_explanation_day, warmth_day, '
    "practical_help_day, any_duty_day)\n    SELECT n.household_id, n.helper_id, n.start, "
    "n.\"end\", n.start - DATE '0001-01-01' + 1,\n           f.contact_day, f.visit_day, "
    "f.policy_explanation_day, f.warmth_day, f.practical_help_day, GREATEST(f.contact_day, "
    "f.visit_day, f.policy_explanation_day, f.warmth_day, f.practical_help_day)\n    FROM "
    "new_rows n LEFT JOIN activity_follow_up f ON f.household_id = n.household_id;\n RETURN "
    "NULL;\nEND $$",
    "CREATE TRIGGER pairing_follow_up_pairings_insert AFTER INSERT ON pairings REFERENCING "
    "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "pairing_follow_up_pairings_insert()",
    "CREATE OR REPLACE FUNCTION pairing_follow_up_pairings_delete() RETURNS trigger LANGUAGE "
    "plpgsql AS $$\nBEGIN \n    DELETE FROM pairing_follow_up t USING old_rows o WHERE "
    "t.household_id = o.household_id\n    AND t.helper_id = o.helper_id AND t.start = "
    "o.start;\n RETURN NULL;\nEND $$",
    "CREATE TRIGGER pairing_follow_up_pairings_delete AFTER DELETE ON pairings REFERENCING "
    "OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "pairing_follow_up_pairings_delete()",
    "CREATE OR REPLACE FUNCTION pairing_follow_up_pairings_update() RETURNS trigger LANGUAGE "
    "plpgsql AS $$\nBEGIN \n    DELETE FROM pairing_follow_up t USING old_rows o WHERE "
    "t.household_id = o.household_id\n    AND t.helper_id = o.helper_id AND t.start = "
    'o.start;\n    INSERT INTO pairing_follow_up (household_id, helper_id, start, "end", '
    "start_day, contact_day, visit_day, policy_explanation_day, warmth_day, "
    "practical_help_day, any_duty_day)\n    SELECT n.household_id, n.helper_id, n.start, "
    "n.\"end\", n.start - DATE '0001-01-01' + 1,\n           f.contact_day, f.visit_day, "
    "f.policy_explanation_day, f.warmth_day, f.practical_help_day, GREATEST(f.contact_day, "
    "f.visit_day, f.policy_explanation_day, f.warmth_day, f.practical_help_day)\n    FROM "
    "new_rows n LEFT JOIN activity_follow_up f ON f.household_id = n.household_id;\n RETURN "
    "NULL;\nEND $$",
    "CREATE TRIGGER pairing_follow_up_pairings_update AFTER UPDATE ON pairings REFERENCING "
    "OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "pairing_follow_up_pairings_update()",
    "CREATE OR REPLACE FUNCTION pairing_follow_up_days_insert() RETURNS trigger LANGUAGE "
    "plpgsql AS $$\nBEGIN \n    UPDATE pairing_follow_up t SET contact_day = n.contact_day, "
    "visit_day = n.visit_day, policy_explanation_day = n.policy_explanation_day, warmth_day "
    "= n.warmth_day, practical_help_day = n.practical_help_day,\n    any_duty_day = "
    "GREATEST(n.contact_day, n.visit_day, n.policy_explanation_day, n.warmth_day, "
    "n.practical_help_day)\n    FROM new_rows n WHERE t.household_id = n.household_id;\n "
    "RETURN NULL;\nEND $$",
    "CREATE TRIGGER pairing_follow_up_days_insert AFTER INSERT ON activity_follow_up "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "pairing_follow_up_days_insert()",
    "CREATE OR REPLACE FUNCTION pairing_follow_up_days_delete() RETURNS trigger LANGUAGE "
    "plpgsql AS $$\nBEGIN \n    UPDATE pairing_follow_up t SET contact_day = NULL, visit_day = "
    "NULL, policy_explanation_day = NULL, warmth_day = NULL, practical_help_day = NULL, "
    "any_duty_day = NULL\n    FROM (SELECT DISTINCT household_id FROM old_rows) o WHERE "
    "t.household_id = o.household_id;\n RETURN NULL;\nEND $$",
    "CREATE TRIGGER pairing_follow_up_days_delete AFTER DELETE ON activity_follow_up "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "pairing_follow_up_days_delete()",
    "CREATE OR REPLACE FUNCTION pairing_follow_up_days_update() RETURNS trigger LANGUAGE "
    "plpgsql AS $$\nBEGIN \n    UPDATE pairing_follow_up t SET contact_day = NULL, visit_day = "
    "NULL, policy_explanation_day = NULL, warmth_day = NULL, practical_help_day = NULL, "
    "any_duty_day = NULL\n    FROM (SELECT household_id FROM old_rows EXCEPT SELECT "
    "household_id FROM new_rows) o\n    WHERE t.household_id = o.household_id;\n    UPDATE "
    "pairing_follow_up t SET contact_day = n.contact_day, visit_day = n.visit_day, "
    "policy_explanation_day = n.policy_explanation_day, warmth_day = n.warmth_day, "
    "practical_help_day = n.practical_help_day,\n    any_duty_day = GREATEST(n.contact_day, "
    "n.visit_day, n.policy_explanation_day, n.warmth_day, n.practical_help_day)\n    FROM "
    "new_rows n WHERE t.household_id = n.household_id;\n RETURN NULL;\nEND $$",
    "CREATE TRIGGER pairing_follow_up_days_update AFTER UPDATE ON activity_follow_up "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE "
    "FUNCTION pairing_follow_up_days_update()",
    "DELETE FROM paired_households",
    "DELETE FROM paired_household_gaps",
    "INSERT INTO paired_households (household_id, county, first_day, last_day) SELECT "
    "p.household_id, COALESCE(substr(s.region, 1, 6), 'unknown'), min(p.start), CASE WHEN "
    'count(p."end") < count(*) THEN NULL ELSE max(p."end") END FROM pairings p LEFT JOIN '
    "households s ON s.household_id = p.household_id WHERE p.household_id IN (SELECT "
    "household_id FROM pairings) GROUP BY p.household_id, COALESCE(substr(s.region, 1, 6), "
    "'unknown')",
    "INSERT INTO paired_household_gaps (household_id, first_day, last_day, county) SELECT "
    "household_id, reach + 1, start - 1, county FROM (SELECT p.household_id, p.start, "
    "max(coalesce(p.\"end\", DATE '9999-12-31')) OVER (PARTITION BY p.household_id ORDER BY "
    "p.start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach, "
    "COALESCE(substr(s.region, 1, 6), 'unknown') AS county FROM pairings p LEFT JOIN "
    "households s ON s.household_id = p.household_id WHERE p.household_id IN (SELECT "
    "household_id FROM pairings)) g WHERE reach < start - 1",
    "DELETE FROM paired_household_tally",
    "INSERT INTO paired_household_tally (county, first_day, last_day, n) SELECT county, "
    "first_day, coalesce(last_day, '9999-12-31'), count(*) FROM paired_households GROUP BY "
    "county, first_day, coalesce(last_day, '9999-12-31')",
    "DELETE FROM paired_helpers",
    "DELETE FROM paired_helper_gaps",
    "INSERT INTO paired_helpers (helper_id, county, tier, first_day, last_day) SELECT "
    "p.helper_id, COALESCE(substr(s.home_region, 1, 6), 'unknown'), COALESCE(s.tier, "
    "'unknown'), min(p.start), CASE WHEN count(p.\"end\") < count(*) THEN NULL ELSE "
    'max(p."end") END FROM pairings p LEFT JOIN helpers s ON s.helper_id = p.helper_id WHERE '
    "p.helper_id IN (SELECT helper_id FROM pairings) GROUP BY p.helper_id, "
    "COALESCE(substr(s.home_region, 1, 6), 'unknown'), COALESCE(s.tier, 'unknown')",
    "INSERT INTO paired_helper_gaps (helper_id, first_day, last_day, county, tier) SELECT "
    "helper_id, reach + 1, start - 1, county, tier FROM (SELECT p.helper_id, p.start, "
    "max(coalesce(p.\"end\", DATE '9999-12-31')) OVER (PARTITION BY p.helper_id ORDER BY "
    "p.start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach, "
    "COALESCE(substr(s.home_region, 1, 6), 'unknown') AS county, COALESCE(s.tier, 'unknown') "
    "AS tier FROM pairings p LEFT JOIN helpers s ON s.helper_id = p.helper_id WHERE "
    "p.helper_id IN (SELECT helper_id FROM pairings)) g WHERE reach < start - 1",
    "DELETE FROM paired_helper_tally",
    "INSERT INTO paired_helper_tally (county, tier, first_day, last_day, n) SELECT county, "
    "tier, first_day, coalesce(last_day, '9999-12-31'), count(*) FROM paired_helpers GROUP "
    "BY county, tier, first_day, coalesce(last_day, '9999-12-31')",
    "DELETE FROM pairing_follow_up",
    'INSERT INTO pairing_follow_up (household_id, helper_id, start, "end", start_day, '
    "contact_day, visit_day, policy_explanation_day, warmth_day, practical_help_day, "
    'any_duty_day) SELECT p.household_id, p.helper_id, p.start, p."end", p.start - DATE '
    "'0001-01-01' + 1, f.contact_day, f.visit_day, f.policy_explanation_day, f.warmth_day, "
    "f.practical_help_day, GREATEST(f.contact_day, f.visit_day, f.policy_explanation_day, "
    "f.warmth_day, f.practical_help_day) FROM pairings p LEFT JOIN activity_follow_up f ON "
    "f.household_id = p.household_id",
    "CREATE OR REPLACE FUNCTION paired_tally_households_insert() RETURNS trigger LANGUAGE "
    "plpgsql AS $$\nBEGIN \n    INSERT INTO paired_household_tally (county, first_day, "
    "last_day, n) SELECT county, first_day, coalesce(last_day, DATE '9999-12-31') AS "
    "last_day, count(*) AS n FROM new_rows GROUP BY county, first_day, coalesce(last_day, "
    "DATE '9999-12-31')\n    ON CONFLICT (county, first_day, last_day) DO UPDATE SET n = "
    "paired_household_tally.n + EXCLUDED.n;\n RETURN NULL;\nEND $$",
    "CREATE TRIGGER paired_tally_households_insert AFTER INSERT ON paired_households "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "paired_tally_households_insert()",
    "CREATE OR REPLACE FUNCTION paired_tally_households_delete() RETURNS trigger LANGUAGE "
    "plpgsql AS $$\nBEGIN \n    UPDATE paired_household_tally t SET n = t.n - g.n FROM (SELECT "
    "county, first_day, coalesce(last_day, DATE '9999-12-31') AS last_day, count(*) AS n "
    "FROM old_rows GROUP BY county, first_day, coalesce(last_day, DATE '9999-12-31')) g "
    "WHERE t.county = g.county AND t.first_day = g.first_day AND t.last_day = g.last_day;\n   "
    " DELETE FROM paired_household_tally t USING (SELECT county, first_day, "
    "coalesce(last_day, DATE '9999-12-31') AS last_day, count(*) AS n FROM old_rows GROUP BY "
    "county, first_day, coalesce(last_day, DATE '9999-12-31')) g WHERE t.county = g.county "
    "AND t.first_day = g.first_day AND t.last_day = g.last_day AND t.n <= 0;\n RETURN "
    "NULL;\nEND $$",
    "CREATE TRIGGER paired_tally_households_delete AFTER DELETE ON paired_households "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "paired_tally_households_delete()",
    "CREATE OR REPLACE FUNCTION paired_tally_households_update() RETURNS trigger LANGUAGE "
    "plpgsql AS $$\nBEGIN \n    UPDATE paired_household_tally t SET n = t.n - g.n FROM (SELECT "
    "county, first_day, coalesce(last_day, DATE '9999-12-31') AS last_day, count(*) AS n "
    "FROM old_rows GROUP BY county, first_day, coalesce(last_day, DATE '9999-12-31')) g "
    "WHERE t.county = g.county AND t.first_day = g.first_day AND t.last_day = g.last_day;\n   "
    " DELETE FROM paired_household_tally t USING (SELECT county, first_day, "
    "coalesce(last_day, DATE '9999-12-31') AS last_day, count(*) AS n FROM old_rows GROUP BY "
    "county, first_day, coalesce(last_day, DATE '9999-12-31')) g WHERE t.county = g.county "
    "AND t.first_day = g.first_day AND t.last_day = g.last_day AND t.n <= 0;\n    INSERT INTO "
    "paired_household_tally (county, first_day, last_day, n) SELECT county, first_day, "
    "coalesce(last_day, DATE '9999-12-31') AS last_day, count(*) AS n FROM new_rows GROUP BY "
    "county, first_day, coalesce(last_day, DATE '9999-12-31')\n    ON CONFLICT (county, "
    "first_day, last_day) DO UPDATE SET n = paired_household_tally.n + EXCLUDED.n;\n RETURN "
    "NULL;\nEND $$",
    "CREATE TRIGGER paired_tally_households_update AFTER UPDATE ON paired_households "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE "
    "FUNCTION paired_tally_households_update()",
    "CREATE OR REPLACE FUNCTION paired_tally_helpers_insert() RETURNS trigger LANGUAGE "
    "plpgsql AS $$\nBEGIN \n    INSERT INTO paired_helper_tally (county, tier, first_day, "
    "last_day, n) SELECT county, tier, first_day, coalesce(last_day, DATE '9999-12-31') AS "
    "last_day, count(*) AS n FROM new_rows GROUP BY county, tier, first_day, "
    "coalesce(last_day, DATE '9999-12-31')\n    ON CONFLICT (county, tier, first_day, "
    "last_day) DO UPDATE SET n = paired_helper_tally.n + EXCLUDED.n;\n RETURN NULL;\nEND $$",
    "CREATE TRIGGER paired_tally_helpers_insert AFTER INSERT ON paired_helpers REFERENCING "
    "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION paired_tally_helpers_insert()",
    "CREATE OR REPLACE FUNCTION paired_tally_helpers_delete() RETURNS trigger LANGUAGE "
    "plpgsql AS $$\nBEGIN \n    UPDATE paired_helper_tally t SET n = t.n - g.n FROM (SELECT "
    "county, tier, first_day, coalesce(last_day, DATE '9999-12-31') AS last_day, count(*) AS "
    "n FROM old_rows GROUP BY county, tier, first_day, coalesce(last_day, DATE "
    "'9999-12-31')) g WHERE t.county = g.county AND t.tier = g.tier AND t.first_day = "
    "g.first_day AND t.last_day = g.last_day;\n    DELETE FROM paired_helper_tally t USING "
    "(SELECT county, tier, first_day, coalesce(last_day, DATE '9999-12-31') AS last_day, "
    "count(*) AS n FROM old_rows GROUP BY county, tier, first_day, coalesce(last_day, DATE "
    "'9999-12-31')) g WHERE t.county = g.county AND t.tier = g.tier AND t.first_day = "
    "g.first_day AND t.last_day = g.last_day AND t.n <= 0;\n RETURN NULL;\nEND $$",
    "CREATE TRIGGER paired_tally_helpers_delete AFTER DELETE ON paired_helpers REFERENCING "
    "OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION paired_tally_helpers_delete()",
    "CREATE OR REPLACE FUNCTION paired_tally_helpers_update() RETURNS trigger LANGUAGE "
    "plpgsql AS $$\nBEGIN \n    UPDATE paired_helper_tally t SET n = t.n - g.n FROM (SELECT "
    "county, tier, first_day, coalesce(last_day, DATE '9999-12-31') AS last_day, count(*) AS "
    "n FROM old_rows GROUP BY county, tier, first_day, coalesce(last_day, DATE "
    "'9999-12-31')) g WHERE t.county = g.county AND t.tier = g.tier AND t.first_day = "
    "g.first_day AND t.last_day = g.last_day;\n    DELETE FROM paired_helper_tally t USING "
    "(SELECT county, tier, first_day, coalesce(last_day, DATE '9999-12-31') AS last_day, "
    "count(*) AS n FROM old_rows GROUP BY county, tier, first_day, coalesce(last_day, DATE "
    "'9999-12-31')) g WHERE t.county = g.county AND t.tier = g.tier AND t.first_day = "
    "g.first_day AND t.last_day = g.last_day AND t.n <= 0;\n    INSERT INTO "
    "paired_helper_tally (county, tier, first_day, last_day, n) SELECT county, tier, "
    "first_day, coalesce(last_day, DATE '9999-12-31') AS last_day, count(*) AS n FROM "
    "new_rows GROUP BY county, tier, first_day, coalesce(last_day, DATE '9999-12-31')\n    ON "
    "CONFLICT (county, tier, first_day, last_day) DO UPDATE SET n = paired_helper_tally.n + "
    "EXCLUDED.n;\n RETURN NULL;\nEND $$",
    "CREATE TRIGGER paired_tally_helpers_update AFTER UPDATE ON paired_helpers REFERENCING "
    "OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "paired_tally_helpers_update()",
)


def _spans(side: str, extra: tuple[str, ...]) -> None:
    """The span, gap and tally tables of one side (``extra``: its code columns besides
    county)."""
    key = f"{side}_id"

    def codes() -> list[sa.Column[str]]:
        return [sa.Column(name, sa.String(64), nullable=False) for name in extra]

    op.create_table(
        f"paired_{side}s",
        sa.Column(key, sa.String(64), nullable=False),
        sa.Column("county", sa.String(12), nullable=False),
        *codes(),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint(key, name=f"pk_paired_{side}s"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        f"paired_{side}_gaps",
        sa.Column(key, sa.String(64), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("county", sa.String(12), nullable=False),
        *codes(),
        sa.PrimaryKeyConstraint(key, "first_day", name=f"pk_paired_{side}_gaps"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        f"paired_{side}_tally",
        sa.Column("county", sa.String(12), nullable=False),
        *codes(),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "county", *extra, "first_day", "last_day", name=f"pk_paired_{side}_tally"
        ),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    op.create_table(
        "pairing_follow_up",
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("helper_id", sa.String(64), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("start_day", sa.Integer(), nullable=False),
        *(sa.Column(f"{duty}_day", sa.Integer(), nullable=True) for duty in _DUTIES),
        sa.Column("any_duty_day", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("household_id", "helper_id", "start", name="pk_pairing_follow_up"),
        sqlite_with_rowid=False,
    )
    _spans("household", ())
    _spans("helper", ("tier",))
    op.create_index(
        "ix_household_members_condition", "household_members", ["health_condition", "household_id"]
    )
    op.create_index(
        "ix_household_members_disability", "household_members", ["disability_grade", "household_id"]
    )
    op.drop_index("ix_household_members_health_condition", "household_members")
    op.drop_index("ix_household_members_disability_grade", "household_members")
    op.drop_index("ix_pairings_helper_span", "pairings")
    op.drop_index("ix_pairings_household_span", "pairings")
    bind = op.get_bind()
    for statement in _POSTGRESQL if bind.dialect.name == "postgresql" else _SQLITE:
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for name, table in _TRIGGERS.items():
        if bind.dialect.name == "postgresql":
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("pairing_follow_up")
    for side in ("household", "helper"):
        for table in (f"paired_{side}s", f"paired_{side}_gaps", f"paired_{side}_tally"):
            op.drop_table(table)
    op.create_index(
        "ix_household_members_health_condition", "household_members", ["health_condition"]
    )
    op.create_index(
        "ix_household_members_disability_grade", "household_members", ["disability_grade"]
    )
    op.drop_index("ix_household_members_condition", "household_members")
    op.drop_index("ix_household_members_disability", "household_members")
    op.create_index("ix_pairings_household_span", "pairings", ["household_id", "start", "end"])
    op.create_index("ix_pairings_helper_span", "pairings", ["helper_id", "start", "end"])
