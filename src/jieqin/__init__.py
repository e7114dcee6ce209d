"""jieqin: run pairing-assistance campaigns (结亲戚, "becoming relatives").

Helpers (council members and agency staff) are paired with rural households lifted
out of poverty; they survey needs, connect households to aid programmes and
agencies, log their contacts and visits, and report the year's work.

The public API is what this module exports; regional plugins import nothing else.
"""

from jieqin import errors
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
from jieqin.errors import InvalidInput, InvalidValue, JieqinError
from jieqin.model import *  # noqa: F403
from jieqin.model import __all__ as _model_all
from jieqin.needs import Agency, Checklist, NeedKindInfo, NeedRule, SurveyAnswer
from jieqin.pairing import (
    CandidateEdges,
    PairingCostTerm,
    PairingPlan,
    PairingPolicy,
    UnpairedReason,
)
from jieqin.plugins.hookspecs import hookimpl
from jieqin.privacy import install_log_masking
from jieqin.rules import (
    AidProgram,
    AmountTier,
    Context,
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
    unemployed_seeking_work,
)

__version__ = "0.1.0"

install_log_masking()

__all__ = [
    "ANY_KIND",
    "Agency",
    "Cadence",
    "CampaignWindow",
    "HouseholdCategory",
    "HouseholdFacts",
    "Overdue",
    "WindowKind",
    "AidProgram",
    "AmountTier",
    "Campaign",
    "Checklist",
    "Context",
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
    "unemployed_seeking_work",
    "InvalidInput",
    "InvalidValue",
    "JieqinError",
    "__version__",
    "connect",
    "errors",
    "hookimpl",
    "CandidateEdges",
    "PairingCostTerm",
    "PairingPlan",
    "PairingPolicy",
    "UnpairedReason",
    *_model_all,
]
