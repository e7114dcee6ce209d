"""The facts a rule can read about a member, their household and the decision context.

Every fact is defined once with two readers: one for a single :class:`Subject`
(used to explain a decision) and one for a whole :class:`Population` at once (numpy
arrays built once from the households, used to decide millions of members). A
rule names facts; it never reaches into the model itself, so both ways of running
it read the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from attrs import field, frozen

from jieqin.errors import InvalidValue
from jieqin.model import (
    MONITORED_STATUSES,
    EmploymentStatus,
    Grant,
    HealthCondition,
    Household,
    Member,
    Pairing,
    Period,
    RegionCode,
    RegionLevel,
    Relation,
    SchoolLevel,
    Sex,
)
from jieqin.model.regions import PROVINCE_PREFIXES

if TYPE_CHECKING:
    from jieqin.rules.observations import ObservationTable

__all__ = [
    "FACTS",
    "Context",
    "Fact",
    "FactKind",
    "Population",
    "Subject",
    "fact_definition",
    "region_prefix",
    "subjects_of",
]

Array = npt.NDArray[Any]
NO_SCHOOLING = "none"


class FactKind(StrEnum):
    NUMBER = "number"
    CATEGORY = "category"
    FLAG = "flag"


def _ids(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


def _codes(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


def _pairs(values: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    return frozenset(values)


@frozen
class Context:
    """What a decision depends on besides the member: the period, the day, pairings, grants."""

    period: Period
    on: date | None = None
    """The decision day (ages, statuses and parameters are taken on it); default: period start."""
    paired_households: frozenset[str] = field(factory=frozenset, converter=_ids)
    earlier_grants: frozenset[tuple[str, str]] = field(factory=frozenset, converter=_pairs)
    """``(program_id, member_id)`` of grants already made (any period)."""
    monitored: frozenset[str] = field(default=MONITORED_STATUSES, converter=_codes)
    """The household statuses that count as monitored (those registered ``monitored=True``)."""
    household_grants: frozenset[tuple[str, str]] = field(factory=frozenset, converter=_pairs)
    """``(program_id, household_id)`` of household grants already made (any period): every
    member of the household holds them."""
    observations: ObservationTable | None = field(default=None, eq=False)
    """What was observed about the households (income, expenditure, events), read by the
    monitoring facts (:mod:`jieqin.rules.observations`); ``None``: nothing observed."""
    since: date | None = None
    """The previous evaluation's day: an event observed from it on is new (default: the
    period's first day)."""

    @property
    def day(self) -> date:
        return self.on if self.on is not None else self.period.start

    @classmethod
    def build(
        cls,
        period: Period,
        *,
        on: date | None = None,
        pairings: Iterable[Pairing] = (),
        grants: Iterable[Grant] = (),
        monitored: Iterable[str] = MONITORED_STATUSES,
        observations: ObservationTable | None = None,
        since: date | None = None,
    ) -> Context:
        """A context from the pairings and grants on record (pairings active on the day
        count), and the observations the monitoring facts read."""
        day = on if on is not None else period.start
        paired = frozenset(p.household_id for p in pairings if p.active_on(day))
        made = list(grants)
        earlier = frozenset((g.program_id, g.member_id) for g in made if g.member_id is not None)
        households = frozenset((g.program_id, g.household_id) for g in made if g.member_id is None)
        return cls(
            period, on, paired, earlier, frozenset(monitored), households, observations, since
        )


@frozen
class Subject:
    """One member in their household, seen in a decision context."""

    member: Member
    household: Household
    context: Context


def subjects_of(households: Iterable[Household], context: Context) -> list[Subject]:
    """Every member of ``households`` as a subject, in household then member order."""
    return [Subject(m, h, context) for h in households for m in h.members]


@frozen
class Fact:
    """A named fact with a reader for one subject and a reader for a whole population."""

    name: str
    kind: FactKind
    description: str
    one: Callable[[Subject], Any]
    many: Callable[[Population, Context], Array]
    categories: tuple[str, ...] = ()
    """For a category fact with a fixed vocabulary: the codes, in column order."""
    sensitive: bool = False
    """Health and disability facts: masked in explanations and stored inputs."""


@frozen
class Population:
    """Members of many households as numpy columns, built once and decided many times.

    Category facts are stored as small integer codes into a vocabulary; household
    statuses as a flattened, date-sorted history so the status on any day is found
    without a Python loop.
    """

    member_ids: tuple[str, ...]
    household_ids: tuple[str, ...]
    member_household: Array
    """Row of each member's household in ``household_ids``."""
    birth_year: Array
    birth_mmdd: Array
    sex: Array
    relation: Array
    health: Array
    disability_grade: Array
    """0 when not disabled, else the grade 1 (most severe) to 4."""
    school_level: Array
    year_of_entry: Array
    """0 when not in school."""
    employment: Array
    household_size: Array
    history_since: Array
    """Ordinal day of each status change, sorted by household then day."""
    history_status: Array
    history_start: Array
    """Index into the history of each household's first change."""
    status_codes: tuple[str, ...]
    member_index: Mapping[str, int] = field(eq=False, repr=False)
    household_index: Mapping[str, int] = field(eq=False, repr=False)
    region_codes: tuple[str, ...] = ()
    """The households' region codes, sorted: the vocabulary of ``household_region``."""
    household_region: Array = field(factory=lambda: np.zeros(0, dtype=np.int32), eq=False)
    """Each household's region as an index into ``region_codes`` (-1: not known)."""
    _flags: dict[frozenset[str], Array] = field(factory=dict, eq=False, repr=False, init=False)

    def __len__(self) -> int:
        return len(self.member_ids)

    @classmethod
    def from_households(
        cls, households: Sequence[Household], *, heads_only: bool = False
    ) -> Population:
        """Build the columns from households (one pass over the members).

        ``heads_only``: one row per household, its head's (``household_size`` still
        counts every member): enough for rules that read household facts only, such
        as the warning rules (:mod:`jieqin.rules.warnings`)."""
        members = [
            (i, h, m)
            for i, h in enumerate(households)
            for m in ((h.head,) if heads_only else h.members)
        ]
        statuses = sorted({c.status for h in households for c in h.status_history})
        regions = tuple(sorted({h.region.code for h in households}))
        status_code = {s: k for k, s in enumerate(statuses)}
        history = [(i, c) for i, h in enumerate(households) for c in h.status_history]
        starts = np.cumsum([0] + [len(h.status_history) for h in households[:-1]])
        return cls.from_arrays(
            member_ids=[m.member_id for _, _, m in members],
            household_ids=[h.household_id for h in households],
            member_household=[i for i, _, _ in members],
            birth_year=[m.birth_date.year for _, _, m in members],
            birth_mmdd=[m.birth_date.month * 100 + m.birth_date.day for _, _, m in members],
            sex=[_SEX.index(m.sex) for _, _, m in members],
            relation=[_RELATION.index(m.relation) for _, _, m in members],
            health=[_HEALTH.index(m.health.condition) for _, _, m in members],
            disability_grade=[m.disability_grade or 0 for _, _, m in members],
            school_level=[
                _SCHOOL.index(m.schooling.level if m.schooling else NO_SCHOOLING)
                for _, _, m in members
            ],
            year_of_entry=[m.schooling.year_of_entry if m.schooling else 0 for _, _, m in members],
            employment=[_EMPLOYMENT.index(m.employment) for _, _, m in members],
            household_size=[len(h.members) for _, h, _ in members],
            history_since=[c.since.toordinal() for _, c in history],
            history_status=[status_code[c.status] for _, c in history],
            history_start=starts,
            status_codes=tuple(statuses),
            region_codes=regions,
            household_region=[regions.index(h.region.code) for h in households],
        )

    @classmethod
    def from_arrays(
        cls,
        *,
        member_ids: Sequence[str],
        household_ids: Sequence[str],
        member_household: npt.ArrayLike,
        birth_year: npt.ArrayLike,
        birth_mmdd: npt.ArrayLike,
        sex: npt.ArrayLike,
        relation: npt.ArrayLike,
        health: npt.ArrayLike,
        disability_grade: npt.ArrayLike,
        school_level: npt.ArrayLike,
        year_of_entry: npt.ArrayLike,
        employment: npt.ArrayLike,
        household_size: npt.ArrayLike,
        history_since: npt.ArrayLike,
        history_status: npt.ArrayLike,
        history_start: npt.ArrayLike,
        status_codes: Sequence[str],
        region_codes: Sequence[str] = (),
        household_region: npt.ArrayLike | None = None,
    ) -> Population:
        """Build from ready columns (codes index :data:`CATEGORIES`); for bulk loads.

        ``household_region`` indexes ``region_codes``, one per household; without it no
        household's region is known, and every region rule fails for its members."""
        n = len(member_ids)
        columns: dict[str, Array] = {
            "member_household": np.asarray(member_household, dtype=np.int32),
            "birth_year": np.asarray(birth_year, dtype=np.int32),
            "birth_mmdd": np.asarray(birth_mmdd, dtype=np.int32),
            "sex": np.asarray(sex, dtype=np.int8),
            "relation": np.asarray(relation, dtype=np.int8),
            "health": np.asarray(health, dtype=np.int8),
            "disability_grade": np.asarray(disability_grade, dtype=np.int8),
            "school_level": np.asarray(school_level, dtype=np.int8),
            "year_of_entry": np.asarray(year_of_entry, dtype=np.int32),
            "employment": np.asarray(employment, dtype=np.int8),
            "household_size": np.asarray(household_size, dtype=np.int32),
        }
        for name, column in columns.items():
            if column.shape != (n,):
                raise InvalidValue(f"expected {n} values, got shape {column.shape}", field=name)
        member_ids = tuple(member_ids)
        household_ids = tuple(household_ids)
        regions = (
            np.full(len(household_ids), -1, dtype=np.int32)
            if household_region is None
            else np.asarray(household_region, dtype=np.int32)
        )
        if regions.shape != (len(household_ids),):
            raise InvalidValue(
                f"expected {len(household_ids)} values, got shape {regions.shape}",
                field="household_region",
            )
        return cls(
            member_ids=member_ids,
            household_ids=household_ids,
            history_since=np.asarray(history_since, dtype=np.int64),
            history_status=np.asarray(history_status, dtype=np.int32),
            history_start=np.asarray(history_start, dtype=np.int64),
            status_codes=tuple(status_codes),
            member_index={m: i for i, m in enumerate(member_ids)},
            household_index={h: i for i, h in enumerate(household_ids)},
            region_codes=tuple(region_codes),
            household_region=regions,
            **columns,
        )

    def statuses_on(self, day: date) -> Array:
        """Each household's status code on ``day`` (-1 before its first record)."""
        valid = (self.history_since <= day.toordinal()).astype(np.int64)
        counts = np.add.reduceat(valid, self.history_start) if len(valid) else valid
        latest = self.history_start + counts - 1
        codes = self.history_status[np.maximum(latest, 0)]
        return np.where(counts > 0, codes, -1)

    def household_flag(self, household_ids: frozenset[str]) -> Array:
        """A per-household boolean column: is the household in ``household_ids``.

        Kept per set, so every programme decided in one context (the paired households
        on a day) shares the column: it is built once, like the member columns.
        """
        flags = self._flags.get(household_ids)
        if flags is None:
            flags = np.zeros(len(self.household_ids), dtype=bool)
            index = self.household_index
            flags[[index[h] for h in household_ids if h in index]] = True
            flags.setflags(write=False)
            if len(self._flags) > 8:
                self._flags.clear()
            self._flags[household_ids] = flags
        return flags

    def member_flag(self, member_ids: Iterable[str]) -> Array:
        """A per-member boolean column: is the member in ``member_ids``."""
        flags = np.zeros(len(self.member_ids), dtype=bool)
        rows = [self.member_index[m] for m in member_ids if m in self.member_index]
        flags[rows] = True
        return flags

    def categories(self, fact: Fact) -> tuple[str, ...]:
        """The vocabulary of a category fact's codes in this population."""
        if fact.name == "household_status":
            return self.status_codes
        if fact.name == "region":
            return self.region_codes
        return fact.categories

    def in_region(self, prefix: str) -> Array:
        """A per-household boolean column: does the household's region code start with
        ``prefix`` (one test per distinct region, not per household)."""
        codes = [i for i, code in enumerate(self.region_codes) if code.startswith(prefix)]
        return np.isin(self.household_region, codes)


_SEX = tuple(Sex)
_RELATION = tuple(Relation)
_HEALTH = tuple(HealthCondition)
_SCHOOL: tuple[str, ...] = (NO_SCHOOLING, *SchoolLevel)
_EMPLOYMENT = tuple(EmploymentStatus)

#: The code vocabularies of the fixed category columns (for :meth:`Population.from_arrays`).
CATEGORIES: Mapping[str, tuple[str, ...]] = {
    "sex": tuple(str(s) for s in _SEX),
    "relation": tuple(str(r) for r in _RELATION),
    "health": tuple(str(h) for h in _HEALTH),
    "school_level": tuple(str(s) for s in _SCHOOL),
    "employment": tuple(str(e) for e in _EMPLOYMENT),
}


def _age_one(s: Subject) -> int:
    return s.member.age_on(s.context.day)


def _age_many(p: Population, c: Context) -> Array:
    day = c.day
    later = p.birth_mmdd > day.month * 100 + day.day
    return (day.year - p.birth_year) - later


def _status_one(s: Subject) -> str | None:
    return s.household.status_on(s.context.day)


def _status_many(p: Population, c: Context) -> Array:
    return p.statuses_on(c.day)[p.member_household]


def _monitored_many(p: Population, c: Context) -> Array:
    codes = [i for i, s in enumerate(p.status_codes) if s in c.monitored]
    return np.isin(p.statuses_on(c.day), codes)[p.member_household]


def _column(name: str) -> Callable[[Population, Context], Array]:
    return lambda p, c: getattr(p, name)


def _disability_severity(grade: int | None) -> int:
    return 0 if not grade else 5 - grade


def _disability_severity_many(p: Population, c: Context) -> Array:
    grade = p.disability_grade.astype(np.int8)
    return np.where(grade > 0, 5 - grade, 0).astype(np.int8)


#: How severe each health condition is, for ranking (a larger number is more severe).
_ILLNESS_SEVERITY = {"healthy": 0, "chronic_illness": 1, "major_illness": 2}


def _illness_severity_many(p: Population, c: Context) -> Array:
    table = np.asarray([_ILLNESS_SEVERITY[str(h)] for h in _HEALTH], dtype=np.int8)
    return table[p.health]


def _fact_list() -> list[Fact]:
    category = FactKind.CATEGORY
    number = FactKind.NUMBER
    flag = FactKind.FLAG
    return [
        Fact("age", number, "full years of age on the decision day", _age_one, _age_many),
        Fact(
            "sex", category, "sex", lambda s: str(s.member.sex), _column("sex"), CATEGORIES["sex"]
        ),
        Fact(
            "relation",
            category,
            "relation to the head of household",
            lambda s: str(s.member.relation),
            _column("relation"),
            CATEGORIES["relation"],
        ),
        Fact(
            "health",
            category,
            "health condition (healthy, chronic_illness, major_illness)",
            lambda s: str(s.member.health.condition),
            _column("health"),
            CATEGORIES["health"],
            sensitive=True,
        ),
        Fact(
            "disability_grade",
            number,
            "disability grade 1 (most severe) to 4; 0 when not disabled",
            lambda s: s.member.disability_grade or 0,
            _column("disability_grade"),
            sensitive=True,
        ),
        Fact(
            "disability_severity",
            number,
            "how severe a disability is, for ranking: 4 for grade 1 (most severe) down to "
            "1 for grade 4; 0 when not disabled",
            lambda s: _disability_severity(s.member.disability_grade),
            _disability_severity_many,
            sensitive=True,
        ),
        Fact(
            "illness_severity",
            number,
            "how severe the health condition is, for ranking: 2 major illness, 1 chronic "
            "illness, 0 healthy",
            lambda s: _ILLNESS_SEVERITY[str(s.member.health.condition)],
            _illness_severity_many,
            sensitive=True,
        ),
        Fact(
            "school_level",
            category,
            "current school level, or 'none'",
            lambda s: str(s.member.schooling.level) if s.member.schooling else NO_SCHOOLING,
            _column("school_level"),
            CATEGORIES["school_level"],
        ),
        Fact(
            "year_of_entry",
            number,
            "calendar year the member entered the current school level; 0 when not in school",
            lambda s: s.member.schooling.year_of_entry if s.member.schooling else 0,
            _column("year_of_entry"),
        ),
        Fact(
            "employment",
            category,
            "employment status",
            lambda s: str(s.member.employment),
            _column("employment"),
            CATEGORIES["employment"],
        ),
        Fact(
            "household_size",
            number,
            "members in the household",
            lambda s: len(s.household.members),
            _column("household_size"),
        ),
        Fact(
            "region",
            category,
            "the household's region code (village, 12 digits, or township, 9); a rule "
            "tests a region with region_in or the region:<prefix> fact",
            lambda s: s.household.region.code,
            lambda p, c: p.household_region[p.member_household],
        ),
        Fact(
            "household_status",
            category,
            "the household's status on the decision day",
            _status_one,
            _status_many,
        ),
        Fact(
            "monitored",
            flag,
            "the household is in a return-to-poverty monitoring category on the decision day",
            lambda s: s.household.monitored_on(s.context.day, s.context.monitored),
            _monitored_many,
        ),
        Fact(
            "paired",
            flag,
            "the household has an active pairing on the decision day",
            lambda s: s.household.household_id in s.context.paired_households,
            lambda p, c: p.household_flag(c.paired_households)[p.member_household],
        ),
        Fact(
            "period_year",
            number,
            "the calendar year the decision period starts in",
            lambda s: s.context.period.start.year,
            lambda p, c: np.asarray(c.period.start.year, dtype=np.int32),
        ),
    ]


def _monitoring_facts() -> list[Fact]:
    from jieqin.rules.observations import monitoring_facts

    return monitoring_facts()


#: The standard facts by name. ``granted:<program_id>`` is also a fact (see :func:`fact_definition`).
FACTS: Mapping[str, Fact] = {f.name: f for f in (*_fact_list(), *_monitoring_facts())}


def fact_definition(name: str) -> Fact:
    """The fact called ``name``; ``granted:<program_id>`` means "already granted by that
    programme", ``region:<prefix>`` "lives in that region" (see :func:`region_prefix`)."""
    if name in FACTS:
        return FACTS[name]
    if name.startswith("granted:") and len(name) > len("granted:"):
        return _granted(name.removeprefix("granted:"))
    if name.startswith("region:"):
        return _in_region(region_prefix(name.removeprefix("region:"), field=name))
    raise InvalidValue(
        f"unknown fact; known: {', '.join(sorted(FACTS))}, granted:<program>, region:<prefix>",
        field=name,
    )


def _granted(program_id: str) -> Fact:
    """The member holds a grant of ``program_id``: their own, or their household's."""

    def one(s: Subject) -> bool:
        context = s.context
        return (program_id, s.member.member_id) in context.earlier_grants or (
            program_id,
            s.household.household_id,
        ) in context.household_grants

    def many(p: Population, c: Context) -> Array:
        members = p.member_flag(m for g, m in c.earlier_grants if g == program_id)
        households = frozenset(h for g, h in c.household_grants if g == program_id)
        if not households:
            return members
        return members | p.household_flag(households)[p.member_household]

    return Fact(
        f"granted:{program_id}",
        FactKind.FLAG,
        f"the member (or their household) already holds a grant of {program_id}",
        one,
        many,
    )


def _in_region(prefix: str) -> Fact:
    return Fact(
        f"region:{prefix}",
        FactKind.FLAG,
        f"the household lives in region {prefix} (its region code starts with {prefix})",
        lambda s: s.household.region.code.startswith(prefix),
        lambda p, c: p.in_region(prefix)[p.member_household],
    )


#: The lengths a region prefix may have: province, city, county, township, village.
_PREFIX_LENGTHS = (2, 4, 6, 9, 12)


def region_prefix(code: str, *, field: str = "region") -> str:
    """A region as the prefix its members' codes start with: ``"6102"`` for Tongchuan.

    A six-digit GB/T 2260 code of a city or province is cut to its significant digits
    (``"610200"`` -> ``"6102"``, ``"610000"`` -> ``"61"``), so the code and the prefix
    name the same region. A prefix is 2 (province), 4 (city), 6 (county), 9 (township)
    or 12 (village) digits.

    :raises InvalidValue: not such a prefix.
    """
    text = code.strip() if isinstance(code, str) else code
    if not isinstance(text, str) or not text.isascii() or not text.isdigit():
        raise InvalidValue(f"a region prefix is digits, such as 6102; got {code!r}", field=field)
    if len(text) not in _PREFIX_LENGTHS:
        raise InvalidValue(
            f"{text!r} has {len(text)} digits; a region prefix has 2 (province), 4 (city), "
            "6 (county), 9 (township) or 12 (village)",
            field=field,
        )
    if text[:2] not in PROVINCE_PREFIXES:
        raise InvalidValue(f"{text!r} has no province {text[:2]!r}", field=field)
    if len(text) == 6:
        level = RegionCode(text).level
        if level is RegionLevel.PROVINCE:
            return text[:2]
        if level is RegionLevel.CITY:
            return text[:4]
    return text
