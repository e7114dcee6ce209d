"""Allocating a referral programme: refer every eligible member to its agency.

A programme of kind ``referral`` (:attr:`jieqin.ProgramKind.REFERRAL`) gives no money:
it sends the members its rules hold for to the agency it names
(``Program.agency``). Allocating it for a period needs no fund and makes no grant:

1. every member of the households in scope is decided by the programme's rules (the
   whole population at once, then each member explained for the record), as for any
   programme;
2. a member the programme has referred for the period before (whatever became of
   that referral: a rejection stands too) is left alone, so re-running an allocation
   refers nobody twice;
3. each eligible member is referred with one need: their need routed to the
   programme, else an open need of theirs of a kind the programme serves, else a new
   need of the first kind it serves (source ``rule``); the need is routed to the
   programme and the referral, due ``referral_response_days`` later, names it;
4. a referral that would tell a health or disability fact (a need of a sensitive
   kind, or a programme whose rules read such a fact) needs the member's consent to
   that agency in force on the day; without one the need is held (awaiting consent)
   and the member's decision is ``wait_listed`` with the reason;
5. every decision is stored: ``referred`` (naming the referral), ``wait_listed`` or
   ``ineligible``.

The agency completes or rejects each referral as for any other
(:mod:`jieqin.services.needs`); the completion resolves the need.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs
from attrs import frozen

from jieqin.errors import AllocationError
from jieqin.model import (
    MONITORED_STATUSES,
    Consent,
    ConsentFact,
    Decision,
    GrantUnit,
    Household,
    Need,
    NeedSource,
    NeedStatus,
    Outcome,
    Period,
    ProgramKind,
    Referral,
    Route,
    RouteKind,
)
from jieqin.model.money import ZERO
from jieqin.needs import STANDARD_NEED_KINDS, Agency, NeedKindInfo, due_on, need_id
from jieqin.needs.consent import consent_for, facts_shared, held_reason
from jieqin.rules import AidProgram, Context, Parameters, Population, Subject
from jieqin.rules.facts import fact_definition
from jieqin.rules.ids import stable_id
from jieqin.rules.programs import Eligibility
from jieqin.services.aid import AllocationPlan, context_for, decision_id

if TYPE_CHECKING:
    from jieqin.storage.base import UnitOfWork

__all__ = ["ReferralPlan", "allocate_referrals", "programme_referral_id", "refers"]


def refers(program: AidProgram) -> bool:
    """Whether ``program`` refers members to an agency rather than granting money."""
    return program.program.kind is ProgramKind.REFERRAL


def programme_referral_id(program_id: str, period: Period, member_id: str) -> str:
    """The id of the referral a programme makes for a member in a period (one at most)."""
    return stable_id("r", program_id, str(period), member_id)


@frozen
class ReferralPlan(AllocationPlan):
    """What an allocation of a referral programme decided: no fund, no grants; the
    referrals it makes and the members whose referral awaits their consent."""

    agency: str = ""
    referrals: tuple[Referral, ...] = ()
    awaiting_consent: tuple[str, ...] = ()

    def summary(self) -> dict[str, Any]:
        """The counts, as the CLI prints them (money figures are zero: no fund)."""
        return {
            **super().summary(),
            "fund": None,
            "agency": self.agency,
            "referred": len(self.referrals),
            "awaiting_consent": len(self.awaiting_consent),
            "already_referred": len(self.already_granted),
        }


def _check(program: AidProgram, agencies: Mapping[str, Agency] | None) -> str:
    """The agency the programme refers to; refuse a programme that cannot refer."""
    pid = program.program_id
    agency = program.program.agency
    if agency is None:
        raise AllocationError(
            f"programme {pid} is a referral programme and names no agency: define it with "
            "Program(..., kind='referral', agency=AGENCY_ID) of a registered agency"
        )
    if agencies is not None and agency not in agencies:
        known = ", ".join(sorted(agencies)) or "none registered"
        raise AllocationError(
            f"programme {pid} refers to agency {agency}, which is not registered; "
            f"registered agencies: {known}"
        )
    if program.grant_unit is GrantUnit.HOUSEHOLD:
        raise AllocationError(
            f"programme {pid} refers members to agency {agency}: it cannot grant per "
            "household; define it with the member grant unit"
        )
    if not program.program.serves:
        raise AllocationError(
            f"programme {pid} refers members with a need of a kind it serves, and serves "
            "none: define it with serves={NEED_KIND, ...}"
        )
    return agency


#: The consent fact each sensitive rule fact tells.
_CONSENT_FACTS = {
    "health": ConsentFact.HEALTH.value,
    "disability_grade": ConsentFact.DISABILITY.value,
}


def _facts(program: AidProgram) -> frozenset[str]:
    """The consent facts a referral of the programme tells the agency by being made:
    those its rules read (being eligible tells them); a sensitive fact of a region's
    own may tell either."""
    names = [n for n in program.eligibility.facts() if fact_definition(n).sensitive]
    either = {ConsentFact.HEALTH.value, ConsentFact.DISABILITY.value}
    return frozenset(
        f for n in names for f in ([_CONSENT_FACTS[n]] if n in _CONSENT_FACTS else either)
    )


def _decide(
    program: AidProgram, households: Sequence[Household], context: Context, skip: set[str]
) -> tuple[list[Eligibility], list[Decision]]:
    """The eligible members (not in ``skip``), and the ineligible ones' decisions."""
    population = Population.from_households(households)
    mask = program.eligible(population, context)
    by_id = {h.household_id: h for h in households}
    eligible: list[Eligibility] = []
    decisions: list[Decision] = []
    for row, member_id in enumerate(population.member_ids):
        if member_id in skip:
            continue
        household = by_id[population.household_ids[population.member_household[row]]]
        explained = program.explain(Subject(household.member(member_id), household, context))
        if explained.eligible != bool(mask[row]):
            raise AllocationError(
                f"rule {program.rule_version} disagrees with itself on member {member_id}"
            )
        if explained.eligible:
            eligible.append(explained)
        else:
            decisions.append(_decision(program, explained, context, Outcome.INELIGIBLE))
    return eligible, decisions


def _decision(
    program: AidProgram,
    explained: Eligibility,
    context: Context,
    outcome: Outcome,
    reason: str | None = None,
) -> Decision:
    return Decision(
        decision_id=decision_id(program.program_id, context.period, explained.member_id),
        program_id=program.program_id,
        period=context.period,
        household_id=explained.household_id,
        member_id=explained.member_id,
        outcome=outcome,
        decided_on=context.day,
        rule_version=program.rule_version,
        reason=reason if reason is not None else explained.reason(),
        conditions=explained.conditions,
        parameters=dict(explained.parameters),
        inputs=dict(explained.inputs),
    )


def _needs_of(
    uow: UnitOfWork, program: AidProgram, period: Period, members: set[str]
) -> dict[str, Need]:
    """Each member's need the referral names: routed to the programme first, then an
    open need of a kind the programme serves (the lowest id of each)."""
    serves = program.program.serves
    found: dict[str, tuple[int, str, Need]] = {}
    for need in uow.needs.list():
        if need.member_id not in members or need.kind not in serves:
            continue
        if not (need.period.start <= period.end and period.start <= need.period.end):
            continue
        route = need.route
        if (
            need.status is NeedStatus.ROUTED
            and route is not None
            and route.kind is RouteKind.PROGRAM
            and route.target == program.program_id
        ):
            rank = 0
        elif need.status is NeedStatus.OPEN:
            rank = 1
        else:
            continue
        key = (rank, need.need_id, need)
        if need.member_id not in found or key[:2] < found[need.member_id][:2]:
            found[need.member_id] = key
    return {member: entry[2] for member, entry in found.items()}


def _new_need(program: AidProgram, explained: Eligibility, context: Context) -> Need:
    kind = sorted(program.program.serves)[0]
    return Need(
        need_id=need_id(kind, context.period, explained.member_id, f"program:{program.program_id}"),
        household_id=explained.household_id,
        kind=kind,
        period=context.period,
        source=NeedSource.RULE,
        raised_on=context.day,
        member_id=explained.member_id,
        note=f"referral programme {program.program_id}",
    )


@frozen
class _Referring:
    """What the allocation writes besides its decisions."""

    needs: list[Need] = attrs.field(factory=list)
    referrals: list[Referral] = attrs.field(factory=list)
    held: list[str] = attrs.field(factory=list)


def _refer(
    uow: UnitOfWork,
    program: AidProgram,
    eligible: Sequence[Eligibility],
    context: Context,
    agency: Agency | None,
    agency_id: str,
    kinds: Mapping[str, NeedKindInfo],
    parameters: Parameters | None,
) -> tuple[_Referring, list[Decision]]:
    """A referral (or, without the consent it needs, a held need) for each eligible
    member, with their decisions."""
    day, period, pid = context.day, context.period, program.program_id
    needs = _needs_of(uow, program, period, {e.member_id for e in eligible})
    consents: list[Consent] | None = None
    out, decisions = _Referring(), []
    for explained in sorted(eligible, key=lambda e: e.member_id):
        need = needs.get(explained.member_id) or _new_need(program, explained, context)
        facts = facts_shared(need.kind, kinds) | _facts(program)
        consent = None
        if facts:
            consents = consents if consents is not None else uow.consents.list(recipient=agency_id)
            consent = consent_for(need, agency_id, facts, day, consents)
            if consent is None:
                reason = held_reason(need, agency_id, day)
                out.needs.append(
                    attrs.evolve(
                        need, status=NeedStatus.HELD, route=Route(RouteKind.PROGRAM, pid, reason)
                    )
                )
                out.held.append(explained.member_id)
                decisions.append(
                    _decision(program, explained, context, Outcome.WAIT_LISTED, reason)
                )
                continue
        rid = programme_referral_id(pid, period, explained.member_id)
        text = (
            f"eligible for {program.program.name}: referred to agency {agency_id} (referral {rid})"
        )
        out.needs.append(
            attrs.evolve(need, status=NeedStatus.ROUTED, route=Route(RouteKind.PROGRAM, pid, text))
        )
        out.referrals.append(
            Referral(
                referral_id=rid,
                need_id=need.need_id,
                household_id=need.household_id,
                agency=agency_id,
                referred_on=day,
                member_id=explained.member_id,
                note=f"referral programme {pid} {period}",
                consent_id=None if consent is None else consent.consent_id,
                due_on=due_on(agency, day, parameters),
            )
        )
        reason = f"referred to agency {agency_id} (referral {rid})"
        decisions.append(_decision(program, explained, context, Outcome.REFERRED, reason))
    return out, decisions


def allocate_referrals(
    uow: UnitOfWork,
    program: AidProgram,
    period: Period,
    *,
    on: date | None = None,
    dry_run: bool = False,
    households: Sequence[Household] | None = None,
    monitored: Iterable[str] = MONITORED_STATUSES,
    agencies: Mapping[str, Agency] | None = None,
    kinds: Mapping[str, NeedKindInfo] = STANDARD_NEED_KINDS,
    parameters: Parameters | None = None,
    fund_id: str | None = None,
) -> ReferralPlan:
    """Allocate a referral programme for ``period`` (see the module), then commit ``uow``
    (a dry run rolls back and writes nothing). ``agencies``: the registered agencies
    (the programme's must be one; its own ``referral_response_days`` apply);
    ``kinds``: the need kinds (which are sensitive); ``parameters``: the campaign's.

    :raises AllocationError: the programme names no agency (or one not registered),
        grants per household, or serves no need kind; or ``fund_id`` is given (a
        referral programme grants from no fund).
    """
    agency_id = _check(program, agencies)
    _check_run(program, agency_id, period, fund_id)
    context = context_for(uow, program, period, on, monitored)
    scope = list(households) if households is not None else uow.households.list()
    served = [h for h in scope if program.covers(h)]
    members = {m.member_id for h in served for m in h.members}
    referred = uow.referrals.stored(
        programme_referral_id(program.program_id, period, m) for m in members
    )
    already = {
        m for m in members if programme_referral_id(program.program_id, period, m) in referred
    }
    eligible, decisions = _decide(program, served, context, already)
    agency = (agencies or {}).get(agency_id)
    referring, made = _refer(uow, program, eligible, context, agency, agency_id, kinds, parameters)
    plan = ReferralPlan(
        program_id=program.program_id,
        fund_id="",
        period=period,
        decided_on=context.day,
        rule_version=program.rule_version,
        amount=None,
        budget=ZERO,
        spent_before=ZERO,
        priority=program.priority_text(),
        decisions=tuple(sorted([*decisions, *made], key=lambda d: d.decision_id)),
        grants=(),
        already_granted=tuple(sorted(already)),
        scope=program.scope_text(),
        out_of_scope=len(scope) - len(served),
        agency=agency_id,
        referrals=tuple(referring.referrals),
        awaiting_consent=tuple(referring.held),
    )
    if dry_run:
        uow.rollback()
        return plan
    _write(uow, program, plan, referring.needs)
    uow.commit()
    return attrs.evolve(plan, dry_run=False)


def _check_run(program: AidProgram, agency_id: str, period: Period, fund_id: str | None) -> None:
    """Refuse a fund, and a period of another kind than the programme refers by."""
    if fund_id is not None:
        raise AllocationError(
            f"programme {program.program_id} refers members to agency {agency_id} and "
            "grants from no fund: leave out --fund"
        )
    if period.kind is not program.program.period_kind:
        raise AllocationError(
            f"programme {program.program_id} refers once per {program.program.period_kind}; "
            f"{period} is a {period.kind}"
        )


def _write(uow: UnitOfWork, program: AidProgram, plan: ReferralPlan, needs: list[Need]) -> None:
    """Write the needs (first: the referrals name them), referrals and decisions of a
    plan; ``jieqin_grants_decided`` is told of the decisions (and no grants)."""
    if uow.programs.find(program.program_id) is None:
        uow.programs.add(program.program)
    uow.needs.upsert_many(needs)
    uow.referrals.add_many(plan.referrals)
    uow.decisions.upsert_many(plan.decisions)
    uow.notify("jieqin_grants_decided", decisions=list(plan.decisions), grants=[])
