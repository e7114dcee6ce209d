"""A bulk load into empty household tables builds their plain indexes once, at the end.

The first import of a province's households drops the indexes of the household tables
that enforce nothing and builds them again before the transaction commits; the keys
and unique constraints stay in force throughout, and no commit ever leaves an index
missing, whether the import succeeds, fails, or its caller commits what it had.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import jieqin
from jieqin.errors import InvalidInput
from jieqin.io.importer import load
from jieqin.io.kinds import HOUSEHOLDS
from jieqin.model.identity import check_digit
from jieqin.storage.sql import backend
from jieqin.storage.sql.repositories import BULK_LOAD_HOUSEHOLDS, DEFERRABLE_INDEXES

HEADER = [c.name for c in HOUSEHOLDS.all_columns()]
TABLES = ("households", "household_members", "household_status")
BATCH = BULK_LOAD_HOUSEHOLDS


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def campaign(request: pytest.FixtureRequest) -> Iterator[jieqin.Campaign]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgresql_url")
    with jieqin.connect(url) as opened:
        yield opened


def _number(i: int, serial: int) -> str:
    first17 = f"610322{1950 + i % 50}0304{serial:03d}"
    return first17 + check_digit(first17)


def _write(path: Path, households: int, *, bad_at: int | None = None) -> Path:
    """``households`` households of two members; household ``bad_at`` has a bad sex."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, HEADER, restval="")
        writer.writeheader()
        for i in range(households):
            common = {
                "household_id": f"h{i:05d}",
                "region": "610202001001",
                "status_history": "poor@2016-01-01;lifted_out@2020-06-30",
            }
            for n, relation in enumerate(("head", "spouse")):
                # (birth year, sequence) tells every number apart
                serial = (i // 50) * 2 + n
                writer.writerow(
                    common
                    | {
                        "member_id": f"h{i:05d}-{n}",
                        "name": "王建国",
                        "sex": "unknown" if i == bad_at else ("male", "female")[n],
                        "birth_date": f"{1950 + i % 50}-03-04",
                        "resident_id": _number(i, serial),
                        "relation": relation,
                        "disability_grade": "2" if i % 7 == 0 else "",
                    }
                )
    return path


def _indexes(campaign: jieqin.Campaign) -> set[str]:
    with campaign.unit_of_work(actor="test:reader", read_only=True) as uow:
        inspector = sa.inspect(uow.connection)
        return {str(ix["name"]) for table in TABLES for ix in inspector.get_indexes(table)}


def _counts(campaign: jieqin.Campaign) -> list[int]:
    with campaign.unit_of_work(actor="test:reader", read_only=True) as uow:
        conn = uow.connection
        return [conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES]


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The names of the indexes each commit built again (a list per unit of work)."""
    calls: list[list[str]] = []
    original = backend.SqlUnitOfWork.build_deferred_indexes

    def spy(self: backend.SqlUnitOfWork) -> None:
        calls.append([str(index.name) for index in self.deferred_indexes])
        original(self)

    monkeypatch.setattr(backend.SqlUnitOfWork, "build_deferred_indexes", spy)
    return calls


def test_a_first_bulk_load_builds_the_indexes_at_the_end(
    campaign: jieqin.Campaign, tmp_path: Path, built: list[list[str]]
) -> None:
    before = _indexes(campaign)
    assert {str(index.name) for index in DEFERRABLE_INDEXES} <= before
    path = _write(tmp_path / "households.csv", BATCH + 300)
    campaign.import_file("households", path, batch_size=BATCH)
    assert _counts(campaign) == [BATCH + 300, 2 * (BATCH + 300), 2 * (BATCH + 300)]
    assert _indexes(campaign) == before
    assert [names for names in built if names] == [[str(i.name) for i in DEFERRABLE_INDEXES]]
    with campaign.unit_of_work(actor="test:reader", read_only=True) as uow:
        assert len(uow.households.list(region="610202001001")) == BATCH + 300
        assert uow.households.get("h00007").members[0].disability_grade == 2


def test_a_small_or_second_import_keeps_the_indexes_as_it_goes(
    campaign: jieqin.Campaign, tmp_path: Path, built: list[list[str]]
) -> None:
    campaign.import_file("households", _write(tmp_path / "small.csv", 20), batch_size=BATCH)
    path = _write(tmp_path / "households.csv", BATCH + 10)
    campaign.import_file("households", path, batch_size=BATCH)
    assert not any(built)
    assert _counts(campaign)[0] == BATCH + 10


def test_a_bad_row_after_the_first_batch_writes_nothing_and_keeps_every_index(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    before = _indexes(campaign)
    path = _write(tmp_path / "households.csv", BATCH + 300, bad_at=BATCH + 100)
    with pytest.raises(InvalidInput, match=r"line \d+.*sex"):
        campaign.import_file("households", path, batch_size=BATCH)
    assert _counts(campaign) == [0, 0, 0]
    assert _indexes(campaign) == before


def test_a_caller_that_commits_after_a_failure_still_has_every_index(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    before = _indexes(campaign)
    path = _write(tmp_path / "households.csv", BATCH + 300, bad_at=BATCH + 100)
    with campaign.unit_of_work(actor="test:clerk") as uow:
        with pytest.raises(InvalidInput):
            load(uow, path, "households", batch_size=BATCH)
        assert uow.deferred_indexes
        uow.commit()
    assert _counts(campaign)[0] == BATCH
    assert _indexes(campaign) == before


def test_the_unique_resident_id_holds_while_the_indexes_wait(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    path = _write(tmp_path / "households.csv", BATCH + 300)
    with campaign.unit_of_work(actor="test:clerk") as uow:
        load(uow, path, "households", batch_size=BATCH)
        assert uow.deferred_indexes
        conn = uow.connection
        with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
            conn.execute(
                sa.text(
                    "INSERT INTO household_members (member_id, household_id, position, name, "
                    "sex, birth_date, resident_id, relation, health_condition, employment) "
                    "VALUES ('x-1', 'h00001', 9, '李四', 'male', :born, :number, 'other', "
                    "'healthy', 'farming')"
                ),
                {"born": "1951-03-04", "number": _number(1, 1)},
            )
        uow.rollback()
    assert _counts(campaign) == [0, 0, 0]
