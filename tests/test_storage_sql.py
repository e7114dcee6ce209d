"""What only the SQL backend does: migrations, schema versions, SQLite settings,
database-enforced audit log, fund locks across connections."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import jieqin
from jieqin.errors import SchemaOutdated, StorageError
from jieqin.storage.sql import SqlStorage, upgrade
from jieqin.storage.sql.backend import _head, create_engine, schema_revision
from jieqin.storage.sql.tables import METADATA, VERSION_TABLE
from jieqin.testing.contract import (
    make_activity,
    make_fund,
    make_grant,
    make_helper,
    make_household,
    make_pairing,
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def sql_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def engine(sql_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(sql_url)
    yield engine
    engine.dispose()


def test_a_new_database_is_created_at_the_newest_revision(sql_url: str, engine: sa.Engine) -> None:
    SqlStorage(sql_url).close()
    with engine.connect() as conn:
        assert schema_revision(conn) == _head()


def test_the_migrations_build_exactly_the_tables(sql_url: str, engine: sa.Engine) -> None:
    import jieqin.storage.sql.read_model  # noqa: F401  (its tables join the metadata)

    SqlStorage(sql_url).close()
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "version_table": VERSION_TABLE}
        )
        differences = compare_metadata(context, METADATA)
    assert differences == []


def test_an_outdated_database_is_refused_until_upgraded(sql_url: str, engine: sa.Engine) -> None:
    before, after = upgrade(sql_url, "0001")
    assert (before, after) == (None, "0001")
    with pytest.raises(SchemaOutdated, match=r"revision 0001.*jieqin db upgrade"):
        jieqin.connect(sql_url)
    assert upgrade(sql_url) == ("0001", _head())
    with jieqin.connect(sql_url) as campaign, campaign.unit_of_work("clerk") as uow:
        uow.helpers.add(make_helper())
        uow.commit()


def test_a_daily_tally_of_revision_0006_is_counted_again_by_month(
    sql_url: str, engine: sa.Engine
) -> None:
    """A database at 0006 (a tally row per day) is refused, then upgraded to 0007 and
    its monthly tally counted from the records: the report counts each visit once."""
    from alembic import command

    from jieqin.storage.sql.backend import alembic_config

    with jieqin.connect(sql_url) as campaign, campaign.unit_of_work("clerk") as uow:
        uow.helpers.add(make_helper())
        uow.households.add(make_household())
        uow.pairings.add(make_pairing())
        uow.activities.add(make_activity())
        uow.commit()
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0006")
        # As revision 0006's jieqin left it: its read model built, a row per day.
        conn.execute(sa.text("UPDATE read_model_state SET version = 1"))
        conn.execute(
            sa.text(
                "INSERT INTO report_tally VALUES "
                "('activities', '2021-02', '2021-02-10', '610202', 'visit', 'city_member', 1, 0)"
            )
        )
    with pytest.raises(SchemaOutdated, match=r"revision 0006.*jieqin db upgrade"):
        jieqin.connect(sql_url)
    assert upgrade(sql_url) == ("0006", _head())
    with jieqin.connect(sql_url) as campaign:
        assert campaign.report("2021").totals.activities["visit"] == 1
        assert campaign.report("2021-02").totals.activities["visit"] == 1
        assert campaign.report("2021-03").totals.activities.get("visit", 0) == 0


def test_an_upgrade_to_0006_stops_on_one_number_held_by_two_members(
    sql_url: str, engine: sa.Engine
) -> None:
    """Two member records with one resident ID (which revision 0005 allowed) stop the
    upgrade before anything changes; the message names the members, never the number."""
    upgrade(sql_url, "0005")
    number = "610202198001010016"
    with engine.begin() as conn:
        for household in ("hh1", "hh2"):
            conn.execute(
                sa.text("INSERT INTO households VALUES (:h, '610202001001', 'lifted_out')"),
                {"h": household},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO household_members (member_id, household_id, position, name, "
                    "sex, birth_date, resident_id, relation, health_condition, employment) "
                    "VALUES (:m, :h, 0, '李四', 'male', '1980-01-01', :n, 'head', 'healthy', "
                    "'farming')"
                ),
                {"m": f"{household}-1", "h": household, "n": number},
            )
    with pytest.raises(SchemaOutdated) as refused:
        upgrade(sql_url)
    message = str(refused.value)
    assert "hh1-1 and hh2-1" in message
    assert number not in message
    with engine.connect() as conn:
        assert schema_revision(conn) == "0005"


def test_a_database_from_a_newer_jieqin_is_refused(sql_url: str, engine: sa.Engine) -> None:
    SqlStorage(sql_url).close()
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    with pytest.raises(StorageError, match="newer version"):
        jieqin.connect(sql_url)


def test_jieqin_tables_without_a_revision_are_refused(sql_url: str, engine: sa.Engine) -> None:
    with engine.begin() as conn:
        METADATA.tables["helpers"].create(conn)
    with pytest.raises(SchemaOutdated, match="no schema revision"):
        jieqin.connect(sql_url)


def test_another_applications_tables_are_left_alone(sql_url: str, engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE town_budget (id INTEGER PRIMARY KEY, note TEXT)"))
        conn.execute(sa.text("INSERT INTO town_budget VALUES (1, 'kept')"))
    jieqin.connect(sql_url).close()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT note FROM town_budget")).scalar_one() == "kept"
        assert schema_revision(conn) == _head()


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"]
)
def test_the_database_refuses_to_change_the_audit_log(
    sql_url: str, engine: sa.Engine, statement: str
) -> None:
    with jieqin.connect(sql_url) as campaign, campaign.unit_of_work("clerk") as uow:
        uow.helpers.add(make_helper())
        uow.commit()
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text(statement))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT actor FROM audit_log")).scalars().all() == ["clerk"]


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(sqlite_url: str) -> None:
    storage = SqlStorage(sqlite_url)
    try:
        with storage.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() >= 5000
    finally:
        storage.close()


def test_deleting_a_household_row_deletes_its_members(sql_url: str) -> None:
    from jieqin.testing.contract import make_household

    storage = SqlStorage(sql_url)
    try:
        with storage.unit_of_work("clerk") as uow:
            uow.households.add(make_household("hh001"))
            uow.commit()
        with storage.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM households"))
            members = conn.execute(sa.text("SELECT count(*) FROM household_members")).scalar_one()
        assert members == 0
    finally:
        storage.close()


def test_a_fund_lock_makes_a_second_allocator_wait_for_the_first(sql_url: str) -> None:
    """The second allocator locks the fund while the first holds it; once it gets the
    lock it must see the first allocator's grant, so together they cannot overspend."""
    storage = SqlStorage(sql_url)
    with storage.unit_of_work("setup") as uow:
        uow.households.add(make_household("hh001"))
        uow.funds.add(make_fund("f2021", budget=Decimal("5000.00")))
        uow.commit()
    seen: list[Decimal] = []
    first_holds_lock = threading.Event()
    second_trying = threading.Event()

    def second() -> None:
        first_holds_lock.wait(10)
        with storage.unit_of_work("allocator-2") as uow:
            second_trying.set()
            uow.funds.lock("f2021")
            seen.append(uow.funds.spent("f2021"))

    thread = threading.Thread(target=second)
    thread.start()
    try:
        with storage.unit_of_work("allocator-1") as uow:
            uow.funds.lock("f2021")
            first_holds_lock.set()
            second_trying.wait(10)
            time.sleep(0.3)  # give the second allocator time to block on the lock
            uow.grants.add(make_grant("g1", amount=Decimal("5000.00")))
            uow.commit()
    finally:
        thread.join(30)
        storage.close()
    assert seen == [Decimal("5000.00")]


def test_a_top_up_waits_for_the_allocator_holding_the_fund(sql_url: str) -> None:
    """A top-up locks the fund as an allocation does: it waits for the allocator that
    holds it, so the allocator's reading of the budget stays true until it commits, and
    the top-up then adds to what the allocator left (no update is lost)."""
    storage = SqlStorage(sql_url)
    with storage.unit_of_work("setup") as uow:
        uow.households.add(make_household("hh001"))
        uow.funds.add(make_fund("f2021", budget=Decimal("5000.00")))
        uow.commit()
    allocator_holds_lock = threading.Event()
    topped: list[float] = []

    def top_up() -> None:
        allocator_holds_lock.wait(10)
        with storage.unit_of_work("clerk") as uow:
            uow.funds.top_up("f2021", Decimal("1000.00"), date(2021, 9, 1), reason="追加")
            topped.append(time.monotonic())
            uow.commit()

    thread = threading.Thread(target=top_up)
    thread.start()
    try:
        with storage.unit_of_work("allocator") as uow:
            fund = uow.funds.lock("f2021")
            allocator_holds_lock.set()
            time.sleep(0.3)  # give the top-up time to block on the lock
            assert topped == []
            uow.grants.add(make_grant("g1", amount=fund.budget))
            committed = time.monotonic()
            uow.commit()
    finally:
        thread.join(30)
    with storage.unit_of_work("reader") as uow:
        fund = uow.funds.get("f2021")
        assert (fund.budget, fund.topped_up) == (Decimal("6000.00"), Decimal("1000.00"))
        assert uow.funds.spent("f2021") == Decimal("5000.00")
    storage.close()
    assert topped
    assert topped[0] >= committed


def test_a_bulk_load_of_many_households_reads_back(sql_url: str) -> None:
    """Enough rows for PostgreSQL's COPY path."""
    from jieqin.testing.contract import make_household

    households = [make_household(f"hh{i:04d}", members=3) for i in range(700)]
    with jieqin.connect(sql_url) as campaign:
        with campaign.unit_of_work("importer") as uow:
            assert uow.households.add_many(households) == 700
            uow.commit()
        with campaign.unit_of_work("reader") as uow:
            assert uow.households.count() == 700
            assert uow.households.list() == households
            entry = uow.audit.entries(entity="households")[0]
            assert entry.changes["count"] == 700
            assert (
                uow.connection.execute(
                    sa.text("SELECT count(*) FROM household_members")
                ).scalar_one()
                == 2100
            )


def test_a_url_is_shown_without_its_password() -> None:
    from jieqin.storage.sql.backend import shown_url

    assert shown_url("postgresql+psycopg://clerk:s3cret@db/city") == (
        "postgresql+psycopg://clerk:***@db/city"
    )
    assert "s3cret" not in shown_url("postgresql://clerk:s3cret@db:5432/city?sslmode=require")
    assert shown_url("not a database url") == "not a database url"
