"""Benchmark: importing households with their members, jieqin against the bare driver.

Builds a households CSV (three members per household, every resident ID number valid
and distinct), imports it with ``jieqin import`` semantics (parse, check every cell,
the one write path's checks, one transaction, the audit log, every index of jieqin's
schema) and, in the same run, loads the same file with the bare driver —
``sqlite3.executemany`` on SQLite, psycopg ``COPY`` on PostgreSQL — into a minimal
schema of the same three tables: the same columns, primary keys, foreign keys and the
unique resident ID number, none of jieqin's other indexes. The anchor does the minimum
a hand-written loader must (split the columns, fill defaults), without validation.
Each side runs in a child process of its own, so its peak memory is its own.

    python benchmarks/import.py                      # 1,000,000 households, 3,000,000 members
    python benchmarks/import.py --households 20000 --backend sqlite --json

Prints both times and the ratio for each backend (``--json``: one JSON line per
backend with ``households``, ``members``, ``backend``, ``jieqin_s``, ``anchor_s``,
``ratio``, ``peak_mb``, the CPU seconds of both sides and the load average).
Goals: at most 60 s per backend for 1,000,000 households, ratio <= 1.5, peak <= 1 GB.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import resource
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _households_file import HEADER, write_households_csv

import jieqin
from jieqin.io.household_rows import read_household_rows
from jieqin.io.importer import parse_file
from jieqin.io.text import read_lines

POSTGRESQL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BATCH_HOUSEHOLDS = 5000

HOUSEHOLD_COLUMNS = ("household_id", "region", "status")
MEMBER_COLUMNS = (
    "member_id",
    "household_id",
    "position",
    "name",
    "sex",
    "birth_date",
    "resident_id",
    "relation",
    "health_condition",
    "diagnosis",
    "disability_grade",
    "school_level",
    "school_year_of_entry",
    "school_institution",
    "employment",
    "phone",
)
STATUS_COLUMNS = ("household_id", "position", "status", "since", "note")
_AT = {name: i for i, name in enumerate(HEADER)}


def _optional_int(text: str) -> int | None:
    return int(text) if text else None


def anchor_batches(
    path: Path,
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """The rows of the three tables, in batches of households, straight from the CSV."""
    at = _AT
    households: list[tuple[Any, ...]] = []
    members: list[tuple[Any, ...]] = []
    statuses: list[tuple[Any, ...]] = []
    current = None
    position = 0
    with open(path, encoding="utf-8", newline="") as source:
        reader = csv.reader(source)
        next(reader)
        for row in reader:
            hid = row[at["household_id"]]
            if hid != current:
                if len(households) >= BATCH_HOUSEHOLDS:
                    yield households, members, statuses
                    households, members, statuses = [], [], []
                current = hid
                position = 0
                history = [e.split("@") for e in row[at["status_history"]].split(";")]
                households.append((hid, row[at["region"]], history[-1][0]))
                for i, (status, since) in enumerate(history):
                    statuses.append((hid, i, status, since, ""))
            members.append(
                (
                    row[at["member_id"]],
                    hid,
                    position,
                    row[at["name"]],
                    row[at["sex"]],
                    row[at["birth_date"]],
                    row[at["resident_id"]],
                    row[at["relation"]] or "head",
                    row[at["health_condition"]] or "healthy",
                    row[at["diagnosis"]] or None,
                    _optional_int(row[at["disability_grade"]]),
                    row[at["school_level"]] or None,
                    _optional_int(row[at["school_year_of_entry"]]),
                    row[at["school_institution"]] or None,
                    row[at["employment"]] or "farming",
                    row[at["phone"]] or None,
                )
            )
            position += 1
    if households:
        yield households, members, statuses


def _insert_sql(table: str, columns: tuple[str, ...], mark: str) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({', '.join(mark for _ in columns)})"


def anchor_sqlite(db: Path, path: Path) -> float:
    """Load ``path`` into ``db`` (at the minimal schema) with ``executemany``."""
    start = time.perf_counter()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("BEGIN")
    sql = (
        _insert_sql("households", HOUSEHOLD_COLUMNS, "?"),
        _insert_sql("household_members", MEMBER_COLUMNS, "?"),
        _insert_sql("household_status", STATUS_COLUMNS, "?"),
    )
    for households, members, statuses in anchor_batches(path):
        conn.executemany(sql[0], households)
        conn.executemany(sql[1], members)
        conn.executemany(sql[2], statuses)
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - start


def anchor_copy(conninfo: str, path: Path) -> float:
    """Load ``path`` into the database ``conninfo`` (at the minimal schema) with ``COPY``."""
    import psycopg

    start = time.perf_counter()
    with psycopg.connect(conninfo) as conn, conn.cursor() as cursor:
        copies = (
            ("households", HOUSEHOLD_COLUMNS),
            ("household_members", MEMBER_COLUMNS),
            ("household_status", STATUS_COLUMNS),
        )
        for batch in anchor_batches(path):
            for (table, columns), rows in zip(copies, batch, strict=True):
                names = ", ".join(f'"{c}"' for c in columns)
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        conn.commit()
    return time.perf_counter() - start


def through_jieqin(url: str, path: Path) -> float:
    """Import ``path`` with jieqin (the same work as ``jieqin import households``)."""
    with jieqin.connect(url) as campaign:
        start = time.perf_counter()
        result = campaign.import_file("households", path, actor="benchmark")
        elapsed = time.perf_counter() - start
    print(f"  jieqin imported {result.records:,} households in {elapsed:.1f} s", flush=True)
    return elapsed


def create_schema(url: str) -> None:
    """A new, empty jieqin database at the newest schema."""
    jieqin.connect(url).close()


def create_minimal_schema(url: str) -> None:
    """The anchor's schema: jieqin's three household tables with their columns, primary
    keys, foreign keys and unique constraints, and none of their other indexes."""
    from jieqin.storage.sql.tables import HOUSEHOLDS, MEMBERS, STATUS_HISTORY

    metadata = sa.MetaData()
    for table in (HOUSEHOLDS, MEMBERS, STATUS_HISTORY):
        table.to_metadata(metadata).indexes.clear()
    engine = sa.create_engine(url)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()


def indexes_sqlite(db: Path) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    finally:
        conn.close()


def indexes_postgresql(conninfo: str) -> set[str]:
    import psycopg

    with psycopg.connect(conninfo) as conn:
        rows = conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
        return {r[0] for r in rows}


def counts_sqlite(db: Path) -> tuple[int, int, int]:
    conn = sqlite3.connect(db)
    try:
        return tuple(  # type: ignore[return-value]
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("households", "household_members", "household_status")
        )
    finally:
        conn.close()


def counts_postgresql(conninfo: str) -> tuple[int, int, int]:
    import psycopg

    with psycopg.connect(conninfo) as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in ("households", "household_members", "household_status")
        )


def _child(queue: Any, work: Any, args: tuple[Any, ...]) -> None:
    cpu = time.process_time()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    elapsed = work(*args)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((elapsed, time.process_time() - cpu, peak / 1024, before / 1024))


def in_child(work: Any, *args: Any) -> tuple[float, float, float]:
    """Run ``work(*args)`` in a forked child: (wall seconds, CPU seconds, peak RSS in MB)."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_child, args=(queue, work, args))
    process.start()
    elapsed, cpu, peak, _ = queue.get()
    process.join()
    if process.exitcode:
        raise SystemExit(f"the child failed ({process.exitcode})")
    return elapsed, cpu, peak


#: The figures of this run, one dict per backend (printed by ``--json``).
FIGURES: list[dict[str, Any]] = []
GOAL_S, GOAL_RATIO, GOAL_MB = 60.0, 1.5, 1024.0


def report(
    backend: str,
    households: int,
    ours: tuple[float, float, float],
    anchor: tuple[float, float, float],
    anchor_name: str,
) -> None:
    ratio = ours[0] / anchor[0]
    FIGURES.append(
        {
            "households": households,
            "members": 3 * households,
            "backend": backend,
            "jieqin_s": round(ours[0], 2),
            "anchor_s": round(anchor[0], 2),
            "ratio": round(ratio, 3),
            "peak_mb": round(ours[2]),
            "jieqin_cpu_s": round(ours[1], 2),
            "anchor_cpu_s": round(anchor[1], 2),
            "cpu_ratio": round(ours[1] / anchor[1], 3),
            "anchor_peak_mb": round(anchor[2]),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
    )

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(
        f"  jieqin import:           {ours[0]:8.1f} s  ({ours[1]:.1f} s CPU, peak {ours[2]:.0f} MB)"
    )
    print(f"  {anchor_name + ':':<25}{anchor[0]:8.1f} s  ({anchor[1]:.1f} s CPU)")
    print(
        f"  ratio:                   {ratio:8.2f}   (goal <= {GOAL_RATIO}: {met(ratio <= GOAL_RATIO)};"
        f" CPU {ours[1] / anchor[1]:.2f})"
    )
    if households >= 1_000_000:
        print(f"  time goal <= {GOAL_S:.0f} s: {met(ours[0] <= GOAL_S)}")
    print(f"  peak memory goal <= {GOAL_MB:.0f} MB: {met(ours[2] <= GOAL_MB)}")


def _missing_indexes(found: set[str]) -> set[str]:
    from jieqin.storage.sql.tables import HOUSEHOLDS, MEMBERS, STATUS_HISTORY

    wanted = {str(ix.name) for t in (HOUSEHOLDS, MEMBERS, STATUS_HISTORY) for ix in t.indexes}
    return wanted - found


def bench_sqlite(work: Path, path: Path, households: int) -> None:
    print(f"SQLite (load average {os.getloadavg()[0]:.2f})", flush=True)
    ours_db, anchor_db = work / "jieqin.db", work / "anchor.db"
    create_schema(f"sqlite:///{ours_db}")
    create_minimal_schema(f"sqlite:///{anchor_db}")
    ours = in_child(through_jieqin, f"sqlite:///{ours_db}", path)
    anchor = in_child(anchor_sqlite, anchor_db, path)
    assert counts_sqlite(ours_db) == counts_sqlite(anchor_db), "the two loads differ"
    assert not _missing_indexes(indexes_sqlite(ours_db)), "jieqin's indexes are missing"
    report("sqlite", households, ours, anchor, "sqlite3.executemany")


def bench_postgresql(base_url: str, path: Path, households: int) -> None:
    import psycopg

    print(f"PostgreSQL (load average {os.getloadavg()[0]:.2f})", flush=True)
    admin = base_url.replace("postgresql+psycopg://", "postgresql://")
    names = [f"jieqin_bench_{uuid.uuid4().hex[:8]}", f"jieqin_anchor_{uuid.uuid4().hex[:8]}"]
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f"CREATE DATABASE {name}")
    try:
        ours_url, anchor_url = (base_url.rsplit("/", 1)[0] + f"/{name}" for name in names)
        create_schema(ours_url)
        create_minimal_schema(anchor_url)
        ours = in_child(through_jieqin, ours_url, path)
        anchor_info = anchor_url.replace("postgresql+psycopg://", "postgresql://")
        anchor = in_child(anchor_copy, anchor_info, path)
        ours_info = ours_url.replace("postgresql+psycopg://", "postgresql://")
        assert counts_postgresql(ours_info) == counts_postgresql(anchor_info), "loads differ"
        assert not _missing_indexes(indexes_postgresql(ours_info)), "jieqin's indexes are missing"
        report("postgresql", households, ours, anchor, "psycopg COPY")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument(
        "--backend", choices=["sqlite", "postgresql", "both"], default="both", help="what to run"
    )
    parser.add_argument("--postgresql-url", default=POSTGRESQL_URL)
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also time parsing and validating alone (no database), both ways",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON lines")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jieqin-import-bench-") as tmp:
        work = Path(tmp)
        path = work / "households.csv"
        start = time.perf_counter()
        write_households_csv(path, args.households)
        size = os.path.getsize(path)
        print(
            f"{args.households:,} households, {3 * args.households:,} members: "
            f"{size / 1e6:,.0f} MB written in {time.perf_counter() - start:.1f} s",
            flush=True,
        )
        if args.breakdown:
            start = time.perf_counter()
            parsed = sum(1 for p in parse_file(path, "households") if p.ok)
            print(
                f"  parsing and validating alone, model objects:   "
                f"{time.perf_counter() - start:8.1f} s ({parsed:,} households)"
            )
            start = time.perf_counter()
            lines = read_lines(path, source=path.name)
            parsed = sum(1 for p in read_household_rows(lines, source=path.name) if p.ok)
            print(
                f"  parsing and validating alone, rows (SQL import): "
                f"{time.perf_counter() - start:8.1f} s ({parsed:,} households)"
            )
        if args.backend in ("sqlite", "both"):
            bench_sqlite(work, path, args.households)
        if args.backend in ("postgresql", "both"):
            bench_postgresql(args.postgresql_url, path, args.households)
    if args.json:
        for figures in FIGURES:
            print(json.dumps(figures))


if __name__ == "__main__":
    main()
