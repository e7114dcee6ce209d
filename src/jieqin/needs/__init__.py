"""Needs: kinds, survey intake, needs derived from member facts, routing and resolution.

Referrals (:mod:`jieqin.needs.referrals`): the steps an agency reports, due dates,
overdue referrals and agencies' conditions. Everything here is pure (no storage);
:mod:`jieqin.services.needs` runs it against a unit of work.
"""

from jieqin.needs.derive import STANDARD_NEED_RULES, NeedRule, derive_needs, need_id
from jieqin.needs.kinds import STANDARD_NEED_KINDS, Agency, NeedKindInfo, sensitive_need_kinds
from jieqin.needs.matching import (
    RoutingResult,
    resolve_by_activity,
    resolve_by_grant,
    resolve_by_referral,
    route_need,
    route_needs,
)
from jieqin.needs.referrals import (
    CORE_PARAMETERS,
    RESPONSE_DAYS,
    OverdueReferral,
    agency_condition,
    declined_by,
    due_on,
    overdue_referrals,
    take_step,
)
from jieqin.needs.survey import Checklist, SurveyAnswer, intake

__all__ = [
    "CORE_PARAMETERS",
    "RESPONSE_DAYS",
    "STANDARD_NEED_KINDS",
    "STANDARD_NEED_RULES",
    "Agency",
    "Checklist",
    "NeedKindInfo",
    "NeedRule",
    "OverdueReferral",
    "RoutingResult",
    "SurveyAnswer",
    "agency_condition",
    "declined_by",
    "derive_needs",
    "due_on",
    "intake",
    "need_id",
    "overdue_referrals",
    "resolve_by_activity",
    "resolve_by_grant",
    "resolve_by_referral",
    "route_need",
    "route_needs",
    "sensitive_need_kinds",
    "take_step",
]
