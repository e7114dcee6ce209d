"""Which pairings are behind their cadence, and by how many days, computed over arrays.

Storage backends hand over one row per active pairing (ids, start day, the
household's cadence facts) and, per activity kind, the day of the household's
latest activity; the whole computation is vectorised with numpy, so a million
pairings take a fraction of a second. Days are proleptic ordinals
(:meth:`datetime.date.toordinal`); ``0`` means "never".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from attrs import field, frozen

from jieqin.activities.cadence import CadencePolicy, HouseholdFacts

__all__ = ["FollowUpArrays", "Overdue", "TrackOverdue", "overdue"]

Days = npt.NDArray[np.int64]


@frozen
class FollowUpArrays:
    """Active pairings as parallel arrays, with the latest activity day per kind.

    ``facts`` holds :attr:`HouseholdFacts.bits` per pairing; ``last_by_kind[kind][i]``
    is the ordinal day of the latest activity of ``kind`` with household ``i`` on or
    before the day asked about, ``0`` when there was none.
    """

    helper_ids: Sequence[str]
    household_ids: Sequence[str]
    start: Days
    facts: npt.NDArray[np.int64]
    last_by_kind: Mapping[str, Days] = field(factory=dict)

    def __len__(self) -> int:
        return len(self.household_ids)


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

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict (no personal data: ids, category, days)."""
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


def overdue(policy: CadencePolicy, as_of: date, rows: FollowUpArrays) -> list[Overdue]:
    """Pairings behind their cadence on ``as_of``, most days overdue first.

    A cadence's clock runs from the later of the pairing's start and the latest
    activity of one of its kinds; a pairing is overdue on a track once ``as_of`` is
    past that day plus the cadence interval. Ties go to the stricter category, then
    the household id.
    """
    n = len(rows)
    if n == 0:
        return []
    today = as_of.toordinal()
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
    never = np.zeros(n, dtype=np.int64)
    for code in codes:
        in_category = category == code_index[code]
        if not in_category.any():
            continue
        for cadence in policy.cadences(code):
            t = tracks.index(cadence.track)
            last = never.copy()
            for kind in cadence.kinds:
                days = rows.last_by_kind.get(kind)
                if days is not None:
                    np.maximum(last, days, out=last)
            ref = np.maximum(last, start)
            late = today - (ref + cadence.every_days)
            overdue_days[t] = np.where(in_category, late, overdue_days[t])
            reference[t] = np.where(in_category, last, reference[t])

    worst = overdue_days.max(axis=0)
    behind = np.flatnonzero(worst > 0)
    expected = {code: [(tracks.index(c.track), c) for c in policy.cadences(code)] for code in codes}
    late_rows = overdue_days[:, behind].T.tolist()
    last_rows = reference[:, behind].T.tolist()
    result: list[Overdue] = []
    for i, cat, days, late_row, last_row in zip(
        behind.tolist(),
        category[behind].tolist(),
        worst[behind].tolist(),
        late_rows,
        last_rows,
        strict=True,
    ):
        code = codes[cat]
        items = []
        for t, cadence in expected[code]:
            days_late = late_row[t]
            if days_late > 0:
                last_day = last_row[t]
                items.append(
                    TrackOverdue(
                        cadence.track,
                        cadence.every_days,
                        date.fromordinal(today - days_late),
                        days_late,
                        date.fromordinal(last_day) if last_day > 0 else None,
                    )
                )
        items.sort(key=lambda item: -item.days_overdue)
        result.append(Overdue(rows.helper_ids[i], rows.household_ids[i], code, days, tuple(items)))
    result.sort(key=lambda o: (-o.days_overdue, -rank[o.category], o.household_id, o.helper_id))
    return result
