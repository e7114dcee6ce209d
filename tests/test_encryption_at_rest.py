"""Encryption at rest: with a key provider, resident IDs, phones and diagnoses are sealed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import attrs
import pytest
import sqlalchemy as sa

import jieqin
from jieqin.errors import ConflictError, InvalidInput, StorageError
from jieqin.plugins.hookspecs import hookimpl
from jieqin.privacy import find_sensitive
from jieqin.storage.sql import SqlStorage
from jieqin.storage.sql.backend import create_engine
from jieqin.storage.sql.encryption import StaticKeys, key_id_of, rekey_storage
from jieqin.testing.contract import make_helper, make_household

K1 = bytes(range(32))
K2 = bytes(range(100, 132))
INDEX = b"blind-index-key-of-the-campaign!"


class Keys:
    """A plugin that provides encryption keys."""

    def __init__(self, keys: dict[str, bytes], current: str) -> None:
        self.provider = StaticKeys(keys, current, INDEX)

    @hookimpl
    def jieqin_key_provider(self) -> StaticKeys:
        return self.provider


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def sql_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def engine(sql_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(sql_url)
    yield engine
    engine.dispose()


HOUSEHOLDS = [make_household("hh001"), make_household("hh002", members=2)]
HELPER = make_helper("h001")


def _secrets() -> dict[str, list[str]]:
    people = [m for h in HOUSEHOLDS for m in h.people]
    return {
        "resident_ids": [m.resident_id for m in people if m.resident_id],
        "phones": [m.phone for m in people if m.phone] + [HELPER.phone or ""],
        "diagnoses": [m.health.diagnosis for m in people if m.health.diagnosis],
    }


def _store(url: str, *plugins: object) -> None:
    with jieqin.connect(url, plugins=plugins) as campaign, campaign.unit_of_work("clerk") as uow:
        uow.households.add_many(HOUSEHOLDS)
        uow.helpers.add(HELPER)
        uow.commit()


#: Keyed hashes (the resident ID index, the audit chain) are long hex runs; a digit run
#: inside one is no phone number, so the scan leaves them out.
_HEX = re.compile(r"\b[0-9a-f]{32,}\b")


def _dump(engine: sa.Engine) -> str:
    """Every row of every table, as the database holds it (hex hashes blanked)."""
    lines = []
    with engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')).mappings():
                text = json.dumps(dict(row), ensure_ascii=False, default=str)
                lines.append(_HEX.sub("<hash>", text))
    return "\n".join(lines)


def _sealed(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT sealed FROM household_members WHERE sealed IS NOT NULL UNION ALL "
                    "SELECT sealed FROM helpers WHERE sealed IS NOT NULL"
                )
            ).scalars()
        )


def test_nothing_sensitive_is_stored_in_clear_and_reads_return_it(
    sql_url: str, engine: sa.Engine
) -> None:
    _store(sql_url, Keys({"k1": K1}, "k1"))
    dump = _dump(engine)
    assert find_sensitive(dump, **_secrets(), health=False) == []
    assert len(_sealed(engine)) == 6  # five members and the helper
    keys = Keys({"k1": K1}, "k1")
    with jieqin.connect(sql_url, plugins=[keys]) as campaign, campaign.unit_of_work("r") as uow:
        assert uow.households.list() == HOUSEHOLDS
        assert uow.households.member("hh001-m2") == HOUSEHOLDS[0].members[1]
        assert uow.helpers.get("h001") == HELPER


def test_without_a_key_provider_nothing_changes(sql_url: str, engine: sa.Engine) -> None:
    _store(sql_url)
    assert _sealed(engine) == []
    found = {f.kind for f in find_sensitive(_dump(engine), **_secrets(), health=False)}
    assert {"resident_id", "phone"} <= found


def test_sealed_rows_are_refused_without_their_keys(sql_url: str) -> None:
    _store(sql_url, Keys({"k1": K1}, "k1"))
    missing = pytest.raises(StorageError, match="install the plugin that provides the keys")
    with jieqin.connect(sql_url) as campaign, campaign.unit_of_work("reader") as uow, missing:
        uow.households.get("hh001")
    other = Keys({"k2": K2}, "k2")
    wrong = pytest.raises(StorageError, match="k1")
    with (
        jieqin.connect(sql_url, plugins=[other]) as campaign,
        campaign.unit_of_work("r") as uow,
        wrong,
    ):
        uow.households.get("hh001")


def test_one_resident_id_in_two_households_is_still_caught(sql_url: str) -> None:
    _store(sql_url, Keys({"k1": K1}, "k1"))
    taken = HOUSEHOLDS[0].members[0].resident_id
    stranger = attrs.evolve(HOUSEHOLDS[1].members[0], member_id="hh003-m1", resident_id=taken)
    copy = attrs.evolve(HOUSEHOLDS[1], household_id="hh003", members=(stranger,))
    # Through the write path: the check finds the holder by the blind index.
    with jieqin.connect(sql_url, plugins=[Keys({"k1": K1}, "k1")]) as campaign:
        with campaign.unit_of_work("clerk") as uow, pytest.raises(InvalidInput) as caught:
            uow.households.add(copy)
        assert "already the number of stored member hh001-m1" in str(caught.value)
        assert taken not in str(caught.value)
    # Past the checks, the database's unique blind index refuses it.
    storage = SqlStorage(sql_url, key_provider=StaticKeys({"k1": K1}, "k1", INDEX))
    try:
        with storage.unit_of_work("clerk") as uow, pytest.raises(ConflictError, match="resident"):
            uow.households.add(copy)
    finally:
        storage.close()


def test_a_second_key_rotates(sql_url: str, engine: sa.Engine) -> None:
    _store(sql_url, Keys({"k1": K1}, "k1"))
    both = Keys({"k1": K1, "k2": K2}, "k2")
    with jieqin.connect(sql_url, plugins=[both]) as campaign:
        with campaign.unit_of_work("clerk") as uow:
            assert uow.households.list() == HOUSEHOLDS  # old rows open with the old key
            uow.helpers.add(make_helper("h002"))  # new rows are sealed with the new key
            uow.commit()
        assert sorted({key_id_of(s) for s in _sealed(engine)}) == ["k1", "k2"]
        counts = rekey_storage(campaign.storage, actor="admin")
        assert counts == {"household_members": 5, "helpers": 2, "observations": 0}
        with campaign.unit_of_work("auditor", read_only=True) as uow:
            (entry,) = uow.audit.entries(action="rekey")
            assert entry.changes["key_id"] == "k2"
    assert {key_id_of(s) for s in _sealed(engine)} == {"k2"}
    new = Keys({"k2": K2}, "k2")
    with jieqin.connect(sql_url, plugins=[new]) as campaign, campaign.unit_of_work("r") as uow:
        assert uow.households.list() == HOUSEHOLDS
    assert find_sensitive(_dump(engine), **_secrets(), health=False) == []


def test_rekey_seals_a_database_made_in_clear_and_decrypt_undoes_it(
    sql_url: str, engine: sa.Engine
) -> None:
    _store(sql_url)
    with jieqin.connect(sql_url, plugins=[Keys({"k1": K1}, "k1")]) as campaign:
        rekey_storage(campaign.storage)
        assert find_sensitive(_dump(engine), **_secrets(), health=False) == []
        with campaign.unit_of_work("reader", read_only=True) as uow:
            assert uow.households.list() == HOUSEHOLDS
        rekey_storage(campaign.storage, decrypt=True)
    assert _sealed(engine) == []
    with jieqin.connect(sql_url) as campaign, campaign.unit_of_work("reader") as uow:
        assert uow.households.list() == HOUSEHOLDS


def test_a_backend_that_cannot_encrypt_is_refused(tmp_path: object) -> None:
    with pytest.raises(StorageError, match="cannot encrypt at rest"):
        jieqin.connect(f"jsonl://{tmp_path}/store", plugins=[Keys({"k1": K1}, "k1")])
    with jieqin.connect("memory://", plugins=[Keys({"k1": K1}, "k1")]):
        pass  # nothing is kept at rest


def test_keys_that_are_not_keys_are_refused(sql_url: str) -> None:
    with pytest.raises(StorageError, match="32 bytes"):
        SqlStorage(sql_url, key_provider=StaticKeys({"k1": b"short"}, "k1", INDEX))
    with pytest.raises(StorageError, match="key id"):
        SqlStorage(sql_url, key_provider=StaticKeys({"k 1": K1}, "k 1", INDEX))
