"""Raising risk warnings: every warning rule over every household, for a month.

:func:`run_warnings` reads the households and what was observed about them, decides
every warning rule (:mod:`jieqin.rules.warnings`) for the month that ends on or
before the day asked, and stores a new :class:`~jieqin.model.RiskWarning` for each
household at least one rule held for, naming every rule that held. A household
with an open warning (raised, assigned or checked) gets no second one; a household
warned for the month already gets none again, so a run repeated changes nothing.

Each warning is assigned when it is raised, as
:func:`jieqin.services.warning_lifecycle.assignee` says (the helper paired with the
household that day, its primary helper first, else the lowest helper id; else the
township's clerk, ``township:<9-digit code>``), and its home check is due
``warning_check_days`` after (the value in force for the household's region,
:func:`jieqin.rules.monitoring.warning_check_days`). Everything is written through
the unit of work's repositories (checked and audited like every write) and committed
at once; on an error nothing is written. A dry run decides and writes nothing.

On a SQL backend the database sums each household's observations over the windows
the rules read (:mod:`jieqin.storage.sql.monitoring_sums`), so a million households
are read as columns, not objects; elsewhere the observations are read as records.
Both give the same facts (a test holds them to it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from attrs import frozen

from jieqin.errors import InvalidValue, NotFound
from jieqin.model import (
    MONITORED_STATUSES,
    Household,
    Month,
    RiskWarning,
    WarningStatus,
)
from jieqin.rules.facts import Context, Population
from jieqin.rules.monitoring import MonitoringParameters, warning_check_days
from jieqin.rules.observations import ObservationTable
from jieqin.rules.programs import Eligibility
from jieqin.rules.warnings import STANDARD_WARNING_RULES, WarningRule, evaluate, explain
from jieqin.services.warning_lifecycle import paired_assignees, township_of
from jieqin.storage.base import UnitOfWork

__all__ = [
    "OPEN_STATUSES",
    "WarningRun",
    "evaluated_month",
    "explain_household",
    "run_warnings",
    "warning_id",
]

#: The statuses of a warning that still waits for its check or decision.
OPEN_STATUSES = (WarningStatus.RAISED, WarningStatus.ASSIGNED, WarningStatus.CHECKED)


def evaluated_month(as_of: date) -> Month:
    """The month a run on ``as_of`` decides: the month ending on ``as_of``, or else the
    month before it (a run on 2022-04-10 decides March 2022)."""
    if (as_of + timedelta(days=1)).month != as_of.month:
        return Month(as_of.year, as_of.month)
    before = as_of.replace(day=1) - timedelta(days=1)
    return Month(before.year, before.month)


def warning_id(household_id: str, period: Month) -> str:
    """The stable id of a household's warning for a month: ``rw:<20 hex>``."""
    digest = hashlib.sha256(f"{household_id}\x1f{period}".encode()).hexdigest()[:20]
    return f"rw:{digest}"


@frozen
class WarningRun:
    """What a run decided and (unless a dry run) stored."""

    as_of: date
    period: Month
    households: int
    """Households decided."""
    held: Mapping[str, tuple[str, ...]]
    """Household id -> the codes of the rules that held for it (every one, warned or not)."""
    raised: tuple[RiskWarning, ...]
    """The new warnings (stored unless ``dry_run``)."""
    already_open: int
    """Households a rule held for that have an open warning already (none raised)."""
    already_warned: int
    """Households warned for this month already (none raised again)."""
    dry_run: bool
    summed_by_database: bool = False

    def counts(self) -> dict[str, int]:
        """How many households each rule held for, by code."""
        out: dict[str, int] = {}
        for codes in self.held.values():
            for code in codes:
                out[code] = out.get(code, 0) + 1
        return dict(sorted(out.items()))

    def as_dict(self) -> dict[str, Any]:
        """Counts only: which household a rule held for is not shown (a rule can tell a
        health fact)."""
        return {
            "as_of": self.as_of.isoformat(),
            "period": str(self.period),
            "households": self.households,
            "held": len(self.held),
            "raised": len(self.raised),
            "already_open": self.already_open,
            "already_warned": self.already_warned,
            "dry_run": self.dry_run,
        }


def _reads(rules: Sequence[WarningRule], *names: str) -> bool:
    return any(name in rule.condition.facts() for rule in rules for name in names)


def _context(
    uow: UnitOfWork,
    period: Month,
    as_of: date,
    rules: Sequence[WarningRule],
    since: date | None,
    monitored: Iterable[str],
    observations: ObservationTable | None,
) -> Context:
    paired: frozenset[str] = frozenset()
    if _reads(rules, "paired"):
        paired = frozenset(p.household_id for p in uow.pairings.active_on(as_of))
    return Context(
        period,
        as_of,
        paired,
        monitored=frozenset(monitored),
        observations=observations,
        since=since,
    )


def _records(
    uow: UnitOfWork, households: Sequence[Household]
) -> tuple[Population, ObservationTable]:
    population = Population.from_households(households, heads_only=True)
    observed = uow.observations.of_households(population.household_ids)
    rows = [o for found in observed.values() for o in found]
    return population, ObservationTable.from_observations(rows, population.household_ids)


def _read(
    uow: UnitOfWork, context: Context, rules: Sequence[WarningRule]
) -> tuple[Population, ObservationTable, bool]:
    """The households as a population and their observations as a table; summed by the
    database on a SQL backend."""
    from jieqin.storage.sql import monitoring_sums

    statuses = _reads(rules, "household_status", "monitored")
    summed = monitoring_sums.read(uow, context, statuses=statuses)
    if summed is not None:
        return summed[0], summed[1], True
    population, table = _records(uow, uow.households.list())
    return population, table, False


def run_warnings(
    uow: UnitOfWork,
    as_of: date,
    *,
    rules: Sequence[WarningRule] = STANDARD_WARNING_RULES,
    parameters: MonitoringParameters | None = None,
    since: date | None = None,
    monitored: Iterable[str] = MONITORED_STATUSES,
    dry_run: bool = False,
) -> WarningRun:
    """Decide every rule for every household for :func:`evaluated_month` of ``as_of``
    and store the new warnings, raised on ``as_of`` and assigned at once; then commit
    ``uow`` (a dry run rolls back and writes nothing).

    ``since`` is the day of the previous evaluation: a member's illness, disability or
    dropping out observed from it on is new (default: the month's first day).

    :raises InvalidValue: ``as_of`` is after today, or a parameter is not usable.
    """
    if as_of > uow.today:
        raise InvalidValue(
            f"{as_of.isoformat()} is after today ({uow.today.isoformat()}); warnings are "
            "raised for a day that has come",
            field="as_of",
        )
    params = MonitoringParameters() if parameters is None else parameters
    period = evaluated_month(as_of)
    rules = tuple(rules)
    context = _context(uow, period, as_of, rules, since, monitored, None)
    population, table, summed = _read(uow, context, rules)
    context = _context(uow, period, as_of, rules, since, monitored, table)
    held_masks = evaluate(rules, population, context, params)

    household_ids = population.household_ids
    order = {rule.code: i for i, rule in enumerate(rules)}
    held: dict[str, list[str]] = {}
    for code, mask in held_masks.items():
        for row in mask.nonzero()[0].tolist():
            held.setdefault(household_ids[row], []).append(code)
    open_households = {
        w.household_id for status in OPEN_STATUSES for w in uow.warnings.list(status=status)
    }
    candidates = sorted(h for h in held if h not in open_households)
    ids = {h: warning_id(h, period) for h in candidates}
    stored = {w.warning_id for w in uow.warnings.list(period=period)}
    fresh = [h for h in candidates if ids[h] not in stored]
    assignees = paired_assignees(uow, fresh, as_of)
    regions = population.region_codes
    region_of = population.household_region
    index = population.household_index
    raised = []
    for household_id in fresh:
        code = regions[int(region_of[index[household_id]])]
        days = warning_check_days(code, as_of, params)
        raised.append(
            RiskWarning(
                ids[household_id],
                household_id,
                tuple(sorted(held[household_id], key=order.__getitem__)),
                period,
                as_of,
                as_of + timedelta(days=days),
                status=WarningStatus.ASSIGNED,
                assigned_to=assignees.get(household_id) or township_of(code),
                assigned_on=as_of,
            )
        )
    run = WarningRun(
        as_of=as_of,
        period=period,
        households=len(household_ids),
        held={h: tuple(codes) for h, codes in held.items()},
        raised=tuple(raised),
        already_open=sum(1 for h in held if h in open_households),
        already_warned=len(candidates) - len(fresh),
        dry_run=dry_run,
        summed_by_database=summed,
    )
    if dry_run:
        uow.rollback()
        return run
    if raised:
        uow.warnings.add_many(raised)
    uow.commit()
    return run


def explain_household(
    uow: UnitOfWork,
    household_id: str,
    as_of: date,
    *,
    rules: Sequence[WarningRule] = STANDARD_WARNING_RULES,
    parameters: MonitoringParameters | None = None,
    since: date | None = None,
    monitored: Iterable[str] = MONITORED_STATUSES,
    reveal: bool = False,
) -> list[Eligibility]:
    """Every rule decided for one household for :func:`evaluated_month` of ``as_of``,
    each with its conditions, the values read and the parameters in force for the
    household's region (masked unless ``reveal``). Writes nothing."""
    household = uow.households.find(household_id)
    if household is None:
        raise NotFound(f"no household {household_id}")
    period = evaluated_month(as_of)
    rules = tuple(rules)
    _, table = _records(uow, [household])
    context = _context(uow, period, as_of, rules, since, monitored, table)
    return explain(rules, household, context, parameters, reveal=reveal)
