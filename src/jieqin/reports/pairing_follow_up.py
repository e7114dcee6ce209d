"""Every pairing with its household's latest duty days: what the overdue scan reads.

``pairing_follow_up`` has one row per pairing (its ids, span and start as a day
number) carrying a copy of its household's row of ``activity_follow_up`` (the day
of the latest contact, visit, policy explanation, warmth and practical help). The
overdue scan of a million pairings then reads one table in key order, household
then helper, with no join and nothing to sort.

Triggers keep it current in the same transaction as the writes: on ``pairings``
(a row follows its pairing) and on ``activity_follow_up`` (the days follow the
household's activities, which that table's own triggers follow). A hypothesis test
proves it equal to the join it replaces.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from jieqin.model.vocab import ActivityKind
from jieqin.storage.sql.tables import ID, METADATA

__all__ = [
    "PAIRING_FOLLOW_UP",
    "PAIRING_FOLLOW_UP_POSTGRESQL",
    "PAIRING_FOLLOW_UP_SQLITE",
    "PAIRING_FOLLOW_UP_TRIGGERS",
    "recount_pairing_follow_up",
]

_KINDS = tuple(kind.value for kind in ActivityKind)
_DAYS = tuple(f"{kind}_day" for kind in _KINDS)

PAIRING_FOLLOW_UP = sa.Table(
    "pairing_follow_up",
    METADATA,
    sa.Column("household_id", ID, primary_key=True),
    sa.Column("helper_id", ID, primary_key=True),
    sa.Column("start", sa.Date, primary_key=True),
    sa.Column("end", sa.Date),
    sa.Column("start_day", sa.Integer, nullable=False),
    *(sa.Column(day, sa.Integer) for day in _DAYS),
    sa.Column("any_duty_day", sa.Integer),
    sqlite_with_rowid=False,
)
"""One row per pairing: its span, ``start_day`` (``date.toordinal()`` of its start),
its household's latest day of each standing duty and ``any_duty_day``, the latest
of them all (what the default contact cadence counts); ``NULL`` if none."""

_COLUMNS = ", ".join(('household_id, helper_id, start, "end", start_day', *_DAYS, "any_duty_day"))


def _latest(row: str, dialect: str) -> str:
    """SQL for the latest of ``row``'s five duty days (``NULL`` if none)."""
    days = ", ".join(f"{row}.{day}" for day in _DAYS)
    if dialect == "postgresql":
        return f"GREATEST({days})"  # ignores NULLs
    return f"NULLIF(max({', '.join(f'coalesce({row}.{day}, 0)' for day in _DAYS)}), 0)"


def _from_follow_up(dialect: str) -> str:
    return ", ".join((*(f"f.{day}" for day in _DAYS), _latest("f", dialect)))


def _sqlite_pair(row: str) -> str:
    start = f"CAST(julianday({row}.start) - 1721424.5 AS INTEGER)"
    return f"""
    INSERT INTO pairing_follow_up ({_COLUMNS})
    SELECT {row}.household_id, {row}.helper_id, {row}.start, {row}."end", {start},
           {_from_follow_up("sqlite")}
    FROM (SELECT 1) LEFT JOIN activity_follow_up f ON f.household_id = {row}.household_id;"""


def _sqlite_unpair(row: str) -> str:
    return f"""
    DELETE FROM pairing_follow_up WHERE household_id = {row}.household_id
    AND helper_id = {row}.helper_id AND start = {row}.start;"""


def _sqlite_days(row: str | None, household: str, only_if: str = "") -> str:
    values = ", ".join(f"{day} = {f'{row}.{day}' if row else 'NULL'}" for day in _DAYS)
    values += f", any_duty_day = {_latest(row, 'sqlite') if row else 'NULL'}"
    return f"""
    UPDATE pairing_follow_up SET {values} WHERE household_id = {household}{only_if};"""


PAIRING_FOLLOW_UP_SQLITE: dict[str, str] = {
    name: f"CREATE TRIGGER {name} {body}"
    for name, body in {
        "pairing_follow_up_pairings_insert": (
            f"AFTER INSERT ON pairings BEGIN {_sqlite_pair('NEW')} END"
        ),
        "pairing_follow_up_pairings_delete": (
            f"AFTER DELETE ON pairings BEGIN {_sqlite_unpair('OLD')} END"
        ),
        "pairing_follow_up_pairings_update": (
            'AFTER UPDATE OF helper_id, household_id, start, "end" ON pairings '
            f"BEGIN {_sqlite_unpair('OLD')} {_sqlite_pair('NEW')} END"
        ),
        "pairing_follow_up_days_insert": (
            "AFTER INSERT ON activity_follow_up "
            f"BEGIN {_sqlite_days('NEW', 'NEW.household_id')} END"
        ),
        "pairing_follow_up_days_update": (
            "AFTER UPDATE ON activity_follow_up "
            # The household's days change in place (its id, never in practice).
            "BEGIN "
            f"{_sqlite_days(None, 'OLD.household_id', ' AND OLD.household_id <> NEW.household_id')} "
            f"{_sqlite_days('NEW', 'NEW.household_id')} END"
        ),
        "pairing_follow_up_days_delete": (
            f"AFTER DELETE ON activity_follow_up BEGIN {_sqlite_days(None, 'OLD.household_id')} END"
        ),
    }.items()
}

#: The trigger names and their tables (on PostgreSQL each also names its function).
PAIRING_FOLLOW_UP_TRIGGERS: dict[str, str] = {
    name: "pairings" if "_pairings_" in name else "activity_follow_up"
    for name in PAIRING_FOLLOW_UP_SQLITE
}

_PG_PAIR = f"""
    INSERT INTO pairing_follow_up ({_COLUMNS})
    SELECT n.household_id, n.helper_id, n.start, n."end", n.start - DATE '0001-01-01' + 1,
           {_from_follow_up("postgresql")}
    FROM new_rows n LEFT JOIN activity_follow_up f ON f.household_id = n.household_id;"""

_PG_UNPAIR = """
    DELETE FROM pairing_follow_up t USING old_rows o WHERE t.household_id = o.household_id
    AND t.helper_id = o.helper_id AND t.start = o.start;"""

_PG_DAYS = f"""
    UPDATE pairing_follow_up t SET {", ".join(f"{day} = n.{day}" for day in _DAYS)},
    any_duty_day = {_latest("n", "postgresql")}
    FROM new_rows n WHERE t.household_id = n.household_id;"""

_NULLS = ", ".join(f"{day} = NULL" for day in (*_DAYS, "any_duty_day"))

_PG_NO_DAYS = f"""
    UPDATE pairing_follow_up t SET {_NULLS}
    FROM (SELECT DISTINCT household_id FROM old_rows) o WHERE t.household_id = o.household_id;"""

# An update: only households no longer in the table lose their days (none, in practice).
_PG_GONE_DAYS = f"""
    UPDATE pairing_follow_up t SET {_NULLS}
    FROM (SELECT household_id FROM old_rows EXCEPT SELECT household_id FROM new_rows) o
    WHERE t.household_id = o.household_id;"""


def _pg_statements() -> tuple[str, ...]:
    referencing = {
        "INSERT": "REFERENCING NEW TABLE AS new_rows",
        "DELETE": "REFERENCING OLD TABLE AS old_rows",
        "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }
    bodies = {
        ("pairings", "INSERT"): _PG_PAIR,
        ("pairings", "DELETE"): _PG_UNPAIR,
        ("pairings", "UPDATE"): _PG_UNPAIR + _PG_PAIR,
        ("activity_follow_up", "INSERT"): _PG_DAYS,
        ("activity_follow_up", "DELETE"): _PG_NO_DAYS,
        ("activity_follow_up", "UPDATE"): _PG_GONE_DAYS + _PG_DAYS,
    }
    statements: list[str] = []
    for (table, verb), body in bodies.items():
        short = "pairings" if table == "pairings" else "days"
        name = f"pairing_follow_up_{short}_{verb.lower()}"
        statements.append(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN {body}\n RETURN NULL;\nEND $$"
        )
        statements.append(
            f"CREATE TRIGGER {name} AFTER {verb} ON {table} {referencing[verb]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    return tuple(statements)


PAIRING_FOLLOW_UP_POSTGRESQL = _pg_statements()


def recount_pairing_follow_up(conn: Any) -> None:
    """Refill ``pairing_follow_up`` from the pairings and ``activity_follow_up``."""
    if conn.dialect.name == "postgresql":
        start = "p.start - DATE '0001-01-01' + 1"
    else:
        start = "CAST(julianday(p.start) - 1721424.5 AS INTEGER)"
    conn.exec_driver_sql("DELETE FROM pairing_follow_up")
    conn.exec_driver_sql(
        f"INSERT INTO pairing_follow_up ({_COLUMNS}) "
        f'SELECT p.household_id, p.helper_id, p.start, p."end", {start}, '
        f"{_from_follow_up(conn.dialect.name)} "
        "FROM pairings p LEFT JOIN activity_follow_up f ON f.household_id = p.household_id"
    )
