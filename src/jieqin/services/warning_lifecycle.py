"""A risk warning's lifecycle: assigned, checked at home, confirmed or dismissed.

A warning (:class:`~jieqin.model.RiskWarning`) raised by the warning rules is
assigned at once (:func:`assign`) to the household's paired helper on the day
(the primary helper, else the lowest helper id), or to the township's clerk,
``township:<code>``, where it has none. Its home check is due by ``check_due``.

- :func:`record_check`: the household was checked at home on a day, by whom, with a
  note. The checker is the assigned helper, a helper paired with the household that
  day, the township's clerk, or someone whose role may write households everywhere
  in their scope (a clerk, an administrator): :func:`may_check`.
- :func:`confirm`: a checked warning is confirmed as a monitoring category (a
  household status registered as monitored): the household's status is that category
  from the decision day (a :class:`~jieqin.model.StatusChange` appended through
  ``uow.households``), and its needs are derived: the needs its members' facts raise
  (:func:`~jieqin.needs.derive_needs`), and one need per warning rule that tells
  what to do (:data:`RULE_NEEDS`). They are open needs like any other, routed by
  ``jieqin needs route`` as every need is.
- :func:`dismiss`: a checked warning is dismissed, saying why.
- :func:`check_warning`: the check and the decision in one step (what ``jieqin
  warnings check`` does).
- :func:`overdue_warnings`: warnings whose check is past its due day
  (:meth:`~jieqin.model.RiskWarning.overdue_on`), most days overdue first.

A step never moves back: each is taken only from the status before it
(:data:`~jieqin.model.monitoring.NEXT_WARNING_STATUSES`), and what it recorded is
never rewritten. Each public function that writes commits its unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

import attrs
from attrs import frozen

from jieqin.errors import ConflictError, InvalidValue, NotFound
from jieqin.model import (
    MONITORED_STATUSES,
    Household,
    Need,
    NeedKind,
    NeedSource,
    PairingRole,
    StatusChange,
)
from jieqin.model.monitoring import NEXT_WARNING_STATUSES, RiskWarning, WarningStatus
from jieqin.needs import STANDARD_NEED_RULES, NeedRule, derive_needs, need_id
from jieqin.rules import Context
from jieqin.security.roles import NotPermitted, Role, ScopeKind

if TYPE_CHECKING:
    from jieqin.storage.base import UnitOfWork

__all__ = [
    "RESULTS",
    "RULE_NEEDS",
    "Confirmed",
    "OverdueWarning",
    "WarningStepRefused",
    "assign",
    "assignee",
    "check_warning",
    "confirm",
    "dismiss",
    "list_warnings",
    "may_check",
    "overdue_warnings",
    "record_check",
    "township_clerk",
]

#: What a home check may find (``jieqin warnings check --result``).
RESULTS = ("confirmed", "dismissed")

#: The need each warning rule raises when its warning is confirmed: a medical burden or
#: a new major illness or disability needs medical support, a school dropout schooling
#: support, a low or falling income employment help.
RULE_NEEDS: Mapping[str, str] = {
    "income_below_line": NeedKind.EMPLOYMENT,
    "income_fell": NeedKind.EMPLOYMENT,
    "medical_burden": NeedKind.MEDICAL,
    "new_major_illness_or_disability": NeedKind.MEDICAL,
    "school_dropout": NeedKind.SCHOOLING,
}


class WarningStepRefused(ConflictError):
    """A warning cannot take the step asked: steps only move forward (raised,
    assigned, checked, confirmed or dismissed), and a decision stands."""


@frozen
class Confirmed:
    """A confirmed warning, the household as its status now stands, and the needs the
    confirmation raised (stored, open, to be routed)."""

    warning: RiskWarning
    household: Household
    needs: tuple[Need, ...]


@frozen
class OverdueWarning:
    """A warning whose home check is past its due day on ``as_of``."""

    warning: RiskWarning
    as_of: date
    days_overdue: int

    def as_dict(self) -> dict[str, object]:
        """The row as plain data (no rule, no note: a rule can tell a health fact)."""
        w = self.warning
        return {
            "warning": w.warning_id,
            "household": w.household_id,
            "status": w.status.value,
            "assigned_to": w.assigned_to,
            "raised_on": w.raised_on.isoformat(),
            "check_due": w.check_due.isoformat(),
            "days_overdue": self.days_overdue,
        }


# -- assignment ---------------------------------------------------------------------------


def township_clerk(household: Household) -> str:
    """The assignee where a household has no helper: its township's clerk."""
    return township_of(household.region.code)


def township_of(region_code: str) -> str:
    """The township clerk's assignee id for a household of ``region_code``."""
    return f"township:{region_code[:9]}"


def paired_assignees(uow: UnitOfWork, household_ids: Iterable[str], day: date) -> dict[str, str]:
    """The helper each of these households' warnings raised on ``day`` goes to: the one
    paired with it that day (its primary helper, else the lowest helper id), in one
    set-based read; a household paired with no one that day is left out."""
    out: dict[str, str] = {}
    for household_id, pairings in uow.pairings.of_households(household_ids).items():
        active = [p for p in pairings if p.active_on(day)]
        if active:
            primary = [p for p in active if p.role is PairingRole.PRIMARY]
            out[household_id] = min(p.helper_id for p in (primary or active))
    return out


def assignee(uow: UnitOfWork, household_id: str, day: date) -> str:
    """Who a household's warning raised on ``day`` goes to: :func:`paired_assignees`,
    else its township's clerk (``township:<9-digit code>``)."""
    helper = paired_assignees(uow, [household_id], day).get(household_id)
    return helper if helper is not None else township_clerk(uow.households.get(household_id))


def assign(uow: UnitOfWork, warning: RiskWarning, *, on: date | None = None) -> RiskWarning:
    """The raised ``warning`` assigned on ``on`` (default the day it was raised) to
    :func:`assignee`. Writes nothing: the caller stores it.

    :raises WarningStepRefused: the warning is not raised (it was assigned already).
    """
    _may_move(warning, WarningStatus.ASSIGNED)
    day = warning.raised_on if on is None else on
    return attrs.evolve(
        warning,
        status=WarningStatus.ASSIGNED,
        assigned_to=assignee(uow, warning.household_id, day),
        assigned_on=day,
    )


# -- the home check -----------------------------------------------------------------------


def may_check(
    uow: UnitOfWork,
    household: Household,
    checker: str,
    day: date,
    *,
    assigned_to: str | None = None,
    role: Role | None = None,
) -> str | None:
    """Why ``checker`` may not check ``household`` at home on ``day`` (``None``: they
    may). A checker may: the helper or clerk the warning was assigned to, a helper
    paired with the household that day, the household's township clerk, or the unit
    of work's actor when their role (``role``; none: a local administrator) writes
    households and is not scoped to one helper's households."""
    if checker in (assigned_to, township_clerk(household)):
        return None
    paired = uow.pairings.active_on(day, household_id=household.household_id)
    if checker in {p.helper_id for p in paired}:
        return None
    if checker == uow.actor and (
        role is None or (role.may_write("households") and role.scope is not ScopeKind.HELPER)
    ):
        return None
    whom = f", nor {assigned_to} it is assigned to" if assigned_to else ""
    return (
        f"{checker} is not paired with household {household.household_id} on {day}, nor "
        f"its township's clerk ({township_clerk(household)}){whom}; a clerk may check it "
        "as themselves"
    )


def record_check(
    uow: UnitOfWork,
    warning_id: str,
    *,
    checked_by: str | None = None,
    on: date | None = None,
    note: str = "",
    role: Role | None = None,
) -> RiskWarning:
    """Record the home check of an assigned warning, by ``checked_by`` (default the
    unit of work's actor) on ``on`` (default today). Commits.

    :raises WarningStepRefused: not assigned, or checked already.
    :raises NotPermitted: the checker may not check it (:func:`may_check`).
    """
    checked = _checked(uow, _warning(uow, warning_id), checked_by, on, note, role)
    uow.warnings.update(checked)
    uow.commit()
    return checked


def _checked(
    uow: UnitOfWork,
    warning: RiskWarning,
    checked_by: str | None,
    on: date | None,
    note: str,
    role: Role | None,
) -> RiskWarning:
    _may_move(warning, WarningStatus.CHECKED)
    day = uow.today if on is None else on
    if day > uow.today:
        raise InvalidValue(f"a check on {day} is after today ({uow.today})", field="on")
    assert warning.assigned_on is not None
    if day < warning.assigned_on:
        raise InvalidValue(
            f"a check on {day} is before the warning was assigned ({warning.assigned_on})",
            field="on",
        )
    who = uow.actor if checked_by is None else checked_by
    household = uow.households.get(warning.household_id)
    refusal = may_check(uow, household, who, day, assigned_to=warning.assigned_to, role=role)
    if refusal is not None:
        raise NotPermitted(f"warning {warning.warning_id}: {refusal}")
    return attrs.evolve(
        warning, status=WarningStatus.CHECKED, checked_by=who, checked_on=day, check_note=note
    )


# -- the decision ---------------------------------------------------------------------------


def confirm(
    uow: UnitOfWork,
    warning_id: str,
    category: str,
    *,
    on: date | None = None,
    monitored: Iterable[str] = MONITORED_STATUSES,
    rules: Sequence[NeedRule] = STANDARD_NEED_RULES,
) -> Confirmed:
    """Confirm a checked warning as ``category`` on ``on`` (default today): the
    household's status is ``category`` from that day and the needs it raises are
    stored. ``monitored`` are the household statuses registered as monitored. Commits.

    :raises InvalidValue: ``category`` is not a monitored status.
    :raises WarningStepRefused: the warning is not checked, or was decided.
    """
    result = _confirmed(uow, _warning(uow, warning_id), category, on, monitored, rules)
    uow.commit()
    return result


def _confirmed(
    uow: UnitOfWork,
    warning: RiskWarning,
    category: str,
    on: date | None,
    monitored: Iterable[str],
    rules: Sequence[NeedRule],
) -> Confirmed:
    statuses = frozenset(monitored)
    if category not in statuses:
        raise InvalidValue(
            f"{category!r} is not a monitored status; one of: {', '.join(sorted(statuses))}",
            field="category",
        )
    _may_move(warning, WarningStatus.CONFIRMED)
    day = _decision_day(uow, warning, on)
    confirmed = attrs.evolve(
        warning,
        status=WarningStatus.CONFIRMED,
        decided_by=uow.actor,
        decided_on=day,
        category=category,
    )
    household = uow.households.get(warning.household_id)
    if household.status_on(day) != category:
        household = _with_status(
            household,
            StatusChange(category, day, f"confirmed as {category}: warning {warning.warning_id}"),
        )
        uow.households.update(household)
    uow.warnings.update(confirmed)
    needs = _needs(uow, household, confirmed, rules)
    uow.needs.add_many(needs)
    return Confirmed(confirmed, household, tuple(needs))


def _with_status(household: Household, change: StatusChange) -> Household:
    """The household with ``change`` appended to its status history.

    :raises WarningStepRefused: the history has a change on or after that day (a
        status history only grows at its end, one change a day).
    """
    last = household.status_history[-1]
    if last.since >= change.since:
        raise WarningStepRefused(
            f"household {household.household_id} took status {last.status} on {last.since}: "
            f"a status from {change.since} would rewrite its history; decide on a later day"
        )
    return attrs.evolve(household, status_history=(*household.status_history, change))


def _needs(
    uow: UnitOfWork, household: Household, warning: RiskWarning, rules: Sequence[NeedRule]
) -> list[Need]:
    """The needs a confirmation raises: those its members' facts raise for the
    warning's period, and one household need per rule of :data:`RULE_NEEDS`, none a
    need of the same kind for an overlapping period already holds."""
    assert warning.decided_on is not None
    period = warning.period
    existing = [
        n
        for n in uow.needs.list(household_id=household.household_id)
        if n.period.start <= period.end and period.start <= n.period.end
    ]
    context = Context.build(period, on=warning.decided_on)
    derived = derive_needs([household], context, rules, existing=existing)
    have = {n.kind for n in (*existing, *derived) if n.member_id is None}
    raised: list[Need] = []
    for kind in sorted({RULE_NEEDS[r] for r in warning.rules if r in RULE_NEEDS}):
        if kind in have:
            continue
        raised.append(
            Need(
                need_id=need_id(kind, period, household.household_id, "warning"),
                household_id=household.household_id,
                kind=kind,
                period=period,
                source=NeedSource.RULE,
                raised_on=warning.decided_on,
                note="监测预警",
            )
        )
    stored = uow.needs.stored(n.need_id for n in (*derived, *raised))
    return [n for n in (*derived, *raised) if n.need_id not in stored]


def dismiss(
    uow: UnitOfWork, warning_id: str, reason: str, *, on: date | None = None
) -> RiskWarning:
    """Dismiss a checked warning on ``on`` (default today), saying why. Commits.

    :raises WarningStepRefused: the warning is not checked, or was decided.
    """
    dismissed = _dismissed(uow, _warning(uow, warning_id), reason, on)
    uow.commit()
    return dismissed


def _dismissed(uow: UnitOfWork, warning: RiskWarning, reason: str, on: date | None) -> RiskWarning:
    if not reason.strip():
        raise InvalidValue("a dismissal says why", field="reason")
    _may_move(warning, WarningStatus.DISMISSED)
    day = _decision_day(uow, warning, on)
    dismissed = attrs.evolve(
        warning,
        status=WarningStatus.DISMISSED,
        decided_by=uow.actor,
        decided_on=day,
        reason=reason,
    )
    uow.warnings.update(dismissed)
    return dismissed


def check_warning(
    uow: UnitOfWork,
    warning_id: str,
    result: str,
    *,
    category: str | None = None,
    reason: str = "",
    note: str = "",
    checked_by: str | None = None,
    on: date | None = None,
    role: Role | None = None,
    monitored: Iterable[str] = MONITORED_STATUSES,
    rules: Sequence[NeedRule] = STANDARD_NEED_RULES,
) -> RiskWarning | Confirmed:
    """Record an assigned warning's home check and its result in one step: confirmed
    as ``category``, or dismissed for ``reason``. Writes both or nothing; commits.
    """
    if result not in RESULTS:
        raise InvalidValue(f"a check's result is one of {', '.join(RESULTS)}", field="result")
    if result == "confirmed" and not category:
        raise InvalidValue("a confirmation names the monitoring category", field="category")
    if result == "dismissed" and not reason.strip():
        raise InvalidValue("a dismissal says why", field="reason")
    checked = _checked(uow, _warning(uow, warning_id), checked_by, on, note, role)
    uow.warnings.update(checked)  # each step is written (and audited) in its turn
    outcome: RiskWarning | Confirmed
    if result == "confirmed":
        assert category is not None
        outcome = _confirmed(uow, checked, category, checked.checked_on, monitored, rules)
    else:
        outcome = _dismissed(uow, checked, reason, checked.checked_on)
    uow.commit()
    return outcome


# -- listings -------------------------------------------------------------------------------


def list_warnings(
    uow: UnitOfWork,
    *,
    status: str | None = None,
    overdue_on: date | None = None,
    household_id: str | None = None,
) -> list[RiskWarning]:
    """The stored warnings, by id: of one status, one household, or only those whose
    check is overdue on ``overdue_on``."""
    filters: dict[str, object] = {}
    if status is not None:
        filters["status"] = WarningStatus(status)
    if household_id is not None:
        filters["household_id"] = household_id
    found = uow.warnings.list(**filters)
    if overdue_on is not None:
        found = [w for w in found if w.overdue_on(overdue_on)]
    return found


def overdue_warnings(uow: UnitOfWork, as_of: date) -> list[OverdueWarning]:
    """The warnings whose home check is overdue on ``as_of``, most days overdue first
    (then by warning id)."""
    late = [
        OverdueWarning(w, as_of, (as_of - w.check_due).days)
        for w in uow.warnings.list()
        if w.overdue_on(as_of)
    ]
    return sorted(late, key=lambda o: (-o.days_overdue, o.warning.warning_id))


# -- shared ---------------------------------------------------------------------------------


def _warning(uow: UnitOfWork, warning_id: str) -> RiskWarning:
    found = uow.warnings.find(warning_id)
    if found is None:
        raise NotFound(f"no warning {warning_id}; `jieqin warnings list` lists them")
    return found


def _may_move(warning: RiskWarning, to: WarningStatus) -> None:
    if to in NEXT_WARNING_STATUSES[warning.status]:
        return
    if not warning.is_open:
        raise WarningStepRefused(
            f"warning {warning.warning_id} was {warning.status} on {warning.decided_on} by "
            f"{warning.decided_by}: a decision stands"
        )
    if warning.status is WarningStatus.CHECKED and to is WarningStatus.CHECKED:
        raise WarningStepRefused(
            f"warning {warning.warning_id} was checked on {warning.checked_on} by "
            f"{warning.checked_by}: a check stands; confirm or dismiss it"
        )
    raise WarningStepRefused(
        f"warning {warning.warning_id} is {warning.status}: it cannot be {to} now "
        f"(next: {', '.join(sorted(s.value for s in NEXT_WARNING_STATUSES[warning.status]))})"
    )


def _decision_day(uow: UnitOfWork, warning: RiskWarning, on: date | None) -> date:
    day = uow.today if on is None else on
    assert warning.checked_on is not None
    if day > uow.today:
        raise InvalidValue(f"a decision on {day} is after today ({uow.today})", field="on")
    if day < warning.checked_on:
        raise InvalidValue(
            f"a decision on {day} is before the check ({warning.checked_on})", field="on"
        )
    return day
