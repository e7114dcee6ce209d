"""Eight processes allocating grants and writing activities against one database.

The full size (10,000 allocations and 10,000 activity writes) is the benchmark
``benchmarks/load.py``; the suite runs the same harness smaller
(``JIEQIN_LOAD_OPERATIONS`` of each, default 48).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

import jieqin
from jieqin.errors import StorageBusy
from jieqin.model import Activity

OPERATIONS = int(os.environ.get("JIEQIN_LOAD_OPERATIONS", "48"))


def _load_harness() -> ModuleType:
    path = Path(__file__).parents[2] / "benchmarks" / "load.py"
    spec = importlib.util.spec_from_file_location("jieqin_load_harness", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


load = _load_harness()


def _check(result: object) -> None:
    assert result.errors == (), result.errors[:3]  # type: ignore[attr-defined]
    assert result.overspent == 0  # type: ignore[attr-defined]
    assert result.spent == result.budget  # type: ignore[attr-defined]  # contention reached the end of the fund
    assert result.duplicate_grants == 0  # type: ignore[attr-defined]
    assert result.activities_acknowledged == OPERATIONS  # type: ignore[attr-defined]
    assert result.lost_activities == 0  # type: ignore[attr-defined]


def test_eight_processes_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'load.db'}"
    _check(load.run(url, workers=8, allocations=OPERATIONS, activities=OPERATIONS))


@pytest.mark.postgresql
def test_eight_processes_on_postgresql(postgresql_url: str) -> None:
    _check(load.run(postgresql_url, workers=8, allocations=OPERATIONS, activities=OPERATIONS))


def test_sqlite_writers_wait_for_each_other_instead_of_failing(tmp_path: Path) -> None:
    """A writer that finds the database locked waits (busy timeout) rather than failing."""
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    load.prepare(url, households_count=2, budget_grants=1)
    with jieqin.connect(url) as first, jieqin.connect(url) as second:
        holder = first.unit_of_work("holder")
        holder.__enter__()
        holder.activities.add(Activity("held", "visit", load.date(2021, 1, 1), "LP0", "L0"))
        # the second writer would block until the first commits; commit it from a timer
        import threading

        timer = threading.Timer(0.5, holder.commit)
        timer.start()
        with second.unit_of_work("waiter") as uow:
            uow.activities.add(Activity("waited", "visit", load.date(2021, 1, 2), "LP1", "L1"))
            uow.commit()
        timer.join()
        holder.__exit__(None, None, None)
        with first.unit_of_work() as uow:
            assert {a.activity_id for a in uow.activities.list()} == {"held", "waited"}


def test_a_writer_kept_out_too_long_gets_a_clear_error_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``JIEQIN_SQLITE_LOCK_WAIT`` the caller sees StorageBusy, never SQLite's own error."""
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    load.prepare(url, households_count=2, budget_grants=1)
    monkeypatch.setenv("JIEQIN_SQLITE_LOCK_WAIT", "0.3")
    with jieqin.connect(url) as first, jieqin.connect(url) as second:

        def kept_out() -> None:
            with second.unit_of_work("waiter") as uow:
                uow.activities.add(
                    Activity("kept-out", "visit", load.date(2021, 1, 2), "LP1", "L1")
                )
                uow.commit()

        with first.unit_of_work("holder") as holder:
            holder.activities.add(Activity("held", "visit", load.date(2021, 1, 1), "LP0", "L0"))
            with pytest.raises(StorageBusy, match="locked for over 0 s") as caught:
                kept_out()
            assert "database is locked" not in str(caught.value)
            holder.commit()
        with second.unit_of_work() as uow:
            assert {a.activity_id for a in uow.activities.list()} == {"held"}
