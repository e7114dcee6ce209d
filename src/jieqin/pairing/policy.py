"""The pairing policy: what a good pair is, and which pairs are allowed at all.

Every cost is a whole number of *cost units*; whole numbers keep the solver exact
and make two solvers' optima comparable to the unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import Attribute, field, frozen

from jieqin.errors import InvalidValue
from jieqin.model import (
    MONITORED_STATUSES,
    HouseholdStatus,
    NeedKind,
    RegionCode,
    RegionLevel,
)
from jieqin.model.reference import need_sectors

__all__ = [
    "DEFAULT_DISTANCE_COSTS",
    "DEFAULT_NEED_SECTORS",
    "DEFAULT_NEED_WEIGHTS",
    "PairingPolicy",
]

#: Cost of a pair by the smallest region holding both the helper's home and the household.
DEFAULT_DISTANCE_COSTS: Mapping[RegionLevel, int] = {
    RegionLevel.VILLAGE: 0,
    RegionLevel.TOWNSHIP: 20,
    RegionLevel.COUNTY: 60,
    RegionLevel.CITY: 150,
    RegionLevel.PROVINCE: 300,
}

#: Cost of leaving a need of this kind without a helper whose sectors cover it.
DEFAULT_NEED_WEIGHTS: Mapping[str, int] = {
    NeedKind.MEDICAL: 40,
    NeedKind.SCHOOLING: 30,
    NeedKind.EMPLOYMENT: 30,
    NeedKind.DISABILITY_SUPPORT: 30,
    NeedKind.SKILLS_TRAINING: 15,
    NeedKind.SOCIAL_INSURANCE: 10,
    NeedKind.HOUSING: 10,
}

#: Which helper sectors cover which kind of need (the standard reference table's).
DEFAULT_NEED_SECTORS: Mapping[str, frozenset[str]] = need_sectors()

_ELIGIBLE = frozenset({str(HouseholdStatus.LIFTED_OUT), *(str(s) for s in MONITORED_STATUSES)})


def _non_negative_int(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidValue(f"must be a whole number >= 0, got {value!r}", field=name)


def _check_costs(instance: object, attribute: Attribute[Any], value: Mapping[Any, int]) -> None:
    for key, cost in value.items():
        _non_negative_int(cost, f"{attribute.name}[{key}]")


def _check_distance(
    instance: PairingPolicy, attribute: Attribute[Any], value: Mapping[RegionLevel, int]
) -> None:
    _check_costs(instance, attribute, value)
    for level in RegionLevel:
        if instance.allows_level(level) and level not in value:
            raise InvalidValue(f"no cost for level {level.name.lower()}", field=attribute.name)


def _check_optional_positive(instance: object, attribute: Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidValue(f"must be a whole number >= 1, got {value!r}", field=attribute.name)


def _check_int(instance: object, attribute: Attribute[Any], value: object) -> None:
    _non_negative_int(value, attribute.name)


def _pairs(value: object) -> frozenset[tuple[str, str]]:
    return frozenset((str(h), str(hh)) for h, hh in value)  # type: ignore[attr-defined]


def _level(value: object) -> RegionLevel:
    if isinstance(value, str) and not value.isdigit():
        try:
            return RegionLevel[value.upper()]
        except KeyError:
            names = ", ".join(level.name.lower() for level in RegionLevel)
            raise InvalidValue(
                f"{value!r} is not a region level ({names})", field="level"
            ) from None
    return RegionLevel(int(value))  # type: ignore[call-overload]


def _optional_level(value: object) -> RegionLevel | None:
    return None if value is None else _level(value)


def _levels(value: Mapping[object, int]) -> Mapping[RegionLevel, int]:
    return {_level(k): v for k, v in value.items()}


def _needs(value: Mapping[str, object]) -> Mapping[str, frozenset[str]]:
    return {str(k): frozenset(str(s) for s in v) for k, v in value.items()}  # type: ignore[attr-defined]


@frozen(kw_only=True)
class PairingPolicy:
    """How helpers are paired with households; every weight is a whole number of cost units.

    - ``eligible_statuses``: households whose status on the pairing day is one of these
      are paired (lifted out of poverty and the monitoring categories by default).
    - ``locality_limit``: the largest region a pair may span (a helper of another
      county is never a candidate under the default ``COUNTY`` limit).
    - ``distance_costs``: cost by the smallest region holding both (nearer is cheaper).
    - ``need_weights`` / ``need_sectors``: the cost of a need left without a helper
      whose sectors cover it; needs come from open survey needs and from member
      facts when ``implied_needs`` (major illness, a student, seeking work, disability).
    - ``workload_step``: the ``k``-th household of a helper costs ``workload_step *
      (k - 1)``: convex, so each further household costs more than the one before.
    - ``max_per_helper``: caps every helper's own capacity.
    - ``max_candidates``: candidates per household: the cheapest this many among the
      helpers of the smallest region around the household (village, township, ...,
      up to the limit) that holds at least this many; ``None`` for every helper
      within the limit (the solve is then exact over all allowed pairs).
    - ``keep_existing``: keep current pairs (unless the helper left, is inactive,
      lost capacity, or the pair is no longer allowed); when false every household is
      re-paired: it keeps its helper unless another saves more than ``handover_cost``
      (charged on the pair that changes helper), and a household whose pair could
      continue is never left unpaired while another household is paired in its place.
    - ``make_room``: with ``keep_existing`` false, a household whose pair could
      continue may lose its helper to a household without one when that pairs at less
      cost, counting ``handover_cost`` for the loss (its handover says ``made_room``).
    - ``pinned`` / ``forbidden``: ``(helper_id, household_id)`` pairs that must or
      must not be made.
    - ``partition_level``: the regions solved independently (and in parallel); at
      or above the locality limit, which it defaults to.
    - ``secondary``: also give each paired household a secondary helper (never its
      primary one) from the places left once every primary pair is made; secondary
      pairs in force are kept while allowed.
    """

    eligible_statuses: frozenset[str] = field(default=_ELIGIBLE, converter=frozenset)
    locality_limit: RegionLevel = field(default=RegionLevel.COUNTY, converter=_level)
    distance_costs: Mapping[RegionLevel, int] = field(
        default=DEFAULT_DISTANCE_COSTS, converter=_levels, validator=_check_distance
    )
    need_weights: Mapping[str, int] = field(default=DEFAULT_NEED_WEIGHTS, validator=_check_costs)
    need_sectors: Mapping[str, frozenset[str]] = field(
        default=DEFAULT_NEED_SECTORS, converter=_needs
    )
    implied_needs: bool = True
    workload_step: int = field(default=10, validator=_check_int)
    max_per_helper: int | None = field(default=None, validator=_check_optional_positive)
    max_candidates: int | None = field(default=50, validator=_check_optional_positive)
    keep_existing: bool = True
    handover_cost: int = field(default=50, validator=_check_int)
    make_room: bool = False
    pinned: frozenset[tuple[str, str]] = field(default=frozenset(), converter=_pairs)
    forbidden: frozenset[tuple[str, str]] = field(default=frozenset(), converter=_pairs)
    partition_level: RegionLevel | None = field(default=None, converter=_optional_level)
    secondary: bool = False

    def __attrs_post_init__(self) -> None:
        if self.partition_level is not None and self.partition_level > self.locality_limit:
            raise InvalidValue(
                f"partition level {self.partition_level.name.lower()} is below the locality "
                f"limit {self.locality_limit.name.lower()}; pairs could cross partitions",
                field="partition_level",
            )
        both = self.pinned & self.forbidden
        if both:
            helper, household = sorted(both)[0]
            raise InvalidValue(
                f"pair {helper} / {household} is both pinned and forbidden", field="pinned"
            )
        if len(self.need_weights) > 63:
            raise InvalidValue("at most 63 weighted need kinds", field="need_weights")

    @property
    def partition(self) -> RegionLevel:
        """The level whose regions are solved independently."""
        return self.partition_level if self.partition_level is not None else self.locality_limit

    def allows_level(self, level: RegionLevel | None) -> bool:
        """Whether a pair whose smallest shared region is at ``level`` is within the
        locality limit (``None``: the two share no region at all)."""
        return level is not None and level >= self.locality_limit

    def within_limit(self, home: RegionCode, region: RegionCode) -> bool:
        """Whether a helper living in ``home`` may be paired with a household in ``region``."""
        return self.allows_level(home.common_level(region))

    def capacity(self, own: int) -> int:
        """A helper's capacity under this policy."""
        return own if self.max_per_helper is None else min(own, self.max_per_helper)

    def slot_cost(self, k: int) -> int:
        """The cost of a helper's ``k``-th household (``k`` from 1)."""
        return self.workload_step * (k - 1)
