"""Who was paired during a period, counted without scanning the pairings.

A report counts the households (by county) and the helpers (by county and tier)
with a pairing in force on at least one day of the period. Scanning a million
pairings and looking up each one's county takes seconds, so each side keeps three
tables, current through database triggers in the same transaction as every write
to ``pairings`` (and to ``households`` or ``helpers``, for the county and tier):

- the **span**, one row per household (helper): the first day of its first pairing
  and the last day of its last (``NULL`` while one has no end), with its county;
- the **gaps**, one row per stretch of days inside the span when it had no pairing
  in force (rare: paired, unpaired a while, paired again);
- the **tally**: the spans counted per county (and tier), first and last day.
  Pairings start and end in batches, so a million spans make a few thousand rows.

A household was paired during ``[first, last]`` exactly when its span overlaps the
period and no gap covers the whole period, so the count per county is the tallied
spans overlapping minus the gaps covering: two small scans, no join. A hypothesis
test proves the counts equal a scan of the pairings, and the tables a recount.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import sqlalchemy as sa

from jieqin.reports.python_source import UNKNOWN_REGION
from jieqin.storage.sql.tables import CODE, ID, METADATA

__all__ = [
    "OPEN",
    "PAIRED_HELPERS",
    "PAIRED_HELPER_GAPS",
    "PAIRED_HELPER_TALLY",
    "PAIRED_HOUSEHOLDS",
    "PAIRED_HOUSEHOLD_GAPS",
    "PAIRED_HOUSEHOLD_TALLY",
    "PAIRED_POSTGRESQL",
    "PAIRED_SQLITE",
    "PAIRED_TRIGGERS",
    "paired_helpers",
    "paired_households",
    "recount_paired",
]

_U = UNKNOWN_REGION
COUNTY = sa.String(12)

PAIRED_HOUSEHOLDS = sa.Table(
    "paired_households",
    METADATA,
    sa.Column("household_id", ID, primary_key=True),
    sa.Column("county", COUNTY, nullable=False),
    sa.Column("first_day", sa.Date, nullable=False),
    sa.Column("last_day", sa.Date),
    sqlite_with_rowid=False,
)
"""Per household: first and last day paired (``last_day`` ``NULL``: no end yet)."""

PAIRED_HOUSEHOLD_GAPS = sa.Table(
    "paired_household_gaps",
    METADATA,
    sa.Column("household_id", ID, primary_key=True),
    sa.Column("first_day", sa.Date, primary_key=True),
    sa.Column("last_day", sa.Date, nullable=False),
    sa.Column("county", COUNTY, nullable=False),
    sqlite_with_rowid=False,
)
"""Stretches inside a household's span with no pairing in force."""

PAIRED_HELPERS = sa.Table(
    "paired_helpers",
    METADATA,
    sa.Column("helper_id", ID, primary_key=True),
    sa.Column("county", COUNTY, nullable=False),
    sa.Column("tier", CODE, nullable=False),
    sa.Column("first_day", sa.Date, nullable=False),
    sa.Column("last_day", sa.Date),
    sqlite_with_rowid=False,
)
"""Per helper: first and last day paired, with the helper's county and tier."""

PAIRED_HELPER_GAPS = sa.Table(
    "paired_helper_gaps",
    METADATA,
    sa.Column("helper_id", ID, primary_key=True),
    sa.Column("first_day", sa.Date, primary_key=True),
    sa.Column("last_day", sa.Date, nullable=False),
    sa.Column("county", COUNTY, nullable=False),
    sa.Column("tier", CODE, nullable=False),
    sqlite_with_rowid=False,
)
"""Stretches inside a helper's span with no pairing in force."""

#: The ``last_day`` of a span with no end, in the tallies (a key cannot hold ``NULL``).
OPEN = "9999-12-31"

PAIRED_HOUSEHOLD_TALLY = sa.Table(
    "paired_household_tally",
    METADATA,
    sa.Column("county", COUNTY, primary_key=True),
    sa.Column("first_day", sa.Date, primary_key=True),
    sa.Column("last_day", sa.Date, primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
"""Household spans counted per (county, first day, last day; ``OPEN`` for none):
pairings start and end in batches, so a million spans are a few thousand rows."""

PAIRED_HELPER_TALLY = sa.Table(
    "paired_helper_tally",
    METADATA,
    sa.Column("county", COUNTY, primary_key=True),
    sa.Column("tier", CODE, primary_key=True),
    sa.Column("first_day", sa.Date, primary_key=True),
    sa.Column("last_day", sa.Date, primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
"""Helper spans counted per (county, tier, first day, last day)."""


class _Side:
    """One side of the pairings (households or helpers): its tables and attributes."""

    def __init__(self, key: str, source: str, region: str, extra: tuple[str, ...]) -> None:
        self.key, self.source, self.region, self.extra = key, source, region, extra
        self.table = f"paired_{source}"
        self.gaps = f"paired_{source[:-1]}_gaps"
        self.tally = f"paired_{source[:-1]}_tally"
        self.labels = ("county", *extra)
        self.tally_key = (*self.labels, "first_day", "last_day")

    def lookups(self, x: str) -> list[str]:
        """SQL for the county (and tier) of the household or helper whose id is ``x``."""
        where = f"FROM {self.source} WHERE {self.key} = {x}"
        county = f"COALESCE((SELECT substr({self.region}, 1, 6) {where}), '{_U}')"
        return [county, *(f"COALESCE((SELECT {c} {where}), '{_U}')" for c in self.extra)]


HOUSEHOLDS = _Side("household_id", "households", "region", ())
HELPERS = _Side("helper_id", "helpers", "home_region", ("tier",))
SIDES = (HOUSEHOLDS, HELPERS)

# -- SQLite: row triggers recount the span and gaps of the ids a write touched --------


def _sqlite_recount(side: _Side, x: str) -> str:
    """Recount the span and gaps of the household or helper ``x`` from its pairings.

    A gap opens before a pairing that starts more than a day after every earlier one
    has ended (its *reach*: the latest end among the pairings before it)."""
    values = side.lookups(x)
    labels = ", ".join(side.labels)
    reach = (
        f"max(coalesce(\"end\", '{OPEN}')) OVER "
        "(ORDER BY start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    )
    return f"""
    DELETE FROM {side.table} WHERE {side.key} = {x};
    DELETE FROM {side.gaps} WHERE {side.key} = {x};
    INSERT INTO {side.table} ({side.key}, {labels}, first_day, last_day)
    SELECT {x}, {", ".join(values)}, min(start),
           CASE WHEN count("end") < count(*) THEN NULL ELSE max("end") END
    FROM pairings WHERE {side.key} = {x} GROUP BY {side.key};
    INSERT INTO {side.gaps} ({side.key}, first_day, last_day, {labels})
    SELECT {x}, date(reach, '+1 day'), date(start, '-1 day'), {", ".join(values)}
    FROM (SELECT start, {reach} AS reach FROM pairings WHERE {side.key} = {x})
    WHERE reach < date(start, '-1 day');"""


def _sqlite_relabel(side: _Side, x: str) -> str:
    sets = ", ".join(
        f"{label} = {value}" for label, value in zip(side.labels, side.lookups(x), strict=True)
    )
    return f"""
    UPDATE {side.table} SET {sets} WHERE {side.key} = {x};
    UPDATE {side.gaps} SET {sets} WHERE {side.key} = {x};"""


def _sqlite_count(side: _Side, row: str, *, add: bool) -> str:
    """Count span ``row`` in its tally row (``add``), or take it off and drop the row at zero."""
    values = [f"{row}.{c}" for c in side.tally_key[:-1]] + [f"coalesce({row}.last_day, '{OPEN}')"]
    key = " AND ".join(f"{c} = {v}" for c, v in zip(side.tally_key, values, strict=True))
    if add:
        return f"""
    INSERT INTO {side.tally} ({", ".join(side.tally_key)}, n) VALUES ({", ".join(values)}, 1)
    ON CONFLICT ({", ".join(side.tally_key)}) DO UPDATE SET n = n + 1;"""
    return f"""
    UPDATE {side.tally} SET n = n - 1 WHERE {key};
    DELETE FROM {side.tally} WHERE {key} AND n <= 0;"""


def _row_events(
    prefix: str, table: str, new: str, old: str, columns: str = ""
) -> dict[str, tuple[str, str]]:
    """Insert, delete and update triggers on ``table`` running ``new`` for a new row and
    ``old`` for a removed one (an update: both, after a change to ``columns`` if given)."""
    of = f" OF {columns}" if columns else ""
    return {
        f"{prefix}_insert": (table, f"AFTER INSERT ON {table} BEGIN {new} END"),
        f"{prefix}_delete": (table, f"AFTER DELETE ON {table} BEGIN {old} END"),
        f"{prefix}_update": (table, f"AFTER UPDATE{of} ON {table} BEGIN {old} {new} END"),
    }


def _sqlite_triggers() -> dict[str, tuple[str, str]]:
    """Trigger name: (table, ``CREATE TRIGGER`` statement)."""
    both = {
        row: "".join(_sqlite_recount(side, f"{row}.{side.key}") for side in SIDES)
        for row in ("NEW", "OLD")
    }
    triggers = {
        "paired_pairings_insert": ("pairings", f"AFTER INSERT ON pairings BEGIN {both['NEW']} END"),
        "paired_pairings_delete": ("pairings", f"AFTER DELETE ON pairings BEGIN {both['OLD']} END"),
        "paired_pairings_update": (
            "pairings",
            'AFTER UPDATE OF helper_id, household_id, start, "end" ON pairings '
            f"BEGIN {both['OLD']} {both['NEW']} END",
        ),
    }
    for side in SIDES:
        columns = ", ".join((side.key, side.region, *side.extra))
        new, old = (
            _sqlite_relabel(side, f"NEW.{side.key}"),
            _sqlite_relabel(side, f"OLD.{side.key}"),
        )
        triggers.update(
            _row_events(f"paired_relabel_{side.source}", side.source, new, old, columns)
        )
        add, remove = _sqlite_count(side, "NEW", add=True), _sqlite_count(side, "OLD", add=False)
        triggers.update(_row_events(f"paired_tally_{side.source}", side.table, add, remove))
    return {
        name: (table, f"CREATE TRIGGER {name} {body}") for name, (table, body) in triggers.items()
    }


_SQLITE_TRIGGERS = _sqlite_triggers()

#: The SQLite triggers, by name.
PAIRED_SQLITE: dict[str, str] = {name: sql for name, (_, sql) in _SQLITE_TRIGGERS.items()}

#: The trigger names and their tables (on PostgreSQL each also names its function).
PAIRED_TRIGGERS: dict[str, str] = {name: table for name, (table, _) in _SQLITE_TRIGGERS.items()}


# -- PostgreSQL: statement triggers over transition tables ---------------------------


def _labelled(side: _Side) -> tuple[str, list[str]]:
    """The join that brings each pairing its side's row, and the label expressions."""
    values = [
        f"COALESCE(substr(s.{side.region}, 1, 6), '{_U}')",
        *(f"COALESCE(s.{c}, '{_U}')" for c in side.extra),
    ]
    return f"LEFT JOIN {side.source} s ON s.{side.key} = p.{side.key}", values


def _set_recount(side: _Side, ids: str | None, dialect: str) -> list[str]:
    """Statements recounting, set-based, the spans and gaps of the ids ``ids`` selects
    (a query; ``None``: every id with a pairing, into emptied tables)."""
    labels = ", ".join(side.labels)
    source, values = _labelled(side)
    postgresql = dialect == "postgresql"
    open_end = f"DATE '{OPEN}'" if postgresql else f"'{OPEN}'"
    reach = (
        f'max(coalesce(p."end", {open_end})) OVER '
        f"(PARTITION BY p.{side.key} ORDER BY p.start "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    )
    named = ", ".join(f"{v} AS {label}" for label, v in zip(side.labels, values, strict=True))
    where = f" WHERE p.{side.key} IN ({ids})" if ids is not None else ""
    # PostgreSQL wants the labels grouped too; SQLite takes them as they come.
    grouped = f"p.{side.key}, {', '.join(values)}" if postgresql else f"p.{side.key}"
    after, before = (
        ("reach + 1", "start - 1")
        if postgresql
        else (
            "date(reach, '+1 day')",
            "date(start, '-1 day')",
        )
    )
    statements = [
        f"INSERT INTO {side.table} ({side.key}, {labels}, first_day, last_day) "
        f"SELECT p.{side.key}, {', '.join(values)}, min(p.start), "
        'CASE WHEN count(p."end") < count(*) THEN NULL ELSE max(p."end") END '
        f"FROM pairings p {source}{where} GROUP BY {grouped}",
        f"INSERT INTO {side.gaps} ({side.key}, first_day, last_day, {labels}) "
        f"SELECT {side.key}, {after}, {before}, {labels} "
        f"FROM (SELECT p.{side.key}, p.start, {reach} AS reach, {named} "
        f"FROM pairings p {source}{where}){' g' if postgresql else ''} "
        f"WHERE reach < {before}",
    ]
    if ids is None:
        return statements
    return [
        f"DELETE FROM {side.table} WHERE {side.key} IN ({ids})",
        f"DELETE FROM {side.gaps} WHERE {side.key} IN ({ids})",
        *statements,
    ]


def _pg_relabel(side: _Side, rows: str) -> str:
    sets = [
        f"county = COALESCE(substr(s.{side.region}, 1, 6), '{_U}')",
        *(f"{c} = COALESCE(s.{c}, '{_U}')" for c in side.extra),
    ]
    statements = []
    for table in (side.table, side.gaps):
        statements.append(
            f"UPDATE {table} t SET {', '.join(sets)} "
            f"FROM (SELECT DISTINCT {side.key} FROM {rows}) r "
            f"LEFT JOIN {side.source} s ON s.{side.key} = r.{side.key} "
            f"WHERE t.{side.key} = r.{side.key};"
        )
    return "\n    ".join(statements)


def _pg_function(name: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN {body}\n RETURN NULL;\nEND $$"
    )


def _pg_statements() -> tuple[str, ...]:
    def ids(side: _Side, *tables: str) -> str:
        return " UNION ".join(f"SELECT {side.key} FROM {t}" for t in tables)

    events = {
        "insert": ("INSERT", ("new_rows",), "REFERENCING NEW TABLE AS new_rows"),
        "delete": ("DELETE", ("old_rows",), "REFERENCING OLD TABLE AS old_rows"),
        "update": (
            "UPDATE",
            ("old_rows", "new_rows"),
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        ),
    }
    statements: list[str] = []
    for event, (verb, tables, referencing) in events.items():
        name = f"paired_pairings_{event}"
        body = "".join(
            f"\n    {statement};"
            for side in SIDES
            for statement in _set_recount(side, ids(side, *tables), "postgresql")
        )
        statements.append(_pg_function(name, body))
        statements.append(
            f"CREATE TRIGGER {name} AFTER {verb} ON pairings {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    for side in SIDES:
        for event, (verb, tables, referencing) in events.items():
            name = f"paired_relabel_{side.source}_{event}"
            body = "".join(_pg_relabel(side, t) for t in tables)
            statements.append(_pg_function(name, body))
            statements.append(
                f"CREATE TRIGGER {name} AFTER {verb} ON {side.source} {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
    for side in SIDES:
        for event, (verb, tables, referencing) in events.items():
            name = f"paired_tally_{side.source}_{event}"
            # Old spans leave the tally before new ones join it.
            body = "".join(_pg_count(side, t) for t in sorted(tables, reverse=True))
            statements.append(_pg_function(name, body))
            statements.append(
                f"CREATE TRIGGER {name} AFTER {verb} ON {side.table} {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
    return tuple(statements)


def _pg_count(side: _Side, rows: str) -> str:
    """Add the spans in ``rows`` (``new_rows``) to the tally, or take them (``old_rows``) off."""
    key = ", ".join(side.tally_key)
    labels = ", ".join(side.labels)
    grouped = (
        f"SELECT {labels}, first_day, coalesce(last_day, DATE '{OPEN}') AS last_day, "
        f"count(*) AS n FROM {rows} "
        f"GROUP BY {labels}, first_day, coalesce(last_day, DATE '{OPEN}')"
    )
    if rows == "new_rows":
        return f"""
    INSERT INTO {side.tally} ({key}, n) {grouped}
    ON CONFLICT ({key}) DO UPDATE SET n = {side.tally}.n + EXCLUDED.n;"""
    match = " AND ".join(f"t.{c} = g.{c}" for c in side.tally_key)
    return f"""
    UPDATE {side.tally} t SET n = t.n - g.n FROM ({grouped}) g WHERE {match};
    DELETE FROM {side.tally} t USING ({grouped}) g WHERE {match} AND t.n <= 0;"""


PAIRED_POSTGRESQL = _pg_statements()


def recount_paired(conn: Any) -> None:
    """Refill the span, gap and tally tables of both sides from ``pairings`` (set-based)."""
    for side in SIDES:
        _recount_spans(conn, side)
        # After the spans: with the tally triggers in place, their writes moved it too.
        key = ", ".join(side.tally_key)
        conn.exec_driver_sql(f"DELETE FROM {side.tally}")
        conn.exec_driver_sql(
            f"INSERT INTO {side.tally} ({key}, n) "
            f"SELECT {', '.join(side.labels)}, first_day, coalesce(last_day, '{OPEN}'), count(*) "
            f"FROM {side.table} GROUP BY {', '.join(side.labels)}, first_day, "
            f"coalesce(last_day, '{OPEN}')"
        )


def _recount_spans(conn: Any, side: _Side) -> None:
    conn.exec_driver_sql(f"DELETE FROM {side.table}")
    conn.exec_driver_sql(f"DELETE FROM {side.gaps}")
    # PostgreSQL: the triggers' own recount, over every id at once.
    ids = f"SELECT {side.key} FROM pairings" if conn.dialect.name == "postgresql" else None
    for statement in _set_recount(side, ids, conn.dialect.name)[2 if ids else 0 :]:
        conn.exec_driver_sql(statement)


def _counts(
    conn: Any, tally: sa.Table, gaps: sa.Table, first: date, last: date
) -> Counter[tuple[str, ...]]:
    """Spans overlapping ``[first, last]`` minus gaps covering it, per label."""
    labels = [c for c in ("county", "tier") if c in tally.c]
    overlapping = (
        sa.select(*(tally.c[c] for c in labels), sa.func.sum(tally.c.n))
        .where(tally.c.first_day <= last, tally.c.last_day >= first)
        .group_by(*(tally.c[c] for c in labels))
    )
    covering = (
        sa.select(*(gaps.c[c] for c in labels), sa.func.count())
        .where(gaps.c.first_day <= first, gaps.c.last_day >= last)
        .group_by(*(gaps.c[c] for c in labels))
    )
    counts: Counter[tuple[str, ...]] = Counter()
    for *key, n in conn.execute(overlapping):
        counts[tuple(key)] += int(n)
    for *key, n in conn.execute(covering):
        counts[tuple(key)] -= int(n)
    return +counts  # drops the groups left at zero


def paired_households(conn: Any, first: date, last: date) -> dict[str, int]:
    """Households with a pairing in force on some day of ``[first, last]``, by county."""
    counts = _counts(conn, PAIRED_HOUSEHOLD_TALLY, PAIRED_HOUSEHOLD_GAPS, first, last)
    return {county: n for (county,), n in counts.items()}


def paired_helpers(conn: Any, first: date, last: date) -> dict[tuple[str, str], int]:
    """Helpers with a pairing in force on some day of ``[first, last]``, by county and tier."""
    counts = _counts(conn, PAIRED_HELPER_TALLY, PAIRED_HELPER_GAPS, first, last)
    return {(county, tier): n for (county, tier), n in counts.items()}
