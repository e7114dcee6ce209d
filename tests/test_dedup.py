"""Probable duplicate members: the reasons, blocking, masking and ``jieqin dedup``."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin import duplicates
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.duplicates import DuplicateReason, ProbableDuplicate, probable_duplicates
from jieqin.errors import InvalidValue
from jieqin.model import (
    Health,
    HealthCondition,
    Household,
    Member,
    RegionCode,
    Relation,
    Sex,
    StatusChange,
)
from jieqin.model.identity import birthplace_codes, check_digit, mask_resident_id
from jieqin.privacy import find_sensitive
from jieqin.services.duplicates import probable_duplicates_in
from jieqin.testing import strategies as js

BORN = date(1962, 3, 8)
VILLAGE_A, VILLAGE_B = "610202001001", "610202001002"
PLACE, OTHER_PLACE = birthplace_codes(BORN.year, within="61")[:2]


def number(born: date = BORN, serial: int = 21, place: str | None = None) -> str:
    """A valid resident ID number (by default with the first birth place of the year)."""
    first17 = f"{place or birthplace_codes(born.year, within='61')[0]}{born:%Y%m%d}{serial:03d}"
    return first17 + check_digit(first17)


def member(
    member_id: str, name: str, resident_id: str | None, born: date = BORN, **kw: object
) -> Member:
    """A member (``resident_id=None``: one without a number)."""
    return Member(member_id, name, Sex.FEMALE, born, resident_id, **kw)  # type: ignore[arg-type]


def household(household_id: str, region: str, *people: Member) -> Household:
    """A household whose first member is its head."""
    heads = [attrs.evolve(people[0], relation=Relation.HEAD)]
    rest = [attrs.evolve(p, relation=Relation.CHILD) for p in people[1:]]
    return Household(
        household_id,
        RegionCode(region),
        heads + rest,
        [StatusChange("lifted_out", date(2020, 6, 30))],
    )


def pairs(found: Sequence[ProbableDuplicate]) -> dict[tuple[str, str], DuplicateReason]:
    return {(d.first.member_id, d.second.member_id): d.reason for d in found}


def test_the_same_resident_id_on_two_members() -> None:
    found = probable_duplicates(
        [
            household("h1", VILLAGE_A, member("h1-1", "王建国", number())),
            household("h2", VILLAGE_B, member("h2-1", "刘德华", number())),
        ]
    )
    assert pairs(found) == {("h1-1", "h2-1"): DuplicateReason.SAME_RESIDENT_ID}
    assert found[0].score == 0.0


def test_the_same_name_and_birth_date_in_one_village() -> None:
    found = probable_duplicates(
        [
            household("h1", VILLAGE_A, member("h1-1", "张秀英", number(serial=21))),
            household("h2", VILLAGE_A, member("h2-1", "张秀英", number(serial=857))),
        ]
    )
    assert pairs(found) == {("h1-1", "h2-1"): DuplicateReason.SAME_NAME_IN_VILLAGE}
    assert found[0].score == 100.0


def test_the_same_name_in_two_villages_or_one_township_is_a_similar_name() -> None:
    township = "610202001"
    found = probable_duplicates(
        [
            household("h1", VILLAGE_A, member("h1-1", "张秀英", number(serial=21))),
            household("h2", VILLAGE_B, member("h2-1", "张秀英", number(serial=857))),
            household("h3", township, member("h3-1", "李桂兰", number(serial=300))),
            household("h4", township, member("h4-1", "李桂兰", number(serial=642))),
        ]
    )
    assert pairs(found) == {
        ("h1-1", "h2-1"): DuplicateReason.SIMILAR_NAME,
        ("h3-1", "h4-1"): DuplicateReason.SIMILAR_NAME,
    }


def test_a_near_equal_name_with_the_same_birth_date_anywhere() -> None:
    found = probable_duplicates(
        [
            household("h1", VILLAGE_A, member("h1-1", "张秀英", number(serial=21))),
            household("h2", "610203002003", member("h2-1", "张秀瑛", number(serial=857))),
        ]
    )
    assert pairs(found) == {("h1-1", "h2-1"): DuplicateReason.SIMILAR_NAME}
    assert found[0].score == 66.7


def test_the_threshold_decides_what_is_similar() -> None:
    people = [
        household("h1", VILLAGE_A, member("h1-1", "张秀英", number(serial=21))),
        household("h2", VILLAGE_B, member("h2-1", "张秀瑛", number(serial=857))),
    ]
    assert len(probable_duplicates(people, threshold=66)) == 1
    assert probable_duplicates(people, threshold=67) == []
    with pytest.raises(InvalidValue, match="threshold"):
        probable_duplicates(people, threshold=0)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(number(serial=21), number(serial=27), id="one-digit-changed"),
        pytest.param(number(serial=21), number(serial=12), id="neighbours-swapped"),
        pytest.param(number(place=PLACE), number(place=OTHER_PLACE), id="birth-place"),
    ],
)
def test_resident_ids_one_typo_apart_with_the_same_birth_date(first: str, second: str) -> None:
    assert sum(a != b for a, b in zip(first[:17], second[:17], strict=True)) <= 2
    found = probable_duplicates(
        [
            household("h1", VILLAGE_A, member("h1-1", "王建国", first)),
            household("h2", VILLAGE_B, member("h2-1", "刘德华", second)),
        ]
    )
    assert pairs(found) == {("h1-1", "h2-1"): DuplicateReason.RESIDENT_ID_TYPO}


def test_a_wrong_check_character_alone_is_a_typo() -> None:
    good = number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    found = probable_duplicates(
        [
            household("h1", VILLAGE_A, member("h1-1", "王建国", good)),
            _unchecked("h2", member("h2-1", "刘德华", None), bad),
        ]
    )
    assert pairs(found) == {("h1-1", "h2-1"): DuplicateReason.RESIDENT_ID_TYPO}


def _unchecked(household_id: str, m: Member, resident_id: str) -> Household:
    """A household of one member carrying ``resident_id`` unvalidated (as old data may)."""
    with attrs.validators.disabled():
        return household(household_id, VILLAGE_B, attrs.evolve(m, resident_id=resident_id))


def test_numbers_two_typos_apart_or_born_another_day_are_not_typos() -> None:
    found = probable_duplicates(
        [
            household("h1", VILLAGE_A, member("h1-1", "王建国", number(serial=21))),
            household("h2", VILLAGE_B, member("h2-1", "刘德华", number(serial=35))),
            household(
                "h3",
                VILLAGE_B,
                member("h3-1", "赵丽", number(born=date(1962, 3, 9)), born=date(1962, 3, 9)),
            ),
        ]
    )
    assert found == []


def test_a_pair_is_listed_once_under_its_strongest_reason() -> None:
    same = number()
    found = probable_duplicates(
        [
            household("h1", VILLAGE_A, member("h1-1", "张秀英", same)),
            household("h2", VILLAGE_A, member("h2-1", "张秀英", same)),
            household("h3", VILLAGE_A, member("h3-1", "张秀瑛", number(serial=23))),
        ]
    )
    assert [(d.first.member_id, d.second.member_id, d.reason) for d in found] == [
        ("h1-1", "h2-1", DuplicateReason.SAME_RESIDENT_ID),
        ("h1-1", "h3-1", DuplicateReason.RESIDENT_ID_TYPO),
        ("h2-1", "h3-1", DuplicateReason.RESIDENT_ID_TYPO),
    ]


def test_every_member_sharing_a_number_is_paired_with_every_other_once() -> None:
    same = number()
    found = probable_duplicates(
        [household(f"h{k}", VILLAGE_A, member(f"h{k}-1", n, same)) for k, n in enumerate("甲乙丙")]
    )
    assert sorted(pairs(found)) == [("h0-1", "h1-1"), ("h0-1", "h2-1"), ("h1-1", "h2-1")]


def test_the_same_common_name_born_on_other_days_in_other_villages_is_not_listed() -> None:
    people = [
        household(
            f"h{k}",
            f"610202001{k + 1:03d}",
            member(f"h{k}-1", "张伟", number(born=day, serial=k * 2), born=day),
        )
        for k, day in enumerate([date(1960, 1, 5), date(1971, 6, 30), date(1985, 11, 2)])
    ]
    assert probable_duplicates(people) == []


def test_former_members_are_left_out() -> None:
    left = member("h1-2", "张秀英", number(serial=21), departed_on=date(2019, 5, 1))
    moved = household("h1", VILLAGE_A, member("h1-1", "王建国", number(serial=700)))
    found = probable_duplicates(
        [
            attrs.evolve(moved, former_members=[left]),
            household("h2", VILLAGE_A, member("h2-1", "张秀英", number(serial=857))),
        ]
    )
    assert found == []


def test_a_member_without_a_number_is_matched_on_name_and_birth_date() -> None:
    found = probable_duplicates(
        [
            household("h1", VILLAGE_A, member("h1-1", "张秀英", None)),
            household("h2", VILLAGE_A, member("h2-1", "张秀英", number())),
            household("h3", VILLAGE_B, member("h3-1", "王建国", None)),
            household("h4", VILLAGE_B, member("h4-1", "刘德华", None)),
        ]
    )
    assert pairs(found) == {("h1-1", "h2-1"): DuplicateReason.SAME_NAME_IN_VILLAGE}
    assert found[0].first.resident_id is None
    assert found[0].as_dict()["first"]["resident_id"] is None  # type: ignore[index]


def test_order_is_by_reason_then_score_and_does_not_depend_on_the_input_order() -> None:
    people = _mixed_households()
    found = probable_duplicates(people)
    assert [d.reason.rank for d in found] == sorted(d.reason.rank for d in found)
    shuffled = list(people)
    random.Random(3).shuffle(shuffled)
    assert probable_duplicates(shuffled) == found
    similar = [d.score for d in found if d.reason is DuplicateReason.SIMILAR_NAME]
    assert similar == sorted(similar, reverse=True)
    assert len(set(similar)) > 1


def _mixed_households() -> list[Household]:
    """Households with pairs of three reasons and similar names of several scores.

    No two share a number, so that storage may hold them even once it refuses that.
    """
    return [
        household("h1", VILLAGE_A, member("h1-1", "张秀英", number(serial=21))),
        household("h2", VILLAGE_A, member("h2-1", "张秀英", number(serial=857))),
        household("h3", VILLAGE_B, member("h3-1", "张秀瑛", number(serial=600))),
        household("h4", VILLAGE_B, member("h4-1", "王建国", number(serial=700))),
        household("h5", VILLAGE_A, member("h5-1", "刘德华", number(serial=310))),
        household("h6", VILLAGE_B, member("h6-1", "李小明", number(serial=701))),
        household("h7", VILLAGE_B, member("h7-1", "李晓明", number(serial=444))),
        household("h8", VILLAGE_A, member("h8-1", "李晓明娟", number(serial=333))),
    ]


def test_members_are_compared_only_within_a_birth_date(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    cdist = duplicates.process.cdist

    def counting(queries: list[str], choices: list[str], **kw: object) -> object:
        seen.append(len(choices))
        return cdist(queries, choices, **kw)

    monkeypatch.setattr(duplicates.process, "cdist", counting)
    days = [date.fromordinal(date(1950, 1, 1).toordinal() + k) for k in range(50)]
    people = [
        household(f"h{k}-{n}", VILLAGE_A, member(f"h{k}-{n}-1", "王建国", number(day, 2 * n), day))
        for k, day in enumerate(days)
        for n in range(3)
    ]
    found = probable_duplicates(people)
    assert len(found) == 50 * 3
    assert seen
    assert max(seen) == 3


def test_a_large_block_is_compared_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    people = [
        household(f"h{k}", VILLAGE_A, member(f"h{k}-1", "张秀英", number(serial=k)))
        for k in range(7)
    ]
    whole = probable_duplicates(people)
    monkeypatch.setattr(duplicates, "_CELLS", 14)  # two rows of seven at a time
    assert probable_duplicates(people) == whole
    assert len(whole) == 21


# A one-character change of any name (two characters or more) is found at the default
# threshold, whatever number the copy carries: the same, a fresh one, or none.
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        js.households(max_members=3, max_history=1),
        min_size=1,
        max_size=4,
        unique_by=lambda h: h.household_id,
    ),
    st.data(),
)
def test_a_copied_member_with_one_character_changed_is_always_found(
    households: list[Household], data: st.DataObject
) -> None:
    original_household = data.draw(st.sampled_from(households))
    original = data.draw(st.sampled_from(original_household.members))
    at = data.draw(st.integers(0, len(original.name) - 1))
    cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
    char = data.draw(cjk.filter(lambda c: c != original.name[at]))
    name = original.name[:at] + char + original.name[at + 1 :]
    resident_id = data.draw(
        st.sampled_from([original.resident_id, None])
        | js.resident_ids(birth_date=original.birth_date)
    )
    copy = member("copy-1", name, resident_id, born=original.birth_date)
    region = data.draw(js.region_codes(min_level=jieqin.RegionLevel.TOWNSHIP))
    found = probable_duplicates([*households, household("copy", region.code, copy)])
    listed = {frozenset((d.first.member_id, d.second.member_id)) for d in found}
    assert frozenset((original.member_id, "copy-1")) in listed


# -- the use case and the command ---------------------------------------------------


def _stored(people: list[Household], url: str) -> None:
    with jieqin.connect(url) as campaign, campaign.unit_of_work("test") as uow:
        uow.households.add_many(people)
        uow.commit()


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A campaign holding :func:`_mixed_households`, one member with a phone and an illness."""
    path = tmp_path / "campaign.db"
    people = _mixed_households()
    people[0] = household("h1", VILLAGE_A, _sensitive(people[0].members[0]))
    _stored(people, f"sqlite:///{path}")
    return str(path)


def _sensitive(m: Member) -> Member:
    health = Health(HealthCondition.MAJOR_ILLNESS, "尿毒症")
    return attrs.evolve(m, phone="13812345678", health=health, disability_grade=2)


def run(*args: str) -> tuple[int, str]:
    """Run ``jieqin`` on a terminal wide enough that no table cell wraps."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"COLUMNS": "200"})
    return result.exit_code, result.stdout


def test_the_use_case_reads_the_stored_households(db: str) -> None:
    with jieqin.connect(f"sqlite:///{db}") as campaign, campaign.unit_of_work("test") as uow:
        stored = probable_duplicates_in(uow, threshold=60)
    assert stored == probable_duplicates(_mixed_households(), threshold=60)
    assert stored


def test_dedup_json_lists_each_pair_with_masked_numbers(db: str) -> None:
    code, out = run("dedup", "--json", "--db", db)
    assert code == 0
    rows = json.loads(out)
    first = rows[0]
    assert set(first) == {"reason", "score", "first", "second"}
    assert (first["reason"], first["first"]["member_id"], first["second"]["member_id"]) == (
        "same_name_in_village",
        "h1-1",
        "h2-1",
    )
    assert first["first"] == {
        "member_id": "h1-1",
        "household_id": "h1",
        "region": VILLAGE_A,
        "name": "张秀英",
        "birth_date": BORN.isoformat(),
        "resident_id": mask_resident_id(number(serial=21)),
    }
    assert {r["reason"] for r in rows} == {
        "same_name_in_village",
        "resident_id_typo",
        "similar_name",
    }


def test_dedup_prints_a_table_of_pairs(db: str) -> None:
    code, out = run("dedup", "--db", db)
    assert code == 0
    assert "probable duplicates to review" in out
    assert "same name, birth date and village" in out
    assert "张秀瑛" in out
    assert mask_resident_id(number(serial=600)) in out


def test_dedup_never_shows_a_number_a_phone_or_a_health_fact(db: str) -> None:
    people = _mixed_households()
    secrets = {
        "resident_ids": [m.resident_id for h in people for m in h.members],
        "phones": ["13812345678"],
        "diagnoses": ["尿毒症"],
    }
    for args in ([], ["--json"], ["--threshold", "1"]):
        code, out = run("dedup", *args, "--db", db)
        assert code == 0
        assert find_sensitive(out, **secrets) == []
        assert "major_illness" not in out


def test_dedup_with_none_found_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    _stored([household("h1", VILLAGE_A, member("h1-1", "王建国", number()))], url)
    assert run("dedup", "--url", url) == (0, "No probable duplicates.\n")
    assert run("dedup", "--json", "--url", url) == (0, "[]\n")


def test_dedup_threshold_out_of_range_is_a_usage_error(db: str) -> None:
    assert CliRunner().invoke(cli, ["dedup", "--threshold", "0", "--db", db]).exit_code == 2
    assert CliRunner().invoke(cli, ["dedup", "--threshold", "101", "--db", db]).exit_code == 2
    _, out = run("dedup", "--threshold", "70", "--json", "--db", db)
    similar = [r for r in json.loads(out) if r["reason"] == "similar_name"]
    assert [(r["first"]["name"], r["second"]["name"], r["score"]) for r in similar] == [
        ("李晓明", "李晓明娟", 85.7)
    ]


def test_dedup_on_an_unknown_backend_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(cli, ["dedup", "--url", "nosuch://x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ")
    assert "Traceback" not in err


def test_no_households_no_pairs() -> None:
    assert probable_duplicates([]) == []
