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
from functools import cached_property
from typing import Any

import numpy as np
from attrs import Factory, field, frozen

from jieqin.errors import InvalidValue
from jieqin.model import ConditionOutcome, GrantUnit, Household, Program, yuan
from jieqin.model._fields import enum_field
from jieqin.model.vocab import check_code
from jieqin.rules.conditions import Condition
from jieqin.rules.expressions import MASK, Columns, SubjectFacts
from jieqin.rules.facts import Array, Context, Population, Subject, fact_definition, region_prefix
from jieqin.rules.parameters import InForce, Parameters, ParameterValue

__all__ = [
    "DEFAULT_PRIORITY",
    "HOUSEHOLD_PRIORITY",
    "MONITORED_SEVERITY_FIRST",
    "SEVERITY_FIRST",
    "AidProgram",
    "AmountTier",
    "Eligibility",
    "GrantCap",
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
#: ties go to the lower member id so that a re-run ranks the same way. The default for a
#: programme that grants per member.
DEFAULT_PRIORITY: tuple[PriorityKey, ...] = (
    PriorityKey("monitored", True, "households in a monitoring category first"),
    PriorityKey("household_size", True, "then larger households"),
)

#: The default for a programme that grants per household: monitored households first,
#: then larger households, ties to the lower household id. Per member, "larger first"
#: hands a small fund to the members of a few large households one after another; per
#: household each household gets one grant, so it only says that a grant reaching more
#: people comes first. A household is ranked by its applicant: of its members the rule
#: held for, the first by these keys.
HOUSEHOLD_PRIORITY: tuple[PriorityKey, ...] = DEFAULT_PRIORITY

#: The most severe first: the most severe disability (grade 1 before grade 4, anyone
#: disabled before anyone not), then major before chronic illness, then the oldest.
#: These facts are sensitive: the decisions' inputs mask them, like the rules' own.
SEVERITY_FIRST: tuple[PriorityKey, ...] = (
    PriorityKey("disability_severity", True, "the most severe disability first"),
    PriorityKey("illness_severity", True, "then major before chronic illness"),
    PriorityKey("age", True, "then the oldest"),
)

#: Monitored households first, then :data:`SEVERITY_FIRST` within them.
MONITORED_SEVERITY_FIRST: tuple[PriorityKey, ...] = (DEFAULT_PRIORITY[0], *SEVERITY_FIRST)


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
    on: date | None = None
    """The day the rules were applied, when the caller chose it (``explain_member`` does)."""
    on_why: str = ""
    """Why that day: the stored decision's day, the day asked for, or today."""

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
        """One line: ``all conditions held``, or ``failed: `` and the conditions that
        caused the refusal, each as ``name (result)``: the rule's
        :meth:`~jieqin.rules.Condition.cause`, a minimal set of failed conditions (never
        one that held, nor one below an ``any_of`` that held). The top condition's
        detail already says it when it is an ``all_of``; any other top condition is
        the cause itself."""
        from jieqin.rules.conditions import FAILED

        if self.eligible:
            return "all conditions held"
        top = self.conditions[0]
        if top.detail.startswith(FAILED):
            return top.detail
        return f"{FAILED}{top.name} ({top.detail})"


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


def _program_set(values: Iterable[str] | None) -> frozenset[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        return frozenset({values})
    return frozenset(values)


def _cap_name(instance: object, attribute: Any, value: str) -> None:
    check_code(value, field="cap name")


@frozen
class GrantCap:
    """At most ``amount_parameter`` yuan per household (or per member) in a period, over
    the grants of ``programs`` (``None``: every programme) and the capping programme.

    The cap is a dated parameter, taken on the decision day. It counts the grants in
    force whose period overlaps the allocation's (a monthly grant counts towards a
    yearly cap, a yearly grant towards a monthly one). A household cap counts every
    grant made in the household, member grants and household grants; a member cap the
    member's own grants. An allocation grants at most what the cap leaves: an
    entitlement above it is reduced to it, and a member (or household) it leaves
    nothing is ineligible with a reason that names the cap.
    """

    name: str = field(validator=_cap_name)
    amount_parameter: str
    per: GrantUnit = field(
        default=GrantUnit.HOUSEHOLD,
        converter=enum_field(GrantUnit),  # type: ignore[misc]
    )
    programs: frozenset[str] | None = field(default=None, converter=_program_set)

    def counts(self, program_id: str, own: str) -> bool:
        """Whether grants of ``program_id`` count towards this cap of programme ``own``."""
        return program_id == own or self.programs is None or program_id in self.programs

    def describe(self) -> str:
        over = "*" if self.programs is None else ",".join(sorted(self.programs))
        return f"cap:{self.name}:{self.per}:{self.amount_parameter}:{over}"

    def text(self, limit: Decimal, period: object) -> str:
        """``household_cap (3000.00 yuan per household in 2021, all programmes)``."""
        over = (
            "all programmes"
            if self.programs is None
            else "programmes " + ", ".join(sorted(self.programs))
        )
        return f"{self.name} ({limit} yuan per {self.per} in {period}, {over})"


def _caps(values: Iterable[GrantCap]) -> tuple[GrantCap, ...]:
    return tuple(values)


def _regions(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):
        values = [values]
    return frozenset(region_prefix(v, field="regions") for v in values)


def _default_priority(program: AidProgram) -> tuple[PriorityKey, ...]:
    if program.program.grant_unit is GrantUnit.HOUSEHOLD:
        return HOUSEHOLD_PRIORITY
    return DEFAULT_PRIORITY


def _notice_days(instance: object, attribute: Any, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 365:
        raise InvalidValue(f"a notice runs 1 to 365 days, got {value!r}", field=attribute.name)


def _amount(value: object) -> Decimal | None:
    return None if value is None else yuan(value)  # type: ignore[arg-type]


@frozen(eq=False)
class AidProgram:
    """A programme with its rules: who is eligible, how much, in which order, from which values.

    ``amount_parameter`` names a dated parameter for the amount per grant; otherwise
    ``program.amount`` (a fixed amount) is used. ``amount_tiers`` make the entitlement a
    rule: the first tier whose condition holds for the member sets the amount.
    ``version`` is the author's version of the rules; :attr:`rule_version` adds a
    fingerprint of the condition tree, the tiers, the caps and the grant unit, so a
    stored decision names exactly the logic that made it.

    ``program.grant_unit`` says whom it grants. Per household, each household is decided
    once: it is eligible when the rule holds for at least one of its members, and its
    applicant is the first of those by ``priority``; it gets one grant (``member_id``
    ``None``). ``regions`` limits the programme to households whose region code starts
    with one of its prefixes (``{"6102"}``: Tongchuan; empty: everywhere): a household
    outside is not decided at all. ``caps`` limit what a household or member may hold in
    a period across programmes (:class:`GrantCap`).
    """

    program: Program
    eligibility: Condition
    version: str = "1"
    parameters: Parameters = field(factory=Parameters)
    amount_parameter: str | None = None
    priority: tuple[PriorityKey, ...] = field(
        default=Factory(_default_priority, takes_self=True), converter=tuple
    )
    """Ranking keys; default :data:`DEFAULT_PRIORITY` per member, :data:`HOUSEHOLD_PRIORITY`
    per household."""
    description: str = ""
    amount_tiers: tuple[AmountTier, ...] = field(default=(), converter=_tiers)
    """Entitlement by rule: the first tier whose condition holds sets the amount."""
    approval: bool = False
    """Whether an allocation must be approved and publicly noticed before it grants:
    ``jieqin aid run --pending`` stores it as a plan (see :mod:`jieqin.services.approval`)
    and a plain run is refused."""
    notice_days: int = field(default=7, validator=_notice_days)
    """How many days the public notice of an approved plan runs unless the approver says
    otherwise."""
    regions: frozenset[str] = field(factory=frozenset, converter=_regions)
    """Region prefixes the programme serves (see :func:`~jieqin.rules.facts.region_prefix`);
    empty: every region."""
    caps: tuple[GrantCap, ...] = field(default=(), converter=_caps)
    """Caps on what a household or member may hold in a period, across programmes."""

    def __attrs_post_init__(self) -> None:
        missing = sorted(n for n in self.parameter_names() if n not in self.parameters)
        if missing:
            raise InvalidValue(
                f"programme {self.program.program_id} uses parameters it does not define: "
                + ", ".join(missing),
                field="parameters",
            )
        names = [c.name for c in self.caps]
        if len(set(names)) != len(names):
            raise InvalidValue("two caps have one name", field="caps")
        per_member = [c.name for c in self.caps if c.per is GrantUnit.MEMBER]
        if per_member and self.grant_unit is GrantUnit.HOUSEHOLD:
            raise InvalidValue(
                f"programme {self.program_id} grants per household; the per-member cap "
                f"{per_member[0]} limits no grant of it (cap per household instead)",
                field="caps",
            )

    @property
    def program_id(self) -> str:
        return self.program.program_id

    @property
    def grant_unit(self) -> GrantUnit:
        """Whom the programme grants: each member, or each household once."""
        return self.program.grant_unit

    @cached_property
    def rule_version(self) -> str:
        """The author's version and a fingerprint of the logic (worked out once: an
        allocation names it in every decision)."""
        extra = [t.describe() for t in self.amount_tiers] + [c.describe() for c in self.caps]
        if self.grant_unit is not GrantUnit.MEMBER:
            extra.append(f"unit:{self.grant_unit}")
        if not extra:
            return f"{self.program_id}/{self.version}#{self.eligibility.fingerprint()}"
        text = self.eligibility.describe() + "|" + "|".join(extra)
        return f"{self.program_id}/{self.version}#{hashlib.sha256(text.encode()).hexdigest()[:10]}"

    def covers(self, household: Household) -> bool:
        """Whether the household lives where the programme serves (:attr:`regions`)."""
        return not self.regions or household.region.code.startswith(tuple(self.regions))

    def scope_text(self) -> str:
        """``regions 6102`` or ``every region``."""
        return "regions " + ", ".join(sorted(self.regions)) if self.regions else "every region"

    def cap_values(self, day: date) -> dict[str, Decimal]:
        """Each cap's limit in yuan on ``day``, by cap name."""
        return {c.name: yuan(self.parameters.value_on(c.amount_parameter, day)) for c in self.caps}

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
        names.update(c.amount_parameter for c in self.caps)
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

    def facts_read(self) -> frozenset[str]:
        """Every fact the programme reads: its rules, its entitlement tiers, its priority."""
        names = set(self.eligibility.facts())
        names.update(p.fact for p in self.priority)
        for tier in self.amount_tiers:
            names.update(tier.condition.facts())
        return frozenset(names)

    def alike(self, population: Population, context: Context) -> Array:
        """A group number per member of ``population``: members in one group have the
        same value of every fact the programme reads (:meth:`facts_read`), so
        :meth:`explain` says the same of each of them but for their ids (an allocation
        explains one member of each group; :func:`jieqin.services.aid.allocate`)."""
        n = len(population)
        columns = Columns(population, context)
        codes = []
        for name in sorted(self.facts_read()):
            try:
                column = np.broadcast_to(np.asarray(columns.column(fact_definition(name))), (n,))
            except ValueError:  # not one value per member: every member on their own
                return np.arange(n, dtype=np.int64)
            codes.append(np.unique(column, return_inverse=True)[1].reshape(n))
        if not codes:
            return np.zeros(n, dtype=np.int64)
        groups = np.unique(np.stack(codes, axis=1), axis=0, return_inverse=True)[1]
        return np.asarray(groups, dtype=np.int64).reshape(n)

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
        """The eligible in priority order (documented by :attr:`priority`); per household
        each is a household's applicant, and ties go to the lower household id."""
        if self.grant_unit is GrantUnit.HOUSEHOLD:
            return sorted(eligible, key=lambda e: (*e.sort_key[:-1], e.household_id))
        return sorted(eligible, key=lambda e: e.sort_key)

    def priority_text(self) -> str:
        keys = [p.why or f"{p.fact} {'desc' if p.descending else 'asc'}" for p in self.priority]
        tie = "household" if self.grant_unit is GrantUnit.HOUSEHOLD else "member"
        return "; ".join([*keys, f"then {tie} id"])


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
