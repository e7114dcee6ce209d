"""The standard reference data: tiers, sectors, household statuses, need and activity kinds,
and the labels of the fixed member codes (relations, health, schooling, employment).

One table of the standard codes with their Chinese labels (and English ones), so that
the built-in vocabularies plugin, needs routing and the pairing policy all read the
same labels and the same need-kind -> sector map instead of keeping copies that drift.
Regions add or relabel codes through the plugin hooks; this is only the default.
"""

from __future__ import annotations

from attrs import field, frozen

from jieqin.model.grievances import GrievanceCategory
from jieqin.model.people import EmploymentStatus, HealthCondition, Relation, SchoolLevel
from jieqin.model.vocab import ActivityKind, HouseholdStatus, NeedKind, Sector, Tier, check_code

__all__ = [
    "ACTIVITY_KINDS",
    "EMPLOYMENT_STATUSES",
    "GRIEVANCE_CATEGORIES",
    "HEALTH_CONDITIONS",
    "HOUSEHOLD_STATUSES",
    "NEED_KINDS",
    "REFERRAL_OUTCOMES",
    "RELATIONS",
    "SCHOOL_LEVELS",
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

#: What came of a completed referral, as the agency reports it (plugins may add more).
REFERRAL_OUTCOMES: tuple[ReferenceCode, ...] = (
    ReferenceCode("service_provided", "已提供服务", "the service was provided"),
    ReferenceCode("employed", "已实现就业", "placed in work"),
    ReferenceCode("training_arranged", "已安排培训", "training arranged"),
    ReferenceCode("assistance_granted", "已纳入救助", "assistance granted"),
    ReferenceCode("declined_by_member", "本人放弃", "the member declined"),
    ReferenceCode("not_eligible", "经审核不符合条件", "not eligible on assessment"),
    ReferenceCode("unreachable", "无法联系本人", "the member could not be reached"),
    ReferenceCode("other", "其他", "other"),
)

#: The standard categories of grievance (plugins may register more).
GRIEVANCE_CATEGORIES: tuple[ReferenceCode, ...] = (
    ReferenceCode(GrievanceCategory.APPEAL, "申请复核", "appeal against an aid decision"),
    ReferenceCode(GrievanceCategory.AID_DECISION, "救助决定异议", "objection to an aid decision"),
    ReferenceCode(GrievanceCategory.HELPER_CONDUCT, "帮扶人作风", "a helper's conduct"),
    ReferenceCode(GrievanceCategory.NEED_UNMET, "诉求未解决", "a need not met"),
    ReferenceCode(GrievanceCategory.OTHER, "其他", "other"),
)

#: Relations to the head of household (与户主关系): a fixed set, not registered by plugins.
RELATIONS: tuple[ReferenceCode, ...] = (
    ReferenceCode(Relation.HEAD, "户主", "head of household"),
    ReferenceCode(Relation.SPOUSE, "配偶", "spouse"),
    ReferenceCode(Relation.CHILD, "子女", "child"),
    ReferenceCode(Relation.CHILD_IN_LAW, "儿媳、女婿", "child's spouse"),
    ReferenceCode(Relation.GRANDCHILD, "孙子女、外孙子女", "grandchild"),
    ReferenceCode(Relation.PARENT, "父母", "parent"),
    ReferenceCode(Relation.GRANDPARENT, "祖父母、外祖父母", "grandparent"),
    ReferenceCode(Relation.SIBLING, "兄弟姐妹", "sibling"),
    ReferenceCode(Relation.OTHER, "其他", "other"),
)

#: The coarse health conditions (a fixed set; the diagnosis is kept apart, masked).
HEALTH_CONDITIONS: tuple[ReferenceCode, ...] = (
    ReferenceCode(HealthCondition.HEALTHY, "健康", "healthy"),
    ReferenceCode(HealthCondition.CHRONIC_ILLNESS, "长期慢性病", "chronic illness"),
    ReferenceCode(HealthCondition.MAJOR_ILLNESS, "大病", "major illness"),
)

#: The school levels of a member in education (a fixed set).
SCHOOL_LEVELS: tuple[ReferenceCode, ...] = (
    ReferenceCode(SchoolLevel.PRESCHOOL, "学前教育", "preschool"),
    ReferenceCode(SchoolLevel.PRIMARY, "小学", "primary school"),
    ReferenceCode(SchoolLevel.JUNIOR_SECONDARY, "初中", "junior secondary school"),
    ReferenceCode(SchoolLevel.SENIOR_SECONDARY, "高中", "senior secondary school"),
    ReferenceCode(SchoolLevel.VOCATIONAL, "中职", "vocational school"),
    ReferenceCode(SchoolLevel.COLLEGE, "大学（含大专）", "college"),
    ReferenceCode(SchoolLevel.POSTGRADUATE, "研究生", "postgraduate"),
)

#: The employment statuses of a member (a fixed set).
EMPLOYMENT_STATUSES: tuple[ReferenceCode, ...] = (
    ReferenceCode(EmploymentStatus.EMPLOYED_LOCAL, "本地就业", "employed locally"),
    ReferenceCode(EmploymentStatus.MIGRANT_WORKER, "外出务工", "migrant worker"),
    ReferenceCode(EmploymentStatus.FARMING, "务农", "farming"),
    ReferenceCode(EmploymentStatus.UNEMPLOYED_SEEKING, "失业求职", "unemployed, seeking work"),
    ReferenceCode(EmploymentStatus.UNABLE_TO_WORK, "无劳动能力", "unable to work"),
    ReferenceCode(EmploymentStatus.STUDENT, "在校生", "student"),
    ReferenceCode(EmploymentStatus.RETIRED, "退休", "retired"),
    ReferenceCode(EmploymentStatus.CHILD, "未成年", "child, not of working age"),
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
