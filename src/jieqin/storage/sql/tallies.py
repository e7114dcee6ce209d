"""Dated tallies of activities, needs, referrals and grants: what the report sums.

``report_tally`` counts the rows of four tables per figure, day, household county
and two codes:

================  ===========  ==========  ==========================
figure            day          ``a``       ``b``
================  ===========  ==========  ==========================
``activities``    ``on``       kind        helper tier
``needs``         raised_on    kind        route kind (``unrouted``)
``referrals``     referred_on  agency      ``""``
``grants``        decided_on   programme   ``""`` (and ``amount_fen``)
================  ===========  ==========  ==========================

A year is a few hundred thousand rows however many activities there are, so the
annual report sums those instead of scanning the tables. The storage keeps the
tallies in the same transaction as the writes they follow, set-based: the
repositories call :func:`add` and :func:`remove` with the ids of a batch (its rows
counted by one ``GROUP BY`` joined to the current households and helpers), and
:func:`add_for` / :func:`remove_for` around a write that moves households to another
county or gives helpers another tier, so every figure follows the current county
and tier, as a recount from the rows would.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa

from jieqin.model.money import FEN
from jieqin.storage.sql.functions import insert_for, month_of
from jieqin.storage.sql.tables import (
    ACTIVITIES,
    CODE,
    GRANTS,
    HELPERS,
    HOUSEHOLDS,
    ID,
    METADATA,
    NEEDS,
    PROGRAMS,
    REFERRALS,
)

__all__ = [
    "FIGURES",
    "REPORT_TALLY",
    "UNKNOWN",
    "add",
    "add_for",
    "counts",
    "grants",
    "rebuild",
    "remove",
    "remove_for",
]

T = TypeVar("T")

#: The county (or tier) of a record whose household (or helper) is not stored.
UNKNOWN = "unknown"

#: Ids per ``IN (...)`` list: below every database's limit on bound parameters.
CHUNK = 5000

REPORT_TALLY = sa.Table(
    "report_tally",
    METADATA,
    sa.Column("figure", sa.String(16), primary_key=True),
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("county", sa.String(12), primary_key=True),
    sa.Column("a", ID, primary_key=True),
    sa.Column("b", CODE, primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
"""Rows counted per figure, month, day, county and two codes (see the module)."""


def _county(region: Any) -> Any:
    return sa.func.coalesce(sa.func.substr(region, 1, 6), UNKNOWN)


def _activities() -> tuple[sa.Table, Any, list[Any], Any]:
    a, h, p = ACTIVITIES, HOUSEHOLDS, HELPERS
    source = a.outerjoin(h, h.c.household_id == a.c.household_id).outerjoin(
        p, p.c.helper_id == a.c.helper_id
    )
    return (
        a,
        source,
        [a.c.on, _county(h.c.region), a.c.kind, sa.func.coalesce(p.c.tier, UNKNOWN)],
        None,
    )


def _needs() -> tuple[sa.Table, Any, list[Any], Any]:
    n, h = NEEDS, HOUSEHOLDS
    source = n.outerjoin(h, h.c.household_id == n.c.household_id)
    route = sa.func.coalesce(n.c.route_kind, "unrouted")
    return n, source, [n.c.raised_on, _county(h.c.region), n.c.kind, route], None


def _referrals() -> tuple[sa.Table, Any, list[Any], Any]:
    r, h = REFERRALS, HOUSEHOLDS
    source = r.outerjoin(h, h.c.household_id == r.c.household_id)
    return r, source, [r.c.referred_on, _county(h.c.region), r.c.agency, sa.literal("")], None


def _grants() -> tuple[sa.Table, Any, list[Any], Any]:
    g, h = GRANTS, HOUSEHOLDS
    source = g.outerjoin(h, h.c.household_id == g.c.household_id)
    keys = [g.c.decided_on, _county(h.c.region), g.c.program_id, sa.literal("")]
    return g, source, keys, g.c.amount_fen


#: Figure name -> (its table, the rows joined to what labels them, the key
#: expressions (day, county, a, b), the amount column or ``None``).
FIGURES = {
    "activities": _activities(),
    "needs": _needs(),
    "referrals": _referrals(),
    "grants": _grants(),
}


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _counted(figure: str, where: Any, sign: int) -> sa.Select[Any]:
    """The tally rows of ``figure`` for the rows ``where`` selects, times ``sign``."""
    _table, source, (day, county, a, b), amount = FIGURES[figure]
    total = sa.func.coalesce(sa.func.sum(amount), 0) if amount is not None else sa.literal(0)
    return (
        sa.select(
            sa.literal(figure),
            month_of(day),
            day,
            county,
            a,
            b,
            sa.func.count() * sign,
            total * sign,
        )
        .select_from(source)
        .where(where)
        .group_by(day, county, a, b)
    )


def _apply(conn: sa.Connection, rows: sa.Select[Any]) -> None:
    """Add the counted ``rows`` to the tally (they may be negative)."""
    t = REPORT_TALLY
    insert = insert_for(conn, t).from_select(
        ["figure", "month", "day", "county", "a", "b", "n", "amount_fen"], rows
    )
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=[c.name for c in t.primary_key.columns],
            set_={
                "n": t.c.n + insert.excluded.n,
                "amount_fen": t.c.amount_fen + insert.excluded.amount_fen,
            },
        )
    )


def _key_column(figure: str) -> Any:
    table = FIGURES[figure][0]
    return next(iter(table.primary_key.columns))


def add(conn: sa.Connection, figure: str, ids: Sequence[str]) -> None:
    """Count the stored rows of ``figure`` with these ids (just written)."""
    key = _key_column(figure)
    for chunk in _chunks(ids):
        _apply(conn, _counted(figure, key.in_(chunk), 1))


def remove(conn: sa.Connection, figure: str, ids: Sequence[str]) -> None:
    """Take the stored rows of ``figure`` with these ids off (before they change)."""
    key = _key_column(figure)
    for chunk in _chunks(ids):
        _apply(conn, _counted(figure, key.in_(chunk), -1))
    _drop_zeros(conn, figure)


def _owned_by(figure: str, column: str) -> Any:
    table = FIGURES[figure][0]
    return table.c.get(column, None)


def _for(conn: sa.Connection, column: str, ids: Sequence[str], sign: int) -> None:
    for figure in FIGURES:
        owner = _owned_by(figure, column)
        if owner is None:
            continue
        for chunk in _chunks(ids):
            _apply(conn, _counted(figure, owner.in_(chunk), sign))
        if sign < 0:
            _drop_zeros(conn, figure)


def remove_for(
    conn: sa.Connection, *, households: Sequence[str] = (), helpers: Sequence[str] = ()
) -> None:
    """Take off every counted row of these households (or helpers): before a write that
    moves them to another county (or tier)."""
    if households:
        _for(conn, "household_id", households, -1)
    if helpers:
        _for(conn, "helper_id", helpers, -1)


def add_for(
    conn: sa.Connection, *, households: Sequence[str] = (), helpers: Sequence[str] = ()
) -> None:
    """Count every row of these households (or helpers) again, under their new labels."""
    if households:
        _for(conn, "household_id", households, 1)
    if helpers:
        _for(conn, "helper_id", helpers, 1)


def _drop_zeros(conn: sa.Connection, figure: str) -> None:
    t = REPORT_TALLY
    conn.execute(t.delete().where(t.c.figure == figure, t.c.n == 0, t.c.amount_fen == 0))


def rebuild(conn: sa.Connection) -> None:
    """Count every figure again from its table (after a migration, or to repair)."""
    conn.execute(REPORT_TALLY.delete())
    for figure in FIGURES:
        _apply(conn, _counted(figure, sa.true(), 1))


def _in_range(figure: str, first: date, last: date) -> list[Any]:
    t = REPORT_TALLY
    months = (f"{first.year:04d}-{first.month:02d}", f"{last.year:04d}-{last.month:02d}")
    return [t.c.figure == figure, t.c.month.between(*months), t.c.day.between(first, last)]


def counts(
    conn: sa.Connection, figure: str, first: date, last: date, *, by_month: bool = False
) -> Iterable[tuple[Any, ...]]:
    """``(month?, county, a, b, n)`` of ``figure`` over ``first`` .. ``last``, non-zero."""
    t = REPORT_TALLY
    keys = [t.c.month] if by_month else []
    keys += [t.c.county, t.c.a, t.c.b]
    total = sa.func.sum(t.c.n)
    query = (
        sa.select(*keys, total)
        .where(*_in_range(figure, first, last))
        .group_by(*keys)
        .having(total != 0)
    )
    return conn.execute(query).all()


def grants(
    conn: sa.Connection, first: date, last: date
) -> dict[tuple[str, str, str, str], tuple[int, Decimal]]:
    """Grants over the range: (count, amount) by county, programme, its name and funder."""
    t, p = REPORT_TALLY, PROGRAMS
    name = sa.func.coalesce(p.c.name, t.c.a)
    funder = sa.func.coalesce(p.c.funder, "")
    total = sa.func.sum(t.c.n)
    query = (
        sa.select(t.c.county, t.c.a, name, funder, total, sa.func.sum(t.c.amount_fen))
        .select_from(t.outerjoin(p, p.c.program_id == t.c.a))
        .where(*_in_range("grants", first, last))
        .group_by(t.c.county, t.c.a, name, funder)
        .having(total != 0)
    )
    return {
        (county, program, program_name, program_funder): (
            int(n),
            (Decimal(int(fen)) * FEN).quantize(FEN),
        )
        for county, program, program_name, program_funder, n, fen in conn.execute(query)
    }
