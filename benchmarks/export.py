"""Speed and peak memory of ``jieqin export households``: flat in the number of households.

Builds a SQLite campaign of N households (three members each, every resident ID
distinct), then runs ``jieqin export households -o FILE`` (masked, the default) in a
child process and reports the export's time (measured inside the child, around the
command) and the child's peak resident set size (``resource.getrusage``). The anchor,
in the same run, is the floor of the same work by hand: one SQL query over the three
tables written with :mod:`csv`, no masking::

    python benchmarks/export.py --households 50000 200000 [--json]

``--json`` prints one JSON line per size: ``households``, ``export_s``,
``households_per_s``, ``peak_mb``, ``anchor_s``, ``ratio``. The figures are in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from stdnum.cn import ric

from jieqin.io.kinds import HOUSEHOLDS

PLACES = ("610322", "610323", "610324", "610326", "610327", "610328", "610329")
HISTORY = "poor@2016-01-01;lifted_out@2020-06-30"


def _number(place: str, born: date, serial: int) -> str:
    first17 = f"{place}{born:%Y%m%d}{serial:03d}"
    return first17 + ric.calc_check_digit(first17 + "0")


def household_lines(households: int) -> Iterator[str]:
    """Three member rows per household; (place, birth day, serial) differ for everyone."""
    for i in range(households):
        hid = f"h{i:07d}"
        common = f"{hid},6102020{i % 30 + 1:02d}{i % 200 + 1:03d},{HISTORY}"
        place, serial, day = PLACES[i % 7], (i // 7) % 1000, i // 7000
        head = date(1950, 1, 1) + timedelta(days=day)
        spouse = date(1975, 1, 1) + timedelta(days=day)
        child = date(2008, 1, 1) + timedelta(days=day)
        grade = "3" if i % 11 == 0 else ""
        yield (
            f"{common},{hid}-1,王建国,male,{head},{_number(place, head, serial)},"
            "head,healthy,,,,,,migrant_worker,13900000001\n"
            f"{common},{hid}-2,李秀英,female,{spouse},{_number(place, spouse, serial)},"
            f"spouse,healthy,,{grade},,,,farming,\n"
            f"{common},{hid}-3,王磊,male,{child},{_number(place, child, serial)},"
            "child,,,,primary,2015,,student,\n"
        )


_CHILD = (
    "import resource, sys, time\n"
    "from jieqin.cli import main\n"
    "started = time.perf_counter()\n"
    "code = 0\n"
    "try:\n"
    "    main()\n"
    "except SystemExit as exit:\n"
    "    code = exit.code\n"
    "seconds = time.perf_counter() - started\n"
    "print(seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _run(*args: str) -> tuple[float, int]:
    """Seconds (inside the child, around the command) and peak RSS (KiB) of ``jieqin ARGS``."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args], check=True, capture_output=True, text=True
    )
    seconds, peak = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(peak)


def anchor(db: Path, out: Path) -> float:
    """The floor: the member rows joined to their households by one query, written
    with :mod:`csv` (no masking, no status history)."""
    started = time.perf_counter()
    with sqlite3.connect(db) as conn, open(out, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        rows = conn.execute(
            "SELECT h.household_id, h.region, h.status, m.member_id, m.name, m.sex, "
            "m.birth_date, m.resident_id, m.relation, m.health_condition, m.diagnosis, "
            "m.disability_grade, m.school_level, m.school_year_of_entry, "
            "m.school_institution, m.employment, m.phone FROM households h "
            "JOIN household_members m ON m.household_id = h.household_id "
            "ORDER BY h.household_id, m.position"
        )
        while batch := rows.fetchmany(10_000):
            writer.writerows(batch)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, nargs="+", default=[50_000, 200_000])
    parser.add_argument("--json", action="store_true", help="one JSON line per size")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in sorted(args.households):
            csv_path, db = Path(tmp, f"h{n}.csv"), Path(tmp, f"h{n}.db")
            with open(csv_path, "w", encoding="utf-8", newline="") as out:
                out.write(",".join(c.name for c in HOUSEHOLDS.all_columns()) + "\n")
                out.writelines(household_lines(n))
            _run("init", "--db", str(db))
            _run("import", "households", str(csv_path), "--db", str(db))
            seconds, peak = _run(
                "export", "households", "-o", str(Path(tmp, "out.csv")), "--db", str(db)
            )
            floor = anchor(db, Path(tmp, "anchor.csv"))
            figures = {
                "households": n,
                "export_s": round(seconds, 2),
                "households_per_s": round(n / seconds),
                "peak_mb": round(peak / 1024),
                "anchor_s": round(floor, 2),
                "ratio": round(seconds / floor, 1),
            }
            if args.json:
                print(json.dumps(figures))
            else:
                print(
                    f"{n:>9,} households: export {seconds:6.1f} s "
                    f"({figures['households_per_s']:,}/s), peak RSS {figures['peak_mb']:5} MB; "
                    f"anchor {floor:5.1f} s, ratio {figures['ratio']}"
                )


if __name__ == "__main__":
    main()
