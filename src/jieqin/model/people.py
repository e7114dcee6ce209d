"""Helpers, households and their members.

These are values: frozen, validated when built, changed with :func:`attrs.evolve`.
Resident ID numbers, phone numbers and health facts are sensitive; their ``repr``
is masked so that a logged object never shows them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Any

from attrs import Attribute, field, frozen, validators

from jieqin.errors import InvalidValue
from jieqin.model._fields import (
    code_field,
    code_set,
    date_field,
    enum_field,
    id_field,
    masked,
    optional_date,
    phone_field,
    region_field,
    text_field,
)
from jieqin.model.identity import mask_resident_id, resident_id_birth_date, validate_resident_id
from jieqin.model.regions import RegionCode, RegionLevel
from jieqin.model.vocab import MONITORED_STATUSES, check_code

__all__ = [
    "EmploymentStatus",
    "Health",
    "HealthCondition",
    "Helper",
    "Household",
    "Member",
    "MemberMove",
    "Relation",
    "SchoolLevel",
    "Schooling",
    "Sex",
    "StatusChange",
]


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class Relation(StrEnum):
    """Relation to the head of household (与户主关系)."""

    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    CHILD_IN_LAW = "child_in_law"
    GRANDCHILD = "grandchild"
    PARENT = "parent"
    GRANDPARENT = "grandparent"
    SIBLING = "sibling"
    OTHER = "other"


class HealthCondition(StrEnum):
    """Coarse health status; the diagnosis itself is kept separately and masked."""

    HEALTHY = "healthy"
    CHRONIC_ILLNESS = "chronic_illness"
    MAJOR_ILLNESS = "major_illness"
    """大病: a major illness under the medical-assistance schemes."""


class SchoolLevel(StrEnum):
    PRESCHOOL = "preschool"
    PRIMARY = "primary"
    JUNIOR_SECONDARY = "junior_secondary"
    SENIOR_SECONDARY = "senior_secondary"
    VOCATIONAL = "vocational"
    COLLEGE = "college"
    """Higher education (大学, incl. 大专); freshmen are in their year of entry."""
    POSTGRADUATE = "postgraduate"


class EmploymentStatus(StrEnum):
    EMPLOYED_LOCAL = "employed_local"
    MIGRANT_WORKER = "migrant_worker"
    """外出务工: works away from home, returns at festivals."""
    FARMING = "farming"
    UNEMPLOYED_SEEKING = "unemployed_seeking"
    """Unemployed and looking for work: an employment need."""
    UNABLE_TO_WORK = "unable_to_work"
    STUDENT = "student"
    RETIRED = "retired"
    CHILD = "child"


@frozen
class Health:
    """A member's health facts (sensitive: masked in repr, logs, reports and exports)."""

    condition: HealthCondition = field(
        default=HealthCondition.HEALTHY,
        converter=enum_field(HealthCondition),  # type: ignore[misc]
    )
    diagnosis: str | None = field(default=None, repr=masked)

    @property
    def major_illness(self) -> bool:
        return self.condition is HealthCondition.MAJOR_ILLNESS


@frozen
class Schooling:
    """Current schooling: the level and the calendar year of entry into that level."""

    level: SchoolLevel = field(converter=enum_field(SchoolLevel))  # type: ignore[misc]
    year_of_entry: int = field(validator=[validators.instance_of(int), validators.ge(1950)])
    institution: str | None = None

    def is_first_year(self, year: int) -> bool:
        """Whether ``year`` is the year the member entered this level (a freshman)."""
        return self.year_of_entry == year


def _disability_grade(instance: object, attribute: Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
        raise InvalidValue(
            f"disability grade must be 1 to 4 (1 most severe), got {value!r}", field=attribute.name
        )


def _resident_id(instance: Member, attribute: Attribute[Any], value: object) -> None:
    if value is None:
        return
    number = validate_resident_id(value, field=attribute.name)  # type: ignore[arg-type]
    if number != value:
        raise InvalidValue(
            "must be in compact form (18 characters, upper-case X)", field=attribute.name
        )
    embedded = resident_id_birth_date(number)
    if embedded != instance.birth_date:
        raise InvalidValue(
            f"embedded birth date {embedded.isoformat()} does not agree with "
            f"birth_date {instance.birth_date.isoformat()} ({mask_resident_id(number)})",
            field=attribute.name,
        )


def _masked_resident_id(value: str | None) -> str:
    return "None" if value is None else mask_resident_id(value)


@frozen
class Member:
    """A person in a household, with the facts that create needs.

    ``resident_id`` is the person's resident ID number where one is known: it names
    one person, so no two stored members share it. ``departed_on`` is set on a
    former member, one who left the household but whose history (needs, decisions,
    grants) stays with it.
    """

    member_id: str = field(validator=id_field)
    name: str = field(validator=text_field)
    sex: Sex = field(converter=enum_field(Sex))  # type: ignore[misc]
    birth_date: date = field(validator=date_field)
    resident_id: str | None = field(default=None, validator=_resident_id, repr=_masked_resident_id)
    relation: Relation = field(default=Relation.HEAD, converter=enum_field(Relation))  # type: ignore[misc]
    health: Health = field(factory=Health, repr=masked)
    disability_grade: int | None = field(default=None, validator=_disability_grade, repr=masked)
    schooling: Schooling | None = None
    employment: EmploymentStatus = field(
        default=EmploymentStatus.FARMING,
        converter=enum_field(EmploymentStatus),  # type: ignore[misc]
    )
    phone: str | None = field(default=None, validator=phone_field, repr=masked)
    departed_on: date | None = field(default=None, validator=optional_date)

    def age_on(self, day: date) -> int:
        """Full years of age on ``day``."""
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    @property
    def disabled(self) -> bool:
        return self.disability_grade is not None

    @property
    def departed(self) -> bool:
        """Whether the member has left the household (a former member)."""
        return self.departed_on is not None


@frozen
class StatusChange:
    """From ``since`` on, the household has ``status`` (until the next change)."""

    status: str = field(validator=code_field)
    since: date = field(validator=date_field)
    note: str = ""


def _member_tuple(values: Iterable[Member]) -> tuple[Member, ...]:
    return tuple(values)


def _history_tuple(values: Iterable[StatusChange]) -> tuple[StatusChange, ...]:
    return tuple(values)


def _members(instance: Household, attribute: Attribute[Any], value: tuple[Member, ...]) -> None:
    if not value:
        raise InvalidValue("a household needs at least one member", field="members")
    seen: set[str] = set()
    heads = 0
    for i, member in enumerate(value):
        if not isinstance(member, Member):
            raise InvalidValue(
                f"expected a Member, got {type(member).__name__}", field=f"members[{i}]"
            )
        if member.member_id in seen:
            raise InvalidValue(
                f"duplicate member id {member.member_id!r}", field=f"members[{i}].member_id"
            )
        if member.departed_on is not None:
            raise InvalidValue(
                f"member {member.member_id!r} departed on {member.departed_on.isoformat()}; "
                "a former member belongs in former_members",
                field=f"members[{i}].departed_on",
            )
        seen.add(member.member_id)
        heads += member.relation is Relation.HEAD
    if heads != 1:
        raise InvalidValue(f"a household needs exactly one head, found {heads}", field="members")


def _former(instance: Household, attribute: Attribute[Any], value: tuple[Member, ...]) -> None:
    current = {m.member_id for m in instance.members}
    seen: set[str] = set()
    for i, member in enumerate(value):
        if not isinstance(member, Member):
            raise InvalidValue(
                f"expected a Member, got {type(member).__name__}", field=f"former_members[{i}]"
            )
        if member.departed_on is None:
            raise InvalidValue(
                "a former member needs the day they departed",
                field=f"former_members[{i}].departed_on",
            )
        if member.member_id in current or member.member_id in seen:
            raise InvalidValue(
                f"duplicate member id {member.member_id!r}",
                field=f"former_members[{i}].member_id",
            )
        seen.add(member.member_id)


def _history(
    instance: Household, attribute: Attribute[Any], value: tuple[StatusChange, ...]
) -> None:
    if not value:
        raise InvalidValue("needs at least one status", field="status_history")
    for i in range(1, len(value)):
        if value[i].since <= value[i - 1].since:
            raise InvalidValue(
                "status changes must be in strictly increasing date order",
                field=f"status_history[{i}].since",
            )


def _household_region(instance: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, RegionCode):
        raise InvalidValue(
            f"expected a RegionCode, got {type(value).__name__}", field=attribute.name
        )
    if value.level < RegionLevel.TOWNSHIP:
        raise InvalidValue(
            f"a household lives in a village (12 digits) or township (9 digits), not {value.code}",
            field=attribute.name,
        )


@frozen
class Household:
    """A rural household with its members and its dated status history.

    ``former_members`` are people who left the household (``departed_on`` set) and
    whose needs, decisions or grants stay on record with it; rules, pairing and
    reports count the current ``members`` only.
    """

    household_id: str = field(validator=id_field)
    region: RegionCode = field(validator=_household_region)
    members: tuple[Member, ...] = field(converter=_member_tuple, validator=_members)
    status_history: tuple[StatusChange, ...] = field(converter=_history_tuple, validator=_history)
    former_members: tuple[Member, ...] = field(
        default=(), converter=_member_tuple, validator=_former
    )

    @property
    def head(self) -> Member:
        return next(m for m in self.members if m.relation is Relation.HEAD)

    def member(self, member_id: str) -> Member:
        """The current or former member with this id; ``KeyError`` if there is none."""
        for m in (*self.members, *self.former_members):
            if m.member_id == member_id:
                return m
        raise KeyError(member_id)

    @property
    def people(self) -> tuple[Member, ...]:
        """Current members, then former ones: everyone the household has on record."""
        return (*self.members, *self.former_members)

    def status_on(self, day: date) -> str | None:
        """The status in force on ``day``, or ``None`` before the first record."""
        current: str | None = None
        for change in self.status_history:
            if change.since > day:
                break
            current = change.status
        return current

    @property
    def status(self) -> str:
        """The latest status."""
        return self.status_history[-1].status

    def monitored_on(self, day: date, statuses: frozenset[str] = MONITORED_STATUSES) -> bool:
        """Whether the household is in one of the return-to-poverty monitoring categories
        (``statuses``: those registered as monitored; the standard three by default)."""
        return self.status_on(day) in statuses


def _capacity(instance: object, attribute: Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidValue(
            f"capacity must be a whole number >= 1, got {value!r}", field=attribute.name
        )


def _sectors(instance: object, attribute: Attribute[Any], value: frozenset[str]) -> None:
    for code in sorted(value, key=str):
        check_code(code, field=attribute.name)


@frozen
class Helper:
    """A council member or agency staffer who is paired with households."""

    helper_id: str = field(validator=id_field)
    name: str = field(validator=text_field)
    tier: str = field(validator=code_field)
    home_region: RegionCode = field(validator=region_field)
    sectors: frozenset[str] = field(factory=frozenset, converter=code_set, validator=_sectors)
    capacity: int = field(default=1, validator=_capacity)
    active: bool = field(default=True, validator=validators.instance_of(bool))
    phone: str | None = field(default=None, validator=phone_field, repr=masked)


@frozen
class MemberMove:
    """A person moved from one household to another on ``on``.

    Moving is explicit and dated: the member keeps their id, resident ID number and
    history (needs, decisions and grants stay with the household they were made in),
    and the move is kept as a record of its own.
    """

    member_id: str = field(validator=id_field)
    from_household_id: str = field(validator=id_field)
    to_household_id: str = field(validator=id_field)
    on: date = field(validator=date_field)
    reason: str = ""
