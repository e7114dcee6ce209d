"""Needs: what a household or one of its members needs, and where it was routed."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from attrs import Factory, field, frozen

from jieqin.errors import InvalidValue
from jieqin.model._fields import (
    MAX_TEXT,
    code_field,
    date_field,
    enum_field,
    id_field,
    optional_date,
    optional_id,
)
from jieqin.model.periods import Period

__all__ = [
    "Need",
    "NeedSource",
    "NeedStatus",
    "Referral",
    "ReferralOutcome",
    "ReferralStatus",
    "Route",
    "RouteKind",
]


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


def _unrouted(need: Need, attribute: Any, value: object) -> None:
    """Text, and only for a need without a route (a route says its own why)."""
    if not isinstance(value, str):
        raise InvalidValue("must be text", field=attribute.name)
    if value and need.route is not None:
        raise InvalidValue("a need with a route has no unrouted_reason", field=attribute.name)


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
    unrouted_reason: str = field(default="", validator=_unrouted)
    """Why the last routing found no route for it, as the router said (no programme or
    agency takes the kind, not eligible, no paired helper brings the sector...); empty
    when it has a route or was never routed."""


class ReferralStatus(StrEnum):
    """Where a referral is in its life: ``referred`` -> ``accepted`` | ``rejected``;
    ``referred`` | ``accepted`` -> ``completed`` (with an outcome code)."""

    REFERRED = "referred"
    """Sent to the agency; it has not answered yet."""
    ACCEPTED = "accepted"
    """The agency took the referral on and is acting on it."""
    REJECTED = "rejected"
    """The agency declined it, saying why: the need is open again for another route."""
    COMPLETED = "completed"
    """The agency acted and said what came of it (the outcome code); its need is resolved."""


def _optional_code(instance: object, attribute: Any, value: object) -> None:
    if value is not None:
        code_field(instance, attribute, value)


def _reason_text(instance: object, attribute: Any, value: object) -> None:
    """Text of at most :data:`MAX_TEXT` characters (may be empty)."""
    if not isinstance(value, str):
        raise InvalidValue("must be text", field=attribute.name)
    if len(value) > MAX_TEXT:
        raise InvalidValue(
            f"is {len(value)} characters long; at most {MAX_TEXT}", field=attribute.name
        )


def _status_of(referral: Referral) -> ReferralStatus:
    """The status a referral's dates say, when none is given (a referral written before
    referrals had a status: completed when it has a completion day, else referred)."""
    if referral.completed_on is not None:
        return ReferralStatus.COMPLETED
    if referral.rejected_on is not None:
        return ReferralStatus.REJECTED
    if referral.accepted_on is not None:
        return ReferralStatus.ACCEPTED
    return ReferralStatus.REFERRED


#: For each status, the step fields it has (the others are empty).
_STEP_FIELDS: dict[ReferralStatus, frozenset[str]] = {
    ReferralStatus.REFERRED: frozenset(),
    ReferralStatus.ACCEPTED: frozenset({"accepted_on"}),
    ReferralStatus.REJECTED: frozenset({"rejected_on", "rejection_reason"}),
    ReferralStatus.COMPLETED: frozenset({"accepted_on", "completed_on", "outcome"}),
}
#: The step fields a status must have (``accepted_on`` and ``outcome`` of a completed
#: referral may be empty: completed without an answer first, or before outcomes were kept).
_REQUIRED: dict[ReferralStatus, tuple[str, ...]] = {
    ReferralStatus.REFERRED: (),
    ReferralStatus.ACCEPTED: ("accepted_on",),
    ReferralStatus.REJECTED: ("rejected_on", "rejection_reason"),
    ReferralStatus.COMPLETED: ("completed_on",),
}


@frozen
class Referral:
    """A need referred to an agency, and how far the agency has taken it.

    ``status`` follows the steps the agency reports: accepted (``accepted_on``),
    rejected (``rejected_on`` and ``rejection_reason``) or completed (``completed_on``
    and an ``outcome`` code of the registered referral outcomes). ``due_on`` is the day
    by which the agency should have completed or rejected it (from the dated parameter
    ``referral_response_days``); an open referral past it is overdue. A referral with
    no ``status`` given takes the one its dates say.
    """

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
    accepted_on: date | None = field(default=None, validator=optional_date)
    rejected_on: date | None = field(default=None, validator=optional_date)
    rejection_reason: str = field(default="", validator=_reason_text)
    """Why the agency declined it (with ``rejected_on``)."""
    outcome: str | None = field(default=None, validator=_optional_code)
    """What came of it (a referral outcome code, with ``completed_on``); ``None`` for a
    referral completed before outcomes were kept."""
    due_on: date | None = field(default=None, validator=optional_date)
    """The day the agency should have completed or rejected it by (``None``: made
    before due dates were kept)."""
    status: ReferralStatus = field(
        default=Factory(_status_of, takes_self=True),
        converter=enum_field(ReferralStatus),  # type: ignore[misc]
    )

    def __attrs_post_init__(self) -> None:
        allowed = _STEP_FIELDS[self.status]
        for name in ("accepted_on", "rejected_on", "rejection_reason", "completed_on", "outcome"):
            if getattr(self, name) not in (None, "") and name not in allowed:
                raise InvalidValue(
                    f"a referral that is {self.status.value} has no {name}", field=name
                )
        for name in _REQUIRED[self.status]:
            value = getattr(self, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise InvalidValue(
                    f"a referral that is {self.status.value} needs {name}", field=name
                )
        self._in_order()

    def _in_order(self) -> None:
        """No step before the referral was made, no completion before its acceptance."""
        for name in ("accepted_on", "rejected_on", "completed_on", "due_on"):
            day = getattr(self, name)
            if day is not None and day < self.referred_on:
                raise InvalidValue(
                    f"{day.isoformat()} is before the referral was made "
                    f"({self.referred_on.isoformat()})",
                    field=name,
                )
        if self.accepted_on and self.completed_on and self.completed_on < self.accepted_on:
            raise InvalidValue(
                f"completed {self.completed_on.isoformat()}, before it was accepted "
                f"{self.accepted_on.isoformat()}",
                field="completed_on",
            )

    @property
    def open(self) -> bool:
        """Whether the agency still has it (referred or accepted, not yet settled)."""
        return self.status in (ReferralStatus.REFERRED, ReferralStatus.ACCEPTED)

    def settled_on(self) -> date | None:
        """The day it was rejected or completed (``None`` while open)."""
        return self.rejected_on or self.completed_on


@frozen
class ReferralOutcome:
    """One step an agency reports on a referral (a row of a referral-outcomes file):
    accepted, rejected (with the reason) or completed (with the outcome code), on a day.
    """

    referral_id: str = field(validator=id_field)
    status: ReferralStatus = field(converter=enum_field(ReferralStatus))  # type: ignore[misc]
    on: date = field(validator=date_field)
    outcome: str | None = field(default=None, validator=_optional_code)
    reason: str = field(default="", validator=_reason_text)

    def __attrs_post_init__(self) -> None:
        if self.status is ReferralStatus.REFERRED:
            raise InvalidValue(
                "an agency reports accepted, rejected or completed; a referral is made by "
                "routing (`jieqin needs route`)",
                field="status",
            )
        if self.status is ReferralStatus.COMPLETED and self.outcome is None:
            raise InvalidValue(
                "a completion says what came of it: an outcome code "
                "(`jieqin codes referral_outcomes`)",
                field="outcome",
            )
        if self.status is not ReferralStatus.COMPLETED and self.outcome is not None:
            raise InvalidValue(
                f"an outcome goes with completed, not {self.status}", field="outcome"
            )
        if self.status is ReferralStatus.REJECTED and not self.reason.strip():
            raise InvalidValue("a rejection says why", field="reason")
