"""Bulk writes at the speed of the driver: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

Rows arrive as dicts of database values (from :mod:`.mappers`), all with the same keys.
On SQLite they go straight to the driver's ``executemany`` with dates and JSON
already turned into text, skipping per-value processing; on PostgreSQL a batch of
:data:`COPY_THRESHOLD` rows or more is streamed with ``COPY ... FROM STDIN``; other
dialects use SQLAlchemy's ``insertmanyvalues``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

__all__ = ["COPY_THRESHOLD", "bulk_insert", "bulk_upsert"]

#: From this many rows on, PostgreSQL inserts use COPY.
COPY_THRESHOLD = 500

Converter = Callable[[Any], Any]


def _json_text(value: Any) -> Any:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _date_text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _bool_int(value: Any) -> Any:
    return None if value is None else int(value)


def _converters(table: sa.Table, columns: Sequence[str], *, dates: bool) -> list[Converter | None]:
    converters: list[Converter | None] = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, sa.JSON):
            converters.append(_json_text)
        elif dates and isinstance(column_type, sa.Date):
            converters.append(_date_text)
        elif dates and isinstance(column_type, sa.Boolean):
            converters.append(_bool_int)
        else:
            converters.append(None)
    return converters


def _tuples(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], converters: Sequence[Converter | None]
) -> list[tuple[Any, ...]]:
    if not any(converters):
        return [tuple(row[c] for c in columns) for row in rows]
    pairs = list(zip(columns, converters, strict=True))
    return [tuple(conv(row[c]) if conv else row[c] for c, conv in pairs) for row in rows]


def bulk_insert(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``table`` in one batch, in the connection's transaction."""
    if not rows:
        return
    dialect = conn.dialect.name
    columns = list(rows[0])
    if dialect == "sqlite":
        quote = conn.dialect.identifier_preparer.quote
        sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        data = _tuples(rows, columns, _converters(table, columns, dates=True))
        conn.exec_driver_sql(sql, data)
    elif dialect == "postgresql" and len(rows) >= COPY_THRESHOLD:
        _copy(conn, table, rows, columns)
    else:
        conn.execute(table.insert(), list(rows))


def _copy(
    conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]], columns: list[str]
) -> None:
    preparer = conn.dialect.identifier_preparer
    sql = (
        f"COPY {preparer.format_table(table)} ({', '.join(preparer.quote(c) for c in columns)}) "
        "FROM STDIN"
    )
    converters = _converters(table, columns, dates=False)
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(sql) as copy:
        for row in _tuples(rows, columns, converters):
            copy.write_row(row)


def bulk_upsert(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows``; a row whose primary key exists replaces the stored one."""
    if not rows:
        return
    dialect = conn.dialect.name
    keys = [c.name for c in table.primary_key.columns]
    stmt: Any
    if dialect == "sqlite":
        stmt = sqlite.insert(table)
    elif dialect == "postgresql":
        stmt = postgresql.insert(table)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"upsert on {dialect}")
    others = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
    if others:
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_=others)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    conn.execute(stmt, list(rows))
