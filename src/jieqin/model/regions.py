"""Administrative region codes (GB/T 2260 and the statistical township/village codes).

A code is structural: its digits say its level and its ancestors, so containment
and "how near" questions need no lookup table. Region *names* come from plugins.

- ``61`` ``0000`` province, ``6102`` ``00`` prefecture-level city, ``610202`` county
  or district (GB/T 2260, six digits);
- ``610202001`` township (nine digits), ``610202001001`` village (twelve digits).
"""

from __future__ import annotations

from enum import IntEnum

from attrs import field, frozen

from jieqin.errors import InvalidRegionCode
from jieqin.i18n import N_

__all__ = ["PROVINCE_PREFIXES", "RegionCode", "RegionLevel"]

#: The two-digit province-level prefixes in use in GB/T 2260.
PROVINCE_PREFIXES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)


class RegionLevel(IntEnum):
    """How deep a region sits; a larger value is a smaller region."""

    PROVINCE = 1
    CITY = 2
    COUNTY = 3
    TOWNSHIP = 4
    VILLAGE = 5


def _check_code(instance: object, attribute: object, value: str) -> None:
    if not isinstance(value, str):
        raise InvalidRegionCode(
            N_("expected a string of digits, got {type}", type=type(value).__name__),
            field="region",
        )
    if len(value) not in (6, 9, 12):
        raise InvalidRegionCode(
            N_(
                "{value} has {length} characters; expected 6 (county), 9 (township) "
                "or 12 (village) digits",
                value=repr(value),
                length=len(value),
            ),
            field="region",
        )
    if not value.isascii() or not value.isdigit():
        raise InvalidRegionCode(N_("{value} is not all digits", value=repr(value)), field="region")
    if value[:2] not in PROVINCE_PREFIXES:
        raise InvalidRegionCode(
            N_("{value} has no province {province}", value=repr(value), province=repr(value[:2])),
            field="region",
        )
    if len(value) >= 9 and value[6:9] == "000":
        raise InvalidRegionCode(
            N_("{value} has township part 000", value=repr(value)), field="region"
        )
    if len(value) == 12 and value[9:12] == "000":
        raise InvalidRegionCode(
            N_("{value} has village part 000", value=repr(value)), field="region"
        )
    if len(value) > 6 and value[2:6] == "0000":
        raise InvalidRegionCode(
            N_("{value} puts a township directly under a province", value=repr(value)),
            field="region",
        )


@frozen(order=True)
class RegionCode:
    """An administrative region, identified by its code.

    >>> RegionCode("610202001001").parent
    RegionCode('610202001')
    >>> RegionCode("610200").contains(RegionCode("610202001001"))
    True
    """

    code: str = field(validator=_check_code)

    def __repr__(self) -> str:
        return f"RegionCode({self.code!r})"

    def __str__(self) -> str:
        return self.code

    @property
    def level(self) -> RegionLevel:
        """Province, city, county, township or village."""
        if len(self.code) == 12:
            return RegionLevel.VILLAGE
        if len(self.code) == 9:
            return RegionLevel.TOWNSHIP
        if self.code[2:6] == "0000":
            return RegionLevel.PROVINCE
        if self.code[4:6] == "00":
            return RegionLevel.CITY
        return RegionLevel.COUNTY

    @property
    def parent(self) -> RegionCode | None:
        """The region one level up, or ``None`` for a province."""
        level = self.level
        if level is RegionLevel.VILLAGE:
            return RegionCode(self.code[:9])
        if level is RegionLevel.TOWNSHIP:
            return RegionCode(self.code[:6])
        if level is RegionLevel.COUNTY:
            return RegionCode(self.code[:4] + "00")
        if level is RegionLevel.CITY:
            return RegionCode(self.code[:2] + "0000")
        return None

    def ancestors(self) -> tuple[RegionCode, ...]:
        """Every region above this one, nearest first."""
        out: list[RegionCode] = []
        node = self.parent
        while node is not None:
            out.append(node)
            node = node.parent
        return tuple(out)

    def lineage(self) -> tuple[RegionCode, ...]:
        """This region and its ancestors, nearest first."""
        return (self, *self.ancestors())

    def at_level(self, level: RegionLevel) -> RegionCode | None:
        """This region's ancestor (or itself) at ``level``; ``None`` if it is above it."""
        for node in self.lineage():
            if node.level == level:
                return node
        return None

    def contains(self, other: RegionCode) -> bool:
        """Whether ``other`` is this region or lies inside it."""
        return other == self or self in other.ancestors()

    def common_ancestor(self, other: RegionCode) -> RegionCode | None:
        """The smallest region containing both, or ``None`` across provinces."""
        mine = set(self.lineage())
        for node in other.lineage():
            if node in mine:
                return node
        return None

    def common_level(self, other: RegionCode) -> RegionLevel | None:
        """The level of :meth:`common_ancestor`: ``VILLAGE`` for the same village."""
        common = self.common_ancestor(other)
        return None if common is None else common.level
