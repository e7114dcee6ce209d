"""Who is paired with whom: the stored pairings of a day, or every span and handover.

A read through one read-only unit of work, so a principal sees only what its scope
holds (a scoped unit of work filters the pairings and handovers by household). Each
listed pairing says since when the household has had this helper in this role (the
first day of the unbroken stretch of pairings with them: a plan for an earlier day
fitted before a later pairing of the same helper reads as one stretch), why the
household came to them (the handover's reason: ``first_pairing``, ``re_paired``,
``helper_left`` ...) and, once it ended, why it ended.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from attrs import frozen

from jieqin._free_text import mask_free_text
from jieqin.model import Handover, Pairing, PairingRole, RegionCode
from jieqin.storage.base import UnitOfWork

__all__ = ["ListedPairing", "PairingListing", "list_pairings"]

_DAY = timedelta(days=1)


@frozen
class ListedPairing:
    """One stored pairing, with its stretch and the handovers that began and ended it."""

    helper_id: str
    household_id: str
    region: str
    """The household's region code (empty when the household is not stored)."""
    role: PairingRole
    start: date
    end: date | None
    since: date
    """The first day of the unbroken stretch of pairings with this helper in this role."""
    reason: str
    """The pairing's own reason: why it was made, or why it was ended by hand."""
    began: str | None
    """The reason of the handover that gave the household this helper (primary only)."""
    from_helper_id: str | None
    """Who had the household before, by that handover."""
    ended: str | None
    """The reason of the handover that ended it, once it ended."""
    withdrawn: bool = False
    """Never in force: superseded by a pairing made for an earlier day, or replaced on
    its first day (it ends the day before it starts)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: ids, dates and reasons (free text masked)."""
        return {
            "helper_id": self.helper_id,
            "household_id": self.household_id,
            "region": self.region,
            "role": str(self.role),
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "since": self.since.isoformat(),
            "reason": mask_free_text(self.reason),
            "began": _masked(self.began),
            "from_helper_id": self.from_helper_id,
            "ended": _masked(self.ended),
            "withdrawn": self.withdrawn,
        }


@frozen
class PairingListing:
    """The pairings in force on :attr:`on`, or (``history``) every pairing span and every
    handover of the households asked for."""

    on: date | None
    """The day listed; ``None`` for the history."""
    pairings: tuple[ListedPairing, ...]
    handovers: tuple[Handover, ...]
    """In the history: the handovers of the listed households, in the order recorded
    (but those that gave a household a pairing since withdrawn)."""

    @property
    def history(self) -> bool:
        return self.on is None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (no personal data: ids, regions, dates and reasons)."""
        return {
            "on": self.on.isoformat() if self.on else None,
            "history": self.history,
            "pairings": [p.to_dict() for p in self.pairings],
            "handovers": [
                {
                    "household_id": h.household_id,
                    "on": h.on.isoformat(),
                    "reason": mask_free_text(h.reason),
                    "from_helper_id": h.from_helper_id,
                    "to_helper_id": h.to_helper_id,
                }
                for h in self.handovers
            ],
        }


def _masked(text: str | None) -> str | None:
    return None if text is None else mask_free_text(text)


def list_pairings(
    uow: UnitOfWork,
    *,
    on: date | None = None,
    helper_id: str | None = None,
    household_id: str | None = None,
    region: str | RegionCode | None = None,
    history: bool = False,
) -> PairingListing:
    """The pairings in force on ``on`` (default today), or with ``history`` every
    pairing and handover, of ``helper_id``, ``household_id`` and households within
    ``region`` (a region code: a county, township or village, or a city's ``xxxx00``).

    :raises InvalidRegionCode: ``region`` is not a region code.
    """
    within = RegionCode(region) if isinstance(region, str) else region
    filters = {
        k: v for k, v in (("helper_id", helper_id), ("household_id", household_id)) if v is not None
    }
    day = None if history else (on or uow.today)
    found = uow.pairings.list(**filters) if day is None else uow.pairings.active_on(day, **filters)
    regions = _regions(uow, {p.household_id for p in found})
    if within is not None:
        found = [
            p
            for p in found
            if (r := regions.get(p.household_id)) and within.contains(RegionCode(r))
        ]
    households = sorted({p.household_id for p in found})
    stored = uow.pairings.of_households(households) if households else {}
    handovers = _handovers(uow, households, household_id)
    listed = [_listed(p, regions, stored, handovers) for p in found]
    listed.sort(key=lambda p: (p.household_id, p.role is not PairingRole.PRIMARY, p.start))
    shown: tuple[Handover, ...] = ()
    if day is None:
        shown = _history(handovers, stored, helper_id)
    return PairingListing(day, tuple(listed), shown)


def _history(
    handovers: Sequence[Handover], stored: Mapping[str, Sequence[Pairing]], helper_id: str | None
) -> tuple[Handover, ...]:
    """The handovers of the households in ``stored`` (of ``helper_id``, when given),
    but those whose pairing was withdrawn (the pairing is listed, saying so)."""
    began = {
        (p.household_id, p.helper_id, p.start, p.withdrawn)
        for pairings in stored.values()
        for p in pairings
    }
    return tuple(
        h
        for h in handovers
        if h.household_id in stored
        and (helper_id is None or helper_id in (h.from_helper_id, h.to_helper_id))
        and not (
            (h.household_id, h.to_helper_id, h.on, True) in began
            and (h.household_id, h.to_helper_id, h.on, False) not in began
        )
    )


def _regions(uow: UnitOfWork, household_ids: Iterable[str]) -> dict[str, str]:
    """Each stored household's region code (one set-based read)."""
    wanted = sorted(household_ids)
    if not wanted:
        return {}
    return {h: household.region.code for h, household in uow.households.find_many(wanted).items()}


def _handovers(
    uow: UnitOfWork, households: Sequence[str], household_id: str | None
) -> list[Handover]:
    """The handovers of these households, in the order recorded (none for a role
    that may not read handovers: a helper's)."""
    if not households or not _reads_handovers(uow):
        return []
    if household_id is not None:
        return uow.handovers.list(household_id=household_id)
    wanted = set(households)
    if len(wanted) <= 20:
        return [h for hid in households for h in uow.handovers.list(household_id=hid)]
    return [h for h in uow.handovers.list() if h.household_id in wanted]


def _reads_handovers(uow: UnitOfWork) -> bool:
    """Whether the unit of work may read handovers: an unscoped one always may, a
    principal's one when the principal's role reads them."""
    from jieqin.security.scope import ScopedUnitOfWork

    if not isinstance(uow, ScopedUnitOfWork):
        return True
    return "handovers" in uow.principal.role.reads


def _listed(
    pairing: Pairing,
    regions: Mapping[str, str],
    stored: Mapping[str, Sequence[Pairing]],
    handovers: Sequence[Handover],
) -> ListedPairing:
    """``pairing`` with its stretch and the reasons of the handovers at both ends."""
    since = _since(pairing, stored.get(pairing.household_id, ()))
    began = from_helper = ended = None
    if pairing.role is PairingRole.PRIMARY and not pairing.withdrawn:
        for h in handovers:
            if h.household_id != pairing.household_id:
                continue
            if h.to_helper_id == pairing.helper_id and h.on == since:
                began, from_helper = h.reason, h.from_helper_id
            if (
                pairing.end is not None
                and h.from_helper_id == pairing.helper_id
                and h.on == pairing.end + _DAY
            ):
                ended = h.reason
    return ListedPairing(
        pairing.helper_id,
        pairing.household_id,
        regions.get(pairing.household_id, ""),
        pairing.role,
        pairing.start,
        pairing.end,
        since,
        pairing.reason,
        began,
        from_helper,
        ended,
        pairing.withdrawn,
    )


def _since(pairing: Pairing, others: Sequence[Pairing]) -> date:
    """The first day of the unbroken stretch of ``pairing``'s helper and role that it ends."""
    by_end = {
        p.end: p
        for p in others
        if p.end is not None
        and not p.withdrawn
        and p.helper_id == pairing.helper_id
        and p.role is pairing.role
    }
    since = pairing.start
    seen = {since}
    while (before := by_end.get(since - _DAY)) is not None and before.start not in seen:
        since = before.start
        seen.add(since)
    return since
