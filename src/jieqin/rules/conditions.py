"""Named eligibility conditions combined with all / any / not.

A condition is data: a name, a test expression over facts and parameters, or a
combination of other conditions. It runs two ways from the one definition:

- :meth:`Condition.explain` on one subject: held or not, and for every condition
  in the tree whether it held and the values it read;
- :meth:`Condition.mask` on a :class:`~jieqin.rules.facts.Population`: one boolean
  per member, computed with numpy over columns.
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
from jieqin.rules.facts import Array, fact_definition

__all__ = [
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
    "unemployed_seeking_work",
]


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
        """This condition and every condition below it, each with whether it held and why."""
        raise NotImplementedError

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

    def outcomes(
        self, facts: SubjectFacts, params: Params, *, reveal: bool = False
    ) -> Iterator[ConditionOutcome]:
        held = self.holds(facts, params)
        yield ConditionOutcome(self.name, held, self.expr.render(facts, params, reveal))

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
        below = [o for p in self.parts for o in p.outcomes(facts, params, reveal=reveal)]
        held = self.holds(facts, params)
        failed = [p.name for p in self.parts if not p.holds(facts, params)]
        detail = "all held" if held else "failed: " + ", ".join(failed)
        yield ConditionOutcome(self.name, held, detail)
        yield from below

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

    def outcomes(
        self, facts: SubjectFacts, params: Params, *, reveal: bool = False
    ) -> Iterator[ConditionOutcome]:
        below = [o for p in self.parts for o in p.outcomes(facts, params, reveal=reveal)]
        held_by = [p.name for p in self.parts if p.holds(facts, params)]
        detail = "held: " + ", ".join(held_by) if held_by else "none held"
        yield ConditionOutcome(self.name, bool(held_by), detail)
        yield from below

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
        below = list(self.part.outcomes(facts, params, reveal=reveal))
        held = self.holds(facts, params)
        yield ConditionOutcome(self.name, held, f"{self.part.name} {'failed' if held else 'held'}")
        yield from below

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


def _p(name: str) -> Expr:
    from jieqin.rules.expressions import param

    return param(name)
