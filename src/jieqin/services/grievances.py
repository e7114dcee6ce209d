"""Grievance and appeal use cases over a unit of work.

A grievance is recorded with the day it is due (:func:`due_date`: the
``grievance_answer_days`` parameter in force on the day it was received), then moved
forward, each move dated and signed by the unit of work's actor: taken up
(:func:`start_grievance`), answered (:func:`answer_grievance`), closed
(:func:`close_grievance`). Every write goes through the one write path, which refuses
a stage that moves back or skips the answer, and any change to what a stage recorded.

An appeal (:func:`appeal`) contests a refusal or a wait-listing: it records a
grievance of category ``appeal`` naming the decision, and decides the member again
under the rules in force on the decision's day (the member's facts as stored now,
corrected if need be; the parameters as they stood then, so a value changed later
does not count). The new decision is stored beside the original, under its own id,
and answers the appeal at once. When the member is eligible on appeal:

- if the programme period's open fund can pay the entitlement and no other member is
  wait-listed for it, the appeal grants at once (the fund locked first, as an
  allocation locks it; the storage refuses a second grant of the programme period
  and a fund past its budget);
- otherwise the re-decision is ``wait_listed`` and its reason says what is missing:
  the clerk tops the fund up and runs ``jieqin aid run``, which grants in the
  programme's priority order, so an appeal never jumps the queue.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from attrs import frozen

from jieqin.errors import AllocationError, AppealRefused, InvalidValue, NotFound
from jieqin.model import (
    MONITORED_STATUSES,
    Decision,
    Fund,
    Grant,
    GrantUnit,
    Grievance,
    GrievanceCategory,
    GrievanceChannel,
    GrievanceStage,
    GrievanceTarget,
    Outcome,
    TargetKind,
)
from jieqin.model.money import ZERO
from jieqin.rules.ids import stable_id
from jieqin.rules.parameters import DatedValue, Parameter, Parameters

if TYPE_CHECKING:
    from jieqin.rules import AidProgram
    from jieqin.rules.programs import Eligibility
    from jieqin.storage.base import UnitOfWork

__all__ = [
    "ANSWER_DAYS",
    "STANDARD_PARAMETERS",
    "Appeal",
    "answer_grievance",
    "appeal",
    "appeal_decision_id",
    "appeals_of",
    "close_grievance",
    "due_date",
    "grievance_id",
    "grievances_of",
    "overdue",
    "record_grievance",
    "start_grievance",
]

#: The parameter that says how many days a grievance has to be answered in.
ANSWER_DAYS = "grievance_answer_days"

#: The campaign's standard parameters (a region registers its own through
#: ``jieqin_register_parameters``, which replaces one of the same name).
STANDARD_PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        ANSWER_DAYS,
        (
            DatedValue(
                date(2005, 5, 1), 60, "《信访条例》（2005年）：信访事项自受理之日起60日内办结"
            ),
            DatedValue(
                date(2022, 5, 1), 60, "《信访工作条例》（2022年）：信访事项自受理之日起60日内办结"
            ),
        ),
        description="Days a grievance has to be answered in, counted from the day it was received",
        unit="days",
    ),
)


def _parameters(parameters: Parameters | None) -> Parameters:
    return Parameters.of(*STANDARD_PARAMETERS) if parameters is None else parameters


def due_date(received_on: date, parameters: Parameters | None = None) -> date:
    """The last day a grievance received on ``received_on`` is answered on time: that
    day plus the ``grievance_answer_days`` in force on it (calendar days)."""
    days = _parameters(parameters).value_on(ANSWER_DAYS, received_on)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise InvalidValue(
            f"must be a whole number of days from 1, got {days!r}; correct the parameter "
            "a plugin registers",
            field=ANSWER_DAYS,
        )
    return received_on + timedelta(days=days)


def grievance_id(
    household_id: str,
    received_on: date,
    category: str,
    description: str,
    member_id: str | None = None,
) -> str:
    """The stable id of a grievance, so recording the same one twice adds nothing."""
    text = "\x1f".join(
        (household_id, member_id or "", received_on.isoformat(), category, description)
    )
    return f"gv:{hashlib.sha256(text.encode()).hexdigest()[:20]}"


def record_grievance(
    uow: UnitOfWork,
    *,
    channel: GrievanceChannel | str,
    category: str,
    received_on: date,
    description: str,
    household_id: str | None = None,
    member_id: str | None = None,
    target: GrievanceTarget | None = None,
    parameters: Parameters | None = None,
    grievance_id_: str | None = None,
) -> Grievance:
    """Record a grievance received on ``received_on`` (its household read from the
    member when only the member is given), due by :func:`due_date`; commits. The same
    grievance recorded again is the one stored."""
    if household_id is None:
        if member_id is None:
            raise InvalidValue("name the household or the member", field="household_id")
        household_id = uow.households.household_of(member_id)
    grievance = Grievance(
        grievance_id=grievance_id_
        or grievance_id(household_id, received_on, category, description, member_id),
        household_id=household_id,
        channel=channel,
        category=category,
        received_on=received_on,
        due_on=due_date(received_on, parameters),
        description=description.strip(),
        member_id=member_id,
        target=target,
        received_by=uow.actor,
    )
    stored = uow.grievances.find(grievance.grievance_id)
    if stored is not None and stored == grievance:
        return stored
    uow.grievances.add(grievance)
    uow.commit()
    return grievance


def _moved(uow: UnitOfWork, moved: Grievance) -> Grievance:
    uow.grievances.update(moved)
    uow.commit()
    return moved


def start_grievance(uow: UnitOfWork, grievance_id: str, *, on: date) -> Grievance:
    """Take a received grievance up on ``on`` (it is then in progress)."""
    return _moved(uow, uow.grievances.get(grievance_id).started(on, uow.actor))


def answer_grievance(uow: UnitOfWork, grievance_id: str, *, on: date, answer: str) -> Grievance:
    """Record the answer given on ``on``; on time if ``on`` is not after its due day."""
    return _moved(uow, uow.grievances.get(grievance_id).answered_with(answer, on, uow.actor))


def close_grievance(uow: UnitOfWork, grievance_id: str, *, on: date, note: str = "") -> Grievance:
    """Close an answered grievance on ``on``."""
    return _moved(uow, uow.grievances.get(grievance_id).closed(on, uow.actor, note))


def grievances_of(
    uow: UnitOfWork,
    *,
    stage: GrievanceStage | str | None = None,
    category: str | None = None,
    household_id: str | None = None,
) -> list[Grievance]:
    """The stored grievances matching the filters, in id order."""
    filters: dict[str, object] = {}
    if stage is not None:
        filters["stage"] = GrievanceStage(stage)
    if category is not None:
        filters["category"] = category
    if household_id is not None:
        filters["household_id"] = household_id
    return uow.grievances.list(**filters)


def overdue(grievances: Iterable[Grievance], day: date) -> list[Grievance]:
    """Those that still wait, on ``day``, for an answer due before it (most overdue
    first, then by id)."""
    late = [g for g in grievances if g.overdue(day)]
    return sorted(late, key=lambda g: (g.due_on, g.grievance_id))


# --- appeals ------------------------------------------------------------------------------


@frozen
class Appeal:
    """What an appeal did: the grievance it recorded (answered by the re-decision), the
    decision appealed, the decision on appeal and the grant it made, if any."""

    grievance: Grievance
    original: Decision
    redecision: Decision
    grant: Grant | None
    explained: Eligibility
    """The member decided again, condition by condition (sensitive facts masked)."""

    @property
    def eligible(self) -> bool:
        """Whether the member is eligible on appeal."""
        return self.explained.eligible


def appeal_decision_id(original: Decision, number: int) -> str:
    """The id of the ``number``-th decision on appeal (from 1) of a member's decision."""
    assert original.member_id is not None
    return stable_id(
        "d", original.program_id, str(original.period), original.member_id, "appeal", str(number)
    )


def appeal(
    uow: UnitOfWork,
    program: AidProgram,
    decision_id: str,
    *,
    reason: str,
    on: date,
    channel: GrievanceChannel | str = GrievanceChannel.VISIT,
    parameters: Parameters | None = None,
    monitored: Iterable[str] = MONITORED_STATUSES,
) -> Appeal:
    """Appeal the decision ``decision_id`` on ``on`` for ``reason`` (what the person
    says, kept as the grievance's masked description); decide the member again under
    the rules in force on the decision's day, store the new decision beside the
    original (and a grant, see the module), answer the appeal with it, and commit."""
    from jieqin.services.aid import explain_member, programs_read

    uow.grants.lock_programs(programs_read(program))
    original = _appealable(uow, program, decision_id, on)
    assert original.member_id is not None
    explained, _ = explain_member(
        uow,
        program,
        original.member_id,
        original.period,
        on=original.decided_on,
        monitored=monitored,
    )
    number = _next_number(uow, original)
    outcome, why, grant = _settle(uow, program, original, explained, number, on)
    redecision = _redecision(program, original, explained, number, outcome, why, grant)
    grievance = _appeal_grievance(
        uow, program, original, redecision, grant, reason, on, channel, parameters, number
    )
    if uow.programs.find(program.program_id) is None:
        uow.programs.add(program.program)
    uow.decisions.add(redecision)
    if grant is not None:
        uow.grants.add(grant)
    uow.grievances.add(grievance)
    uow.notify("jieqin_grants_decided", decisions=[redecision], grants=[grant] if grant else [])
    uow.commit()
    return Appeal(grievance, original, redecision, grant, explained)


def _appealable(uow: UnitOfWork, program: AidProgram, decision_id: str, on: date) -> Decision:
    """The decision, if it is a member's refusal or wait-listing that may be appealed."""
    decision = uow.decisions.find(decision_id)
    if decision is None:
        raise NotFound(
            f"no decision {decision_id}; `jieqin aid explain PROGRAM MEMBER --period P` "
            "shows a member's decisions"
        )
    if decision.program_id != program.program_id:
        raise AppealRefused(
            f"decision {decision_id} is of programme {decision.program_id}, not "
            f"{program.program_id}"
        )
    contest = (
        f"contest it with `jieqin grievances add --household {decision.household_id} "
        f"--category aid_decision --decision {decision_id} ...`"
    )
    if decision.member_id is None or program.program.grant_unit is not GrantUnit.MEMBER:
        raise AppealRefused(
            f"decision {decision_id} is of a household, not a member: {contest}; once its "
            f"facts are corrected, `jieqin aid run {program.program_id} --period "
            f"{decision.period}` decides it again"
        )
    if decision.outcome is Outcome.GRANTED:
        raise AppealRefused(f"decision {decision_id} granted the aid: there is nothing to appeal")
    if decision.outcome is Outcome.REVOKED:
        raise AppealRefused(f"decision {decision_id} records a revocation: {contest}")
    if on < decision.decided_on:
        raise InvalidValue(
            f"the appeal is dated {on.isoformat()}, before the decision of "
            f"{decision.decided_on.isoformat()}",
            field="on",
        )
    held = [
        g
        for g in uow.grants.list(
            program_id=decision.program_id,
            period=str(decision.period),
            member_id=decision.member_id,
        )
        if g.in_force
    ]
    if held:
        raise AppealRefused(
            f"member {decision.member_id} already holds grant {held[0].grant_id} of "
            f"{decision.program_id} for {decision.period}: there is nothing to appeal"
        )
    return decision


def _next_number(uow: UnitOfWork, original: Decision) -> int:
    """The number of this appeal among the appeals of the member's programme period."""
    number = 1
    while uow.decisions.find(appeal_decision_id(original, number)) is not None:
        number += 1
    return number


def _settle(
    uow: UnitOfWork,
    program: AidProgram,
    original: Decision,
    explained: Eligibility,
    number: int,
    on: date,
) -> tuple[Outcome, str, Grant | None]:
    """The outcome on appeal, why, and the grant when the fund can pay at once."""
    from jieqin.services.aid import find_fund

    rules_day = original.decided_on.isoformat()
    if not explained.eligible:
        return (
            Outcome.INELIGIBLE,
            f"upheld on appeal (rules of {rules_day}): " + (explained.reason()),
            None,
        )
    head = f"eligible on appeal (rules of {rules_day})"
    try:
        fund = uow.funds.lock(find_fund(uow, program, original.period).fund_id)
    except (AllocationError, NotFound) as exc:
        return Outcome.WAIT_LISTED, f"{head}, not granted: {exc}", None
    cost = explained.amount if explained.amount is not None else ZERO
    left = _available(uow, fund)
    then = f"`jieqin aid run {program.program_id} --period {original.period}`"
    waiting = _waiting(uow, original)
    if waiting:
        return (
            Outcome.WAIT_LISTED,
            (
                f"{head}; {waiting} wait-listed member(s) of the programme period come first: "
                f"{then} grants in priority order once fund {fund.fund_id} can pay"
            ),
            None,
        )
    if cost > left:
        return (
            Outcome.WAIT_LISTED,
            (
                f"{head}; fund {fund.fund_id} has {left} yuan left, {cost} needed: top it up "
                f"(`jieqin funds top-up {fund.fund_id} AMOUNT --reason TEXT`), then {then}"
            ),
            None,
        )
    assert original.member_id is not None
    grant = Grant(
        grant_id=stable_id(
            "g",
            program.program_id,
            str(original.period),
            original.member_id,
            "appeal",
            str(number),
        ),
        program_id=program.program_id,
        fund_id=fund.fund_id,
        period=original.period,
        household_id=original.household_id,
        member_id=original.member_id,
        amount=cost,
        decided_on=on,
        decision_id=appeal_decision_id(original, number),
        agency=program.program.agency,
    )
    return Outcome.GRANTED, f"{head}: all conditions held; granted from fund {fund.fund_id}", grant


def _available(uow: UnitOfWork, fund: Fund) -> Decimal:
    """What the (locked) fund can still pay: its budget in force less what its grants
    hold and what allocation plans awaiting approval or notice reserve."""
    return fund.budget - uow.funds.spent(fund.fund_id) - uow.funds.reserved(fund.fund_id)


def _waiting(uow: UnitOfWork, original: Decision) -> int:
    """How many other members are wait-listed for the programme period, holding no grant
    of it: they come first when money is found."""
    period = str(original.period)
    held = {
        g.member_id
        for g in uow.grants.list(program_id=original.program_id, period=period)
        if g.in_force
    }
    waiting = {
        d.member_id
        for d in uow.decisions.list(
            program_id=original.program_id, period=period, outcome=Outcome.WAIT_LISTED
        )
        if d.member_id not in held and d.member_id != original.member_id
    }
    return len(waiting)


def _redecision(
    program: AidProgram,
    original: Decision,
    explained: Eligibility,
    number: int,
    outcome: Outcome,
    why: str,
    grant: Grant | None,
) -> Decision:
    """The decision on appeal, dated the original's day (whose rules it applies)."""
    return Decision(
        decision_id=appeal_decision_id(original, number),
        program_id=program.program_id,
        period=original.period,
        household_id=original.household_id,
        member_id=original.member_id,
        outcome=outcome,
        decided_on=original.decided_on,
        rule_version=program.rule_version,
        amount=grant.amount if grant is not None else None,
        reason=why,
        conditions=explained.conditions,
        parameters=dict(explained.parameters),
        inputs=dict(explained.inputs),
    )


def _appeal_grievance(
    uow: UnitOfWork,
    program: AidProgram,
    original: Decision,
    redecision: Decision,
    grant: Grant | None,
    reason: str,
    on: date,
    channel: GrievanceChannel | str,
    parameters: Parameters | None,
    number: int,
) -> Grievance:
    """The appeal as a grievance, answered on ``on`` by the decision on appeal."""
    from jieqin.rules.programs import shown_decision

    shown = shown_decision(program, redecision.outcome.value, redecision.reason, redecision.amount)
    answer = f"decided again on appeal as {redecision.decision_id}: {shown['outcome']}"
    if grant is not None and not program.sensitive:
        answer += f", grant {grant.grant_id} of {grant.amount} yuan"
    return Grievance(
        grievance_id=_appeal_id(original, number),
        household_id=original.household_id,
        channel=channel,
        category=GrievanceCategory.APPEAL,
        received_on=on,
        due_on=due_date(on, parameters),
        description=reason.strip(),
        member_id=original.member_id,
        target=GrievanceTarget(TargetKind.DECISION, original.decision_id),
        received_by=uow.actor,
        stage=GrievanceStage.ANSWERED,
        answered_on=on,
        answered_by=uow.actor,
        answer=answer,
        redecision_id=redecision.decision_id,
    )


def _appeal_id(original: Decision, number: int) -> str:
    """The id of an appeal's grievance: stable, and telling neither the programme nor
    the member (a listing shows it where it masks the decision appealed)."""
    text = f"{original.decision_id}\x1fappeal\x1f{number}"
    return f"gv:{hashlib.sha256(text.encode()).hexdigest()[:20]}"


def appeals_of(uow: UnitOfWork, decision_id: str) -> Sequence[Grievance]:
    """The appeals against one decision, in id order."""
    return [
        g
        for g in uow.grievances.list(category=GrievanceCategory.APPEAL)
        if g.target is not None and g.target.target_id == decision_id
    ]
