"""Who was paired during a period, counted without scanning the pairings.

A report counts the households (by county) and the helpers (by county and tier)
with a pairing in force on at least one day of the period. Each side keeps:

- the **span** of each household (helper): the first day of its first pairing and
  the last day of its last (``NULL`` while one has no end), with its county (tier);
- the **gaps**: stretches inside a span with no pairing in force (rare: paired,
  unpaired a while, paired again);
- the **tally**: spans counted per county (tier), first and last day. Pairings start
  and end in batches, so a million spans make a few thousand rows.

A household was paired during ``[first, last]`` exactly when its span overlaps the
period and no gap covers all of it, so the count per county is the tallied spans
overlapping minus the gaps covering: two small scans, no join.

The storage keeps these tables in the same transaction as every write to the
pairings (and to households and helpers, for county and tier): :func:`recount`
takes the ids a batch touched, reads their pairings and labels, computes their
spans and gaps in Python and writes the difference, set-based. Pairings that are
only added (the common case: a year's pairing) need less: :func:`extend` unites
each stored span's paired stretches with the new pairings, reading no pairing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa

from jieqin.storage.sql.bulk import bulk_insert
from jieqin.storage.sql.functions import among, insert_for
from jieqin.storage.sql.tables import CODE, HELPERS, HOUSEHOLDS, ID, METADATA, PAIRINGS

__all__ = [
    "OPEN",
    "PAIRED_GAPS",
    "PAIRED_SPANS",
    "PAIRED_TALLY",
    "SIDES",
    "Side",
    "covered",
    "extend",
    "paired",
    "rebuild",
    "recount",
    "spans_of",
]

#: The last day of a span with no end, in the tally (a key cannot hold ``NULL``).
OPEN = date(9999, 12, 31)
_UNKNOWN = "unknown"
_CHUNK = 5000

PAIRED_SPANS = sa.Table(
    "paired_spans",
    METADATA,
    sa.Column("side", sa.String(16), primary_key=True),
    sa.Column("id", ID, primary_key=True),
    sa.Column("county", sa.String(12), nullable=False),
    sa.Column("tier", CODE, nullable=False),
    sa.Column("first_day", sa.Date, nullable=False),
    sa.Column("last_day", sa.Date),
    sqlite_with_rowid=False,
)
"""Per household (``side='household'``, tier ``''``) or helper: first and last day paired."""

PAIRED_GAPS = sa.Table(
    "paired_gaps",
    METADATA,
    sa.Column("side", sa.String(16), primary_key=True),
    sa.Column("id", ID, primary_key=True),
    sa.Column("first_day", sa.Date, primary_key=True),
    sa.Column("last_day", sa.Date, nullable=False),
    sa.Column("county", sa.String(12), nullable=False),
    sa.Column("tier", CODE, nullable=False),
    sqlite_with_rowid=False,
)
"""Stretches inside a span with no pairing in force."""

PAIRED_TALLY = sa.Table(
    "paired_tally",
    METADATA,
    sa.Column("side", sa.String(16), primary_key=True),
    sa.Column("county", sa.String(12), primary_key=True),
    sa.Column("tier", CODE, primary_key=True),
    sa.Column("first_day", sa.Date, primary_key=True),
    sa.Column("last_day", sa.Date, primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
"""Spans counted per side, county, tier, first and last day (:data:`OPEN` for none)."""


class Side(NamedTuple):
    """One side of the pairings: its name, the pairings' column, and how it is labelled."""

    name: str
    column: str
    table: sa.Table
    key: str
    region: str
    tier: str | None


HOUSEHOLD_SIDE = Side("household", "household_id", HOUSEHOLDS, "household_id", "region", None)
HELPER_SIDE = Side("helper", "helper_id", HELPERS, "helper_id", "home_region", "tier")
SIDES = (HOUSEHOLD_SIDE, HELPER_SIDE)


class Span(NamedTuple):
    """A span with its labels and the gaps inside it."""

    county: str
    tier: str
    first: date
    last: date | None
    gaps: tuple[tuple[date, date], ...]


def spans_of(
    pairings: Iterable[tuple[date, date | None]],
) -> tuple[date, date | None, list[tuple[date, date]]]:
    """First day, last day (``None``: open) and gaps of one id's ``(start, end)`` pairings.

    A gap opens before a pairing that starts more than a day after every earlier one
    has ended (its *reach*: the latest end among the pairings before it).
    """
    ordered = sorted(pairings, key=lambda p: p[0])
    gaps: list[tuple[date, date]] = []
    reach: date | None = None
    for i, (start, end) in enumerate(ordered):
        if i and reach is not None and reach < start - timedelta(days=1):
            gaps.append((reach + timedelta(days=1), start - timedelta(days=1)))
        if i == 0:
            reach = end if end is not None else OPEN
        else:
            reach = max(reach or OPEN, end if end is not None else OPEN)
    first = ordered[0][0]
    last = None if reach is None or reach == OPEN else reach
    return first, last, gaps


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _labels(conn: sa.Connection, side: Side, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    table = side.table
    columns = [table.c[side.key], table.c[side.region]]
    if side.tier is not None:
        columns.append(table.c[side.tier])
    out: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(ids):
        for row in conn.execute(
            sa.select(*columns).where(among(conn, table.c[side.key], chunk))
        ).all():
            out[row[0]] = (str(row[1])[:6], str(row[2]) if side.tier is not None else "")
    return out


def _pairings(
    conn: sa.Connection, side: Side, ids: Sequence[str]
) -> dict[str, list[tuple[date, date | None]]]:
    p = PAIRINGS
    out: defaultdict[str, list[tuple[date, date | None]]] = defaultdict(list)
    column = p.c[side.column]
    for chunk in _chunks(ids):
        for key, start, end in conn.execute(
            sa.select(column, p.c.start, p.c.end).where(among(conn, column, chunk))
        ).all():
            if end is None or end >= start:  # a withdrawn pairing was never in force
                out[key].append((start, end))
    return out


def _stored(conn: sa.Connection, side: Side, ids: Sequence[str]) -> dict[str, Span]:
    s, g = PAIRED_SPANS, PAIRED_GAPS
    gaps: defaultdict[str, list[tuple[date, date]]] = defaultdict(list)
    out: dict[str, Span] = {}
    for chunk in _chunks(ids):
        for key, first, last in conn.execute(
            sa.select(g.c.id, g.c.first_day, g.c.last_day).where(
                g.c.side == side.name, among(conn, g.c.id, chunk)
            )
        ).all():
            gaps[key].append((first, last))
        for key, county, tier, first, last in conn.execute(
            sa.select(s.c.id, s.c.county, s.c.tier, s.c.first_day, s.c.last_day).where(
                s.c.side == side.name, among(conn, s.c.id, chunk)
            )
        ).all():
            out[key] = Span(county, tier, first, last, tuple(sorted(gaps[key])))
    return out


def _computed(conn: sa.Connection, side: Side, ids: Sequence[str]) -> dict[str, Span]:
    labels = _labels(conn, side, ids)
    out: dict[str, Span] = {}
    for key, pairings in _pairings(conn, side, ids).items():
        county, tier = labels.get(key, (_UNKNOWN, _UNKNOWN if side.tier else ""))
        first, last, gaps = spans_of(pairings)
        out[key] = Span(county, tier, first, last, tuple(gaps))
    return out


def covered(span: Span) -> list[tuple[date, date | None]]:
    """The stretches of days ``span`` says were paired: the span minus its gaps.

    :func:`spans_of` over them gives the span back; over them and further pairings,
    the span of all those pairings (what the pairings themselves would give)."""
    stretches: list[tuple[date, date | None]] = []
    start = span.first
    for gap_first, gap_last in sorted(span.gaps):
        stretches.append((start, gap_first - timedelta(days=1)))
        start = gap_last + timedelta(days=1)
    stretches.append((start, span.last))
    return stretches


def _extended(
    conn: sa.Connection,
    side: Side,
    old: dict[str, Span],
    added: dict[str, list[tuple[date, date | None]]],
) -> dict[str, Span]:
    """Spans after pairings were only added: each stored span's stretches with the new
    pairings, so none of the stored pairings is read again."""
    fresh = [key for key in added if key not in old]
    labels = _labels(conn, side, fresh) if fresh else {}
    out: dict[str, Span] = {}
    for key, pairings in added.items():
        span = old.get(key)
        if span is None:
            county, tier = labels.get(key, (_UNKNOWN, _UNKNOWN if side.tier else ""))
            first, last, gaps = spans_of(pairings)
        else:
            county, tier = span.county, span.tier
            first, last, gaps = spans_of([*covered(span), *pairings])
        out[key] = Span(county, tier, first, last, tuple(gaps))
    return out


def _tally_key(side: Side, span: Span) -> tuple[str, str, str, date, date]:
    return (side.name, span.county, span.tier, span.first, span.last or OPEN)


def recount(
    conn: sa.Connection, *, households: Iterable[str] = (), helpers: Iterable[str] = ()
) -> None:
    """Bring the spans, gaps and tally of these households and helpers up to date."""
    for side, ids in ((HOUSEHOLD_SIDE, households), (HELPER_SIDE, helpers)):
        touched = sorted(set(ids))
        if touched:
            _recount_side(conn, side, touched)


def extend(conn: sa.Connection, added: Iterable[tuple[str, str, date, date | None]]) -> None:
    """New pairings ``(household_id, helper_id, start, end)``, none replacing a stored
    one: extend their households' and helpers' spans (as :func:`recount` would)."""
    per_side: dict[str, defaultdict[str, list[tuple[date, date | None]]]] = {
        side.name: defaultdict(list) for side in SIDES
    }
    for household_id, helper_id, start, end in added:
        if end is not None and end < start:  # withdrawn: never in force
            continue
        per_side[HOUSEHOLD_SIDE.name][household_id].append((start, end))
        per_side[HELPER_SIDE.name][helper_id].append((start, end))
    for side in SIDES:
        pairings = per_side[side.name]
        ids = sorted(pairings)
        for chunk in _chunks(ids):
            old = _stored(conn, side, chunk)
            new = _extended(conn, side, old, {key: pairings[key] for key in chunk})
            _replace(conn, side, chunk, old, new)


def _recount_side(conn: sa.Connection, side: Side, ids: Sequence[str]) -> None:
    _replace(conn, side, ids, _stored(conn, side, ids), _computed(conn, side, ids))


def _replace(
    conn: sa.Connection,
    side: Side,
    ids: Sequence[str],
    old: dict[str, Span],
    new: dict[str, Span],
) -> None:
    """Write the spans that changed from ``old`` to ``new``, and the tally's difference."""
    changed = [key for key in ids if old.get(key) != new.get(key)]
    if not changed:
        return
    delta: Counter[tuple[str, str, str, date, date]] = Counter()
    for key in changed:
        if key in old:
            delta[_tally_key(side, old[key])] -= 1
        if key in new:
            delta[_tally_key(side, new[key])] += 1
    s, g = PAIRED_SPANS, PAIRED_GAPS
    for chunk in _chunks(changed):
        conn.execute(s.delete().where(s.c.side == side.name, among(conn, s.c.id, chunk)))
        conn.execute(g.delete().where(g.c.side == side.name, among(conn, g.c.id, chunk)))
    _write(conn, side, {key: new[key] for key in changed if key in new})
    _count(conn, delta)


def _write(conn: sa.Connection, side: Side, spans: dict[str, Span]) -> None:
    span_rows = [
        {
            "side": side.name,
            "id": key,
            "county": span.county,
            "tier": span.tier,
            "first_day": span.first,
            "last_day": span.last,
        }
        for key, span in spans.items()
    ]
    gap_rows = [
        {
            "side": side.name,
            "id": key,
            "first_day": first,
            "last_day": last,
            "county": span.county,
            "tier": span.tier,
        }
        for key, span in spans.items()
        for first, last in span.gaps
    ]
    bulk_insert(conn, PAIRED_SPANS, span_rows)
    bulk_insert(conn, PAIRED_GAPS, gap_rows)


def _count(conn: sa.Connection, delta: Counter[tuple[str, str, str, date, date]]) -> None:
    """Add ``delta`` to the tally; rows that fall to zero are dropped."""
    t = PAIRED_TALLY
    rows: list[dict[str, Any]] = [
        {"side": k[0], "county": k[1], "tier": k[2], "first_day": k[3], "last_day": k[4], "n": n}
        for k, n in delta.items()
        if n
    ]
    if not rows:
        return
    insert = insert_for(conn, t)
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=[c.name for c in t.primary_key.columns],
            set_={"n": t.c.n + insert.excluded.n},
        ),
        rows,
    )
    fields = ("side", "county", "tier", "first_day", "last_day")
    fallen = [{f"k_{c}": row[c] for c in fields} for row in rows if row["n"] < 0]
    if fallen:
        key = [t.c[c] == sa.bindparam(f"k_{c}") for c in fields]
        conn.execute(t.delete().where(*key, t.c.n <= 0), fallen)


def rebuild(conn: sa.Connection) -> None:
    """Recount every span, gap and tally row from the pairings."""
    for table in (PAIRED_SPANS, PAIRED_GAPS, PAIRED_TALLY):
        conn.execute(table.delete())
    for side in SIDES:
        column = PAIRINGS.c[side.column]
        ids = [row[0] for row in conn.execute(sa.select(column).distinct())]
        for chunk in _chunks(sorted(ids)):
            _recount_side(conn, side, chunk)


def _counts(conn: sa.Connection, side: Side, first: date, last: date) -> Counter[tuple[str, str]]:
    """Spans overlapping ``[first, last]`` minus gaps covering it, per (county, tier)."""
    t, g = PAIRED_TALLY, PAIRED_GAPS
    overlapping = (
        sa.select(t.c.county, t.c.tier, sa.func.sum(t.c.n))
        .where(t.c.side == side.name, t.c.first_day <= last, t.c.last_day >= first)
        .group_by(t.c.county, t.c.tier)
    )
    covering = (
        sa.select(g.c.county, g.c.tier, sa.func.count())
        .where(g.c.side == side.name, g.c.first_day <= first, g.c.last_day >= last)
        .group_by(g.c.county, g.c.tier)
    )
    counts: Counter[tuple[str, str]] = Counter()
    for county, tier, n in conn.execute(overlapping):
        counts[(county, tier)] += int(n)
    for county, tier, n in conn.execute(covering):
        counts[(county, tier)] -= int(n)
    return +counts


def paired(
    conn: sa.Connection, side_name: str, first: date, last: date
) -> dict[tuple[str, str], int]:
    """Households (``side_name='household'``) or helpers paired during the range."""
    side = HOUSEHOLD_SIDE if side_name == "household" else HELPER_SIDE
    return dict(_counts(conn, side, first, last))
