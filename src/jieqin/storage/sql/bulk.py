"""Bulk writes at the speed of the driver: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

Rows arrive as tuples of database values in the order of a column list (or as dicts,
turned into such tuples). On SQLite they go straight to the driver's ``executemany``
(dates are adapted to ISO text by the driver adapter jieqin registers, JSON and
booleans are converted here); on PostgreSQL a batch of :data:`COPY_THRESHOLD` rows or
more is streamed with ``COPY ... FROM STDIN``, and an upsert copies into a temporary
table and merges with one ``INSERT ... SELECT ... ON CONFLICT DO UPDATE``.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

__all__ = [
    "COPY_THRESHOLD",
    "bulk_insert",
    "bulk_upsert",
    "insert_values",
    "register_sqlite_adapters",
    "upsert_values",
]

#: From this many rows on, PostgreSQL writes use COPY.
COPY_THRESHOLD = 500

Converter = Callable[[Any], Any]
Values = Sequence[tuple[Any, ...]]


def register_sqlite_adapters() -> None:
    """Dates go to SQLite as ISO text (what SQLAlchemy's ``Date`` reads back).

    Registered explicitly rather than relying on the driver's deprecated default.
    """
    sqlite3.register_adapter(date, date.isoformat)


#: ``json.dumps(value, ensure_ascii=False)``, with one encoder for every value (``dumps``
#: with an argument builds an encoder per call: a million decisions are three million).
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def _json_text(value: Any) -> Any:
    return None if value is None else _ENCODE(value)


def _bool_int(value: Any) -> Any:
    return None if value is None else int(value)


def _converters(
    table: sa.Table, columns: Sequence[str], *, sqlite_values: bool
) -> list[Converter | None]:
    converters: list[Converter | None] = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, sa.JSON):
            converters.append(_json_text)
        elif sqlite_values and isinstance(column_type, sa.Boolean):
            converters.append(_bool_int)
        else:
            converters.append(None)
    return converters


def _converted(values: Values, converters: Sequence[Converter | None]) -> Values:
    if not any(converters):
        return values
    indexed = [(i, conv) for i, conv in enumerate(converters) if conv is not None]
    out = []
    for row in values:
        items = list(row)
        for i, conv in indexed:
            items[i] = conv(items[i])
        out.append(tuple(items))
    return out


def _names(conn: sa.Connection, table: sa.Table, columns: Sequence[str]) -> tuple[str, str]:
    preparer = conn.dialect.identifier_preparer
    return preparer.format_table(table), ", ".join(preparer.quote(c) for c in columns)


def _copy(conn: sa.Connection, target: str, column_list: str, values: Values) -> None:
    driver = conn.connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {target} ({column_list}) FROM STDIN") as copy,
    ):
        for row in values:
            copy.write_row(row)


def insert_values(
    conn: sa.Connection, table: sa.Table, columns: Sequence[str], values: Values
) -> None:
    """Insert rows given as tuples in ``columns`` order, in the connection's transaction."""
    if not values:
        return
    dialect = conn.dialect.name
    target, column_list = _names(conn, table, columns)
    if dialect == "sqlite":
        rows = _converted(values, _converters(table, columns, sqlite_values=True))
        placeholders = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {target} ({column_list}) VALUES ({placeholders})"
        conn.exec_driver_sql(sql, list(rows))
    elif dialect == "postgresql" and len(values) >= COPY_THRESHOLD:
        rows = _converted(values, _converters(table, columns, sqlite_values=False))
        _copy(conn, target, column_list, rows)
    else:
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in values])


def upsert_values(
    conn: sa.Connection, table: sa.Table, columns: Sequence[str], values: Values
) -> None:
    """Insert rows; a row whose primary key is stored replaces the stored one."""
    if not values:
        return
    dialect = conn.dialect.name
    preparer = conn.dialect.identifier_preparer
    keys = [c.name for c in table.primary_key.columns]
    others = [c for c in columns if c not in keys]
    key_list = ", ".join(preparer.quote(k) for k in keys)
    if others:
        assignments = ", ".join(
            f"{preparer.quote(c)} = excluded.{preparer.quote(c)}" for c in others
        )
        conflict = f"ON CONFLICT ({key_list}) DO UPDATE SET {assignments}"
    else:
        conflict = f"ON CONFLICT ({key_list}) DO NOTHING"
    target, column_list = _names(conn, table, columns)
    if dialect == "sqlite":
        rows = _converted(values, _converters(table, columns, sqlite_values=True))
        placeholders = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {target} ({column_list}) VALUES ({placeholders}) {conflict}"
        conn.exec_driver_sql(sql, list(rows))
    elif dialect == "postgresql":
        rows = _converted(values, _converters(table, columns, sqlite_values=False))
        if len(rows) < COPY_THRESHOLD:
            placeholders = ", ".join("%s" for _ in columns)
            sql = f"INSERT INTO {target} ({column_list}) VALUES ({placeholders}) {conflict}"
            conn.exec_driver_sql(sql, list(rows))
            return
        staging = preparer.quote(f"jieqin_upsert_{secrets.token_hex(4)}")
        conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {staging} (LIKE {target} INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        try:
            _copy(conn, staging, column_list, rows)
            conn.exec_driver_sql(
                f"INSERT INTO {target} ({column_list}) SELECT {column_list} FROM {staging} "
                f"{conflict}"
            )
        finally:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {staging}")
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"upsert on {dialect}")


def _as_values(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    columns = list(rows[0])
    return columns, [tuple(row[c] for c in columns) for row in rows]


def bulk_insert(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows given as dicts with the same keys."""
    if rows:
        insert_values(conn, table, *_as_values(rows))


def bulk_upsert(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert rows given as dicts with the same keys."""
    if rows:
        upsert_values(conn, table, *_as_values(rows))
