"""Grievances: a household contests a decision, complains of a helper, or says a need
went unmet, and is answered by a due day.

A grievance is a record, never deleted. It is received on a day through a channel
(a visit, a call, the hotline, a letter, online), is of a category (a registered
code: ``appeal``, ``aid_decision``, ``helper_conduct``, ``need_unmet``, ``other`` or
a region's own), may name what it is about (a decision, a helper or a need), and is
due to be answered by ``due_on`` (the ``grievance_answer_days`` parameter in force on
the day it was received). It then moves forward through its stages, each dated and
signed: received, in progress, answered (with the answer's text), closed. A stage
never moves back and a stage's facts never change once recorded.

``description`` is what the person said, in their words: it may hold health facts,
numbers or names, so every listing masks it unless it is revealed (with a role that
may reveal and a purpose, audited), and the audit log keeps only that it was set.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from itertools import pairwise
from typing import Any

import attrs
from attrs import field, frozen

from jieqin.errors import IllegalStageChange, InvalidValue
from jieqin.model._fields import (
    MAX_TEXT,
    code_field,
    date_field,
    enum_field,
    id_field,
    masked,
    optional_date,
    optional_id,
)

__all__ = [
    "MAX_DESCRIPTION",
    "NEXT_STAGES",
    "STAGE_ORDER",
    "Grievance",
    "GrievanceCategory",
    "GrievanceChannel",
    "GrievanceStage",
    "GrievanceTarget",
    "TargetKind",
    "stage_refusal",
]

#: The longest a description or an answer may be (a letter runs longer than a name).
MAX_DESCRIPTION = 4000


class GrievanceChannel(StrEnum):
    """How a grievance reached the campaign."""

    VISIT = "visit"
    """来访: the person came in."""
    PHONE = "phone"
    """来电: a call to the office."""
    HOTLINE = "hotline"
    """热线: the public service hotline (12345) passed it on."""
    LETTER = "letter"
    """来信: a letter."""
    ONLINE = "online"
    """网上: an online form or message."""


class GrievanceCategory(StrEnum):
    """The standard categories of grievance (extensible: plugins register more)."""

    APPEAL = "appeal"
    """申请复核: an appeal against an aid decision; the member is decided again."""
    AID_DECISION = "aid_decision"
    """对救助决定有异议: a complaint about an aid decision, not asking to re-decide."""
    HELPER_CONDUCT = "helper_conduct"
    """帮扶人作风: the conduct of a helper."""
    NEED_UNMET = "need_unmet"
    """诉求未解决: a need raised and not met."""
    OTHER = "other"
    """其他."""


class GrievanceStage(StrEnum):
    """Where a grievance is; it only moves forward (see :data:`NEXT_STAGES`)."""

    RECEIVED = "received"
    """收到: recorded, not yet taken up."""
    IN_PROGRESS = "in_progress"
    """办理中: someone is looking into it."""
    ANSWERED = "answered"
    """已答复: the person was given an answer."""
    CLOSED = "closed"
    """办结: closed after the answer."""


#: The stages each stage may move to. A grievance may be answered at once (an appeal
#: is answered by its re-decision), but is closed only once it was answered.
NEXT_STAGES: dict[GrievanceStage, frozenset[GrievanceStage]] = {
    GrievanceStage.RECEIVED: frozenset({GrievanceStage.IN_PROGRESS, GrievanceStage.ANSWERED}),
    GrievanceStage.IN_PROGRESS: frozenset({GrievanceStage.ANSWERED}),
    GrievanceStage.ANSWERED: frozenset({GrievanceStage.CLOSED}),
    GrievanceStage.CLOSED: frozenset(),
}

#: The stages in their order.
STAGE_ORDER: tuple[GrievanceStage, ...] = tuple(GrievanceStage)


class TargetKind(StrEnum):
    """What a grievance may be about."""

    DECISION = "decision"
    """An aid decision (its ``decision_id``)."""
    HELPER = "helper"
    """A helper (their ``helper_id``)."""
    NEED = "need"
    """A need (its ``need_id``)."""


@frozen
class GrievanceTarget:
    """What a grievance is about: a decision, a helper or a need, by id."""

    kind: TargetKind = field(converter=enum_field(TargetKind))  # type: ignore[misc]
    target_id: str = field(validator=id_field)

    def __str__(self) -> str:
        return f"{self.kind.value} {self.target_id}"


def _long_text(*, required: bool) -> Any:
    """A validator of free text of at most :data:`MAX_DESCRIPTION` characters."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str):
            raise InvalidValue("must be text", field=attribute.name)
        if required and not value.strip():
            raise InvalidValue("say what the grievance is about", field=attribute.name)
        if len(value) > MAX_DESCRIPTION:
            raise InvalidValue(
                f"is {len(value)} characters long; at most {MAX_DESCRIPTION}",
                field=attribute.name,
            )

    return check


def _actor(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
        raise InvalidValue(f"must be text of at most {MAX_TEXT} characters", field=attribute.name)


@frozen
class Grievance:
    """A household's grievance (about one member, if ``member_id``), and where it is.

    Each stage after ``received`` is dated and signed (``*_on``, ``*_by``); the
    answer's text is kept with the day it was given. ``redecision_id`` is, for an
    appeal, the decision the appeal led to (kept beside the decision appealed).
    """

    grievance_id: str = field(validator=id_field)
    household_id: str = field(validator=id_field)
    channel: GrievanceChannel = field(converter=enum_field(GrievanceChannel))  # type: ignore[misc]
    category: str = field(validator=code_field)
    received_on: date = field(validator=date_field)
    due_on: date = field(validator=date_field)
    """The last day an answer is on time."""
    description: str = field(validator=_long_text(required=True), repr=masked)
    """What the person said: sensitive free text, masked in every listing."""
    member_id: str | None = field(default=None, validator=optional_id)
    target: GrievanceTarget | None = None
    received_by: str = field(default="", validator=_actor)
    stage: GrievanceStage = field(
        default=GrievanceStage.RECEIVED,
        converter=enum_field(GrievanceStage),  # type: ignore[misc]
    )
    started_on: date | None = field(default=None, validator=optional_date)
    started_by: str | None = field(default=None, validator=_actor)
    answered_on: date | None = field(default=None, validator=optional_date)
    answered_by: str | None = field(default=None, validator=_actor)
    answer: str = field(default="", validator=_long_text(required=False))
    closed_on: date | None = field(default=None, validator=optional_date)
    closed_by: str | None = field(default=None, validator=_actor)
    closing_note: str = field(default="", validator=_long_text(required=False))
    redecision_id: str | None = field(default=None, validator=optional_id)

    def __attrs_post_init__(self) -> None:
        if self.due_on < self.received_on:
            raise InvalidValue(
                f"due {self.due_on.isoformat()}, before it was received "
                f"{self.received_on.isoformat()}",
                field="due_on",
            )
        self._check_stage_facts()
        days = [
            ("received_on", self.received_on),
            ("started_on", self.started_on),
            ("answered_on", self.answered_on),
            ("closed_on", self.closed_on),
        ]
        known = [(name, day) for name, day in days if day is not None]
        for (before, first), (after, then) in pairwise(known):
            if then < first:
                raise InvalidValue(
                    f"{then.isoformat()} is before {before} {first.isoformat()}", field=after
                )

    def _check_stage_facts(self) -> None:
        """Each stage reached has its day (and the answer its text); none beyond it has."""
        reached = STAGE_ORDER.index(self.stage)
        facts = (
            (GrievanceStage.IN_PROGRESS, "started_on", self.started_on, ("started_by",)),
            (GrievanceStage.ANSWERED, "answered_on", self.answered_on, ("answered_by", "answer")),
            (GrievanceStage.CLOSED, "closed_on", self.closed_on, ("closed_by", "closing_note")),
        )
        for stage, name, day, others in facts:
            at = STAGE_ORDER.index(stage)
            given = day is not None or any(getattr(self, o) for o in others)
            if at > reached and given:
                raise InvalidValue(f"is set but the grievance is {self.stage.value}", field=name)
            # in progress may be skipped (an appeal is answered at once); the others not
            skipped = stage is GrievanceStage.IN_PROGRESS and at < reached
            if at <= reached and day is None and not skipped:
                raise InvalidValue(f"a grievance {self.stage.value} says when", field=name)
        if self.answered_on is not None and not self.answer.strip():
            raise InvalidValue("an answered grievance keeps its answer", field="answer")

    @property
    def answered(self) -> bool:
        """Whether it was answered (answered or closed)."""
        return self.answered_on is not None

    @property
    def open(self) -> bool:
        """Whether it still waits for an answer (received or in progress)."""
        return self.answered_on is None

    def overdue(self, day: date) -> bool:
        """Whether on ``day`` it still waits for an answer that was due before."""
        return self.open and day > self.due_on

    def answered_on_time(self) -> bool | None:
        """Whether the answer came by the due day (``None``: not answered yet)."""
        if self.answered_on is None:
            return None
        return self.answered_on <= self.due_on

    def moved_to(self, stage: GrievanceStage, **facts: Any) -> Grievance:
        """This grievance in ``stage`` with that stage's ``facts`` (its day, who and
        the text); :class:`~jieqin.errors.IllegalStageChange` if it may not move there."""
        stage = GrievanceStage(stage)
        if stage not in NEXT_STAGES[self.stage]:
            raise IllegalStageChange(stage_refusal(self, stage))
        return attrs.evolve(self, stage=stage, **facts)

    def started(self, on: date, by: str) -> Grievance:
        """Taken up on ``on`` by ``by``."""
        return self.moved_to(GrievanceStage.IN_PROGRESS, started_on=on, started_by=by)

    def answered_with(self, answer: str, on: date, by: str) -> Grievance:
        """Answered on ``on`` by ``by`` with ``answer``."""
        if not answer.strip():
            raise InvalidValue("say what the answer was", field="answer")
        return self.moved_to(
            GrievanceStage.ANSWERED, answered_on=on, answered_by=by, answer=answer.strip()
        )

    def closed(self, on: date, by: str, note: str = "") -> Grievance:
        """Closed on ``on`` by ``by`` (after its answer), with an optional note."""
        return self.moved_to(
            GrievanceStage.CLOSED, closed_on=on, closed_by=by, closing_note=note.strip()
        )


def stage_refusal(grievance: Grievance, stage: GrievanceStage) -> str:
    """Why ``grievance`` may not move to ``stage``, and what it may do instead."""
    allowed = sorted(s.value for s in NEXT_STAGES[grievance.stage])
    then = (
        f"it may move to {' or '.join(allowed)}" if allowed else "a closed grievance stays closed"
    )
    return (
        f"grievance {grievance.grievance_id} is {grievance.stage.value}; it cannot move to "
        f"{stage.value} (stages only move forward: received, in_progress, answered, closed; "
        f"{then})"
    )
