"""Needs use cases over a unit of work: survey intake, deriving, routing, resolving, and
the steps agencies report on referrals (accepted, rejected, completed).

Each function does its writes in the given unit of work and commits it, so a failed
survey or routing writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from jieqin.errors import (
    InvalidInput,
    InvalidValue,
    NeedSettled,
    NotFound,
    Problem,
    ReferralSettled,
)
from jieqin.i18n import N_
from jieqin.model import (
    Consent,
    Need,
    NeedSource,
    NeedStatus,
    Period,
    Referral,
    ReferralOutcome,
    ReferralStatus,
    Route,
    RouteKind,
)
from jieqin.needs import (
    STANDARD_NEED_KINDS,
    STANDARD_NEED_RULES,
    Agency,
    NeedKindInfo,
    NeedRule,
    OverdueReferral,
    RoutingResult,
    SurveyAnswer,
    declined_by,
    derive_needs,
    due_on,
    intake,
    overdue_referrals,
    resolve_by_activity,
    resolve_by_grant,
    resolve_by_referral,
    route_needs,
    take_step,
)
from jieqin.needs.consent import consent_for, facts_shared, held_reason
from jieqin.needs.referrals import referral_id
from jieqin.rules import AidProgram, Context, Parameters

if TYPE_CHECKING:
    from jieqin.storage.base import UnitOfWork

__all__ = [
    "NEED_STATUSES",
    "REFERRAL_STATUSES",
    "accept_referral",
    "apply_outcomes",
    "close_need",
    "complete_referral",
    "derive",
    "fresh_ids",
    "list_needs",
    "list_referrals",
    "needs_in",
    "outcome_steps",
    "overdue_referrals_on",
    "reject_referral",
    "resolve_need",
    "resolve_with_activity",
    "route",
    "survey",
]

#: The need statuses, as the listings filter them.
NEED_STATUSES: tuple[str, ...] = tuple(s.value for s in NeedStatus)

#: The referral statuses, as the listings filter them.
REFERRAL_STATUSES: tuple[str, ...] = tuple(s.value for s in ReferralStatus)

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
    parameters: Parameters | None = None,
) -> list[RoutingResult]:
    """Route every open need of ``period``; store routes and create agency referrals.

    A referral that would share health or disability facts (a need of a sensitive
    kind) is sent only with the member's consent in force on the day, to that agency,
    covering those facts; the referral names the consent. Without one the need is
    held (status ``held``, its route saying what consent it awaits) and no referral
    is made; routing again tries held needs anew.

    Each referral is due ``referral_response_days`` after the day (the agency's own
    value, else ``parameters``', the campaign's, else the core one). An agency that
    rejected a referral of a need is not asked again for it: routing goes on to the
    next route, and the explanation says why.
    """
    stored = {
        n.need_id: n
        for n in needs_in(uow, period)
        if n.status in (NeedStatus.OPEN, NeedStatus.HELD)
    }
    # routed anew: a held need is open again, and why a need had no route is said anew
    needs = [
        attrs.evolve(n, status=NeedStatus.OPEN, route=None, unrouted_reason="")
        for n in stored.values()
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
    wanted = {n.need_id for n in needs}
    rejected = [
        r for r in uow.referrals.list(status=ReferralStatus.REJECTED) if r.need_id in wanted
    ]
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
        declined=declined_by(rejected),
    ):
        result, consent_id = _with_consent(uow, result, kinds, day, consents)
        results.append(result)
        if result.route is None:
            if result.routed != stored[result.need.need_id]:
                routed.append(result.routed)  # still open, saying why no route was found
            continue
        if result.need.status is NeedStatus.HELD:
            routed.append(result.need)
            continue
        routed.append(result.routed)
        if result.route.kind is RouteKind.REFERRAL:
            agency = _agency(agencies, result.route.target)
            referrals.append(
                _referral_made(result, day, consent_id, due_on(agency, day, parameters))
            )
    uow.needs.upsert_many(routed)
    uow.referrals.add_many(fresh_ids(uow, referrals, rejected))
    uow.commit()
    return results


def _referral_made(result: RoutingResult, day: date, consent_id: str | None, due: date) -> Referral:
    """The referral a need routed to an agency on ``day`` makes (its id made fresh by
    :func:`fresh_ids`)."""
    assert result.route is not None
    need = result.need
    return Referral(
        referral_id=referral_id(need.need_id),
        need_id=need.need_id,
        household_id=need.household_id,
        agency=result.route.target,
        referred_on=day,
        member_id=need.member_id,
        note=result.explanation[:200],
        consent_id=consent_id,
        due_on=due,
    )


def _agency(agencies: Sequence[Any], agency_id: str) -> Agency | None:
    return next((a for a in agencies if a.agency_id == agency_id), None)


def fresh_ids(
    uow: UnitOfWork, referrals: Sequence[Referral], earlier: Iterable[Referral]
) -> list[Referral]:
    """``referrals`` with ids no stored referral has: a need referred again (after an
    agency rejected it) gets the id of its next referral (:func:`referral_id` after
    the ones before)."""
    counts: dict[str, int] = {}
    for r in earlier:
        counts[r.need_id] = counts.get(r.need_id, 0) + 1
    out = [
        attrs.evolve(r, referral_id=referral_id(r.need_id, counts.get(r.need_id, 0)))
        for r in referrals
    ]
    taken = uow.referrals.stored(r.referral_id for r in out)
    for i, r in enumerate(out):
        n = counts.get(r.need_id, 0)
        while r.referral_id in taken:
            n += 1
            r = attrs.evolve(r, referral_id=referral_id(r.need_id, n))
            taken = taken | uow.referrals.stored([r.referral_id])
        out[i] = r
    return out


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
    uow: UnitOfWork,
    referral_id: str,
    on: date | None = None,
    note: str = "",
    *,
    outcome: str | None = None,
) -> Need:
    """The agency completed the referral on ``on`` (default today) with ``outcome`` (a
    registered referral outcome code): complete it and resolve its need
    (``resolved_by`` ``referral:<id>``). A need resolved or closed meanwhile stays as
    it is; the referral is completed all the same. Returns the need.

    :raises NotFound: no such referral.
    :raises ReferralCompleted: it was completed already.
    :raises ReferralSettled: it was rejected.
    :raises InvalidValue: no outcome, or ``on`` before the referral was made or accepted.
    :raises InvalidInput: an unregistered outcome, or ``on`` after today.
    """
    referral = _referral(uow, referral_id)
    done = take_step(
        referral, ReferralStatus.COMPLETED, on or uow.today, outcome=outcome, note=note
    )
    need = _write_steps(uow, [done])[referral.need_id]
    uow.commit()
    return need


def accept_referral(
    uow: UnitOfWork, referral_id: str, on: date | None = None, note: str = ""
) -> Referral:
    """The agency accepted the referral on ``on`` (default today): it is acting on it.

    :raises NotFound: no such referral. :raises ReferralSettled: it was accepted,
        rejected or completed already. :raises InvalidValue: ``on`` is before it was made.
    """
    referral = _referral(uow, referral_id)
    accepted = take_step(referral, ReferralStatus.ACCEPTED, on or uow.today, note=note)
    _write_steps(uow, [accepted])
    uow.commit()
    return accepted


def reject_referral(uow: UnitOfWork, referral_id: str, reason: str, on: date | None = None) -> Need:
    """The agency rejected the referral on ``on`` (default today), saying why. Its need,
    if it was still routed (and no other referral of it is open), is open again: the
    next routing sends it elsewhere, never again to this agency. Returns the need.

    :raises NotFound: no such referral. :raises ReferralSettled: it was accepted,
        rejected or completed already. :raises InvalidValue: no reason, or ``on``
        before it was made.
    """
    referral = _referral(uow, referral_id)
    rejected = take_step(referral, ReferralStatus.REJECTED, on or uow.today, reason=reason)
    need = _write_steps(uow, [rejected])[referral.need_id]
    uow.commit()
    return need


def _referral(uow: UnitOfWork, referral_id: str) -> Referral:
    referral: Referral | None = uow.referrals.find(referral_id)
    if referral is None:
        raise NotFound(
            N_("no referral {referral}; `jieqin referrals list` lists them", referral=referral_id)
        )
    return referral


def _write_steps(uow: UnitOfWork, changed: Sequence[Referral]) -> dict[str, Need]:
    """Write referrals that took a step, and what it does to their needs: a completion
    resolves an unsettled need; a rejection opens a routed need again (unless another
    referral of it is open). Returns the needs by id, as they are now."""
    _written(uow.referrals, changed)
    needs: dict[str, Need] = uow.needs.find_many({r.need_id for r in changed})
    rejected = {r.need_id for r in changed if r.status is ReferralStatus.REJECTED}
    still_open = {
        r.need_id
        for status in (ReferralStatus.REFERRED, ReferralStatus.ACCEPTED)
        for r in uow.referrals.list(status=status)
        if r.need_id in rejected
    }
    updated: dict[str, Need] = {}
    for referral in changed:
        need = updated.get(referral.need_id, needs[referral.need_id])
        if referral.status is ReferralStatus.COMPLETED and need.status not in _SETTLED:
            updated[need.need_id] = resolve_by_referral(need, referral)
        elif (
            referral.status is ReferralStatus.REJECTED
            and need.status is NeedStatus.ROUTED
            and need.need_id not in still_open
        ):
            updated[need.need_id] = attrs.evolve(need, status=NeedStatus.OPEN, route=None)
    _written(uow.needs, list(updated.values()))
    for need in updated.values():
        if need.status is NeedStatus.RESOLVED:
            uow.notify("jieqin_need_resolved", need=need)
    return {**needs, **updated}


def _written(repository: Any, items: Sequence[Any]) -> None:
    """Write changed records: one with ``update`` (its audit entry says what changed),
    a batch with ``upsert_many``."""
    if len(items) == 1:
        repository.update(items[0])
    elif items:
        repository.upsert_many(items)


def outcome_steps(
    uow: UnitOfWork, outcomes: Sequence[ReferralOutcome]
) -> tuple[list[Referral], list[Problem]]:
    """The referrals the agency's reported steps change (in the order of their last
    step), and every problem, each at the 1-based place of its outcome in
    ``outcomes``. A step a referral already records on the same day changes nothing,
    so a file imported twice changes nothing the second time."""
    current: dict[str, Referral] = uow.referrals.find_many({o.referral_id for o in outcomes})
    last: dict[str, int] = {}
    problems: list[Problem] = []
    for i, reported in enumerate(outcomes):
        referral = current.get(reported.referral_id)
        if referral is None:
            problems.append(
                Problem(f"no referral {reported.referral_id}", field="referral_id", line=i + 1)
            )
            continue
        if reported.on > uow.today:
            # said at its own row: a later row would otherwise be blamed for it
            problems.append(
                Problem(
                    f"{reported.on.isoformat()} is in the future (today is {uow.today})",
                    field="on",
                    line=i + 1,
                )
            )
            continue
        rejecting = reported.status is ReferralStatus.REJECTED
        try:
            changed = take_step(
                referral,
                reported.status,
                reported.on,
                outcome=reported.outcome,
                reason=reported.reason if rejecting else "",
                note="" if rejecting else reported.reason,
                again=True,
            )
        except InvalidValue as exc:
            problems.append(Problem(exc.reason, field=exc.field or "status", line=i + 1))
            continue
        except ReferralSettled as exc:
            problems.append(Problem(str(exc), field="status", line=i + 1))
            continue
        if changed != referral:
            current[referral.referral_id] = changed
            last[referral.referral_id] = i
    order = sorted(last, key=last.__getitem__)
    changed_list = [current[rid] for rid in order]
    for problem in uow.problems("referrals", changed_list) if not problems else []:
        place = last[order[(problem.line or 1) - 1]] + 1
        problems.append(attrs.evolve(problem, line=place))
    return changed_list, problems


def apply_outcomes(uow: UnitOfWork, outcomes: Sequence[ReferralOutcome]) -> int:
    """Apply the steps an agency reported (a referral-outcomes file) in the open unit of
    work, all or nothing: accepted, rejected (the need opened again) or completed (the
    need resolved). Returns how many referrals changed; the caller commits.

    :raises InvalidInput: any problem, each at the place of its outcome in ``outcomes``.
    """
    changed, problems = outcome_steps(uow, outcomes)
    if problems:
        raise InvalidInput(sorted(problems, key=lambda p: p.line or 0))
    if changed:
        _write_steps(uow, changed)
    return len(changed)


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
        raise NotFound(N_("no need {need}", need=need_id))
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


def list_referrals(
    uow: UnitOfWork, *, pending: bool = False, status: str | None = None
) -> list[Referral]:
    """Every referral, by day made then id; ``pending``: only those the agency still has
    (referred or accepted); ``status``: only those of one status.

    :raises InvalidValue: an unknown status.
    """
    if status is not None and status not in REFERRAL_STATUSES:
        known = ", ".join(REFERRAL_STATUSES)
        raise InvalidValue(f"unknown referral status {status!r}; known: {known}", field="status")
    wanted = [ReferralStatus(status)] if status is not None else list(ReferralStatus)
    if pending:
        wanted = [s for s in wanted if s in (ReferralStatus.REFERRED, ReferralStatus.ACCEPTED)]
    found: list[Referral] = [r for s in wanted for r in uow.referrals.list(status=s)]
    return sorted(found, key=lambda r: (r.referred_on, r.referral_id))


def overdue_referrals_on(uow: UnitOfWork, day: date) -> list[OverdueReferral]:
    """The referrals open on ``day`` past their due day, most overdue first."""
    return overdue_referrals(uow.referrals.list(), day)


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
