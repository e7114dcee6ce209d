"""Built-in plugin: the standard vocabularies of :mod:`jieqin.model.vocab`.

Tiers, sectors, household statuses, need kinds (with the helper sectors that can
meet them) and the five standing activity kinds, with Chinese labels.
"""

from __future__ import annotations

from collections.abc import Callable

from jieqin.model.vocab import (
    MONITORED_STATUSES,
    ActivityKind,
    HouseholdStatus,
    NeedKind,
    Sector,
    Tier,
)
from jieqin.plugins.hookspecs import hookimpl

TIER_LABELS = {
    Tier.PROVINCIAL_MEMBER: "省政协委员",
    Tier.CITY_MEMBER: "市政协委员",
    Tier.COUNTY_MEMBER: "区县政协委员",
    Tier.AGENCY_STAFF: "机关干部",
}

SECTOR_LABELS = {
    Sector.MEDICAL: "医疗卫生",
    Sector.EDUCATION: "教育",
    Sector.EMPLOYMENT: "就业",
    Sector.AGRICULTURE: "农业",
    Sector.LAW: "法律",
    Sector.FINANCE: "金融",
    Sector.SOCIAL_WORK: "社会工作",
    Sector.CONSTRUCTION: "建设",
    Sector.COMMERCE: "商贸",
}

STATUS_LABELS = {
    HouseholdStatus.POOR: "贫困户",
    HouseholdStatus.LIFTED_OUT: "脱贫户",
    HouseholdStatus.UNSTABLE: "脱贫不稳定户",
    HouseholdStatus.EDGE_OF_POVERTY: "边缘易致贫户",
    HouseholdStatus.SUDDEN_DIFFICULTY: "突发严重困难户",
}

#: Need kind -> (label, helper sectors whose strength meets it).
NEED_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    NeedKind.EMPLOYMENT: ("就业", (Sector.EMPLOYMENT, Sector.COMMERCE)),
    NeedKind.SKILLS_TRAINING: ("技能培训", (Sector.EMPLOYMENT, Sector.EDUCATION)),
    NeedKind.MEDICAL: ("就医", (Sector.MEDICAL,)),
    NeedKind.SCHOOLING: ("就学", (Sector.EDUCATION,)),
    NeedKind.SOCIAL_INSURANCE: ("社保", (Sector.SOCIAL_WORK, Sector.FINANCE, Sector.LAW)),
    NeedKind.DISABILITY_SUPPORT: ("残障帮扶", (Sector.SOCIAL_WORK, Sector.MEDICAL)),
    NeedKind.HOUSING: ("住房", (Sector.CONSTRUCTION,)),
    NeedKind.WINTER_FOOD: ("冬季粮油果蔬", (Sector.SOCIAL_WORK, Sector.AGRICULTURE)),
    NeedKind.WINTER_CLOTHING: ("冬季衣被", (Sector.SOCIAL_WORK,)),
    NeedKind.WINTER_HEATING: ("冬季取暖", (Sector.SOCIAL_WORK, Sector.CONSTRUCTION)),
}

ACTIVITY_LABELS = {
    ActivityKind.CONTACT: "勤联系",
    ActivityKind.VISIT: "常走动",
    ActivityKind.POLICY_EXPLANATION: "讲政策",
    ActivityKind.WARMTH: "送温暖",
    ActivityKind.PRACTICAL_HELP: "办实事",
}


@hookimpl(trylast=True)
def jieqin_register_tiers(register: Callable[..., None]) -> None:
    for code, label in TIER_LABELS.items():
        register(str(code), label)


@hookimpl(trylast=True)
def jieqin_register_sectors(register: Callable[..., None]) -> None:
    for code, label in SECTOR_LABELS.items():
        register(str(code), label)


@hookimpl(trylast=True)
def jieqin_register_household_statuses(register: Callable[..., None]) -> None:
    for code, label in STATUS_LABELS.items():
        register(str(code), label, monitored=code in MONITORED_STATUSES)


@hookimpl(trylast=True)
def jieqin_register_need_kinds(register: Callable[..., None]) -> None:
    for code, (label, sectors) in NEED_KINDS.items():
        register(str(code), label, sectors=tuple(str(s) for s in sectors))


@hookimpl(trylast=True)
def jieqin_register_activity_kinds(register: Callable[..., None]) -> None:
    for code, label in ACTIVITY_LABELS.items():
        register(str(code), label)
