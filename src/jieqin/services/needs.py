"""Needs use cases over a unit of work: survey intake, deriving, routing, resolving.

Each function does its writes in the given unit of work and commits it, so a failed
survey or routing writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from jieqin.errors import InvalidValue, NeedSettled, NotFound, ReferralCompleted
from jieqin.model import Consent, Need, NeedSource, NeedStatus, Period, Referral, Route, RouteKind
from jieqin.needs import (
    STANDARD_NEED_KINDS,
    STANDARD_NEED_RULES,
    NeedKindInfo,
    NeedRule,
    RoutingResult,
    SurveyAnswer,
    derive_needs,
    intake,
    resolve_by_activity,
    resolve_by_grant,
    resolve_by_referral,
    route_needs,
)
from jieqin.needs.consent import consent_for, facts_shared, held_reason
from jieqin.rules import AidProgram, Context
from jieqin.rules.ids import stable_id

if TYPE_CHECKING:
    from jieqin.storage.base import UnitOfWork

__all__ = [
    "NEED_STATUSES",
    "close_need",
    "complete_referral",
    "derive",
    "list_needs",
    "list_referrals",
    "needs_in",
    "resolve_need",
    "resolve_with_activity",
    "route",
    "survey",
]

#: The need statuses, as the listings filter them.
NEED_STATUSES: tuple[str, ...] = tuple(s.value for s in NeedStatus)

#: The needs that are settled: neither resolved nor closed again.
_SETTLED = (NeedStatus.RESOLVED, NeedStatus.CLOSED)


def needs_in(uow: UnitOfWork, period: Period | None = None) -> list[Need]:
    """Stored needs whose period overlaps ``period`` (all when ``None``)."""
    needs: list[Need] = uow.needs.list()
    if period is None:
        return needs
    return [n for n in needs if n.period.start <= period.end and period.start <= n.period.end]


def survey(
    uow: UnitOfWork,
    answers: Iterable[SurveyAnswer],
    period: Period,
    *,
    known_kinds: Iterable[str],
    raised_on: date | None = None,
    source: str = "survey",
    how: NeedSource = NeedSource.SURVEY,
) -> list[Need]:
    """Take in a survey (or needs noted on visits): store its needs; re-taking the same
    survey adds nothing."""
    needs = intake(
        answers, period, raised_on=raised_on, known_kinds=set(known_kinds), source=source, how=how
    )
    stored = uow.needs.stored(n.need_id for n in needs)
    new = [n for n in needs if n.need_id not in stored]
    uow.needs.add_many(new)
    uow.commit()
    return new


def derive(
    uow: UnitOfWork,
    period: Period,
    rules: Sequence[NeedRule] = STANDARD_NEED_RULES,
    *,
    on: date | None = None,
    paired_only: bool = True,
) -> list[Need]:
    """Derive needs from member facts by ``rules`` and store the new ones."""
    context = Context.build(period, on=on, pairings=uow.pairings.active_on(on or period.start))
    households = uow.households.list()
    if paired_only:
        households = [h for h in households if h.household_id in context.paired_households]
    new = derive_needs(households, context, rules, existing=needs_in(uow, period))
    uow.needs.add_many(new)
    uow.commit()
    return new


def route(
    uow: UnitOfWork,
    period: Period | None,
    *,
    programs: Sequence[AidProgram] = (),
    agencies: Sequence[Any] = (),
    kinds: Mapping[str, NeedKindInfo] = STANDARD_NEED_KINDS,
    on: date | None = None,
) -> list[RoutingResult]:
    """Route every open need of ``period``; store routes and create agency referrals.

    A referral that would share health or disability facts (a need of a sensitive
    kind) is sent only with the member's consent in force on the day, to that agency,
    covering those facts; the referral names the consent. Without one the need is
    held (status ``held``, its route saying what consent it awaits) and no referral
    is made; routing again tries held needs anew.
    """
    needs = [
        attrs.evolve(n, status=NeedStatus.OPEN, route=None) if n.status is NeedStatus.HELD else n
        for n in needs_in(uow, period)
        if n.status in (NeedStatus.OPEN, NeedStatus.HELD)
    ]
    if not needs:
        return []
    day = on or (period.start if period is not None else min(n.raised_on for n in needs))
    pairings = uow.pairings.active_on(day)
    context = Context.build(period or needs[0].period, on=day, pairings=pairings)
    households = uow.households.find_many({n.household_id for n in needs})
    helpers = uow.helpers.find_many({p.helper_id for p in pairings if p.household_id in households})
    helpers_of: dict[str, list[Any]] = {}
    for p in pairings:
        if p.household_id in households:
            helpers_of.setdefault(p.household_id, []).append(helpers[p.helper_id])
    results = []
    routed: list[Need] = []
    referrals: list[Referral] = []
    consents: dict[str, list[Consent]] = {}
    for result in route_needs(
        needs,
        households=households,
        context=attrs.evolve(context, period=period) if period is not None else context,
        programs=programs,
        agencies=agencies,
        helpers_of=helpers_of,
        kinds=kinds,
    ):
        result, consent_id = _with_consent(uow, result, kinds, day, consents)
        results.append(result)
        if result.route is None:
            continue
        if result.need.status is NeedStatus.HELD:
            routed.append(result.need)
            continue
        routed.append(result.routed)
        if result.route.kind is RouteKind.REFERRAL:
            referrals.append(
                Referral(
                    referral_id=stable_id("r", result.need.need_id),
                    need_id=result.need.need_id,
                    household_id=result.need.household_id,
                    agency=result.route.target,
                    referred_on=day,
                    member_id=result.need.member_id,
                    note=result.explanation[:200],
                    consent_id=consent_id,
                )
            )
    uow.needs.upsert_many(routed)
    uow.referrals.add_many(referrals)
    uow.commit()
    return results


def _with_consent(
    uow: UnitOfWork,
    result: RoutingResult,
    kinds: Mapping[str, NeedKindInfo],
    day: date,
    consents: dict[str, list[Consent]],
) -> tuple[RoutingResult, str | None]:
    """A referral that shares health or disability facts, with the consent it relies on
    (its id), or held for want of one: the need ``held``, its route saying why.
    ``consents`` caches each agency's consents (one read per agency)."""
    route = result.route
    if route is None or route.kind is not RouteKind.REFERRAL:
        return result, None
    facts = facts_shared(result.need.kind, kinds)
    if not facts:
        return result, None
    agency = route.target
    if agency not in consents:
        consents[agency] = uow.consents.list(recipient=agency)
    consent = consent_for(result.need, agency, facts, day, consents[agency])
    if consent is not None:
        return result, consent.consent_id
    reason = held_reason(result.need, agency, day)
    held_route = Route(RouteKind.REFERRAL, agency, reason)
    held = attrs.evolve(result.need, status=NeedStatus.HELD, route=held_route)
    return RoutingResult(held, held_route, reason), None


def complete_referral(
    uow: UnitOfWork, referral_id: str, on: date | None = None, note: str = ""
) -> Need:
    """The agency acted on ``on`` (default today): complete the referral and resolve its
    need (``resolved_by`` ``referral:<id>``). A need resolved or closed meanwhile stays
    as it is; the referral is completed all the same. Returns the need.

    :raises NotFound: no such referral.
    :raises ReferralCompleted: it was completed already.
    :raises InvalidValue: ``on`` is before the referral was made.
    """
    referral = uow.referrals.find(referral_id)
    if referral is None:
        raise NotFound(f"no referral {referral_id}")
    if referral.completed_on is not None:
        raise ReferralCompleted(
            f"referral {referral_id} was completed on {referral.completed_on.isoformat()}"
        )
    day = on or uow.today
    if day < referral.referred_on:
        raise InvalidValue(
            f"{day.isoformat()} is before the referral was made "
            f"({referral.referred_on.isoformat()})",
            field="on",
        )
    done = attrs.evolve(referral, completed_on=day, note=note or referral.note)
    uow.referrals.update(done)
    need = uow.needs.get(referral.need_id)
    if need.status not in _SETTLED:
        need = resolve_by_referral(need, done)
        uow.needs.update(need)
        uow.notify("jieqin_need_resolved", need=need)
    uow.commit()
    return need


def _settled(need: Need) -> NeedSettled:
    return NeedSettled(
        f"need {need.need_id} was already {need.status.value} on "
        f"{need.resolved_on.isoformat() if need.resolved_on else 'an unknown day'}"
        f"{f' ({need.resolved_by})' if need.resolved_by else ''}"
    )


def _open_need(uow: UnitOfWork, need_id: str, day: date) -> Need:
    """The stored need, not yet settled, raised on or before ``day``."""
    need = uow.needs.find(need_id)
    if need is None:
        raise NotFound(f"no need {need_id}")
    if need.status in _SETTLED:
        raise _settled(need)
    if day < need.raised_on:
        raise InvalidValue(
            f"{day.isoformat()} is before the need was raised ({need.raised_on.isoformat()})",
            field="on",
        )
    return need


def resolve_need(uow: UnitOfWork, need_id: str, by: str, on: date | None = None) -> Need:
    """Resolve a need by hand on ``on``; ``by`` says what resolved it.

    ``activity:<id>`` names a stored practical-help activity at the household that
    was not voided, ``grant:<id>`` a grant in force to its household (and member);
    any other text is kept as it is (``"the school waived the fee"``). The day is
    ``on``, else the day of the activity or grant named, else today. A referral
    resolves its need when it is completed (:func:`complete_referral`).

    :raises NotFound: no such need (or no activity or grant ``by`` names).
    :raises NeedSettled: the need was already resolved or closed.
    :raises InvalidValue: ``by`` is empty, or names a record that did not resolve it.
    """
    day = on or uow.today
    need = _open_need(uow, need_id, day)
    by = (by or "").strip()
    if not by:
        raise InvalidValue("say what resolved the need", field="by")
    what, _, ref = by.partition(":")
    if what == "activity" and ref:
        activity = uow.activities.get(ref)
        if activity.voided:
            raise InvalidValue(f"activity {ref} was voided", field="by")
        if activity.need_id not in (None, need_id):
            raise InvalidValue(f"activity {ref} is for need {activity.need_id}", field="by")
        resolved = resolve_by_activity(need, activity)
    elif what == "grant" and ref:
        grant = uow.grants.get(ref)
        if grant.revoked_on is not None:
            raise InvalidValue(f"grant {ref} was revoked", field="by")
        resolved = resolve_by_grant(need, grant)
    elif what == "referral" and ref:
        raise InvalidValue(
            f"a referral resolves its need when it is completed: `jieqin referrals complete {ref}`",
            field="by",
        )
    else:
        resolved = attrs.evolve(need, status=NeedStatus.RESOLVED, resolved_by=by)
    if on is not None or resolved.resolved_on is None:
        resolved = attrs.evolve(resolved, resolved_on=day)
    uow.needs.update(resolved)
    uow.notify("jieqin_need_resolved", need=resolved)
    uow.commit()
    return resolved


def close_need(uow: UnitOfWork, need_id: str, reason: str, on: date | None = None) -> Need:
    """Close a need without help on ``on`` (default today), saying why (the household
    moved away, it is no longer needed): status ``closed``, ``resolved_on`` the day,
    ``resolved_by`` the reason.

    :raises NotFound: no such need. :raises NeedSettled: already resolved or closed.
    :raises InvalidValue: no reason.
    """
    day = on or uow.today
    need = _open_need(uow, need_id, day)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidValue("say why the need is closed", field="reason")
    closed = attrs.evolve(need, status=NeedStatus.CLOSED, resolved_on=day, resolved_by=reason)
    uow.needs.update(closed)
    uow.commit()
    return closed


def list_needs(
    uow: UnitOfWork,
    period: Period | None = None,
    *,
    kind: str | None = None,
    status: str | None = None,
    routed_to: str | None = None,
    region: str | None = None,
    member_id: str | None = None,
) -> list[Need]:
    """Stored needs of ``period`` (all when ``None``) matching every filter given.

    ``status`` is one of :data:`NEED_STATUSES`; ``routed_to`` a route kind
    (``program``, ``referral``, ``helper``), a target (a programme, agency or helper
    id), both as ``kind:target``, or ``unrouted``; ``region`` a region code whose
    households' needs are listed (``610202`` a county and everything in it).

    :raises InvalidValue: an unknown status, or a region that is not digits.
    """
    if status is not None and status not in NEED_STATUSES:
        known = ", ".join(NEED_STATUSES)
        raise InvalidValue(f"unknown need status {status!r}; known: {known}", field="status")
    if region is not None and not region.isdigit():
        raise InvalidValue(f"{region!r} is not a region code (digits)", field="region")
    needs = [
        n
        for n in needs_in(uow, period)
        if (kind is None or n.kind == kind)
        and (status is None or n.status.value == status)
        and (member_id is None or n.member_id == member_id)
        and (routed_to is None or _routed_to(n, routed_to))
    ]
    if region is not None and needs:
        households = uow.households.find_many({n.household_id for n in needs})
        inside = {h for h, x in households.items() if x.region.code.startswith(region)}
        needs = [n for n in needs if n.household_id in inside]
    return needs


def _routed_to(need: Need, wanted: str) -> bool:
    route = need.route
    if route is None:
        return wanted == "unrouted"
    return wanted in (route.kind.value, route.target, f"{route.kind.value}:{route.target}")


def list_referrals(uow: UnitOfWork, *, pending: bool = False) -> list[Referral]:
    """Every referral, by day made then id; ``pending``: only those not completed."""
    found: list[Referral] = (
        uow.referrals.list(completed_on=None) if pending else uow.referrals.list()
    )
    return sorted(found, key=lambda r: (r.referred_on, r.referral_id))


def resolve_with_activity(uow: UnitOfWork, need_id: str, activity_id: str) -> Need:
    """A helper's practical help resolved the need."""
    activity = uow.activities.get(activity_id)
    if activity.need_id not in (None, need_id):
        raise InvalidValue(f"activity {activity_id} is for need {activity.need_id}", field="need")
    resolved = resolve_by_activity(uow.needs.get(need_id), activity)
    uow.needs.update(resolved)
    uow.notify("jieqin_need_resolved", need=resolved)
    uow.commit()
    return resolved
