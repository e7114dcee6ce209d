"""Monthly tallies of activities, needs, referrals and grants: what the report sums.

``report_tally`` counts the rows of four tables per figure, month, county and two
codes:

================  ===========  ==========  ==========================
figure            dated by     ``a``       ``b``
================  ===========  ==========  ==========================
``activities``    ``on``       kind        helper tier
``needs``         raised_on    kind        route kind (``unrouted``)
``referrals``     referred_on  agency      ``""``
``grants``        decided_on   programme   payment state (and ``amount_fen``)
================  ===========  ==========  ==========================

Only records in force are counted: a voided activity (``voided_on`` set) and a
revoked grant (``revoked_on`` set) count nowhere (:data:`COUNTED`, and each figure's ``counted`` clause for the rows).
A grant's payment state is ``unpaid``, ``paid`` or ``returned``
(:class:`~jieqin.model.payments.PaymentState`); recording a payment replaces the
grant, so it moves from one state's row to the other's in the same write.

A year is a few ten thousand rows however many activities there are, and every
report period (a year, a quarter, a month) is whole months, so a report reads no row
of the counted tables. Days outside whole months (a range from the 10th) are counted
from the rows themselves, by the same ``GROUP BY`` that :func:`rebuild` runs.

The storage keeps the tally in the same transaction as the writes it follows, and
counts every record under its household's county (and helper's tier) as stored now,
the labels a recount from the rows would give. A batch of records written (or
replaced) reads those labels in one query each, is summed in Python by month,
county and codes, and the sums are applied by one prepared ``INSERT ... ON
CONFLICT`` run once for all of them (``executemany``); a few records (one activity
logged) go to an upsert that looks their labels up itself. A write that moves
households to another county or gives helpers another tier takes their rows off
before (:func:`remove_for`) and counts them again after (:func:`add_for`), by a
``GROUP BY`` over their rows. A row that falls to zero stays (the keys are bounded;
the report skips it); :func:`rebuild` counts everything again from the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from jieqin.model import Activity, Grant, Need, Referral
from jieqin.model.money import FEN
from jieqin.model.payments import PaymentState
from jieqin.storage.sql.functions import among, month_of, run_many
from jieqin.storage.sql.mappers import to_fen
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
    "COUNTED",
    "FIGURES",
    "REPORT_TALLY",
    "UNKNOWN",
    "Entry",
    "add_for",
    "count",
    "counts",
    "entries",
    "grants",
    "payments",
    "rebuild",
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
    sa.Column("county", sa.String(12), primary_key=True),
    sa.Column("a", ID, primary_key=True),
    sa.Column("b", CODE, primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
"""Rows counted per figure, month (``YYYY-MM``), county and two codes (see the module)."""


# -- what each record counts as ---------------------------------------------------------


class Entry(NamedTuple):
    """What one record adds to a figure: its day, the household and helper whose county
    and tier label it (``helper_id`` ``None``: ``b`` is given), its codes and amount."""

    day: date
    household_id: str
    helper_id: str | None
    a: str
    b: str
    amount_fen: int


def _activity(x: Activity) -> Entry:
    return Entry(x.on, x.household_id, x.helper_id, str(x.kind), "", 0)


def _need(x: Need) -> Entry:
    route = x.route.kind.value if x.route else "unrouted"
    return Entry(x.raised_on, x.household_id, None, str(x.kind), route, 0)


def _referral(x: Referral) -> Entry:
    return Entry(x.referred_on, x.household_id, None, str(x.agency), "", 0)


def _grant(x: Grant) -> Entry:
    return Entry(
        x.decided_on,
        x.household_id,
        None,
        x.program_id,
        x.payment_state.value,
        to_fen(x.amount) or 0,
    )


ENTRIES: dict[str, Callable[[Any], Entry]] = {
    "activities": _activity,
    "needs": _need,
    "referrals": _referral,
    "grants": _grant,
}
"""Figure name -> what one of its records counts as."""

COUNTED: dict[str, Callable[[Any], bool]] = {
    "activities": lambda a: a.voided_on is None,
    "grants": lambda g: g.revoked_on is None,
}
"""Figure name -> whether one of its records counts (a figure not named: all do)."""


def entries(figure: str, records: Iterable[Any]) -> list[Entry]:
    """The entries of the ``records`` (of the figure's kind) that count."""
    of = ENTRIES[figure]
    counts = COUNTED.get(figure)
    return [of(record) for record in records if counts is None or counts(record)]


# -- keeping the tally from records -------------------------------------------------------


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _upsert(dialect: str, labelled: bool, tiered: bool) -> Any:
    """``INSERT ... ON CONFLICT`` adding one summed row to the tally.

    ``labelled``: the row gives its household (and helper, if ``tiered``) and the
    statement looks up the county (and tier) itself; else it gives them."""
    t, h, p = REPORT_TALLY, HOUSEHOLDS, HELPERS
    county: Any = sa.bindparam("k_county", type_=sa.String(12))
    b: Any = sa.bindparam("k_b", type_=CODE)
    if labelled:
        household = sa.bindparam("k_household", type_=ID)
        region = sa.select(sa.func.substr(h.c.region, 1, 6)).where(h.c.household_id == household)
        county = sa.func.coalesce(region.scalar_subquery(), UNKNOWN)
        if tiered:
            helper = sa.bindparam("k_helper", type_=ID)
            tier = sa.select(p.c.tier).where(p.c.helper_id == helper).scalar_subquery()
            b = sa.func.coalesce(tier, UNKNOWN)
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(t).values(
        figure=sa.bindparam("k_figure", type_=sa.String(16)),
        month=sa.bindparam("k_month", type_=sa.String(7)),
        county=county,
        a=sa.bindparam("k_a", type_=ID),
        b=b,
        n=sa.bindparam("k_n", type_=sa.BigInteger),
        amount_fen=sa.bindparam("k_amount", type_=sa.BigInteger),
    )
    return insert.on_conflict_do_update(
        index_elements=[c.name for c in t.primary_key.columns],
        set_={
            "n": t.c.n + insert.excluded.n,
            "amount_fen": t.c.amount_fen + insert.excluded.amount_fen,
        },
    )


_UPSERTS: dict[tuple[str, bool, bool], Any] = {}


def _statement(conn: sa.Connection, labelled: bool = False, tiered: bool = False) -> Any:
    """The upsert, built once per dialect: a statement reused skips SQLAlchemy's
    construction and cache-key work on every write."""
    key = (conn.dialect.name, labelled, tiered)
    statement = _UPSERTS.get(key)
    if statement is None:
        statement = _UPSERTS[key] = _upsert(*key)
    return statement


#: Up to this many entries, the upsert looks up each one's labels itself (one
#: statement); from it on, they are read for the batch first and summed further.
FEW = 32


def count(conn: sa.Connection, figure: str, counted: Sequence[Entry], sign: int) -> None:
    """Add (``sign`` 1) or take off (-1) these entries.

    A few entries (one activity logged) go to one upsert that labels them itself. A
    batch reads its households' counties (and helpers' tiers) in one query each, is
    summed in Python to tally keys (a few hundred rows for thousands of records),
    and the sums are applied by one upsert run for all of them. Either way each entry
    is counted under the labels stored now."""
    if len(counted) <= FEW:
        _count_few(conn, figure, counted, sign)
        return
    h, p = HOUSEHOLDS, HELPERS
    counties = _labels(
        conn, h.c.household_id, sa.func.substr(h.c.region, 1, 6), {e.household_id for e in counted}
    )
    helpers = {e.helper_id for e in counted if e.helper_id is not None}
    tiers = _labels(conn, p.c.helper_id, p.c.tier, helpers) if helpers else {}
    summed: dict[tuple[str, str, str, str], list[int]] = {}
    for e in counted:
        b = e.b if e.helper_id is None else tiers.get(e.helper_id, UNKNOWN)
        _add(summed, (_month(e.day), counties.get(e.household_id, UNKNOWN), e.a, b), e, sign)
    rows = [
        {"k_figure": figure, "k_month": month, "k_county": county, "k_a": a, "k_b": b}
        | {"k_n": n, "k_amount": fen}
        for (month, county, a, b), (n, fen) in summed.items()
    ]
    run_many(conn, _statement(conn), rows)


def _count_few(conn: sa.Connection, figure: str, counted: Sequence[Entry], sign: int) -> None:
    summed: dict[tuple[str, str, str | None, str, str], list[int]] = {}
    for e in counted:
        _add(summed, (_month(e.day), e.household_id, e.helper_id, e.a, e.b), e, sign)
    tiered: list[dict[str, Any]] = []
    given: list[dict[str, Any]] = []
    for (month, household, helper, a, b), (n, fen) in summed.items():
        row: dict[str, Any] = {
            "k_figure": figure,
            "k_month": month,
            "k_household": household,
            "k_a": a,
        }
        row |= {"k_n": n, "k_amount": fen}
        if helper is None:
            given.append(row | {"k_b": b})
        else:
            tiered.append(row | {"k_helper": helper})
    run_many(conn, _statement(conn, labelled=True, tiered=True), tiered)
    run_many(conn, _statement(conn, labelled=True), given)


def _add(summed: dict[Any, list[int]], key: Any, e: Entry, sign: int) -> None:
    total = summed.get(key)
    if total is None:
        summed[key] = [sign, sign * e.amount_fen]
    else:
        total[0] += sign
        total[1] += sign * e.amount_fen


def _labels(conn: sa.Connection, key: Any, label: Any, ids: set[str]) -> dict[str, str]:
    """``key -> label`` for these ids, read in chunks (a missing id is :data:`UNKNOWN`)."""
    ordered = sorted(ids)
    out: dict[str, str] = {}
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        rows = conn.execute(sa.select(key, label).where(among(conn, key, chunk))).all()
        out.update((k, UNKNOWN if v is None else str(v)) for k, v in rows)
    return out


# -- counting from the rows (relabels, rebuild, days outside whole months) ------------------


def _county(region: Any) -> Any:
    return sa.func.coalesce(sa.func.substr(region, 1, 6), UNKNOWN)


class Figure(NamedTuple):
    """A figure's table, its rows joined to what labels them, its key expressions, and
    which of its rows count (``counted``: all but those no longer in force)."""

    table: sa.Table
    source: Any
    day: Any
    county: Any
    a: Any
    b: Any
    amount: Any
    counted: Any = sa.true()


def _activities() -> Figure:
    a, h, p = ACTIVITIES, HOUSEHOLDS, HELPERS
    source = a.outerjoin(h, h.c.household_id == a.c.household_id).outerjoin(
        p, p.c.helper_id == a.c.helper_id
    )
    tier = sa.func.coalesce(p.c.tier, UNKNOWN)
    county = _county(h.c.region)
    return Figure(a, source, a.c.on, county, a.c.kind, tier, None, a.c.voided_on.is_(None))


def _needs() -> Figure:
    n, h = NEEDS, HOUSEHOLDS
    source = n.outerjoin(h, h.c.household_id == n.c.household_id)
    route = sa.func.coalesce(n.c.route_kind, "unrouted")
    return Figure(n, source, n.c.raised_on, _county(h.c.region), n.c.kind, route, None)


def _referrals() -> Figure:
    r, h = REFERRALS, HOUSEHOLDS
    source = r.outerjoin(h, h.c.household_id == r.c.household_id)
    return Figure(r, source, r.c.referred_on, _county(h.c.region), r.c.agency, sa.literal(""), None)


def _grants() -> Figure:
    g, h = GRANTS, HOUSEHOLDS
    source = g.outerjoin(h, h.c.household_id == g.c.household_id)
    county = _county(h.c.region)
    state = sa.case(
        (g.c.returned_on.is_not(None), PaymentState.RETURNED.value),
        (g.c.paid_on.is_not(None), PaymentState.PAID.value),
        else_=PaymentState.UNPAID.value,
    )
    return Figure(
        g,
        source,
        g.c.decided_on,
        county,
        g.c.program_id,
        state,
        g.c.amount_fen,
        g.c.revoked_on.is_(None),
    )


FIGURES = {
    "activities": _activities(),
    "needs": _needs(),
    "referrals": _referrals(),
    "grants": _grants(),
}
"""Figure name -> how the database counts its rows."""


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _counted(figure: str, where: Any, sign: int = 1) -> sa.Select[Any]:
    """The tally rows of ``figure`` for the rows ``where`` selects, times ``sign``."""
    f = FIGURES[figure]
    month = month_of(f.day)
    total = sa.func.coalesce(sa.func.sum(f.amount), 0) if f.amount is not None else sa.literal(0)
    return (
        sa.select(
            sa.literal(figure), month, f.county, f.a, f.b, sa.func.count() * sign, total * sign
        )
        .select_from(f.source)
        .where(where, f.counted)
        .group_by(month, f.county, f.a, f.b)
    )


def _apply(conn: sa.Connection, figure: str, where: Any, sign: int) -> None:
    """Add the rows ``where`` selects to the tally (``sign`` -1: take them off)."""
    t = REPORT_TALLY
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(t).from_select(
        [c.name for c in t.columns], _counted(figure, where, sign)
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


def _for(conn: sa.Connection, column: str, ids: Sequence[str], sign: int) -> None:
    for figure, f in FIGURES.items():
        owner = f.table.c.get(column, None)
        if owner is None:
            continue
        for chunk in _chunks(ids):
            _apply(conn, figure, owner.in_(chunk), sign)


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


def rebuild(conn: sa.Connection) -> None:
    """Count every figure again from its table (after a migration, or to repair)."""
    conn.execute(REPORT_TALLY.delete())
    for figure in FIGURES:
        _apply(conn, figure, sa.true(), 1)


# -- reading -------------------------------------------------------------------------------


def _next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _whole_months(first: date, last: date) -> tuple[date, date] | None:
    """The first day of the first whole month inside ``[first, last]`` and the first
    day after the last one (``None``: there is no whole month)."""
    start = first if first.day == 1 else _next_month(first)
    after = _next_month(last)
    end = after if after - timedelta(days=1) == last else last.replace(day=1)
    return (start, end) if start < end else None


Key = tuple[Any, ...]


def _sums(
    conn: sa.Connection, figure: str, first: date, last: date, *, by_month: bool
) -> dict[Key, tuple[int, int]]:
    """``(month?, county, a, b) -> (n, amount_fen)`` over ``first`` .. ``last``: the
    tally for the whole months, the rows themselves for any days outside them."""
    sums: dict[Key, list[int]] = {}
    t = REPORT_TALLY
    whole = _whole_months(first, last)
    edges = [(first, last)]
    if whole is not None:
        start, end = whole
        months = t.c.month.between(_month(start), _month(end - timedelta(days=1)))
        keys = ([t.c.month] if by_month else []) + [t.c.county, t.c.a, t.c.b]
        query = (
            sa.select(*keys, sa.func.sum(t.c.n), sa.func.sum(t.c.amount_fen))
            .where(t.c.figure == figure, months)
            .group_by(*keys)
        )
        _collect(sums, conn.execute(query))
        edges = [(first, start - timedelta(days=1)), (end, last)]
    day = FIGURES[figure].day
    for low, high in edges:
        if low <= high:
            # The counted rows: figure, month, county, a, b, n, amount.
            rows: list[Any] = list(_counted(figure, day.between(low, high)).subquery("edge").c)
            edge_keys = rows[1:5] if by_month else rows[2:5]
            edge = sa.select(*edge_keys, sa.func.sum(rows[5]), sa.func.sum(rows[6]))
            _collect(sums, conn.execute(edge.group_by(*edge_keys)))
    return {key: (n, fen) for key, (n, fen) in sums.items() if n or fen}


def _collect(sums: dict[Key, list[int]], rows: Iterable[Any]) -> None:
    for *key, n, fen in rows:
        entry = sums.setdefault(tuple(key), [0, 0])
        entry[0] += int(n)
        entry[1] += int(fen)


def counts(
    conn: sa.Connection, figure: str, first: date, last: date, *, by_month: bool = False
) -> list[tuple[Any, ...]]:
    """``(month?, county, a, b, n)`` of ``figure`` over ``first`` .. ``last``, non-zero."""
    summed = _sums(conn, figure, first, last, by_month=by_month)
    return [(*key, n) for key, (n, _) in summed.items() if n]


def grants(
    conn: sa.Connection, first: date, last: date
) -> dict[tuple[str, str, str, str], tuple[int, Decimal]]:
    """Grants over the range: (count, amount) by county, programme, its name and funder
    (every payment state summed)."""
    by_state = _sums(conn, "grants", first, last, by_month=False)
    summed: dict[tuple[str, str], list[int]] = {}
    for (county, program, _), (n, fen) in by_state.items():
        total = summed.setdefault((county, program), [0, 0])
        total[0] += n
        total[1] += fen
    p = PROGRAMS
    ids = sorted({program for _, program in summed})
    names: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(ids):
        query = sa.select(p.c.program_id, p.c.name, p.c.funder).where(
            among(conn, p.c.program_id, chunk)
        )
        names.update({pid: (name, funder or "") for pid, name, funder in conn.execute(query)})
    out: dict[tuple[str, str, str, str], tuple[int, Decimal]] = {}
    for (county, program), (n, fen) in summed.items():
        if n:
            name, funder = names.get(program, (program, ""))
            out[(county, program, name, funder)] = (n, _yuan(fen))
    return out


def payments(
    conn: sa.Connection, first: date, last: date
) -> dict[tuple[str, str, str], tuple[int, Decimal]]:
    """The grants of :func:`grants`: (count, amount) by county, programme and payment
    state (``unpaid``, ``paid``, ``returned``)."""
    summed = _sums(conn, "grants", first, last, by_month=False)
    return {
        (county, program, state): (n, _yuan(fen))
        for (county, program, state), (n, fen) in summed.items()
        if n
    }


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) * FEN).quantize(FEN)
