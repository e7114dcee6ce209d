"""Route each open need: to a programme the member is eligible for, to an agency, or to
the paired helper whose sectors match; and resolve needs.

The order is fixed and documented: a programme first (it gives something concrete),
then an agency referral (the agency has the mandate), then the paired helper (their
professional strength); a need none of them can take stays open with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import attrs
from attrs import frozen

from jieqin.errors import InvalidValue
from jieqin.model import (
    Activity,
    ActivityKind,
    Grant,
    Helper,
    Household,
    Need,
    NeedStatus,
    ProgramKind,
    Referral,
    ReferralStatus,
    Route,
    RouteKind,
)
from jieqin.needs.kinds import STANDARD_NEED_KINDS, Agency, NeedKindInfo
from jieqin.needs.referrals import agency_condition
from jieqin.rules import AidProgram, Context, Subject

__all__ = [
    "RoutingResult",
    "resolve_by_activity",
    "resolve_by_grant",
    "resolve_by_referral",
    "route_need",
    "route_needs",
]


@frozen
class RoutingResult:
    """Where one need goes (``route`` is ``None`` when nothing matched) and why."""

    need: Need
    route: Route | None
    explanation: str

    @property
    def routed(self) -> Need:
        """The need with its route (status ``routed``), or, unrouted, still open with
        why no route was found (:attr:`Need.unrouted_reason`)."""
        if self.route is None:
            return attrs.evolve(self.need, unrouted_reason=self.explanation)
        return attrs.evolve(
            self.need, status=NeedStatus.ROUTED, route=self.route, unrouted_reason=""
        )


def route_need(
    need: Need,
    *,
    household: Household | None,
    context: Context,
    programs: Sequence[AidProgram] = (),
    agencies: Sequence[Agency] = (),
    helpers: Sequence[Helper] = (),
    kinds: Mapping[str, NeedKindInfo] = STANDARD_NEED_KINDS,
    declined: Mapping[str, str] | None = None,
) -> RoutingResult:
    """Route one need; ``helpers`` are the helpers paired with the need's household.

    ``declined``: agency -> why it is not asked (it rejected a referral of this need):
    such an agency, and a referral programme that refers to it, is skipped. An agency
    registered with a condition takes the need only when the condition holds
    (:func:`~jieqin.needs.referrals.agency_condition`); the explanation says so.
    """
    declined = declined or {}
    notes: list[str] = []
    serving = [
        p
        for p in programs
        if need.kind in p.program.serves and (household is None or p.covers(household))
    ]  # a programme of another region does not decide this household
    if serving and need.member_id is not None and household is not None:
        member = household.member(need.member_id)
        for program in sorted(serving, key=lambda p: p.program_id):
            refers_to = program.program.agency or ""
            if program.program.kind is ProgramKind.REFERRAL and refers_to in declined:
                notes.append(f"not {program.program_id}: {declined[refers_to]}")
                continue
            explained = program.explain(Subject(member, household, context))
            if explained.eligible:
                held = ", ".join(c.name for c in explained.conditions if c.held)
                text = (
                    f"eligible for {program.program.name} ({program.program.funder}), "
                    f"rules {program.rule_version}: {held} held"
                )
                return RoutingResult(need, Route(RouteKind.PROGRAM, program.program_id, text), text)
            # masked when the rules read a health fact: the reason would tell it
            notes.append(f"not eligible for {program.program_id} ({explained.shown_reason()})")
    elif serving:
        notes.append("programmes serve this kind but decide members; the need names no member")
    after_programmes = len(notes)
    for agency in sorted(agencies, key=lambda a: a.agency_id):
        if need.kind not in agency.need_kinds:
            continue
        if household is not None and not agency.serves_region(str(household.region)):
            notes.append(
                f"{agency.agency_id} takes the needs of {', '.join(sorted(agency.regions))} only"
            )
            continue
        if agency.agency_id in declined:
            notes.append(declined[agency.agency_id])
            continue
        takes, why = agency_condition(agency, need, household, context)
        if not takes:
            notes.append(why)
            continue
        text = "; ".join(
            [*notes, f"{agency.name} takes {need.kind} needs", *([why] if why else [])]
        )
        return RoutingResult(need, Route(RouteKind.REFERRAL, agency.agency_id, text), text)
    kind = kinds.get(need.kind)
    wanted = kind.sectors if kind is not None else frozenset()
    for helper in sorted(helpers, key=lambda h: h.helper_id):
        shared = sorted(helper.sectors & wanted)
        if helper.active and shared:
            text = f"paired helper {helper.helper_id} brings {', '.join(shared)}"
            text = "; ".join([*notes, text])
            return RoutingResult(need, Route(RouteKind.HELPER, helper.helper_id, text), text)
    if helpers:
        notes.append(f"no paired helper brings {', '.join(sorted(wanted)) or 'a matching sector'}")
    else:
        notes.append("the household has no paired helper")
    # no route: say too which of the three kinds of route does not take the need at all
    if not any(need.kind in a.need_kinds for a in agencies):
        notes.insert(after_programmes, f"no agency takes {need.kind} needs")
    if not serving:
        notes.insert(0, f"no programme serves {need.kind} needs")
    return RoutingResult(need, None, "; ".join(["no route", *notes]))


def route_needs(
    needs: Iterable[Need],
    *,
    households: Mapping[str, Household],
    context: Context,
    programs: Sequence[AidProgram] = (),
    agencies: Sequence[Agency] = (),
    helpers_of: Mapping[str, Sequence[Helper]] | None = None,
    kinds: Mapping[str, NeedKindInfo] = STANDARD_NEED_KINDS,
    declined: Mapping[str, Mapping[str, str]] | None = None,
) -> list[RoutingResult]:
    """Route every open need; needs already routed, resolved or closed are left alone.

    ``declined``: need id -> the agencies that rejected a referral of it, and why
    (:func:`~jieqin.needs.referrals.declined_by`): routing skips them for that need.
    """
    helpers_of = helpers_of or {}
    declined = declined or {}
    return [
        route_need(
            n,
            household=households.get(n.household_id),
            context=context,
            programs=programs,
            agencies=agencies,
            helpers=helpers_of.get(n.household_id, ()),
            kinds=kinds,
            declined=declined.get(n.need_id),
        )
        for n in needs
        if n.status is NeedStatus.OPEN
    ]


def _resolve(need: Need, on: date, by: str) -> Need:
    if need.status in (NeedStatus.RESOLVED, NeedStatus.CLOSED):
        raise InvalidValue(f"need {need.need_id} is already {need.status}", field="status")
    return attrs.evolve(need, status=NeedStatus.RESOLVED, resolved_on=on, resolved_by=by)


def resolve_by_grant(need: Need, grant: Grant) -> Need:
    """A grant to the need's household (and member) resolves it."""
    if grant.household_id != need.household_id or (
        need.member_id is not None and grant.member_id != need.member_id
    ):
        raise InvalidValue(f"grant {grant.grant_id} went to someone else", field="grant")
    return _resolve(need, grant.decided_on, f"grant:{grant.grant_id}")


def resolve_by_referral(need: Need, referral: Referral) -> Need:
    """A completed referral of this need resolves it."""
    if referral.need_id != need.need_id:
        raise InvalidValue(f"referral {referral.referral_id} is for another need", field="referral")
    if referral.status is not ReferralStatus.COMPLETED or referral.completed_on is None:
        raise InvalidValue(
            f"referral {referral.referral_id} is not completed", field="completed_on"
        )
    return _resolve(need, referral.completed_on, f"referral:{referral.referral_id}")


def resolve_by_activity(need: Need, activity: Activity) -> Need:
    """A helper's practical help (办实事) at the need's household resolves it."""
    if activity.kind != ActivityKind.PRACTICAL_HELP:
        raise InvalidValue(
            f"only practical help resolves a need, not {activity.kind}", field="activity.kind"
        )
    if activity.household_id != need.household_id:
        raise InvalidValue(
            f"activity {activity.activity_id} was at another household", field="activity"
        )
    return _resolve(need, activity.on, f"activity:{activity.activity_id}")
