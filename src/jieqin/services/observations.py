"""Recording observations (防返贫监测): incomes and rigid expenditures of households.

Every observation goes through the one write path (:mod:`jieqin.services.checks`):
its household stored, its member of that household, recorded not after today, its
period started; a feed's record stored once, as first delivered. Recording the same
observation again changes nothing: an observation stored exactly as given (by its id,
or a feed's record with the same facts) is left as it is, so re-importing a file or
a feed delivering a row again writes nothing, not even an audit entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from attrs import evolve, frozen

from jieqin.errors import InvalidInput, Problem
from jieqin.model import Observation

if TYPE_CHECKING:
    from jieqin.storage.base import UnitOfWork

__all__ = ["Recorded", "record_observations", "unchanged"]


@frozen
class Recorded:
    """What :func:`record_observations` did: how many were written, how many were
    already stored as given."""

    written: int
    unchanged: int


#: The fields that say what an observation is: a feed's record given again with the
#: same values of these is the same row (``recorded_on`` is the day it entered jieqin).
_FACTS = (
    "household_id",
    "member_id",
    "kind",
    "period",
    "amount",
    "source",
    "feed",
    "feed_record",
    "note",
)


def _differs(old: Observation, new: Observation) -> list[str]:
    return [name for name in _FACTS if getattr(old, name) != getattr(new, name)]


def _plan(uow: UnitOfWork, batch: list[Observation]) -> tuple[list[int], list[int], list[Problem]]:
    """(the places of the observations to write, of those stored as given, the problems)."""
    stored = uow.observations.find_many({o.observation_id for o in batch})
    fed = uow.observations.feed_records(
        (o.feed, o.feed_record) for o in batch if o.feed is not None and o.feed_record is not None
    )
    write: list[int] = []
    same: list[int] = []
    problems: list[Problem] = []
    for i, o in enumerate(batch):
        by_id = stored.get(o.observation_id)
        old = by_id if by_id is not None and by_id.feed is not None else None
        if o.feed is not None and o.feed_record is not None:
            old = fed.get((o.feed, o.feed_record), old)
        if old is None:
            (same if by_id == o else write).append(i)
            continue
        changed = _differs(old, o)
        if not changed:
            same.append(i)
            continue
        problems.append(
            Problem(
                f"record {old.feed_record} of feed {old.feed} was delivered before (on "
                f"{old.recorded_on}) with other facts ({', '.join(changed)}): a feed's record "
                "stays as first delivered; the department's correction is delivered with "
                "`jieqin observations feed NAME FILE --corrections`",
                field=changed[0],
                line=None if len(batch) == 1 else i + 1,
            )
        )
    return write, same, problems


def unchanged(uow: UnitOfWork, observations: Iterable[Observation]) -> set[str]:
    """The ids of those of ``observations`` already stored as given: by id, or (a feed's
    record) with the same facts."""
    batch = list(observations)
    return {batch[i].observation_id for i in _plan(uow, batch)[1]}


def record_observations(uow: UnitOfWork, observations: Iterable[Observation]) -> Recorded:
    """Store ``observations`` (new ones added, changed ones replaced where the checks
    allow); those already stored as given are left as they are, and a feed's record
    given again with other facts is refused (a correction is the feed's own delivery,
    :func:`jieqin.services.feeds.deliver`). The caller commits.

    :raises InvalidInput: what is refused, each problem at its place in the batch
        (nothing is written).
    """
    batch = list(observations)
    at, same, problems = _plan(uow, batch)
    if problems:
        raise InvalidInput(problems)
    fresh = [batch[i] for i in at]
    if fresh:
        try:
            uow.observations.upsert_many(fresh)
        except InvalidInput as exc:
            # the problems name places among those written: give their places in the batch
            moved = [_placed(p, at, len(batch)) for p in exc.problems]
            raise InvalidInput(moved, truncated=exc.truncated) from None
    return Recorded(written=len(fresh), unchanged=len(same))


def _placed(problem: Problem, at: list[int], size: int) -> Problem:
    index = at[(problem.line or 1) - 1]
    return evolve(problem, line=None if size == 1 else index + 1)
