"""Approval and public notice (公示) of allocations: no money moves on one person's word.

A programme that needs approval (``AidProgram.approval``) is allocated as a *plan*
(:func:`plan_pending`): the allocation decides, ranks and grants on paper exactly as
:func:`~jieqin.services.aid.allocate` does, but stores a :class:`~jieqin.model.Plan`
with one :class:`~jieqin.model.PlanItem` per decision instead of the decisions and
grants. The planned grants' money is reserved in the fund (``funds.reserved``), so
every later allocation from the fund, pending or not, sees it spent.

- :func:`approve_plan`: someone in a role that decides (``Role.decides``) and who did
  not make the plan approves it (maker-checker); the public notice starts that day
  and runs ``notice_days`` days (the programme's default, or the approver's).
- :func:`plan_notice`: the list to post, as the privacy rules allow it (masked
  names, village, amount; for a programme whose rules read a health or disability
  fact only the number of recipients per village, since being listed tells the fact).
- :func:`record_objection`: during the notice, an objection to a listed person or
  household holds their item; :func:`decide_objection` upholds it (not granted, the
  money freed) or dismisses it (granted with the others, or at once if the plan was
  committed already). Deciding needs a role that decides and someone other than the
  plan's maker.
- :func:`commit_plan`: after the notice, every planned item is granted through the
  allocation's own write path (:func:`~jieqin.services.aid.record_allocation`: same
  ids, needs resolved, ``jieqin_grants_decided`` called), after the fund and the
  one-grant-per-person rule are checked again; held items stay reserved.
- :func:`withdraw_plan`: a plan not committed is withdrawn, saying why: every reserved
  yuan is freed and nothing is granted.

Every step locks the programmes the rules read and the plan's fund first, so steps of
one plan, and allocations from its fund, are serialised. Each step commits its unit of
work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs
from attrs import frozen

from jieqin.errors import AllocationError, FundClosed, InvalidValue, NotFound, PlanRefused
from jieqin.model import (
    MONITORED_STATUSES,
    Decision,
    Grant,
    Household,
    ItemStatus,
    Objection,
    ObjectionStatus,
    Outcome,
    Period,
    Plan,
    PlanItem,
    PlanStatus,
)
from jieqin.model.money import ZERO
from jieqin.model.plans import RESERVING
from jieqin.rules import AidProgram
from jieqin.security.roles import NotPermitted, Role
from jieqin.services.aid import (
    AllocationPlan,
    allocate,
    programs_read,
    record_allocation,
    record_id,
)
from jieqin.storage._common import closed_message

if TYPE_CHECKING:
    from jieqin.storage.base import UnitOfWork

__all__ = [
    "CommittedPlan",
    "DecidedObjection",
    "Notice",
    "NoticeCount",
    "NoticeLine",
    "PendingPlan",
    "approve_plan",
    "commit_plan",
    "decide_objection",
    "maker_checker",
    "notice_period",
    "plan_notice",
    "plan_pending",
    "planned_grants",
    "record_objection",
    "withdraw_plan",
]

#: The items a notice lists: the plan's grants not refused or withdrawn.
_LISTED = frozenset({ItemStatus.PLANNED, ItemStatus.HELD, ItemStatus.GRANTED})


@frozen
class PendingPlan:
    """A plan stored for approval, and what its allocation decided (nothing granted)."""

    plan: Plan
    allocation: AllocationPlan


@frozen
class CommittedPlan:
    """A committed plan: what was written, and the items objections still hold."""

    plan: Plan
    allocation: AllocationPlan
    """The decisions and grants written at the commit (``grants`` as stored)."""
    held: tuple[PlanItem, ...]


@frozen
class DecidedObjection:
    """A decided objection, and the decision and grant its decision wrote (if any: a
    dismissal before the commit writes nothing, the commit will)."""

    objection: Objection
    decisions: tuple[Decision, ...] = ()
    grants: tuple[Grant, ...] = ()


@frozen
class NoticeLine:
    """One person (or household) on a public notice."""

    village_code: str
    village: str
    """The village's registered name, or its code."""
    name: str
    """Masked (``王**``): a notice never shows a full name."""
    amount: Decimal


@frozen
class NoticeCount:
    """How many a notice that lists no one counts in one village."""

    village_code: str
    village: str
    count: int


@frozen
class Notice:
    """A plan's public notice as it may be posted.

    ``draft``: the plan is not approved yet, and ``notice_from``/``notice_until`` are
    the period it would run if approved today. ``counted_only``: the programme's rules
    read a health or disability fact, so ``lines`` is empty and ``counts`` gives the
    number of recipients per village (who is listed would tell the fact).
    """

    plan_id: str
    program_id: str
    program_name: str
    funder: str
    period: Period
    notice_from: date
    notice_until: date
    draft: bool
    counted_only: bool
    lines: tuple[NoticeLine, ...]
    counts: tuple[NoticeCount, ...]
    total_count: int
    total_amount: Decimal


# -- what plans hold back -------------------------------------------------------------


def planned_grants(
    uow: UnitOfWork, program_ids: Iterable[str], *, refused: bool = False
) -> list[Grant]:
    """The grants that plans of these programmes hold back (planned or held), and with
    ``refused`` those an upheld objection refused: an allocation counts them as made,
    so nobody on a plan is granted twice (and nobody refused is granted anew)."""
    statuses = sorted(RESERVING | ({ItemStatus.REFUSED} if refused else set()))
    found: list[Grant] = []
    for program_id in sorted(set(program_ids)):
        for plan in uow.plans.list(program_id=program_id):
            if plan.status is PlanStatus.WITHDRAWN:
                continue
            for status in statuses:
                items = uow.plan_items.list(plan_id=plan.plan_id, status=status)
                found.extend(i.grant for i in items if i.grant is not None)
    return found


# -- making a plan --------------------------------------------------------------------


def plan_pending(
    uow: UnitOfWork,
    program: AidProgram,
    period: Period,
    *,
    on: date | None = None,
    fund_id: str | None = None,
    households: Sequence[Household] | None = None,
    monitored: Iterable[str] = MONITORED_STATUSES,
) -> PendingPlan:
    """Allocate ``program`` for ``period`` as :func:`~jieqin.services.aid.allocate` does,
    but store the result as a plan awaiting approval (its grants' money reserved), and
    commit ``uow``. The unit of work's actor is the plan's maker.

    :raises AllocationError: the allocation grants nobody (nothing to approve).
    """
    stored: list[Plan] = []

    def record(uow: UnitOfWork, program: AidProgram, allocation: AllocationPlan) -> AllocationPlan:
        plan, items = _plan_of(uow, program, allocation)
        uow.plans.add(plan)
        uow.plan_items.add_many(items)
        stored.append(plan)
        return attrs.evolve(allocation, dry_run=False)

    allocation = allocate(
        uow,
        program,
        period,
        on=on,
        fund_id=fund_id,
        households=households,
        monitored=monitored,
        record=record,
    )
    return PendingPlan(stored[0], allocation)


def _plan_of(
    uow: UnitOfWork, program: AidProgram, allocation: AllocationPlan
) -> tuple[Plan, list[PlanItem]]:
    if not allocation.grants:
        summary = allocation.summary()
        raise AllocationError(
            f"the allocation of {program.program_id} {allocation.period} grants nobody "
            f"({summary['wait_listed']} wait-listed, {summary['ineligible']} ineligible, "
            f"{summary['already_granted']} already granted): there is nothing to approve, "
            "and no plan was stored"
        )
    period = str(allocation.period)
    number = uow.plans.count(program_id=program.program_id, period=period) + 1
    plan_id = record_id("plan", program.program_id, period, str(number))
    grants = {g.decision_id: g for g in allocation.grants}
    items = [
        PlanItem(
            item_id=record_id("pi", plan_id, d.decision_id),
            plan_id=plan_id,
            household_id=d.household_id,
            member_id=d.member_id,
            status=ItemStatus.PLANNED if d.decision_id in grants else ItemStatus.NOTED,
            decision=d,
            grant=grants.get(d.decision_id),
        )
        for d in allocation.decisions
    ]
    plan = Plan(
        plan_id=plan_id,
        program_id=program.program_id,
        fund_id=allocation.fund_id,
        period=allocation.period,
        decided_on=allocation.decided_on,
        rule_version=allocation.rule_version,
        made_by=uow.actor,
        made_on=uow.today,
        item_count=len(items),
    )
    return plan, items


# -- shared steps ----------------------------------------------------------------------


def _locked(uow: UnitOfWork, program: AidProgram, plan_id: str) -> Plan:
    """The plan, read again after its programmes and its fund were locked."""
    plan = _find_plan(uow, plan_id)
    if plan.program_id != program.program_id:
        raise AllocationError(
            f"plan {plan_id} allocates {plan.program_id}, not {program.program_id}"
        )
    uow.grants.lock_programs(programs_read(program))
    uow.funds.lock(plan.fund_id)
    return _find_plan(uow, plan_id)


def _find_plan(uow: UnitOfWork, plan_id: str) -> Plan:
    plan = uow.plans.find(plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id}; `jieqin aid plans` lists the plans")
    return plan


def _whole(uow: UnitOfWork, plan: Plan) -> list[PlanItem]:
    """Every item of the plan; refused when the principal's scope does not hold them all
    (a plan is approved, committed or withdrawn whole)."""
    items = uow.plan_items.list(plan_id=plan.plan_id)
    if len(items) != plan.item_count:
        raise NotPermitted(
            f"plan {plan.plan_id} decides {plan.item_count} people and {len(items)} of them "
            "are within your scope: a principal whose scope holds them all does this"
        )
    return items


def _checker(uow: UnitOfWork, plan: Plan, role: Role, what: str) -> None:
    """Maker-checker: a role that decides, and someone other than the plan's maker."""
    maker_checker(uow, plan.made_by, f"plan {plan.plan_id}", role, what)


def maker_checker(uow: UnitOfWork, made_by: str, made: str, role: Role, what: str) -> None:
    """Refuse unless the unit of work's actor, in ``role``, may ``what`` to ``made``
    (``plan p1``, ``elimination e1``), which ``made_by`` made: the role decides, and the
    actor is someone other than the maker (maker-checker). Every record that needs
    approval and public notice is approved and has its objections decided this way.

    :raises NotPermitted: naming the reason.
    """
    if not role.decides:
        raise NotPermitted(
            f"{uow.actor} ({role.name}) may not {what}: it needs a role that decides "
            "(such as approver or admin)"
        )
    if uow.actor == made_by:
        raise NotPermitted(
            f"{uow.actor} made {made} and may not {what} too: someone else, "
            "in a role that decides, does (maker-checker)"
        )


def _not_closed(plan: Plan, what: str) -> None:
    if plan.status is PlanStatus.COMMITTED:
        raise PlanRefused(f"plan {plan.plan_id} was committed on {plan.committed_on}: {what}")
    if plan.status is PlanStatus.WITHDRAWN:
        raise PlanRefused(
            f"plan {plan.plan_id} was withdrawn on {plan.withdrawn_on} "
            f"({plan.withdraw_reason}): {what}"
        )


def _settled(item: PlanItem, status: ItemStatus, day: date) -> PlanItem:
    return attrs.evolve(item, status=status, settled_on=day)


# -- approval ---------------------------------------------------------------------------


def approve_plan(
    uow: UnitOfWork,
    program: AidProgram,
    plan_id: str,
    *,
    role: Role,
    days: int | None = None,
) -> Plan:
    """Approve a pending plan today, by the unit of work's actor in ``role``, and start
    its public notice: ``days`` days from today, both ends included (default the
    programme's ``notice_days``). Commits ``uow``.

    :raises NotPermitted: the role does not decide, or the actor made the plan.
    :raises PlanRefused: the plan is not pending.
    """
    _checker(uow, _find_plan(uow, plan_id), role, "approve it")
    plan = _locked(uow, program, plan_id)
    if plan.status is PlanStatus.APPROVED:
        raise PlanRefused(
            f"plan {plan_id} was approved on {plan.approved_on} by {plan.approved_by}; its "
            f"notice runs until {plan.notice_until}"
        )
    _not_closed(plan, "there is nothing to approve")
    _whole(uow, plan)
    length = _notice_days(program.notice_days if days is None else days)
    today = uow.today
    approved = attrs.evolve(
        plan,
        status=PlanStatus.APPROVED,
        approved_by=uow.actor,
        approved_on=today,
        notice_from=today,
        notice_until=today + timedelta(days=length - 1),
    )
    uow.plans.update(approved)
    uow.commit()
    return approved


def notice_period(start: date, days: int) -> tuple[date, date]:
    """The first and last day of a public notice of ``days`` days from ``start``.

    :raises InvalidValue: ``days`` is not 1 to 365.
    """
    return start, start + timedelta(days=_notice_days(days) - 1)


def _notice_days(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise InvalidValue(f"a public notice runs 1 to 365 days, not {days!r}", field="days")
    return days


# -- objections ---------------------------------------------------------------------------


def _names(household_id: str, member_id: str | None, item: PlanItem) -> bool:
    """Whether an objection to ``member_id`` of ``household_id`` (``None``: the whole
    household) names ``item``: the member's own grant, or their household's grant."""
    return item.household_id == household_id and (
        member_id is None or item.member_id is None or item.member_id == member_id
    )


def _named_items(
    items: Iterable[PlanItem], household_id: str, member_id: str | None
) -> list[PlanItem]:
    """The plan's grants among ``items`` an objection names (see :func:`_names`)."""
    return [i for i in items if i.grant is not None and _names(household_id, member_id, i)]


def record_objection(
    uow: UnitOfWork,
    program: AidProgram,
    plan_id: str,
    *,
    reason: str,
    member_id: str | None = None,
    household_id: str | None = None,
    objector: str = "",
    on: date | None = None,
) -> Objection:
    """Record an objection, received on ``on`` (default today) during the plan's notice,
    to a member on it (or to every grant of a household): their items are held. Commits.

    :raises PlanRefused: the day is outside the notice, or the plan is not on notice.
    :raises NotFound: the member or household is not on the plan's notice.
    """
    if (member_id is None) == (household_id is None):
        raise InvalidValue("an objection names one member or one household", field="member_id")
    plan = _locked(uow, program, plan_id)
    day = on if on is not None else uow.today
    _on_notice(plan, day)
    if member_id is not None:
        household_id = uow.households.household_of(member_id)
    assert household_id is not None
    wanted = uow.plan_items.list(plan_id=plan_id, household_id=household_id)
    named = [i for i in _named_items(wanted, household_id, member_id) if i.status in _LISTED]
    if not named:
        who = f"member {member_id}" if member_id else f"household {household_id}"
        raise NotFound(
            f"{who} is not on the notice of plan {plan_id}: an objection names someone it "
            f"lists (`jieqin aid notice {plan_id}`)"
        )
    objection = _add_objection(
        uow,
        Objection(
            objection_id=record_id("o", plan_id, "1"),
            plan_id=plan_id,
            household_id=household_id,
            member_id=member_id,
            received_on=day,
            statement=reason,
            objector=objector,
        ),
    )
    held = [
        attrs.evolve(i, status=ItemStatus.HELD) for i in named if i.status is ItemStatus.PLANNED
    ]
    uow.plan_items.upsert_many(held)
    uow.commit()
    return objection


def _on_notice(plan: Plan, day: date) -> None:
    if plan.status is PlanStatus.PENDING:
        raise PlanRefused(
            f"plan {plan.plan_id} is not on notice yet: it waits for approval "
            f"(`jieqin aid approve {plan.plan_id}`)"
        )
    if plan.status is PlanStatus.WITHDRAWN:
        _not_closed(plan, "it takes no objection")
    if not plan.in_notice(day):
        raise PlanRefused(
            f"the notice of plan {plan.plan_id} ran from {plan.notice_from} to "
            f"{plan.notice_until}; an objection received on {day} is outside it (take it "
            "up as a grievance or an appeal)"
        )


def _add_objection(uow: UnitOfWork, objection: Objection) -> Objection:
    """Store the objection under the plan's next number (``o:PLAN:n``). Objections are
    never deleted and the plan is locked, so the count is the last number given."""
    number = uow.objections.count(plan_id=objection.plan_id) + 1
    numbered = attrs.evolve(objection, objection_id=record_id("o", objection.plan_id, str(number)))
    uow.objections.add(numbered)
    return numbered


def decide_objection(
    uow: UnitOfWork,
    program: AidProgram,
    objection_id: str,
    *,
    uphold: bool,
    reason: str,
    role: Role,
) -> DecidedObjection:
    """Uphold or dismiss an open objection today, by the unit of work's actor in
    ``role`` (a role that decides, not the plan's maker). Upheld: the items it names are
    refused (their money freed; a ``not_granted`` decision is stored at the commit, or
    now if the plan was committed). Dismissed: items no other open objection holds go
    back to the plan (granted now if it was committed). Commits ``uow``.
    """
    found = uow.objections.find(objection_id)
    if found is None:
        raise NotFound(f"no objection {objection_id}; `jieqin aid objections PLAN` lists them")
    _checker(uow, _find_plan(uow, found.plan_id), role, f"decide objection {objection_id} to it")
    plan = _locked(uow, program, found.plan_id)
    objection = uow.objections.get(objection_id)
    if not objection.is_open:
        raise PlanRefused(
            f"objection {objection_id} was {objection.status} on {objection.decided_on} by "
            f"{objection.decided_by}: a decision stands"
        )
    today = uow.today
    decided = attrs.evolve(
        objection,
        status=ObjectionStatus.UPHELD if uphold else ObjectionStatus.DISMISSED,
        decided_on=today,
        decided_by=uow.actor,
        decision_reason=reason,
    )
    uow.objections.update(decided)
    items = uow.plan_items.list(plan_id=plan.plan_id, household_id=objection.household_id)
    named = [
        i
        for i in _named_items(items, objection.household_id, objection.member_id)
        if i.status is ItemStatus.HELD
    ]
    if uphold:
        result = _uphold(uow, program, plan, decided, named)
    else:
        result = _dismiss(uow, program, plan, decided, named)
    uow.commit()
    return result


def _uphold(
    uow: UnitOfWork, program: AidProgram, plan: Plan, objection: Objection, named: list[PlanItem]
) -> DecidedObjection:
    day = uow.today
    uow.plan_items.upsert_many([_settled(i, ItemStatus.REFUSED, day) for i in named])
    if plan.status is not PlanStatus.COMMITTED or not named:
        return DecidedObjection(objection)
    refusals = [_refusal(i, objection) for i in named]
    written = _write(uow, program, plan, refusals, [])
    return DecidedObjection(objection, written.decisions)


def _dismiss(
    uow: UnitOfWork, program: AidProgram, plan: Plan, objection: Objection, named: list[PlanItem]
) -> DecidedObjection:
    still_open = uow.objections.list(plan_id=plan.plan_id, status=ObjectionStatus.OPEN)
    freed = [
        i for i in named if not any(_names(o.household_id, o.member_id, i) for o in still_open)
    ]
    if plan.status is not PlanStatus.COMMITTED:
        uow.plan_items.upsert_many([attrs.evolve(i, status=ItemStatus.PLANNED) for i in freed])
        return DecidedObjection(objection)
    if not freed:
        return DecidedObjection(objection)
    _can_grant(uow, plan, freed)
    grants = [i.grant for i in freed if i.grant is not None]
    written = _write(uow, program, plan, [i.decision for i in freed], grants)
    day = uow.today
    uow.plan_items.upsert_many([_settled(i, ItemStatus.GRANTED, day) for i in freed])
    return DecidedObjection(objection, written.decisions, written.grants)


def _refusal(item: PlanItem, objection: Objection) -> Decision:
    """The decision that an upheld objection refused the item: ``not_granted``, with
    the rules' record of the planned decision and the objection's outcome as reason."""
    assert objection.decided_on is not None
    return attrs.evolve(
        item.decision,
        outcome=Outcome.NOT_GRANTED,
        amount=None,
        decided_on=objection.decided_on,
        reason=(
            f"on the public notice of plan {item.plan_id}; objection "
            f"{objection.objection_id} upheld on {objection.decided_on}: "
            f"{objection.decision_reason}"
        ),
    )


# -- commit and withdrawal ------------------------------------------------------------------


def commit_plan(uow: UnitOfWork, program: AidProgram, plan_id: str) -> CommittedPlan:
    """Commit an approved plan after its notice: grant every planned item through the
    allocation's write path, store the decisions that grant nothing and the refusals,
    keep held items reserved. The fund and the one-grant-per-person rule are checked
    again first. Commits ``uow``.

    :raises PlanRefused: the plan is not approved, its notice has not ended, or it was
        committed or withdrawn; the fund cannot pay it, or someone on it was granted
        meanwhile. :raises FundClosed: the fund was closed.
    """
    plan = _locked(uow, program, plan_id)
    _not_closed(plan, "it is not committed twice")
    today = uow.today
    if plan.status is PlanStatus.PENDING:
        raise PlanRefused(
            f"plan {plan_id} is not approved: approve it (`jieqin aid approve {plan_id}`) "
            "and let its notice run first"
        )
    assert plan.notice_until is not None
    if today <= plan.notice_until:
        raise PlanRefused(
            f"the notice of plan {plan_id} runs until {plan.notice_until}: objections may "
            f"still come; commit it from {plan.notice_until + timedelta(days=1)}"
        )
    items = _whole(uow, plan)
    planned = [i for i in items if i.status is ItemStatus.PLANNED]
    _can_grant(uow, plan, planned)
    objections = {o.objection_id: o for o in uow.objections.list(plan_id=plan_id)}
    refusals = [
        _refusal(i, _upheld_for(i, objections)) for i in items if i.status is ItemStatus.REFUSED
    ]
    noted = [i for i in items if i.status is ItemStatus.NOTED]
    decisions = [*(i.decision for i in planned), *(i.decision for i in noted), *refusals]
    grants = [i.grant for i in planned if i.grant is not None]
    written = _write(uow, program, plan, decisions, grants)
    settled = [
        *(_settled(i, ItemStatus.GRANTED, today) for i in planned),
        *(_settled(i, ItemStatus.RECORDED, today) for i in noted),
    ]
    uow.plan_items.upsert_many(settled)
    committed = attrs.evolve(plan, status=PlanStatus.COMMITTED, committed_on=today)
    uow.plans.update(committed)
    uow.commit()
    held = tuple(i for i in items if i.status is ItemStatus.HELD)
    return CommittedPlan(committed, written, held)


def _upheld_for(item: PlanItem, objections: dict[str, Objection]) -> Objection:
    """The upheld objection that refused ``item``."""
    for objection in sorted(objections.values(), key=lambda o: o.objection_id):
        if objection.status is ObjectionStatus.UPHELD and _names(
            objection.household_id, objection.member_id, item
        ):
            return objection
    raise PlanRefused(f"item {item.item_id} is refused but no upheld objection names it")


def _can_grant(uow: UnitOfWork, plan: Plan, granting: Sequence[PlanItem]) -> None:
    """Check again, before granting ``granting``: the fund is open and holds their money
    beside what it has paid and what is reserved for others, and nobody on them holds a
    grant of the programme period already."""
    if not granting:
        return
    fund = uow.funds.get(plan.fund_id)
    if fund.closed:
        raise FundClosed(
            f"{closed_message(fund)}: withdraw plan {plan.plan_id} "
            f"(`jieqin aid withdraw {plan.plan_id} --reason …`)"
        )
    need = sum((i.amount or ZERO for i in granting), ZERO)
    others = uow.funds.reserved(fund.fund_id) - need
    left = fund.budget - uow.funds.spent(fund.fund_id) - others
    if need > left:
        raise PlanRefused(
            f"fund {fund.fund_id} has {left} yuan for the {need} plan {plan.plan_id} grants: "
            f"top it up (`jieqin funds top-up {fund.fund_id} AMOUNT --reason …`) or withdraw "
            "the plan"
        )
    _one_grant_each(uow, plan, granting)


def _one_grant_each(uow: UnitOfWork, plan: Plan, granting: Sequence[PlanItem]) -> None:
    held = uow.grants.list(program_id=plan.program_id, period=str(plan.period))
    members = {g.member_id: g for g in held if g.in_force and g.member_id is not None}
    homes = {g.household_id: g for g in held if g.in_force and g.member_id is None}
    for item in granting:
        other = members.get(item.member_id) if item.member_id else homes.get(item.household_id)
        if other is not None:
            who = f"member {item.member_id}" if item.member_id else f"household {item.household_id}"
            raise PlanRefused(
                f"{who} on plan {plan.plan_id} already holds grant {other.grant_id} of "
                f"{plan.program_id} for {plan.period}: revoke that grant or withdraw the plan"
            )


def _write(
    uow: UnitOfWork,
    program: AidProgram,
    plan: Plan,
    decisions: Sequence[Decision],
    grants: Sequence[Grant],
) -> AllocationPlan:
    """Write decisions and grants of the plan as an allocation writes them."""
    fund = uow.funds.get(plan.fund_id)
    allocation = AllocationPlan(
        program_id=plan.program_id,
        fund_id=plan.fund_id,
        period=plan.period,
        decided_on=plan.decided_on,
        rule_version=plan.rule_version,
        amount=_amount_on(program, plan.decided_on),
        budget=fund.budget,
        spent_before=uow.funds.spent(fund.fund_id),
        priority=program.priority_text(),
        decisions=tuple(sorted(decisions, key=lambda d: d.decision_id)),
        grants=tuple(grants),
        already_granted=(),
        dry_run=False,
    )
    return record_allocation(uow, program, allocation)


def _amount_on(program: AidProgram, day: date) -> Decimal | None:
    try:
        return program.amount_on(day)
    except ValueError:  # no amount in force that day: the tiers set them
        return None


def withdraw_plan(uow: UnitOfWork, program: AidProgram, plan_id: str, *, reason: str) -> Plan:
    """Withdraw a plan that is not committed, today, saying why: nothing of it is
    granted and every yuan it reserved is freed. Commits ``uow``."""
    if not reason.strip():
        raise InvalidValue("a withdrawal says why", field="reason")
    plan = _locked(uow, program, plan_id)
    if plan.status is PlanStatus.COMMITTED:
        raise PlanRefused(
            f"plan {plan_id} was committed on {plan.committed_on}: its grants stand (revoke "
            "one with `jieqin grants revoke`); decide the objections that hold the rest"
        )
    _not_closed(plan, "a withdrawal stands")
    items = _whole(uow, plan)
    today = uow.today
    uow.plan_items.upsert_many(
        [
            _settled(i, ItemStatus.WITHDRAWN, today)
            for i in items
            if i.status in (*RESERVING, ItemStatus.NOTED)
        ]
    )
    withdrawn = attrs.evolve(
        plan, status=PlanStatus.WITHDRAWN, withdrawn_on=today, withdraw_reason=reason
    )
    uow.plans.update(withdrawn)
    uow.commit()
    return withdrawn


# -- the public notice ------------------------------------------------------------------


def plan_notice(
    uow: UnitOfWork,
    program: AidProgram,
    plan_id: str,
    *,
    days: int | None = None,
    region_name: Callable[[str], str | None] = lambda code: None,
) -> Notice:
    """The public notice of a plan: its grants not refused or withdrawn, each with the
    masked name, the village (``region_name`` names it) and the amount, sorted by
    village; for a programme whose rules read a sensitive fact only the count per
    village. Before approval a draft, running ``days`` days (default the programme's)
    from today. Writes nothing."""
    plan = _find_plan(uow, plan_id)
    if plan.notice_from is not None and plan.notice_until is not None:
        if days is not None:
            raise InvalidValue(
                f"plan {plan_id} was approved with its notice from {plan.notice_from} to "
                f"{plan.notice_until}; --days sets the period of a draft notice only",
                field="days",
            )
        start, end, draft = plan.notice_from, plan.notice_until, False
    else:
        _not_closed(plan, "it has no notice")
        length = _notice_days(program.notice_days if days is None else days)
        start, draft = uow.today, True
        end = start + timedelta(days=length - 1)
    items = [
        i
        for i in uow.plan_items.list(plan_id=plan_id)
        if i.status in _LISTED and i.grant is not None
    ]
    homes = uow.households.find_many({i.household_id for i in items})
    lines = sorted(
        (_line(i, homes[i.household_id], region_name) for i in items if i.household_id in homes),
        key=lambda line: (line.village_code, line.name),
    )
    counted_only = program.sensitive
    return Notice(
        plan_id=plan_id,
        program_id=program.program_id,
        program_name=program.program.name,
        funder=program.program.funder,
        period=plan.period,
        notice_from=start,
        notice_until=end,
        draft=draft,
        counted_only=counted_only,
        lines=() if counted_only else tuple(lines),
        counts=_counts(lines),
        total_count=len(lines),
        total_amount=sum((line.amount for line in lines), ZERO),
    )


def _line(item: PlanItem, home: Household, region_name: Callable[[str], str | None]) -> NoticeLine:
    from jieqin._masking import mask_name

    code = home.region.code
    person = home.member(item.member_id) if item.member_id else home.head
    assert item.amount is not None
    return NoticeLine(code, region_name(code) or code, mask_name(person.name), item.amount)


def _counts(lines: Sequence[NoticeLine]) -> tuple[NoticeCount, ...]:
    by_village: dict[str, NoticeCount] = {}
    for line in lines:
        before = by_village.get(line.village_code)
        count = 1 if before is None else before.count + 1
        by_village[line.village_code] = NoticeCount(line.village_code, line.village, count)
    return tuple(by_village[code] for code in sorted(by_village))
