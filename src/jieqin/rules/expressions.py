"""Small expressions over facts and parameters, run on one subject or on numpy columns.

``fact("age") >= param("min_age")`` builds a :class:`Compare`; evaluating it on one
subject gives a ``bool`` and the values it read, on a population a boolean array.
Both come from the same node, so they cannot drift apart. An explanation prints the
result, not the test: ``age 69 < min_age 70`` for a member the test failed,
``age 73 >= min_age 70`` for one it held (:meth:`Expr.render`). Category facts (health,
employment, ...) are codes in the columns: a literal such as ``"major_illness"`` is
turned into its code once per evaluation, not once per member.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import numpy as np
from attrs import field, frozen

from jieqin.errors import InvalidValue
from jieqin.rules.facts import Array, Context, Fact, FactKind, Population, Subject, fact_definition
from jieqin.rules.parameters import ParameterValue

__all__ = [
    "And",
    "Columns",
    "Compare",
    "Expr",
    "FactRef",
    "Literal",
    "Not",
    "OneOf",
    "Or",
    "ParamRef",
    "SubjectFacts",
    "fact",
    "param",
]

MASK = "<masked>"
Params = Mapping[str, ParameterValue]


class SubjectFacts:
    """The facts of one subject, read on demand and remembered (they become the decision inputs)."""

    def __init__(self, subject: Subject) -> None:
        self.subject = subject
        self.read: dict[str, Any] = {}

    def value(self, f: Fact) -> Any:
        if f.name not in self.read:
            self.read[f.name] = f.one(self.subject)
        return self.read[f.name]


class Columns:
    """The fact columns of a population in one context, each computed at most once."""

    def __init__(self, population: Population, context: Context) -> None:
        self.population = population
        self.context = context
        self._cache: dict[str, Array] = {}

    def column(self, f: Fact) -> Array:
        if f.name not in self._cache:
            self._cache[f.name] = f.many(self.population, self.context)
        return self._cache[f.name]

    def code(self, f: Fact, value: object) -> int:
        """The column code of category ``value`` (-2, matching nothing, when unknown)."""
        categories = self.population.categories(f)
        return categories.index(value) if value in categories else -2


def _numeric(value: Any) -> Any:
    """A parameter value as numpy compares it: Decimal becomes int when whole, else float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


#: A comparison that failed, said the way that is true: ``age >= 70`` failed is ``age < 70``.
_NEGATED: Mapping[str, str] = {
    "==": "!=",
    "!=": "==",
    "<": ">=",
    "<=": ">",
    ">": "<=",
    ">=": "<",
}


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@frozen(eq=False)
class Expr:
    """A node: a fact, a parameter, a literal, a comparison, or a boolean combination."""

    def one(self, facts: SubjectFacts, params: Params) -> Any:
        raise NotImplementedError

    def many(self, columns: Columns, params: Params) -> Any:
        raise NotImplementedError

    def render(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        """For an explanation: a value as ``name value``; a test as its *result*, a
        statement that is true for this subject (``age 69 < min_age 70`` where
        ``age >= min_age`` failed). Without ``reveal``, a test that reads a sensitive
        fact says neither the value nor its result: ``tested: health <masked> ==
        'major_illness'`` reads the same whether it held or not."""
        return self.written(facts, params, reveal)

    def written(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        """The expression as written, with the values it read (sensitive ones masked
        unless ``reveal``): the test, whatever its result."""
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def facts(self) -> frozenset[str]:
        return frozenset()

    def sensitive(self) -> bool:
        """Whether the expression reads a sensitive fact (health, disability)."""
        return any(fact_definition(name).sensitive for name in self.facts())

    def _result(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        """The true statement of a test's result (only called when it may be shown)."""
        return self.written(facts, params, reveal)

    def _statement(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        """:meth:`render` for a test: its result, or the masked test."""
        if self.sensitive() and not reveal:
            return f"tested: {self.written(facts, params, reveal)}"
        return self._result(facts, params, reveal)

    def params(self) -> frozenset[str]:
        return frozenset()

    # Building comparisons and combinations (the operators return expressions, not bools).
    def __eq__(self, other: object) -> Compare:  # type: ignore[override]
        return Compare("==", self, _wrap(other))

    def __ne__(self, other: object) -> Compare:  # type: ignore[override]
        return Compare("!=", self, _wrap(other))

    def __lt__(self, other: object) -> Compare:
        return Compare("<", self, _wrap(other))

    def __le__(self, other: object) -> Compare:
        return Compare("<=", self, _wrap(other))

    def __gt__(self, other: object) -> Compare:
        return Compare(">", self, _wrap(other))

    def __ge__(self, other: object) -> Compare:
        return Compare(">=", self, _wrap(other))

    def __and__(self, other: Expr) -> And:
        return And((self, other))

    def __or__(self, other: Expr) -> Or:
        return Or((self, other))

    def __invert__(self) -> Not:
        return Not(self)

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        raise TypeError("a rule expression has no truth value; combine with &, | and ~")

    def isin(self, values: Iterable[object]) -> OneOf:
        """True where the value is one of ``values``."""
        return OneOf(self, tuple(values))


def _exprs(parts: Iterable[Expr]) -> tuple[Expr, ...]:
    return tuple(parts)


def _wrap(value: object) -> Expr:
    return value if isinstance(value, Expr) else Literal(value)


@frozen(eq=False)
class FactRef(Expr):
    """A fact of the subject (see :data:`jieqin.rules.facts.FACTS`)."""

    definition: Fact

    @property
    def name(self) -> str:
        return self.definition.name

    def one(self, facts: SubjectFacts, params: Params) -> Any:
        return facts.value(self.definition)

    def many(self, columns: Columns, params: Params) -> Any:
        return columns.column(self.definition)

    def written(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        value = facts.value(self.definition)
        shown = MASK if self.definition.sensitive and not reveal else _show(value)
        return f"{self.name} {shown}"

    def describe(self) -> str:
        return self.name

    def facts(self) -> frozenset[str]:
        return frozenset({self.name})


@frozen(eq=False)
class ParamRef(Expr):
    """A dated parameter, taken on the decision day."""

    name: str

    def one(self, facts: SubjectFacts, params: Params) -> Any:
        return _param(params, self.name)

    def many(self, columns: Columns, params: Params) -> Any:
        return _numeric(_param(params, self.name))

    def written(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        return f"{self.name} {_show(_param(params, self.name))}"

    def describe(self) -> str:
        return f"param({self.name})"

    def params(self) -> frozenset[str]:
        return frozenset({self.name})


def _param(params: Params, name: str) -> ParameterValue:
    try:
        return params[name]
    except KeyError:
        raise InvalidValue("parameter has no value for this decision", field=name) from None


@frozen(eq=False)
class Literal(Expr):
    value: Any

    def one(self, facts: SubjectFacts, params: Params) -> Any:
        return self.value

    def many(self, columns: Columns, params: Params) -> Any:
        return _numeric(self.value)

    def written(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        return _show(self.value)

    def describe(self) -> str:
        return _show(self.value)


_OPS: Mapping[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _category(e: Expr) -> Fact | None:
    if isinstance(e, FactRef) and e.definition.kind is FactKind.CATEGORY:
        return e.definition
    return None


@frozen(eq=False)
class Compare(Expr):
    """``left op right``; category facts compare only with ``==`` and ``!=`` against a code."""

    op: str
    left: Expr
    right: Expr

    def __attrs_post_init__(self) -> None:
        cats = [c for c in (_category(self.left), _category(self.right)) if c is not None]
        if cats and (self.op not in ("==", "!=") or len(cats) == 2):
            raise InvalidValue(
                f"category fact {cats[0].name} compares only with == or != against a value",
                field=cats[0].name,
            )

    def one(self, facts: SubjectFacts, params: Params) -> Any:
        left, right = self.left.one(facts, params), self.right.one(facts, params)
        if isinstance(left, float) or isinstance(right, float):
            # a float fact (nan where nothing was observed) compares as the columns do:
            # against the parameter as numpy reads it, never a Decimal
            left, right = _numeric(left), _numeric(right)
        return bool(_OPS[self.op](left, right))

    def many(self, columns: Columns, params: Params) -> Any:
        category = _category(self.left) or _category(self.right)
        if category is not None:
            column, other = (
                (self.left, self.right) if _category(self.left) else (self.right, self.left)
            )
            code = columns.code(category, other.one(_NO_FACTS, params))
            return _OPS[self.op](column.many(columns, params), code)
        return _OPS[self.op](self.left.many(columns, params), self.right.many(columns, params))

    def render(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        return self._statement(facts, params, reveal)

    def written(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        return self._with(self.op, facts, params, reveal)

    def _result(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        op = self.op if self.one(facts, params) else _NEGATED[self.op]
        return self._with(op, facts, params, reveal)

    def _with(self, op: str, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        left = self.left.written(facts, params, reveal)
        right = self.right.written(facts, params, reveal)
        return f"{left} {op} {right}"

    def describe(self) -> str:
        return f"({self.left.describe()} {self.op} {self.right.describe()})"

    def facts(self) -> frozenset[str]:
        return self.left.facts() | self.right.facts()

    def params(self) -> frozenset[str]:
        return self.left.params() | self.right.params()


class _NoFacts(SubjectFacts):
    """Reading a fact here is a bug: only literals and parameters may be read."""

    def __init__(self) -> None:
        self.read = {}

    def value(self, f: Fact) -> Any:
        raise InvalidValue("compare a category fact with a value or parameter", field=f.name)


_NO_FACTS = _NoFacts()


@frozen(eq=False)
class OneOf(Expr):
    """``operand`` is one of ``values`` (codes for a category fact)."""

    operand: Expr
    values: tuple[Any, ...]

    def one(self, facts: SubjectFacts, params: Params) -> Any:
        return self.operand.one(facts, params) in self.values

    def many(self, columns: Columns, params: Params) -> Any:
        category = _category(self.operand)
        column = self.operand.many(columns, params)
        if category is not None:
            codes = [columns.code(category, v) for v in self.values]
        else:
            codes = [_numeric(v) for v in self.values]
        if len(codes) == 1:
            return column == codes[0]
        return np.isin(column, codes)

    def render(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        return self._statement(facts, params, reveal)

    def written(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        return self._with("in", facts, params, reveal)

    def _result(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        return self._with("in" if self.one(facts, params) else "not in", facts, params, reveal)

    def _with(self, op: str, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        shown = ", ".join(_show(v) for v in self.values)
        return f"{self.operand.written(facts, params, reveal)} {op} {{{shown}}}"

    def describe(self) -> str:
        shown = ", ".join(_show(v) for v in sorted(self.values, key=str))
        return f"({self.operand.describe()} in {{{shown}}})"

    def facts(self) -> frozenset[str]:
        return self.operand.facts()

    def params(self) -> frozenset[str]:
        return self.operand.params()


@frozen(eq=False)
class And(Expr):
    parts: tuple[Expr, ...] = field(converter=_exprs)

    def one(self, facts: SubjectFacts, params: Params) -> Any:
        values = [bool(p.one(facts, params)) for p in self.parts]
        return all(values)

    def many(self, columns: Columns, params: Params) -> Any:
        result = self.parts[0].many(columns, params)
        for part in self.parts[1:]:
            result = result & part.many(columns, params)
        return result

    def render(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        return self._statement(facts, params, reveal)

    def written(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        return self._joined(self.parts, " and ", facts, params, reveal, written=True)

    def _result(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        # held: every part is true; failed: the parts that failed made it fail
        held = bool(self.one(facts, params))
        parts = [p for p in self.parts if bool(p.one(facts, params)) is held] or self.parts
        return self._joined(parts, " and ", facts, params, reveal, written=False)

    @staticmethod
    def _joined(
        parts: Iterable[Expr],
        joint: str,
        facts: SubjectFacts,
        params: Params,
        reveal: bool,
        *,
        written: bool,
    ) -> str:
        """Parts joined by ``joint``, a combination among them in parentheses."""
        shown = []
        for p in parts:
            text = p.written(facts, params, reveal) if written else p.render(facts, params, reveal)
            shown.append(f"({text})" if isinstance(p, And) else text)
        return joint.join(shown)

    def describe(self) -> str:
        return "(" + " & ".join(p.describe() for p in self.parts) + ")"

    def facts(self) -> frozenset[str]:
        return frozenset().union(*(p.facts() for p in self.parts))

    def params(self) -> frozenset[str]:
        return frozenset().union(*(p.params() for p in self.parts))


@frozen(eq=False)
class Or(And):
    def one(self, facts: SubjectFacts, params: Params) -> Any:
        values = [bool(p.one(facts, params)) for p in self.parts]
        return any(values)

    def many(self, columns: Columns, params: Params) -> Any:
        result = self.parts[0].many(columns, params)
        for part in self.parts[1:]:
            result = result | part.many(columns, params)
        return result

    def written(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        return self._joined(self.parts, " or ", facts, params, reveal, written=True)

    def describe(self) -> str:
        return "(" + " | ".join(p.describe() for p in self.parts) + ")"


@frozen(eq=False)
class Not(Expr):
    operand: Expr

    def one(self, facts: SubjectFacts, params: Params) -> Any:
        return not self.operand.one(facts, params)

    def many(self, columns: Columns, params: Params) -> Any:
        return ~np.asarray(self.operand.many(columns, params), dtype=bool)

    def render(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        return self._statement(facts, params, reveal)

    def written(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        text = self.operand.written(facts, params, reveal)
        return f"not ({text})" if isinstance(self.operand, And | Not) else f"not {text}"

    def _result(self, facts: SubjectFacts, params: Params, reveal: bool) -> str:
        # ``not x`` held exactly when x failed: what is true of x says why
        return self.operand.render(facts, params, reveal)

    def describe(self) -> str:
        return f"~{self.operand.describe()}"

    def facts(self) -> frozenset[str]:
        return self.operand.facts()

    def params(self) -> frozenset[str]:
        return self.operand.params()


def fact(name: str) -> FactRef:
    """A fact by name: ``fact("age")``, ``fact("health")``, ``fact("granted:scholarship")``."""
    return FactRef(fact_definition(name))


def param(name: str) -> ParamRef:
    """A dated parameter by name, taken on the decision day."""
    return ParamRef(name)
