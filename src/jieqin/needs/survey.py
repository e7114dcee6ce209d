"""Needs from a survey for a period (the Q1 survey) and from checklists (the winter check)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date

from attrs import field, frozen

from jieqin.errors import InvalidInput, Problem
from jieqin.model import Need, NeedSource, Period
from jieqin.rules.ids import stable_id

__all__ = ["Checklist", "SurveyAnswer", "intake"]


@frozen
class SurveyAnswer:
    """One need a household (or one of its members) told a surveyor about."""

    household_id: str
    kind: str
    member_id: str | None = None
    note: str = ""
    line: int | None = None
    """Where the answer came from (a line of a survey file), for error messages."""


def intake(
    answers: Iterable[SurveyAnswer],
    period: Period,
    *,
    raised_on: date | None = None,
    known_kinds: Collection[str],
    source: str = "survey",
    how: NeedSource = NeedSource.SURVEY,
) -> list[Need]:
    """Turn survey answers into needs; any unknown kind rejects the whole survey.

    The need id is stable (period, kind, member or household), so taking in the same
    survey twice gives the same needs.
    """
    day = raised_on or period.start
    problems: list[Problem] = []
    out: dict[str, Need] = {}
    for i, answer in enumerate(answers, start=1):
        line = answer.line if answer.line is not None else i
        if answer.kind not in known_kinds:
            problems.append(
                Problem(
                    f"unknown need kind {answer.kind!r}; known: {', '.join(sorted(known_kinds))}",
                    field="kind",
                    source=source,
                    line=line,
                )
            )
            continue
        who = answer.member_id or answer.household_id
        need_id = stable_id("n", str(how), str(period), answer.kind, who)
        try:
            out[need_id] = Need(
                need_id=need_id,
                household_id=answer.household_id,
                kind=answer.kind,
                period=period,
                source=how,
                raised_on=day,
                member_id=answer.member_id,
                note=answer.note,
            )
        except ValueError as exc:
            problems.append(Problem(str(exc), source=source, line=line))
    if problems:
        raise InvalidInput(problems)
    return list(out.values())


def _items(value: Mapping[str, str]) -> Mapping[str, str]:
    return dict(value)


@frozen
class Checklist:
    """A check made at each household (the safe-and-warm-winter check): each item
    that is not met becomes a need of the item's kind."""

    name: str
    label: str
    items: Mapping[str, str] = field(converter=_items)
    """Item code -> need kind raised when the item is not met."""

    def answers(
        self, household_id: str, met: Mapping[str, bool], *, line: int | None = None
    ) -> list[SurveyAnswer]:
        """The survey answers for one household's check; a missing item counts as not met."""
        return [
            SurveyAnswer(household_id, kind, note=f"{self.label}: {item}", line=line)
            for item, kind in self.items.items()
            if not met.get(item, False)
        ]
