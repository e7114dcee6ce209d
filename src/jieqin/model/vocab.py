"""Extensible vocabularies: helper tiers, sectors, household statuses, need and activity kinds.

Policy renames these (the 2021 campaign moved from "poor households" to "households
lifted out of poverty") and regions add their own, so they are plain lower-case
codes rather than closed enums. The standard codes are :class:`~enum.StrEnum`
members, which *are* strings: ``Sector.MEDICAL == "medical"``. Plugins register
further codes through the ``jieqin_register_*`` hooks.
"""

from __future__ import annotations

import re
from enum import StrEnum

from jieqin.errors import InvalidValue
from jieqin.i18n import N_

__all__ = [
    "MONITORED_STATUSES",
    "ActivityKind",
    "HouseholdStatus",
    "NeedKind",
    "Sector",
    "Tier",
    "check_code",
]

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def check_code(value: object, *, field: str) -> str:
    """Return ``value`` if it is a vocabulary code (``snake_case``, 1-64 chars)."""
    if not isinstance(value, str) or not _CODE.match(value):
        raise InvalidValue(
            N_(
                "{value} is not a code (lower-case letters, digits and _, starting with a letter)",
                value=repr(value),
            ),
            field=field,
        )
    return str(value)


class Tier(StrEnum):
    """Helper tiers of the campaign (extensible)."""

    PROVINCIAL_MEMBER = "provincial_member"
    """A provincial council member living in the city (省政协委员)."""
    CITY_MEMBER = "city_member"
    """A city council member (市政协委员)."""
    COUNTY_MEMBER = "county_member"
    """A district or county council member (区县政协委员)."""
    AGENCY_STAFF = "agency_staff"
    """Staff of the council's own agency (机关干部)."""


class Sector(StrEnum):
    """Professional strengths a helper brings (extensible)."""

    MEDICAL = "medical"
    EDUCATION = "education"
    EMPLOYMENT = "employment"
    AGRICULTURE = "agriculture"
    LAW = "law"
    FINANCE = "finance"
    SOCIAL_WORK = "social_work"
    CONSTRUCTION = "construction"
    COMMERCE = "commerce"


class HouseholdStatus(StrEnum):
    """Poverty status of a household over time (extensible; the names change with policy)."""

    POOR = "poor"
    """贫困户: registered poor household."""
    LIFTED_OUT = "lifted_out"
    """脱贫户: lifted out of poverty."""
    UNSTABLE = "unstable"
    """脱贫不稳定户: lifted out but unstable (monitored)."""
    EDGE_OF_POVERTY = "edge_of_poverty"
    """边缘易致贫户: on the edge of poverty (monitored)."""
    SUDDEN_DIFFICULTY = "sudden_difficulty"
    """突发严重困难户: suddenly in severe difficulty (monitored)."""
    MOVED_AWAY = "moved_away"
    """户籍迁出: the household's registration moved away; it is no longer in the campaign."""


#: The statuses of the monitoring scheme for preventing a return to poverty.
MONITORED_STATUSES = frozenset(
    {HouseholdStatus.UNSTABLE, HouseholdStatus.EDGE_OF_POVERTY, HouseholdStatus.SUDDEN_DIFFICULTY}
)


class NeedKind(StrEnum):
    """Standard kinds of need (extensible)."""

    EMPLOYMENT = "employment"
    SKILLS_TRAINING = "skills_training"
    MEDICAL = "medical"
    SCHOOLING = "schooling"
    SOCIAL_INSURANCE = "social_insurance"
    DISABILITY_SUPPORT = "disability_support"
    HOUSING = "housing"
    WINTER_FOOD = "winter_food"
    WINTER_CLOTHING = "winter_clothing"
    WINTER_HEATING = "winter_heating"


class ActivityKind(StrEnum):
    """The five standing duties of a helper (extensible)."""

    CONTACT = "contact"
    """勤联系: a call, message or meeting."""
    VISIT = "visit"
    """常走动: a home visit."""
    POLICY_EXPLANATION = "policy_explanation"
    """讲政策: explaining a policy the household can use."""
    WARMTH = "warmth"
    """送温暖: comfort, gifts or supplies."""
    PRACTICAL_HELP = "practical_help"
    """办实事: a concrete thing done; may resolve a need."""
