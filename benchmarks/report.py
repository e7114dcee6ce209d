"""Benchmark: the annual report and the overdue scan at scale, against a raw SQL anchor.

Builds one synthetic campaign year (default 10,000,000 activities for 1,000,000
households, one pairing each) in SQLite and in PostgreSQL, then in the same run:

- the jieqin annual report (``Campaign.report("2021", by_region=True)``: activity
  figures from the tallies the triggers keep, the rest by SQL aggregates);
- the anchor: the same figures by raw SQL, the activities counted by ``GROUP BY``
  over the activity table (by month, county, kind and tier, as the report needs),
  and the smallest possible anchor, ``GROUP BY kind`` alone;
- the overdue scan of every pairing (``Campaign.overdue``);
- the cost the triggers add to writing activities (100,000 rows with and without).

Generation is bulk: ``executemany`` on SQLite, ``COPY`` on PostgreSQL, with the
tally triggers off during the load and the tallies counted once afterwards.

    python benchmarks/report.py                      # 10M activities
    python benchmarks/report.py --activities 1000000 --households 100000
    python benchmarks/report.py --skip-postgresql
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import numpy as np
from jieqin.reports.sql import create_tally_triggers, drop_tally_triggers, rebuild_tallies

import jieqin

PG_URL = os.environ.get(
    "JIEQIN_BENCH_POSTGRESQL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
YEAR = 2021
COUNTIES = [f"6102{c:02d}" for c in range(2, 22)]
TIERS = ["provincial_member", "city_member", "county_member", "agency_staff"]
KINDS = ["contact", "visit", "policy_explanation", "warmth", "practical_help"]
#: Shares of the five kinds in the Tongchuan 2021 figures (6087:4164:3095:2013:1147).
KIND_SHARES = np.array([6087, 4164, 3095, 2013, 1147], dtype=float) / 16506
FIRST = date(YEAR, 1, 1).toordinal()


def timed(func: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """The best of ``repeat`` wall times, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


class Cohort:
    """Column arrays for the synthetic campaign (deterministic, seed 2021)."""

    def __init__(self, households: int, activities: int) -> None:
        rng = np.random.default_rng(2021)
        self.households = households
        self.helpers = max(1, households // 4)
        self.activities = activities
        self.hh_county = rng.integers(0, len(COUNTIES), households)
        self.ill = rng.random(households) < 0.05
        self.disabled = rng.random(households) < 0.04
        self.hp_tier = rng.integers(0, len(TIERS), self.helpers)
        self.hp_county = rng.integers(0, len(COUNTIES), self.helpers)
        self.pair_helper = np.arange(households) % self.helpers
        self.pair_start = FIRST - rng.integers(0, 700, households)
        self.act_household = rng.integers(0, households, activities)
        self.act_day = FIRST + rng.integers(0, 365, activities)
        self.act_kind = rng.choice(len(KINDS), activities, p=KIND_SHARES)

    # -- rows ---------------------------------------------------------------------------

    def helper_rows(self) -> Iterator[tuple[Any, ...]]:
        for i in range(self.helpers):
            yield (
                f"p{i:07d}",
                "委员",
                TIERS[self.hp_tier[i]],
                COUNTIES[self.hp_county[i]],
                "[]",
                4,
                True,
                None,
            )

    def household_rows(self) -> Iterator[tuple[Any, ...]]:
        for i in range(self.households):
            yield (f"h{i:07d}", f"{COUNTIES[self.hh_county[i]]}001001", "lifted_out")

    def member_rows(self) -> Iterator[tuple[Any, ...]]:
        for i in range(self.households):
            yield (
                f"h{i:07d}-1",
                f"h{i:07d}",
                0,
                "户主",
                "male",
                "1970-01-01",
                f"{610202197001010000 + i % 10000:018d}",
                "head",
                "major_illness" if self.ill[i] else "healthy",
                None,
                2 if self.disabled[i] else None,
                None,
                None,
                None,
                "farming",
                None,
            )

    def status_rows(self) -> Iterator[tuple[Any, ...]]:
        for i in range(self.households):
            yield (f"h{i:07d}", 0, "lifted_out", "2020-06-30", "")

    def pairing_rows(self) -> Iterator[tuple[Any, ...]]:
        for i in range(self.households):
            start = date.fromordinal(int(self.pair_start[i])).isoformat()
            yield (f"p{self.pair_helper[i]:07d}", f"h{i:07d}", start, "primary", None, "", "[]")

    def activity_rows(self, first: int = 0, last: int | None = None) -> Iterator[tuple[Any, ...]]:
        days = [date.fromordinal(FIRST + d).isoformat() for d in range(366)]
        last = self.activities if last is None else last
        for i in range(first, last):
            h = int(self.act_household[i])
            yield (
                f"a{i:08d}",
                KINDS[self.act_kind[i]],
                days[int(self.act_day[i]) - FIRST],
                f"p{self.pair_helper[h]:07d}",
                f"h{h:07d}",
                None,
                None,
                "",
                None,
            )

    def need_rows(self) -> Iterator[tuple[Any, ...]]:
        kinds = ["employment", "schooling", "medical", "winter_heating"]
        routes = [("referral", "employment_center"), ("program", "scholarship"), (None, None)]
        for i in range(0, self.households, 10):
            route = routes[i % 3]
            yield (
                f"n{i:07d}",
                f"h{i:07d}",
                kinds[i % 4],
                "2021",
                "survey",
                date(YEAR, 1 + i % 12, 5).isoformat(),
                None,
                "",
                "routed" if route[0] else "open",
                route[0],
                route[1],
                None,
                None,
                None,
            )

    def referral_rows(self) -> Iterator[tuple[Any, ...]]:
        for i in range(0, self.households, 30):
            yield (
                f"r{i:07d}",
                f"n{i:07d}",
                f"h{i:07d}",
                "employment_center",
                date(YEAR, 3, 1).isoformat(),
                None,
                None,
                "",
            )

    def grant_rows(self) -> Iterator[tuple[Any, ...]]:
        for i in range(0, self.households, 50):
            program = "scholarship" if i % 100 else "illness"
            yield (
                f"g{i:07d}",
                program,
                f"f-{program}",
                "2021",
                f"h{i:07d}",
                f"h{i:07d}-1",
                500000,
                date(YEAR, 9, 1).isoformat(),
                f"d{i:07d}",
                None,
                None,
            )


TABLES: list[tuple[str, str, int]] = [
    ("helpers", "helper_rows", 8),
    ("households", "household_rows", 3),
    ("household_members", "member_rows", 16),
    ("household_status", "status_rows", 5),
    ("pairings", "pairing_rows", 7),
    ("needs", "need_rows", 14),
    ("referrals", "referral_rows", 8),
    ("grants", "grant_rows", 11),
    ("activities", "activity_rows", 9),
]

PROGRAM_ROWS = [
    (
        "scholarship",
        "Charity scholarship",
        "Provincial charity association",
        "scholarship",
        500000,
        "[]",
        None,
        "year",
    ),
    (
        "illness",
        "Major illness grant",
        "Provincial charity association",
        "cash_grant",
        500000,
        "[]",
        None,
        "year",
    ),
]


def column_names(conn: Any, table: str) -> list[str]:
    from jieqin.storage.sql.tables import METADATA

    return [c.name for c in METADATA.tables[table].columns]


def load_sqlite(url: str, cohort: Cohort) -> None:
    """Fill a new SQLite database with ``executemany`` (tally triggers off during the load)."""
    with jieqin.connect(url) as campaign, campaign.unit_of_work("bench") as uow:
        conn = uow.connection
        drop_tally_triggers(conn)
        raw = conn.connection.driver_connection
        raw.executemany("INSERT INTO programs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", PROGRAM_ROWS)
        for table, rows, width in TABLES:
            quoted = ", ".join(f'"{c}"' for c in column_names(conn, table))
            marks = ", ".join("?" * width)
            raw.executemany(
                f"INSERT INTO {table} ({quoted}) VALUES ({marks})", getattr(cohort, rows)()
            )
        rebuild_tallies(conn)
        create_tally_triggers(conn)
        uow.commit()
    with jieqin.connect(url) as campaign, campaign.unit_of_work("bench") as uow:
        uow.connection.exec_driver_sql("ANALYZE")
        uow.commit()


def _copy_text(rows: Iterator[tuple[Any, ...]]) -> Iterator[str]:
    for row in rows:
        yield "\t".join("\\N" if v is None else str(v) for v in row) + "\n"


def load_postgresql(url: str, cohort: Cohort) -> None:
    """Fill a fresh schema with ``COPY`` (tally triggers off during the load)."""
    with jieqin.connect(url) as campaign, campaign.unit_of_work("bench") as uow:
        conn = uow.connection
        drop_tally_triggers(conn)
        cursor = conn.connection.driver_connection.cursor()
        cursor.executemany(
            "INSERT INTO programs VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", PROGRAM_ROWS
        )
        for table, rows, _width in TABLES:
            quoted = ", ".join(f'"{c}"' for c in column_names(conn, table))
            with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                buffer = io.StringIO()
                for n, line in enumerate(_copy_text(getattr(cohort, rows)()), start=1):
                    buffer.write(line)
                    if n % 100_000 == 0:
                        copy.write(buffer.getvalue())
                        buffer = io.StringIO()
                copy.write(buffer.getvalue())
        rebuild_tallies(conn)
        create_tally_triggers(conn)
        uow.commit()
    with jieqin.connect(url) as campaign, campaign.unit_of_work("bench") as uow:
        uow.connection.exec_driver_sql("ANALYZE")
        uow.commit()


ANCHOR_ACTIVITIES = """
SELECT {month}, COALESCE(substr(h.region, 1, 6), 'unknown'), a.kind,
       COALESCE(p.tier, 'unknown'), count(*)
FROM activities a
LEFT JOIN households h ON h.household_id = a.household_id
LEFT JOIN helpers p ON p.helper_id = a.helper_id
WHERE a."on" BETWEEN '{first}' AND '{last}'
GROUP BY 1, 2, 3, 4"""

ANCHOR_KINDS = """SELECT kind, count(*) FROM activities
WHERE "on" BETWEEN '{first}' AND '{last}' GROUP BY kind"""

ANCHOR_REST = [
    """SELECT COALESCE(substr(h.home_region, 1, 6), 'unknown'), COALESCE(h.tier, 'unknown'), count(*)
       FROM (SELECT DISTINCT helper_id FROM pairings WHERE start <= '{last}'
             AND ("end" IS NULL OR "end" >= '{first}')) d
       LEFT JOIN helpers h ON h.helper_id = d.helper_id GROUP BY 1, 2""",
    """SELECT COALESCE(substr(h.region, 1, 6), 'unknown'), count(*)
       FROM (SELECT DISTINCT household_id FROM pairings WHERE start <= '{last}'
             AND ("end" IS NULL OR "end" >= '{first}')) d
       LEFT JOIN households h ON h.household_id = d.household_id GROUP BY 1""",
    """SELECT COALESCE(substr(h.region, 1, 6), 'unknown'), n.kind,
              COALESCE(n.route_kind, 'unrouted'), count(*)
       FROM needs n LEFT JOIN households h ON h.household_id = n.household_id
       WHERE n.raised_on BETWEEN '{first}' AND '{last}' GROUP BY 1, 2, 3""",
    """SELECT COALESCE(substr(h.region, 1, 6), 'unknown'), r.agency, count(*)
       FROM referrals r LEFT JOIN households h ON h.household_id = r.household_id
       WHERE r.referred_on BETWEEN '{first}' AND '{last}' GROUP BY 1, 2""",
    """SELECT COALESCE(substr(h.region, 1, 6), 'unknown'), g.program_id, p.name, p.funder,
              count(*), sum(g.amount_fen)
       FROM grants g LEFT JOIN programs p ON p.program_id = g.program_id
       LEFT JOIN households h ON h.household_id = g.household_id
       WHERE g.decided_on BETWEEN '{first}' AND '{last}' GROUP BY 1, 2, 3, 4""",
]


def anchor(url: str, month: str) -> tuple[Callable[[], Any], Callable[[], Any], Any]:
    """The raw-SQL report and the bare ``GROUP BY kind`` on one connection, and the engine
    (dispose of it after: an open read transaction would block dropping the triggers)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    bounds = {"first": f"{YEAR}-01-01", "last": f"{YEAR}-12-31"}

    def full() -> list[Any]:
        with engine.connect() as conn:
            out = list(conn.exec_driver_sql(ANCHOR_ACTIVITIES.format(month=month, **bounds)))
            for query in ANCHOR_REST:
                out += list(conn.exec_driver_sql(query.format(**bounds)))
        return out

    def kinds() -> dict[str, int]:
        with engine.connect() as conn:
            return dict(conn.exec_driver_sql(ANCHOR_KINDS.format(**bounds)).all())

    return full, kinds, engine


def trigger_cost(url: str, cohort: Cohort, rows: int) -> dict[str, tuple[float, float]]:
    """Seconds to insert ``rows`` more activities (``executemany``: a statement per
    row), and as many more pairings (a second helper for as many households, through
    ``add_many``), with the triggers that keep the tallies and follow-up tables, and
    without them."""
    import sqlalchemy as sa

    from jieqin.model import Pairing
    from jieqin.storage.sql.tables import ACTIVITIES

    names = [c.name for c in ACTIVITIES.columns]
    extra = Cohort(cohort.households, rows)
    activities = [dict(zip(names, r, strict=True)) for r in extra.activity_rows()]
    for row in activities:
        row["activity_id"] = "x" + row["activity_id"]
        row["on"] = date.fromisoformat(row["on"])
    # Pairings as a pairing run stores them: model objects through ``add_many`` (one
    # bulk statement per batch, so PostgreSQL's statement triggers fire once).
    pairings = [
        Pairing(
            f"x{i % max(1, rows // 4):07d}",
            f"h{i % cohort.households:07d}",
            date(YEAR, 12, 1 + i // cohort.households % 28),
            role="secondary",
        )
        for i in range(rows)
    ]
    times: dict[str, tuple[float, float]] = {}
    for name in ("activities", "pairings"):
        taken = []
        for with_triggers in (True, False):
            with jieqin.connect(url) as campaign, campaign.unit_of_work("bench") as uow:
                conn = uow.connection
                if not with_triggers:
                    drop_tally_triggers(conn)
                start = time.perf_counter()
                if name == "activities":
                    conn.execute(sa.insert(ACTIVITIES), activities)
                else:
                    uow.pairings.add_many(pairings)
                taken.append(time.perf_counter() - start)
                uow.rollback()
        times[name] = (taken[0], taken[1])
    return times


def run_backend(
    name: str,
    url: str,
    cohort: Cohort,
    load: Callable[[str, Cohort], None] | None,
    month_sql: str,
    writes_only: bool = False,
) -> dict[str, float]:
    print(
        f"\n== {name}: {cohort.activities:,} activities, {cohort.households:,} households, "
        f"{cohort.helpers:,} helpers",
        flush=True,
    )
    start = time.perf_counter()
    if load is not None:
        load(url, cohort)
        elapsed = time.perf_counter() - start
        print(f"load (bulk, then tallies counted once): {elapsed:8.1f} s", flush=True)
    figures: dict[str, float] = {}
    if writes_only:
        return _write_costs(url, cohort, figures)
    with jieqin.connect(url) as campaign:
        _raw(campaign, "DELETE FROM report_cache")  # cold even on a reused database
        t_cold, report = timed(lambda: campaign.report(str(YEAR), by_region=True), repeat=1)
        t_report, report = timed(lambda: campaign.report(str(YEAR), by_region=True))
        figures["report_cold"], figures["report"] = t_cold, t_report
        as_of = date(YEAR + 1, 1, 1)
        t_overdue, late = timed(lambda: campaign.overdue(as_of), repeat=2)
        figures["overdue"] = t_overdue
    full, kinds, engine = anchor(url, month_sql)
    t_anchor, _ = timed(full, repeat=2)
    t_kinds, by_kind = timed(kinds, repeat=2)
    engine.dispose()
    figures["anchor"], figures["anchor_kinds"] = t_anchor, t_kinds
    assert by_kind == {k: v for k, v in report.totals.activities.items() if v}, (by_kind, report)
    print(
        f"jieqin annual report, first (cold):    {t_cold:8.3f} s   "
        f"ratio jieqin/anchor {t_cold / t_anchor:6.3f}"
    )
    print(f"jieqin annual report (by region):      {t_report:8.3f} s")
    print(
        f"anchor, raw SQL report (GROUP BY):     {t_anchor:8.3f} s   "
        f"ratio jieqin/anchor {t_report / t_anchor:6.3f}"
    )
    print(
        f"anchor, GROUP BY kind only:            {t_kinds:8.3f} s   "
        f"ratio jieqin/anchor {t_report / t_kinds:6.3f}"
    )
    print(
        f"overdue scan of {cohort.households:,} pairings:  {t_overdue:8.3f} s "
        f"({len(late):,} behind)"
    )
    figures.update(after_writes(url, cohort))
    return _write_costs(url, cohort, figures)


def _write_costs(url: str, cohort: Cohort, figures: dict[str, float]) -> dict[str, float]:
    """Print and add to ``figures`` what the triggers cost 100,000 writes of each kind."""
    for table, (with_t, without_t) in trigger_cost(url, cohort, 100_000).items():
        figures[f"insert_{table}_with"], figures[f"insert_{table}_without"] = with_t, without_t
        print(
            f"insert 100,000 {table}: {with_t:.2f} s with the triggers, {without_t:.2f} s "
            f"without (x{with_t / without_t:.2f})",
            flush=True,
        )
    return figures


def after_writes(url: str, cohort: Cohort) -> dict[str, float]:
    """The annual report right after one write of each kind (the cache forgets only
    the figures a write can change): an activity, a grant, a pairing."""
    import secrets

    tag = secrets.token_hex(3)
    helper = f"p{cohort.pair_helper[1]:07d}"
    # Raw SQL: the synthetic members' ID numbers are not valid, so the API would refuse
    # to read their households; the triggers fire all the same.
    new_activity = (
        'INSERT INTO activities (activity_id, kind, "on", helper_id, household_id, note) '
        f"VALUES ('w{tag}', 'visit', '{YEAR}-12-30', '{helper}', 'h0000001', '')"
    )
    # A member without a grant yet (grants go to every 50th household), different on
    # each run so that a reused database takes the new grant too.
    n = 1 + int(tag, 16) % (cohort.households - 1)
    n += n % 50 == 0
    copy_grant = (
        f"INSERT INTO grants SELECT 'g{{tag}}', program_id, fund_id, period, 'h{n:07d}', "
        f"'h{n:07d}-1', amount_fen, decided_on, 'd{{tag}}', agency, need_id FROM grants "
        "WHERE grant_id = 'g0000000'"
    )
    copy_pairing = (
        "INSERT INTO pairings SELECT helper_id, household_id, '2021-12-{day:02d}', 'secondary', "
        f"NULL, '', '[]' FROM pairings WHERE household_id = 'h{n:07d}'"
    )
    writes = {
        "after_activity": lambda c: _raw(c, new_activity),
        "after_grant": lambda c: _raw(c, copy_grant.format(tag=tag)),
        "after_pairing": lambda c: _raw(c, copy_pairing.format(day=int(tag, 16) % 28 + 1)),
    }
    out = {}
    with jieqin.connect(url) as campaign:
        campaign.report(str(YEAR), by_region=True)  # everything cached
        for name, write in writes.items():
            write(campaign)
            out[name], _ = timed(lambda: campaign.report(str(YEAR), by_region=True), repeat=1)
            campaign.report(str(YEAR), by_region=True)
            what = name.removeprefix("after_")
            print(f"jieqin annual report, first after a new {what}: {out[name]:8.3f} s", flush=True)
    return out


def _raw(campaign: jieqin.Campaign, statement: str) -> None:
    with campaign.unit_of_work("bench") as uow:
        uow.connection.exec_driver_sql(statement)
        uow.commit()


def overdue_engine(pairings: int) -> float:
    """Seconds for the vectorised overdue computation alone, over ``pairings`` rows of arrays."""
    from jieqin.activities import FollowUpArrays, default_policy, overdue

    rng = np.random.default_rng(7)
    as_of = date(YEAR + 1, 1, 1)
    today = as_of.toordinal()
    rows = FollowUpArrays(
        helper_ids=[f"p{i % (pairings // 4 + 1):07d}" for i in range(pairings)],
        household_ids=[f"h{i:07d}" for i in range(pairings)],
        start=today - rng.integers(30, 900, pairings),
        facts=rng.choice(8, pairings, p=[0.85, 0.05, 0.04, 0.01, 0.03, 0.01, 0.005, 0.005]),
        last_by_kind={
            kind: np.where(rng.random(pairings) < 0.9, today - rng.integers(1, 120, pairings), 0)
            for kind in KINDS
        },
    )
    seconds, late = timed(lambda: overdue(default_policy(), as_of, rows), repeat=2)
    print(
        f"overdue computation over {pairings:,} pairings (arrays): {seconds:8.3f} s "
        f"({len(late):,} behind)",
        flush=True,
    )
    return float(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=10_000_000)
    parser.add_argument(
        "--households", type=int, default=None, help="default: one per ten activities"
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgresql", action="store_true")
    parser.add_argument("--sqlite-path", default=None, help="default: a temporary file")
    parser.add_argument(
        "--reuse-sqlite",
        action="store_true",
        help="measure the database at --sqlite-path as it is (built by an earlier run "
        "with the same --activities and --households)",
    )
    parser.add_argument(
        "--writes-only",
        action="store_true",
        help="time only the writes with and without the triggers (after the load)",
    )
    args = parser.parse_args(argv)
    households = args.households or max(10, args.activities // 10)
    start = time.perf_counter()
    cohort = Cohort(households, args.activities)
    print(f"generated columns in {time.perf_counter() - start:.1f} s", flush=True)
    overdue_engine(households)
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            path = args.sqlite_path or os.path.join(tmp, "bench.db")
            reuse = args.reuse_sqlite and os.path.exists(path)
            if os.path.exists(path) and not reuse:
                os.remove(path)
            loader = None if reuse else load_sqlite
            run_backend(
                "SQLite",
                f"sqlite:///{path}",
                cohort,
                loader,
                'substr(a."on", 1, 7)',
                args.writes_only,
            )
    if not args.skip_postgresql:
        import secrets

        import psycopg

        schema = f"jieqin_bench_{secrets.token_hex(4)}"
        server = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        try:
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute(f'CREATE SCHEMA "{schema}"')
        except psycopg.OperationalError as exc:
            print(f"\nPostgreSQL skipped: {exc}", file=sys.stderr)
            return 0
        try:
            url = f"{PG_URL}?options=-csearch_path%3D{schema}"
            run_backend(
                "PostgreSQL",
                url,
                cohort,
                load_postgresql,
                "to_char(a.\"on\", 'YYYY-MM')",
                args.writes_only,
            )
        finally:
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    return 0


if __name__ == "__main__":
    sys.exit(main())
