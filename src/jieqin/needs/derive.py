"""Needs derived from member facts by rules: a college freshman, a major illness, a job seeker.

A :class:`NeedRule` is a condition from :mod:`jieqin.rules` and the kind of need it
raises. Deriving runs each rule over the whole population at once and gives one
:class:`~jieqin.model.Need` per member it holds for, with a stable id, so deriving
twice raises nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from attrs import field, frozen

from jieqin.model import Household, Need, NeedKind, NeedSource, NeedStatus
from jieqin.rules import (
    Condition,
    Context,
    Parameters,
    Population,
    college_freshman,
    major_illness,
    unemployed_seeking_work,
)
from jieqin.rules.expressions import Columns
from jieqin.rules.ids import stable_id

__all__ = ["STANDARD_NEED_RULES", "NeedRule", "derive_needs", "need_id"]


@frozen(eq=False)
class NeedRule:
    """Raise a need of ``kind`` for every member for whom ``condition`` holds."""

    name: str
    kind: str
    condition: Condition
    parameters: Parameters = field(factory=Parameters)
    note: str = ""


#: The standard rules: college freshmen need schooling support, members with a major
#: illness need medical support, unemployed members seeking work need employment help.
#: A need's note is free text that exports and reports may show, so the medical rule's
#: note names no health fact.
STANDARD_NEED_RULES: tuple[NeedRule, ...] = (
    NeedRule("college_freshman", NeedKind.SCHOOLING, college_freshman(), note="大学新生"),
    NeedRule("major_illness", NeedKind.MEDICAL, major_illness(), note="医疗救助"),
    NeedRule(
        "unemployed_seeking_work",
        NeedKind.EMPLOYMENT,
        unemployed_seeking_work(),
        note="失业求职",
    ),
)


def need_id(kind: str, period: object, member_or_household: str, source: str = "rule") -> str:
    """The stable id of a need (hashed when long) so re-deriving or re-surveying is idempotent."""
    return stable_id("n", source, str(period), kind, member_or_household)


def derive_needs(
    households: Sequence[Household],
    context: Context,
    rules: Iterable[NeedRule] = STANDARD_NEED_RULES,
    *,
    raised_on: date | None = None,
    existing: Iterable[Need] = (),
) -> list[Need]:
    """New needs that ``rules`` raise for the members of ``households`` in ``context``.

    A member who already has a need of the same kind for an overlapping period (from a
    survey, a visit or an earlier run) gets no second one.
    """
    period = context.period
    day = raised_on or context.day
    population = Population.from_households(households)
    columns = Columns(population, context)
    have = {
        (n.kind, n.member_id)
        for n in existing
        if n.status is not NeedStatus.CLOSED
        and n.period.start <= period.end
        and period.start <= n.period.end
    }
    out: list[Need] = []
    for rule in rules:
        values = rule.parameters.snapshot(rule.condition.params(), context.day)
        mask = rule.condition.evaluate(columns, values)
        for row in mask.nonzero()[0]:
            member_id = population.member_ids[row]
            if (rule.kind, member_id) in have:
                continue
            have.add((rule.kind, member_id))
            household_id = population.household_ids[population.member_household[row]]
            out.append(
                Need(
                    need_id=need_id(rule.kind, period, member_id),
                    household_id=household_id,
                    kind=rule.kind,
                    period=period,
                    source=NeedSource.RULE,
                    raised_on=day,
                    member_id=member_id,
                    note=rule.note or rule.name,
                )
            )
    return out
