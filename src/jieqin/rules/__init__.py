"""Eligibility and entitlement rules: named conditions, dated parameters, explanations.

One rule definition runs two ways: :meth:`AidProgram.explain` decides one member and
says which conditions held, :meth:`AidProgram.eligible` decides a whole
:class:`Population` at once with numpy. Both read the same facts through the same
condition tree, and a property test holds them to identical answers.
"""

from jieqin.rules.conditions import (
    AllOf,
    AnyOf,
    Check,
    Condition,
    NotCondition,
    age_between,
    all_of,
    any_of,
    check,
    college_freshman,
    household_paired,
    major_illness,
    not_,
    not_granted_before,
    region_in,
    unemployed_seeking_work,
)
from jieqin.rules.expressions import Expr, fact, param
from jieqin.rules.facts import (
    CATEGORIES,
    FACTS,
    Context,
    Fact,
    FactKind,
    Population,
    Subject,
    region_prefix,
    subjects_of,
)
from jieqin.rules.parameters import (
    DatedValue,
    InForce,
    Parameter,
    Parameters,
    ParameterValue,
)
from jieqin.rules.programs import (
    DEFAULT_PRIORITY,
    HOUSEHOLD_PRIORITY,
    MONITORED_SEVERITY_FIRST,
    SEVERITY_FIRST,
    AidProgram,
    AmountTier,
    Eligibility,
    GrantCap,
    PriorityKey,
)

__all__ = [
    "CATEGORIES",
    "DEFAULT_PRIORITY",
    "FACTS",
    "HOUSEHOLD_PRIORITY",
    "MONITORED_SEVERITY_FIRST",
    "SEVERITY_FIRST",
    "AidProgram",
    "AllOf",
    "AmountTier",
    "AnyOf",
    "Check",
    "Condition",
    "Context",
    "DatedValue",
    "Eligibility",
    "Expr",
    "Fact",
    "FactKind",
    "GrantCap",
    "InForce",
    "NotCondition",
    "Parameter",
    "ParameterValue",
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
    "region_prefix",
    "subjects_of",
    "unemployed_seeking_work",
]
