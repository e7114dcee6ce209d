"""Benchmark: one programme allocated over N stored members, end to end, beside its floor.

Stores N members (households of four) in SQLite or PostgreSQL, a fund whose budget
covers about half the eligible, then times, in the same run:

1. jieqin's allocation (:func:`jieqin.services.aid.allocate`): read the households,
   build the population, decide everyone by the rules, explain each decision, rank,
   grant, write the decisions and grants through the one write path (checks and the
   audit chain), commit;
2. the same allocation as a dry run (everything but the writes);
3. the anchor: a hand-written SQL query reading the members' facts, a numpy
   expression of the same rule, a sort for the same order, and the same decision
   and grant rows written with ``executemany`` (rolled back: the tables stay
   jieqin's).

Run::

    python benchmarks/allocate.py [--members 1000000] [--backend sqlite|postgresql] [--json]

``--json`` prints one JSON line per backend: ``members``, ``backend``, ``eligible``,
``granted``, ``jieqin_s``, ``dry_run_s``, ``anchor_s``, ``ratio``, ``dry_ratio``.
PostgreSQL is ``--postgresql-url`` (default: the local ``test`` database, in a
schema of its own that is dropped after).
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from jieqin.model import Fund, Program, Year
from jieqin.rules import AidProgram, Parameters, age_between, all_of, any_of, check, fact, param
from jieqin.rules.ids import stable_id
from jieqin.services.aid import allocate
from jieqin.storage.rows import HouseholdRows
from jieqin.storage.sql import SqlStorage

YEAR = Year(2021)
DAY = date(2021, 9, 1)
AMOUNT = Decimal("500")
PARAMETERS = Parameters.from_mapping(
    {
        "min_age": {"values": [{"since": "2015-01-01", "value": 16, "source": "bench"}]},
        "max_age": {"values": [{"since": "2015-01-01", "value": 65, "source": "bench"}]},
        "max_household_size": {"values": [{"since": "2015-01-01", "value": 6}]},
    }
)
PROGRAM = AidProgram(
    Program("bench", "基准", "基准", "cash_grant", amount=AMOUNT),
    all_of(
        "eligible",
        age_between("min_age", "max_age"),
        any_of(
            "in_need",
            check("ill", fact("health") == "major_illness"),
            check("disabled", fact("disability_grade") > 0),
        ),
        check("small_household", fact("household_size") <= param("max_household_size")),
    ),
    parameters=PARAMETERS,
)
HEALTH = ("healthy", "chronic_illness", "major_illness")


def household_rows(n: int, seed: int = 7) -> Iterator[list[HouseholdRows]]:
    """N members in households of four, 10,000 households at a time; a tenth of them
    with a major illness, a tenth disabled."""
    rng = np.random.default_rng(seed)
    years = rng.integers(1940, 2015, n).tolist()
    health = rng.choice(3, n, p=[0.8, 0.1, 0.1]).tolist()
    grades = rng.choice(5, n, p=[0.9, 0.025, 0.025, 0.025, 0.025]).tolist()
    batch: list[HouseholdRows] = []
    for h in range(0, n, 4):
        hid = f"h{h // 4:07d}"
        members = []
        for position, i in enumerate(range(h, min(h + 4, n))):
            members.append(
                (f"m{i:08d}", hid, position, "王某", "male" if i % 2 else "female",
                 date(years[i], 1 + i % 12, 1 + i % 28), None,
                 "head" if position == 0 else "child", HEALTH[health[i]], None,
                 grades[i] or None, None, None, None, "farming", None, None)
            )  # fmt: skip
        batch.append(
            HouseholdRows(
                hid,
                (hid, "610202001001", "poor"),
                tuple(members),
                ((hid, 0, "poor", date(2016, 1, 1), ""),),
            )
        )
        if len(batch) == 10_000:
            yield batch
            batch = []
    if batch:
        yield batch


def load(storage: SqlStorage, n: int) -> None:
    with storage.unit_of_work("bench") as uow:
        for batch in household_rows(n):
            uow.households.upsert_rows(batch)
        uow.programs.add(PROGRAM.program)
        # about half the eligible (a fifth of the members, roughly) fit the budget
        uow.funds.add(Fund("f-bench", "bench", YEAR, AMOUNT * (n // 10)))
        uow.commit()


_FACTS = (
    "SELECT m.member_id, m.household_id, CAST(strftime('%Y', m.birth_date) AS INTEGER), "
    "CAST(strftime('%m%d', m.birth_date) AS INTEGER), m.health_condition, "
    "COALESCE(m.disability_grade, 0), COUNT(*) OVER (PARTITION BY m.household_id) "
    "FROM household_members m WHERE m.departed_on IS NULL ORDER BY m.member_id"
)
_FACTS_PG = (
    "SELECT m.member_id, m.household_id, CAST(extract(year FROM m.birth_date) AS INTEGER), "
    "CAST(to_char(m.birth_date, 'MMDD') AS INTEGER), m.health_condition, "
    "COALESCE(m.disability_grade, 0), COUNT(*) OVER (PARTITION BY m.household_id) "
    "FROM household_members m WHERE m.departed_on IS NULL ORDER BY m.member_id"
)


def anchor(engine: sa.Engine, budget: Decimal) -> tuple[float, int, int]:
    """The floor: one query, the rule in numpy, rank, then the same rows written by
    hand (decision ids, reasons and explanations as plain JSON), rolled back."""
    started = time.perf_counter()
    with engine.connect() as conn:
        sql = _FACTS_PG if engine.dialect.name == "postgresql" else _FACTS
        rows = conn.exec_driver_sql(sql).fetchall()
        member_ids, household_ids, years, mmdd, health, grade, size = zip(*rows, strict=True)
        by, bm = np.array(years), np.array(mmdd)
        age = (DAY.year - by) - (bm > DAY.month * 100 + DAY.day)
        grade_a = np.array(grade)
        ill = np.array(health) == "major_illness"
        eligible = (age >= 16) & (age <= 65) & (ill | (grade_a > 0)) & (np.array(size) <= 6)
        # the default priority: larger households first, then member id
        order = np.lexsort((np.arange(len(rows)), -np.array(size)))
        ranked = order[eligible[order]]
        fits = int(budget // AMOUNT)
        outcome = np.full(len(rows), "ineligible", dtype=object)
        outcome[ranked[:fits]] = "granted"
        outcome[ranked[fits:]] = "wait_listed"
        rank = np.zeros(len(rows), dtype=np.int64)
        rank[ranked] = np.arange(1, len(ranked) + 1)
        period, version = str(YEAR), PROGRAM.rule_version
        parameters = json.dumps({"min_age": 16, "max_age": 65, "max_household_size": 6})
        decisions, grants = [], []
        for i, (mid, hid) in enumerate(zip(member_ids, household_ids, strict=True)):
            did = stable_id("d", "bench", period, mid)
            what = outcome[i]
            inputs = json.dumps(
                {"age": int(age[i]), "health": "<masked>", "household_size": size[i]}
            )
            decisions.append(
                (did, "bench", period, hid, mid, what, DAY, version,
                 50000 if what == "granted" else None, what,
                 json.dumps([{"name": "eligible", "holds": bool(eligible[i])}]), parameters,
                 inputs, int(rank[i]) or None)
            )  # fmt: skip
            if what == "granted":
                grants.append(
                    (stable_id("g", "bench", period, mid), "bench", "f-bench", period, hid, mid,
                     50000, DAY, did)
                )  # fmt: skip
        conn.exec_driver_sql(
            "INSERT INTO decisions (decision_id, program_id, period, household_id, "
            "member_id, outcome, decided_on, rule_version, amount_fen, reason, conditions, "
            "parameters, inputs, priority) VALUES "
            + ("(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
               if engine.dialect.name == "postgresql" else "(" + ", ".join("?" * 14) + ")"),
            decisions,
        )  # fmt: skip
        conn.exec_driver_sql(
            "INSERT INTO grants (grant_id, program_id, fund_id, period, household_id, "
            "member_id, amount_fen, decided_on, decision_id) VALUES "
            + ("(%s, %s, %s, %s, %s, %s, %s, %s, %s)"
               if engine.dialect.name == "postgresql" else "(" + ", ".join("?" * 9) + ")"),
            grants,
        )  # fmt: skip
        conn.rollback()
    return time.perf_counter() - started, int(eligible.sum()), len(grants)


@contextmanager
def database(backend: str, pg_url: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp, 'allocate.db')}"
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield f"{pg_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def run(members: int, backend: str, pg_url: str) -> dict[str, Any]:
    with database(backend, pg_url) as url:
        storage = SqlStorage(url, create=True)
        started = time.perf_counter()
        load(storage, members)
        print(f"[{backend}] {members:,} members stored in {time.perf_counter() - started:.1f} s")
        gc.collect()
        started = time.perf_counter()
        with storage.unit_of_work("bench", read_only=True) as uow:
            dry = allocate(uow, PROGRAM, YEAR, on=DAY, dry_run=True)
        dry_s = time.perf_counter() - started
        gc.collect()
        floor_s, eligible, granted = anchor(storage.engine, dry.budget)
        gc.collect()
        started = time.perf_counter()
        with storage.unit_of_work("bench") as uow:
            plan = allocate(uow, PROGRAM, YEAR, on=DAY)
        jieqin_s = time.perf_counter() - started
        counted = plan.summary()
        assert counted["granted"] == granted, (counted, granted)
        assert counted["granted"] + counted["wait_listed"] == eligible, (counted, eligible)
        with storage.unit_of_work("bench", read_only=True) as uow:
            stored = uow.decisions.count()
        assert stored == members, stored
        return {
            "members": members,
            "backend": backend,
            "eligible": eligible,
            "granted": granted,
            "jieqin_s": round(jieqin_s, 2),
            "dry_run_s": round(dry_s, 2),
            "anchor_s": round(floor_s, 2),
            "ratio": round(jieqin_s / floor_s, 1),
            "dry_ratio": round(dry_s / floor_s, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql"), action="append", help="default: both"
    )
    parser.add_argument("--postgresql-url", default="postgresql+psycopg://postgres@127.0.0.1/test")
    parser.add_argument("--json", action="store_true", help="one JSON line per backend")
    args = parser.parse_args()
    for backend in args.backend or ("sqlite", "postgresql"):
        figures = run(args.members, backend, args.postgresql_url)
        if args.json:
            print(json.dumps(figures))
        else:
            print(
                f"[{backend}] allocation {figures['jieqin_s']:.1f} s (goal <= 15), dry run "
                f"{figures['dry_run_s']:.1f} s (goal <= 5), anchor {figures['anchor_s']:.1f} s: "
                f"ratio {figures['ratio']} (goal <= 2), dry {figures['dry_ratio']}"
            )


if __name__ == "__main__":
    main()
