"""Warning rules: when a household may slide back into poverty (防返贫监测预警).

A :class:`WarningRule` is a code, a label and a :class:`~jieqin.rules.Condition`
written with the same facts, parameters and combinators as an aid programme's
eligibility. It reads household facts only (what was observed about the household,
its region, status and pairing: :data:`HOUSEHOLD_FACTS`), so it is decided once per
household. Like a programme it runs two ways from the one definition:

- :func:`evaluate` decides every household of a
  :class:`~jieqin.rules.facts.Population` at once with numpy;
- :func:`explain` decides one household and says, condition by condition, why each
  rule held or not (an :class:`~jieqin.rules.Eligibility` per rule, masked the same
  way: a rule that reads a health fact says neither its outcome nor its values).

The parameters are taken for the household's region on the decision day
(:class:`~jieqin.rules.monitoring.MonitoringParameters`): the monitoring line of
Shaanxi applies to a household in Shaanxi. A property test holds the two ways to
identical answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from attrs import field, frozen

from jieqin.errors import InvalidValue
from jieqin.model import Household
from jieqin.model.vocab import check_code
from jieqin.rules.conditions import Condition, all_of, check
from jieqin.rules.expressions import MASK, Columns, SubjectFacts, fact, param
from jieqin.rules.facts import Array, Context, Population, Subject, fact_definition
from jieqin.rules.monitoring import (
    INCOME_FALL_LIMIT,
    MEDICAL_BURDEN_LIMIT,
    MONITORING_LINE,
    MonitoringParameters,
)
from jieqin.rules.observations import monitoring_facts
from jieqin.rules.programs import Eligibility

__all__ = [
    "HOUSEHOLD_FACTS",
    "INCOME_BELOW_LINE",
    "INCOME_FELL",
    "MEDICAL_BURDEN",
    "NEW_MAJOR_ILLNESS_OR_DISABILITY",
    "SCHOOL_DROPOUT",
    "SENSITIVE_WARNING_RULES",
    "STANDARD_WARNING_RULES",
    "WarningRule",
    "evaluate",
    "explain",
    "held_rules",
]

INCOME_BELOW_LINE = "income_below_line"
INCOME_FELL = "income_fell"
MEDICAL_BURDEN = "medical_burden"
NEW_MAJOR_ILLNESS_OR_DISABILITY = "new_major_illness_or_disability"
SCHOOL_DROPOUT = "school_dropout"

#: The facts a warning rule may read: the same for every member of a household.
HOUSEHOLD_FACTS: frozenset[str] = frozenset(
    {f.name for f in monitoring_facts()}
    | {"region", "household_status", "monitored", "paired", "household_size", "period_year"}
)


def _household_fact(name: str) -> bool:
    return name in HOUSEHOLD_FACTS or name.startswith("region:")


def _code(instance: object, attribute: Any, value: str) -> None:
    check_code(value, field="warning rule")


@frozen(eq=False)
class WarningRule:
    """A warning rule: ``condition`` holding for a household raises a warning ``code``.

    ``label`` is what people read (Chinese first, as a ledger shows it), ``label_en``
    the English. The condition may read household facts only (:data:`HOUSEHOLD_FACTS`).
    """

    code: str = field(validator=_code)
    label: str
    condition: Condition
    label_en: str = ""
    description: str = ""

    def __attrs_post_init__(self) -> None:
        member_facts = sorted(n for n in self.condition.facts() if not _household_fact(n))
        if member_facts:
            raise InvalidValue(
                f"a warning rule reads household facts only; {self.code} reads "
                + ", ".join(member_facts),
                field="condition",
            )

    @property
    def parameter_names(self) -> frozenset[str]:
        return self.condition.params()

    @property
    def sensitive(self) -> bool:
        """Whether the rule reads a health fact: that it held tells the fact."""
        return self.condition.sensitive()

    @property
    def version(self) -> str:
        """``code#fingerprint``: changes whenever the rule's logic changes."""
        return f"{self.code}#{self.condition.fingerprint()}"


def _true(name: str) -> Any:
    return fact(name) == True  # noqa: E712


#: The standard warning rules, in the order a warning lists them.
STANDARD_WARNING_RULES: tuple[WarningRule, ...] = (
    WarningRule(
        INCOME_BELOW_LINE,
        "人均纯收入低于监测范围",
        all_of(
            INCOME_BELOW_LINE,
            check("income_observed", _true("income_observed"), "income was observed"),
            check(
                "below_monitoring_line",
                fact("income_per_capita") < param(MONITORING_LINE),
                "per capita net income at a yearly rate below the monitoring line",
            ),
        ),
        "Per capita net income below the monitoring line",
    ),
    WarningRule(
        INCOME_FELL,
        "收入大幅缩减",
        check(
            INCOME_FELL,
            fact("income_fall_percent") > param(INCOME_FALL_LIMIT),
            "income fell by more than the limit against the period before",
        ),
        "Income fell sharply",
    ),
    WarningRule(
        MEDICAL_BURDEN,
        "医疗支出负担过重",
        check(
            MEDICAL_BURDEN,
            fact("medical_share_percent") > param(MEDICAL_BURDEN_LIMIT),
            "medical expenditure above the limit share of income",
        ),
        "Medical expenditure a heavy burden",
    ),
    WarningRule(
        NEW_MAJOR_ILLNESS_OR_DISABILITY,
        "新增大病或残疾",
        check(
            NEW_MAJOR_ILLNESS_OR_DISABILITY,
            _true("new_major_illness_or_disability"),
            "a member newly has a major illness or disability",
        ),
        "A member newly has a major illness or disability",
    ),
    WarningRule(
        SCHOOL_DROPOUT,
        "学生辍学",
        check(SCHOOL_DROPOUT, _true("school_dropout"), "a member dropped out of school"),
        "A student dropped out of school",
    ),
)

#: Codes of the standard rules that read a health fact: a warning naming one is masked.
SENSITIVE_WARNING_RULES: frozenset[str] = frozenset(
    r.code for r in STANDARD_WARNING_RULES if r.sensitive
)


def _parameters(parameters: MonitoringParameters | None) -> MonitoringParameters:
    return MonitoringParameters() if parameters is None else parameters


def _names(rules: Sequence[WarningRule]) -> frozenset[str]:
    return frozenset().union(*(r.parameter_names for r in rules))


def evaluate(
    rules: Sequence[WarningRule],
    population: Population,
    context: Context,
    parameters: MonitoringParameters | None = None,
) -> dict[str, Array]:
    """For each rule's code, one boolean per household of ``population`` (in
    ``population.household_ids`` order): whether the rule held for it.

    The parameters are taken for each household's region: the households are decided
    in groups that share the values in force, each group with numpy at once."""
    params = _parameters(parameters)
    day = context.day
    names = sorted(_names(rules))
    groups: dict[tuple[Any, ...], list[int]] = {}
    snapshots: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    codes = [*population.region_codes, ""]
    for i, code in enumerate(codes):
        values = params.snapshot(names, code, day)
        key = tuple(values[n] for n in names)
        groups.setdefault(key, []).append(i if code else -1)
        snapshots[key] = values
    columns = Columns(population, context)
    n_households = len(population.household_ids)
    member_household = population.member_household
    out: dict[str, Array] = {}
    for rule in rules:
        held = np.zeros(n_households, dtype=bool)
        for key, regions in groups.items():
            mask = rule.condition.evaluate(columns, snapshots[key])
            if len(groups) > 1:
                in_group = np.isin(population.household_region, regions)
                mask = mask & in_group[member_household]
            held[member_household[mask]] = True
        out[rule.code] = held
    return out


def held_rules(held: Mapping[str, Array], household_ids: Sequence[str]) -> dict[str, list[str]]:
    """``household_id -> codes that held`` (in the rules' order) for the households at
    least one rule held for, from :func:`evaluate`'s result."""
    out: dict[str, list[str]] = {}
    for code, mask in held.items():
        for row in np.flatnonzero(mask):
            out.setdefault(household_ids[int(row)], []).append(code)
    return out


def explain(
    rules: Iterable[WarningRule],
    household: Household,
    context: Context,
    parameters: MonitoringParameters | None = None,
    *,
    reveal: bool = False,
) -> list[Eligibility]:
    """Decide every rule for one household, each with its conditions, the values they
    read and the parameters in force for the household's region (value, since-date,
    source). ``eligible`` says whether the rule held. Masked (without ``reveal``), a
    rule that reads a health fact hides its outcome, conditions and values."""
    params = _parameters(parameters)
    day = context.day
    region = household.region.code
    subject = Subject(household.head, household, context)
    out = []
    for rule in rules:
        names = rule.parameter_names
        values = params.snapshot(names, region, day)
        facts = SubjectFacts(subject)
        outcomes = tuple(rule.condition.outcomes(facts, values, reveal=reveal))
        out.append(
            Eligibility(
                member_id=household.head.member_id,
                household_id=household.household_id,
                eligible=outcomes[0].held,
                conditions=outcomes,
                parameters=params.cited(names, region, day),
                inputs=_inputs(household, facts.read, reveal),
                sort_key=(rule.code,),
                hidden=frozenset[str]() if reveal else rule.condition.sensitive_names(),
                on=day,
            )
        )
    return out


def _inputs(household: Household, read: Mapping[str, Any], reveal: bool) -> dict[str, str]:
    out = {"household": household.household_id, "region": household.region.code}
    for name, value in sorted(read.items()):
        out[name] = MASK if fact_definition(name).sensitive and not reveal else str(value)
    return out
