"""Helpers and households as numpy columns: the form the engine works on.

Model objects are turned into columns once; candidate generation, cost terms and
the solver then work on whole arrays. A benchmark or a bulk caller may build the
columns directly (:meth:`HouseholdColumns.build`, :meth:`HelperColumns.build`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import numpy as np
import numpy.typing as npt
from attrs import frozen

from jieqin.errors import PairingError
from jieqin.model import (
    EmploymentStatus,
    Helper,
    Household,
    Need,
    NeedKind,
    NeedStatus,
    RegionCode,
    RegionLevel,
)
from jieqin.pairing.policy import PairingPolicy

__all__ = [
    "LEVELS",
    "HelperColumns",
    "HouseholdColumns",
    "implied_needs",
    "need_bits",
    "region_keys",
    "sector_bits",
]

IntArray = npt.NDArray[np.int64]
#: Record ids: a list, or a numpy array of strings for bulk callers.
Ids = Sequence[str] | npt.NDArray[np.str_]


def take(ids: Ids, rows: IntArray) -> Ids:
    """The ids at ``rows``."""
    if isinstance(ids, np.ndarray):
        return ids[rows]
    return [ids[i] for i in rows]


#: Column order of :func:`region_keys`: province, city, county, township, village.
LEVELS: tuple[RegionLevel, ...] = tuple(RegionLevel)
_DIGITS = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
}
_OPEN = frozenset({NeedStatus.OPEN, NeedStatus.ROUTED, NeedStatus.HELD})


def _keys_of(region: RegionCode) -> list[int]:
    out = []
    for level in LEVELS:
        node = region.at_level(level)
        out.append(-1 if node is None else int(node.code[: _DIGITS[level]]))
    return out


def region_keys(regions: Iterable[RegionCode]) -> IntArray:
    """One row per region: an integer key per level (``-1`` where the region is above it).

    Two regions lie in the same region of level ``L`` when their keys in column
    ``L - 1`` are equal and not ``-1``.
    """
    cache: dict[RegionCode, list[int]] = {}
    rows = []
    for region in regions:
        keys = cache.get(region)
        if keys is None:
            keys = cache[region] = _keys_of(region)
        rows.append(keys)
    return np.asarray(rows, dtype=np.int64).reshape(-1, len(LEVELS))


def need_bits(policy: PairingPolicy) -> dict[str, int]:
    """Bit number of each weighted need kind (sorted by name, so stable)."""
    return {kind: bit for bit, kind in enumerate(sorted(policy.need_weights))}


def sector_bits(policy: PairingPolicy) -> dict[str, int]:
    """Bit number of each sector that covers some weighted need."""
    sectors = sorted({s for kind in policy.need_weights for s in policy.need_sectors.get(kind, ())})
    if len(sectors) > 63:
        raise PairingError("at most 63 sectors may cover needs")
    return {sector: bit for bit, sector in enumerate(sectors)}


def implied_needs(household: Household) -> set[str]:
    """Kinds of need implied by member facts: illness, schooling, job seeking, disability."""
    kinds: set[str] = set()
    for member in household.members:
        if member.health.major_illness:
            kinds.add(NeedKind.MEDICAL)
        if member.schooling is not None or member.employment is EmploymentStatus.STUDENT:
            kinds.add(NeedKind.SCHOOLING)
        if member.employment is EmploymentStatus.UNEMPLOYED_SEEKING:
            kinds.add(NeedKind.EMPLOYMENT)
        if member.disabled:
            kinds.add(NeedKind.DISABILITY_SUPPORT)
    return kinds


@frozen
class HouseholdColumns:
    """The households of an instance, one row each, sorted by id."""

    ids: Ids
    keys: IntArray
    """:func:`region_keys` of each household's region."""
    needs: IntArray
    """Bit mask of need kinds (:func:`need_bits`)."""
    current: IntArray
    """Row of the household's current helper in :class:`HelperColumns`, or ``-1``."""

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    @classmethod
    def build(
        cls,
        ids: Ids,
        keys: IntArray,
        needs: IntArray | None = None,
        current: IntArray | None = None,
    ) -> HouseholdColumns:
        n = len(ids)
        return cls(
            ids,
            np.ascontiguousarray(keys, dtype=np.int64),
            np.zeros(n, np.int64) if needs is None else np.asarray(needs, np.int64),
            np.full(n, -1, np.int64) if current is None else np.asarray(current, np.int64),
        )

    @classmethod
    def from_model(
        cls,
        households: Sequence[Household],
        needs: Iterable[Need],
        policy: PairingPolicy,
        *,
        current: Mapping[str, int] | None = None,
    ) -> HouseholdColumns:
        """Columns of ``households`` (already sorted by id) with their open needs."""
        bits = need_bits(policy)
        open_needs: dict[str, set[str]] = {}
        for need in needs:
            if need.status in _OPEN:
                open_needs.setdefault(need.household_id, set()).add(need.kind)
        masks = np.zeros(len(households), np.int64)
        for row, household in enumerate(households):
            kinds = set(open_needs.get(household.household_id, ()))
            if policy.implied_needs:
                kinds |= implied_needs(household)
            mask = 0
            for kind in kinds:
                bit = bits.get(kind)
                if bit is not None:
                    mask |= 1 << bit
            masks[row] = mask
        now = current or {}
        return cls.build(
            [h.household_id for h in households],
            region_keys(h.region for h in households),
            masks,
            np.asarray([now.get(h.household_id, -1) for h in households], np.int64),
        )


@frozen
class HelperColumns:
    """The helpers of an instance, one row each, sorted by id."""

    ids: Ids
    keys: IntArray
    """:func:`region_keys` of each helper's home region."""
    sectors: IntArray
    """Bit mask of sectors (:func:`sector_bits`)."""
    capacity: IntArray
    """Capacity under the policy (0 for a helper who takes no one)."""
    load: IntArray
    """Households the helper keeps already (kept and pinned pairs)."""

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    @classmethod
    def build(
        cls,
        ids: Ids,
        keys: IntArray,
        capacity: IntArray,
        sectors: IntArray | None = None,
        load: IntArray | None = None,
    ) -> HelperColumns:
        n = len(ids)
        return cls(
            ids,
            np.ascontiguousarray(keys, dtype=np.int64),
            np.zeros(n, np.int64) if sectors is None else np.asarray(sectors, np.int64),
            np.asarray(capacity, np.int64),
            np.zeros(n, np.int64) if load is None else np.asarray(load, np.int64),
        )

    @classmethod
    def from_model(
        cls,
        helpers: Sequence[Helper],
        policy: PairingPolicy,
        *,
        load: Mapping[str, int] | None = None,
    ) -> HelperColumns:
        """Columns of ``helpers`` (already sorted by id); inactive helpers get capacity 0."""
        bits = sector_bits(policy)
        masks = np.zeros(len(helpers), np.int64)
        for row, helper in enumerate(helpers):
            mask = 0
            for sector in helper.sectors:
                bit = bits.get(sector)
                if bit is not None:
                    mask |= 1 << bit
            masks[row] = mask
        loads = load or {}
        return cls.build(
            [h.helper_id for h in helpers],
            region_keys(h.home_region for h in helpers),
            np.asarray([policy.capacity(h.capacity) if h.active else 0 for h in helpers], np.int64),
            masks,
            np.asarray([loads.get(h.helper_id, 0) for h in helpers], np.int64),
        )

    @property
    def free(self) -> IntArray:
        """Slots still open per helper."""
        return np.asarray(np.maximum(self.capacity - self.load, 0), np.int64)


def level_column(level: RegionLevel) -> int:
    """The column of :func:`region_keys` for ``level``."""
    return LEVELS.index(level)


def on_day(day: date | None) -> date:
    """``day``, or today."""
    return day if day is not None else date.today()
