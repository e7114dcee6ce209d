"""Probable duplicate members: the same person entered twice, for a clerk to review.

Nothing is changed: :func:`probable_duplicates` only lists pairs of members that look
like one person, each with its strongest reason and how alike the two names are.
Members are never compared all against all: they are grouped by resident ID number
and by birth date, and compared within a group (rapidfuzz, in C, per group).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from datetime import date
from enum import StrEnum
from operator import attrgetter

import numpy as np
import numpy.typing as npt
from attrs import frozen
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from jieqin.errors import InvalidValue
from jieqin.i18n import N_
from jieqin.model.identity import mask_resident_id
from jieqin.model.people import Household, Member
from jieqin.model.regions import RegionLevel

__all__ = [
    "DEFAULT_THRESHOLD",
    "DuplicateReason",
    "ListedMember",
    "ProbableDuplicate",
    "probable_duplicates",
]

#: The default name similarity (rapidfuzz ``fuzz.ratio``, 0-100) for similar names: 50
#: takes in any one-character change of a name of two characters or more (张伟/张玮 is
#: 50, 张秀英/张秀瑛 is 66.7).
DEFAULT_THRESHOLD = 50.0


class DuplicateReason(StrEnum):
    """Why two members look like one person, strongest first."""

    SAME_RESIDENT_ID = "same_resident_id"
    """Both carry the same resident ID number."""
    SAME_NAME_IN_VILLAGE = "same_name_in_village"
    """The same name and birth date in one village (the same 12-digit region code)."""
    RESIDENT_ID_TYPO = "resident_id_typo"
    """Born the same day, with numbers one typed character or one swap apart."""
    SIMILAR_NAME = "similar_name"
    """Born the same day, with names at least the threshold alike (anywhere)."""

    @property
    def rank(self) -> int:
        """0 for the strongest reason; a pair is listed under its lowest rank."""
        return _RANKS[self]

    @property
    def description(self) -> str:
        """The reason in a few words, for a table a clerk reads."""
        return _DESCRIPTIONS[self]


_RANKS = {reason: i for i, reason in enumerate(DuplicateReason)}
_DESCRIPTIONS = {
    DuplicateReason.SAME_RESIDENT_ID: N_("same ID number"),
    DuplicateReason.SAME_NAME_IN_VILLAGE: N_("same name, birth date and village"),
    DuplicateReason.RESIDENT_ID_TYPO: N_("ID numbers a typo apart, same birth date"),
    DuplicateReason.SIMILAR_NAME: N_("similar names, same birth date"),
}


@frozen
class ListedMember:
    """One side of a probable duplicate: who and where, the resident ID masked."""

    member_id: str
    household_id: str
    region: str
    """The household's region code: a village (12 digits) or a township (9)."""
    name: str
    birth_date: date
    resident_id: str | None
    """Masked (``6102************1X``); ``None`` when the member has no number."""

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict (the resident ID stays masked)."""
        return {
            "member_id": self.member_id,
            "household_id": self.household_id,
            "region": self.region,
            "name": self.name,
            "birth_date": self.birth_date.isoformat(),
            "resident_id": self.resident_id,
        }


@frozen
class ProbableDuplicate:
    """Two members that may be one person; ``first`` is the one taken first.

    ``score`` is how alike the two names are, 0-100 (rapidfuzz ``fuzz.ratio``, one
    decimal); ``reason`` is the strongest of the reasons that hold.
    """

    first: ListedMember
    second: ListedMember
    reason: DuplicateReason
    score: float

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict: the reason, the score and both members (IDs masked)."""
        return {
            "reason": str(self.reason),
            "score": self.score,
            "first": self.first.as_dict(),
            "second": self.second.as_dict(),
        }


def probable_duplicates(
    households: Iterable[Household], *, threshold: float = DEFAULT_THRESHOLD
) -> list[ProbableDuplicate]:
    """Pairs of members that are probably one person, strongest reason first.

    Members are taken in household id order, then in their household's order; each
    pair is listed once, under its strongest :class:`DuplicateReason`, then by falling
    score. A member without a resident ID number is matched on name and birth date
    alone; former members (who left their household) are left out.
    ``threshold`` (0 < t <= 100) is the name similarity that counts as similar.
    """
    if not 0 < threshold <= 100:
        raise InvalidValue(f"must be above 0 and at most 100, got {threshold}", field="threshold")
    rows = _Rows.of(households)
    found: dict[tuple[int, int], DuplicateReason] = {}
    for i, j, reason in _candidate_pairs(rows, threshold):
        held = found.get((i, j))
        if held is None or reason.rank < held.rank:
            found[(i, j)] = reason
    listed = [rows.pair(i, j, reason) for (i, j), reason in found.items()]
    listed.sort(key=_order)
    return listed


def _order(d: ProbableDuplicate) -> tuple[int, float, str, str, str, str]:
    return (
        d.reason.rank,
        -d.score,
        d.first.household_id,
        d.first.member_id,
        d.second.household_id,
        d.second.member_id,
    )


Pair = tuple[int, int, DuplicateReason]


@frozen
class _Rows:
    """Every member as parallel columns, in household id order, then as in the household.

    Plain lists of existing objects and of ints: a million members make no new
    tuples for the garbage collector to walk.
    """

    households: list[Household]
    villages: list[str | None]
    """Per household: its 12-digit village code, ``None`` if it is placed in a township."""
    home: list[int]
    """Per row: the index of its household."""
    members: list[Member]
    names: list[str]
    """Without spaces, as compared."""
    numbers: list[str | None]
    """Upper case, as compared; ``None`` where there is no number."""

    @classmethod
    def of(cls, households: Iterable[Household]) -> _Rows:
        """The columns of every member of ``households``."""
        ordered = sorted(households, key=attrgetter("household_id"))
        members = [m for h in ordered for m in h.members]
        return cls(
            ordered,
            [h.region.code if h.region.level is RegionLevel.VILLAGE else None for h in ordered],
            [k for k, h in enumerate(ordered) for _ in h.members],
            members,
            ["".join(m.name.split()) for m in members],
            [_compact(m.resident_id) for m in members],
        )

    def same_village(self, i: int, j: int) -> bool:
        """Whether rows ``i`` and ``j`` live in one village (not merely one township)."""
        village = self.villages[self.home[i]]
        return village is not None and village == self.villages[self.home[j]]

    def pair(self, i: int, j: int, reason: DuplicateReason) -> ProbableDuplicate:
        """The listed pair of rows ``i`` < ``j``."""
        score = round(fuzz.ratio(self.names[i], self.names[j]), 1)
        return ProbableDuplicate(self.listed(i), self.listed(j), reason, score)

    def listed(self, row: int) -> ListedMember:
        """Row ``row`` as it is shown: ids, region, name, birth date, masked number."""
        household, member, number = (
            self.households[self.home[row]],
            self.members[row],
            self.numbers[row],
        )
        return ListedMember(
            member.member_id,
            household.household_id,
            household.region.code,
            member.name,
            member.birth_date,
            None if number is None else mask_resident_id(number),
        )


def _compact(number: str | None) -> str | None:
    """The number as compared (upper case, no spaces), ``None`` when there is none."""
    return number.strip().upper() or None if number else None


def _candidate_pairs(rows: _Rows, threshold: float) -> Iterator[Pair]:
    """Every (row, row, reason) that holds; a pair may come more than once."""
    for group in _shared(rows.numbers):
        for a, i in enumerate(group):
            for j in group[a + 1 :]:
                yield i, j, DuplicateReason.SAME_RESIDENT_ID
    for group in _birth_blocks(rows.members):
        yield from _name_pairs(rows, group, threshold)
        yield from _typo_pairs(rows, group)


def _shared(keys: Sequence[Hashable | None]) -> list[list[int]]:
    """The rows of each key that two or more rows share, in row order (``None`` is no key).

    Only shared keys get a list: most resident ID numbers are held by one member.
    """
    first: dict[Hashable, int] = {}
    shared: dict[Hashable, list[int]] = {}
    for row, key in enumerate(keys):
        if key is None or (seen := first.setdefault(key, row)) == row:
            continue
        if key in shared:
            shared[key].append(row)
        else:
            shared[key] = [seen, row]
    return list(shared.values())


def _birth_blocks(members: Sequence[Member]) -> list[list[int]]:
    """The rows of each birth date that two or more members share, in row order.

    A stable sort of the day numbers (numpy): four times quicker than a dict of dates.
    """
    days = np.fromiter((m.birth_date.toordinal() for m in members), np.int64, len(members))
    order = np.argsort(days, kind="stable")
    bounds = [0, *(np.flatnonzero(np.diff(days[order])) + 1).tolist(), len(members)]
    rows = order.tolist()
    return [rows[a:b] for a, b in itertools.pairwise(bounds) if b - a > 1]


def _name_pairs(rows: _Rows, group: list[int], threshold: float) -> Iterator[Pair]:
    """Pairs born the same day whose names are at least ``threshold`` alike."""
    names = [rows.names[i] for i in group]
    for a, b in _pairs_within(names, scorer=fuzz.ratio, cutoff=threshold, similarity=True):
        i, j = group[a], group[b]
        if names[a] == names[b] and rows.same_village(i, j):
            yield i, j, DuplicateReason.SAME_NAME_IN_VILLAGE
        else:
            yield i, j, DuplicateReason.SIMILAR_NAME


def _typo_pairs(rows: _Rows, group: list[int]) -> Iterator[Pair]:
    """Pairs born the same day whose numbers are one typed character or one swap apart.

    The check character (the 18th) is computed from the first 17 and catches every
    single wrong character and every swap of neighbours, so two numbers that both pass
    validation never differ by just that: a typo that got in had its check character
    computed afresh. The first 17 are compared (optimal string alignment distance at
    most 1: one character changed, or two neighbours swapped), and numbers that are
    equal there but differ in the check character count too.
    """
    numbered = [i for i in group if rows.numbers[i] is not None]
    if len(numbered) < 2:
        return
    bodies = [(rows.numbers[i] or "")[:17] for i in numbered]
    for a, b in _pairs_within(bodies, scorer=OSA.distance, cutoff=1, similarity=False):
        i, j = numbered[a], numbered[b]
        if rows.numbers[i] != rows.numbers[j]:
            yield i, j, DuplicateReason.RESIDENT_ID_TYPO


#: Score-matrix cells computed at a time (16 MB): where thousands share a birth date
#: (a placeholder like 1 January), their matrix is computed a few rows at a time.
_CELLS = 1 << 22


def _pairs_within(
    texts: Sequence[str], *, scorer: Callable[..., float], cutoff: float, similarity: bool
) -> list[tuple[int, int]]:
    """The (a, b), a < b, of ``texts`` whose score reaches ``cutoff``.

    A similarity reaches it from above (at least), a distance from below (at most).
    Scores come from rapidfuzz's ``process.cdist`` (in C), as many rows at a time as
    fit in :data:`_CELLS`.
    """
    found: list[tuple[int, int]] = []
    step = max(1, _CELLS // len(texts))
    for start in range(0, len(texts) - 1, step):
        scores = process.cdist(
            texts[start : start + step], texts, scorer=scorer, score_cutoff=cutoff
        )
        hits = scores >= cutoff if similarity else scores <= cutoff
        found.extend(_upper(hits, start))
    return found


def _upper(hits: npt.NDArray[np.bool_], start: int) -> list[tuple[int, int]]:
    """The hits above the diagonal of a chunk whose first row is row ``start``."""
    rows, columns = np.nonzero(hits)
    rows += start
    keep = columns > rows
    return list(zip(rows[keep].tolist(), columns[keep].tolist(), strict=True))
