"""Follow-up cadence: how often each category of household expects contact and visits.

Defaults follow common local rules: contact every month and a visit every quarter;
monthly visits and fortnightly contact for a household with a member who has a
major illness or a disability; a visit every two months for households under
return-to-poverty monitoring. A :class:`CadencePolicy` can be changed in code and
by plugins through the ``jieqin_register_cadences(register)`` hook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

from attrs import Attribute, field, frozen

from jieqin.errors import InvalidValue
from jieqin.model._fields import code_field, code_set
from jieqin.model.people import Household
from jieqin.model.vocab import MONITORED_STATUSES, ActivityKind

__all__ = [
    "ANY_KIND",
    "DEFAULT_CATEGORIES",
    "Cadence",
    "CadencePolicy",
    "HouseholdCategory",
    "HouseholdFacts",
    "default_policy",
    "household_facts",
]

#: The five standard kinds: any of them is a contact with the household.
ANY_KIND: frozenset[str] = frozenset(ActivityKind)


@frozen
class HouseholdFacts:
    """The facts about a household that decide its cadence (no health detail beyond two flags)."""

    major_illness: bool = False
    disabled: bool = False
    monitored: bool = False

    @property
    def bits(self) -> int:
        """The facts packed in an int (``1`` illness, ``2`` disability, ``4`` monitored)."""
        return int(self.major_illness) | int(self.disabled) << 1 | int(self.monitored) << 2

    @classmethod
    def from_bits(cls, bits: int) -> HouseholdFacts:
        return cls(bool(bits & 1), bool(bits & 2), bool(bits & 4))


def household_facts(
    household: Household, on: date, *, monitored: frozenset[str] = MONITORED_STATUSES
) -> HouseholdFacts:
    """The cadence facts of ``household`` on ``on``: a current member with a major
    illness, one with a disability, and a status among ``monitored`` (the statuses
    the plugins registered with ``monitored=True``) on that day."""
    return HouseholdFacts(
        major_illness=any(m.health.major_illness for m in household.members),
        disabled=any(m.disabled for m in household.members),
        monitored=household.status_on(on) in monitored,
    )


def _positive_days(instance: object, attribute: Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3660:
        raise InvalidValue(f"must be 1 to 3660 days, got {value!r}", field=attribute.name)


def _kinds(instance: object, attribute: Attribute[Any], value: frozenset[str]) -> None:
    if not value:
        raise InvalidValue("needs at least one activity kind", field=attribute.name)
    for code in sorted(value):
        code_field(instance, attribute, code)


@frozen
class Cadence:
    """At least one activity of ``kinds`` every ``every_days`` days, tracked as ``track``.

    ``category`` is the household category that expects it (``standard`` by default).
    """

    track: str = field(validator=code_field)
    every_days: int = field(validator=_positive_days)
    kinds: frozenset[str] = field(converter=code_set, validator=_kinds)
    category: str = field(default="standard", validator=code_field)

    @property
    def cadence_id(self) -> str:
        """``category:track``: a later registration with the same id replaces this one."""
        return f"{self.category}:{self.track}"


@frozen
class HouseholdCategory:
    """A category of household with its own cadence; the highest-ranked that applies wins."""

    code: str = field(validator=code_field)
    rank: int
    applies: Callable[[HouseholdFacts], bool] = field(eq=False)
    label: str = ""


DEFAULT_CATEGORIES: tuple[HouseholdCategory, ...] = (
    HouseholdCategory("standard", 0, lambda facts: True, "household lifted out of poverty"),
    HouseholdCategory("monitored", 10, lambda facts: facts.monitored, "under monitoring"),
    HouseholdCategory(
        "major_illness_or_disability",
        20,
        lambda facts: facts.major_illness or facts.disabled,
        "member with a major illness or disability",
    ),
)


class CadencePolicy:
    """Household categories and the cadences each expects; ``register`` adds or replaces."""

    def __init__(self, categories: Iterable[HouseholdCategory] = DEFAULT_CATEGORIES) -> None:
        self._categories: dict[str, HouseholdCategory] = {}
        self._cadences: dict[str, dict[str, Cadence]] = {}
        for category in categories:
            self.add_category(category)

    def add_category(self, category: HouseholdCategory) -> None:
        """Add (or replace) a category; it starts with no cadence of its own."""
        self._categories[category.code] = category
        self._cadences.setdefault(category.code, {})

    def register(self, cadence: Cadence) -> None:
        """Expect ``cadence`` of its category's households (replacing one on the same track)."""
        if not isinstance(cadence, Cadence):
            raise InvalidValue(f"expected a Cadence, got {type(cadence).__name__}", field="cadence")
        category = cadence.category
        if category not in self._categories:
            known = ", ".join(self._categories)
            raise InvalidValue(
                f"unknown household category {category!r}; known: {known}", field="category"
            )
        self._cadences[category][cadence.track] = cadence

    def remove(self, category: str, track: str) -> None:
        """Stop expecting ``track`` of ``category`` (no error when it was not expected)."""
        self._cadences.get(category, {}).pop(track, None)

    @property
    def categories(self) -> tuple[HouseholdCategory, ...]:
        """The categories, strictest (highest rank) first."""
        return tuple(sorted(self._categories.values(), key=lambda c: (-c.rank, c.code)))

    def category_of(self, facts: HouseholdFacts) -> str:
        """The code of the highest-ranked category whose test holds (``standard`` by default)."""
        for category in self.categories:
            if category.applies(facts):
                return category.code
        raise InvalidValue("no household category applies; register a catch-all", field="category")

    def cadences(self, category: str) -> tuple[Cadence, ...]:
        """What ``category`` expects, by track name."""
        return tuple(sorted(self._cadences.get(category, {}).values(), key=lambda c: c.track))

    def tracks(self) -> tuple[str, ...]:
        """Every track any category expects."""
        return tuple(sorted({t for per in self._cadences.values() for t in per}))

    def kinds(self) -> frozenset[str]:
        """Every activity kind that counts towards some cadence."""
        return frozenset(
            k for per in self._cadences.values() for c in per.values() for k in c.kinds
        )

    def kind_sets(self) -> frozenset[frozenset[str]]:
        """The distinct sets of kinds the cadences count (the default policy has two:
        any standard duty, and visits): what the overdue scan needs per household."""
        return frozenset(c.kinds for per in self._cadences.values() for c in per.values())

    def __iter__(self) -> Iterator[tuple[str, Cadence]]:
        for category in self.categories:
            for cadence in self.cadences(category.code):
                yield category.code, cadence


def default_policy() -> CadencePolicy:
    """Monthly contact and quarterly visits; stricter for illness, disability and monitoring."""
    policy = CadencePolicy()
    visit = frozenset({ActivityKind.VISIT})
    for category, contact_days, visit_days in (
        ("standard", 31, 92),
        ("monitored", 31, 62),
        ("major_illness_or_disability", 14, 31),
    ):
        policy.register(Cadence("contact", contact_days, ANY_KIND, category))
        policy.register(Cadence("visit", visit_days, visit, category))
    return policy
