"""Region codes: levels, ancestry and containment."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jieqin.errors import InvalidRegionCode
from jieqin.model import RegionCode, RegionLevel
from jieqin.testing.strategies import region_codes


def test_levels_and_parents() -> None:
    village = RegionCode("610202001002")
    assert village.level is RegionLevel.VILLAGE
    assert [str(a) for a in village.ancestors()] == ["610202001", "610202", "610200", "610000"]
    assert RegionCode("610000").parent is None
    assert RegionCode("610200").level is RegionLevel.CITY


@given(region_codes())
def test_a_code_contains_its_descendants_and_each_ancestor_contains_it(code: RegionCode) -> None:
    assert code.contains(code)
    for ancestor in code.ancestors():
        assert ancestor.contains(code)
        assert not code.contains(ancestor)
        assert ancestor.level < code.level


@given(region_codes(level=RegionLevel.VILLAGE), st.integers(1, 999), st.integers(1, 999))
def test_siblings_do_not_contain_each_other(code: RegionCode, township: int, village: int) -> None:
    township_sibling = RegionCode(f"{code.code[:6]}{township:03d}")
    village_sibling = RegionCode(f"{code.code[:9]}{village:03d}")
    for sibling, mine in ((township_sibling, code.parent), (village_sibling, code)):
        assert mine is not None
        if sibling == mine:
            continue
        assert not sibling.contains(mine)
        assert not mine.contains(sibling)
        assert not sibling.contains(code) or sibling.level < code.level
        assert sibling.common_ancestor(mine) == mine.parent


@given(region_codes(), region_codes())
def test_common_ancestor_contains_both_and_is_the_smallest(a: RegionCode, b: RegionCode) -> None:
    common = a.common_ancestor(b)
    if common is None:
        assert a.code[:2] != b.code[:2]
        return
    assert common.contains(a)
    assert common.contains(b)
    for child_level in range(common.level + 1, RegionLevel.VILLAGE + 1):
        na, nb = a.at_level(RegionLevel(child_level)), b.at_level(RegionLevel(child_level))
        assert na is None or nb is None or na != nb


@given(region_codes(within="610204"))
def test_within_keeps_codes_inside(code: RegionCode) -> None:
    assert RegionCode("610204").contains(code)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("61020", "has 5 characters"),
        ("61020a", "not all digits"),
        ("990202", "no province"),
        ("610202000", "township part 000"),
        ("610202001000", "village part 000"),
    ],
)
def test_bad_codes_name_the_reason(code: str, reason: str) -> None:
    with pytest.raises(InvalidRegionCode, match=reason):
        RegionCode(code)
