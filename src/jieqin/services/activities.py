"""Log, void and list activities through a unit of work.

The activities go through the one write path (:mod:`jieqin.services.checks`), which
refuses the whole batch, naming each bad record, if any activity is of an unknown
kind, names a helper, household, member or need that is not stored (or not of that
household), is dated after today, or was not done by a helper paired with the
household on its day (or on a member activity day named in ``event``). An id that is
already logged is refused too: an activity is corrected by voiding it and logging
the corrected one. Practical help that names an open need resolves it.

A void (:func:`void_activity`) keeps the activity's record with the day, the reason
and who voided it; from then on it counts nowhere (report figures, follow-up, the
helper view), and a need its practical help resolved is resolved by the next
practical help that stands, or open again. Nothing is committed here; the caller
commits the unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import attrs

from jieqin.errors import ActivityVoided, InvalidInput, InvalidValue, NotFound, Problem
from jieqin.i18n import N_
from jieqin.model.activities import Activity
from jieqin.model.needs import Need, NeedStatus
from jieqin.model.vocab import ActivityKind
from jieqin.storage.base import UnitOfWork

__all__ = ["list_activities", "log_activities", "log_activity", "void_activity"]


def _already_logged(activity: Activity) -> str:
    return (
        f"activity {activity.activity_id} is already logged; to correct it, void it with "
        f"`jieqin activities void {activity.activity_id} --reason ...` "
        "and log the corrected one under a new id"
    )


def log_activity(uow: UnitOfWork, activity: Activity) -> Activity:
    """Check and add one activity; :class:`InvalidInput` says why it cannot be logged."""
    log_activities(uow, [activity])
    return activity


def log_activities(
    uow: UnitOfWork, activities: Iterable[Activity], *, source: str | None = None
) -> int:
    """Add the activities; one bad record means none is added.

    Problems name ``source`` and the 1-based record number (none for a single
    activity). An id already stored is a problem (``jieqin activities void`` says how
    to correct an activity). Returns how many were added.
    """
    batch = list(activities)
    stored = uow.activities.stored(a.activity_id for a in batch)
    try:
        if stored:
            one = len(batch) == 1
            raise InvalidInput(
                Problem(_already_logged(a), field="activity_id", line=None if one else i + 1)
                for i, a in enumerate(batch)
                if a.activity_id in stored
            )
        added = uow.activities.add_many(batch)
    except InvalidInput as exc:
        raise exc.located(source) from None
    _resolve_needs(uow, [a for a in batch if not a.voided])
    return added


def void_activity(
    uow: UnitOfWork, activity_id: str, reason: str, *, on: date | None = None
) -> Activity:
    """Void a stored activity on ``on`` (default today) for ``reason``; returns it voided.

    The unit of work's actor is recorded as who voided it (and audited). A need the
    activity's practical help resolved is resolved by the earliest other practical
    help for it that stands, or opened again (routed again if it had a route).

    :raises NotFound: no activity has this id.
    :raises ActivityVoided: the activity was already voided.
    :raises InvalidValue: no reason, or ``on`` before the activity's own day.
    """
    activity = uow.activities.find(activity_id)
    if activity is None:
        raise NotFound(N_("no activity {activity}", activity=activity_id))
    if activity.voided:
        raise ActivityVoided(
            f"activity {activity_id} was already voided on {activity.voided_on} "
            f"({activity.void_reason}); a void stands"
        )
    if not reason or not reason.strip():
        raise InvalidValue("a void needs a reason", field="reason")
    voided = attrs.evolve(
        activity, voided_on=on or uow.today, void_reason=reason.strip(), voided_by=uow.actor
    )
    uow.activities.update(voided)
    _unresolve_need(uow, voided)
    return voided


def list_activities(
    uow: UnitOfWork,
    *,
    helper_id: str | None = None,
    household_id: str | None = None,
    kind: str | None = None,
    first: date | None = None,
    last: date | None = None,
    include_voided: bool = False,
) -> list[Activity]:
    """Activities matching every filter given, by day then id; voided ones only with
    ``include_voided``. ``first`` and ``last`` bound the day (both included)."""
    filters: dict[str, object] = {}
    for name, value in (("helper_id", helper_id), ("household_id", household_id), ("kind", kind)):
        if value is not None:
            filters[name] = value
    if not include_voided:
        filters["voided_on"] = None
    found: Sequence[Activity] = uow.activities.list(**filters)
    return sorted(
        (a for a in found if (first is None or a.on >= first) and (last is None or a.on <= last)),
        key=lambda a: (a.on, a.activity_id),
    )


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


def _unresolve_need(uow: UnitOfWork, voided: Activity) -> None:
    """The need ``voided`` resolved: resolved by the next practical help that stands,
    or open (routed) again."""
    if voided.need_id is None or voided.kind != ActivityKind.PRACTICAL_HELP:
        return
    need = uow.needs.find(voided.need_id)
    if need is None or need.resolved_by != f"activity:{voided.activity_id}":
        return
    others = list_activities(uow, household_id=need.household_id, kind=ActivityKind.PRACTICAL_HELP)
    standing = [a for a in others if a.need_id == need.need_id]
    if standing:
        first = standing[0]
        uow.needs.update(
            attrs.evolve(need, resolved_on=first.on, resolved_by=f"activity:{first.activity_id}")
        )
        return
    status = NeedStatus.ROUTED if need.route is not None else NeedStatus.OPEN
    uow.needs.update(attrs.evolve(need, status=status, resolved_on=None, resolved_by=None))
