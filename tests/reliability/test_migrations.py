"""Every earlier schema version upgrades to head with every row intact.

For each revision before head, a fixture database is built by running the migrations
up to that revision, then filled with the rows a head database holds for a small
campaign (those tables and columns the old revision has). After ``upgrade`` to head,
every table must hold exactly what the head database holds, the read model (which
the upgrade counts from the rows) included, and the campaign must read back the same
records.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

import jieqin
from jieqin.errors import SchemaOutdated
from jieqin.model import Activity, Pairing
from jieqin.storage._common import ENTITIES
from jieqin.storage.audit_chain import CHAIN_ACTION
from jieqin.storage.sql.backend import alembic_config, create_engine, upgrade
from jieqin.storage.sql.tables import VERSION_TABLE
from world_plugin import WORLDS

from . import _world


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


#: The table of an entity whose name differs from it.
_TABLES = {"warnings": "risk_warnings"}

REVISIONS = _revisions()
EARLIER = REVISIONS[:-1]


def _records() -> dict[str, list[Any]]:
    records = _world.every_kind()
    more = [_world.household(n) for n in range(3, 13)]
    records["households"] += more
    records["pairings"] += [Pairing("p1", h.household_id, date(2021, 1, 1)) for h in more]
    records["activities"] += [
        Activity(
            f"a{i}",
            ("visit", "contact", "warmth")[i % 3],
            date(2021, 1, 2) + timedelta(i),
            "p1",
            more[i % len(more)].household_id,
        )
        for i in range(2, 40)
    ]
    return records


def _store(url: str, records: dict[str, list[Any]]) -> None:
    with (
        jieqin.connect(url, plugins=[WORLDS]) as campaign,
        campaign.unit_of_work(actor="clerk:wang") as uow,
    ):
        for entity, items in records.items():
            getattr(uow, entity).add_many(items)
        uow.commit()


def _dump(engine: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table but the version table, in a comparable order."""
    out: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        meta = sa.MetaData()
        meta.reflect(conn)
        for name, table in meta.tables.items():
            if name == VERSION_TABLE:
                continue
            rows = [dict(r._mapping) for r in conn.execute(sa.select(table))]
            out[name] = sorted(rows, key=lambda r: [str(r[c]) for c in sorted(r)])
    return out


#: Tables the database's own triggers fill from the others (revisions 0003 to 0005),
#: or the storage's read model (0006 on, counted from the rows by the upgrade): never
#: written directly.
DERIVED = {
    "report_tally",
    "paired_spans",
    "paired_gaps",
    "paired_tally",
    "read_model_state",
    "activity_tally",
    "activity_tally_month",
    "activity_latest",
    "activity_follow_up",
    "pairing_follow_up",
    "paired_households",
    "paired_household_gaps",
    "paired_helpers",
    "paired_helper_gaps",
}


def _fill(engine: sa.Engine, rows: dict[str, list[dict[str, Any]]]) -> int:
    """Insert ``rows`` into the tables and columns the database has; returns how many.

    Tables kept by triggers at that revision are left to the triggers, the read
    model's tables to the upgrade that counts them."""
    written = 0
    with engine.begin() as conn:
        meta = sa.MetaData()
        meta.reflect(conn)
        # Activities last: their triggers read the household's county and helper's tier.
        for table in sorted(meta.sorted_tables, key=lambda t: t.name == "activities"):
            if table.name in (VERSION_TABLE, *DERIVED) or not rows.get(table.name):
                continue
            columns = set(table.c.keys())
            # In id order: the audit log refuses an entry numbered below one it holds.
            ordered = sorted(rows[table.name], key=lambda r: r.get("entry_id") or 0)
            batch = [{k: v for k, v in r.items() if k in columns} for r in ordered]
            conn.execute(sa.insert(table), batch)
            written += len(batch)
            if conn.dialect.name == "postgresql":
                _advance_sequences(conn, table)
    return written


def _advance_sequences(conn: sa.Connection, table: sa.Table) -> None:
    for column in table.primary_key.columns:
        if isinstance(column.type, sa.Integer):
            conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                    f"(SELECT max({column.name}) FROM {table.name}))"
                )
            )


@contextlib.contextmanager
def _postgresql_schema(server: str) -> Iterator[str]:
    """A URL whose ``search_path`` is a fresh schema, dropped afterwards."""
    import psycopg

    schema = f"jieqin_migrate_{secrets.token_hex(6)}"
    libpq = "postgresql://" + server.partition("://")[2]
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in server else "?"
    try:
        yield f"{server}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two fresh databases of one kind: the head reference, and the one to migrate."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'head.db'}", f"sqlite:///{tmp_path / 'old.db'}"
        return
    server = request.getfixturevalue("postgresql_server")
    with _postgresql_schema(server) as head, _postgresql_schema(server) as old:
        yield head, old


def test_there_is_more_than_one_revision() -> None:
    assert len(REVISIONS) >= 2
    assert REVISIONS[0] == "0001"


@pytest.mark.parametrize("revision", EARLIER)
def test_a_database_at_an_earlier_revision_upgrades_with_every_row(
    database_urls: tuple[str, str], revision: str
) -> None:
    head_url, old_url = database_urls
    records = _records()
    _store(head_url, records)
    head_engine = create_engine(head_url)
    reference = _dump(head_engine)
    head_engine.dispose()

    old_engine = create_engine(old_url)
    try:
        with old_engine.connect() as conn:
            command.upgrade(alembic_config(conn), revision)
            conn.commit()
        assert _fill(old_engine, reference) > 100
        existed = set(sa.inspect(old_engine).get_table_names())
    finally:
        old_engine.dispose()

    with pytest.raises(SchemaOutdated, match="jieqin db upgrade"):
        jieqin.connect(old_url)
    before, after = upgrade(old_url)
    assert (before, after) == (revision, REVISIONS[-1])

    old_engine = create_engine(old_url)
    try:
        migrated = _dump(old_engine)
    finally:
        old_engine.dispose()
    assert migrated.keys() == reference.keys()
    # Chaining the entries written before revision 0008 appends the one entry that says
    # so; every other entry, its hash included, is as jieqin would have written it.
    chained = [r for r in migrated["audit_log"] if r["action"] == CHAIN_ACTION]
    assert len(chained) == (1 if revision < "0008" else 0)
    migrated["audit_log"] = [r for r in migrated["audit_log"] if r not in chained]
    for table, rows in reference.items():
        if table not in existed and table not in DERIVED:
            # A table newer than the old revision held nothing there: it arrives empty.
            assert migrated[table] == [], f"table {table} gained rows from {revision}"
            continue
        assert migrated[table] == rows, f"table {table} changed in the upgrade from {revision}"

    with jieqin.connect(old_url, plugins=[WORLDS]) as campaign:
        with campaign.unit_of_work() as uow:
            for entity, items in records.items():
                key = ENTITIES[entity].key
                stored = {key(r): r for r in getattr(uow, entity).list()}
                if _TABLES.get(entity, entity) not in existed:
                    assert stored == {}, entity
                    continue
                assert stored == {key(r): r for r in items}, entity
        with campaign.unit_of_work(actor="clerk:li") as uow:
            uow.activities.add(Activity("a-after", "visit", date(2021, 12, 1), "p1", "hh3"))
            uow.commit()
        with campaign.unit_of_work() as uow:
            assert uow.audit.count(actor="clerk:li") == 1
