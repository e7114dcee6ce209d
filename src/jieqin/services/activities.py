"""Log activities through a unit of work: one at a time, or a batch all or nothing.

Each activity is checked before anything is written: a known kind, a helper and a
household that exist, a pairing of the two in force on the activity's day (or a
member activity day named in ``event``), a member of that household, a need of that
household. Practical help that names an open need resolves it. Nothing is committed
here; the caller commits the unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import attrs

from jieqin.activities.setup import ActivitySetup
from jieqin.activities.validation import activity_problems
from jieqin.errors import InvalidInput, Problem
from jieqin.model.activities import Activity
from jieqin.model.needs import NeedStatus
from jieqin.model.pairings import Pairing
from jieqin.model.people import Household
from jieqin.model.vocab import ActivityKind
from jieqin.storage.base import UnitOfWork

__all__ = ["log_activities", "log_activity"]

#: At most this many problems are listed in one error.
MAX_PROBLEMS = 50


def log_activity(
    uow: UnitOfWork,
    activity: Activity,
    *,
    setup: ActivitySetup | None = None,
    today: date | None = None,
) -> Activity:
    """Check and add one activity; raise :class:`InvalidInput` saying why it cannot be logged."""
    log_activities(uow, [activity], setup=setup, today=today)
    return activity


def log_activities(
    uow: UnitOfWork,
    activities: Iterable[Activity],
    *,
    setup: ActivitySetup | None = None,
    today: date | None = None,
    source: str | None = None,
) -> int:
    """Check every activity, then add them all; one bad record means none is added.

    Problems name ``source`` and the 1-based record number. Returns how many were added.
    """
    setup = setup or ActivitySetup.defaults()
    batch = list(activities)
    households: dict[str, Household | None] = {}
    pairings: dict[str, list[Pairing]] = {}
    helpers: dict[str, bool] = {}
    problems: list[Problem] = []
    seen: set[str] = set()
    for line, activity in enumerate(batch, start=1):
        hid = activity.household_id
        if hid not in households:
            households[hid] = uow.households.find(hid)
            pairings[hid] = uow.pairings.list(household_id=hid)
        if activity.helper_id not in helpers:
            helpers[activity.helper_id] = uow.helpers.find(activity.helper_id) is not None

        def problem(reason: str, field: str, line: int = line) -> None:
            problems.append(Problem(reason, field=field, source=source, line=line))

        if activity.activity_id in seen:
            problem(f"activity {activity.activity_id} appears twice", "activity_id")
        seen.add(activity.activity_id)
        if households[hid] is None:
            problem(f"no household {hid}", "household_id")
            continue
        if not helpers[activity.helper_id]:
            problem(f"no helper {activity.helper_id}", "helper_id")
            continue
        problems.extend(
            activity_problems(
                activity,
                pairings[hid],
                kinds=setup.kinds,
                calendar=setup.calendar,
                household=households[hid],
                today=today,
                source=source,
                line=line,
            )
        )
        if activity.need_id is not None:
            need = uow.needs.find(activity.need_id)
            if need is None or need.household_id != hid:
                problem(f"household {hid} has no need {activity.need_id}", "need_id")
        if len(problems) >= MAX_PROBLEMS:
            raise InvalidInput(problems[:MAX_PROBLEMS], truncated=True)
    if problems:
        raise InvalidInput(problems)
    added = uow.activities.add_many(batch)
    _resolve_needs(uow, batch)
    return added


def _resolve_needs(uow: UnitOfWork, batch: list[Activity]) -> None:
    """Practical help naming an open or routed need resolves it (the earliest such help)."""
    for activity in sorted(batch, key=lambda a: (a.on, a.activity_id)):
        if activity.kind != ActivityKind.PRACTICAL_HELP or activity.need_id is None:
            continue
        need = uow.needs.get(activity.need_id)
        if need.status not in (NeedStatus.OPEN, NeedStatus.ROUTED):
            continue
        resolved = attrs.evolve(
            need,
            status=NeedStatus.RESOLVED,
            resolved_on=activity.on,
            resolved_by=f"activity:{activity.activity_id}",
        )
        uow.needs.update(resolved)
        uow.notify("jieqin_need_resolved", need=resolved)
