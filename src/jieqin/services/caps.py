"""Caps across programmes: what a household or member may still be granted in a period.

A programme's caps (:class:`~jieqin.rules.GrantCap`) count the grants in force of the
programmes they name (or of every programme) whose period overlaps the allocation's.
:class:`CapLedger` is the planner's pure account of them: it starts from those grants
and takes each grant the allocation plans, so one run never grants past a cap either.
:func:`counted_grants` and :func:`programs_capped` are the storage side: what to read,
and what to lock before reading it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from jieqin.model import Grant, GrantUnit, Period, PeriodKind, period_containing
from jieqin.model.money import ZERO
from jieqin.rules import AidProgram, GrantCap

if TYPE_CHECKING:
    from jieqin.storage.base import UnitOfWork

__all__ = ["CapLedger", "counted_grants", "overlapping", "programs_capped"]


def _month_starts(period: Period) -> Iterator[date]:
    day = period.start
    while day <= period.end:
        yield day
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def overlapping(period: Period) -> list[Period]:
    """Every year, quarter and month that overlaps ``period`` (periods are aligned, so
    these are the periods a grant counted with it can have)."""
    found = {period_containing(day, kind) for day in _month_starts(period) for kind in PeriodKind}
    return sorted(found, key=lambda p: (p.start, p.start - p.end))


def _overlaps(a: Period, b: Period) -> bool:
    return a.start <= b.end and b.start <= a.end


def programs_capped(uow: UnitOfWork, program: AidProgram) -> frozenset[str]:
    """The programmes whose grants ``program``'s caps count, to lock before they are
    read: those each cap names, and for a cap over every programme each programme on
    record (a programme is on record from its first allocation)."""
    named = {p for cap in program.caps if cap.programs is not None for p in cap.programs}
    if any(cap.programs is None for cap in program.caps):
        named.update(p.program_id for p in uow.programs.list())
    return frozenset(named)


def counted_grants(uow: UnitOfWork, program: AidProgram, period: Period) -> list[Grant]:
    """The grants in force that ``program``'s caps count in ``period``: of the programmes
    they cover (and ``program`` itself), in any overlapping period, stored or held back
    by a plan awaiting approval (it will be granted as planned)."""
    from jieqin.services.approval import planned_grants

    if not program.caps:
        return []
    own = program.program_id
    stored = [g for p in overlapping(period) for g in uow.grants.list(period=str(p))]
    planned = planned_grants(uow, programs_capped(uow, program) | {own})
    return [
        g
        for g in (*stored, *planned)
        if g.in_force
        and _overlaps(g.period, period)
        and any(cap.counts(g.program_id, own) for cap in program.caps)
    ]


class CapLedger:
    """What each of a programme's caps leaves each household (or member) in one period.

    Built from the grants in force the caps count; :meth:`allowed` says how much of an
    entitlement may be granted, :meth:`take` books a planned grant.
    """

    def __init__(
        self, program: AidProgram, period: Period, day: date, grants: Iterable[Grant] = ()
    ) -> None:
        self._program = program
        self._period = period
        self.limits: dict[str, Decimal] = program.cap_values(day)
        self._used: defaultdict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        seen: set[str] = set()
        for grant in grants:
            if grant.grant_id in seen or not grant.in_force:
                continue
            if not _overlaps(grant.period, period):
                continue
            seen.add(grant.grant_id)
            self._book(grant.program_id, grant.household_id, grant.member_id, grant.amount)

    def _slots(
        self, program_id: str, household_id: str, member_id: str | None
    ) -> Iterator[tuple[GrantCap, tuple[str, str]]]:
        for cap in self._program.caps:
            if not cap.counts(program_id, self._program.program_id):
                continue
            who = household_id if cap.per is GrantUnit.HOUSEHOLD else member_id
            if who is not None:
                yield cap, (cap.name, who)

    def _book(
        self, program_id: str, household_id: str, member_id: str | None, amount: Decimal
    ) -> None:
        for _, slot in self._slots(program_id, household_id, member_id):
            self._used[slot] += amount

    def left(self, cap: GrantCap, who: str) -> Decimal:
        """What ``cap`` leaves the household or member ``who`` (never below zero)."""
        return max(self.limits[cap.name] - self._used[(cap.name, who)], ZERO)

    def allowed(
        self, household_id: str, member_id: str | None, amount: Decimal
    ) -> tuple[Decimal, GrantCap | None]:
        """How much of ``amount`` a grant of this programme to the household (and member)
        may be, and the cap that cut it (``None``: no cap did)."""
        granted, limiting = amount, None
        for cap, slot in self._slots(self._program.program_id, household_id, member_id):
            left = self.left(cap, slot[1])
            if left < granted:
                granted, limiting = left, cap
        return granted, limiting

    def take(self, household_id: str, member_id: str | None, amount: Decimal) -> None:
        """Book a grant of this programme that the allocation plans."""
        self._book(self._program.program_id, household_id, member_id, amount)

    def reduced(self, cap: GrantCap, entitled: Decimal, granted: Decimal) -> str:
        """The reason of a grant a cap cut down."""
        text = cap.text(self.limits[cap.name], self._period)
        return f"all conditions held; cap {text} leaves {granted} of the {entitled} yuan entitled"

    def used_up(self, cap: GrantCap) -> str:
        """The reason of an eligible member or household a cap leaves nothing."""
        return (
            f"cap {cap.text(self.limits[cap.name], self._period)} is used up: nothing left to grant"
        )
