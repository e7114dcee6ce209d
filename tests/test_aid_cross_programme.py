"""Allocations whose rules read other grants are serialised across processes.

Processes allocate, all at once, two programmes that exclude each other
(``not_granted_before``) and a once-only programme for two years. An allocation locks
every programme its rules read before it reads, so no member ever gets both
excluding grants, or the once-only grant twice. (Without the lock, PostgreSQL gave
several members both.) The full run, eight processes and many more allocations, is
``benchmarks/load.py --exclusive``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

import jieqin
from jieqin.model import Grant, Year

sys.path.insert(0, str(Path(__file__).parent))
from exclusive_world import AMOUNT, ExclusivePlugin, records

pytestmark = pytest.mark.slow

WORKERS = 4
HOUSEHOLDS = 30

WORKER = """
import sys, time
sys.path.insert(0, sys.argv[3])
import jieqin
from jieqin.model import Year
from exclusive_world import ALLOCATIONS, ExclusivePlugin
url, start_at, _, first = sys.argv[1], float(sys.argv[2]), sys.argv[3], int(sys.argv[4])
with jieqin.connect(url, plugins=[ExclusivePlugin()]) as campaign:
    while time.time() < start_at:
        time.sleep(0.005)
    for i in range(len(ALLOCATIONS)):
        program, year = ALLOCATIONS[(first + i) % len(ALLOCATIONS)]
        plan = campaign.allocate(program, Year(year), actor="worker")
        print(program, year, len(plan.grants))
"""


def _setup(url: str) -> None:
    with (
        jieqin.connect(url, plugins=[ExclusivePlugin()]) as campaign,
        campaign.unit_of_work("setup") as uow,
    ):
        for name, items in records(HOUSEHOLDS).items():
            getattr(uow, name).add_many(items)
        uow.commit()


def breaches(url: str) -> tuple[int, int]:
    """Members holding both excluding grants; members holding the once-only grant twice."""
    with (
        jieqin.connect(url, plugins=[ExclusivePlugin()]) as campaign,
        campaign.unit_of_work("check", read_only=True) as uow,
    ):
        grants = uow.grants.list()
    held: dict[str, set[str]] = {}
    once: Counter[str] = Counter()
    for grant in grants:
        assert grant.member_id is not None
        held.setdefault(grant.member_id, set()).add(grant.program_id)
        if grant.program_id == "once_c":
            once[grant.member_id] += 1
    both = sum(1 for programs in held.values() if {"excl_a", "excl_b"} <= programs)
    return both, sum(1 for n in once.values() if n > 1)


def _allocate_at_once(url: str) -> None:
    _setup(url)
    start_at = time.time() + 5
    here = str(Path(__file__).parent)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(start_at), here, str(i)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(WORKERS)
    ]
    outputs = [w.communicate(timeout=300) for w in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    assert breaches(url) == (0, 0)
    with (
        jieqin.connect(url, plugins=[ExclusivePlugin()]) as campaign,
        campaign.unit_of_work("check", read_only=True) as uow,
    ):
        # Everyone got one of the two excluding grants, and the once-only one once.
        excluding = uow.grants.count(program_id="excl_a") + uow.grants.count(program_id="excl_b")
        assert excluding == HOUSEHOLDS
        assert uow.grants.count(program_id="once_c") == HOUSEHOLDS


def test_excluding_and_once_only_programmes_on_sqlite(sqlite_url: str) -> None:
    _allocate_at_once(sqlite_url)


@pytest.mark.postgresql
def test_excluding_and_once_only_programmes_on_postgresql(postgresql_url: str) -> None:
    _allocate_at_once(postgresql_url)


def test_the_breach_count_sees_a_breach(sqlite_url: str) -> None:
    """Grants written around the allocation's lock are counted as the breach they are."""
    _setup(sqlite_url)
    day = date(2021, 6, 1)
    with (
        jieqin.connect(sqlite_url, plugins=[ExclusivePlugin()]) as campaign,
        campaign.unit_of_work("setup") as uow,
    ):
        for program in ("excl_a", "excl_b"):
            fund = f"{program}-2021"
            uow.grants.add(
                Grant(f"g-{program}", program, fund, Year(2021), "x1", "x1-1", AMOUNT, day, "d")
            )
        uow.commit()
    assert breaches(sqlite_url) == (1, 0)
