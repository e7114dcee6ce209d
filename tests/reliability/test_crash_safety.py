"""An import killed with SIGKILL at a random point leaves all of it or none of it.

A forked child imports a large helpers file in batches; the parent kills it with
SIGKILL when a random share of the file has been read (or, for a share over 100%,
a moment after reading ended, while the import commits). Afterwards the database
holds each file's records either all or not at all, with matching audit entries,
passes its integrity check, and a killed import simply runs again to completion.

``JIEQIN_CRASH_RUNS`` (default 20 per database) and ``JIEQIN_CRASH_ROWS`` (default
2500 records a file) set the size.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import random
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import jieqin

RUNS = int(os.environ.get("JIEQIN_CRASH_RUNS", "20"))
ROWS = int(os.environ.get("JIEQIN_CRASH_ROWS", "2500"))
BATCH = 500
ACTOR = "test:crash"
FORK = multiprocessing.get_context("fork")


def _write_file(path: Path, prefix: str) -> int:
    with path.open("w", encoding="utf-8") as out:
        out.write("helper_id,name,tier,home_region,sectors,capacity,active,phone\n")
        for i in range(ROWS):
            out.write(f"{prefix}-{i},王伟,city_member,610202,medical;law,2,true,139{i:08d}\n")
    return path.stat().st_size


def _child(url: str, path: str, progress: Any, started: Any) -> None:
    def read(n: int) -> None:
        progress.value += n

    try:
        with jieqin.connect(url) as campaign:
            started.set()
            campaign.import_file("helpers", path, actor=ACTOR, batch_size=BATCH, on_bytes=read)
    finally:
        started.set()
    os._exit(0)


def _counts(url: str) -> tuple[int, int]:
    with jieqin.connect(url) as campaign, campaign.unit_of_work() as uow:
        return uow.helpers.count(), uow.audit.count(actor=ACTOR)


def _kill_midway(url: str, path: Path, size: int, rng: random.Random) -> int:
    """Run one import in a child and kill it at a random point; returns its exit code."""
    progress = FORK.Value("q", 0, lock=False)
    started = FORK.Event()
    child = FORK.Process(target=_child, args=(url, str(path), progress, started))
    child.start()
    assert started.wait(60), "the import did not start"
    target = rng.uniform(0.0, 1.4) * size
    while child.is_alive() and progress.value < min(target, size):
        time.sleep(0.0005)
    if target > size and child.is_alive():
        time.sleep(rng.uniform(0.0, 0.5))
    if child.is_alive():
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
    child.join(30)
    return int(child.exitcode or 0)


def _crash_runs(url: str, folder: Path, integrity: Callable[[], None]) -> None:
    rng = random.Random(int(os.environ.get("JIEQIN_CRASH_SEED", "0")) or None)
    batches = math.ceil(ROWS / BATCH)
    with jieqin.connect(url):
        pass  # create the schema before the children race for it
    landed = 0
    killed: list[Path] = []
    for run in range(RUNS):
        path = folder / f"run{run}.csv"
        size = _write_file(path, f"r{run}")
        code = _kill_midway(url, path, size, rng)
        helpers, audit = _counts(url)
        assert helpers in (landed * ROWS, (landed + 1) * ROWS), f"run {run}: a partial import"
        whole = helpers == (landed + 1) * ROWS
        assert code in (0, -signal.SIGKILL)
        if code == 0:
            assert whole, f"run {run} finished but its records are not all there"
        landed += whole
        assert audit == landed * batches, f"run {run}: the audit log disagrees with the data"
        if not whole:
            killed.append(path)
        integrity()
    assert killed, "no kill landed before the commit; make the file larger"
    print(f"{url.partition(':')[0]}: {len(killed)} of {RUNS} imports killed, {landed} whole")
    with jieqin.connect(url) as campaign:
        result = campaign.import_file("helpers", killed[-1], actor=ACTOR, batch_size=BATCH)
    assert result.records == ROWS
    assert _counts(url) == ((landed + 1) * ROWS, (landed + 1) * batches)
    integrity()


def test_sqlite_import_killed_at_random_points(tmp_path: Path) -> None:
    database = tmp_path / "crash.db"

    def integrity() -> None:
        with sqlite3.connect(database) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []

    _crash_runs(f"sqlite:///{database}", tmp_path, integrity)


@pytest.mark.postgresql
def test_postgresql_import_killed_at_random_points(postgresql_url: str, tmp_path: Path) -> None:
    import uuid

    import sqlalchemy as sa

    from jieqin.storage.sql.backend import create_engine

    # The children's sessions carry a name of this test's own, so that the check below
    # looks at them alone, not at other tests sharing the server.
    application = f"jieqin_crash_{uuid.uuid4().hex[:12]}"
    url = f"{postgresql_url}&application_name={application}"

    def integrity() -> None:
        engine = create_engine(postgresql_url)
        try:
            with engine.connect() as conn:
                helpers = conn.execute(sa.text("SELECT count(*) FROM helpers")).scalar_one()
                distinct = conn.execute(
                    sa.text("SELECT count(DISTINCT helper_id) FROM helpers")
                ).scalar_one()
                assert helpers == distinct
                # killed sessions are gone: no transaction of theirs is left holding locks
                # (the server notices a killed client's closed socket within moments)
                for _ in range(100):
                    waiting = conn.execute(
                        sa.text(
                            "SELECT count(*) FROM pg_stat_activity"
                            " WHERE application_name = :name AND state LIKE 'idle in transaction%'"
                        ),
                        {"name": application},
                    ).scalar_one()
                    if waiting == 0:
                        break
                    time.sleep(0.1)
                assert waiting == 0
        finally:
            engine.dispose()

    _crash_runs(url, tmp_path, integrity)
