"""Benchmark: the annual report, the overdue scan and what the read model costs writes.

Builds one synthetic campaign year (default 10,000,000 activities for 1,000,000
households, one pairing each) in SQLite and in PostgreSQL with the bare driver
(``executemany`` / ``COPY``), counts the read model once from the rows
(``jieqin db rebuild``), then in the same run:

- the jieqin annual report (``Campaign.report("2021", by_region=True)``), first
  (cold) and warm, and the first after each kind of write: a new activity, a new
  grant, a new pairing, a household moving county, a corrected activity;
- the anchor: the same figures by raw SQL, activities counted with ``GROUP BY`` over
  the activity table, and the smallest anchor, ``GROUP BY kind`` alone;
- the overdue scan of every pairing (``Campaign.overdue``), and the vectorised
  computation alone over as many rows of arrays;
- the write cost of the read model: activities written one repository call each,
  and in batches (``add_many``, as imports write), and pairings in batches, with the
  read model kept and with its upkeep switched off (the same statements otherwise),
  and against the bare driver inserting the same rows.

    python benchmarks/report.py                          # 10M activities, both backends
    python benchmarks/report.py --activities 1000000 --skip-postgresql --json
    python benchmarks/report.py --sqlite-path r10m.db --reuse-sqlite --skip-postgresql

With ``--json`` the figures are printed as one JSON line at the end (``activities``,
``report_s_max`` (the worst report time of every state), ``write_overhead_single``,
``write_overhead_bulk``, ``overdue_s``, per backend and for the worse of the two).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa

import jieqin
from jieqin.model import Activity, Grant, Pairing, RegionCode, Year
from jieqin.model.identity import birthplace_codes, check_digit

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
PROGRAMS = {"scholarship": "Charity scholarship", "illness": "Major illness grant"}


def timed(func: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """The best of ``repeat`` wall times, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


class ProgramsPlugin:
    """Registers the two synthetic programmes, so the campaign knows their names."""

    @staticmethod
    @jieqin.hookimpl
    def jieqin_register_programs(register: Any) -> None:
        for program_id, name in PROGRAMS.items():
            program = jieqin.Program(
                program_id, name, "Provincial charity association", "cash_grant"
            )
            register(jieqin.AidProgram(program, jieqin.check("anyone", jieqin.fact("age") >= 0)))


PLUGINS = [ProgramsPlugin()]


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
        self.places = birthplace_codes(1970, within="61")

    # -- rows ---------------------------------------------------------------------------

    def resident_id(self, i: int) -> tuple[str, str]:
        """A valid resident ID number of its own for household ``i``'s head, and the
        birth date it embeds (a thousand numbers per place and day)."""
        born = date(1970, 1, 1) + timedelta(days=i // 1000 // len(self.places))
        first17 = f"{self.places[i // 1000 % len(self.places)]}{born:%Y%m%d}{i % 1000:03d}"
        return first17 + check_digit(first17), born.isoformat()

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
            number, born = self.resident_id(i)
            yield (
                f"h{i:07d}-1",
                f"h{i:07d}",
                0,
                "户主",
                "male",
                born,
                number,
                "head",
                "major_illness" if self.ill[i] else "healthy",
                None,
                2 if self.disabled[i] else None,
                None,
                None,
                None,
                "farming",
                None,
                None,
            )

    def status_rows(self) -> Iterator[tuple[Any, ...]]:
        for i in range(self.households):
            yield (f"h{i:07d}", 0, "lifted_out", "2020-06-30", "")

    def pairing_rows(self) -> Iterator[tuple[Any, ...]]:
        for i in range(self.households):
            start = date.fromordinal(int(self.pair_start[i])).isoformat()
            yield (f"p{self.pair_helper[i]:07d}", f"h{i:07d}", start, "primary", None, "", "[]")

    def activity_rows(
        self, first: int = 0, last: int | None = None, prefix: str = "a"
    ) -> Iterator[tuple[Any, ...]]:
        days = [date.fromordinal(FIRST + d).isoformat() for d in range(366)]
        last = self.activities if last is None else last
        for i in range(first, last):
            h = int(self.act_household[i % self.activities])
            yield (
                f"{prefix}{i:08d}",
                KINDS[self.act_kind[i % self.activities]],
                days[int(self.act_day[i % self.activities]) - FIRST],
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

    def fund_rows(self) -> Iterator[tuple[Any, ...]]:
        grants = len(range(0, self.households, 50))
        granted = {"illness": (grants + 1) // 2 * 500000, "scholarship": grants // 2 * 500000}
        for program, fen in granted.items():
            yield (
                f"f-{program}",
                program,
                "2021",
                fen + 10**12,
                "Provincial charity association",
                fen,
            )

    def program_rows(self) -> Iterator[tuple[Any, ...]]:
        for program_id, name in PROGRAMS.items():
            yield (
                program_id,
                name,
                "Provincial charity association",
                "cash_grant",
                500000,
                "[]",
                None,
                "year",
            )


#: Table, the rows that fill it, in the load's order.
TABLES: list[tuple[str, str]] = [
    ("programs", "program_rows"),
    ("funds", "fund_rows"),
    ("helpers", "helper_rows"),
    ("households", "household_rows"),
    ("household_members", "member_rows"),
    ("household_status", "status_rows"),
    ("pairings", "pairing_rows"),
    ("needs", "need_rows"),
    ("referrals", "referral_rows"),
    ("grants", "grant_rows"),
    ("activities", "activity_rows"),
]


def column_names(table: str) -> list[str]:
    from jieqin.storage.sql.tables import METADATA

    return [c.name for c in METADATA.tables[table].columns]


def _copy_text(rows: Iterator[tuple[Any, ...]]) -> Iterator[str]:
    for row in rows:
        yield "\t".join("\\N" if v is None else str(v) for v in row) + "\n"


def load(url: str, cohort: Cohort) -> dict[str, float]:
    """Fill a new database with the bare driver, then count the read model once."""
    from jieqin.storage.sql.read_model import rebuild

    figures: dict[str, float] = {}
    with jieqin.connect(url, plugins=PLUGINS) as campaign:
        engine = campaign.storage.engine  # type: ignore[attr-defined]
        start = time.perf_counter()
        with engine.begin() as conn:
            for table, rows in TABLES:
                _bulk(conn, table, getattr(cohort, rows)())
        figures["load_s"] = time.perf_counter() - start
        start = time.perf_counter()
        with engine.begin() as conn:
            rebuild(conn)
        figures["rebuild_s"] = time.perf_counter() - start
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    print(
        f"bulk load {figures['load_s']:8.1f} s; read model counted from the rows {figures['rebuild_s']:8.1f} s",
        flush=True,
    )
    return figures


def _bulk(conn: sa.Connection, table: str, rows: Iterator[tuple[Any, ...]]) -> None:
    columns = column_names(table)
    quoted = ", ".join(f'"{c}"' for c in columns)
    driver = conn.connection.driver_connection
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" * len(columns))
        driver.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", rows)  # type: ignore[union-attr]
        return
    with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:  # type: ignore[union-attr]
        buffer = io.StringIO()
        for n, line in enumerate(_copy_text(rows), start=1):
            buffer.write(line)
            if n % 100_000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


# -- the anchor ---------------------------------------------------------------------------

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


def anchor(engine: sa.Engine) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """The raw-SQL report, and the bare ``GROUP BY kind``."""
    month = (
        'substr(a."on", 1, 7)'
        if engine.dialect.name == "sqlite"
        else "to_char(a.\"on\", 'YYYY-MM')"
    )
    bounds = {"first": f"{YEAR}-01-01", "last": f"{YEAR}-12-31"}

    def full() -> list[Any]:
        with engine.connect() as conn:
            out = list(conn.exec_driver_sql(ANCHOR_ACTIVITIES.format(month=month, **bounds)))
            for query in ANCHOR_REST:
                out += list(conn.exec_driver_sql(query.format(**bounds)))
            conn.rollback()
        return out

    def kinds() -> dict[str, int]:
        with engine.connect() as conn:
            counted = dict(conn.exec_driver_sql(ANCHOR_KINDS.format(**bounds)).all())
            conn.rollback()
        return counted

    return full, kinds


# -- the report in every state ---------------------------------------------------------------


def _writes(cohort: Cohort, tag: str) -> dict[str, Callable[[Any], None]]:
    """One write of each kind (through the storage's repositories), new on every run."""
    n = 1 + int(tag, 16) % (cohort.households - 2)
    n += n % 50 == 0  # grants go to every 50th household: this one has none yet
    household = f"h{n:07d}"
    helper = f"p{cohort.pair_helper[n]:07d}"
    county = COUNTIES[(cohort.hh_county[n] + 1) % len(COUNTIES)]
    day = date(YEAR, 12, 1 + int(tag, 16) % 28)

    def activity(uow: Any) -> None:
        uow.activities.add(Activity(f"w{tag}", "visit", date(YEAR, 12, 30), helper, household))

    def grant(uow: Any) -> None:
        uow.grants.add(
            Grant(
                f"g{tag}",
                "illness",
                "f-illness",
                Year(YEAR),
                household,
                f"{household}-1",
                jieqin.yuan("5000"),
                date(YEAR, 9, 2),
                f"d{tag}",
            )
        )

    def pairing(uow: Any) -> None:
        uow.pairings.add(
            Pairing(f"p{(n + 1) % cohort.helpers:07d}", household, day, role="secondary")
        )

    def county_move(uow: Any) -> None:
        moved = uow.households.get(household)
        import attrs

        uow.households.update(attrs.evolve(moved, region=RegionCode(f"{county}002001")))

    def correction(uow: Any) -> None:
        import attrs

        stored = uow.activities.get(f"w{tag}")
        uow.activities.update(attrs.evolve(stored, kind="contact", on=date(YEAR, 12, 29)))

    return {
        "after_activity": activity,
        "after_grant": grant,
        "after_pairing": pairing,
        "after_county_move": county_move,
        "after_correction": correction,
    }


def report_states(url: str, cohort: Cohort) -> dict[str, float]:
    """The annual report cold, warm, and first after each kind of write."""
    figures: dict[str, float] = {}
    with jieqin.connect(url, plugins=PLUGINS) as campaign:
        figures["report_cold"], report = timed(
            lambda: campaign.report(str(YEAR), by_region=True), 1
        )
        figures["report_warm"], report = timed(lambda: campaign.report(str(YEAR), by_region=True))
        for name, write in _writes(cohort, secrets.token_hex(3)).items():
            with campaign.storage.unit_of_work("bench") as uow:
                write(uow)
                uow.commit()
            figures[name], report = timed(lambda: campaign.report(str(YEAR), by_region=True), 1)
        figures["report_s_max"] = max(
            v for k, v in figures.items() if k.startswith(("report", "after"))
        )
        as_of = date(YEAR + 1, 1, 1)
        figures["overdue_s"], late = timed(lambda: campaign.overdue(as_of), 2)
        figures["overdue_behind"] = len(late)
    for name, value in figures.items():
        if name != "overdue_behind":
            print(f"  {name:24s} {value:8.3f} s", flush=True)
    figures["kinds"] = report.totals.activities  # type: ignore[assignment]
    return figures


# -- what the read model costs writes --------------------------------------------------------


@contextlib.contextmanager
def read_model_off() -> Iterator[None]:
    """The repositories' read-model upkeep turned into no-ops (the writes are the same)."""
    from jieqin.storage.sql import read_model

    names = (
        "activities_replacing",
        "activities_written",
        "counted_replacing",
        "counted_written",
        "pairings_written",
        "relabelling",
        "relabelled",
    )
    saved = {name: getattr(read_model, name) for name in names}
    try:
        for name in names:
            setattr(read_model, name, lambda *args, **kwargs: None)
        yield
    finally:
        for name, value in saved.items():
            setattr(read_model, name, value)


def _activity(row: tuple[Any, ...]) -> Activity:
    return Activity(row[0], row[1], date.fromisoformat(row[2]), row[3], row[4])


def write_costs(url: str, cohort: Cohort, single: int, bulk: int) -> dict[str, float]:
    """Seconds to write activities (one repository call each, and in batches of 5,000)
    and pairings (batches), with the read model, without its upkeep, and with the bare
    driver; each in one unit of work, rolled back."""
    tag = secrets.token_hex(2)
    singles = [_activity(r) for r in cohort.activity_rows(0, single, prefix=f"s{tag}")]
    batch = [_activity(r) for r in cohort.activity_rows(0, bulk, prefix=f"b{tag}")]
    pairings = [
        Pairing(
            f"p{(i * 7 + 3) % cohort.helpers:07d}",
            f"h{i % cohort.households:07d}",
            date(YEAR, 12, 31),
            role="secondary",
        )
        for i in range(bulk)
    ]
    figures: dict[str, float] = {}
    with jieqin.connect(url, plugins=PLUGINS) as campaign:
        storage = campaign.storage

        def through(write: Callable[[Any], None]) -> float:
            with storage.unit_of_work("bench") as uow:
                start = time.perf_counter()
                write(uow)
                taken = time.perf_counter() - start
                uow.rollback()
            return taken

        def one_by_one(uow: Any) -> None:
            for activity in singles:
                uow.activities.add(activity)

        def batches(items: list[Any], name: str) -> Callable[[Any], None]:
            def write(uow: Any) -> None:
                repo = getattr(uow, name)
                for start in range(0, len(items), 5000):
                    repo.add_many(items[start : start + 5000])

            return write

        for label, write in (
            ("single", one_by_one),
            ("bulk", batches(batch, "activities")),
            ("pairings", batches(pairings, "pairings")),
        ):
            figures[f"{label}_with_s"] = through(write)
            with read_model_off():
                figures[f"{label}_without_s"] = through(write)
        figures["single_bare_s"] = _bare(storage.engine, [_row(a) for a in singles], each=True)  # type: ignore[attr-defined]
        figures["bulk_bare_s"] = _bare(storage.engine, [_row(a) for a in batch], each=False)  # type: ignore[attr-defined]
    figures["write_overhead_single"] = figures["single_with_s"] / figures["single_without_s"]
    figures["write_overhead_bulk"] = figures["bulk_with_s"] / figures["bulk_without_s"]
    figures["write_overhead_pairings"] = figures["pairings_with_s"] / figures["pairings_without_s"]
    print(
        f"  {single:,} activities, a repository call each: {figures['single_with_s']:.2f} s with "
        f"the read model, {figures['single_without_s']:.2f} s without (x{figures['write_overhead_single']:.2f}); "
        f"bare driver {figures['single_bare_s']:.2f} s\n"
        f"  {bulk:,} activities in batches: {figures['bulk_with_s']:.2f} s with, "
        f"{figures['bulk_without_s']:.2f} s without (x{figures['write_overhead_bulk']:.2f}); "
        f"bare driver {figures['bulk_bare_s']:.2f} s\n"
        f"  {bulk:,} pairings in batches: {figures['pairings_with_s']:.2f} s with, "
        f"{figures['pairings_without_s']:.2f} s without (x{figures['write_overhead_pairings']:.2f})",
        flush=True,
    )
    return figures


def _row(a: Activity) -> tuple[Any, ...]:
    return (
        a.activity_id,
        a.kind,
        a.on.isoformat(),
        a.helper_id,
        a.household_id,
        None,
        None,
        "",
        None,
    )


def _bare(engine: sa.Engine, rows: list[tuple[Any, ...]], *, each: bool) -> float:
    """The same activity rows inserted by the bare driver (one statement each, or one
    ``executemany`` / ``COPY``), in one transaction, rolled back."""
    columns = ", ".join(f'"{c}"' for c in column_names("activities"))
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        mark = "?" if conn.dialect.name == "sqlite" else "%s"
        sql = f"INSERT INTO activities ({columns}) VALUES ({', '.join([mark] * 9)})"
        conn.exec_driver_sql("SELECT 1")  # begins the transaction (SQLite: the write lock)
        start = time.perf_counter()
        cursor = driver.cursor()  # type: ignore[union-attr]
        if each:
            for row in rows:
                cursor.execute(sql, row)
        elif conn.dialect.name == "sqlite":
            cursor.executemany(sql, rows)
        else:
            with cursor.copy(f"COPY activities ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        taken = time.perf_counter() - start
        conn.rollback()
    return taken


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
        f"overdue computation over {pairings:,} rows of arrays: {seconds:8.3f} s ({len(late):,} behind)",
        flush=True,
    )
    return float(seconds)


def run_backend(
    name: str, url: str, cohort: Cohort, *, fresh: bool, single: int, bulk: int
) -> dict[str, Any]:
    print(
        f"\n== {name}: {cohort.activities:,} activities, {cohort.households:,} households, "
        f"{cohort.helpers:,} helpers",
        flush=True,
    )
    figures: dict[str, Any] = {}
    if fresh:
        figures.update(load(url, cohort))
    figures.update(report_states(url, cohort))
    with jieqin.connect(url, plugins=PLUGINS) as campaign:
        full, kinds = anchor(campaign.storage.engine)  # type: ignore[attr-defined]
        figures["anchor_s"], _ = timed(full, repeat=2)
        figures["anchor_kinds_s"], by_kind = timed(kinds, repeat=2)
    reported = {k: v for k, v in figures.pop("kinds").items() if v}
    # The report counts the writes of report_states (a visit became a contact) too.
    assert sum(by_kind.values()) == sum(reported.values()), (by_kind, reported)
    print(
        f"  anchor, raw SQL report       {figures['anchor_s']:8.3f} s (warm report / anchor "
        f"{figures['report_warm'] / figures['anchor_s']:.4f})\n"
        f"  anchor, GROUP BY kind only   {figures['anchor_kinds_s']:8.3f} s",
        flush=True,
    )
    figures.update(write_costs(url, cohort, single, bulk))
    return figures


def _postgresql(cohort: Cohort, single: int, bulk: int) -> dict[str, Any] | None:
    import psycopg

    schema = f"jieqin_bench_{secrets.token_hex(4)}"
    server = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:
        print(f"\nPostgreSQL skipped: {exc}", file=sys.stderr)
        return None
    try:
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
        return run_backend("PostgreSQL", url, cohort, fresh=True, single=single, bulk=bulk)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=10_000_000)
    parser.add_argument(
        "--households", type=int, default=None, help="default: one per ten activities"
    )
    parser.add_argument(
        "--single", type=int, default=20_000, help="activities written one call each"
    )
    parser.add_argument(
        "--bulk", type=int, default=100_000, help="activities and pairings in batches"
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgresql", action="store_true")
    parser.add_argument("--sqlite-path", default=None, help="default: a temporary file")
    parser.add_argument(
        "--reuse-sqlite",
        action="store_true",
        help="measure the database at --sqlite-path as it is (built by an earlier run with the same sizes)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = parser.parse_args(argv)
    households = args.households or max(10, args.activities // 10)
    start = time.perf_counter()
    cohort = Cohort(households, args.activities)
    print(f"generated columns in {time.perf_counter() - start:.1f} s", flush=True)
    results: dict[str, Any] = {"activities": args.activities, "households": households}
    results["overdue_engine_s"] = overdue_engine(households)
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            path = args.sqlite_path or os.path.join(tmp, "bench.db")
            fresh = not (args.reuse_sqlite and os.path.exists(path))
            if fresh and os.path.exists(path):
                os.remove(path)
            results["sqlite"] = run_backend(
                "SQLite",
                f"sqlite:///{path}",
                cohort,
                fresh=fresh,
                single=args.single,
                bulk=args.bulk,
            )
    if not args.skip_postgresql:
        figures = _postgresql(cohort, args.single, args.bulk)
        if figures is not None:
            results["postgresql"] = figures
    backends = [results[b] for b in ("sqlite", "postgresql") if b in results]
    for key in ("report_s_max", "write_overhead_single", "write_overhead_bulk", "overdue_s"):
        if backends:
            results[key] = max(b[key] for b in backends)
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
