"""Log activities through a unit of work: one at a time, or a batch all or nothing.

The activities go through the one write path (:mod:`jieqin.services.checks`), which
refuses the whole batch, naming each bad record, if any activity is of an unknown
kind, names a helper, household, member or need that is not stored (or not of that
household), is dated after today, or was not done by a helper paired with the
household on its day (or on a member activity day named in ``event``). Practical
help that names an open need resolves it. Nothing is committed here; the caller
commits the unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from jieqin.errors import InvalidInput
from jieqin.model.activities import Activity
from jieqin.model.needs import Need, NeedStatus
from jieqin.model.vocab import ActivityKind
from jieqin.storage.base import UnitOfWork

__all__ = ["log_activities", "log_activity"]


def log_activity(uow: UnitOfWork, activity: Activity) -> Activity:
    """Check and add one activity; :class:`InvalidInput` says why it cannot be logged."""
    log_activities(uow, [activity])
    return activity


def log_activities(
    uow: UnitOfWork, activities: Iterable[Activity], *, source: str | None = None
) -> int:
    """Add the activities; one bad record means none is added.

    Problems name ``source`` and the 1-based record number. Returns how many were added.
    """
    batch = list(activities)
    try:
        added = uow.activities.add_many(batch)
    except InvalidInput as exc:
        raise exc.located(source) from None
    _resolve_needs(uow, batch)
    return added


def _resolve_needs(uow: UnitOfWork, batch: list[Activity]) -> None:
    """Practical help naming an open or routed need resolves it (the earliest such help)."""
    helped = sorted(
        (a for a in batch if a.kind == ActivityKind.PRACTICAL_HELP and a.need_id is not None),
        key=lambda a: (a.on, a.activity_id),
    )
    if not helped:
        return
    needs = uow.needs.find_many({a.need_id for a in helped if a.need_id is not None})
    resolved: dict[str, Need] = {}
    for activity in helped:
        assert activity.need_id is not None
        need = resolved.get(activity.need_id) or needs[activity.need_id]
        if need.status not in (NeedStatus.OPEN, NeedStatus.ROUTED):
            continue
        resolved[need.need_id] = attrs.evolve(
            need,
            status=NeedStatus.RESOLVED,
            resolved_on=activity.on,
            resolved_by=f"activity:{activity.activity_id}",
        )
    uow.needs.upsert_many(resolved.values())
    for need in resolved.values():
        uow.notify("jieqin_need_resolved", need=need)
