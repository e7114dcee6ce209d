"""Concurrency under load: processes making grant allocations and activity writes at once.

Each of ``--workers`` processes (forked) makes its share of ``--allocations`` grant
allocations (``jieqin.services.aid.allocate`` for one randomly chosen household, so
workers race for the same households and the same fund) and of ``--activities``
activity writes, all against one database. Afterwards it checks that no fund is
overspent, no member holds two grants of the programme in the period, every
acknowledged activity is stored, and no "database is locked" reached a caller.

    python benchmarks/load.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        --workers 8 --allocations 10000 --activities 10000
    python benchmarks/load.py --url sqlite:///load.db --workers 8 \\
        --allocations 10000 --activities 10000

With ``--exclusive``, the processes instead race to allocate, one household at a
time, two programmes that exclude each other (``not_granted_before``) and a
once-only programme in two years (the programmes of ``tests/exclusive_world.py``);
afterwards it counts the members holding both excluding grants and the members
holding the once-only grant twice. Both must be zero: an allocation locks every
programme its rules read.

    python benchmarks/load.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test \
        --exclusive --workers 8 --allocations 4000

A PostgreSQL URL gets a fresh schema that is dropped afterwards; a SQLite file is
created fresh. ``--json`` prints the figures as one JSON line. The figures go to
``docs/reliability.md``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import secrets
import sys
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import attrs

import jieqin
from jieqin.model import (
    Activity,
    Fund,
    Helper,
    Household,
    Member,
    Pairing,
    Program,
    ProgramKind,
    RegionCode,
    Relation,
    Schooling,
    SchoolLevel,
    Sex,
    StatusChange,
    Year,
    birthplace_codes,
)
from jieqin.model.identity import check_digit
from jieqin.rules import AidProgram, all_of, college_freshman

YEAR = Year(2021)
AMOUNT = Decimal("5000.00")
FUND_ID = "load-fund"
PROGRAM = AidProgram(
    Program("load_scholarship", "爱心助学", "市慈善协会", ProgramKind.SCHOLARSHIP, amount=AMOUNT),
    all_of("load_scholarship", college_freshman()),
)
FORK = multiprocessing.get_context("fork")


@attrs.frozen
class LoadResult:
    """What a load run did and found."""

    workers: int
    allocations: int
    activities: int
    seconds: float
    grants: int
    budget: Decimal
    spent: Decimal
    duplicate_grants: int
    activities_acknowledged: int
    activities_stored: int
    errors: tuple[str, ...]

    @property
    def overspent(self) -> Decimal:
        return max(Decimal(0), self.spent - self.budget)

    @property
    def lost_activities(self) -> int:
        return self.activities_acknowledged - self.activities_stored

    @property
    def locked_errors(self) -> int:
        return sum("database is locked" in e for e in self.errors)


class LoadPlugin:
    """Registers the programme the workers allocate (the write path knows only
    registered programmes)."""

    @staticmethod
    @jieqin.hookimpl
    def jieqin_register_programs(register: Any) -> None:
        register(PROGRAM)


PLUGINS = [LoadPlugin()]


def _resident_id(born: date, serial: int) -> str:
    """A number of its own for each serial (the place changes every thousand)."""
    places = birthplace_codes(born.year, within="61")
    place = places[serial // 1000 % len(places)]
    first = f"{place}{born:%Y%m%d}{serial % 1000:03d}"
    return first + check_digit(first)


def households(count: int) -> list[Household]:
    """Households of a parent and a college freshman of 2021."""
    out = []
    for n in range(count):
        parent_born = date(1965, 1, 1) + timedelta(days=n % 3000)
        child_born = date(2003, 1, 1) + timedelta(days=n % 300)
        members = [
            Member(f"L{n}-1", "王伟", Sex.MALE, parent_born, _resident_id(parent_born, 2 * n + 1)),
            Member(
                f"L{n}-2",
                "王芳",
                Sex.FEMALE,
                child_born,
                _resident_id(child_born, 2 * n),
                Relation.CHILD,
                schooling=Schooling(SchoolLevel.COLLEGE, 2021),
            ),
        ]
        out.append(
            Household(
                f"L{n}",
                RegionCode("610202001001"),
                members,
                [StatusChange("lifted_out", date(2019, 1, 1))],
            )
        )
    return out


def prepare(url: str, *, households_count: int, budget_grants: int) -> list[Household]:
    """Store the helpers, households, programme and fund the workers use."""
    homes = households(households_count)
    with (
        jieqin.connect(url, plugins=PLUGINS) as campaign,
        campaign.unit_of_work("load:setup") as uow,
    ):
        uow.helpers.add_many(
            [
                Helper(f"LP{i}", "李强", "city_member", RegionCode("610202"), capacity=50)
                for i in range(8)
            ]
        )
        uow.households.add_many(homes)
        # Every helper visits every household (activities need a pairing on their day).
        uow.pairings.add_many(
            [Pairing(f"LP{i}", h.household_id, date(2021, 1, 1)) for i in range(8) for h in homes]
        )
        uow.programs.add(PROGRAM.program)
        uow.funds.add(Fund(FUND_ID, PROGRAM.program.program_id, YEAR, AMOUNT * budget_grants))
        uow.commit()
    return homes


def _worker(
    url: str, worker: int, allocations: int, activities: int, homes: int, queue: Any
) -> None:
    from jieqin.services.aid import allocate

    rng = random.Random(worker)
    errors: list[str] = []
    acknowledged = 0
    try:
        with jieqin.connect(url, plugins=PLUGINS) as campaign:
            with campaign.unit_of_work(f"load:worker{worker}") as uow:
                homes_by_id = {h.household_id: h for h in uow.households.list()}
            jobs = ["grant"] * allocations + ["activity"] * activities
            rng.shuffle(jobs)
            for i, job in enumerate(jobs):
                household_id = f"L{rng.randrange(homes)}"
                try:
                    with campaign.unit_of_work(f"load:worker{worker}") as uow:
                        if job == "grant":
                            # the fund lock is the unit of work's first statement
                            allocate(
                                uow,
                                PROGRAM,
                                YEAR,
                                fund_id=FUND_ID,
                                households=[homes_by_id[household_id]],
                                on=date(2021, 9, 1),
                            )
                            continue
                        uow.activities.add(
                            Activity(
                                f"W{worker}-{i}",
                                "visit",
                                date(2021, 1, 1) + timedelta(days=i % 365),
                                f"LP{worker}",
                                household_id,
                            )
                        )
                        uow.commit()
                    acknowledged += 1
                except Exception as exc:  # everything a caller would see is recorded
                    errors.append(f"{type(exc).__name__}: {exc}")
    except Exception:
        errors.append(traceback.format_exc())
    queue.put((acknowledged, errors))


def _share(total: int, workers: int, worker: int) -> int:
    """The worker's part of ``total`` (the first ones take one more when it does not divide)."""
    return total // workers + (worker < total % workers)


def _race(target: Any, arguments: list[tuple[Any, ...]]) -> tuple[list[Any], float]:
    """Start a forked process per argument tuple at once (each also given the result
    queue); their results and the seconds until the last finished."""
    queue = FORK.Queue()
    started = time.perf_counter()
    procs = [FORK.Process(target=target, args=(*args, queue)) for args in arguments]
    for p in procs:
        p.start()
    outcomes = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    return outcomes, time.perf_counter() - started


def run(
    url: str,
    *,
    workers: int = 8,
    allocations: int = 80,
    activities: int = 80,
    households_count: int | None = None,
) -> LoadResult:
    """Run the load against a fresh database at ``url`` and check what it left."""
    homes = households_count or max(20, allocations // 2)
    budget_grants = homes * 3 // 4  # the fund runs out before every freshman is served
    prepare(url, households_count=homes, budget_grants=budget_grants)
    outcomes, seconds = _race(
        _worker,
        [
            (url, w, _share(allocations, workers, w), _share(activities, workers, w), homes)
            for w in range(workers)
        ],
    )
    acknowledged = sum(a for a, _ in outcomes)
    errors = tuple(e for _, errs in outcomes for e in errs)
    with (
        jieqin.connect(url, plugins=PLUGINS) as campaign,
        campaign.unit_of_work("load:check") as uow,
    ):
        grants = uow.grants.list(program_id=PROGRAM.program.program_id)
        stored = uow.activities.count()
        fund = uow.funds.get(FUND_ID)
    per_member = Counter((g.program_id, str(g.period), g.member_id) for g in grants)
    return LoadResult(
        workers=workers,
        allocations=allocations,
        activities=activities,
        seconds=seconds,
        grants=len(grants),
        budget=fund.budget,
        spent=sum((g.amount for g in grants), Decimal(0)),
        duplicate_grants=sum(c - 1 for c in per_member.values()),
        activities_acknowledged=acknowledged,
        activities_stored=stored,
        errors=errors,
    )


@contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """A fresh schema on a PostgreSQL server, or a fresh SQLite file; removed afterwards."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        yield url
        return
    import psycopg

    schema = f"jieqin_load_{secrets.token_hex(6)}"
    libpq = "postgresql://" + url.partition("://")[2]
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# -- programmes that read each other's grants -----------------------------------------


def _exclusive_world() -> Any:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    import exclusive_world

    return exclusive_world


def _exclusive_worker(url: str, worker: int, allocations: int, homes: int, queue: Any) -> None:
    from jieqin.services.aid import allocate

    world = _exclusive_world()
    programs = {p.program.program_id: p for p in world.PROGRAMS}
    rng = random.Random(worker)
    errors: list[str] = []
    done = 0
    try:
        with jieqin.connect(url, plugins=[world.ExclusivePlugin()]) as campaign:
            with campaign.unit_of_work(f"load:worker{worker}", read_only=True) as uow:
                by_id = {h.household_id: h for h in uow.households.list()}
            for _ in range(allocations):
                program_id, year = rng.choice(world.ALLOCATIONS)
                household = by_id[f"x{rng.randrange(homes)}"]
                try:
                    with campaign.unit_of_work(f"load:worker{worker}") as uow:
                        allocate(
                            uow,
                            programs[program_id],
                            Year(year),
                            fund_id=f"{program_id}-{year}",
                            households=[household],
                            on=date(year, 9, 1),
                        )
                    done += 1
                except Exception as exc:  # everything a caller would see is recorded
                    errors.append(f"{type(exc).__name__}: {exc}")
    except Exception:
        errors.append(traceback.format_exc())
    queue.put((done, errors))


def run_exclusive(
    url: str, *, workers: int = 8, allocations: int = 400, households_count: int | None = None
) -> dict[str, Any]:
    """Race ``workers`` processes allocating the excluding and once-only programmes
    one household at a time; count the breaches."""
    world = _exclusive_world()
    homes = households_count or max(20, allocations // 8)
    with (
        jieqin.connect(url, plugins=[world.ExclusivePlugin()]) as campaign,
        campaign.unit_of_work("load:setup") as uow,
    ):
        for name, items in world.records(homes).items():
            getattr(uow, name).add_many(items)
        uow.commit()
    outcomes, seconds = _race(
        _exclusive_worker,
        [(url, w, _share(allocations, workers, w), homes) for w in range(workers)],
    )
    with (
        jieqin.connect(url, plugins=[world.ExclusivePlugin()]) as campaign,
        campaign.unit_of_work("load:check", read_only=True) as uow,
    ):
        grants = uow.grants.list()
    held: dict[str, set[str]] = {}
    once: Counter[str] = Counter()
    for grant in grants:
        held.setdefault(str(grant.member_id), set()).add(grant.program_id)
        once[str(grant.member_id)] += grant.program_id == "once_c"
    errors = [e for _, errs in outcomes for e in errs]
    return {
        "workers": workers,
        "households": homes,
        "allocations": sum(done for done, _ in outcomes),
        "seconds": round(seconds, 2),
        "grants": len(grants),
        "both_excluding": sum(1 for p in held.values() if {"excl_a", "excl_b"} <= p),
        "once_only_twice": sum(1 for n in once.values() if n > 1),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--allocations", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--households", type=int, default=None)
    parser.add_argument(
        "--exclusive", action="store_true", help="race programmes that read each other's grants"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = parser.parse_args(argv)
    backend = args.url.partition(":")[0]
    if args.exclusive:
        with fresh_database(args.url) as url:
            figures = run_exclusive(
                url,
                workers=args.workers,
                allocations=args.allocations,
                households_count=args.households,
            )
        figures["backend"] = backend
        if args.json:
            print(json.dumps(figures))
        else:
            for key, value in figures.items():
                print(f"{key:24}{value}")
        breached = figures["both_excluding"] or figures["once_only_twice"] or figures["errors"]
        return 1 if breached else 0
    with fresh_database(args.url) as url:
        result = run(
            url,
            workers=args.workers,
            allocations=args.allocations,
            activities=args.activities,
            households_count=args.households,
        )
    if args.json:
        print(
            json.dumps(
                {
                    "backend": backend,
                    "workers": result.workers,
                    "allocations": result.allocations,
                    "activities": result.activities,
                    "seconds": round(result.seconds, 2),
                    "grants": result.grants,
                    "overspent": str(result.overspent),
                    "duplicate_grants": result.duplicate_grants,
                    "activities_lost": result.lost_activities,
                    "errors": len(result.errors),
                    "locked_errors": result.locked_errors,
                }
            )
        )
        return _verdict(result)
    print(f"backend                 {backend}")
    print(f"workers                 {result.workers}")
    print(f"allocations             {result.allocations}")
    print(f"activity writes         {result.activities}")
    print(f"seconds                 {result.seconds:.1f}")
    print(
        f"operations per second   {(result.allocations + result.activities) / result.seconds:.0f}"
    )
    print(f"grants made             {result.grants}")
    print(f"budget / spent          {result.budget} / {result.spent}")
    print(f"overspent               {result.overspent}")
    print(f"duplicate grants        {result.duplicate_grants}")
    print(f"activities acknowledged {result.activities_acknowledged}")
    print(f"activities lost         {result.lost_activities}")
    print(
        f"errors seen by callers  {len(result.errors)} ({result.locked_errors} 'database is locked')"
    )
    for error in sorted(set(result.errors))[:5]:
        print(f"  {error[:200]}")
    return _verdict(result)


def _verdict(result: LoadResult) -> int:
    ok = (
        result.overspent == 0
        and result.duplicate_grants == 0
        and result.lost_activities == 0
        and not result.errors
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
