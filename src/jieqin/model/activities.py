"""Activities: the dated record of a helper's work with a household."""

from __future__ import annotations

from datetime import date

from attrs import field, frozen

from jieqin.model._fields import code_field, date_field, id_field, optional_id

__all__ = ["Activity"]


@frozen
class Activity:
    """One contact, visit, policy explanation, warmth delivery or practical thing done.

    ``need_id`` names the need it served (practical help can resolve one); ``event``
    names a member activity day or other group visit it was part of.
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

    @note.validator
    def _short_note(self, attribute: object, value: str) -> None:
        from jieqin.errors import InvalidValue

        if len(value) > 1000:
            raise InvalidValue(f"note is {len(value)} characters long; at most 1000", field="note")
