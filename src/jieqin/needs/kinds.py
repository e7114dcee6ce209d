"""Kinds of need, the helper sectors that can meet them, and the agencies that take them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from attrs import field, frozen

from jieqin.model import NeedKind, Sector
from jieqin.model.vocab import check_code

__all__ = ["STANDARD_NEED_KINDS", "Agency", "NeedKindInfo"]


def _codes(values: Iterable[str]) -> frozenset[str]:
    return frozenset(check_code(v, field="code") for v in values)


@frozen
class NeedKindInfo:
    """A kind of need: its code, what people read, and the helper sectors that match it."""

    code: str
    label: str
    sectors: frozenset[str] = field(factory=frozenset, converter=_codes)

    def __attrs_post_init__(self) -> None:
        check_code(self.code, field="need kind")


@frozen
class Agency:
    """An agency needs can be referred to, and the kinds of need it takes."""

    agency_id: str
    name: str
    need_kinds: frozenset[str] = field(factory=frozenset, converter=_codes)


def _standard() -> dict[str, NeedKindInfo]:
    kinds = [
        NeedKindInfo(NeedKind.EMPLOYMENT, "就业", {Sector.EMPLOYMENT, Sector.COMMERCE}),
        NeedKindInfo(NeedKind.SKILLS_TRAINING, "技能培训", {Sector.EMPLOYMENT, Sector.EDUCATION}),
        NeedKindInfo(NeedKind.MEDICAL, "就医", {Sector.MEDICAL}),
        NeedKindInfo(NeedKind.SCHOOLING, "就学", {Sector.EDUCATION}),
        NeedKindInfo(NeedKind.SOCIAL_INSURANCE, "社保", {Sector.SOCIAL_WORK, Sector.FINANCE}),
        NeedKindInfo(NeedKind.DISABILITY_SUPPORT, "残障", {Sector.SOCIAL_WORK, Sector.MEDICAL}),
        NeedKindInfo(NeedKind.HOUSING, "住房", {Sector.CONSTRUCTION}),
        NeedKindInfo(NeedKind.WINTER_FOOD, "过冬粮油菜", {Sector.SOCIAL_WORK, Sector.AGRICULTURE}),
        NeedKindInfo(NeedKind.WINTER_CLOTHING, "御寒衣被", {Sector.SOCIAL_WORK}),
        NeedKindInfo(NeedKind.WINTER_HEATING, "取暖", {Sector.SOCIAL_WORK, Sector.CONSTRUCTION}),
    ]
    return {str(k.code): k for k in kinds}


#: The standard need kinds (employment, skills training, medical, schooling, social
#: insurance, disability support, housing, and the three winter supplies).
STANDARD_NEED_KINDS: Mapping[str, NeedKindInfo] = _standard()
