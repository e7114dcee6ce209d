"""Hand-written mappers between the frozen domain records and rows of the Core tables.

``*_row`` functions turn a record into a ``dict`` of database values (money as
integer fen, periods and regions as text, enums by value); ``*_from`` functions build
the record back from a row mapping. The domain classes never learn about SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from jieqin.model import (
    Activity,
    ConditionOutcome,
    Consent,
    CostTerm,
    Decision,
    Elimination,
    Fund,
    FundChange,
    Grant,
    Grievance,
    GrievanceTarget,
    Handover,
    Helper,
    Household,
    MemberMove,
    Month,
    Need,
    Objection,
    Observation,
    Pairing,
    Plan,
    PlanItem,
    Program,
    Referral,
    RegionCode,
    RiskWarning,
    Route,
    StableMonth,
    parse_period,
)
from jieqin.storage.rows import (
    HOUSEHOLD_COLUMNS,
    MEMBER_COLUMNS,
    STATUS_COLUMNS,
    household_from,
    household_values,
    member_from,
    member_values,
    status_values,
)
from jieqin.storage.sql.tables import DECISIONS, GRANTS, OBJECTIONS

__all__ = [
    "HOUSEHOLD_COLUMNS",
    "MEMBER_COLUMNS",
    "SIMPLE",
    "STATUS_COLUMNS",
    "Row",
    "from_fen",
    "fund_change_from",
    "fund_change_row",
    "household_from",
    "household_values",
    "member_from",
    "member_values",
    "status_values",
    "to_fen",
]

Row = Mapping[Any, Any]
"""A row as SQLAlchemy returns it (``RowMapping``) or a plain dict."""

_CENT = Decimal("0.01")


def to_fen(amount: Decimal | None) -> int | None:
    """Yuan (two places) to integer fen; exact."""
    if amount is None:
        return None
    return int((amount * 100).to_integral_exact())


def from_fen(fen: int | None) -> Decimal | None:
    """Integer fen back to yuan with two places."""
    if fen is None:
        return None
    return (Decimal(int(fen)) / 100).quantize(_CENT)


# --- helpers -------------------------------------------------------------------------


def helper_row(h: Helper) -> dict[str, Any]:
    return {
        "helper_id": h.helper_id,
        "name": h.name,
        "tier": h.tier,
        "home_region": h.home_region.code,
        "sectors": sorted(h.sectors),
        "capacity": h.capacity,
        "active": h.active,
        "phone": h.phone,
    }


def helper_from(r: Row) -> Helper:
    return Helper(
        helper_id=r["helper_id"],
        name=r["name"],
        tier=r["tier"],
        home_region=RegionCode(r["home_region"]),
        sectors=frozenset(r["sectors"]),
        capacity=r["capacity"],
        active=bool(r["active"]),
        phone=r["phone"],
    )


# --- households (their row forms are jieqin.storage.rows') -------------------------


def household_row(h: Household) -> dict[str, Any]:
    return {"household_id": h.household_id, "region": h.region.code, "status": h.status}


# --- pairings and handovers ------------------------------------------------------------


def pairing_row(p: Pairing) -> dict[str, Any]:
    return {
        "helper_id": p.helper_id,
        "household_id": p.household_id,
        "start": p.start,
        "role": p.role.value,
        "end": p.end,
        "reason": p.reason,
        "costs": [[t.name, t.value] for t in p.costs],
    }


def pairing_from(r: Row) -> Pairing:
    return Pairing(
        helper_id=r["helper_id"],
        household_id=r["household_id"],
        start=r["start"],
        role=r["role"],
        end=r["end"],
        reason=r["reason"],
        costs=tuple(CostTerm(name, float(value)) for name, value in r["costs"]),
    )


def handover_row(h: Handover) -> dict[str, Any]:
    return {
        "household_id": h.household_id,
        "on": h.on,
        "reason": h.reason,
        "from_helper_id": h.from_helper_id,
        "to_helper_id": h.to_helper_id,
    }


def move_row(m: MemberMove) -> dict[str, Any]:
    return {
        "member_id": m.member_id,
        "from_household_id": m.from_household_id,
        "to_household_id": m.to_household_id,
        "on": m.on,
        "reason": m.reason,
    }


def move_from(r: Row) -> MemberMove:
    return MemberMove(
        member_id=r["member_id"],
        from_household_id=r["from_household_id"],
        to_household_id=r["to_household_id"],
        on=r["on"],
        reason=r["reason"],
    )


def handover_from(r: Row) -> Handover:
    return Handover(
        household_id=r["household_id"],
        on=r["on"],
        reason=r["reason"],
        from_helper_id=r["from_helper_id"],
        to_helper_id=r["to_helper_id"],
    )


# --- needs, referrals, activities -----------------------------------------------------------


def need_row(n: Need) -> dict[str, Any]:
    return {
        "need_id": n.need_id,
        "household_id": n.household_id,
        "kind": n.kind,
        "period": str(n.period),
        "source": n.source.value,
        "raised_on": n.raised_on,
        "member_id": n.member_id,
        "note": n.note,
        "status": n.status.value,
        "route_kind": n.route.kind.value if n.route else None,
        "route_target": n.route.target if n.route else None,
        # without a route, the column keeps why the routing found none
        "route_explanation": n.route.explanation if n.route else (n.unrouted_reason or None),
        "resolved_on": n.resolved_on,
        "resolved_by": n.resolved_by,
    }


def need_from(r: Row) -> Need:
    route = None
    if r["route_kind"] is not None:
        route = Route(
            kind=r["route_kind"], target=r["route_target"], explanation=r["route_explanation"]
        )
    return Need(
        need_id=r["need_id"],
        household_id=r["household_id"],
        kind=r["kind"],
        period=parse_period(r["period"]),
        source=r["source"],
        raised_on=r["raised_on"],
        member_id=r["member_id"],
        note=r["note"],
        status=r["status"],
        route=route,
        resolved_on=r["resolved_on"],
        resolved_by=r["resolved_by"],
        unrouted_reason="" if route is not None else (r["route_explanation"] or ""),
    )


def referral_row(x: Referral) -> dict[str, Any]:
    return {
        "referral_id": x.referral_id,
        "need_id": x.need_id,
        "household_id": x.household_id,
        "agency": x.agency,
        "referred_on": x.referred_on,
        "member_id": x.member_id,
        "completed_on": x.completed_on,
        "note": x.note,
        "consent_id": x.consent_id,
        "status": x.status.value,
        "accepted_on": x.accepted_on,
        "rejected_on": x.rejected_on,
        "rejection_reason": x.rejection_reason,
        "outcome": x.outcome,
        "due_on": x.due_on,
    }


def referral_from(r: Row) -> Referral:
    return Referral(
        referral_id=r["referral_id"],
        need_id=r["need_id"],
        household_id=r["household_id"],
        agency=r["agency"],
        referred_on=r["referred_on"],
        member_id=r["member_id"],
        completed_on=r["completed_on"],
        note=r["note"],
        consent_id=r["consent_id"],
        status=r["status"],
        accepted_on=r["accepted_on"],
        rejected_on=r["rejected_on"],
        rejection_reason=r["rejection_reason"],
        outcome=r["outcome"],
        due_on=r["due_on"],
    )


def activity_row(a: Activity) -> dict[str, Any]:
    return {
        "activity_id": a.activity_id,
        "kind": a.kind,
        "on": a.on,
        "helper_id": a.helper_id,
        "household_id": a.household_id,
        "member_id": a.member_id,
        "need_id": a.need_id,
        "note": a.note,
        "event": a.event,
        "voided_on": a.voided_on,
        "void_reason": a.void_reason,
        "voided_by": a.voided_by,
    }


def activity_from(r: Row) -> Activity:
    return Activity(
        activity_id=r["activity_id"],
        kind=r["kind"],
        on=r["on"],
        helper_id=r["helper_id"],
        household_id=r["household_id"],
        member_id=r["member_id"],
        need_id=r["need_id"],
        note=r["note"],
        event=r["event"],
        voided_on=r["voided_on"],
        void_reason=r["void_reason"] or "",
        voided_by=r["voided_by"],
    )


# --- aid -------------------------------------------------------------------------------


def program_row(p: Program) -> dict[str, Any]:
    return {
        "program_id": p.program_id,
        "name": p.name,
        "funder": p.funder,
        "kind": p.kind.value,
        "amount_fen": to_fen(p.amount),
        "serves": sorted(p.serves),
        "agency": p.agency,
        "period_kind": p.period_kind.value,
        "grant_unit": p.grant_unit.value,
    }


def program_from(r: Row) -> Program:
    return Program(
        program_id=r["program_id"],
        name=r["name"],
        funder=r["funder"],
        kind=r["kind"],
        amount=from_fen(r["amount_fen"]),
        serves=frozenset(r["serves"]),
        agency=r["agency"],
        period_kind=r["period_kind"],
        grant_unit=r["grant_unit"],
    )


def fund_row(f: Fund) -> dict[str, Any]:
    return {
        "fund_id": f.fund_id,
        "program_id": f.program_id,
        "period": str(f.period),
        "budget_fen": to_fen(f.budget),
        "funder": f.funder,
        "name": f.name,
        "topped_up_fen": to_fen(f.topped_up),
        "closed_on": f.closed_on,
    }


def fund_from(r: Row) -> Fund:
    return Fund(
        fund_id=r["fund_id"],
        program_id=r["program_id"],
        period=parse_period(r["period"]),
        budget=from_fen(r["budget_fen"]),
        funder=r["funder"],
        name=r["name"],
        topped_up=from_fen(r["topped_up_fen"]),
        closed_on=r["closed_on"],
    )


def fund_change_row(c: FundChange) -> dict[str, Any]:
    return {
        "fund_id": c.fund_id,
        "number": c.number,
        "kind": c.kind.value,
        "on": c.on,
        "reason": c.reason,
        "amount_fen": to_fen(c.amount),
        "actor": c.actor,
    }


def fund_change_from(r: Row) -> FundChange:
    return FundChange(
        fund_id=r["fund_id"],
        number=int(r["number"]),
        kind=r["kind"],
        on=r["on"],
        reason=r["reason"],
        amount=from_fen(r["amount_fen"]),
        actor=r["actor"],
    )


def grant_row(g: Grant) -> dict[str, Any]:
    return {
        "grant_id": g.grant_id,
        "program_id": g.program_id,
        "fund_id": g.fund_id,
        "period": str(g.period),
        "household_id": g.household_id,
        "member_id": g.member_id,
        "amount_fen": to_fen(g.amount),
        "decided_on": g.decided_on,
        "decision_id": g.decision_id,
        "agency": g.agency,
        "need_id": g.need_id,
        "revoked_on": g.revoked_on,
        "revoke_reason": g.revoke_reason,
        "batch_id": g.batch_id,
        "paid_on": g.paid_on,
        "payment_reference": g.payment_reference,
        "returned_on": g.returned_on,
        "return_reason": g.return_reason,
    }


def grant_from(r: Row) -> Grant:
    return Grant(
        grant_id=r["grant_id"],
        program_id=r["program_id"],
        fund_id=r["fund_id"],
        period=parse_period(r["period"]),
        household_id=r["household_id"],
        member_id=r["member_id"],
        amount=from_fen(r["amount_fen"]),
        decided_on=r["decided_on"],
        decision_id=r["decision_id"],
        agency=r["agency"],
        need_id=r["need_id"],
        revoked_on=r["revoked_on"],
        revoke_reason=r["revoke_reason"],
        batch_id=r["batch_id"],
        paid_on=r["paid_on"],
        payment_reference=r["payment_reference"],
        returned_on=r["returned_on"],
        return_reason=r["return_reason"],
    )


def decision_row(d: Decision) -> dict[str, Any]:
    return {
        "decision_id": d.decision_id,
        "program_id": d.program_id,
        "period": str(d.period),
        "household_id": d.household_id,
        "member_id": d.member_id,
        "outcome": d.outcome.value,
        "decided_on": d.decided_on,
        "rule_version": d.rule_version,
        "amount_fen": to_fen(d.amount),
        "reason": d.reason,
        "conditions": [[c.name, c.held, c.detail] for c in d.conditions],
        "parameters": {str(k): str(v) for k, v in d.parameters.items()},
        "inputs": {str(k): str(v) for k, v in d.inputs.items()},
        "priority": d.priority,
    }


def decision_from(r: Row) -> Decision:
    return Decision(
        decision_id=r["decision_id"],
        program_id=r["program_id"],
        period=parse_period(r["period"]),
        household_id=r["household_id"],
        member_id=r["member_id"],
        outcome=r["outcome"],
        decided_on=r["decided_on"],
        rule_version=r["rule_version"],
        amount=from_fen(r["amount_fen"]),
        reason=r["reason"],
        conditions=tuple(
            ConditionOutcome(name, bool(held), detail) for name, held, detail in r["conditions"]
        ),
        parameters=dict(r["parameters"]),
        inputs=dict(r["inputs"]),
        priority=r["priority"],
    )


# --- consents ---------------------------------------------------------------------------


def consent_row(c: Consent) -> dict[str, Any]:
    return {
        "consent_id": c.consent_id,
        "member_id": c.member_id,
        "household_id": c.household_id,
        "recipient": c.recipient,
        "purpose": c.purpose,
        "facts": sorted(c.facts),
        "given_on": c.given_on,
        "expires_on": c.expires_on,
        "withdrawn_on": c.withdrawn_on,
        "withdrawal_reason": c.withdrawal_reason,
    }


def consent_from(r: Row) -> Consent:
    return Consent(
        consent_id=r["consent_id"],
        member_id=r["member_id"],
        household_id=r["household_id"],
        recipient=r["recipient"],
        purpose=r["purpose"],
        facts=frozenset(r["facts"]),
        given_on=r["given_on"],
        expires_on=r["expires_on"],
        withdrawn_on=r["withdrawn_on"],
        withdrawal_reason=r["withdrawal_reason"],
    )


# --- plans, their items and objections ----------------------------------------------


def _json_of(table: sa.Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """A record's row of ``table`` as JSON values: its dates ISO text."""
    return {
        k: v.isoformat() if v is not None and isinstance(table.c[k].type, sa.Date) else v
        for k, v in row.items()
    }


def _row_of(table: sa.Table, data: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`_json_of` read back: the dates of ``table``'s date columns parsed again."""
    return {
        k: date.fromisoformat(v)
        if v is not None and k in table.c and isinstance(table.c[k].type, sa.Date)
        else v
        for k, v in data.items()
    }


def plan_row(p: Plan) -> dict[str, Any]:
    return {
        "plan_id": p.plan_id,
        "program_id": p.program_id,
        "fund_id": p.fund_id,
        "period": str(p.period),
        "decided_on": p.decided_on,
        "rule_version": p.rule_version,
        "made_by": p.made_by,
        "made_on": p.made_on,
        "item_count": p.item_count,
        "status": p.status.value,
        "approved_by": p.approved_by,
        "approved_on": p.approved_on,
        "notice_from": p.notice_from,
        "notice_until": p.notice_until,
        "committed_on": p.committed_on,
        "withdrawn_on": p.withdrawn_on,
        "withdraw_reason": p.withdraw_reason,
    }


def plan_from(r: Row) -> Plan:
    return Plan(
        plan_id=r["plan_id"],
        program_id=r["program_id"],
        fund_id=r["fund_id"],
        period=parse_period(r["period"]),
        decided_on=r["decided_on"],
        rule_version=r["rule_version"],
        made_by=r["made_by"],
        made_on=r["made_on"],
        item_count=int(r["item_count"]),
        status=r["status"],
        approved_by=r["approved_by"],
        approved_on=r["approved_on"],
        notice_from=r["notice_from"],
        notice_until=r["notice_until"],
        committed_on=r["committed_on"],
        withdrawn_on=r["withdrawn_on"],
        withdraw_reason=r["withdraw_reason"],
    )


def plan_item_row(i: PlanItem) -> dict[str, Any]:
    """An item, its decision and grant as JSON in the rows' own form (so both keep every
    field the decisions' and grants' mappers keep), its fund and amount as columns."""
    return {
        "item_id": i.item_id,
        "plan_id": i.plan_id,
        "household_id": i.household_id,
        "member_id": i.member_id,
        "status": i.status.value,
        "fund_id": i.fund_id,
        "amount_fen": to_fen(i.amount),
        "settled_on": i.settled_on,
        "decision": _json_of(DECISIONS, decision_row(i.decision)),
        "planned_grant": None if i.grant is None else _json_of(GRANTS, grant_row(i.grant)),
    }


def plan_item_from(r: Row) -> PlanItem:
    grant = r["planned_grant"]
    return PlanItem(
        item_id=r["item_id"],
        plan_id=r["plan_id"],
        household_id=r["household_id"],
        member_id=r["member_id"],
        status=r["status"],
        decision=decision_from(_row_of(DECISIONS, r["decision"])),
        grant=None if grant is None else grant_from(_row_of(GRANTS, grant)),
        settled_on=r["settled_on"],
    )


def objection_row(o: Objection) -> dict[str, Any]:
    return {
        "objection_id": o.objection_id,
        "plan_id": o.plan_id,
        "household_id": o.household_id,
        "member_id": o.member_id,
        "received_on": o.received_on,
        "statement": o.statement,
        "objector": o.objector,
        "status": o.status.value,
        "decided_on": o.decided_on,
        "decided_by": o.decided_by,
        "decision_reason": o.decision_reason,
    }


def objection_from(r: Row) -> Objection:
    return Objection(
        objection_id=r["objection_id"],
        plan_id=r["plan_id"],
        household_id=r["household_id"],
        member_id=r["member_id"],
        received_on=r["received_on"],
        statement=r["statement"],
        objector=r["objector"],
        status=r["status"],
        decided_on=r["decided_on"],
        decided_by=r["decided_by"],
        decision_reason=r["decision_reason"],
    )


# --- risk eliminations --------------------------------------------------------------------


def elimination_row(e: Elimination) -> dict[str, Any]:
    """An elimination, its months of evidence and its objections as JSON (the objections
    in the objection rows' own form)."""
    return {
        "elimination_id": e.elimination_id,
        "household_id": e.household_id,
        "from_status": e.from_status,
        "to_status": e.to_status,
        "stable_months": [
            {"month": str(m.month), "income": str(m.income), "line": str(m.line)}
            for m in e.stable_months
        ],
        "checked_by": e.checked_by,
        "checked_on": e.checked_on,
        "check_note": e.check_note,
        "made_by": e.made_by,
        "made_on": e.made_on,
        "status": e.status.value,
        "approved_by": e.approved_by,
        "approved_on": e.approved_on,
        "notice_from": e.notice_from,
        "notice_until": e.notice_until,
        "committed_on": e.committed_on,
        "withdrawn_on": e.withdrawn_on,
        "withdraw_reason": e.withdraw_reason,
        "objections": [_json_of(OBJECTIONS, objection_row(o)) for o in e.objections],
    }


def elimination_from(r: Row) -> Elimination:
    return Elimination(
        elimination_id=r["elimination_id"],
        household_id=r["household_id"],
        from_status=r["from_status"],
        to_status=r["to_status"],
        stable_months=[
            StableMonth(
                Month(int(m["month"][:4]), int(m["month"][5:7])),
                Decimal(m["income"]),
                Decimal(m["line"]),
            )
            for m in r["stable_months"]
        ],
        checked_by=r["checked_by"],
        checked_on=r["checked_on"],
        check_note=r["check_note"],
        made_by=r["made_by"],
        made_on=r["made_on"],
        status=r["status"],
        approved_by=r["approved_by"],
        approved_on=r["approved_on"],
        notice_from=r["notice_from"],
        notice_until=r["notice_until"],
        committed_on=r["committed_on"],
        withdrawn_on=r["withdrawn_on"],
        withdraw_reason=r["withdraw_reason"],
        objections=[objection_from(_row_of(OBJECTIONS, o)) for o in r["objections"]],
    )


# --- grievances -------------------------------------------------------------------------


def grievance_row(g: Grievance) -> dict[str, Any]:
    return {
        "grievance_id": g.grievance_id,
        "household_id": g.household_id,
        "member_id": g.member_id,
        "channel": g.channel.value,
        "category": g.category,
        "received_on": g.received_on,
        "due_on": g.due_on,
        "description": g.description,
        "target_kind": None if g.target is None else g.target.kind.value,
        "target_id": None if g.target is None else g.target.target_id,
        "received_by": g.received_by,
        "stage": g.stage.value,
        "started_on": g.started_on,
        "started_by": g.started_by,
        "answered_on": g.answered_on,
        "answered_by": g.answered_by,
        "answer": g.answer,
        "closed_on": g.closed_on,
        "closed_by": g.closed_by,
        "closing_note": g.closing_note,
        "redecision_id": g.redecision_id,
    }


def grievance_from(r: Row) -> Grievance:
    target = None
    if r["target_kind"] is not None:
        target = GrievanceTarget(r["target_kind"], r["target_id"])
    return Grievance(
        grievance_id=r["grievance_id"],
        household_id=r["household_id"],
        member_id=r["member_id"],
        channel=r["channel"],
        category=r["category"],
        received_on=r["received_on"],
        due_on=r["due_on"],
        description=r["description"],
        target=target,
        received_by=r["received_by"],
        stage=r["stage"],
        started_on=r["started_on"],
        started_by=r["started_by"],
        answered_on=r["answered_on"],
        answered_by=r["answered_by"],
        answer=r["answer"],
        closed_on=r["closed_on"],
        closed_by=r["closed_by"],
        closing_note=r["closing_note"],
        redecision_id=r["redecision_id"],
    )


# --- monitoring ---------------------------------------------------------------------------


def observation_row(o: Observation) -> dict[str, Any]:
    return {
        "observation_id": o.observation_id,
        "household_id": o.household_id,
        "member_id": o.member_id,
        "kind": o.kind.value,
        "period": str(o.period),
        "amount_fen": to_fen(o.amount),
        "source": o.source.value,
        "recorded_on": o.recorded_on,
        "feed": o.feed,
        "feed_record": o.feed_record,
        "note": o.note,
    }


def observation_from(r: Row) -> Observation:
    return Observation(
        observation_id=r["observation_id"],
        household_id=r["household_id"],
        member_id=r["member_id"],
        kind=r["kind"],
        period=parse_period(r["period"]),
        amount=from_fen(r["amount_fen"]),
        source=r["source"],
        recorded_on=r["recorded_on"],
        feed=r["feed"],
        feed_record=r["feed_record"],
        note=r["note"],
    )


def warning_row(w: RiskWarning) -> dict[str, Any]:
    return {
        "warning_id": w.warning_id,
        "household_id": w.household_id,
        "rules": list(w.rules),
        "period": str(w.period),
        "raised_on": w.raised_on,
        "check_due": w.check_due,
        "status": w.status.value,
        "assigned_to": w.assigned_to,
        "assigned_on": w.assigned_on,
        "checked_by": w.checked_by,
        "checked_on": w.checked_on,
        "check_note": w.check_note,
        "decided_by": w.decided_by,
        "decided_on": w.decided_on,
        "category": w.category,
        "reason": w.reason,
    }


def warning_from(r: Row) -> RiskWarning:
    return RiskWarning(
        warning_id=r["warning_id"],
        household_id=r["household_id"],
        rules=tuple(r["rules"]),
        period=parse_period(r["period"]),
        raised_on=r["raised_on"],
        check_due=r["check_due"],
        status=r["status"],
        assigned_to=r["assigned_to"],
        assigned_on=r["assigned_on"],
        checked_by=r["checked_by"],
        checked_on=r["checked_on"],
        check_note=r["check_note"],
        decided_by=r["decided_by"],
        decided_on=r["decided_on"],
        category=r["category"],
        reason=r["reason"],
    )


#: Repository name -> (record to row, row to record) for the single-table records.
SIMPLE: dict[str, tuple[Any, Any]] = {
    "helpers": (helper_row, helper_from),
    "pairings": (pairing_row, pairing_from),
    "needs": (need_row, need_from),
    "referrals": (referral_row, referral_from),
    "activities": (activity_row, activity_from),
    "programs": (program_row, program_from),
    "funds": (fund_row, fund_from),
    "grants": (grant_row, grant_from),
    "decisions": (decision_row, decision_from),
    "consents": (consent_row, consent_from),
    "grievances": (grievance_row, grievance_from),
    "plans": (plan_row, plan_from),
    "plan_items": (plan_item_row, plan_item_from),
    "objections": (objection_row, objection_from),
    "eliminations": (elimination_row, elimination_from),
    "observations": (observation_row, observation_from),
    "warnings": (warning_row, warning_from),
}
