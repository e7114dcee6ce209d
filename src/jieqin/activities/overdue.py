"""Which pairings are behind their cadence, and by how many days, computed over arrays.

Storage backends hand over one row per active pairing (ids, start day, the
household's cadence facts) and, per activity kind, the day of the household's
latest activity; the whole computation is vectorised with numpy, so a million
pairings take a fraction of a second. Days are proleptic ordinals
(:meth:`datetime.date.toordinal`); ``0`` means "never".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import NamedTuple, overload

import numpy as np
import numpy.typing as npt
from attrs import field, frozen

from jieqin.activities.cadence import Cadence, CadencePolicy, HouseholdFacts

__all__ = [
    "FollowUpArrays",
    "Overdue",
    "OverdueList",
    "TrackOverdue",
    "overdue",
    "sensitive_categories",
]

Days = npt.NDArray[np.int64]


@frozen
class FollowUpArrays:
    """Active pairings as parallel arrays, with the latest activity day per kind.

    ``facts`` holds :attr:`HouseholdFacts.bits` per pairing; ``last_by_kind[kind][i]``
    is the ordinal day of the latest activity of ``kind`` with household ``i`` on or
    before the day asked about, ``0`` when there was none. ``last_by_kinds`` may hold
    the same already reduced over a set of kinds (``frozenset`` keys: the kinds a
    cadence counts), which lets SQL storage hand over one column per cadence instead
    of one per kind. ``in_id_order`` says the rows are already sorted by household
    id, then helper id (as storage backends return them), which spares
    :func:`overdue` sorting a million strings for ties.
    """

    helper_ids: Sequence[str]
    household_ids: Sequence[str]
    start: Days
    facts: npt.NDArray[np.int64]
    last_by_kind: Mapping[str, Days] = field(factory=dict)
    in_id_order: bool = False
    last_by_kinds: Mapping[frozenset[str], Days] = field(factory=dict)

    def __len__(self) -> int:
        return len(self.household_ids)

    def latest(self, kinds: frozenset[str]) -> Days:
        """The day of each row's latest activity of any of ``kinds`` (``0``: none)."""
        reduced = self.last_by_kinds.get(kinds)
        if reduced is not None:
            return np.asarray(reduced, dtype=np.int64)
        last = np.zeros(len(self), dtype=np.int64)
        for kind in kinds:
            days = self.last_by_kind.get(kind)
            if days is not None:
                np.maximum(last, days, out=last)
        return last


class TrackOverdue(NamedTuple):
    """One cadence a pairing is behind on (a named tuple: a million are cheap to make)."""

    track: str
    every_days: int
    due_on: date
    days_overdue: int
    last_on: date | None


class Overdue(NamedTuple):
    """A pairing behind its cadence; ``days_overdue`` is its worst track."""

    helper_id: str
    household_id: str
    category: str
    days_overdue: int
    behind: tuple[TrackOverdue, ...]

    def masked_dict(self) -> dict[str, object]:
        """:meth:`as_dict` for masked output: no category, no interval, no due day.

        A household's category (``major_illness_or_disability``) and its cadence's
        interval (a visit every 31 days) tell a health fact; the days overdue and
        the last activity are what a helper acts on.
        """
        return {
            "helper_id": self.helper_id,
            "household_id": self.household_id,
            "days_overdue": self.days_overdue,
            "behind": [
                {
                    "track": t.track,
                    "days_overdue": t.days_overdue,
                    "last_on": t.last_on.isoformat() if t.last_on else None,
                }
                for t in self.behind
            ],
        }

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict (ids, category, days); see :meth:`masked_dict` for sharing."""
        return {
            "helper_id": self.helper_id,
            "household_id": self.household_id,
            "category": self.category,
            "days_overdue": self.days_overdue,
            "behind": [
                {
                    "track": t.track,
                    "every_days": t.every_days,
                    "due_on": t.due_on.isoformat(),
                    "days_overdue": t.days_overdue,
                    "last_on": t.last_on.isoformat() if t.last_on else None,
                }
                for t in self.behind
            ],
        }


def sensitive_categories(policy: CadencePolicy) -> frozenset[str]:
    """The household categories of ``policy`` whose test reads a health fact.

    Each category's test is tried on every combination of the cadence facts: a
    category is sensitive when flipping a member's major illness or disability
    alone changes whether it applies (so a plugin's own category is judged by what
    it does, not by its name).
    """
    found: set[str] = set()
    for category in policy.categories:
        for monitored in (False, True):
            outcomes = {
                bool(category.applies(HouseholdFacts(ill, disabled, monitored)))
                for ill in (False, True)
                for disabled in (False, True)
            }
            if len(outcomes) > 1:
                found.add(category.code)
    return frozenset(found)


def overdue(policy: CadencePolicy, as_of: date, rows: FollowUpArrays) -> OverdueList:
    """Pairings behind their cadence on ``as_of``, most days overdue first.

    A cadence's clock runs from the later of the pairing's start and the latest
    activity of one of its kinds; a pairing is overdue on a track once ``as_of`` is
    past that day plus the cadence interval. Ties go to the stricter category, then
    the household id.
    """
    n = len(rows)
    today = as_of.toordinal()
    if n == 0 or not policy.tracks():
        return OverdueList(rows, today, [], [], [], [], [], {})
    categories = policy.categories
    rank = {c.code: len(categories) - i for i, c in enumerate(categories)}
    # The category of each distinct facts value, looked up instead of asked per row.
    facts = np.asarray(rows.facts, dtype=np.int64)
    codes = sorted(rank, key=lambda code: rank[code])
    code_index = {code: i for i, code in enumerate(codes)}
    lookup = np.zeros(8, dtype=np.int64)
    for bits in range(8):
        lookup[bits] = code_index[policy.category_of(HouseholdFacts.from_bits(bits))]
    category = lookup[facts & 7]
    start = np.asarray(rows.start, dtype=np.int64)

    tracks = policy.tracks()
    overdue_days = np.full((len(tracks), n), np.iinfo(np.int64).min, dtype=np.int64)
    reference = np.zeros((len(tracks), n), dtype=np.int64)
    for t, track in enumerate(tracks):
        # Per set of kinds the track counts, each category's interval (0: not this set).
        every_by_kinds: dict[frozenset[str], npt.NDArray[np.int64]] = {}
        for code in codes:
            for cadence in policy.cadences(code):
                if cadence.track == track:
                    every = every_by_kinds.setdefault(
                        cadence.kinds, np.zeros(len(codes), dtype=np.int64)
                    )
                    every[code_index[code]] = cadence.every_days
        for kinds, every_by_category in every_by_kinds.items():
            last = rows.latest(kinds)
            every = every_by_category[category]
            late = today - np.maximum(last, start) - every
            if every_by_category.all():
                overdue_days[t], reference[t] = late, last
            else:
                applies = every > 0
                np.copyto(overdue_days[t], late, where=applies)
                np.copyto(reference[t], last, where=applies)

    worst = overdue_days.max(axis=0)
    behind = np.flatnonzero(worst > 0)
    ranks = np.array([rank[code] for code in codes], dtype=np.int64)[category[behind]]
    if rows.in_id_order:
        # A stable sort keeps ties in the rows' (household id, helper id) order; the
        # days and the category's rank fit one key.
        key = worst[behind] * (len(codes) + 1) + ranks
        behind = behind[np.argsort(-key, kind="stable")]
    else:
        names = np.array([rows.household_ids[i] for i in behind.tolist()], dtype=str)
        helpers = np.array([rows.helper_ids[i] for i in behind.tolist()], dtype=str)
        behind = behind[np.lexsort((helpers, names, -ranks, -worst[behind]))]
    expected = {
        code_index[code]: (code, [(tracks.index(c.track), c) for c in policy.cadences(code)])
        for code in codes
    }
    return OverdueList(
        rows,
        today,
        behind.tolist(),
        category[behind].tolist(),
        worst[behind].tolist(),
        [overdue_days[t, behind].tolist() for t in range(len(tracks))],
        [reference[t, behind].tolist() for t in range(len(tracks))],
        expected,
    )


def _by_days(item: TrackOverdue) -> int:
    return -item.days_overdue


class OverdueList(Sequence[Overdue]):
    """The pairings behind, most urgent first; each :class:`Overdue` is made when read.

    The scan itself is done when this is returned; a caller that shows the first
    fifty of half a million pays for fifty.
    """

    def __init__(
        self,
        rows: FollowUpArrays,
        today: int,
        index: list[int],
        category: list[int],
        worst: list[int],
        late: list[list[int]],
        last: list[list[int]],
        expected: dict[int, tuple[str, list[tuple[int, Cadence]]]],
    ) -> None:
        self._rows, self._today, self._index = rows, today, index
        self._category, self._worst, self._late, self._last = category, worst, late, last
        self._expected = expected

    def __len__(self) -> int:
        return len(self._index)

    @overload
    def __getitem__(self, j: int) -> Overdue: ...

    @overload
    def __getitem__(self, j: slice) -> list[Overdue]: ...

    def __getitem__(self, j: int | slice) -> Overdue | list[Overdue]:
        if isinstance(j, slice):
            return [self._make(k) for k in range(*j.indices(len(self)))]
        if j < 0:
            j += len(self)
        if not 0 <= j < len(self):
            raise IndexError(j)
        return self._make(j)

    def __iter__(self) -> Iterator[Overdue]:
        return (self._make(k) for k in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<OverdueList of {len(self)} pairings>"

    def _make(self, j: int) -> Overdue:
        i = self._index[j]
        code, cadences = self._expected[self._category[j]]
        today, late, last = self._today, self._late, self._last
        items = [
            TrackOverdue(
                cadence.track,
                cadence.every_days,
                date.fromordinal(today - late[t][j]),
                late[t][j],
                date.fromordinal(last[t][j]) if last[t][j] > 0 else None,
            )
            for t, cadence in cadences
            if late[t][j] > 0
        ]
        if len(items) > 1:
            items.sort(key=_by_days)
        rows = self._rows
        return Overdue(
            rows.helper_ids[i], rows.household_ids[i], code, self._worst[j], tuple(items)
        )
