"""Needs: what a household or one of its members needs, and where it was routed."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from attrs import field, frozen

from jieqin.model._fields import (
    code_field,
    date_field,
    enum_field,
    id_field,
    optional_date,
    optional_id,
)
from jieqin.model.periods import Period

__all__ = ["Need", "NeedSource", "NeedStatus", "Referral", "Route", "RouteKind"]


class NeedSource(StrEnum):
    """How a need became known."""

    SURVEY = "survey"
    """A periodic needs survey (the Q1 survey of the brief)."""
    VISIT = "visit"
    """Noted by a helper on a visit."""
    RULE = "rule"
    """Derived from member facts by a rule (a freshman, a major illness)."""


class NeedStatus(StrEnum):
    OPEN = "open"
    ROUTED = "routed"
    HELD = "held"
    """Routed to an agency but not sent: the facts it would share need the member's
    consent, and none is in force (routing again sends it once one is)."""
    RESOLVED = "resolved"
    CLOSED = "closed"
    """Closed without help (moved away, no longer needed)."""


class RouteKind(StrEnum):
    """Where a need is sent."""

    PROGRAM = "program"
    """An aid programme the member is eligible for."""
    REFERRAL = "referral"
    """An agency (e.g. the city Employment Promotion Center)."""
    HELPER = "helper"
    """The paired helper, whose sectors match."""


@frozen
class Route:
    """The decision to send a need somewhere, with why."""

    kind: RouteKind = field(converter=enum_field(RouteKind))  # type: ignore[misc]
    target: str = field(validator=id_field)
    explanation: str = ""


@frozen
class Need:
    """One need of a household (or of one member), for a period."""

    need_id: str = field(validator=id_field)
    household_id: str = field(validator=id_field)
    kind: str = field(validator=code_field)
    period: Period
    source: NeedSource = field(converter=enum_field(NeedSource))  # type: ignore[misc]
    raised_on: date = field(validator=date_field)
    member_id: str | None = field(default=None, validator=optional_id)
    note: str = ""
    status: NeedStatus = field(default=NeedStatus.OPEN, converter=enum_field(NeedStatus))  # type: ignore[misc]
    route: Route | None = None
    resolved_on: date | None = field(default=None, validator=optional_date)
    resolved_by: str | None = None
    """What resolved it: ``grant:<id>``, ``referral:<id>`` or ``activity:<id>``."""


@frozen
class Referral:
    """A need referred to an agency; completed when the agency has acted."""

    referral_id: str = field(validator=id_field)
    need_id: str = field(validator=id_field)
    household_id: str = field(validator=id_field)
    agency: str = field(validator=code_field)
    referred_on: date = field(validator=date_field)
    member_id: str | None = field(default=None, validator=optional_id)
    completed_on: date | None = field(default=None, validator=optional_date)
    note: str = ""
    consent_id: str | None = field(default=None, validator=optional_id)
    """The member's consent the referral relied on to share health or disability facts
    with the agency (``None``: it shares none)."""
