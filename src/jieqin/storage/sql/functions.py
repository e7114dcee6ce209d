"""SQL functions the two dialects spell differently, written once as Core constructs.

Each is a SQLAlchemy :class:`~sqlalchemy.sql.functions.FunctionElement` with a
compiler per dialect, so the read model's statements are written once in Core and
render as SQLite or PostgreSQL SQL. :func:`insert_for` gives the dialect's
``INSERT`` with ``ON CONFLICT``; :func:`run_many` runs a statement built once for
many parameter sets at the driver's speed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

__all__ = [
    "among",
    "concatenated",
    "day_number",
    "greatest",
    "insert_for",
    "month_of",
    "run_many",
]


class month_of(FunctionElement[str]):
    """``YYYY-MM`` of a date column."""

    type = sa.String()
    name = "month_of"
    inherit_cache = True


@compiles(month_of, "sqlite")
def _month_sqlite(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


@compiles(month_of, "postgresql")
def _month_postgresql(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


class day_number(FunctionElement[int]):
    """``date.toordinal()`` of a date column, computed by the database."""

    type = sa.Integer()
    name = "day_number"
    inherit_cache = True


@compiles(day_number, "sqlite")
def _day_sqlite(element: day_number, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 1721424.5 AS INTEGER)"


@compiles(day_number, "postgresql")
def _day_postgresql(element: day_number, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(({compiler.process(element.clauses, **kw)}) - DATE '0001-01-01' + 1)"


class concatenated(FunctionElement[str]):
    """A column's values over the rows, in their order, joined by a separator into one string."""

    type = sa.Text()
    name = "concatenated"
    inherit_cache = True


@compiles(concatenated, "sqlite")
def _concatenated_sqlite(element: concatenated, compiler: SQLCompiler, **kw: Any) -> str:
    column, separator = list(element.clauses)
    return f"group_concat({compiler.process(column, **kw)}, {compiler.process(separator, **kw)})"


@compiles(concatenated, "postgresql")
def _concatenated_postgresql(element: concatenated, compiler: SQLCompiler, **kw: Any) -> str:
    column, separator = list(element.clauses)
    return (
        f"string_agg(CAST({compiler.process(column, **kw)} AS TEXT), "
        f"{compiler.process(separator, **kw)})"
    )


def among(conn: sa.Connection, column: Any, values: Iterable[Any]) -> sa.ColumnElement[bool]:
    """``column IN (values)``, spelled for the dialect: on PostgreSQL ``= ANY(array)``
    with one bound array (thousands of separate parameters cost PostgreSQL more to
    bind and plan than the lookup itself); elsewhere an expanding ``IN``."""
    listed = list(values)
    if conn.dialect.name == "postgresql":
        array = sa.bindparam(None, listed, type_=postgresql.ARRAY(column.type))
        clause: sa.ColumnElement[bool] = column == sa.any_(array)
        return clause
    listed_in: sa.ColumnElement[bool] = column.in_(listed)
    return listed_in


def insert_for(conn: sa.Connection, table: sa.Table) -> Any:
    """The dialect's ``INSERT`` for ``table``, which offers ``on_conflict_do_update``."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class greatest(FunctionElement[int]):
    """The greatest of two or more non-null values (SQLite's many-argument ``max``)."""

    type = sa.Integer()
    name = "greatest"
    inherit_cache = True


@compiles(greatest, "sqlite")
def _greatest_sqlite(element: greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "postgresql")
def _greatest_postgresql(element: greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


class _Compiled(NamedTuple):
    sql: str
    names: tuple[str, ...] | None
    defaults: dict[str, Any]


_COMPILED: dict[tuple[Any, str], _Compiled] = {}


def run_many(conn: sa.Connection, statement: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Run ``statement`` (built once, at module level) for each parameter set in ``rows``.

    The statement is compiled once per dialect and its SQL handed to the driver's
    ``executemany`` with the rows as they are: SQLAlchemy's per-row parameter
    processing costs more than the database's work on a small upsert. So the values
    must be what the driver takes (text, integers, dates, ``None``) and every bound
    parameter without a value in the statement must be given in each row.
    """
    if not rows:
        return
    key = (statement, conn.dialect.name)
    compiled = _COMPILED.get(key)
    if compiled is None:
        done = statement.compile(dialect=conn.dialect)
        names = tuple(done.positiontup) if conn.dialect.positional else None
        defaults = {k: v for k, v in done.params.items() if v is not None}
        compiled = _COMPILED[key] = _Compiled(str(done), names, defaults)
    if compiled.names is not None:
        defaults, names = compiled.defaults, compiled.names
        values: list[Any] = [
            tuple(row[n] if n in row else defaults[n] for n in names) for row in rows
        ]
    else:
        values = [{**compiled.defaults, **row} for row in rows]
    conn.exec_driver_sql(compiled.sql, values)
