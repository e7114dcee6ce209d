"""jieqin: run pairing-assistance campaigns (结亲戚, "becoming relatives").

Helpers (council members and agency staff) are paired with rural households lifted
out of poverty; they survey needs, connect households to aid programmes and
agencies, log their contacts and visits, and report the year's work.

The public API is what this module exports; regional plugins import nothing else.
Importing it is quick and changes nothing in the process (log masking is
:func:`install_log_masking`'s job): only the errors load at once; every other name
(the model, the campaign, pairing, rules, needs, activities, the types the campaign
returns) loads with its module, NumPy and SciPy included, when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from jieqin import errors
from jieqin.errors import InvalidInput, InvalidValue, JieqinError

if TYPE_CHECKING:
    from jieqin.activities import (
        ANY_KIND,
        Cadence,
        CampaignWindow,
        HouseholdCategory,
        HouseholdFacts,
        Overdue,
        WindowKind,
    )
    from jieqin.campaign import Campaign, connect
    from jieqin.clock import Clock, FixedClock, SystemClock
    from jieqin.io.importer import ImportResult
    from jieqin.model import *  # noqa: F403
    from jieqin.needs import Agency, Checklist, NeedKindInfo, NeedRule, SurveyAnswer
    from jieqin.needs.matching import RoutingResult
    from jieqin.pairing import (
        CandidateEdges,
        PairingCostTerm,
        PairingPlan,
        PairingPolicy,
        UnpairedReason,
    )
    from jieqin.plugins.hookspecs import hookimpl
    from jieqin.privacy import install_log_masking
    from jieqin.reports.model import Report
    from jieqin.rules import (
        HOUSEHOLD_PRIORITY,
        MONITORED_SEVERITY_FIRST,
        SEVERITY_FIRST,
        AidProgram,
        AmountTier,
        Context,
        GrantCap,
        Parameters,
        Population,
        PriorityKey,
        Subject,
        age_between,
        all_of,
        any_of,
        check,
        college_freshman,
        fact,
        household_paired,
        major_illness,
        not_,
        not_granted_before,
        param,
        region_in,
        unemployed_seeking_work,
    )
    from jieqin.rules.programs import Eligibility
    from jieqin.security import NotPermitted, Principal, Role
    from jieqin.services.aid import AllocationPlan
    from jieqin.services.allocation_view import AllocationLine, AllocationListing
    from jieqin.services.feeds import Delivery, FeedContext
    from jieqin.services.funds import FundLine, GrantListing
    from jieqin.services.scoped import HelperView
    from jieqin.storage.base import ReadModel, UnitOfWork

__version__ = "0.1.0"

#: The domain model's names (``jieqin.model.__all__``), exported here too.
_MODEL_NAMES: tuple[str, ...] = (
    "MONITORED_STATUSES",
    "NEXT_WARNING_STATUSES",
    "Activity",
    "ActivityKind",
    "ConditionOutcome",
    "Consent",
    "ConsentFact",
    "CostTerm",
    "Decision",
    "Elimination",
    "EmploymentStatus",
    "Fund",
    "FundChange",
    "FundChangeKind",
    "Grant",
    "GrantUnit",
    "Grievance",
    "GrievanceCategory",
    "GrievanceChannel",
    "GrievanceStage",
    "GrievanceTarget",
    "Handover",
    "Health",
    "HealthCondition",
    "Helper",
    "Household",
    "HouseholdStatus",
    "ItemStatus",
    "Member",
    "MemberMove",
    "Month",
    "Need",
    "NeedKind",
    "NeedSource",
    "NeedStatus",
    "Objection",
    "ObjectionStatus",
    "Observation",
    "ObservationKind",
    "ObservationSource",
    "Outcome",
    "Pairing",
    "PairingRole",
    "PaymentResult",
    "PaymentState",
    "PaymentStatus",
    "Period",
    "PeriodKind",
    "Plan",
    "PlanItem",
    "PlanStatus",
    "Program",
    "ProgramKind",
    "Quarter",
    "Referral",
    "ReferralOutcome",
    "ReferralStatus",
    "RegionCode",
    "RegionLevel",
    "Relation",
    "RiskWarning",
    "Route",
    "RouteKind",
    "SchoolLevel",
    "Schooling",
    "Sector",
    "Sex",
    "StableMonth",
    "StatusChange",
    "TargetKind",
    "Tier",
    "WarningStatus",
    "Year",
    "birthplace_codes",
    "feed_observation_id",
    "mask_resident_id",
    "parse_period",
    "period_containing",
    "resident_id_birth_date",
    "validate_resident_id",
    "yuan",
)

#: The names loaded on first use, by the module that holds them.
_LAZY_MODULES: dict[str, tuple[str, ...]] = {
    "jieqin.activities": (
        "ANY_KIND",
        "Cadence",
        "CampaignWindow",
        "HouseholdCategory",
        "HouseholdFacts",
        "Overdue",
        "WindowKind",
    ),
    "jieqin.campaign": ("Campaign", "connect"),
    "jieqin.clock": ("Clock", "FixedClock", "SystemClock"),
    "jieqin.io.importer": ("ImportResult",),
    "jieqin.model": _MODEL_NAMES,
    "jieqin.needs": ("Agency", "Checklist", "NeedKindInfo", "NeedRule", "SurveyAnswer"),
    "jieqin.needs.matching": ("RoutingResult",),
    "jieqin.pairing": (
        "CandidateEdges",
        "PairingCostTerm",
        "PairingPlan",
        "PairingPolicy",
        "UnpairedReason",
    ),
    "jieqin.plugins.hookspecs": ("hookimpl",),
    "jieqin.privacy": ("install_log_masking",),
    "jieqin.reports.model": ("Report",),
    "jieqin.rules": (
        "HOUSEHOLD_PRIORITY",
        "MONITORED_SEVERITY_FIRST",
        "SEVERITY_FIRST",
        "AidProgram",
        "AmountTier",
        "Context",
        "GrantCap",
        "Parameters",
        "Population",
        "PriorityKey",
        "Subject",
        "age_between",
        "all_of",
        "any_of",
        "check",
        "college_freshman",
        "fact",
        "household_paired",
        "major_illness",
        "not_",
        "not_granted_before",
        "param",
        "region_in",
        "unemployed_seeking_work",
    ),
    "jieqin.rules.programs": ("Eligibility",),
    "jieqin.security": ("NotPermitted", "Principal", "Role"),
    "jieqin.services.aid": ("AllocationPlan",),
    "jieqin.services.allocation_view": ("AllocationLine", "AllocationListing"),
    "jieqin.services.feeds": ("Delivery", "FeedContext"),
    "jieqin.services.funds": ("FundLine", "GrantListing"),
    "jieqin.services.scoped": ("HelperView",),
    "jieqin.storage.base": ("ReadModel", "UnitOfWork"),
}
_LAZY: dict[str, str] = {name: mod for mod, names in _LAZY_MODULES.items() for name in names}

#: Subpackages that ``import jieqin`` used to load, still reachable as attributes.
_SUBPACKAGES = frozenset(
    {
        "activities",
        "campaign",
        "model",
        "needs",
        "pairing",
        "plugins",
        "privacy",
        "rules",
        "storage",
    }
)


def _load(name: str) -> object:
    """The lazily exported ``name`` (or subpackage), imported now and kept in the module."""
    if name in _SUBPACKAGES:
        return importlib.import_module(f"jieqin.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'jieqin' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if not TYPE_CHECKING:
    # Defined only at run time, so that type checkers see the imports above and
    # still reject a misspelt name.
    def __getattr__(name: str) -> object:
        return _load(name)


def __dir__() -> list[str]:
    """The module's names with the lazily loaded ones, which ``dir()`` would miss."""
    return sorted({*globals(), *_LAZY})


__all__ = [
    "ANY_KIND",
    "Agency",
    "Cadence",
    "CampaignWindow",
    "HouseholdCategory",
    "HouseholdFacts",
    "Overdue",
    "WindowKind",
    "HOUSEHOLD_PRIORITY",
    "MONITORED_SEVERITY_FIRST",
    "SEVERITY_FIRST",
    "AidProgram",
    "AmountTier",
    "Campaign",
    "Checklist",
    "Clock",
    "FixedClock",
    "SystemClock",
    "Context",
    "GrantCap",
    "NeedKindInfo",
    "NeedRule",
    "Parameters",
    "Population",
    "PriorityKey",
    "Subject",
    "SurveyAnswer",
    "age_between",
    "all_of",
    "any_of",
    "check",
    "college_freshman",
    "fact",
    "household_paired",
    "major_illness",
    "not_",
    "not_granted_before",
    "param",
    "region_in",
    "unemployed_seeking_work",
    "InvalidInput",
    "InvalidValue",
    "JieqinError",
    "__version__",
    "connect",
    "errors",
    "hookimpl",
    "install_log_masking",
    "CandidateEdges",
    "PairingCostTerm",
    "PairingPlan",
    "PairingPolicy",
    "UnpairedReason",
    "NotPermitted",
    "Principal",
    "Role",
    # the types that Campaign's methods return
    "AllocationLine",
    "AllocationListing",
    "AllocationPlan",
    "FundLine",
    "GrantListing",
    "Eligibility",
    "HelperView",
    "ImportResult",
    "Report",
    "ReadModel",
    "RoutingResult",
    "UnitOfWork",
    "Delivery",
    "FeedContext",
    *_MODEL_NAMES,
]
