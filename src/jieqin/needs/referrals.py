"""Referrals that close the loop: the steps an agency reports, due dates, overdue ones,
and agencies that take only some members.

A referral is ``referred`` when it is made; the agency then accepts it or rejects it
(saying why), and completes it with an outcome code (a referral may also be completed
at once, without a separate acceptance). A rejection and a completion stand. The
table of steps, :data:`NEXT`, is the one both the use cases (:func:`take_step`) and
the write path (:func:`change_problem`, run by :mod:`jieqin.services.checks` for
every way a referral is written) follow.

A referral is due ``referral_response_days`` after it was made (a dated parameter:
the core value below, or the agency's own); an open referral past its due day is
overdue (:func:`overdue_referrals`). Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

import attrs
from attrs import frozen

from jieqin.errors import InvalidValue, ReferralCompleted, ReferralSettled
from jieqin.model import Household, Need, Referral, ReferralStatus
from jieqin.needs.kinds import Agency
from jieqin.rules.expressions import SubjectFacts
from jieqin.rules.facts import Context, Subject
from jieqin.rules.ids import stable_id
from jieqin.rules.parameters import DatedValue, Parameter, Parameters

__all__ = [
    "CORE_PARAMETERS",
    "NEXT",
    "RESPONSE_DAYS",
    "OverdueReferral",
    "agency_condition",
    "change_problem",
    "declined_by",
    "due_on",
    "open_on",
    "overdue_referrals",
    "referral_id",
    "take_step",
]

#: The dated parameter: days an agency has to complete or reject a referral.
RESPONSE_DAYS = "referral_response_days"

#: The core parameters of referrals; an agency's own ``parameters`` override them.
CORE_PARAMETERS = Parameters.of(
    Parameter(
        RESPONSE_DAYS,
        (
            DatedValue(
                date(2000, 1, 1),
                30,
                "jieqin default; an agency registers its own referral_response_days",
            ),
        ),
        "Days an agency has to complete or reject a referral",
        "days",
    )
)

#: Status -> the statuses a referral in it may take next.
NEXT: Mapping[ReferralStatus, frozenset[ReferralStatus]] = {
    ReferralStatus.REFERRED: frozenset(
        {ReferralStatus.ACCEPTED, ReferralStatus.REJECTED, ReferralStatus.COMPLETED}
    ),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.COMPLETED}),
    ReferralStatus.REJECTED: frozenset(),
    ReferralStatus.COMPLETED: frozenset(),
}

#: What a referral keeps from the day it is made.
_FIXED = ("need_id", "household_id", "agency", "referred_on", "member_id", "consent_id", "due_on")
#: What the agency's steps set.
_STEPS = ("accepted_on", "rejected_on", "rejection_reason", "completed_on", "outcome")


def referral_id(need_id: str, earlier: int = 0) -> str:
    """The id of a need's referral; ``earlier`` counts the need's earlier referrals (0:
    its first referral, whose id is the one referrals always had)."""
    return stable_id("r", need_id) if not earlier else stable_id("r", need_id, f"r{earlier}")


def parameters_of(agency: Agency | None, campaign: Parameters | None = None) -> Parameters:
    """The referral parameters in force for ``agency``: the core ones, the campaign's
    (``campaign``: a region's, registered with ``jieqin_register_parameters``) over
    them, and the agency's own over both."""
    found = CORE_PARAMETERS | (campaign or Parameters())
    return found if agency is None else found | agency.parameters


def due_on(agency: Agency | None, referred_on: date, campaign: Parameters | None = None) -> date:
    """The day a referral made on ``referred_on`` to ``agency`` is due: the
    ``referral_response_days`` in force on that day (:func:`parameters_of`) later."""
    days = parameters_of(agency, campaign).value_on(RESPONSE_DAYS, referred_on)
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        raise InvalidValue(
            f"{RESPONSE_DAYS} must be a whole number of days, not {days!r}", field=RESPONSE_DAYS
        )
    return referred_on + timedelta(days=days)


# --- the steps --------------------------------------------------------------------------


def _since(referral: Referral) -> str:
    day = {
        ReferralStatus.ACCEPTED: referral.accepted_on,
        ReferralStatus.REJECTED: referral.rejected_on,
        ReferralStatus.COMPLETED: referral.completed_on,
    }.get(referral.status, referral.referred_on)
    return day.isoformat() if day is not None else "an unknown day"


def refusal(referral: Referral, wanted: ReferralStatus) -> str:
    """Why ``referral`` cannot become ``wanted``, and what to do instead."""
    rid, since = referral.referral_id, _since(referral)
    if referral.status is ReferralStatus.COMPLETED:
        outcome = f" ({referral.outcome})" if referral.outcome else ""
        return f"referral {rid} was completed on {since}{outcome}: a completion stands"
    if referral.status is ReferralStatus.REJECTED:
        return (
            f"referral {rid} was rejected on {since}: a rejection stands; its need was opened "
            "again for another route (`jieqin needs route`)"
        )
    if wanted is ReferralStatus.REFERRED:
        return f"referral {rid} is {referral.status.value} since {since}; it is not referred again"
    if wanted is ReferralStatus.ACCEPTED:
        return f"referral {rid} was accepted on {since} already"
    return (
        f"referral {rid} was accepted on {since}: an accepted referral is completed (with "
        "the outcome not_eligible when the agency cannot help), not rejected"
    )


def _recorded(
    referral: Referral, status: ReferralStatus, on: date, outcome: str | None, reason: str
) -> bool:
    """Whether ``referral`` already records this step, on this day (a file imported
    again changes nothing)."""
    if status is ReferralStatus.ACCEPTED:
        return referral.accepted_on == on
    if status is ReferralStatus.REJECTED:
        return (
            referral.status is status
            and referral.rejected_on == on
            and referral.rejection_reason == reason
        )
    return referral.status is status and referral.completed_on == on and referral.outcome == outcome


def take_step(
    referral: Referral,
    status: ReferralStatus | str,
    on: date,
    *,
    outcome: str | None = None,
    reason: str = "",
    note: str = "",
    again: bool = False,
) -> Referral:
    """``referral`` after the agency's step ``status`` on ``on``: accepted, rejected
    (``reason`` says why) or completed (``outcome`` says what came of it). ``note``
    replaces the referral's note when given. With ``again``, a step the referral
    already records on that day returns it unchanged.

    :raises ReferralSettled: the step does not follow (:data:`NEXT`); a
        :class:`~jieqin.errors.ReferralCompleted` when it was completed already.
    :raises InvalidValue: no reason for a rejection, no outcome for a completion, or
        a day before the referral was made (or accepted).
    """
    status = ReferralStatus(status)
    reason = reason.strip()
    if again and _recorded(referral, status, on, outcome, reason):
        return referral
    if status not in NEXT[referral.status]:
        error = (
            ReferralCompleted if referral.status is ReferralStatus.COMPLETED else ReferralSettled
        )
        raise error(refusal(referral, status))
    first = referral.accepted_on if status is ReferralStatus.COMPLETED else None
    first = first or referral.referred_on
    if on < first:
        what = "accepted" if first != referral.referred_on else "made"
        raise InvalidValue(
            f"{on.isoformat()} is before the referral was {what} ({first.isoformat()})",
            field="on",
        )
    changes: dict[str, object] = {"status": status}
    if status is ReferralStatus.ACCEPTED:
        changes["accepted_on"] = on
    elif status is ReferralStatus.REJECTED:
        if not reason:
            raise InvalidValue("say why the agency rejected the referral", field="reason")
        changes.update(rejected_on=on, rejection_reason=reason)
    else:
        if not outcome:
            raise InvalidValue(
                "say what came of the referral: an outcome code "
                "(`jieqin codes referral_outcomes` lists them)",
                field="outcome",
            )
        changes.update(completed_on=on, outcome=outcome)
    if note:
        changes["note"] = note
    return attrs.evolve(referral, **changes)  # type: ignore[arg-type]


def change_problem(old: Referral | None, new: Referral) -> tuple[str, str] | None:
    """What is wrong with writing ``new`` over the stored ``old`` (``None``: nothing):
    the field and the reason. A new referral may be written in any state its fields
    agree on (history brought in from elsewhere); a stored one changes only by the
    agency's next step (:data:`NEXT`), keeping what it was made with and every
    earlier step."""
    if old is None:
        return None
    rid = new.referral_id
    for name in _FIXED:
        if getattr(old, name) != getattr(new, name):
            return (
                name,
                f"referral {rid} was made with another {name}; what a referral was made "
                "with does not change (make a new referral)",
            )
    if new.status is old.status:
        for name in _STEPS:
            if getattr(old, name) != getattr(new, name):
                return (
                    name,
                    f"referral {rid} is {old.status.value} since {_since(old)}: a step the "
                    "agency reported stands",
                )
        return None
    if new.status not in NEXT[old.status]:
        return "status", refusal(old, new.status)
    if old.accepted_on is not None and new.accepted_on != old.accepted_on:
        return "accepted_on", f"referral {rid} was accepted on {_since(old)}: that stands"
    if new.status is ReferralStatus.COMPLETED and new.outcome is None:
        return (
            "outcome",
            f"a completion of referral {rid} says what came of it: an outcome code "
            "(`jieqin codes referral_outcomes`)",
        )
    return None


# --- due and overdue --------------------------------------------------------------------


def open_on(referral: Referral, day: date) -> bool:
    """Whether the agency had the referral on ``day``: made by then, and not rejected
    or completed by then."""
    settled = referral.settled_on()
    return referral.referred_on <= day and (settled is None or settled > day)


@frozen
class OverdueReferral:
    """An open referral past its due day, by how many days."""

    referral: Referral
    days_overdue: int

    def as_dict(self) -> dict[str, object]:
        r = self.referral
        return {
            "referral_id": r.referral_id,
            "need_id": r.need_id,
            "household_id": r.household_id,
            "agency": r.agency,
            "status": r.status.value,
            "referred_on": r.referred_on.isoformat(),
            "due_on": None if r.due_on is None else r.due_on.isoformat(),
            "days_overdue": self.days_overdue,
        }


def overdue_referrals(referrals: Iterable[Referral], day: date) -> list[OverdueReferral]:
    """The referrals open on ``day`` whose due day is before it, most overdue first
    (then by id). A referral made before due dates were kept is never overdue."""
    late = [
        OverdueReferral(r, (day - r.due_on).days)
        for r in referrals
        if r.due_on is not None and r.due_on < day and open_on(r, day)
    ]
    return sorted(late, key=lambda o: (-o.days_overdue, o.referral.referral_id))


def declined_by(referrals: Iterable[Referral]) -> dict[str, dict[str, str]]:
    """Need id -> agency -> why the agency is not asked again: it rejected a referral
    of the need (routing skips it for that need)."""
    out: dict[str, dict[str, str]] = {}
    for r in sorted(referrals, key=lambda r: (r.rejected_on or date.min, r.referral_id)):
        if r.status is ReferralStatus.REJECTED and r.rejected_on is not None:
            out.setdefault(r.need_id, {})[r.agency] = (
                f"agency {r.agency} rejected referral {r.referral_id} of this need on "
                f"{r.rejected_on.isoformat()}"
            )
    return out


# --- agencies that take only some members -----------------------------------------------


def agency_condition(
    agency: Agency, need: Need, household: Household | None, context: Context
) -> tuple[bool, str]:
    """Whether ``agency``'s condition holds for the need's member (a need of the whole
    household: for one of its members), and why, for the route's explanation. A
    condition that reads a health or disability fact is not named or detailed."""
    condition = agency.condition
    if condition is None:
        return True, ""
    if household is None:
        return False, f"agency {agency.agency_id} decides members; the household is not stored"
    if need.member_id is not None:
        members = [household.member(need.member_id)]
    else:
        members = list(household.members)
    values = parameters_of(agency).snapshot(condition.params(), context.day)
    sensitive = condition.sensitive()
    named = "its condition" if sensitive else f"its condition {condition.name}"
    failed: list[str] = []
    for member in members:
        outcomes = list(
            condition.outcomes(SubjectFacts(Subject(member, household, context)), values)
        )
        if outcomes[0].held:
            hidden = " (it reads a health or disability fact, not shown)" if sensitive else ""
            return True, f"{named} held for member {member.member_id}{hidden}"
        if not sensitive:
            failed.extend(f"{o.name}: {o.detail}" for o in outcomes[1:] if not o.held and o.detail)
    who = f"member {need.member_id}" if need.member_id else "any member of the household"
    why = f" ({'; '.join(failed[:3])})" if failed else ""
    return (
        False,
        f"agency {agency.agency_id} takes {need.kind} needs, but {named} did not hold for {who}{why}",
    )
