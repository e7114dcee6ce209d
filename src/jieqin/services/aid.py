"""Allocate a programme's fund: decide everyone, rank the eligible, grant until the budget is spent.

The allocation is planned first (:func:`plan_allocation`, pure: no storage) and then
written in one unit of work (:func:`allocate`):

1. every member of the households in scope is decided by the programme's rules; the
   whole population at once with numpy, then each member explained for the record;
2. members who already hold a grant of the programme for the period are left alone,
   so re-running a committed allocation grants nothing new;
3. the eligible are ranked by the programme's documented priority (by default:
   monitored households first, then larger households, then member id);
4. in that order each gets the amount in force on the decision day while the fund's
   remaining budget covers it; from the first that does not fit on, everyone is
   wait-listed with the reason (strict priority order: nobody lower down jumps ahead
   because a smaller amount would still fit);
5. every decision is stored with the rule version, the parameter values (with their
   dates and sources) and the inputs read, sensitive inputs masked.

The fund is locked before its spending is read, so concurrent allocations from one
fund are serialised; the unique ``(program, period, member)`` constraint on grants is
the last line against granting twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
from attrs import frozen

from jieqin.errors import AllocationError, NotFound
from jieqin.model import (
    MONITORED_STATUSES,
    Decision,
    Fund,
    Grant,
    Household,
    NeedStatus,
    Outcome,
    Period,
    RouteKind,
)
from jieqin.model.money import ZERO
from jieqin.rules import AidProgram, Context, Eligibility, Population, Subject
from jieqin.rules.ids import stable_id

if TYPE_CHECKING:
    from jieqin.storage.base import UnitOfWork

__all__ = [
    "AllocationPlan",
    "allocate",
    "context_for",
    "explain_member",
    "find_fund",
    "plan_allocation",
    "programs_read",
    "record_id",
]


#: Stable ids for decisions and grants, so a re-run writes the same records.
record_id = stable_id


@frozen
class AllocationPlan:
    """What an allocation decided; written only by :func:`allocate` when not a dry run."""

    program_id: str
    fund_id: str
    period: Period
    decided_on: date
    rule_version: str
    amount: Decimal | None
    """The base amount per grant on the decision day (tiers may set others)."""
    budget: Decimal
    spent_before: Decimal
    priority: str
    decisions: tuple[Decision, ...]
    grants: tuple[Grant, ...]
    already_granted: tuple[str, ...]
    """Members who held a grant of this programme period before this run (not decided again)."""
    dry_run: bool = True

    @property
    def granted_total(self) -> Decimal:
        return sum((g.amount for g in self.grants), ZERO)

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.spent_before - self.granted_total

    def count(self, outcome: Outcome) -> int:
        return sum(1 for d in self.decisions if d.outcome is outcome)

    def summary(self) -> dict[str, Any]:
        """Counts and money, as the CLI prints them."""
        return {
            "program": self.program_id,
            "fund": self.fund_id,
            "period": str(self.period),
            "decided_on": self.decided_on.isoformat(),
            "rule_version": self.rule_version,
            "dry_run": self.dry_run,
            "amount_each": None if self.amount is None else str(self.amount),
            "budget": str(self.budget),
            "spent_before": str(self.spent_before),
            "granted": self.count(Outcome.GRANTED),
            "granted_total": str(self.granted_total),
            "wait_listed": self.count(Outcome.WAIT_LISTED),
            "ineligible": self.count(Outcome.INELIGIBLE),
            "already_granted": len(self.already_granted),
            "remaining": str(self.remaining),
            "priority": self.priority,
        }


def _check_fund(program: AidProgram, fund: Fund, period: Period) -> None:
    if fund.program_id != program.program_id:
        raise AllocationError(
            f"fund {fund.fund_id} belongs to programme {fund.program_id}, not {program.program_id}"
        )
    if fund.period != period:
        raise AllocationError(f"fund {fund.fund_id} is for {fund.period}, not {period}")
    if period.kind is not program.program.period_kind:
        raise AllocationError(
            f"programme {program.program_id} grants once per {program.program.period_kind}; "
            f"{period} is a {period.kind}"
        )


def plan_allocation(
    program: AidProgram,
    fund: Fund,
    households: Sequence[Household],
    context: Context,
    *,
    spent: Decimal = ZERO,
    existing: Iterable[Grant] = (),
    record_ineligible: bool = True,
) -> AllocationPlan:
    """Decide, rank and grant on paper; nothing is written.

    ``existing`` are the grants of this programme already made (any period; those of
    ``context.period`` make this run idempotent). ``spent`` is what the fund has paid.
    """
    period = context.period
    _check_fund(program, fund, period)
    day = context.day
    amount = program.amount_on(day)
    held = {g.member_id for g in existing if g.period == period and g.member_id is not None}
    population = Population.from_households(households)
    eligible_mask = program.eligible(population, context)
    by_household = {h.household_id: h for h in households}

    eligible: list[Eligibility] = []
    decisions: list[Decision] = []
    for row, member_id in enumerate(population.member_ids):
        if member_id in held:
            continue
        is_eligible = bool(eligible_mask[row])
        if not is_eligible and not record_ineligible:
            continue
        household = by_household[population.household_ids[population.member_household[row]]]
        explained = program.explain(Subject(household.member(member_id), household, context))
        if explained.eligible != is_eligible:
            raise AllocationError(
                f"rule {program.rule_version} disagrees with itself on member {member_id}"
            )
        if is_eligible:
            eligible.append(explained)
        else:
            decisions.append(_decision(program, explained, context, Outcome.INELIGIBLE, None))

    remaining = fund.budget - spent
    grants: list[Grant] = []
    full = False
    for rank, explained in enumerate(program.rank(eligible), start=1):
        cost = explained.amount if explained.amount is not None else ZERO
        if not full and cost <= remaining:
            remaining -= cost
            decision = _decision(
                program, explained, context, Outcome.GRANTED, explained.amount, rank
            )
            decisions.append(decision)
            grants.append(_grant(program, fund, decision, cost))
        else:
            full = True
            reason = (
                f"fund {fund.fund_id} had {remaining} yuan left when rank {rank} was reached; "
                f"{cost} needed"
            )
            decisions.append(
                _decision(
                    program, explained, context, Outcome.WAIT_LISTED, explained.amount, rank, reason
                )
            )
    return AllocationPlan(
        program_id=program.program_id,
        fund_id=fund.fund_id,
        period=period,
        decided_on=day,
        rule_version=program.rule_version,
        amount=amount,
        budget=fund.budget,
        spent_before=spent,
        priority=program.priority_text(),
        decisions=tuple(sorted(decisions, key=lambda d: d.decision_id)),
        grants=tuple(grants),
        already_granted=tuple(sorted(held)),
    )


def _decision(
    program: AidProgram,
    explained: Eligibility,
    context: Context,
    outcome: Outcome,
    amount: Decimal | None,
    rank: int | None = None,
    reason: str | None = None,
) -> Decision:
    return Decision(
        decision_id=record_id("d", program.program_id, str(context.period), explained.member_id),
        program_id=program.program_id,
        period=context.period,
        household_id=explained.household_id,
        member_id=explained.member_id,
        outcome=outcome,
        decided_on=context.day,
        rule_version=program.rule_version,
        amount=amount if outcome is Outcome.GRANTED else None,
        reason=reason if reason is not None else explained.reason(),
        conditions=explained.conditions,
        parameters=dict(explained.parameters),
        inputs=dict(explained.inputs),
        priority=rank,
    )


def _grant(program: AidProgram, fund: Fund, decision: Decision, amount: Decimal) -> Grant:
    assert decision.member_id is not None
    return Grant(
        grant_id=record_id("g", program.program_id, str(decision.period), decision.member_id),
        program_id=program.program_id,
        fund_id=fund.fund_id,
        period=decision.period,
        household_id=decision.household_id,
        member_id=decision.member_id,
        amount=amount,
        decided_on=decision.decided_on,
        decision_id=decision.decision_id,
        agency=program.program.agency,
    )


# --- with storage ----------------------------------------------------------------------


def find_fund(uow: UnitOfWork, program: AidProgram, period: Period) -> Fund:
    """The one fund of ``program`` for ``period``; :class:`AllocationError` if none or several."""
    return _fund_for(uow, program, period, None)


def _fund_for(uow: UnitOfWork, program: AidProgram, period: Period, fund_id: str | None) -> Fund:
    if fund_id is not None:
        return uow.funds.get(fund_id)
    funds = uow.funds.list(program_id=program.program_id, period=str(period))
    if not funds:
        raise AllocationError(f"no fund for programme {program.program_id} in {period}")
    if len(funds) > 1:
        ids = ", ".join(f.fund_id for f in funds)
        raise AllocationError(f"several funds for {program.program_id} in {period}: {ids}")
    return funds[0]


def programs_read(program: AidProgram) -> frozenset[str]:
    """The programmes whose grants an allocation of ``program`` reads: its own (one grant
    per person per period, across its funds) and every ``granted:<program>`` fact."""
    return frozenset(
        {
            program.program_id,
            *(
                name.removeprefix("granted:")
                for name in program.eligibility.facts()
                if name.startswith("granted:")
            ),
        }
    )


def context_for(
    uow: UnitOfWork,
    program: AidProgram,
    period: Period,
    on: date | None = None,
    monitored: Iterable[str] = MONITORED_STATUSES,
) -> Context:
    """The decision context from storage: pairings active on the day, and the grants of
    every programme the rules ask about (``granted:<program>`` facts)."""
    day = on if on is not None else period.start
    asked = {
        name.removeprefix("granted:")
        for name in program.eligibility.facts()
        if name.startswith("granted:")
    }
    grants = [g for program_id in sorted(asked) for g in uow.grants.list(program_id=program_id)]
    return Context.build(
        period, on=on, pairings=uow.pairings.active_on(day), grants=grants, monitored=monitored
    )


def allocate(
    uow: UnitOfWork,
    program: AidProgram,
    period: Period,
    *,
    on: date | None = None,
    fund_id: str | None = None,
    dry_run: bool = False,
    households: Sequence[Household] | None = None,
    monitored: Iterable[str] = MONITORED_STATUSES,
) -> AllocationPlan:
    """Plan and (unless ``dry_run``) write an allocation atomically, then commit ``uow``.

    Before anything is read, the allocation locks every programme whose grants its
    rules read (:func:`programs_read`): two allocations that exclude each other, or
    two periods of a once-only programme, are serialised, and each sees what the
    other granted. Then the fund is locked and its spending read. A dry run takes no
    lock, rolls back and writes nothing. ``households`` limits the scope (default:
    every stored household).
    """
    if not dry_run:
        uow.grants.lock_programs(programs_read(program))
    fund = _fund_for(uow, program, period, fund_id)
    if not dry_run:
        fund = uow.funds.lock(fund.fund_id)
    spent = uow.funds.spent(fund.fund_id)
    context = context_for(uow, program, period, on, monitored)
    scope = list(households) if households is not None else uow.households.list()
    existing = uow.grants.list(program_id=program.program_id)
    plan = plan_allocation(program, fund, scope, context, spent=spent, existing=existing)
    if dry_run:
        uow.rollback()
        return plan
    if uow.programs.find(program.program_id) is None:
        uow.programs.add(program.program)
    grants = _resolve_needs(uow, program, plan)
    uow.decisions.upsert_many(plan.decisions)
    uow.grants.add_many(grants)
    uow.notify("jieqin_grants_decided", decisions=list(plan.decisions), grants=list(grants))
    uow.commit()
    return attrs.evolve(plan, grants=tuple(grants), dry_run=False)


def _resolve_needs(uow: UnitOfWork, program: AidProgram, plan: AllocationPlan) -> list[Grant]:
    """Link each grant to the member's need routed to this programme, and resolve it."""
    routed = [
        n
        for n in uow.needs.list(status=NeedStatus.ROUTED)
        if n.route is not None
        and n.route.kind is RouteKind.PROGRAM
        and n.route.target == program.program_id
        and n.member_id is not None
    ]
    by_member = {n.member_id: n for n in sorted(routed, key=lambda n: n.need_id, reverse=True)}
    grants = []
    for grant in plan.grants:
        need = by_member.get(grant.member_id)
        if need is None:
            grants.append(grant)
            continue
        grants.append(attrs.evolve(grant, need_id=need.need_id))
        resolved = attrs.evolve(
            need,
            status=NeedStatus.RESOLVED,
            resolved_on=grant.decided_on,
            resolved_by=f"grant:{grant.grant_id}",
        )
        uow.needs.update(resolved)
        uow.notify("jieqin_need_resolved", need=resolved)
    return grants


def explain_member(
    uow: UnitOfWork,
    program: AidProgram,
    member_id: str,
    period: Period,
    *,
    on: date | None = None,
    reveal: bool = False,
    monitored: Iterable[str] = MONITORED_STATUSES,
) -> tuple[Eligibility, Decision | None]:
    """Why a member is or is not eligible now, and the stored decision if there is one."""
    try:
        household = uow.households.get(uow.households.household_of(member_id))
    except (KeyError, NotFound):
        raise NotFound(f"no member {member_id}") from None
    context = context_for(uow, program, period, on, monitored)
    explained = program.explain(
        Subject(household.member(member_id), household, context), reveal=reveal
    )
    stored = uow.decisions.find(record_id("d", program.program_id, str(period), member_id))
    return explained, stored
