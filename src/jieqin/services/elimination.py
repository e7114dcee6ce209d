"""Risk elimination (风险消除): a monitored household leaves monitoring, on evidence,
after approval and public notice.

A household leaves monitoring only when all of these hold, each checked by the step
that needs it and refused (:class:`EliminationRefused`, naming the reason) otherwise:

1. **stable income** (:func:`stability`): for each of the last ``stability_months``
   whole months before the day (the parameter in force there), the household's
   income per person, at a yearly rate, was above the monitoring line in force on
   the month's last day. A month's income is its most specific income observation
   (the month's own, else its quarter's, else its year's; of several, the latest
   recorded). A month without one is not stable;
2. **a home check** recorded with the proposal (:func:`propose_elimination`): by a
   helper paired with the household that day, its township's clerk, or a clerk as
   themselves (:func:`~jieqin.services.warning_lifecycle.may_check`), no earlier than
   the first day of the last month of evidence;
3. **approval and public notice**, as an allocation plan has them
   (:mod:`jieqin.services.approval` shares its maker-checker and notice rules):
   someone other than the maker, in a role that decides, approves it
   (:func:`approve_elimination`) and the notice runs ``days`` days; an objection
   received during it (:func:`object_to_elimination`) holds the elimination until
   it is decided (:func:`decide_elimination_objection`): upheld, the elimination is
   withdrawn and the household stays monitored; dismissed, it goes on;
4. **the commit** after the notice (:func:`commit_elimination`), no objection
   open, the household still in the status it was proposed from: its status
   changes to ``to_status`` from the commit day, the status change's note naming
   every step (evidence, check, approval, notice, commit).

:func:`withdraw_elimination` withdraws one not committed, saying why. Each public
function that writes commits its unit of work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs
from attrs import frozen

from jieqin.errors import ConflictError, InvalidValue, NotFound
from jieqin.model import (
    MONITORED_STATUSES,
    Elimination,
    Household,
    HouseholdStatus,
    Month,
    Objection,
    ObjectionStatus,
    PlanStatus,
    StableMonth,
    StatusChange,
)
from jieqin.model.monitoring import Observation, ObservationKind
from jieqin.model.periods import Quarter
from jieqin.rules.ids import stable_id
from jieqin.security.roles import NotPermitted, Role
from jieqin.services.approval import maker_checker, notice_period
from jieqin.services.warning_lifecycle import may_check

if TYPE_CHECKING:
    from jieqin.storage.base import UnitOfWork

__all__ = [
    "NOTICE_DAYS",
    "EliminationRefused",
    "MonitoringStandards",
    "MonthEvidence",
    "Stability",
    "approve_elimination",
    "commit_elimination",
    "decide_elimination_objection",
    "evidence_months",
    "list_eliminations",
    "object_to_elimination",
    "propose_elimination",
    "stability",
    "steps_note",
    "withdraw_elimination",
]

#: How many days an elimination's public notice runs unless the approver says.
NOTICE_DAYS = 7


class EliminationRefused(ConflictError):
    """A household cannot leave monitoring as asked: its income was not stable above
    the line, its home check is missing or not allowed, it is not approved, its notice
    has not ended, an objection holds it, or it was committed or withdrawn already."""


@frozen
class MonitoringStandards:
    """The standards an elimination is judged by: the monitoring line (yuan per person
    per year) in force in a region on a day, and the number of months income must have
    been stable above it there on a day."""

    line: Callable[[str, date], Decimal]
    stability_months: Callable[[str, date], int]

    @classmethod
    def fixed(cls, line: Decimal | int | str, months: int = 6) -> MonitoringStandards:
        """One line and one number of months everywhere, every day (for tests)."""
        amount = Decimal(str(line))
        return cls(lambda region, day: amount, lambda region, day: months)


@frozen
class MonthEvidence:
    """One month of the stability rule: the income observation that counts for it
    (``None``: there is none), its income at a yearly rate, and the line in force."""

    month: Month
    line: Decimal
    observation: Observation | None = None

    @property
    def income(self) -> Decimal | None:
        """The household's income per person at a yearly rate (``None``: unknown)."""
        return None if self.observation is None else self.observation.annual_amount

    @property
    def stable(self) -> bool:
        """Whether the income is known and above the line."""
        return self.income is not None and self.income > self.line

    def explain(self) -> str:
        """The month as the explanation says it."""
        if self.observation is None:
            return f"{self.month}: no income observation (line {self.line}): not stable"
        o = self.observation
        verdict = "above" if self.stable else "not above"
        return (
            f"{self.month}: income {self.income} a year per person ({o.period} observation "
            f"{o.observation_id}, {o.source}) is {verdict} the line {self.line}"
        )


@frozen
class Stability:
    """Whether a household's income was stable above the line over the months asked."""

    household_id: str
    as_of: date
    months: tuple[MonthEvidence, ...]

    @property
    def holds(self) -> bool:
        """Whether every month was stable."""
        return bool(self.months) and all(m.stable for m in self.months)

    def explanation(self) -> list[str]:
        """One line per month, then the verdict."""
        lines = [m.explain() for m in self.months]
        first, last = self.months[0].month, self.months[-1].month
        if self.holds:
            lines.append(
                f"stable: income above the line each of the {len(self.months)} months "
                f"{first} to {last}"
            )
        else:
            bad = [str(m.month) for m in self.months if not m.stable]
            lines.append(
                f"not stable: {len(bad)} of the {len(self.months)} months {first} to {last} "
                f"were not above the line ({', '.join(bad)})"
            )
        return lines

    def stable_months(self) -> tuple[StableMonth, ...]:
        """The evidence as an elimination keeps it (only when the rule holds)."""
        assert self.holds
        return tuple(StableMonth(m.month, m.income, m.line) for m in self.months)


# -- the stability rule ----------------------------------------------------------------


def evidence_months(day: date, count: int) -> tuple[Month, ...]:
    """The ``count`` whole months before the month of ``day``, oldest first."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InvalidValue(
            f"stability is judged over 1 month or more, not {count!r}", field="stability_months"
        )
    first = date(day.year, day.month, 1)
    months = []
    for _ in range(count):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(Month(first.year, first.month))
    return tuple(reversed(months))


def _specificity(observation: Observation) -> int:
    period = observation.period
    return 2 if isinstance(period, Month) else 1 if isinstance(period, Quarter) else 0


def _covering(month: Month, observations: Iterable[Observation]) -> Observation | None:
    """The observation that counts for ``month``: the most specific period covering it,
    then the latest recorded, then the highest id."""
    covering = [
        o for o in observations if o.period.start <= month.start and month.end <= o.period.end
    ]
    if not covering:
        return None
    return max(covering, key=lambda o: (_specificity(o), o.recorded_on, o.observation_id))


def stability(
    uow: UnitOfWork, household_id: str, standards: MonitoringStandards, *, on: date | None = None
) -> Stability:
    """The stability rule for a household on ``on`` (default today): its income in each
    of the ``stability_months`` whole months before, against the line. Writes nothing."""
    day = uow.today if on is None else on
    household = _household(uow, household_id)
    region = household.region.code
    months = evidence_months(day, standards.stability_months(region, day))
    incomes = [
        o
        for o in uow.observations.list(household_id=household_id, kind=ObservationKind.INCOME)
        if o.recorded_on <= day
    ]
    evidence = tuple(
        MonthEvidence(m, standards.line(region, m.end), _covering(m, incomes)) for m in months
    )
    return Stability(household_id, day, evidence)


# -- proposal ------------------------------------------------------------------------------


def propose_elimination(
    uow: UnitOfWork,
    household_id: str,
    standards: MonitoringStandards,
    *,
    checked_by: str,
    checked_on: date,
    note: str = "",
    to_status: str | None = None,
    role: Role | None = None,
    monitored: Iterable[str] = MONITORED_STATUSES,
) -> tuple[Elimination, Stability]:
    """Propose today that a monitored household leave monitoring, with the home check
    that found it so. ``to_status``: the status it takes (default the status it had
    before it was monitored, else ``lifted_out``); never a monitored one. The unit of
    work's actor is the maker. Commits.

    :raises EliminationRefused: not monitored, an elimination or a warning of it is
        open, the stability rule does not hold (the explanation says why), or the check is too
        old. :raises NotPermitted: the checker may not check the household.
    """
    statuses = frozenset(monitored)
    today = uow.today
    household = _household(uow, household_id)
    current = household.status_on(today)
    if current not in statuses:
        raise EliminationRefused(
            f"household {household_id} is {current}, not monitored ({', '.join(sorted(statuses))})"
            ": there is no risk to eliminate"
        )
    for other in uow.eliminations.list(household_id=household_id):
        if other.open:
            raise EliminationRefused(
                f"elimination {other.elimination_id} of household {household_id} is "
                f"{other.status}: decide it (commit or withdraw) before proposing another"
            )
    _no_open_warning(uow, household_id)
    target = _target(household, today, statuses) if to_status is None else to_status
    if target in statuses:
        raise EliminationRefused(
            f"{target} is a monitored status: a household leaves monitoring for one that is not"
        )
    found = stability(uow, household_id, standards, on=today)
    if not found.holds:
        raise EliminationRefused(
            f"household {household_id} has no stable income above the line: "
            + "; ".join(found.explanation())
        )
    last = found.months[-1].month
    if checked_on > today or checked_on < last.start:
        raise EliminationRefused(
            f"the home check of {checked_on} is not between the start of the last month of "
            f"evidence ({last.start}) and today ({today}): check the household again"
        )
    refusal = may_check(uow, household, checked_by, checked_on, role=role)
    if refusal is not None:
        raise NotPermitted(f"the home check: {refusal}")
    number = uow.eliminations.count(household_id=household_id) + 1
    elimination = Elimination(
        elimination_id=stable_id("el", household_id, str(number)),
        household_id=household_id,
        from_status=current,
        to_status=target,
        stable_months=found.stable_months(),
        checked_by=checked_by,
        checked_on=checked_on,
        check_note=note,
        made_by=uow.actor,
        made_on=today,
    )
    uow.eliminations.add(elimination)
    uow.commit()
    return elimination, found


def _target(household: Household, day: date, monitored: frozenset[str]) -> str:
    """The status before the household's current monitored stretch (if not monitored
    and not moved away), else ``lifted_out``."""
    history = [c for c in household.status_history if c.since <= day]
    for change in reversed(history):
        if change.status not in monitored:
            if change.status != HouseholdStatus.MOVED_AWAY:
                return change.status
            break
    return HouseholdStatus.LIFTED_OUT.value


# -- approval, objections, commit, withdrawal --------------------------------------------------


def approve_elimination(
    uow: UnitOfWork, elimination_id: str, *, role: Role, days: int | None = None
) -> Elimination:
    """Approve a pending elimination today, by the unit of work's actor in ``role`` (a
    role that decides, not the maker), and start its public notice of ``days`` days
    (default :data:`NOTICE_DAYS`). Commits.
    """
    elimination = _elimination(uow, elimination_id)
    maker_checker(uow, elimination.made_by, f"elimination {elimination_id}", role, "approve it")
    if elimination.status is PlanStatus.APPROVED:
        raise EliminationRefused(
            f"elimination {elimination_id} was approved on {elimination.approved_on} by "
            f"{elimination.approved_by}; its notice runs until {elimination.notice_until}"
        )
    _not_closed(elimination, "there is nothing to approve")
    start, end = notice_period(uow.today, NOTICE_DAYS if days is None else days)
    approved = attrs.evolve(
        elimination,
        status=PlanStatus.APPROVED,
        approved_by=uow.actor,
        approved_on=uow.today,
        notice_from=start,
        notice_until=end,
    )
    uow.eliminations.update(approved)
    uow.commit()
    return approved


def object_to_elimination(
    uow: UnitOfWork,
    elimination_id: str,
    *,
    reason: str,
    objector: str = "",
    on: date | None = None,
) -> Objection:
    """Record an objection received on ``on`` (default today) during the elimination's
    notice: it holds the elimination until decided. Commits.

    :raises EliminationRefused: not on notice that day.
    """
    elimination = _elimination(uow, elimination_id)
    day = uow.today if on is None else on
    if day > uow.today:
        raise InvalidValue(f"an objection received on {day} is after today", field="on")
    _not_closed(elimination, "it takes no objection")
    if not elimination.in_notice(day):
        when = (
            "it is not approved yet, so not on notice"
            if elimination.notice_from is None
            else f"its notice ran from {elimination.notice_from} to {elimination.notice_until}"
        )
        raise EliminationRefused(
            f"elimination {elimination_id}: {when}; an objection received on {day} is "
            "outside it (take it up as a grievance)"
        )
    number = len(elimination.objections) + 1
    objection = Objection(
        objection_id=stable_id("o", elimination_id, str(number)),
        plan_id=elimination_id,
        household_id=elimination.household_id,
        member_id=None,
        received_on=day,
        statement=reason,
        objector=objector,
    )
    uow.eliminations.update(
        attrs.evolve(elimination, objections=(*elimination.objections, objection))
    )
    uow.commit()
    return objection


def decide_elimination_objection(
    uow: UnitOfWork, objection_id: str, *, uphold: bool, reason: str, role: Role
) -> Elimination:
    """Uphold or dismiss an open objection today, by the unit of work's actor in
    ``role`` (a role that decides, not the elimination's maker). Upheld: the
    elimination is withdrawn (the household stays monitored). Commits.
    """
    elimination = _of_objection(uow, objection_id)
    maker_checker(
        uow,
        elimination.made_by,
        f"elimination {elimination.elimination_id}",
        role,
        f"decide objection {objection_id} to it",
    )
    objection = next(o for o in elimination.objections if o.objection_id == objection_id)
    if not objection.is_open:
        raise EliminationRefused(
            f"objection {objection_id} was {objection.status} on {objection.decided_on} by "
            f"{objection.decided_by}: a decision stands"
        )
    if not reason.strip():
        raise InvalidValue("a decision on an objection says why", field="reason")
    today = uow.today
    decided = attrs.evolve(
        objection,
        status=ObjectionStatus.UPHELD if uphold else ObjectionStatus.DISMISSED,
        decided_on=today,
        decided_by=uow.actor,
        decision_reason=reason,
    )
    objections = tuple(decided if o is objection else o for o in elimination.objections)
    changed = attrs.evolve(elimination, objections=objections)
    if uphold and changed.open:
        changed = attrs.evolve(
            changed,
            status=PlanStatus.WITHDRAWN,
            withdrawn_on=today,
            withdraw_reason=f"objection {objection_id} upheld: {reason}"[:200],
        )
    uow.eliminations.update(changed)
    uow.commit()
    return changed


def commit_elimination(uow: UnitOfWork, elimination_id: str) -> tuple[Elimination, Household]:
    """Commit an approved elimination after its notice: the household's status becomes
    ``to_status`` from today, the status change naming every step. Commits.

    :raises EliminationRefused: not approved, its notice not over, an objection open,
        a warning of the household open, the household's status changed since, or it
        already changed today.
    """
    elimination = _elimination(uow, elimination_id)
    _not_closed(elimination, "it is not committed twice")
    today = uow.today
    if elimination.status is PlanStatus.PENDING:
        raise EliminationRefused(
            f"elimination {elimination_id} is not approved: someone else, in a role that "
            f"decides, approves it (`jieqin monitor approve {elimination_id}`) and its notice "
            "runs first"
        )
    assert elimination.notice_until is not None
    if today <= elimination.notice_until:
        raise EliminationRefused(
            f"the notice of elimination {elimination_id} runs until "
            f"{elimination.notice_until}: objections may still come; commit it from "
            f"{elimination.notice_until + timedelta(days=1)}"
        )
    held = [o.objection_id for o in elimination.objections if o.is_open]
    if held:
        raise EliminationRefused(
            f"elimination {elimination_id} is held by objection {', '.join(held)}: decide it "
            f"first (`jieqin monitor objection {held[0]} --uphold|--dismiss --reason …`)"
        )
    _no_open_warning(uow, elimination.household_id)
    household = _household(uow, elimination.household_id)
    now = household.status_on(today)
    if now != elimination.from_status:
        raise EliminationRefused(
            f"household {household.household_id} is {now} now, not {elimination.from_status} as "
            f"when elimination {elimination_id} was made: withdraw it and propose anew"
        )
    last = household.status_history[-1]
    if last.since >= today:
        raise EliminationRefused(
            f"household {household.household_id} took status {last.status} on {last.since}: "
            "commit on a later day"
        )
    committed = attrs.evolve(elimination, status=PlanStatus.COMMITTED, committed_on=today)
    change = StatusChange(elimination.to_status, today, steps_note(committed))
    moved = attrs.evolve(household, status_history=(*household.status_history, change))
    uow.households.update(moved)
    uow.eliminations.update(committed)
    uow.commit()
    return committed, moved


def steps_note(elimination: Elimination) -> str:
    """The status change's note: the elimination and each step it took."""
    e = elimination
    parts = [
        f"风险消除 {e.elimination_id}: {e.from_status} -> {e.to_status}",
        f"stable income above the line {e.stable_from} to {e.stable_until}",
        f"home check {e.checked_on} by {e.checked_by}",
        f"proposed {e.made_on} by {e.made_by}",
        f"approved {e.approved_on} by {e.approved_by}",
        f"notice {e.notice_from} to {e.notice_until}",
    ]
    decided = [o for o in e.objections if not o.is_open]
    if decided:
        parts.append(f"{len(decided)} objections dismissed")
    parts.append(f"committed {e.committed_on}")
    return "; ".join(parts)


def withdraw_elimination(uow: UnitOfWork, elimination_id: str, *, reason: str) -> Elimination:
    """Withdraw an elimination not committed, today, saying why. Commits."""
    if not reason.strip():
        raise InvalidValue("a withdrawal says why", field="reason")
    elimination = _elimination(uow, elimination_id)
    if elimination.status is PlanStatus.COMMITTED:
        raise EliminationRefused(
            f"elimination {elimination_id} was committed on {elimination.committed_on}: the "
            "household left monitoring; a new warning brings it back"
        )
    _not_closed(elimination, "a withdrawal stands")
    withdrawn = attrs.evolve(
        elimination, status=PlanStatus.WITHDRAWN, withdrawn_on=uow.today, withdraw_reason=reason
    )
    uow.eliminations.update(withdrawn)
    uow.commit()
    return withdrawn


def list_eliminations(
    uow: UnitOfWork, *, status: str | None = None, household_id: str | None = None
) -> list[Elimination]:
    """The stored eliminations, by id, of one status or one household."""
    filters: dict[str, object] = {}
    if status is not None:
        filters["status"] = PlanStatus(status)
    if household_id is not None:
        filters["household_id"] = household_id
    return uow.eliminations.list(**filters)


# -- shared ------------------------------------------------------------------------------------


def _household(uow: UnitOfWork, household_id: str) -> Household:
    found = uow.households.find(household_id)
    if found is None:
        raise NotFound(f"no household {household_id}")
    return found


def _elimination(uow: UnitOfWork, elimination_id: str) -> Elimination:
    found = uow.eliminations.find(elimination_id)
    if found is None:
        raise NotFound(f"no elimination {elimination_id}; `jieqin monitor eliminations` lists them")
    return found


def _of_objection(uow: UnitOfWork, objection_id: str) -> Elimination:
    approved: Sequence[Elimination] = uow.eliminations.list(status=PlanStatus.APPROVED)
    for elimination in (*approved, *uow.eliminations.list()):
        if any(o.objection_id == objection_id for o in elimination.objections):
            return elimination
    raise NotFound(f"no objection {objection_id} to an elimination")


def _no_open_warning(uow: UnitOfWork, household_id: str) -> None:
    """Refuse while a risk warning of the household waits for its check or decision: a
    risk found anew is not eliminated before it is looked at."""
    waiting = [w for w in uow.warnings.list(household_id=household_id) if w.is_open]
    if waiting:
        w = waiting[0]
        raise EliminationRefused(
            f"warning {w.warning_id} of household {household_id} is {w.status}: check and "
            "decide it first (`jieqin warnings check`)"
        )


def _not_closed(elimination: Elimination, what: str) -> None:
    if elimination.status is PlanStatus.COMMITTED:
        raise EliminationRefused(
            f"elimination {elimination.elimination_id} was committed on "
            f"{elimination.committed_on}: {what}"
        )
    if elimination.status is PlanStatus.WITHDRAWN:
        raise EliminationRefused(
            f"elimination {elimination.elimination_id} was withdrawn on "
            f"{elimination.withdrawn_on} ({elimination.withdraw_reason}): {what}"
        )
