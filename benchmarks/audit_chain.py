"""The write overhead of the audit chain: single-record commits, each one audit entry.

Each of ``--writes`` units of work adds one helper and commits, so each commit
appends (and chains) one audit entry; the figure is commits per second and the time
per commit. Run it once with this jieqin and once with a jieqin from before the
chain (``PYTHONPATH=<its src>``) to see what chaining costs::

    python benchmarks/audit_chain.py --url sqlite:///chain.db --writes 10000
    python benchmarks/audit_chain.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        --writes 10000

A SQLite file is created fresh (removed first if it exists); a PostgreSQL URL gets a
fresh schema that is dropped afterwards. ``--without-chain`` (SQL only) measures the
same code with the chain left out: each entry is inserted numbered but unhashed, with
no lock and no read of the newest entry, as before the chain (the log it leaves does
not verify). ``--verify`` also times ``verify_audit``
over the log written (with this jieqin). ``--json`` prints one JSON line. The
figures go to ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import jieqin
from jieqin.model import Helper, RegionCode


@contextmanager
def _fresh(url: str) -> Iterator[str]:
    """A fresh database at ``url`` (a new schema on PostgreSQL, dropped after)."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        yield url
        return
    import psycopg

    libpq = "postgresql://" + url.split("://", 1)[1]
    schema = f"bench_chain_{secrets.token_hex(4)}"
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')  # type: ignore[arg-type]
    try:
        yield f"{url}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')  # type: ignore[arg-type]


def _leave_out_the_chain() -> None:
    """Insert audit entries as before the chain: no lock, no head, no hash."""
    import itertools
    from datetime import UTC, datetime

    from jieqin.storage.sql import audit
    from jieqin.storage.sql.tables import AUDIT_LOG

    numbers = itertools.count(1)

    def append(conn, actor, pending, *, key):  # type: ignore[no-untyped-def]
        rows = [
            {
                "entry_id": next(numbers),
                "at": datetime.now(UTC),
                "actor": actor,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "changes": dict(changes),
            }
            for action, entity, entity_id, changes in pending
        ]
        conn.execute(AUDIT_LOG.insert(), rows)
        return []

    audit.append = append  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite:///chain.db")
    parser.add_argument("--writes", type=int, default=10_000)
    parser.add_argument("--verify", action="store_true")
    parser.add_argument("--without-chain", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    region = RegionCode("610202")
    figures: dict[str, object] = {"writes": args.writes, "chained": not args.without_chain}
    if args.without_chain:
        _leave_out_the_chain()
    with _fresh(args.url) as url, jieqin.connect(url) as campaign:
        started = time.perf_counter()
        for i in range(args.writes):
            with campaign.unit_of_work("bench") as uow:
                uow.helpers.add(Helper(f"h{i:06d}", "张志明", "city_member", region, capacity=2))
                uow.commit()
        elapsed = time.perf_counter() - started
        figures["seconds"] = round(elapsed, 2)
        figures["commits_per_second"] = round(args.writes / elapsed)
        figures["ms_per_commit"] = round(1000 * elapsed / args.writes, 3)
        if args.verify:
            from jieqin.storage import verify_audit

            started = time.perf_counter()
            result = verify_audit(campaign)
            figures["verify_seconds"] = round(time.perf_counter() - started, 2)
            figures["verified"] = result.line()
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        for name, value in figures.items():
            print(f"{name}: {value}")


if __name__ == "__main__":
    main()
