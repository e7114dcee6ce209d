"""Departmental feeds: another department's file delivered as observations, once per row.

A plugin registers a feed (:func:`~jieqin.plugins.hookspecs.jieqin_register_observation_feeds`):
its name, its label and a reader that turns one of the department's files into
:class:`~jieqin.model.monitoring.Observation` records, each naming the feed and the
department's own record id (``feed_record``). :func:`deliver` stores them through
the one write path (``uow.observations``), so the write checks see every one:

- a record id jieqin has not seen is stored as a new observation;
- a record id delivered before with the same facts changes nothing (delivering the
  same file twice, or a file that repeats last month's rows, is harmless);
- a record id delivered before with other facts (the department corrected a
  settlement) is refused, naming the file, the record and the fields that differ
  (a medical amount is never shown), unless the delivery is a correction
  (``corrections=True``, ``jieqin observations feed --corrections``): then the stored
  observation is replaced, and the audit log keeps what it was.

A row the reader could not place (its resident ID number belongs to nobody in the
campaign: a department's file covers everyone it serves) is not stored; the delivery
counts it as ``unmatched`` and keeps no trace of who it was.

Each delivery writes one audit entry (action ``deliver``, entity ``observations``,
the feed as its id): who delivered, which feed, the file's name, and how many rows
were new, unchanged, corrected and unmatched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs
from attrs import define, frozen

from jieqin.errors import InvalidInput, Problem, StorageError
from jieqin.model.monitoring import Observation, ObservationSource, feed_observation_id
from jieqin.storage.base import UnitOfWork

__all__ = ["DELIVER_ACTION", "Delivery", "FeedContext", "deliver"]

#: The audit log's action for a delivery.
DELIVER_ACTION = "deliver"

#: The fields that say what a feed's row is; a record id delivered again with the
#: same values of these is the same row (``observation_id`` and ``recorded_on`` are
#: jieqin's own).
FACTS = (
    "household_id",
    "kind",
    "period",
    "amount",
    "source",
    "member_id",
    "feed",
    "feed_record",
    "note",
)

#: The facts shown only as "differs" (a medical amount or note is a health fact).
_HIDDEN = frozenset({"amount", "note", "member_id"})


@define
class FeedContext:
    """What a feed's reader is given beside the file.

    ``feed`` is the feed's name, ``recorded_on`` the day of the delivery (every
    observation's ``recorded_on``). :meth:`members` finds the household and member of
    resident ID numbers (one set-based read); :meth:`unmatched` counts a row whose
    person is not in the campaign (it is not stored).
    """

    feed: str
    recorded_on: date
    _holders: Callable[[Iterable[str]], Mapping[str, tuple[str, str]]]
    not_found: int = 0

    def observation_id(self, record: str) -> str:
        """The observation id a row of this feed with the record id ``record`` has."""
        return feed_observation_id(self.feed, record)

    def members(self, resident_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """``resident_id -> (household_id, member_id)`` for the numbers a stored member
        holds (the others are not in the campaign)."""
        found = self._holders([r.strip().upper() for r in resident_ids if r and r.strip()])
        return {rid: (household, member) for rid, (member, household) in found.items()}

    def member(self, resident_id: str) -> tuple[str, str] | None:
        """``(household_id, member_id)`` of one resident ID number, or ``None``."""
        return self.members([resident_id]).get(resident_id.strip().upper())

    def unmatched(self, n: int = 1) -> None:
        """Count ``n`` rows whose person is not in the campaign."""
        self.not_found += n


@frozen
class Delivery:
    """What one delivery of a feed did."""

    feed: str
    source: str
    new: int
    unchanged: int
    corrected: int
    unmatched: int
    ids: tuple[str, ...] = ()
    """The observation ids stored or replaced."""

    @property
    def rows(self) -> int:
        """The rows the reader gave and placed."""
        return self.new + self.unchanged + self.corrected


@runtime_checkable
class _Recording(Protocol):
    def record(
        self, action: str, entity: str, entity_id: str | None, changes: Mapping[str, Any]
    ) -> None: ...


def _facts(o: Observation) -> tuple[Any, ...]:
    return tuple(getattr(o, name) for name in FACTS)


def _differs(old: Observation, new: Observation) -> list[str]:
    return [name for name in FACTS if getattr(old, name) != getattr(new, name)]


def _shown(o: Observation, names: Sequence[str]) -> str:
    parts = []
    for name in names:
        if name in _HIDDEN and (o.sensitive or name != "amount"):
            parts.append(name)
        else:
            parts.append(f"{name} (now {getattr(o, name)})")
    return ", ".join(parts)


def _checked(
    feed: str, source: str, items: Iterable[object], context: FeedContext
) -> list[Observation]:
    """The reader's observations, each one of this feed, one per record id."""
    problems: list[Problem] = []
    seen: dict[str, Observation] = {}
    out: list[Observation] = []

    def refuse(n: int, reason: str, field: str | None = None) -> None:
        problems.append(
            Problem(f"the reader's observation {n}: {reason}", field=field, source=source)
        )

    for n, item in enumerate(items, start=1):
        if not isinstance(item, Observation):
            refuse(n, f"is a {type(item).__name__}, not an Observation")
        elif item.feed != feed or item.feed_record is None:
            refuse(n, f"is not of feed {feed} (feed {item.feed})", "feed")
        elif item.source is not ObservationSource.FEED:
            refuse(n, "a feed's observation has source 'feed'", "source")
        elif item.observation_id != context.observation_id(item.feed_record):
            refuse(
                n,
                f"record {item.feed_record}: its id is context.observation_id(record), "
                f"{context.observation_id(item.feed_record)}",
                "observation_id",
            )
        elif item.feed_record in seen:
            before = seen[item.feed_record]
            if _facts(before) != _facts(item):
                refuse(
                    n,
                    f"record {item.feed_record} is given twice with different facts "
                    f"({_shown(item, _differs(before, item))})",
                    "feed_record",
                )
        else:
            seen[item.feed_record] = item
            out.append(item)
    if problems:
        raise InvalidInput(problems)
    return out


def deliver(
    uow: UnitOfWork,
    feed: str,
    reader: Callable[[Path, FeedContext], Iterable[Observation]],
    source: Path | str,
    *,
    corrections: bool = False,
    commit: bool = True,
) -> Delivery:
    """Read ``source`` with the feed's ``reader`` and store its rows once each.

    New record ids are added (``uow.observations.add_many``), known ones with the same
    facts are left alone; a known one with other facts is refused
    (:class:`~jieqin.errors.InvalidInput` naming the file, row, record and fields,
    nothing written) unless ``corrections``, which replaces it. One audit entry says
    who delivered what. ``commit``: commit the unit of work (the default).
    """
    path = Path(source)
    name = path.name
    context = FeedContext(feed, uow.today, uow.households.holders)
    try:
        given = reader(path, context)
        rows = _checked(feed, name, given, context)
    except InvalidInput as exc:
        raise exc.located(name) from None
    found = uow.observations.feed_records([(feed, str(o.feed_record)) for o in rows])
    stored = {
        o.observation_id: found[(feed, str(o.feed_record))]
        for o in rows
        if (feed, str(o.feed_record)) in found
    }
    new: list[Observation] = []
    changed: list[tuple[Observation, Observation]] = []
    unchanged = 0
    problems: list[Problem] = []
    for o in rows:
        old = stored.get(o.observation_id)
        if old is None:
            new.append(o)
        elif _facts(old) == _facts(o):
            unchanged += 1
        elif corrections:
            changed.append((old, attrs.evolve(o, observation_id=old.observation_id)))
        else:
            problems.append(
                Problem(
                    f"record {o.feed_record} was delivered before (on {old.recorded_on}) with "
                    f"other facts: {_shown(o, _differs(old, o))}; deliver it as a "
                    "correction (--corrections) to replace it",
                    field="feed_record",
                    source=name,
                )
            )
    if problems:
        raise InvalidInput(problems)
    if new:
        uow.observations.add_many(new)
    for _old, o in changed:
        uow.observations.update(o)
    delivery = Delivery(
        feed,
        name,
        len(new),
        unchanged,
        len(changed),
        context.not_found,
        tuple(o.observation_id for o in (*new, *(o for _, o in changed))),
    )
    if not isinstance(uow, _Recording):
        raise StorageError(
            f"the storage cannot write a delivery to its audit log ({type(uow).__name__} has "
            "no record method): nothing was delivered"
        )
    uow.record(
        DELIVER_ACTION,
        "observations",
        feed,
        {
            "feed": feed,
            "source": name,
            "new": delivery.new,
            "unchanged": delivery.unchanged,
            "corrected": delivery.corrected,
            "unmatched": delivery.unmatched,
        },
    )
    if commit:
        uow.commit()
    return delivery
