"""Needs use cases over a unit of work: survey intake, deriving, routing, resolving.

Each function does its writes in the given unit of work and commits it, so a failed
survey or routing writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from jieqin.errors import InvalidValue
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
    resolve_by_referral,
    route_needs,
)
from jieqin.needs.consent import consent_for, facts_shared, held_reason
from jieqin.rules import AidProgram, Context
from jieqin.rules.ids import stable_id

if TYPE_CHECKING:
    from jieqin.storage.base import UnitOfWork

__all__ = [
    "complete_referral",
    "derive",
    "needs_in",
    "resolve_with_activity",
    "route",
    "survey",
]


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


def complete_referral(uow: UnitOfWork, referral_id: str, on: date, note: str = "") -> Need:
    """The agency acted: complete the referral and resolve its need."""
    referral = uow.referrals.get(referral_id)
    done = attrs.evolve(referral, completed_on=on, note=note or referral.note)
    resolved = resolve_by_referral(uow.needs.get(referral.need_id), done)
    uow.referrals.update(done)
    uow.needs.update(resolved)
    uow.notify("jieqin_need_resolved", need=resolved)
    uow.commit()
    return resolved


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
