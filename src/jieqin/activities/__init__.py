"""Activities: the kinds of work a helper logs, campaign windows and follow-up cadence.

- :mod:`~jieqin.activities.kinds`: the five standing duties and plugin kinds;
- :mod:`~jieqin.activities.windows`: named date ranges and member activity days;
- :mod:`~jieqin.activities.cadence`: how often each category of household expects
  contact and visits;
- :mod:`~jieqin.activities.overdue`: which pairings are behind, computed over arrays;
- :mod:`~jieqin.activities.validation`: whether an activity may be logged.
"""

from jieqin.activities.cadence import (
    ANY_KIND,
    DEFAULT_CATEGORIES,
    Cadence,
    CadencePolicy,
    HouseholdCategory,
    HouseholdFacts,
    default_policy,
    household_facts,
)
from jieqin.activities.kinds import STANDARD_KINDS, ActivityKindRegistry, ActivityKindSpec
from jieqin.activities.overdue import FollowUpArrays, Overdue, OverdueList, TrackOverdue, overdue
from jieqin.activities.setup import ActivitySetup
from jieqin.activities.validation import activity_problems
from jieqin.activities.windows import (
    CampaignCalendar,
    CampaignWindow,
    WindowKind,
    standard_windows,
)

__all__ = [
    "ANY_KIND",
    "DEFAULT_CATEGORIES",
    "STANDARD_KINDS",
    "ActivityKindRegistry",
    "ActivityKindSpec",
    "ActivitySetup",
    "Cadence",
    "CadencePolicy",
    "CampaignCalendar",
    "CampaignWindow",
    "FollowUpArrays",
    "HouseholdCategory",
    "HouseholdFacts",
    "Overdue",
    "OverdueList",
    "TrackOverdue",
    "WindowKind",
    "activity_problems",
    "default_policy",
    "household_facts",
    "overdue",
    "standard_windows",
]
