"""Allocate a programme's fund: decide everyone, rank the eligible, grant until the budget is spent.

The allocation is planned first (:func:`plan_allocation`, pure: no storage) and then
written in one unit of work (:func:`allocate`):

1. every member of the households in scope is decided by the programme's rules; the
   whole population at once with numpy, then each member explained for the record;
2. members who already hold a grant in force of the programme for the period are left
   alone, so re-running a committed allocation grants nothing new (a revoked grant
   does not count: its member is decided again, under new decision and grant ids);
3. the eligible are ranked by the programme's documented priority (by default:
   monitored households first, then larger households, then member id);
4. in that order each gets the amount in force on the decision day while the fund's
   remaining budget (its budget in force, top-ups included, less its grants in force)
   covers it; from the first that does not fit on, everyone is
   wait-listed with the reason (strict priority order: nobody lower down jumps ahead
   because a smaller amount would still fit);
5. every decision is stored with the rule version, the parameter values (with their
   dates and sources) and the inputs read, sensitive inputs masked.

The fund is locked before its spending is read, so concurrent allocations from one
fund are serialised (and with its top-ups and closing); the unique ``(program,
period, member)`` index over grants in force is the last line against granting twice.
A closed fund grants nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
from attrs import frozen

from jieqin.errors import AllocationError, FundClosed, NotFound
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
from jieqin.storage._common import closed_message

if TYPE_CHECKING:
    from jieqin.storage.base import UnitOfWork

__all__ = [
    "AllocationPlan",
    "allocate",
    "context_for",
    "decision_history",
    "decision_id",
    "explain_member",
    "find_fund",
    "grant_id",
    "names_fund",
    "plan_allocation",
    "programs_read",
    "record_id",
    "revocation_id",
    "wait_list_reason",
]


#: Stable ids for decisions and grants, so a re-run writes the same records.
record_id = stable_id


def _round_id(prefix: str, program_id: str, period: Period, member_id: str, after: int) -> str:
    parts = [program_id, str(period), member_id]
    return record_id(prefix, *parts, f"r{after}") if after else record_id(prefix, *parts)


def decision_id(program_id: str, period: Period, member_id: str, after: int = 0) -> str:
    """The id of a member's decision for a programme period, ``after`` revoked grants
    of it (0: the first decision; a decision after a revocation is a record of its own)."""
    return _round_id("d", program_id, period, member_id, after)


def grant_id(program_id: str, period: Period, member_id: str, after: int = 0) -> str:
    """The id of a member's grant for a programme period, ``after`` revoked grants of it."""
    return _round_id("g", program_id, period, member_id, after)


def revocation_id(program_id: str, period: Period, who: str, number: int) -> str:
    """The id of the decision that records the ``number``-th revocation (from 1) of a
    member's (or household's, ``who``) grant for a programme period."""
    return record_id("d", program_id, str(period), who, f"revoked{number}")


def wait_list_reason(fund_id: str, left: Decimal, rank: int, cost: Decimal) -> str:
    """Why a member was wait-listed: the fund ran out at their rank."""
    return f"fund {fund_id} had {left} yuan left when rank {rank} was reached; {cost} needed"


def names_fund(reason: str, fund_id: str) -> bool:
    """Whether a wait-listed decision's reason (:func:`wait_list_reason`) names the fund."""
    return reason.startswith(f"fund {fund_id} had ")


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
    entitlements: Mapping[str, Decimal | None] = attrs.field(factory=dict)
    """Decision id -> what the member is entitled to, for every eligible member ranked
    (granted or wait-listed): what a wait-listed member would get."""

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

    ``existing`` are the grants of this programme already made (any period; those in
    force of ``context.period`` make this run idempotent, the revoked ones number the
    new decisions). ``spent`` is what the fund has paid (its grants in force).
    """
    period = context.period
    _check_fund(program, fund, period)
    mine = [g for g in existing if g.period == period and g.member_id is not None]
    held = {g.member_id for g in mine if g.in_force and g.member_id is not None}
    after = Counter(g.member_id for g in mine if not g.in_force)
    eligible, decisions = _decide(program, households, context, held, after, record_ineligible)
    left = fund.budget - spent
    grants: list[Grant] = []
    entitlements: dict[str, Decimal | None] = {}
    full = False
    for rank, explained in enumerate(program.rank(eligible), start=1):
        cost = explained.amount if explained.amount is not None else ZERO
        rounds = after[explained.member_id]
        full = full or cost > left
        if full:
            reason = wait_list_reason(fund.fund_id, left, rank, cost)
            decision = _decision(
                program, explained, context, Outcome.WAIT_LISTED, rank, reason, rounds
            )
        else:
            left -= cost
            decision = _decision(program, explained, context, Outcome.GRANTED, rank, None, rounds)
            grants.append(_grant(program, fund, decision, cost, rounds))
        decisions.append(decision)
        entitlements[decision.decision_id] = explained.amount
    return AllocationPlan(
        program_id=program.program_id,
        fund_id=fund.fund_id,
        period=period,
        decided_on=context.day,
        rule_version=program.rule_version,
        amount=program.amount_on(context.day),
        budget=fund.budget,
        spent_before=spent,
        priority=program.priority_text(),
        decisions=tuple(sorted(decisions, key=lambda d: d.decision_id)),
        grants=tuple(grants),
        already_granted=tuple(sorted(held)),
        entitlements=entitlements,
    )


def _decide(
    program: AidProgram,
    households: Sequence[Household],
    context: Context,
    held: set[str],
    after: Counter[str | None],
    record_ineligible: bool,
) -> tuple[list[Eligibility], list[Decision]]:
    """Every member not holding a grant in force, decided over the whole population at
    once and explained one by one: the eligible, and the ineligible's decisions."""
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
            decisions.append(
                _decision(program, explained, context, Outcome.INELIGIBLE, after=after[member_id])
            )
    return eligible, decisions


def _decision(
    program: AidProgram,
    explained: Eligibility,
    context: Context,
    outcome: Outcome,
    rank: int | None = None,
    reason: str | None = None,
    after: int = 0,
) -> Decision:
    """The decision on one member; ``after`` revoked grants of the programme period."""
    return Decision(
        decision_id=decision_id(program.program_id, context.period, explained.member_id, after),
        program_id=program.program_id,
        period=context.period,
        household_id=explained.household_id,
        member_id=explained.member_id,
        outcome=outcome,
        decided_on=context.day,
        rule_version=program.rule_version,
        amount=explained.amount if outcome is Outcome.GRANTED else None,
        reason=reason if reason is not None else explained.reason(),
        conditions=explained.conditions,
        parameters=dict(explained.parameters),
        inputs=dict(explained.inputs),
        priority=rank,
    )


def _grant(
    program: AidProgram, fund: Fund, decision: Decision, amount: Decimal, after: int
) -> Grant:
    assert decision.member_id is not None
    return Grant(
        grant_id=grant_id(program.program_id, decision.period, decision.member_id, after),
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


def find_fund(
    uow: UnitOfWork, program: AidProgram, period: Period, fund_id: str | None = None
) -> Fund:
    """The fund an allocation of ``program`` for ``period`` grants from: ``fund_id``, or
    the programme period's one open fund.

    :raises NotFound: no fund ``fund_id``.
    :raises AllocationError: no open fund, or several (each message names the command
        that settles it).
    """
    return _fund_for(uow, program, period, fund_id)


def _fund_for(uow: UnitOfWork, program: AidProgram, period: Period, fund_id: str | None) -> Fund:
    program_id = program.program_id
    if fund_id is not None:
        fund = uow.funds.find(fund_id)
        if fund is None:
            raise NotFound(
                f"no fund {fund_id}; `jieqin funds list --program {program_id}` lists the "
                "programme's funds"
            )
        return fund
    funds = uow.funds.list(program_id=program_id, period=str(period))
    open_funds = [f for f in funds if not f.closed]
    add = (
        f"add one with `jieqin funds add FUND_ID --program {program_id} --period {period} "
        "--budget AMOUNT`"
    )
    if not funds:
        raise AllocationError(f"no fund for programme {program_id} in {period}: {add}")
    if not open_funds:
        closed = ", ".join(f"{f.fund_id} on {f.closed_on}" for f in funds)
        raise AllocationError(
            f"every fund for programme {program_id} in {period} is closed ({closed}): {add}"
        )
    if len(open_funds) > 1:
        ids = ", ".join(f.fund_id for f in open_funds)
        raise AllocationError(
            f"several funds for {program_id} in {period}: {ids}; choose one with --fund "
            f"(`jieqin aid run {program_id} --period {period} --fund {open_funds[0].fund_id}`)"
        )
    return open_funds[0]


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
    """The decision context from storage: pairings active on the day, and the grants in
    force of every programme the rules ask about (``granted:<program>`` facts)."""
    day = on if on is not None else period.start
    asked = {
        name.removeprefix("granted:")
        for name in program.eligibility.facts()
        if name.startswith("granted:")
    }
    grants = [
        g
        for program_id in sorted(asked)
        for g in uow.grants.list(program_id=program_id)
        if g.in_force
    ]
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
    other granted. Then the fund is locked and its budget in force and spending read
    (a top-up or closing of the fund waits for the allocation, or the allocation for
    it). A closed fund is refused (:class:`~jieqin.errors.FundClosed`). A dry run
    takes no lock, rolls back and writes nothing. ``households`` limits the scope
    (default: every stored household).
    """
    if not dry_run:
        uow.grants.lock_programs(programs_read(program))
    fund = _fund_for(uow, program, period, fund_id)
    if not dry_run:
        fund = uow.funds.lock(fund.fund_id)
    if fund.closed:
        raise FundClosed(closed_message(fund))
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
    """Why a member is or is not eligible now, and the latest stored decision if there is
    one (a revocation is a decision too; :func:`decision_history` gives them all)."""
    try:
        household = uow.households.get(uow.households.household_of(member_id))
    except (KeyError, NotFound):
        raise NotFound(f"no member {member_id}") from None
    context = context_for(uow, program, period, on, monitored)
    explained = program.explain(
        Subject(household.member(member_id), household, context), reveal=reveal
    )
    history = decision_history(uow, program.program_id, period, member_id)
    return explained, history[-1] if history else None


def decision_history(
    uow: UnitOfWork, program_id: str, period: Period, member_id: str
) -> list[Decision]:
    """A member's decisions for a programme period in the order they were made: the
    first decision, then each revocation and the decision after it."""
    decisions = uow.decisions.list(program_id=program_id, period=str(period), member_id=member_id)
    order: dict[str, int] = {}
    for after in range(len(decisions) + 1):
        order[decision_id(program_id, period, member_id, after)] = 2 * after
        order[revocation_id(program_id, period, member_id, after + 1)] = 2 * after + 1
    return sorted(
        (d for d in decisions if d.decision_id in order), key=lambda d: order[d.decision_id]
    )
