"""Aid programmes as rules: the stored :class:`~jieqin.model.Program` plus eligibility,
entitlement, priority and dated parameters.

An :class:`AidProgram` is what the ``jieqin_register_programs`` hook carries. It
decides one member with an explanation (:meth:`AidProgram.explain`) and a whole
population at once (:meth:`AidProgram.eligible`), from the same condition tree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from attrs import field, frozen

from jieqin.errors import InvalidValue
from jieqin.model import ConditionOutcome, Program, yuan
from jieqin.rules.conditions import Condition
from jieqin.rules.expressions import MASK, Columns, SubjectFacts
from jieqin.rules.facts import Array, Context, Population, Subject, fact_definition
from jieqin.rules.parameters import InForce, Parameters, ParameterValue

__all__ = [
    "DEFAULT_PRIORITY",
    "AidProgram",
    "AmountTier",
    "Eligibility",
    "PriorityKey",
    "shown_decision",
]


@frozen
class PriorityKey:
    """Order the eligible by one fact; ``descending`` puts larger values (or ``True``) first."""

    fact: str
    descending: bool = True
    why: str = ""

    def __attrs_post_init__(self) -> None:
        fact_definition(self.fact)


#: Monitored households first (at risk of returning to poverty), then larger households;
#: ties go to the lower member id so that a re-run ranks the same way.
DEFAULT_PRIORITY: tuple[PriorityKey, ...] = (
    PriorityKey("monitored", True, "households in a monitoring category first"),
    PriorityKey("household_size", True, "then larger households"),
)


@frozen(repr=False)
class Eligibility:
    """One member's eligibility with everything needed to store and explain it.

    Made without ``reveal``, it knows which of its conditions read a sensitive fact
    (``hidden``) and whether its amount depends on one (``amount_hidden``): what people
    read (:meth:`shown_conditions`, :meth:`shown_eligible`, :meth:`shown_reason`,
    ``repr``) then says neither their names nor whether they held. ``eligible`` and
    ``conditions`` stay exact: the allocation decides with them.
    """

    member_id: str
    household_id: str
    eligible: bool
    conditions: tuple[ConditionOutcome, ...]
    parameters: Mapping[str, str]
    """Parameter values in force, with since-date and source."""
    inputs: Mapping[str, str]
    """The facts the rule read (sensitive facts masked unless revealed)."""
    sort_key: tuple[Any, ...]
    amount: Decimal | None = None
    """The entitlement for this member on the decision day (``None``: pays nothing)."""
    amount_basis: str = ""
    """Which entitlement tier set the amount, or that the fixed amount applies."""
    hidden: frozenset[str] = field(factory=frozenset)
    """The conditions masked output hides (they read a sensitive fact); empty when revealed."""
    amount_hidden: bool = False
    """Whether masked output hides the amount (an entitlement tier reads a sensitive fact)."""

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.conditions if not c.held)

    @property
    def outcome_hidden(self) -> bool:
        """Whether masked output hides the outcome: the top condition reads a sensitive fact."""
        return bool(self.conditions) and self.conditions[0].name in self.hidden

    def shown_conditions(self) -> list[dict[str, Any]]:
        """Each condition as people read it: a hidden one is ``<masked>``, held ``None``."""
        return [
            {"name": MASK, "held": None, "detail": MASK}
            if c.name in self.hidden
            else {"name": c.name, "held": c.held, "detail": c.detail}
            for c in self.conditions
        ]

    def shown_eligible(self) -> bool | None:
        """``eligible``, or ``None`` when masked output hides the outcome."""
        return None if self.outcome_hidden else self.eligible

    def shown_reason(self) -> str:
        """:meth:`reason`, or ``<masked>`` when it would tell a sensitive condition."""
        return MASK if self.outcome_hidden else self.reason()

    def shown_amount(self) -> Decimal | str | None:
        """The amount, or ``<masked>`` when it depends on a sensitive fact."""
        return MASK if self.amount_hidden or self.outcome_hidden else self.amount

    def __repr__(self) -> str:
        conditions = ", ".join(
            f"{c['name']}={'?' if c['held'] is None else c['held']}"
            for c in self.shown_conditions()
        )
        return (
            f"Eligibility(member_id={self.member_id!r}, household_id={self.household_id!r}, "
            f"eligible={self.shown_eligible()!r}, conditions=[{conditions}], "
            f"inputs={dict(self.inputs)!r}, amount={self.shown_amount()!s})"
        )

    def reason(self) -> str:
        """One line: which top-level condition failed, or that all held."""
        if self.eligible:
            return "all conditions held"
        leaves = [c for c in self.conditions[1:] if not c.held] or list(self.conditions[:1])
        return "failed: " + "; ".join(f"{c.name} ({c.detail})" for c in leaves)


@frozen(eq=False)
class AmountTier:
    """An entitlement tier: when ``condition`` holds, the amount is ``amount_parameter``.

    A programme's tiers are tried in order; the first that holds sets the amount, and a
    member no tier covers gets the programme's base amount.
    """

    condition: Condition
    amount_parameter: str

    def describe(self) -> str:
        return f"{self.condition.describe()}=>{self.amount_parameter}"


def _tiers(values: Iterable[AmountTier]) -> tuple[AmountTier, ...]:
    return tuple(values)


def _amount(value: object) -> Decimal | None:
    return None if value is None else yuan(value)  # type: ignore[arg-type]


@frozen(eq=False)
class AidProgram:
    """A programme with its rules: who is eligible, how much, in which order, from which values.

    ``amount_parameter`` names a dated parameter for the amount per grant; otherwise
    ``program.amount`` (a fixed amount) is used. ``amount_tiers`` make the entitlement a
    rule: the first tier whose condition holds for the member sets the amount. ``version`` is the author's version of
    the rules; :attr:`rule_version` adds a fingerprint of the condition tree, so a
    stored decision names exactly the logic that made it.
    """

    program: Program
    eligibility: Condition
    version: str = "1"
    parameters: Parameters = field(factory=Parameters)
    amount_parameter: str | None = None
    priority: tuple[PriorityKey, ...] = field(default=DEFAULT_PRIORITY, converter=tuple)
    description: str = ""
    amount_tiers: tuple[AmountTier, ...] = field(default=(), converter=_tiers)
    """Entitlement by rule: the first tier whose condition holds sets the amount."""

    def __attrs_post_init__(self) -> None:
        missing = sorted(n for n in self.parameter_names() if n not in self.parameters)
        if missing:
            raise InvalidValue(
                f"programme {self.program.program_id} uses parameters it does not define: "
                + ", ".join(missing),
                field="parameters",
            )

    @property
    def program_id(self) -> str:
        return self.program.program_id

    @property
    def rule_version(self) -> str:
        if not self.amount_tiers:
            return f"{self.program_id}/{self.version}#{self.eligibility.fingerprint()}"
        text = self.eligibility.describe() + "|" + "|".join(t.describe() for t in self.amount_tiers)
        return f"{self.program_id}/{self.version}#{hashlib.sha256(text.encode()).hexdigest()[:10]}"

    def with_parameters(self, overrides: Parameters) -> AidProgram:
        """The same programme with some parameters replaced (a region's edited file)."""
        import attrs

        return attrs.evolve(self, parameters=self.parameters | overrides)

    def parameter_names(self) -> frozenset[str]:
        names = set(self.eligibility.params())
        if self.amount_parameter:
            names.add(self.amount_parameter)
        for tier in self.amount_tiers:
            names.add(tier.amount_parameter)
            names.update(tier.condition.params())
        return frozenset(names)

    def values_on(self, day: date) -> dict[str, ParameterValue]:
        """The parameter values the rules use, in force on ``day``."""
        return self.parameters.snapshot(self.parameter_names(), day)

    def parameters_on(self, day: date) -> list[InForce]:
        """Every parameter the rules and the amount read, as in force on ``day``: value,
        since-date, source and the next change (see :meth:`Parameters.in_force`)."""
        return self.parameters.in_force(self.parameter_names(), day)

    def amount_on(self, day: date) -> Decimal | None:
        """The amount per grant on ``day`` (``None`` for a programme that pays nothing)."""
        if self.amount_parameter:
            return _amount(self.parameters.value_on(self.amount_parameter, day))
        return self.program.amount

    def explain(self, subject: Subject, *, reveal: bool = False) -> Eligibility:
        """Decide one member and say why, condition by condition."""
        day = subject.context.day
        values = self.values_on(day)
        facts = SubjectFacts(subject)
        outcomes = tuple(self.eligibility.outcomes(facts, values, reveal=reveal))
        for key in self.priority:
            facts.value(fact_definition(key.fact))
        amount, basis = self.amount_on(day), "base amount"
        for tier in self.amount_tiers:
            if tier.condition.holds(facts, values):
                amount = _amount(values[tier.amount_parameter])
                basis = f"{tier.condition.name} held: {tier.amount_parameter}"
                break
        return Eligibility(
            member_id=subject.member.member_id,
            household_id=subject.household.household_id,
            eligible=outcomes[0].held,
            conditions=outcomes,
            parameters=self.parameters.cited(self.parameter_names(), day),
            inputs=_inputs(subject, facts.read, reveal),
            sort_key=self._sort_key(facts.read, subject.member.member_id),
            amount=amount,
            amount_basis=MASK if self.tiers_sensitive and not reveal else basis,
            hidden=frozenset[str]() if reveal else self.eligibility.sensitive_names(),
            amount_hidden=self.tiers_sensitive and not reveal,
        )

    @property
    def tiers_sensitive(self) -> bool:
        """Whether an entitlement tier reads a sensitive fact (the amount then tells it)."""
        return any(t.condition.sensitive() for t in self.amount_tiers)

    @property
    def sensitive(self) -> bool:
        """Whether the rules read a sensitive fact (health, disability): a member's
        outcome, reason and amount then tell that fact, so masked output hides them."""
        return self.eligibility.sensitive() or self.tiers_sensitive

    def decides(self, subject: Subject) -> bool:
        """Whether one member is eligible (no explanation kept)."""
        values = self.values_on(subject.context.day)
        return self.eligibility.holds(SubjectFacts(subject), values)

    def eligible(self, population: Population, context: Context) -> Array:
        """One boolean per member of ``population``: the vectorised decision."""
        values = self.values_on(context.day)
        return self.eligibility.evaluate(Columns(population, context), values)

    def amounts_fen(self, population: Population, context: Context) -> Array:
        """Each member's entitlement in fen (int64; 0 where the programme pays nothing),
        vectorised: the same tiers as :meth:`explain`, first match wins."""
        day = context.day
        values = self.values_on(day)
        base = self.amount_on(day)
        n = len(population)
        result = np.full(n, _fen(base), dtype=np.int64)
        if not self.amount_tiers:
            return result
        columns = Columns(population, context)
        decided = np.zeros(n, dtype=bool)
        for tier in self.amount_tiers:
            hit = tier.condition.evaluate(columns, values) & ~decided
            result[hit] = _fen(_amount(values[tier.amount_parameter]))
            decided |= hit
        return result

    def _sort_key(self, read: Mapping[str, Any], member_id: str) -> tuple[Any, ...]:
        key: list[Any] = []
        for p in self.priority:
            value = read[p.fact]
            number = int(value) if isinstance(value, bool | int) else value
            key.append(-number if p.descending and isinstance(number, int) else number)
        return (*key, member_id)

    def rank(self, eligible: Sequence[Eligibility]) -> list[Eligibility]:
        """The eligible in priority order (documented by :attr:`priority`)."""
        return sorted(eligible, key=lambda e: e.sort_key)

    def priority_text(self) -> str:
        keys = [p.why or f"{p.fact} {'desc' if p.descending else 'asc'}" for p in self.priority]
        return "; ".join([*keys, "then member id"])


def shown_decision(
    program: AidProgram,
    outcome: str,
    reason: str,
    amount: Decimal | None,
    *,
    reveal: bool = False,
) -> dict[str, str | None]:
    """A stored decision's outcome, reason and amount as people read them.

    For a programme whose rules read a sensitive fact (:attr:`AidProgram.sensitive`)
    and without ``reveal``, all three read ``<masked>``: a grant of a major-illness
    fund, or a refusal naming ``major_illness``, would tell the member's health.
    """
    if program.sensitive and not reveal:
        return {"outcome": MASK, "reason": MASK, "amount": MASK}
    return {
        "outcome": outcome,
        "reason": reason,
        "amount": None if amount is None else str(amount),
    }


def _fen(amount: Decimal | None) -> int:
    return 0 if amount is None else int(amount * 100)


def _resident_id(number: str | None, reveal: bool) -> str:
    # masked, every member reads the same: not even whether a number is known shows
    if not reveal:
        return MASK
    return "none" if number is None else number


def _inputs(subject: Subject, read: Mapping[str, Any], reveal: bool) -> dict[str, str]:
    from jieqin.rules.facts import fact_definition as definition

    out = {
        "member": subject.member.member_id,
        "household": subject.household.household_id,
        "resident_id": _resident_id(subject.member.resident_id, reveal),
    }
    for name, value in sorted(read.items()):
        sensitive = definition(name).sensitive
        out[name] = MASK if sensitive and not reveal else str(value)
    return out
