"""Named eligibility conditions combined with all / any / not.

A condition is data: a name, a test expression over facts and parameters, or a
combination of other conditions. It runs two ways from the one definition:

- :meth:`Condition.outcomes` on one subject: for every condition in the tree whether
  it held, and a detail that says its *result* with the values compared (``age 69 <
  min_age 70``), never just the test;
- :meth:`Condition.mask` on a :class:`~jieqin.rules.facts.Population`: one boolean
  per member, computed with numpy over columns.

Why a condition failed is :meth:`Condition.cause`: the failed conditions that made it
fail, and only those (see its docstring for what "minimal" means). A refusal names
them and nothing else: not a condition that held, not one below an ``any_of`` that
held.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from attrs import field, frozen

from jieqin.errors import InvalidValue
from jieqin.model import ConditionOutcome, HealthCondition, SchoolLevel
from jieqin.model.vocab import check_code
from jieqin.rules.expressions import Columns, Expr, Params, SubjectFacts, fact
from jieqin.rules.facts import Array, fact_definition, region_prefix

__all__ = [
    "FAILED",
    "AllOf",
    "AnyOf",
    "Check",
    "Condition",
    "NotCondition",
    "age_between",
    "all_of",
    "any_of",
    "check",
    "college_freshman",
    "household_paired",
    "major_illness",
    "not_",
    "not_granted_before",
    "region_in",
    "unemployed_seeking_work",
]


#: How the detail of a failed ``all_of`` begins: the causes follow, ``name (detail)`` each.
FAILED = "failed: "


def _conditions(parts: Iterable[Condition]) -> tuple[Condition, ...]:
    return tuple(parts)


def _name(instance: object, attribute: Any, value: str) -> None:
    check_code(value, field="condition name")


@frozen(eq=False)
class Condition:
    """A named condition; subclasses are a test (:class:`Check`) or a combination."""

    name: str = field(validator=_name)

    def holds(self, facts: SubjectFacts, params: Params) -> bool:
        raise NotImplementedError

    def mask(self, columns: Columns, params: Params) -> Any:
        """One boolean per member (or a single boolean when no member fact is read)."""
        raise NotImplementedError

    def outcomes(
        self, facts: SubjectFacts, params: Params, *, reveal: bool = False
    ) -> Iterator[ConditionOutcome]:
        """This condition and every condition below it (in :meth:`walk` order), each
        with whether it held and its :meth:`detail`."""
        yield ConditionOutcome(
            self.name, self.holds(facts, params), self.detail(facts, params, reveal)
        )

    def detail(self, facts: SubjectFacts, params: Params, reveal: bool = False) -> str:
        """What this condition's result was, with the values compared (sensitive values
        masked unless ``reveal``)."""
        raise NotImplementedError

    def cause(self, facts: SubjectFacts, params: Params) -> tuple[Condition, ...]:
        """Why this condition failed: a minimal set of failed conditions (empty when it held).

        The set ``C`` is defined by the tree: a failed check, ``any_of`` or ``not_`` is
        its own cause (``(self,)``); a failed ``all_of`` is caused by the causes of
        its failed parts, together. So ``C`` holds no condition that held, and none
        below an ``any_of`` or ``not_`` that held (they did not decide anything).

        *Minimal* means, taking each condition in ``C`` as held (and every other
        condition as it is): (1) the whole condition then holds; (2) leaving out any
        one member of ``C`` it still fails. ``C`` is as small as the tree allows: an
        ``all_of`` fails until every failed part is mended, so none can be left out;
        a failed ``any_of`` needs any one of its parts and a failed ``not_`` needs its
        part to fail, so each counts as one condition (the explanation lists the
        ``any_of``'s failed parts with it). A property test holds both to this.
        """
        return () if self.holds(facts, params) else (self,)

    def why(self, facts: SubjectFacts, params: Params, reveal: bool = False) -> str:
        """This condition as a cause: ``name (detail)``."""
        return f"{self.name} ({self.detail(facts, params, reveal)})"

    def describe(self) -> str:
        raise NotImplementedError

    def walk(self) -> Iterator[Condition]:
        yield self

    def facts(self) -> frozenset[str]:
        return frozenset().union(*(c.expr.facts() for c in self.walk() if isinstance(c, Check)))

    def params(self) -> frozenset[str]:
        return frozenset().union(*(c.expr.params() for c in self.walk() if isinstance(c, Check)))

    def sensitive(self) -> bool:
        """Whether this condition (or one below it) reads a sensitive fact (health,
        disability: any fact defined with ``sensitive=True``). Whether it held tells
        that fact, so masked output shows neither its name nor its outcome."""
        return any(fact_definition(name).sensitive for name in self.facts())

    def sensitive_names(self) -> frozenset[str]:
        """The names of the conditions in this tree that :meth:`sensitive` holds for."""
        return frozenset(c.name for c in self.walk() if c.sensitive())

    def fingerprint(self) -> str:
        """A short hash of the definition: changes whenever the rule's logic changes."""
        return hashlib.sha256(self.describe().encode()).hexdigest()[:10]

    def evaluate(self, columns: Columns, params: Params) -> Array:
        """The mask as a boolean array of the population's length."""
        n = len(columns.population)
        return np.broadcast_to(np.asarray(self.mask(columns, params), dtype=bool), (n,))


@frozen(eq=False)
class Check(Condition):
    """A named test: ``check("adult", fact("age") >= param("adult_age"))``."""

    expr: Expr
    description: str = ""

    def holds(self, facts: SubjectFacts, params: Params) -> bool:
        return bool(self.expr.one(facts, params))

    def mask(self, columns: Columns, params: Params) -> Any:
        return self.expr.many(columns, params)

    def detail(self, facts: SubjectFacts, params: Params, reveal: bool = False) -> str:
        """The test's result: ``age 69 < min_age 70`` (see :meth:`Expr.render`)."""
        return self.expr.render(facts, params, reveal)

    def describe(self) -> str:
        return f"{self.name}:{self.expr.describe()}"


@frozen(eq=False)
class AllOf(Condition):
    """Holds when every part holds."""

    parts: tuple[Condition, ...] = field(converter=_conditions)

    def __attrs_post_init__(self) -> None:
        if not self.parts:
            raise InvalidValue("needs at least one condition", field=self.name)
        names: list[str] = [c.name for c in self.walk()]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise InvalidValue(
                f"condition names must be unique: {', '.join(dupes)}", field=self.name
            )

    def holds(self, facts: SubjectFacts, params: Params) -> bool:
        return all(p.holds(facts, params) for p in self.parts)

    def mask(self, columns: Columns, params: Params) -> Any:
        result = self.parts[0].mask(columns, params)
        for part in self.parts[1:]:
            result = result & part.mask(columns, params)
        return result

    def outcomes(
        self, facts: SubjectFacts, params: Params, *, reveal: bool = False
    ) -> Iterator[ConditionOutcome]:
        yield ConditionOutcome(
            self.name, self.holds(facts, params), self.detail(facts, params, reveal)
        )
        for part in self.parts:
            yield from part.outcomes(facts, params, reveal=reveal)

    def detail(self, facts: SubjectFacts, params: Params, reveal: bool = False) -> str:
        """``all held``, or ``failed: `` and each cause as ``name (detail)``."""
        causes = self.cause(facts, params)
        if not causes:
            return "all held"
        return FAILED + "; ".join(c.why(facts, params, reveal) for c in causes)

    def cause(self, facts: SubjectFacts, params: Params) -> tuple[Condition, ...]:
        return tuple(c for p in self.parts for c in p.cause(facts, params))

    def describe(self) -> str:
        return f"{self.name}:all(" + ", ".join(p.describe() for p in self.parts) + ")"

    def walk(self) -> Iterator[Condition]:
        yield self
        for part in self.parts:
            yield from part.walk()


@frozen(eq=False)
class AnyOf(AllOf):
    """Holds when at least one part holds."""

    def holds(self, facts: SubjectFacts, params: Params) -> bool:
        return any(p.holds(facts, params) for p in self.parts)

    def mask(self, columns: Columns, params: Params) -> Any:
        result = self.parts[0].mask(columns, params)
        for part in self.parts[1:]:
            result = result | part.mask(columns, params)
        return result

    def detail(self, facts: SubjectFacts, params: Params, reveal: bool = False) -> str:
        """``held: `` and the parts that held, or ``none held: `` and each part with why."""
        held_by = [p.name for p in self.parts if p.holds(facts, params)]
        if held_by:
            return "held: " + ", ".join(held_by)
        return "none held: " + ", ".join(p.why(facts, params, reveal) for p in self.parts)

    def cause(self, facts: SubjectFacts, params: Params) -> tuple[Condition, ...]:
        return () if self.holds(facts, params) else (self,)

    def describe(self) -> str:
        return f"{self.name}:any(" + ", ".join(p.describe() for p in self.parts) + ")"


@frozen(eq=False)
class NotCondition(Condition):
    """Holds when its part does not."""

    part: Condition

    def holds(self, facts: SubjectFacts, params: Params) -> bool:
        return not self.part.holds(facts, params)

    def mask(self, columns: Columns, params: Params) -> Any:
        return ~np.asarray(self.part.mask(columns, params), dtype=bool)

    def outcomes(
        self, facts: SubjectFacts, params: Params, *, reveal: bool = False
    ) -> Iterator[ConditionOutcome]:
        yield ConditionOutcome(
            self.name, self.holds(facts, params), self.detail(facts, params, reveal)
        )
        yield from self.part.outcomes(facts, params, reveal=reveal)

    def detail(self, facts: SubjectFacts, params: Params, reveal: bool = False) -> str:
        """Whether the part failed (as it should) or held, and the part's own detail."""
        held = self.holds(facts, params)
        return f"{self.part.name} {'failed' if held else 'held'} ({self.part.detail(facts, params, reveal)})"

    def describe(self) -> str:
        return f"{self.name}:not({self.part.describe()})"

    def walk(self) -> Iterator[Condition]:
        yield self
        yield from self.part.walk()


def check(name: str, expr: Expr, description: str = "") -> Check:
    """A named test over facts and parameters."""
    return Check(name, expr, description)


def all_of(name: str, *conditions: Condition) -> AllOf:
    """Holds when every one of ``conditions`` holds."""
    return AllOf(name, conditions)


def any_of(name: str, *conditions: Condition) -> AnyOf:
    """Holds when at least one of ``conditions`` holds."""
    return AnyOf(name, conditions)


def not_(name: str, condition: Condition) -> NotCondition:
    """Holds when ``condition`` does not."""
    return NotCondition(name, condition)


# The conditions the campaign's programmes use most; each is an ordinary check.


def college_freshman(name: str = "college_freshman") -> Check:
    """In college and entered it in the decision period's year (a second-year student is not)."""
    return check(
        name,
        fact("school_level").isin([SchoolLevel.COLLEGE.value])
        & (fact("year_of_entry") == fact("period_year")),
        "a college freshman in their year of entry",
    )


def major_illness(name: str = "major_illness") -> Check:
    """Has a major illness (大病); a chronic illness does not count."""
    return check(
        name, fact("health") == HealthCondition.MAJOR_ILLNESS.value, "has a major illness (大病)"
    )


def household_paired(name: str = "household_paired") -> Check:
    """The member's household is paired with a helper on the decision day."""
    return check(name, fact("paired") == True, "household is paired with a helper")  # noqa: E712


def unemployed_seeking_work(name: str = "unemployed_seeking_work") -> Check:
    """Unemployed and looking for work."""
    return check(name, fact("employment") == "unemployed_seeking", "unemployed, seeking work")


def not_granted_before(program_id: str, name: str | None = None) -> Check:
    """Has never had a grant of ``program_id`` (in any period)."""
    return check(
        name or f"not_granted_{program_id}".replace("-", "_").lower()[:64],
        fact(f"granted:{program_id}") == False,  # noqa: E712
        f"has not had a grant of {program_id} before",
    )


def age_between(min_param: str, max_param: str, name: str = "age_in_range") -> Check:
    """Age on the decision day between two dated parameters, both inclusive."""
    return check(
        name,
        (fact("age") >= _p(min_param)) & (fact("age") <= _p(max_param)),
        f"age between {min_param} and {max_param}",
    )


def region_in(*prefixes: str, name: str = "in_region") -> Check:
    """The household lives in one of the regions: its region code starts with one of
    ``prefixes`` (``region_in("6102")``: Tongchuan; ``"610200"``, the city's code, is the
    same region). See :func:`~jieqin.rules.facts.region_prefix`."""
    from jieqin.rules.expressions import Or

    if not prefixes:
        raise InvalidValue("name at least one region prefix", field=name)
    cut = [region_prefix(p, field=name) for p in prefixes]
    tests: list[Expr] = [fact(f"region:{p}") == True for p in cut]  # noqa: E712
    expr = tests[0] if len(tests) == 1 else Or(tests)
    return check(name, expr, f"lives in region {', '.join(cut)}")


def _p(name: str) -> Expr:
    from jieqin.rules.expressions import param

    return param(name)
