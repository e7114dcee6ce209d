"""Benchmark: raising risk warnings for a month over 1,000,000 households in SQLite.

Builds a synthetic campaign (default 1,000,000 households of one to five members,
twelve monthly income observations each, April 2021 to March 2022, and a medical
expenditure for one household in twenty) with the bare driver, then in the same run:

- jieqin: ``run_warnings`` for March 2022, end to end: read the households and their
  observations (summed by the database), decide the five standard warning rules,
  assign and store the new warnings through the write path (checked, audited,
  committed);
- the anchor: hand-written SQL doing the same in one statement: the per-household
  sums with ``GROUP BY``, the rules as ``CASE`` tests against the same parameters,
  and ``INSERT ... SELECT`` of the warnings (township assignment), in a transaction
  rolled back afterwards.

Both must raise the same warnings for the same households. Prints the times and the
ratio. Run::

    python benchmarks/monitoring.py [--households 1000000] [--json] [--path FILE --reuse]

``--json`` prints the figures as one JSON line: ``households``, ``observations``,
``warnings``, ``jieqin_s``, ``anchor_s`` and ``ratio``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import numpy as np

import jieqin
from jieqin.clock import FixedClock
from jieqin.rules.monitoring import (
    INCOME_FALL_LIMIT,
    MEDICAL_BURDEN_LIMIT,
    warning_check_days,
)
from jieqin.services.warnings import run_warnings

AS_OF = date(2022, 3, 31)
MONTHS = [(2021, m) for m in range(4, 13)] + [(2022, m) for m in range(1, 4)]
VILLAGES = [f"6102{c:02d}{t:03d}{v:03d}" for c in (2, 3, 4, 22) for t in (1, 2) for v in (1, 2)]


def households_rows(n: int, rng: np.random.Generator) -> dict[str, Any]:
    sizes = rng.integers(1, 6, n)
    region = rng.integers(0, len(VILLAGES), n)
    base = np.maximum(rng.normal(900, 220, n), 0)  # yuan per person per month
    return {"sizes": sizes, "region": region, "base": base}


def _hid(i: int) -> str:
    return f"HH{i:07d}"


def load(path: str, n: int, seed: int = 7) -> int:
    """Fill a new SQLite database at ``path`` with the bare driver; returns the number
    of observations."""
    rng = np.random.default_rng(seed)
    data = households_rows(n, rng)
    url = f"sqlite:///{path}"
    with jieqin.connect(url) as campaign:
        engine = campaign.storage.engine  # type: ignore[attr-defined]
        with engine.begin() as conn:
            driver = conn.connection.driver_connection
            cur = driver.cursor()
            cur.executemany(
                "INSERT INTO households (household_id, region, status) VALUES (?, ?, ?)",
                ((_hid(i), VILLAGES[int(data["region"][i])], "lifted_out") for i in range(n)),
            )
            cur.executemany(
                "INSERT INTO household_status (household_id, position, status, since, note) "
                "VALUES (?, 0, 'lifted_out', '2020-12-31', '')",
                ((_hid(i),) for i in range(n)),
            )

            def members() -> Iterator[tuple[Any, ...]]:
                for i in range(n):
                    for k in range(int(data["sizes"][i])):
                        yield (
                            f"{_hid(i)}-{k + 1}",
                            _hid(i),
                            k,
                            "某某",
                            "male" if k % 2 == 0 else "female",
                            "1980-01-01",
                            "head" if k == 0 else "child",
                            "healthy",
                            "farming",
                        )

            cur.executemany(
                "INSERT INTO household_members (member_id, household_id, position, name, sex, "
                "birth_date, relation, health_condition, employment) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                members(),
            )
            fall = rng.random(n) < 0.015
            medical = rng.random(n) < 0.03
            noise = rng.normal(1.0, 0.1, (n, 12)).clip(0.2, 2.0)

            def observations() -> Iterator[tuple[Any, ...]]:
                for i in range(n):
                    base = float(data["base"][i])
                    for j, (year, month) in enumerate(MONTHS):
                        amount = base * float(noise[i, j])
                        if j == 11 and fall[i]:
                            amount *= 0.4
                        yield (
                            f"ob{i}-{j}",
                            _hid(i),
                            "income",
                            f"{year}-{month:02d}",
                            round(amount * 100),
                            "survey",
                            "2022-03-31",
                            "",
                        )
                    if medical[i]:
                        yield (
                            f"om{i}",
                            _hid(i),
                            "medical",
                            "2022-02",
                            int(rng.integers(1000, 2_000_000)),
                            "survey",
                            "2022-03-31",
                            "",
                        )

            cur.executemany(
                "INSERT INTO observations (observation_id, household_id, kind, period, "
                "amount_fen, source, recorded_on, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                observations(),
            )
            count = int(cur.execute("SELECT COUNT(*) FROM observations").fetchone()[0])
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return count


def _period_list(months: list[tuple[int, int]]) -> str:
    return ", ".join(f"'{y}-{m:02d}'" for y, m in months)


def anchor(path: str) -> tuple[float, set[str]]:
    """The same month decided and stored by one hand-written statement (rolled back)."""
    import sqlite3

    day = AS_OF
    line = int(jieqin.rules.monitoring.monitoring_line("610202001001", day) * 100)
    fall = jieqin.rules.monitoring.monitoring_value(INCOME_FALL_LIMIT, "610202001001", day)
    burden = jieqin.rules.monitoring.monitoring_value(MEDICAL_BURDEN_LIMIT, "610202001001", day)
    due = date.fromordinal(day.toordinal() + warning_check_days("610202001001", day)).isoformat()
    window = _period_list(MONTHS)
    sql = f"""
    INSERT INTO risk_warnings (warning_id, household_id, rules, period, raised_on, check_due,
        status, assigned_to, assigned_on, check_note, reason)
    SELECT 'rw:' || s.household_id, s.household_id,
        '[' || trim(
            CASE WHEN s.m > 0 AND (s.inc * 12 / s.m) < {line} THEN '"income_below_line",' ELSE '' END ||
            CASE WHEN s.mp > 0 AND s.mn > 0 AND (s.prev * 12 / s.mp) > 0
                 AND ((s.prev * 12 / s.mp) - (s.now * 12 / s.mn)) * 10000 / (s.prev * 12 / s.mp) > {fall} * 100
                 THEN '"income_fell",' ELSE '' END ||
            CASE WHEN s.m > 0 AND s.med > 0 AND (s.inc * 12 / s.m) * s.size = 0 THEN '"medical_burden",'
                 WHEN s.m > 0 AND (s.inc * 12 / s.m) * s.size > 0
                 AND s.med * 10000 / ((s.inc * 12 / s.m) * s.size) > {burden} * 100
                 THEN '"medical_burden",' ELSE '' END, ',') || ']',
        '2022-03', '{day.isoformat()}', '{due}', 'assigned',
        'township:' || substr(s.region, 1, 9), '{day.isoformat()}', '', ''
    FROM (
        SELECT h.household_id, h.region,
            (SELECT COUNT(*) FROM household_members m
             WHERE m.household_id = h.household_id AND m.departed_on IS NULL) AS size,
            o.inc, o.m, o.now, o.mn, o.prev, o.mp, o.med
        FROM households h JOIN (
            SELECT household_id,
                SUM(CASE WHEN kind = 'income' THEN amount_fen ELSE 0 END) AS inc,
                SUM(CASE WHEN kind = 'income' THEN 1 ELSE 0 END) AS m,
                SUM(CASE WHEN kind = 'income' AND period = '2022-03' THEN amount_fen ELSE 0 END) AS now,
                SUM(CASE WHEN kind = 'income' AND period = '2022-03' THEN 1 ELSE 0 END) AS mn,
                SUM(CASE WHEN kind = 'income' AND period = '2022-02' THEN amount_fen ELSE 0 END) AS prev,
                SUM(CASE WHEN kind = 'income' AND period = '2022-02' THEN 1 ELSE 0 END) AS mp,
                SUM(CASE WHEN kind = 'medical' THEN amount_fen ELSE 0 END) AS med
            FROM observations
            WHERE kind IN ('income', 'medical') AND period IN ({window})
            GROUP BY household_id
        ) o ON o.household_id = h.household_id
    ) s
    WHERE (s.m > 0 AND (s.inc * 12 / s.m) < {line})
       OR (s.mp > 0 AND s.mn > 0 AND (s.prev * 12 / s.mp) > 0
           AND ((s.prev * 12 / s.mp) - (s.now * 12 / s.mn)) * 10000 / (s.prev * 12 / s.mp) > {fall} * 100)
       OR (s.m > 0 AND s.med > 0 AND (s.inc * 12 / s.m) * s.size = 0)
       OR (s.m > 0 AND (s.inc * 12 / s.m) * s.size > 0
           AND s.med * 10000 / ((s.inc * 12 / s.m) * s.size) > {burden} * 100)
    """
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        start = time.perf_counter()
        conn.execute(sql)
        elapsed = time.perf_counter() - start
        warned = {r[0] for r in conn.execute("SELECT household_id FROM risk_warnings")}
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    return elapsed, warned


def run_jieqin(path: str) -> tuple[float, set[str], int]:
    with jieqin.connect(f"sqlite:///{path}", clock=FixedClock(date(2022, 4, 1))) as campaign:
        parameters = campaign.monitoring_parameters()
        start = time.perf_counter()
        with campaign.unit_of_work("bench") as uow:
            run = run_warnings(uow, AS_OF, parameters=parameters)
        elapsed = time.perf_counter() - start
        assert run.summed_by_database
    return elapsed, {w.household_id for w in run.raised}, run.households


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--path", default=None, help="the SQLite file (default: a temp file)")
    parser.add_argument("--reuse", action="store_true", help="use --path as it is (no load)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="jieqin-monitoring-")
    path = args.path or os.path.join(folder, "monitoring.db")
    try:
        if not args.reuse:
            start = time.perf_counter()
            observations = load(path, args.households)
            print(f"loaded {args.households:,} households, {observations:,} observations "
                  f"in {time.perf_counter() - start:.1f} s", flush=True)  # fmt: skip
        else:
            import sqlite3

            with sqlite3.connect(path) as conn:
                observations = conn.execute("SELECT COUNT(*) FROM observations").fetchone()[0]
        work = os.path.join(folder, "run.db")
        shutil.copyfile(path, work)
        import sqlite3

        with sqlite3.connect(work) as conn:  # warm the page cache alike for both
            conn.execute("SELECT COUNT(*), SUM(amount_fen) FROM observations").fetchone()
        anchor_s, anchored = anchor(work)
        jieqin_s, raised, households = run_jieqin(work)
        assert raised == anchored, (len(raised), len(anchored), len(raised ^ anchored))
        ratio = jieqin_s / anchor_s
        print(f"households {households:,}; warnings raised {len(raised):,}")
        print(f"jieqin run_warnings (read, decide, store) {jieqin_s:8.2f} s")
        print(f"anchor: one INSERT ... SELECT              {anchor_s:8.2f} s")
        print(f"ratio {ratio:.2f}")
        if args.json:
            print(
                json.dumps(
                    {
                        "households": households,
                        "observations": observations,
                        "warnings": len(raised),
                        "jieqin_s": round(jieqin_s, 3),
                        "anchor_s": round(anchor_s, 3),
                        "ratio": round(ratio, 3),
                    }
                )
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
