"""The standard reference data: tiers, sectors, household statuses, need and activity kinds.

One table of the standard codes with their Chinese labels (and English ones), so that
the built-in vocabularies plugin, needs routing and the pairing policy all read the
same labels and the same need-kind -> sector map instead of keeping copies that drift.
Regions add or relabel codes through the plugin hooks; this is only the default.
"""

from __future__ import annotations

from attrs import field, frozen

from jieqin.model.vocab import ActivityKind, HouseholdStatus, NeedKind, Sector, Tier, check_code

__all__ = [
    "ACTIVITY_KINDS",
    "HOUSEHOLD_STATUSES",
    "NEED_KINDS",
    "SECTORS",
    "TIERS",
    "NeedKindReference",
    "ReferenceCode",
    "StatusReference",
    "labels",
    "monitored_statuses",
    "need_sectors",
]


def _code(value: object) -> str:
    return check_code(str(value), field="code")


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_code(value) for value in values)


@frozen
class ReferenceCode:
    """A standard code with what people read: its Chinese label and its English one."""

    code: str = field(converter=_code)
    label: str
    english: str | None = None


@frozen
class StatusReference(ReferenceCode):
    """A standard household status; ``monitored`` for a category of the scheme for
    preventing a return to poverty."""

    monitored: bool = False


@frozen
class NeedKindReference(ReferenceCode):
    """A standard kind of need and the helper sectors whose strength meets it.

    ``sensitive``: a need of this kind tells a health or disability fact.
    """

    sectors: tuple[str, ...] = field(default=(), converter=_codes)
    sensitive: bool = False


#: The helper tiers of the campaign.
TIERS: tuple[ReferenceCode, ...] = (
    ReferenceCode(Tier.PROVINCIAL_MEMBER, "省政协委员", "provincial council member"),
    ReferenceCode(Tier.CITY_MEMBER, "市政协委员", "city council member"),
    ReferenceCode(Tier.COUNTY_MEMBER, "区县政协委员", "district or county council member"),
    ReferenceCode(Tier.AGENCY_STAFF, "机关干部", "council agency staff"),
)

#: The sectors of professional strength a helper brings.
SECTORS: tuple[ReferenceCode, ...] = (
    ReferenceCode(Sector.MEDICAL, "医疗卫生", "medicine and health"),
    ReferenceCode(Sector.EDUCATION, "教育", "education"),
    ReferenceCode(Sector.EMPLOYMENT, "就业", "employment"),
    ReferenceCode(Sector.AGRICULTURE, "农业", "agriculture"),
    ReferenceCode(Sector.LAW, "法律", "law"),
    ReferenceCode(Sector.FINANCE, "金融", "finance"),
    ReferenceCode(Sector.SOCIAL_WORK, "社会工作", "social work"),
    ReferenceCode(Sector.CONSTRUCTION, "建设", "construction"),
    ReferenceCode(Sector.COMMERCE, "商贸", "commerce"),
)

#: The household statuses, the three of the monitoring scheme marked ``monitored``.
HOUSEHOLD_STATUSES: tuple[StatusReference, ...] = (
    StatusReference(HouseholdStatus.POOR, "贫困户", "registered poor household"),
    StatusReference(HouseholdStatus.LIFTED_OUT, "脱贫户", "lifted out of poverty"),
    StatusReference(
        HouseholdStatus.UNSTABLE, "脱贫不稳定户", "lifted out but unstable", monitored=True
    ),
    StatusReference(
        HouseholdStatus.EDGE_OF_POVERTY, "边缘易致贫户", "on the edge of poverty", monitored=True
    ),
    StatusReference(
        HouseholdStatus.SUDDEN_DIFFICULTY,
        "突发严重困难户",
        "suddenly in severe difficulty",
        monitored=True,
    ),
    StatusReference(
        HouseholdStatus.MOVED_AWAY, "户籍迁出", "registration moved away: off the campaign"
    ),
)

#: The kinds of need, each with the helper sectors that can meet it.
NEED_KINDS: tuple[NeedKindReference, ...] = (
    NeedKindReference(
        NeedKind.EMPLOYMENT, "就业", "employment", (Sector.EMPLOYMENT, Sector.COMMERCE)
    ),
    NeedKindReference(
        NeedKind.SKILLS_TRAINING,
        "技能培训",
        "skills training",
        (Sector.EMPLOYMENT, Sector.EDUCATION),
    ),
    NeedKindReference(NeedKind.MEDICAL, "就医", "medical care", (Sector.MEDICAL,), sensitive=True),
    NeedKindReference(NeedKind.SCHOOLING, "就学", "schooling", (Sector.EDUCATION,)),
    NeedKindReference(
        NeedKind.SOCIAL_INSURANCE,
        "社保",
        "social insurance",
        (Sector.SOCIAL_WORK, Sector.FINANCE, Sector.LAW),
    ),
    NeedKindReference(
        NeedKind.DISABILITY_SUPPORT,
        "残障帮扶",
        "disability support",
        (Sector.SOCIAL_WORK, Sector.MEDICAL),
        sensitive=True,
    ),
    NeedKindReference(NeedKind.HOUSING, "住房", "housing", (Sector.CONSTRUCTION,)),
    NeedKindReference(
        NeedKind.WINTER_FOOD,
        "冬季粮油果蔬",
        "winter food",
        (Sector.SOCIAL_WORK, Sector.AGRICULTURE),
    ),
    NeedKindReference(
        NeedKind.WINTER_CLOTHING, "冬季衣被", "winter clothing and bedding", (Sector.SOCIAL_WORK,)
    ),
    NeedKindReference(
        NeedKind.WINTER_HEATING,
        "冬季取暖",
        "winter heating",
        (Sector.SOCIAL_WORK, Sector.CONSTRUCTION),
    ),
)

#: The five standing duties of a helper.
ACTIVITY_KINDS: tuple[ReferenceCode, ...] = (
    ReferenceCode(ActivityKind.CONTACT, "勤联系", "contact"),
    ReferenceCode(ActivityKind.VISIT, "常走动", "visit"),
    ReferenceCode(ActivityKind.POLICY_EXPLANATION, "讲政策", "policy explanation"),
    ReferenceCode(ActivityKind.WARMTH, "送温暖", "warmth"),
    ReferenceCode(ActivityKind.PRACTICAL_HELP, "办实事", "practical help"),
)


def labels(table: tuple[ReferenceCode, ...]) -> dict[str, str]:
    """Code -> Chinese label of one table, in its order."""
    return {entry.code: entry.label for entry in table}


def need_sectors() -> dict[str, frozenset[str]]:
    """Need kind -> the helper sectors that meet it, for the standard need kinds."""
    return {kind.code: frozenset(kind.sectors) for kind in NEED_KINDS}


def monitored_statuses() -> frozenset[str]:
    """The standard household statuses of the monitoring scheme."""
    return frozenset(status.code for status in HOUSEHOLD_STATUSES if status.monitored)
