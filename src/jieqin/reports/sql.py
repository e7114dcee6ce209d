"""Report aggregates in SQL, and the tallies that make the annual report fast.

Tables kept current by database triggers in the same transaction as every insert,
update or delete of an activity (whatever wrote it: the logging service, an
import, raw SQL):

- ``activity_tally`` (and ``activity_tally_month``): activities counted per (day,
  household county, kind, helper tier). A year is at most a few hundred thousand
  rows however many activities there are, so the annual report sums those instead
  of scanning the activity table.
- ``activity_latest`` and ``activity_follow_up``: the day of the latest activity
  per household and kind, which the overdue scan reads instead of the activities.

Who was paired in a period comes from the span tables of :mod:`jieqin.reports.paired`,
kept by triggers on the pairings. SQLite uses row triggers; PostgreSQL statement
triggers with transition tables, so a bulk insert updates each tally row once.
:func:`rebuild_tallies` recounts them all (after a household moves county or a
helper changes tier, which the activity tallies do not follow). Hypothesis tests
prove each equal to a recount.
"""

from __future__ import annotations

import json
import operator
from bisect import bisect_left
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from itertools import islice, repeat
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from jieqin.activities.overdue import FollowUpArrays
from jieqin.errors import StorageError
from jieqin.model.money import FEN
from jieqin.model.people import HealthCondition
from jieqin.model.vocab import MONITORED_STATUSES, ActivityKind
from jieqin.reports.paired import (
    PAIRED_POSTGRESQL,
    PAIRED_SQLITE,
    PAIRED_TRIGGERS,
    paired_helpers,
    paired_households,
    recount_paired,
)
from jieqin.reports.pairing_follow_up import (
    PAIRING_FOLLOW_UP,
    PAIRING_FOLLOW_UP_POSTGRESQL,
    PAIRING_FOLLOW_UP_SQLITE,
    PAIRING_FOLLOW_UP_TRIGGERS,
    recount_pairing_follow_up,
)
from jieqin.reports.python_source import UNKNOWN_REGION
from jieqin.reports.source import ActivityKey, GrantKey, NeedKey
from jieqin.storage.sql.tables import (
    ACTIVITIES,
    GRANTS,
    HELPERS,
    HOUSEHOLDS,
    MEMBERS,
    METADATA,
    NEEDS,
    PROGRAMS,
    REFERRALS,
    STATUS_HISTORY,
)

__all__ = [
    "ACTIVITY_FOLLOW_UP",
    "ACTIVITY_LATEST",
    "ACTIVITY_TALLY",
    "ACTIVITY_TALLY_MONTH",
    "CACHE_SOURCES",
    "FOLLOW_UP_KINDS",
    "REPORT_CACHE",
    "SqlSource",
    "create_cache_triggers",
    "create_tally_triggers",
    "drop_cache_triggers",
    "drop_tally_triggers",
    "latest_activity_day",
    "rebuild_tallies",
    "recount_follow_up",
    "sql_follow_up",
]

ACTIVITY_TALLY = sa.Table(
    "activity_tally",
    METADATA,
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("region", sa.String(12), primary_key=True),
    sa.Column("kind", sa.String(64), primary_key=True),
    sa.Column("tier", sa.String(64), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
"""Activities per day, household county (``unknown`` if none), kind and helper tier.

The key leads with the month, so a period's figures are grouped in key order."""

ACTIVITY_TALLY_MONTH = sa.Table(
    "activity_tally_month",
    METADATA,
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("region", sa.String(12), primary_key=True),
    sa.Column("kind", sa.String(64), primary_key=True),
    sa.Column("tier", sa.String(64), primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
"""The same counts per month: what a year, quarter or month report reads."""

REPORT_CACHE = sa.Table(
    "report_cache",
    METADATA,
    sa.Column("first", sa.Date, primary_key=True),
    sa.Column("last", sa.Date, primary_key=True),
    sa.Column("figure", sa.String(32), primary_key=True),
    sa.Column("payload", sa.Text, nullable=False),
)
"""Figures not taken from the tallies (helpers, households, needs, referrals, grants),
kept once computed for a date range; triggers empty it on any write to the tables
they come from, so a cached figure always equals a recount."""

#: The figures in ``report_cache`` that a write to each table can change; the
#: triggers forget only those, so logging a grant does not recount the pairings.
CACHE_SOURCES: dict[str, tuple[str, ...]] = {
    "helpers": ("helpers",),
    "households": ("households", "needs", "referrals", "grants"),
    "pairings": ("helpers", "households"),
    "needs": ("needs",),
    "referrals": ("referrals",),
    "grants": ("grants",),
    "programs": ("grants",),
}

ACTIVITY_LATEST = sa.Table(
    "activity_latest",
    METADATA,
    sa.Column("household_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(64), primary_key=True),
    sa.Column("last_on", sa.Date, nullable=False),
    sqlite_with_rowid=False,
)
"""The latest activity day per household and kind."""

#: The five standing duties, each with a column in ``activity_follow_up``.
FOLLOW_UP_KINDS: tuple[str, ...] = tuple(kind.value for kind in ActivityKind)

ACTIVITY_FOLLOW_UP = sa.Table(
    "activity_follow_up",
    METADATA,
    sa.Column("household_id", sa.String(64), primary_key=True),
    *(sa.Column(f"{kind}_day", sa.Integer) for kind in FOLLOW_UP_KINDS),
    sqlite_with_rowid=False,
)
"""One row per household: the day (``date.toordinal()``) of its latest activity of
each standing duty, ``NULL`` if none. The overdue scan joins it once per pairing
instead of once per kind; other kinds are read from ``activity_latest``."""

#: Covering indexes for "the county of each of these households / helpers": the
#: report's counts join a million ids to them with one index lookup each.
COUNTY_INDEXES = (
    sa.Index("ix_households_id_region", HOUSEHOLDS.c.household_id, HOUSEHOLDS.c.region),
    sa.Index(
        "ix_helpers_id_region_tier", HELPERS.c.helper_id, HELPERS.c.home_region, HELPERS.c.tier
    ),
)

_U = UNKNOWN_REGION

# -- SQLite: row triggers ------------------------------------------------------------

_SQLITE_REGION = "COALESCE((SELECT substr(region, 1, 6) FROM households WHERE household_id = {r}.household_id), '{u}')"
_SQLITE_TIER = "COALESCE((SELECT tier FROM helpers WHERE helper_id = {r}.helper_id), '{u}')"


def _sqlite_add(row: str) -> str:
    return f"""
    INSERT INTO activity_tally (day, region, kind, tier, month, n)
    VALUES ({row}."on", {_SQLITE_REGION.format(r=row, u=_U)}, {row}.kind,
            {_SQLITE_TIER.format(r=row, u=_U)}, substr({row}."on", 1, 7), 1)
    ON CONFLICT (month, region, kind, tier, day) DO UPDATE SET n = n + 1;
    INSERT INTO activity_tally_month (month, region, kind, tier, n)
    VALUES (substr({row}."on", 1, 7), {_SQLITE_REGION.format(r=row, u=_U)}, {row}.kind,
            {_SQLITE_TIER.format(r=row, u=_U)}, 1)
    ON CONFLICT (month, region, kind, tier) DO UPDATE SET n = n + 1;
    INSERT INTO activity_latest (household_id, kind, last_on)
    VALUES ({row}.household_id, {row}.kind, {row}."on")
    ON CONFLICT (household_id, kind) DO UPDATE SET last_on = max(last_on, excluded.last_on);"""


def _sqlite_remove(row: str) -> str:
    month = (
        f'month = substr({row}."on", 1, 7) AND kind = {row}.kind AND '
        f"region = {_SQLITE_REGION.format(r=row, u=_U)} AND tier = {_SQLITE_TIER.format(r=row, u=_U)}"
    )
    key = f'{month} AND day = {row}."on"'
    latest = f"household_id = {row}.household_id AND kind = {row}.kind"
    return f"""
    UPDATE activity_tally SET n = n - 1 WHERE {key};
    DELETE FROM activity_tally WHERE {key} AND n <= 0;
    UPDATE activity_tally_month SET n = n - 1 WHERE {month};
    DELETE FROM activity_tally_month WHERE {month} AND n <= 0;
    DELETE FROM activity_latest WHERE {latest};
    INSERT INTO activity_latest (household_id, kind, last_on)
    SELECT household_id, kind, max("on") FROM activities WHERE {latest}
    GROUP BY household_id, kind;"""


_SQLITE_TRIGGERS = {
    "activity_tally_insert": f"CREATE TRIGGER activity_tally_insert AFTER INSERT ON activities BEGIN {_sqlite_add('NEW')} END",
    "activity_tally_delete": f"CREATE TRIGGER activity_tally_delete AFTER DELETE ON activities BEGIN {_sqlite_remove('OLD')} END",
    "activity_tally_update": (
        'CREATE TRIGGER activity_tally_update AFTER UPDATE OF "on", kind, helper_id, household_id '
        f"ON activities BEGIN {_sqlite_remove('OLD')} {_sqlite_add('NEW')} END"
    ),
}

_FOLLOW_UP_IN = "(" + ", ".join(f"'{k}'" for k in FOLLOW_UP_KINDS) + ")"
_FOLLOW_UP_COLUMNS = ", ".join(f"{k}_day" for k in FOLLOW_UP_KINDS)
_SQLITE_ORDINAL = "CAST(julianday({}) - 1721424.5 AS INTEGER)"


def _sqlite_follow_up_recount(household: str) -> str:
    day = _SQLITE_ORDINAL.format('"on"')
    days = ", ".join(f"max(CASE WHEN kind = '{k}' THEN {day} END)" for k in FOLLOW_UP_KINDS)
    return f"""
    DELETE FROM activity_follow_up WHERE household_id = {household};
    INSERT INTO activity_follow_up (household_id, {_FOLLOW_UP_COLUMNS})
    SELECT household_id, {days} FROM activities
    WHERE household_id = {household} AND kind IN {_FOLLOW_UP_IN} GROUP BY household_id;"""


def _sqlite_follow_up_add() -> str:
    day = _SQLITE_ORDINAL.format('NEW."on"')
    values = ", ".join(f"CASE WHEN NEW.kind = '{k}' THEN {day} END" for k in FOLLOW_UP_KINDS)
    later = ", ".join(
        f"{k}_day = CASE WHEN excluded.{k}_day > coalesce({k}_day, 0) "
        f"THEN excluded.{k}_day ELSE {k}_day END"
        for k in FOLLOW_UP_KINDS
    )
    return f"""
    INSERT INTO activity_follow_up (household_id, {_FOLLOW_UP_COLUMNS})
    VALUES (NEW.household_id, {values})
    ON CONFLICT (household_id) DO UPDATE SET {later};"""


_SQLITE_FOLLOW_UP_TRIGGERS = {
    "activity_follow_up_insert": (
        "CREATE TRIGGER activity_follow_up_insert AFTER INSERT ON activities "
        f"WHEN NEW.kind IN {_FOLLOW_UP_IN} BEGIN {_sqlite_follow_up_add()} END"
    ),
    "activity_follow_up_delete": (
        "CREATE TRIGGER activity_follow_up_delete AFTER DELETE ON activities "
        f"WHEN OLD.kind IN {_FOLLOW_UP_IN} BEGIN "
        f"{_sqlite_follow_up_recount('OLD.household_id')} END"
    ),
    "activity_follow_up_update": (
        'CREATE TRIGGER activity_follow_up_update AFTER UPDATE OF "on", kind, household_id '
        f"ON activities WHEN OLD.kind IN {_FOLLOW_UP_IN} OR NEW.kind IN {_FOLLOW_UP_IN} BEGIN "
        f"{_sqlite_follow_up_recount('OLD.household_id')} "
        f"{_sqlite_follow_up_recount('NEW.household_id')} END"
    ),
}

# -- PostgreSQL: statement triggers over transition tables --------------------------

_PG_GROUPED = f"""
    SELECT a."on" AS day, COALESCE(substr(h.region, 1, 6), '{_U}') AS region, a.kind,
           COALESCE(p.tier, '{_U}') AS tier, to_char(a."on", 'YYYY-MM') AS month, count(*) AS n
    FROM {{rows}} a
    LEFT JOIN households h ON h.household_id = a.household_id
    LEFT JOIN helpers p ON p.helper_id = a.helper_id
    GROUP BY 1, 2, 3, 4, 5"""

_PG_ADD = f"""
    INSERT INTO activity_tally (day, region, kind, tier, month, n)
    {_PG_GROUPED.format(rows="new_rows")}
    ON CONFLICT (month, region, kind, tier, day) DO UPDATE SET n = activity_tally.n + EXCLUDED.n;
    INSERT INTO activity_tally_month (month, region, kind, tier, n)
    SELECT month, region, kind, tier, sum(n) FROM ({_PG_GROUPED.format(rows="new_rows")}) g
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (month, region, kind, tier) DO UPDATE SET n = activity_tally_month.n + EXCLUDED.n;
    INSERT INTO activity_latest (household_id, kind, last_on)
    SELECT household_id, kind, max("on") FROM new_rows GROUP BY 1, 2
    ON CONFLICT (household_id, kind)
    DO UPDATE SET last_on = GREATEST(activity_latest.last_on, EXCLUDED.last_on);"""

_PG_REMOVE = f"""
    UPDATE activity_tally t SET n = t.n - g.n FROM ({_PG_GROUPED.format(rows="old_rows")}) g
    WHERE t.day = g.day AND t.region = g.region AND t.kind = g.kind AND t.tier = g.tier;
    DELETE FROM activity_tally WHERE n <= 0;
    UPDATE activity_tally_month t SET n = t.n - g.n FROM (
        SELECT month, region, kind, tier, sum(n) AS n
        FROM ({_PG_GROUPED.format(rows="old_rows")}) d GROUP BY 1, 2, 3, 4) g
    WHERE t.month = g.month AND t.region = g.region AND t.kind = g.kind AND t.tier = g.tier;
    DELETE FROM activity_tally_month WHERE n <= 0;
    DELETE FROM activity_latest l USING (SELECT DISTINCT household_id, kind FROM old_rows) o
    WHERE l.household_id = o.household_id AND l.kind = o.kind;
    INSERT INTO activity_latest (household_id, kind, last_on)
    SELECT a.household_id, a.kind, max(a."on") FROM activities a
    JOIN (SELECT DISTINCT household_id, kind FROM old_rows) o
      ON a.household_id = o.household_id AND a.kind = o.kind
    GROUP BY 1, 2
    ON CONFLICT (household_id, kind) DO UPDATE SET last_on = EXCLUDED.last_on;"""


_PG_ORDINAL = "(({}) - DATE '0001-01-01' + 1)"


def _pg_follow_up_days(source: str) -> str:
    day = _PG_ORDINAL.format(f'{source}."on"')
    return ", ".join(
        f"max(CASE WHEN {source}.kind = '{k}' THEN {day} END)" for k in FOLLOW_UP_KINDS
    )


_PG_FOLLOW_UP_ADD = f"""
    INSERT INTO activity_follow_up (household_id, {_FOLLOW_UP_COLUMNS})
    SELECT n.household_id, {_pg_follow_up_days("n")} FROM new_rows n
    WHERE n.kind IN {_FOLLOW_UP_IN} GROUP BY n.household_id
    ON CONFLICT (household_id) DO UPDATE SET {
    ", ".join(
        f"{k}_day = GREATEST(activity_follow_up.{k}_day, EXCLUDED.{k}_day)" for k in FOLLOW_UP_KINDS
    )
};"""

_PG_FOLLOW_UP_RECOUNT = f"""
    DELETE FROM activity_follow_up f
    USING (SELECT DISTINCT household_id FROM old_rows WHERE kind IN {_FOLLOW_UP_IN}) o
    WHERE f.household_id = o.household_id;
    INSERT INTO activity_follow_up (household_id, {_FOLLOW_UP_COLUMNS})
    SELECT a.household_id, {_pg_follow_up_days("a")} FROM activities a
    JOIN (SELECT DISTINCT household_id FROM old_rows WHERE kind IN {_FOLLOW_UP_IN}) o
      ON a.household_id = o.household_id
    WHERE a.kind IN {_FOLLOW_UP_IN} GROUP BY a.household_id
    ON CONFLICT (household_id) DO UPDATE SET {
    ", ".join(f"{k}_day = EXCLUDED.{k}_day" for k in FOLLOW_UP_KINDS)
};"""


def _pg_function(name: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN {body}\n RETURN NULL;\nEND $$"
    )


_PG_STATEMENTS = (
    _pg_function("activity_tally_insert", _PG_ADD),
    _pg_function("activity_tally_delete", _PG_REMOVE),
    _pg_function("activity_tally_update", _PG_REMOVE + _PG_ADD),
    "CREATE TRIGGER activity_tally_insert AFTER INSERT ON activities "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_tally_insert()",
    "CREATE TRIGGER activity_tally_delete AFTER DELETE ON activities "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_tally_delete()",
    "CREATE TRIGGER activity_tally_update AFTER UPDATE ON activities "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION activity_tally_update()",
)

_PG_FOLLOW_UP_STATEMENTS = (
    _pg_function("activity_follow_up_insert", _PG_FOLLOW_UP_ADD),
    _pg_function("activity_follow_up_delete", _PG_FOLLOW_UP_RECOUNT),
    _pg_function("activity_follow_up_update", _PG_FOLLOW_UP_RECOUNT + _PG_FOLLOW_UP_ADD),
    "CREATE TRIGGER activity_follow_up_insert AFTER INSERT ON activities "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION activity_follow_up_insert()",
    "CREATE TRIGGER activity_follow_up_delete AFTER DELETE ON activities "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION activity_follow_up_delete()",
    "CREATE TRIGGER activity_follow_up_update AFTER UPDATE ON activities "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION activity_follow_up_update()",
)


def create_tally_triggers(conn: Any) -> None:
    """Create the triggers that keep the tallies current (SQLite or PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        for statement in (
            *_PG_STATEMENTS,
            *_PG_FOLLOW_UP_STATEMENTS,
            *PAIRING_FOLLOW_UP_POSTGRESQL,
            *PAIRED_POSTGRESQL,
        ):
            conn.exec_driver_sql(statement)
    else:
        for statement in (
            *_SQLITE_TRIGGERS.values(),
            *_SQLITE_FOLLOW_UP_TRIGGERS.values(),
            *PAIRING_FOLLOW_UP_SQLITE.values(),
            *PAIRED_SQLITE.values(),
        ):
            conn.exec_driver_sql(statement)


def drop_tally_triggers(conn: Any) -> None:
    """Drop the tally triggers (and, on PostgreSQL, their functions): for a bulk load,
    followed by :func:`rebuild_tallies` and :func:`create_tally_triggers`."""
    on = dict.fromkeys((*_SQLITE_TRIGGERS, *_SQLITE_FOLLOW_UP_TRIGGERS), "activities")
    on.update(PAIRING_FOLLOW_UP_TRIGGERS)
    on.update(PAIRED_TRIGGERS)
    for name, table in on.items():
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


def create_cache_triggers(conn: Any) -> None:
    """Create the triggers that forget cached figures when a table they come from is written."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION report_cache_forget() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN DELETE FROM report_cache WHERE figure = ANY(TG_ARGV); RETURN NULL; END $$"
        )
        for table, figures in CACHE_SOURCES.items():
            names = ", ".join(f"'{f}'" for f in figures)
            conn.exec_driver_sql(
                f"CREATE TRIGGER report_cache_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION report_cache_forget({names})"
            )
        return
    for table, figures in CACHE_SOURCES.items():
        names = ", ".join(f"'{f}'" for f in figures)
        for event in ("INSERT", "UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER report_cache_{table}_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN DELETE FROM report_cache WHERE figure IN ({names}); END"
            )


def drop_cache_triggers(conn: Any) -> None:
    """Drop the triggers of :func:`create_cache_triggers` (and those of schema 0003)."""
    for table in CACHE_SOURCES:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS report_cache_{table} ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS report_cache_{table}_{event}")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS report_cache_forget()")
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS report_cache_clear()")


def rebuild_tallies(conn: Any) -> None:
    """Recount every trigger-kept table from the activities and pairings (set-based)."""
    a, h, p = ACTIVITIES, HOUSEHOLDS, HELPERS
    conn.execute(ACTIVITY_TALLY.delete())
    conn.execute(ACTIVITY_TALLY_MONTH.delete())
    conn.execute(ACTIVITY_LATEST.delete())
    region = sa.func.coalesce(sa.func.substr(h.c.region, 1, 6), _U)
    tier = sa.func.coalesce(p.c.tier, _U)
    month = _month(conn, a.c.on)
    grouped = (
        sa.select(a.c.on, region, a.c.kind, tier, month, sa.func.count())
        .select_from(
            a.outerjoin(h, h.c.household_id == a.c.household_id).outerjoin(
                p, p.c.helper_id == a.c.helper_id
            )
        )
        .group_by(a.c.on, region, a.c.kind, tier, month)
    )
    conn.execute(
        ACTIVITY_TALLY.insert().from_select(
            ["day", "region", "kind", "tier", "month", "n"], grouped
        )
    )
    t = ACTIVITY_TALLY
    monthly = sa.select(t.c.month, t.c.region, t.c.kind, t.c.tier, sa.func.sum(t.c.n)).group_by(
        t.c.month, t.c.region, t.c.kind, t.c.tier
    )
    conn.execute(
        ACTIVITY_TALLY_MONTH.insert().from_select(["month", "region", "kind", "tier", "n"], monthly)
    )
    latest = sa.select(a.c.household_id, a.c.kind, sa.func.max(a.c.on)).group_by(
        a.c.household_id, a.c.kind
    )
    conn.execute(ACTIVITY_LATEST.insert().from_select(["household_id", "kind", "last_on"], latest))
    recount_follow_up(conn)
    recount_paired(conn)


def recount_follow_up(conn: Any) -> None:
    """Refill ``activity_follow_up`` from the activity table (one ``GROUP BY``), then
    ``pairing_follow_up`` from it and the pairings."""
    a = ACTIVITIES
    conn.execute(ACTIVITY_FOLLOW_UP.delete())
    day = _ordinal(conn, a.c.on)
    days = [sa.func.max(sa.case((a.c.kind == kind, day))) for kind in FOLLOW_UP_KINDS]
    pivot = (
        sa.select(a.c.household_id, *days)
        .where(a.c.kind.in_(FOLLOW_UP_KINDS))
        .group_by(a.c.household_id)
    )
    conn.execute(
        ACTIVITY_FOLLOW_UP.insert().from_select([c.name for c in ACTIVITY_FOLLOW_UP.c], pivot)
    )
    recount_pairing_follow_up(conn)


def _month(conn: Any, column: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return sa.func.to_char(column, "YYYY-MM")
    return sa.func.substr(column, 1, 7)


def _ordinal(conn: Any, column: Any) -> Any:
    """``date.toordinal()`` of a date column, computed by the database."""
    if conn.dialect.name == "postgresql":
        return sa.cast(column - sa.literal(date(1, 1, 1)), sa.Integer) + 1
    return sa.cast(sa.func.julianday(column) - 1721424.5, sa.Integer)


def _county(column: Any) -> Any:
    return sa.func.coalesce(sa.func.substr(column, 1, 6), _U)


class SqlSource:
    """A :class:`~jieqin.reports.source.ReportSource` answering with SQL aggregates.

    Activity figures come from ``activity_tally``; the others are computed once per
    date range and kept in ``report_cache`` until a write to their tables empties it.
    """

    def __init__(self, conn: Any, *, cache: bool = True) -> None:
        self._conn = conn
        self._cache = cache

    def _rows(self, query: Any) -> list[Any]:
        return list(self._conn.execute(query))

    def _cached(
        self, figure: str, first: date, last: date, compute: Callable[[], list[list[Any]]]
    ) -> list[list[Any]]:
        """``compute()``'s rows, from the cache when they are there (JSON rows)."""
        if not self._cache:
            return compute()
        c = REPORT_CACHE.c
        where = sa.and_(c.first == first, c.last == last, c.figure == figure)
        payload = self._conn.execute(sa.select(c.payload).where(where)).scalar()
        if payload is not None:
            rows: list[list[Any]] = json.loads(payload)
            return rows
        rows = compute()
        from sqlalchemy.dialects import postgresql, sqlite

        values = {"first": first, "last": last, "figure": figure, "payload": json.dumps(rows)}
        dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        self._conn.execute(dialect.insert(REPORT_CACHE).values(values).on_conflict_do_nothing())
        return rows

    def helpers(self, first: date, last: date) -> dict[tuple[str, str], int]:
        rows = self._cached("helpers", first, last, lambda: self._helpers(first, last))
        return {(r, t): int(n) for r, t, n in rows}

    def households(self, first: date, last: date) -> dict[str, int]:
        rows = self._cached("households", first, last, lambda: self._households(first, last))
        return {r: int(n) for r, n in rows}

    def needs(self, first: date, last: date) -> dict[NeedKey, int]:
        rows = self._cached("needs", first, last, lambda: self._needs(first, last))
        return {(r, k, rt): int(c) for r, k, rt, c in rows}

    def referrals(self, first: date, last: date) -> dict[tuple[str, str], int]:
        rows = self._cached("referrals", first, last, lambda: self._referrals(first, last))
        return {(c, a): int(k) for c, a, k in rows}

    def grants(self, first: date, last: date) -> dict[GrantKey, tuple[int, Decimal]]:
        rows = self._cached("grants", first, last, lambda: self._grants(first, last))
        return {
            (r, pid, pn, f): (int(c), (Decimal(int(fen)) * FEN).quantize(FEN))
            for r, pid, pn, f, c, fen in rows
        }

    def activities(self, first: date, last: date) -> dict[ActivityKey, int]:
        months = (f"{first.year:04d}-{first.month:02d}", f"{last.year:04d}-{last.month:02d}")
        whole_months = first.day == 1 and (last + timedelta(days=1)).day == 1
        if whole_months:
            m = ACTIVITY_TALLY_MONTH
            query = sa.select(m.c.month, m.c.region, m.c.kind, m.c.tier, m.c.n).where(
                m.c.month.between(*months)
            )
        else:
            t = ACTIVITY_TALLY
            query = (
                sa.select(t.c.month, t.c.region, t.c.kind, t.c.tier, sa.func.sum(t.c.n))
                .where(t.c.month.between(*months), t.c.day.between(first, last))
                .group_by(t.c.month, t.c.region, t.c.kind, t.c.tier)
            )
        return {(m_, r, k, tr): int(n) for m_, r, k, tr, n in self._rows(query) if n}

    # -- the queries behind the cache ---------------------------------------------------

    def _helpers(self, first: date, last: date) -> list[list[Any]]:
        counts = paired_helpers(self._conn, first, last)
        return [[r, t, n] for (r, t), n in sorted(counts.items())]

    def _households(self, first: date, last: date) -> list[list[Any]]:
        return [[r, n] for r, n in sorted(paired_households(self._conn, first, last).items())]

    def _needs(self, first: date, last: date) -> list[list[Any]]:
        n, h = NEEDS, HOUSEHOLDS
        region, route = _county(h.c.region), sa.func.coalesce(n.c.route_kind, "unrouted")
        query = (
            sa.select(region, n.c.kind, route, sa.func.count())
            .select_from(n.outerjoin(h, h.c.household_id == n.c.household_id))
            .where(n.c.raised_on.between(first, last))
            .group_by(region, n.c.kind, route)
        )
        return [[r, k, rt, int(c)] for r, k, rt, c in self._rows(query)]

    def _referrals(self, first: date, last: date) -> list[list[Any]]:
        r, h = REFERRALS, HOUSEHOLDS
        region = _county(h.c.region)
        query = (
            sa.select(region, r.c.agency, sa.func.count())
            .select_from(r.outerjoin(h, h.c.household_id == r.c.household_id))
            .where(r.c.referred_on.between(first, last))
            .group_by(region, r.c.agency)
        )
        return [[c, a, int(k)] for c, a, k in self._rows(query)]

    def _grants(self, first: date, last: date) -> list[list[Any]]:
        g, p, h = GRANTS, PROGRAMS, HOUSEHOLDS
        region = _county(h.c.region)
        name = sa.func.coalesce(p.c.name, g.c.program_id)
        funder = sa.func.coalesce(p.c.funder, "")
        query = (
            sa.select(
                region, g.c.program_id, name, funder, sa.func.count(), sa.func.sum(g.c.amount_fen)
            )
            .select_from(
                g.outerjoin(p, p.c.program_id == g.c.program_id).outerjoin(
                    h, h.c.household_id == g.c.household_id
                )
            )
            .where(g.c.decided_on.between(first, last))
            .group_by(region, g.c.program_id, name, funder)
        )
        return [[r, pid, pn, f, int(c), int(fen)] for r, pid, pn, f, c, fen in self._rows(query)]


def latest_activity_day(conn: Any) -> date | None:
    """The day of the latest activity on record."""
    value = conn.execute(sa.select(sa.func.max(ACTIVITIES.c.on))).scalar()
    return value if isinstance(value, date) or value is None else date.fromisoformat(str(value))


def _household_flags(conn: Any, as_of: date) -> tuple[list[str], list[str], list[str]]:
    """Households with a major illness, with a disability, and under monitoring on ``as_of``.

    Each is read from an index alone (a few tens of thousands of ids in a million
    households), not from a scan of the members."""
    m, s = MEMBERS, STATUS_HISTORY
    # No DISTINCT: it would make SQLite walk a whole index in household order; a
    # household listed twice just sets its bit twice.
    ill = sa.select(m.c.household_id).where(
        m.c.health_condition == HealthCondition.MAJOR_ILLNESS.value
    )
    disabled = sa.select(m.c.household_id).where(m.c.disability_grade.is_not(None))
    later = s.alias("later")
    newer = (
        sa.select(sa.literal(1))
        .where(
            later.c.household_id == s.c.household_id,
            later.c.since > s.c.since,
            later.c.since <= as_of,
        )
        .exists()
    )
    monitored = sa.select(s.c.household_id).where(
        s.c.status.in_(sorted(str(x) for x in MONITORED_STATUSES)),
        s.c.since <= as_of,
        ~newer,
    )
    return _ids(conn, ill), _ids(conn, disabled), _ids(conn, monitored)


def _ids(conn: Any, query: Any) -> list[str]:
    """The ids ``query`` selects, fetched as one concatenated string."""
    rows = query.subquery("ids")
    text = conn.execute(sa.select(_concatenated(conn, rows.c[0], _ID_SEPARATOR))).scalar()
    return [] if text is None else str(text).split(_ID_SEPARATOR)


def sql_follow_up(conn: Any, as_of: date, kind_sets: Iterable[Iterable[str]]) -> FollowUpArrays:
    """Pairings in force on ``as_of`` with, per set of kinds, the latest activity day.

    One query over ``pairing_follow_up`` (every pairing with its household's latest
    day of each standing duty), read in its key order, household then helper, so
    there is no join and nothing to sort; any other kind joins ``activity_latest``.
    Each set of kinds (one per cadence: "any duty", "a visit") becomes one column,
    the greatest of its kinds' days, so a million pairings cross over as a few
    concatenated columns. For a day before the newest activity, the latest days up
    to it are first aggregated from the activities in one pivoting ``GROUP BY``.
    """
    sets = sorted({frozenset(s) for s in kind_sets}, key=sorted)
    kinds = sorted(set().union(*sets))
    pf = PAIRING_FOLLOW_UP
    newest = latest_activity_day(conn)
    current = newest is None or newest <= as_of
    joined: Any = pf
    day_of: dict[str, Any] = {}
    if current:
        for i, kind in enumerate(kinds):
            if kind in FOLLOW_UP_KINDS:
                day_of[kind] = sa.func.coalesce(pf.c[f"{kind}_day"], 0)
                continue
            latest = ACTIVITY_LATEST.alias(f"l{i}")
            joined = joined.outerjoin(
                latest, sa.and_(latest.c.household_id == pf.c.household_id, latest.c.kind == kind)
            )
            day_of[kind] = sa.func.coalesce(_ordinal(conn, latest.c.last_on), 0)
    elif kinds:
        a = ACTIVITIES
        day = _ordinal(conn, a.c.on)
        then = (
            sa.select(
                a.c.household_id,
                *(
                    sa.func.max(sa.case((a.c.kind == kind, day))).label(f"k{i}")
                    for i, kind in enumerate(kinds)
                ),
            )
            .where(a.c.on <= as_of, a.c.kind.in_(kinds))
            .group_by(a.c.household_id)
            .subquery("latest_then")
        )
        joined = joined.outerjoin(then, then.c.household_id == pf.c.household_id)
        day_of = {kind: sa.func.coalesce(then.c[f"k{i}"], 0) for i, kind in enumerate(kinds)}
    columns = [
        # The standing duties together (the default contact cadence) are kept reduced.
        sa.func.coalesce(pf.c.any_duty_day, 0)
        if current and s == set(FOLLOW_UP_KINDS)
        else _greatest(conn, [day_of[kind] for kind in sorted(s)])
        for s in sets
    ]
    query = (
        sa.select(pf.c.household_id, pf.c.helper_id, pf.c.start_day, *columns)
        .select_from(joined)
        .where(pf.c.start <= as_of, sa.or_(pf.c.end.is_(None), pf.c.end >= as_of))
        # The key's order: nothing to sort. Its collation may not be Python's
        # (PostgreSQL sorts by locale), so the order is checked, and put right if not.
        .order_by(pf.c.household_id, pf.c.helper_id)
    )
    households, helpers, numbers = _in_id_order(*_concatenated_columns(conn, query, 1 + len(sets)))
    return FollowUpArrays(
        helper_ids=helpers,
        household_ids=households,
        start=numbers[0],
        facts=_facts(households, *_household_flags(conn, as_of)),
        last_by_kinds={s: numbers[1 + i] for i, s in enumerate(sets)},
        in_id_order=True,
    )


def _greatest(conn: Any, values: list[Any]) -> Any:
    """The greatest of non-null SQL ``values`` (SQLite's ``max`` of several arguments)."""
    if len(values) == 1:
        return values[0]
    if conn.dialect.name == "postgresql":
        return sa.func.greatest(*values)
    return sa.func.max(*values)


Columns = tuple[list[str], list[str], list[npt.NDArray[np.int64]]]

#: Separates ids in a concatenated column (ids are letters, digits and ``_.:-``).
_ID_SEPARATOR = "\x1f"


def _concatenated_columns(conn: Any, query: Any, numbers: int) -> Columns:
    """The two id columns and ``numbers`` integer columns of ``query``, column-wise.

    The database concatenates each column into one string (``group_concat`` on
    SQLite, ``string_agg`` on PostgreSQL), which costs far less than a Python tuple
    per row and an object per cell: a million rows arrive as a few strings, split
    by ``str.split`` and parsed by numpy. No value may be ``NULL`` (the query
    coalesces them), or a column would come out short; the lengths are checked.
    """
    rows = query.subquery("follow_up_rows")
    texts = conn.execute(
        sa.select(
            _concatenated(conn, rows.c[0], _ID_SEPARATOR),
            _concatenated(conn, rows.c[1], _ID_SEPARATOR),
            *(_concatenated(conn, rows.c[2 + i], ",") for i in range(numbers)),
        )
    ).one()
    if texts[0] is None:
        return [], [], [np.zeros(0, dtype=np.int64) for _ in range(numbers)]
    first, second = texts[0].split(_ID_SEPARATOR), texts[1].split(_ID_SEPARATOR)
    parsed = [np.fromstring(str(t), dtype=np.int64, sep=",") for t in texts[2:]]
    if any(len(column) != len(first) for column in (second, *parsed)):
        raise StorageError("the follow-up columns came back with different lengths")
    return first, second, parsed


def _concatenated(conn: Any, column: Any, separator: str) -> Any:
    """SQL concatenating ``column`` over the rows, in their order, as one string."""
    if conn.dialect.name == "postgresql":
        return sa.func.string_agg(sa.cast(column, sa.Text), separator)
    return sa.func.group_concat(column, separator)


def _facts(
    households: list[str], ill: list[str], disabled: list[str], monitored: list[str]
) -> npt.NDArray[np.int64]:
    """:attr:`HouseholdFacts.bits` per row, set from the (small) flagged lists.

    The rows are in household order, so each flagged household's first row is found
    by bisection; a household's further rows (rare) copy its first."""
    facts = np.zeros(len(households), dtype=np.int64)
    n = len(households)
    for bit, flagged in ((1, ill), (2, disabled), (4, monitored)):
        found = map(bisect_left, repeat(households), flagged)
        rows = [i for i, h in zip(found, flagged, strict=True) if i < n and households[i] == h]
        facts[np.array(rows, dtype=np.int64)] |= bit
    for i in _repeats(households):
        facts[i + 1] = facts[i]
    return facts


def _in_id_order(
    households: list[str], helpers: list[str], numbers: list[npt.NDArray[np.int64]]
) -> Columns:
    """The rows sorted by household id, then helper id, as Python compares strings.

    They normally arrive so (checked in C, in a few hundredths of a second for a
    million rows); a database whose collation sorts otherwise costs a sort here."""
    if all(map(operator.le, households, islice(households, 1, None))) and all(
        helpers[i] <= helpers[i + 1] for i in _repeats(households)
    ):
        return households, helpers, numbers
    order = sorted(range(len(households)), key=lambda i: (households[i], helpers[i]))
    index = np.array(order, dtype=np.int64)
    return (
        [households[i] for i in order],
        [helpers[i] for i in order],
        [column[index] for column in numbers],
    )


def _repeats(households: list[str]) -> list[int]:
    """The rows whose household is also the next row's (none, usually: checked in C)."""
    if all(map(operator.ne, households, islice(households, 1, None))):
        return []
    return [i for i in range(len(households) - 1) if households[i] == households[i + 1]]
