"""The households export fast path: rows straight to the JSON form, and the cheap scans.

The SQL backend hands an export its household rows (``iter_rows``) and
:func:`jieqin.io.household_export.household_json` builds the JSON form from them; it
must be the very form the converter gives the stored household. The health-word scan
skips text that cannot hold a health word; it must mask exactly what the pattern does.
"""

from __future__ import annotations

import io
from datetime import date

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jieqin._free_text import (
    HEALTH_PLACEHOLDER,
    HEALTH_WORD_PATTERN,
    HEALTH_WORDS,
    mask_health_words,
)
from jieqin.io.converter import unstructure
from jieqin.io.exporter import export, write_records
from jieqin.io.household_export import household_json
from jieqin.io.sensitive import MASKED, mask_record
from jieqin.model import Health, HealthCondition, Household, Schooling, SchoolLevel
from jieqin.storage.sql import SqlStorage
from jieqin.storage.sql.encryption import StaticKeys
from jieqin.testing import strategies
from jieqin.testing.contract import make_household

KEYS = StaticKeys({"k1": bytes(range(32))}, "k1", b"blind-index-key-of-the-campaign!")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def sql_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


def _varied() -> list[Household]:
    """Households with every optional part: schooling, diagnosis, grade, no phone,
    a status note, a former member."""
    plain = make_household("hh001", members=2)
    ill = make_household("hh002", members=3)
    head, *others = ill.members
    sick = attrs.evolve(
        others[0],
        health=Health(HealthCondition.MAJOR_ILLNESS, diagnosis="尿毒症, 13900000001"),
        disability_grade=2,
        phone=None,
    )
    pupil = attrs.evolve(
        others[1], schooling=Schooling(SchoolLevel.PRIMARY, year_of_entry=2019, institution="=1+1")
    )
    gone = attrs.evolve(
        make_household("hh003", members=1).members[0],
        relation=others[1].relation,
        resident_id=None,
        health=Health(HealthCondition.CHRONIC_ILLNESS),
        departed_on=date(2021, 3, 1),
    )
    history = tuple(
        attrs.evolve(change, note="户主 610322195001010002 说的") for change in ill.status_history
    )
    ill = attrs.evolve(
        ill, members=(head, sick, pupil), former_members=(gone,), status_history=history
    )
    return [plain, ill]


def _rows_and_objects(storage: SqlStorage) -> tuple[list[dict[str, object]], list[object]]:
    with storage.unit_of_work(read_only=True) as uow:
        fast = [household_json(r) for batch in uow.households.iter_rows(1) for r in batch]
        slow = [unstructure(h) for batch in uow.households.iter_batches(1) for h in batch]
    return fast, slow


@pytest.mark.parametrize("sealed", [False, True], ids=["clear", "sealed"])
def test_rows_give_the_converters_json_form(sql_url: str, sealed: bool) -> None:
    storage = SqlStorage(sql_url, key_provider=KEYS if sealed else None)
    with storage.unit_of_work("test") as uow:
        uow.households.add_many(_varied())
        uow.commit()
    fast, slow = _rows_and_objects(storage)
    assert [h["household_id"] for h in fast] == ["hh001", "hh002"]
    assert fast == slow
    assert fast[1]["former_members"]  # the former member is there, in its own list


def test_the_masked_export_is_the_same_either_way(sql_url: str) -> None:
    """The CSV a SQL backend exports (rows) equals the one written from the objects."""
    storage = SqlStorage(sql_url)
    with storage.unit_of_work("test") as uow:
        uow.households.add_many(_varied())
        uow.commit()
    fast = io.StringIO()
    export(storage, "households", fast)
    slow = io.StringIO()
    with storage.unit_of_work(read_only=True) as uow:
        write_records(uow.households.list(), "households", slow)
    assert fast.getvalue() == slow.getvalue()
    assert "尿毒症" not in fast.getvalue()
    assert "13900000001" not in fast.getvalue()


@settings(max_examples=25, deadline=None)
@given(
    st.lists(strategies.households(), min_size=1, max_size=4, unique_by=lambda h: h.household_id)
)
def test_rows_give_the_converters_json_form_for_any_household(drawn: list[Household]) -> None:
    storage = SqlStorage("sqlite://")
    with storage.unit_of_work("test") as uow:
        uow.households.add_many(strategies.one_number_each(drawn))
        uow.commit()
    fast, slow = _rows_and_objects(storage)
    assert fast == slow


def test_a_former_members_health_is_masked_like_anyones() -> None:
    """A masked household masks its former members' person fields too: a departed
    member's condition reads ``<masked>``, ill or not."""
    household = _varied()[1]
    masked = mask_record("households", unstructure(household))
    assert masked is not None
    for member in (*masked["members"], *masked["former_members"]):
        assert member["health"] == {"condition": MASKED, "diagnosis": MASKED}
        assert member["resident_id"] == MASKED
        assert member["disability_grade"] == MASKED


_PIECE = (
    st.text(
        st.sampled_from(
            [*"abcdeghlmnorstuyzABCDIMS _-9 王建国大病残", "\u0130", "\u0131", "\u017f", "\u212a"]
        ),
        max_size=8,
    )
    | st.sampled_from(HEALTH_WORDS).flatmap(
        lambda w: st.sampled_from([w, w.upper(), w.title(), w.replace("s", "\u017f")])
    )
    | st.text(max_size=6)
)


@settings(max_examples=400)
@given(st.lists(_PIECE, max_size=5).map("".join))
def test_the_cheap_test_masks_what_the_pattern_masks(text: str) -> None:
    assert mask_health_words(text) == HEALTH_WORD_PATTERN.sub(HEALTH_PLACEHOLDER, text)


@pytest.mark.parametrize(
    "text", ["MAJOR_ILLNESS", "\u017fchizophrenia", "\u212aidney cancer", "王某 癌", "Dialysis"]
)
def test_the_cheap_test_lets_health_words_through(text: str) -> None:
    assert HEALTH_PLACEHOLDER in mask_health_words(text)


def test_the_sql_households_stream_rows_and_the_memory_ones_do_not() -> None:
    """Exports and allocations take the row path by the typed capability, not a probe."""
    from jieqin.storage.base import HouseholdRowSource
    from jieqin.storage.memory import MemoryStorage

    sql = SqlStorage("sqlite://")
    memory = MemoryStorage()
    try:
        with sql.unit_of_work(read_only=True) as uow:
            assert isinstance(uow.households, HouseholdRowSource)
        with memory.unit_of_work(read_only=True) as uow:
            assert not isinstance(uow.households, HouseholdRowSource)
    finally:
        sql.close()
        memory.close()
