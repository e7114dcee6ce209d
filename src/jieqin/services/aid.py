"""Allocate a programme's fund: decide everyone, rank the eligible, grant until the budget is spent.

The allocation is planned first (:func:`plan_allocation`, pure: no storage) and then
written in one unit of work (:func:`allocate`):

1. households outside the programme's regions (:attr:`AidProgram.regions`) are not
   decided at all; every member of the others is decided by the programme's rules,
   the whole population at once with numpy, then each member explained for the
   record. A programme that grants per household decides each household once: it is
   eligible when the rule holds for one of its members at least, and its decision
   carries the explanation of its applicant, the first of those by priority;
2. members (households) who already hold a grant in force of the programme for the
   period are left alone, so re-running a committed allocation grants nothing new (a
   revoked grant does not count: its member is decided again, under new decision and
   grant ids);
3. the eligible are ranked by the programme's documented priority (by default:
   monitored households first, then larger households, then member or household id);
4. the programme's caps (:class:`~jieqin.rules.GrantCap`) cut each entitlement to
   what they leave the household or member in the period, counting the grants in
   force of the programmes they cover and those planned before it in this run; one
   they leave nothing is ineligible, with a reason that names the cap;
5. in that order each gets the amount in force on the decision day while the fund's
   remaining budget (its budget in force, top-ups included, less its grants in force)
   covers it; from the first that does not fit on, everyone is
   wait-listed with the reason (strict priority order: nobody lower down jumps ahead
   because a smaller amount would still fit);
6. every decision is stored with the rule version, the parameter values (with their
   dates and sources) and the inputs read, sensitive inputs masked.

The fund is locked before its spending is read, so concurrent allocations from one
fund are serialised (and with its top-ups and closing), and so are the programmes
whose grants the rules and caps read; the unique ``(program, period, member)`` and
``(program, period, household)`` indexes over grants in force are the last line
against granting twice. A closed fund grants nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    GrantUnit,
    Household,
    Need,
    NeedStatus,
    Outcome,
    Period,
    RouteKind,
)
from jieqin.model.money import ZERO
from jieqin.rules import AidProgram, Context, Eligibility, Subject
from jieqin.rules.expressions import MASK
from jieqin.rules.facts import fact_definition
from jieqin.rules.ids import stable_id
from jieqin.services.caps import CapLedger, counted_grants, programs_capped
from jieqin.storage._common import closed_message
from jieqin.storage.base import HouseholdRowSource

if TYPE_CHECKING:
    from jieqin.services.allocation_scope import Scope
    from jieqin.storage.base import UnitOfWork
    from jieqin.storage.rows import HouseholdRows

__all__ = [
    "AllocationPlan",
    "Recorder",
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
    "record_allocation",
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
    of it (0: the first decision; a decision after a revocation is a record of its own).
    For a programme that grants per household, ``member_id`` is the household's id."""
    return _round_id("d", program_id, period, member_id, after)


def grant_id(program_id: str, period: Period, member_id: str, after: int = 0) -> str:
    """The id of a member's (or household's) grant for a programme period, ``after``
    revoked grants of it."""
    return _round_id("g", program_id, period, member_id, after)


def revocation_id(program_id: str, period: Period, who: str, number: int) -> str:
    """The id of the decision that records the ``number``-th revocation (from 1) of a
    member's (or household's, ``who``) grant for a programme period."""
    return record_id("d", program_id, str(period), who, f"revoked{number}")


def wait_list_reason(fund_id: str, left: Decimal, rank: int, cost: Decimal, order: str = "") -> str:
    """Why a member was wait-listed, and which order applied: the fund ran out at
    ``rank`` (the first member whose amount did not fit), and allocation keeps strict
    priority order, so nobody ranked lower is granted ahead, even when a smaller
    amount would still fit. ``order`` is the priority (:meth:`AidProgram.priority_text`)."""
    ranked = f"rank {rank}"
    text = (
        f"fund {fund_id} had {_yuan(left)} yuan left when {ranked} was reached and "
        f"{_yuan(cost)} were needed; strict priority order: nobody ranked lower is granted "
        f"before {ranked}"
    )
    return f"{text} (order: {order})" if order else text


def _yuan(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01")))


def names_fund(reason: str, fund_id: str) -> bool:
    """Whether a wait-listed decision's reason names the fund: any reason
    :func:`wait_list_reason` gives, and those it gave before it said the order
    (``fund F had 0.00 yuan left when rank 3 was reached; 5000.00 needed``)."""
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
    """Members (households, for a programme that grants per household) who held a grant
    of this programme period before this run (not decided again)."""
    dry_run: bool = True
    entitlements: Mapping[str, Decimal | None] = attrs.field(factory=dict)
    """Decision id -> what the member is entitled to, for every eligible member ranked
    (granted or wait-listed): what a wait-listed member would get (after the caps)."""
    grant_unit: GrantUnit = GrantUnit.MEMBER
    scope: str = "every region"
    """The regions the programme serves (:meth:`AidProgram.scope_text`)."""
    out_of_scope: int = 0
    """Households left out because they live outside the programme's regions."""
    members_granted: int = 0
    """Members granted: per member, those with a grant; per household, the current
    members of the households granted (everyone a household grant covers)."""

    @property
    def granted_total(self) -> Decimal:
        return sum((g.amount for g in self.grants), ZERO)

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.spent_before - self.granted_total

    def count(self, outcome: Outcome) -> int:
        return sum(1 for d in self.decisions if d.outcome is outcome)

    @property
    def households_granted(self) -> int:
        """Households that got a grant in this run (one per member grant's household)."""
        return len({g.household_id for g in self.grants})

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
            "grant_unit": str(self.grant_unit),
            "households_granted": self.households_granted,
            "members_granted": self.members_granted,
            "scope": self.scope,
            "out_of_scope": self.out_of_scope,
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
    households: Sequence[Household] | Sequence[HouseholdRows],
    context: Context,
    *,
    spent: Decimal = ZERO,
    existing: Iterable[Grant] = (),
    record_ineligible: bool = True,
    counted: Iterable[Grant] = (),
) -> AllocationPlan:
    """Decide, rank and grant on paper; nothing is written.

    ``existing`` are the grants of this programme already made (any period; those in
    force of ``context.period`` make this run idempotent, the revoked ones number the
    new decisions). ``spent`` is what the fund has paid (its grants in force).
    ``counted`` are the grants in force that the programme's caps count, its own
    among them (:func:`~jieqin.services.caps.counted_grants`). Households outside the
    programme's regions are not decided. ``households`` may be the rows storage reads
    (:class:`~jieqin.storage.rows.HouseholdRows`): a household is then built only when
    one of its members is explained (:mod:`jieqin.services.allocation_scope`).
    """
    from jieqin.services.allocation_scope import served as serving

    period = context.period
    _check_fund(program, fund, period)
    existing = list(existing)
    served, left_out = serving(program, households)
    held, covered, after = _held(program, [g for g in existing if g.period == period])
    eligible, decisions = _decide(
        program, served, context, (held, covered), after, record_ineligible
    )
    ledger = CapLedger(program, period, context.day, counted)
    ranked, grants, entitlements = _grant_in_order(
        program, fund, context, eligible, fund.budget - spent, after, ledger
    )
    decisions.extend(ranked)
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
        grant_unit=program.grant_unit,
        scope=program.scope_text(),
        out_of_scope=left_out,
        members_granted=_members_granted(grants, served.sizes),
    )


def _held(
    program: AidProgram, mine: Sequence[Grant]
) -> tuple[set[str], set[str], Counter[str | None]]:
    """Who holds a grant in force of the programme period, whose grants were revoked.

    Per member: the members holding a member grant, the households holding a household
    grant (their members are not decided again), and the revoked member grants by
    member. Per household: the households holding any grant, and the revoked household
    grants by household."""
    in_force = [g for g in mine if g.in_force]
    revoked = [g for g in mine if not g.in_force]
    if program.grant_unit is GrantUnit.HOUSEHOLD:
        held = {g.household_id for g in in_force}
        return held, set(), Counter(g.household_id for g in revoked if g.member_id is None)
    held = {g.member_id for g in in_force if g.member_id is not None}
    covered = {g.household_id for g in in_force if g.member_id is None}
    return held, covered, Counter(g.member_id for g in revoked if g.member_id is not None)


def _members_granted(grants: Sequence[Grant], sizes: Mapping[str, int]) -> int:
    """Members a run granted: those with a member grant, and the current members of
    the households with a household grant (``sizes``: current members by household)."""
    members = {g.member_id for g in grants if g.member_id is not None}
    return len(members) + sum(sizes.get(g.household_id, 0) for g in grants if g.member_id is None)


def _grant_in_order(
    program: AidProgram,
    fund: Fund,
    context: Context,
    eligible: Sequence[Eligibility],
    left: Decimal,
    after: Counter[str | None],
    ledger: CapLedger,
) -> tuple[list[Decision], list[Grant], dict[str, Decimal | None]]:
    """Rank the eligible and grant in that order while the fund covers each: a cap cuts
    an entitlement to what it leaves (to nothing: ineligible, naming the cap); from the
    first that the fund does not cover on, everyone is wait-listed."""
    decisions: list[Decision] = []
    grants: list[Grant] = []
    entitlements: dict[str, Decimal | None] = {}
    full = False
    rank = 0
    for explained in program.rank(eligible):
        rounds = after[_who(program, explained)]
        member_id = None if program.grant_unit is GrantUnit.HOUSEHOLD else explained.member_id
        entitled = explained.amount if explained.amount is not None else ZERO
        cost, cap = ledger.allowed(explained.household_id, member_id, entitled)
        if cap is not None and cost <= ZERO:
            reason = ledger.used_up(cap)
            decisions.append(
                _decision(program, explained, context, Outcome.INELIGIBLE, None, reason, rounds)
            )
            continue
        rank += 1
        if cap is not None:
            explained = attrs.evolve(explained, amount=cost)
        full = full or cost > left
        if full:
            reason = wait_list_reason(fund.fund_id, left, rank, cost, program.priority_text())
            decision = _decision(
                program, explained, context, Outcome.WAIT_LISTED, rank, reason, rounds
            )
        else:
            left -= cost
            note = None if cap is None else ledger.reduced(cap, entitled, cost)
            decision = _decision(program, explained, context, Outcome.GRANTED, rank, note, rounds)
            grants.append(_grant(program, fund, decision, cost, rounds))
            ledger.take(explained.household_id, member_id, cost)
        decisions.append(decision)
        entitlements[decision.decision_id] = explained.amount
    return decisions, grants, entitlements


def _who(program: AidProgram, explained: Eligibility) -> str:
    """Whom a decision and grant are keyed on: the member, or per household the household."""
    if program.grant_unit is GrantUnit.HOUSEHOLD:
        return explained.household_id
    return explained.member_id


def _decide(
    program: AidProgram,
    households: Scope,
    context: Context,
    held: tuple[set[str], set[str]],
    after: Counter[str | None],
    record_ineligible: bool,
) -> tuple[list[Eligibility], list[Decision]]:
    """Every member not holding a grant in force, decided over the whole population at
    once and explained one by one: the eligible, and the ineligible's decisions.
    ``held``: the members (households, per household) holding a grant in force, and the
    households whose household grant covers their members. Per household,
    :func:`_decide_households`."""
    holders, covered = held
    if program.grant_unit is GrantUnit.HOUSEHOLD:
        return _decide_households(program, households, context, holders, after, record_ineligible)
    population = households.population
    eligible_mask = program.eligible(population, context)
    explain = _Explainer(program, households, context)
    eligible: list[Eligibility] = []
    decisions: list[Decision] = []
    for row, member_id in enumerate(population.member_ids):
        household_id = population.household_ids[population.member_household[row]]
        if member_id in holders or household_id in covered:
            continue
        is_eligible = bool(eligible_mask[row])
        if not is_eligible and not record_ineligible:
            continue
        explained = explain(row, household_id, is_eligible)
        if is_eligible:
            eligible.append(explained)
        else:
            decisions.append(
                _decision(program, explained, context, Outcome.INELIGIBLE, after=after[member_id])
            )
    return eligible, decisions


class _Explainer:
    """Members explained as :meth:`AidProgram.explain` explains them, each group of alike
    members (:meth:`AidProgram.alike`: the same value of every fact the programme reads)
    explained once: the others get its explanation with their own ids. The second member
    of each group is explained in full too and must match what it would have got, and
    every member is held to the vectorised decision; a programme whose explanation
    names anything of a member's own but the ids is explained member by member."""

    def __init__(self, program: AidProgram, households: Scope, context: Context) -> None:
        self.program = program
        self.context = context
        self.households = households
        self.member_ids = households.population.member_ids
        self.groups = program.alike(households.population, context).tolist()
        self.first: dict[int, Eligibility] = {}
        self.checked: set[int] = set()

    def __call__(self, row: int, household_id: str, expected: bool) -> Eligibility:
        member_id = self.member_ids[row]
        group = self.groups[row]
        first = self.first.get(group)
        if first is None:
            household = self.households.household(household_id)
            explained = _explained(self.program, household, member_id, self.context, expected)
            if explained.inputs.get("resident_id") == MASK:
                self.first[group] = explained
            return explained
        alike = _alike(first, member_id, household_id)
        if group not in self.checked:
            self.checked.add(group)
            household = self.households.household(household_id)
            explained = _explained(self.program, household, member_id, self.context, expected)
            if explained != alike:
                raise AllocationError(
                    f"rule {self.program.rule_version} explains member {member_id} unlike "
                    f"member {first.member_id}, though they read the same facts"
                )
        if alike.eligible != expected:
            raise AllocationError(
                f"rule {self.program.rule_version} disagrees with itself on member {member_id}"
            )
        return alike


def _alike(explained: Eligibility, member_id: str, household_id: str) -> Eligibility:
    """``explained`` (of a member alike in every fact read) said of another member."""
    inputs = dict(explained.inputs)
    inputs["member"] = member_id
    inputs["household"] = household_id
    return attrs.evolve(
        explained,
        member_id=member_id,
        household_id=household_id,
        inputs=inputs,
        sort_key=(*explained.sort_key[:-1], member_id),
    )


def _explained(
    program: AidProgram, household: Household, member_id: str, context: Context, expected: bool
) -> Eligibility:
    """One member explained, held to the vectorised decision ``expected``."""
    explained = program.explain(Subject(household.member(member_id), household, context))
    if explained.eligible != expected:
        raise AllocationError(
            f"rule {program.rule_version} disagrees with itself on member {member_id}"
        )
    return explained


def _decide_households(
    program: AidProgram,
    households: Scope,
    context: Context,
    held: set[str],
    after: Counter[str | None],
    record_ineligible: bool,
) -> tuple[list[Eligibility], list[Decision]]:
    """Each household not holding a grant in force, decided once: eligible when the rule
    holds for one of its members at least. An eligible household is represented by its
    applicant, the first by priority of the members the rule held for; an ineligible
    one's decision explains its first member by priority."""
    population = households.population
    eligible_mask = program.eligible(population, context)
    explain = _Explainer(program, households, context)
    rows: list[list[int]] = [[] for _ in population.household_ids]
    for row, household_row in enumerate(population.member_household.tolist()):
        rows[household_row].append(row)
    eligible: list[Eligibility] = []
    decisions: list[Decision] = []
    for household_id, members in zip(population.household_ids, rows, strict=True):
        if household_id in held:
            continue
        hits = [row for row in members if eligible_mask[row]]
        if not hits and not record_ineligible:
            continue
        explained = [explain(row, household_id, bool(hits)) for row in (hits or members)]
        first = min(explained, key=lambda e: e.sort_key)
        if hits:
            eligible.append(first)
        else:
            rounds = after[household_id]
            decisions.append(_decision(program, first, context, Outcome.INELIGIBLE, after=rounds))
    return eligible, decisions


def _applicant_hidden(program: AidProgram) -> bool:
    """Whether naming a household's applicant would tell a sensitive fact: the rules, or
    the priority that chose among the members, read one."""
    return program.sensitive or any(fact_definition(p.fact).sensitive for p in program.priority)


def _decision(
    program: AidProgram,
    explained: Eligibility,
    context: Context,
    outcome: Outcome,
    rank: int | None = None,
    reason: str | None = None,
    after: int = 0,
) -> Decision:
    """The decision on one member (or household); ``after`` revoked grants of the
    programme period. A household's decision names no member: its inputs name the
    applicant (masked when that would tell a sensitive fact)."""
    member_id: str | None = explained.member_id
    inputs = dict(explained.inputs)
    if program.grant_unit is GrantUnit.HOUSEHOLD:
        member_id = None
        shown = MASK if _applicant_hidden(program) else explained.member_id
        inputs["member"] = shown
        if outcome is not Outcome.INELIGIBLE:
            inputs["applicant"] = shown
    return Decision(
        decision_id=decision_id(
            program.program_id, context.period, _who(program, explained), after
        ),
        program_id=program.program_id,
        period=context.period,
        household_id=explained.household_id,
        member_id=member_id,
        outcome=outcome,
        decided_on=context.day,
        rule_version=program.rule_version,
        amount=explained.amount if outcome is Outcome.GRANTED else None,
        reason=reason if reason is not None else explained.reason(),
        conditions=explained.conditions,
        parameters=dict(explained.parameters),
        inputs=inputs,
        priority=rank,
    )


def _grant(
    program: AidProgram, fund: Fund, decision: Decision, amount: Decimal, after: int
) -> Grant:
    """The grant a decision makes: to its member, or per household to the household."""
    who = decision.member_id if decision.member_id is not None else decision.household_id
    return Grant(
        grant_id=grant_id(program.program_id, decision.period, who, after),
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
    per person per period, across its funds), every ``granted:<program>`` fact, and the
    programmes its caps name (a cap over every programme reads them all: see
    :func:`~jieqin.services.caps.programs_capped`)."""
    return frozenset(
        {
            program.program_id,
            *(
                name.removeprefix("granted:")
                for name in program.eligibility.facts()
                if name.startswith("granted:")
            ),
            *(p for cap in program.caps if cap.programs is not None for p in cap.programs),
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
    from jieqin.services.approval import planned_grants

    grants += planned_grants(uow, asked)  # a grant on a pending plan counts as made
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
    record: Recorder | None = None,
) -> AllocationPlan:
    """Plan and (unless ``dry_run``) write an allocation atomically, then commit ``uow``.

    Before anything is read, the allocation locks every programme whose grants its
    rules read (:func:`programs_read`): two allocations that exclude each other, or
    two periods of a once-only programme, are serialised, and each sees what the
    other granted. Then the fund is locked and its budget in force and spending read
    (a top-up or closing of the fund waits for the allocation, or the allocation for
    it). A closed fund is refused (:class:`~jieqin.errors.FundClosed`). A dry run
    takes no lock, rolls back and writes nothing. ``households`` limits the scope
    (default: every stored household; those outside the programme's regions are left
    out either way). The programme's caps count the grants in force read after the
    locks (:func:`~jieqin.services.caps.counted_grants`).

    The fund's money held back by allocation plans (``funds.reserved``) is spent
    already for this run, and members on a plan of the programme period are left
    alone. ``record`` writes the plan instead of :func:`record_allocation` (a plan
    stored for approval, :func:`jieqin.services.approval.plan_pending`); a programme
    that needs approval (``AidProgram.approval``) is refused without one.

    A referral programme (``ProgramKind.REFERRAL``) grants no money: it refers the
    eligible to its agency, with no fund (:mod:`jieqin.services.referral_programs`).
    """
    from jieqin.services.approval import planned_grants
    from jieqin.services.referral_programs import allocate_referrals, refers

    if refers(program):
        return allocate_referrals(
            uow, program, period, on=on, dry_run=dry_run, households=households,
            monitored=monitored, fund_id=fund_id,
        )  # fmt: skip

    if program.approval and record is None and not dry_run:
        raise AllocationError(
            f"programme {program.program_id} needs approval and a public notice before it "
            f"grants: store the allocation as a plan with `jieqin aid run "
            f"{program.program_id} --period {period} --pending`"
        )
    if not dry_run:
        uow.grants.lock_programs(programs_read(program) | programs_capped(uow, program))
    fund = _fund_for(uow, program, period, fund_id)
    if not dry_run:
        fund = uow.funds.lock(fund.fund_id)
    if fund.closed:
        raise FundClosed(closed_message(fund))
    spent = uow.funds.spent(fund.fund_id) + uow.funds.reserved(fund.fund_id)
    context = context_for(uow, program, period, on, monitored)
    scope = list(households) if households is not None else _stored_households(uow)
    existing = [
        *uow.grants.list(program_id=program.program_id),
        *planned_grants(uow, {program.program_id}, refused=True),
    ]
    counted = counted_grants(uow, program, period)
    plan = plan_allocation(
        program, fund, scope, context, spent=spent, existing=existing, counted=counted
    )
    if dry_run:
        uow.rollback()
        return plan
    plan = (record or record_allocation)(uow, program, plan)
    uow.commit()
    return plan


def _stored_households(uow: UnitOfWork) -> Sequence[Household] | Sequence[HouseholdRows]:
    """Every stored household: as rows when the backend reads them (``iter_rows``, the
    SQL backend: no model object is built for a member who is not explained), else as
    households."""
    households = uow.households
    if isinstance(households, HouseholdRowSource):
        return [rows for batch in households.iter_rows() for rows in batch]
    return uow.households.list()


#: Writes a planned allocation in a unit of work (:func:`record_allocation`, or a plan
#: stored for approval) and returns the plan as written.
Recorder = Callable[["UnitOfWork", AidProgram, AllocationPlan], AllocationPlan]


def record_allocation(uow: UnitOfWork, program: AidProgram, plan: AllocationPlan) -> AllocationPlan:
    """Write an allocation's decisions and grants (not committed): each grant linked to
    the need it meets, which is resolved; ``jieqin_grants_decided`` queued. The one
    write path of an allocation and of a committed plan (:mod:`jieqin.services.approval`)."""
    if uow.programs.find(program.program_id) is None:
        uow.programs.add(program.program)
    grants = _resolve_needs(uow, program, plan)
    uow.decisions.upsert_many(plan.decisions)
    uow.grants.add_many(grants)
    uow.notify("jieqin_grants_decided", decisions=list(plan.decisions), grants=list(grants))
    return attrs.evolve(plan, grants=tuple(grants), dry_run=False)


def _resolve_needs(uow: UnitOfWork, program: AidProgram, plan: AllocationPlan) -> list[Grant]:
    """Link each grant to the need routed to this programme that it meets, and resolve
    it: a member grant the member's need; a household grant every such need of the
    household (it is linked to the household's own, else to its first member's)."""
    routed = [
        n
        for n in uow.needs.list(status=NeedStatus.ROUTED)
        if n.route is not None
        and n.route.kind is RouteKind.PROGRAM
        and n.route.target == program.program_id
    ]
    by_member = {
        n.member_id: n
        for n in sorted(routed, key=lambda n: n.need_id, reverse=True)
        if n.member_id is not None
    }
    by_household: dict[str, list[Need]] = {}
    for need in sorted(routed, key=lambda n: (n.member_id is not None, n.need_id)):
        by_household.setdefault(need.household_id, []).append(need)
    grants = []
    for grant in plan.grants:
        if grant.member_id is not None:
            met = [by_member[grant.member_id]] if grant.member_id in by_member else []
        else:
            met = by_household.get(grant.household_id, [])
        grants.append(attrs.evolve(grant, need_id=met[0].need_id) if met else grant)
        for need in met:
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
    """Why a member is or is not eligible, and the latest stored decision if there is
    one (a revocation is a decision too; :func:`decision_history` gives them all).

    The rules are applied on ``on`` when given; else on the day of the latest stored
    decision, so that the explanation is of the decision people read beside it; else
    today (``uow.today``), brought into the period when it falls outside it. The
    explanation says which day (``Eligibility.on``) and why (``Eligibility.on_why``).
    """
    try:
        household = uow.households.get(uow.households.household_of(member_id))
    except (KeyError, NotFound):
        raise NotFound(f"no member {member_id}") from None
    history = decision_history(uow, program.program_id, period, member_id)
    stored = history[-1] if history else None
    day, why = _explanation_day(period, on, stored, uow.today)
    context = context_for(uow, program, period, day, monitored)
    explained = program.explain(
        Subject(household.member(member_id), household, context), reveal=reveal
    )
    return attrs.evolve(explained, on=day, on_why=why), stored


def _explanation_day(
    period: Period, on: date | None, stored: Decision | None, today: date
) -> tuple[date, str]:
    """The day :func:`explain_member` applies the rules on, and why that day."""
    if on is not None:
        return on, "the day asked for"
    if stored is not None:
        return stored.decided_on, "the day of the latest stored decision"
    if today < period.start:
        return period.start, (
            f"no stored decision; today ({today.isoformat()}) is before {period}, so its first day"
        )
    if today > period.end:
        return period.end, (
            f"no stored decision; today ({today.isoformat()}) is after {period}, so its last day"
        )
    return today, "no stored decision, so today"


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
