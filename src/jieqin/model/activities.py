"""Activities: the dated record of a helper's work with a household."""

from __future__ import annotations

from datetime import date

from attrs import field, frozen

from jieqin.model._fields import (
    MAX_TEXT,
    code_field,
    date_field,
    id_field,
    optional_date,
    optional_id,
)

__all__ = ["Activity"]


@frozen
class Activity:
    """One contact, visit, policy explanation, warmth delivery or practical thing done.

    ``need_id`` names the need it served (practical help can resolve one); ``event``
    names a member activity day or other group visit it was part of.

    An activity logged by mistake is never deleted: it is *voided*, a dated correction
    with a reason (``voided_on``, ``void_reason``, and who voided it, ``voided_by``).
    A voided activity keeps its record and counts nowhere: not in a report's figures,
    not as a household's last contact, not in a helper's view.
    """

    activity_id: str = field(validator=id_field)
    kind: str = field(validator=code_field)
    on: date = field(validator=date_field)
    helper_id: str = field(validator=id_field)
    household_id: str = field(validator=id_field)
    member_id: str | None = field(default=None, validator=optional_id)
    need_id: str | None = field(default=None, validator=optional_id)
    note: str = field(default="")
    event: str | None = field(default=None, validator=optional_id)
    voided_on: date | None = field(default=None, validator=optional_date)
    """The day the activity was voided (``None``: it stands)."""
    void_reason: str = field(default="")
    """Why it was voided; required with ``voided_on``, empty without."""
    voided_by: str | None = field(default=None)
    """Who voided it (the actor of the correction)."""

    @note.validator
    def _short_note(self, attribute: object, value: str) -> None:
        from jieqin.errors import InvalidValue

        if len(value) > 1000:
            raise InvalidValue(f"note is {len(value)} characters long; at most 1000", field="note")

    def __attrs_post_init__(self) -> None:
        from jieqin.errors import InvalidValue

        if not isinstance(self.void_reason, str) or len(self.void_reason) > MAX_TEXT:
            raise InvalidValue(
                f"must be text of at most {MAX_TEXT} characters", field="void_reason"
            )
        if self.voided_on is None:
            if self.void_reason or self.voided_by is not None:
                raise InvalidValue("is given, but the activity is not voided", field="void_reason")
            return
        if not self.void_reason.strip():
            raise InvalidValue("a void needs a reason", field="void_reason")
        if self.voided_on < self.on:
            raise InvalidValue(
                f"{self.voided_on.isoformat()} is before the activity itself "
                f"({self.on.isoformat()})",
                field="voided_on",
            )

    @property
    def voided(self) -> bool:
        """Whether the activity was voided (it then counts nowhere)."""
        return self.voided_on is not None
