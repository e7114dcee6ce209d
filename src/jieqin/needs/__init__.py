"""Needs: kinds, survey intake, needs derived from member facts, routing and resolution.

Everything here is pure (no storage); :mod:`jieqin.services.needs` runs it against a
unit of work.
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
from jieqin.needs.survey import Checklist, SurveyAnswer, intake

__all__ = [
    "STANDARD_NEED_KINDS",
    "STANDARD_NEED_RULES",
    "Agency",
    "Checklist",
    "NeedKindInfo",
    "NeedRule",
    "RoutingResult",
    "SurveyAnswer",
    "derive_needs",
    "intake",
    "need_id",
    "resolve_by_activity",
    "resolve_by_grant",
    "resolve_by_referral",
    "route_need",
    "route_needs",
    "sensitive_need_kinds",
]
