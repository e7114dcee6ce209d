"""Whether an activity may be logged: a known kind, a pairing that existed on its day.

A helper logs work with the households they are paired with. The one exception is a
group visit on a member activity day (委员活动日): the activity names the day in
``event`` and may reach a household the helper is not paired with.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from jieqin.activities.kinds import ActivityKindRegistry
from jieqin.activities.windows import CampaignCalendar, WindowKind
from jieqin.errors import Problem
from jieqin.model.activities import Activity
from jieqin.model.pairings import Pairing
from jieqin.model.people import Household

__all__ = ["activity_problems", "pairing_problem"]


def activity_problems(
    activity: Activity,
    pairings: Iterable[Pairing],
    *,
    kinds: ActivityKindRegistry,
    calendar: CampaignCalendar | None = None,
    household: Household | None = None,
    today: date | None = None,
    source: str | None = None,
    line: int | None = None,
) -> list[Problem]:
    """Every reason ``activity`` cannot be logged (an empty list when it can).

    ``pairings`` are those of the activity's household (any helper, any dates).
    """
    problems: list[Problem] = []

    def problem(reason: str, field: str) -> None:
        problems.append(Problem(reason, field=field, source=source, line=line))

    if activity.kind not in kinds:
        problem(
            f"unknown activity kind {activity.kind!r}; known kinds: {', '.join(kinds.codes())}",
            "kind",
        )
    if today is not None and activity.on > today:
        problem(f"activity dated {activity.on.isoformat()} is in the future", "on")
    if (
        household is not None
        and activity.member_id is not None
        and all(m.member_id != activity.member_id for m in household.members)
    ):
        problem(
            f"household {activity.household_id} has no member {activity.member_id}",
            "member_id",
        )
    reason = pairing_problem(activity, list(pairings), calendar)
    if reason is not None:
        problem(reason, "event" if activity.event else "helper_id")
    return problems


def pairing_problem(
    activity: Activity, pairings: list[Pairing], calendar: CampaignCalendar | None
) -> str | None:
    """Why the helper could not have done this with this household on that day, if so."""
    mine = [p for p in pairings if p.helper_id == activity.helper_id and not p.withdrawn]
    if any(p.active_on(activity.on) for p in mine):
        return None
    if activity.event is not None:
        window = calendar.get(activity.event) if calendar is not None else None
        if window is None:
            return f"event {activity.event!r} is not a known member activity day"
        if window.kind is not WindowKind.ACTIVITY_DAY:
            return f"event {activity.event!r} is a {window.kind.value} window, not a member activity day"
        if not window.contains(activity.on):
            return (
                f"member activity day {activity.event!r} is {window.start.isoformat()}"
                f"{'' if window.days == 1 else ' to ' + window.end.isoformat()}, "
                f"not {activity.on.isoformat()}"
            )
        return None
    day = activity.on.isoformat()
    who = f"helper {activity.helper_id} was not paired with household {activity.household_id}"
    if not mine:
        return f"{who} on {day} (never paired)"
    spans = "; ".join(
        f"{p.start.isoformat()} to {p.end.isoformat() if p.end else 'now'}"
        for p in sorted(mine, key=lambda p: p.start)
    )
    return f"{who} on {day} (paired {spans})"
