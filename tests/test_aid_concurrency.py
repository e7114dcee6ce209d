"""Several processes allocate from one fund at once: never overspent, never granted twice."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

import jieqin
from jieqin.model import (
    Fund,
    Helper,
    Household,
    Member,
    Pairing,
    RegionCode,
    Relation,
    Schooling,
    SchoolLevel,
    Sex,
    StatusChange,
    Year,
)
from jieqin.model.identity import birthplace_codes, check_digit

pytestmark = pytest.mark.slow

SCHOLARSHIP = "tc_freshman_scholarship"
WORKERS = 4
FRESHMEN = 24
BUDGET = Decimal(50_000)  # ten grants of 5,000

WORKER = """
import sys, time
import jieqin
from jieqin.model import Year
url, start_at = sys.argv[1], float(sys.argv[2])
with jieqin.connect(url) as campaign:
    campaign.aid_program("tc_freshman_scholarship")
    while time.time() < start_at:
        time.sleep(0.005)
    for _ in range(2):
        plan = campaign.allocate("tc_freshman_scholarship", Year(2021), actor="worker")
        print(len(plan.grants))
"""


def _member(mid: str, born: date, relation: Relation, **facts: object) -> Member:
    place = birthplace_codes(born.year, within="6102")[0]
    first = f"{place}{born:%Y%m%d}{int(mid.split('-')[0][1:]) % 1000:03d}"
    return Member(mid, "赵四", Sex.MALE, born, first + check_digit(first), relation, **facts)


def _setup(url: str) -> None:
    homes = [
        Household(
            f"h{i}",
            RegionCode("610222001001"),
            [
                _member(f"h{i}-1", date(1972, 1, 1), Relation.HEAD),
                _member(
                    f"h{i}-2",
                    date(2003, 1, 1),
                    Relation.CHILD,
                    schooling=Schooling(SchoolLevel.COLLEGE, 2021),
                ),
            ],
            [StatusChange("lifted_out", date(2019, 1, 1))],
        )
        for i in range(FRESHMEN)
    ]
    with jieqin.connect(url) as campaign, campaign.unit_of_work("setup") as uow:
        uow.households.add_many(homes)
        uow.helpers.add(Helper("p1", "周老师", "city_member", RegionCode("610222"), capacity=99))
        uow.pairings.add_many([Pairing("p1", h.household_id, date(2021, 1, 1)) for h in homes])
        uow.programs.add(campaign.aid_program(SCHOLARSHIP).program)
        uow.funds.add(Fund("f1", SCHOLARSHIP, Year(2021), BUDGET))
        uow.commit()


def _allocate_concurrently(url: str) -> None:
    _setup(url)
    start_at = time.time() + 4
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(start_at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    outputs = [w.communicate(timeout=240) for w in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    granted_per_run = [int(x) for out, _ in outputs for x in out.split()]
    assert sum(granted_per_run) == 10  # everything granted once, by whichever run got there
    with jieqin.connect(url) as campaign, campaign.unit_of_work("check") as uow:
        grants = uow.grants.list(program_id=SCHOLARSHIP)
        assert len(grants) == 10
        assert uow.funds.spent("f1") == BUDGET
        slots = Counter((g.program_id, str(g.period), g.member_id) for g in grants)
        assert max(slots.values()) == 1
        assert uow.decisions.count(program_id=SCHOLARSHIP) == FRESHMEN * 2


def test_concurrent_allocations_on_sqlite(sqlite_url):
    _allocate_concurrently(sqlite_url)


@pytest.mark.postgresql
def test_concurrent_allocations_on_postgresql(postgresql_url):
    _allocate_concurrently(postgresql_url)
