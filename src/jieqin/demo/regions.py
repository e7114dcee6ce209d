"""Tongchuan's districts, county and townships, as the synthetic cohort uses them.

The county codes and names are GB/T 2260; the township list follows the real
towns and sub-districts, but the nine- and twelve-digit codes are illustrative:
the demo needs codes with the right structure, not the statistical office's table.
"""

from __future__ import annotations

from attrs import frozen

from jieqin import RegionCode

__all__ = ["CITY", "COUNTIES", "OUTSIDE_COUNTY", "County", "Township"]

CITY = RegionCode("610200")
"""铜川市, the prefecture-level city of the campaign."""


@frozen
class Township:
    """A town (镇) or sub-district (街道) with the villages the demo places households in."""

    code: RegionCode
    name: str
    villages: int

    def village(self, number: int) -> RegionCode:
        """The ``number``-th village (1-based): village committees are numbered from 201."""
        return RegionCode(f"{self.code.code}{200 + number:03d}")


@frozen
class County:
    """A district (区) or county (县) of the city and its townships."""

    code: RegionCode
    name: str
    townships: tuple[Township, ...]


def _county(code: str, name: str, towns: list[tuple[str, str, int]]) -> County:
    return County(
        RegionCode(code),
        name,
        tuple(
            Township(RegionCode(code + suffix), town, villages) for suffix, town, villages in towns
        ),
    )


COUNTIES: tuple[County, ...] = (
    _county(
        "610202",
        "王益区",
        [("100", "黄堡镇", 9), ("006", "王益街道", 4), ("005", "王家河街道", 4)],
    ),
    _county(
        "610203",
        "印台区",
        [
            ("100", "陈炉镇", 8),
            ("101", "红土镇", 8),
            ("102", "广阳镇", 7),
            ("103", "金锁关镇", 6),
            ("104", "阿庄镇", 7),
            ("004", "印台街道", 4),
        ],
    ),
    _county(
        "610204",
        "耀州区",
        [
            ("100", "董家河镇", 8),
            ("101", "庙湾镇", 7),
            ("102", "瑶曲镇", 7),
            ("103", "照金镇", 8),
            ("104", "孙塬镇", 8),
            ("105", "关庄镇", 7),
            ("106", "小丘镇", 7),
            ("107", "石柱镇", 6),
        ],
    ),
    _county(
        "610222",
        "宜君县",
        [
            ("100", "彭镇", 7),
            ("101", "五里镇", 7),
            ("102", "太安镇", 6),
            ("103", "棋盘镇", 6),
            ("104", "尧生镇", 6),
            ("105", "哭泉镇", 5),
        ],
    ),
)

OUTSIDE_COUNTY = _county("610429", "旬邑县", [("100", "职田镇", 3)])
"""A neighbouring county of Xianyang: households whose registration moved across the
city boundary stay on the roster but lie outside every helper's locality."""
