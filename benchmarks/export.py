"""Peak memory of ``jieqin export households``: flat in the number of households.

Builds a SQLite campaign of N households (three members each, every resident ID
distinct), then runs ``jieqin export households -o FILE`` in a child process and
reports the child's peak resident set size (``resource.getrusage``)::

    python benchmarks/export.py --households 50000 200000

The figures are in docs/reliability.md.
"""

from __future__ import annotations

import argparse
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
    "import resource, sys\n"
    "from jieqin.cli import main\n"
    "try:\n"
    "    main()\n"
    "except SystemExit:\n"
    "    pass\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)


def _run(*args: str) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of ``jieqin ARGS``, measured inside its own process."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args], check=True, capture_output=True, text=True
    )
    return time.perf_counter() - started, int(done.stderr.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, nargs="+", default=[50_000, 200_000])
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
            print(f"{n:>9,} households: export {seconds:6.1f} s, peak RSS {peak / 1024:6.0f} MB")


if __name__ == "__main__":
    main()
