"""Field validators and converters shared by the model classes.

Each one raises :class:`~jieqin.errors.InvalidValue` naming the field and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from attrs import Attribute, Converter

from jieqin.errors import InvalidValue
from jieqin.i18n import N_
from jieqin.model.vocab import check_code

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
#: What a record id looks like (the import fast path matches ids with it too).
ID_PATTERN = _ID
#: What a phone number looks like.
PHONE_PATTERN = re.compile(r"\+?[0-9][0-9 -]{4,19}")
#: The longest a text field (a name) may be.
MAX_TEXT = 200
MASKED = "<masked>"
E = TypeVar("E", bound=StrEnum)


def check_id(value: object, *, field: str) -> str:
    """Return ``value`` if it is a record id (1-64 letters, digits, ``_ . : -``)."""
    if not isinstance(value, str) or not _ID.match(value):
        raise InvalidValue(
            N_(
                "{value} is not an id (1-64 letters, digits, '_', '.', ':' or '-')",
                value=repr(value),
            ),
            field=field,
        )
    return value


def id_field(instance: object, attribute: Attribute[Any], value: object) -> None:
    check_id(value, field=attribute.name)


def optional_id(instance: object, attribute: Attribute[Any], value: object) -> None:
    if value is not None:
        check_id(value, field=attribute.name)


def code_field(instance: object, attribute: Attribute[Any], value: object) -> None:
    check_code(value, field=attribute.name)


def text_field(instance: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(N_("must be non-empty text"), field=attribute.name)
    if len(value) > MAX_TEXT:
        raise InvalidValue(
            N_("is {length} characters long; at most {most}", length=len(value), most=MAX_TEXT),
            field=attribute.name,
        )


def date_field(instance: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, date):
        raise InvalidValue(
            N_("expected a date, got {type}", type=type(value).__name__), field=attribute.name
        )
    if value.year < 1900:
        raise InvalidValue(
            N_("date {date} is before 1900", date=value.isoformat()), field=attribute.name
        )


def phone_field(instance: object, attribute: Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not PHONE_PATTERN.fullmatch(value):
        raise InvalidValue(N_("is not a phone number"), field=attribute.name)


def masked(value: object) -> str:
    return "None" if value is None else MASKED


def code_set(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


def enum_field(enum: type[E]) -> Converter[Any, E]:
    """An attrs converter that turns a value into ``enum`` or names the field it failed on."""

    def convert(value: object, attribute: Attribute[Any]) -> E:
        try:
            return enum(value)  # type: ignore[arg-type]
        except ValueError:
            allowed = ", ".join(e.value for e in enum)
            raise InvalidValue(
                N_("{value} is not one of: {allowed}", value=repr(value), allowed=allowed),
                field=attribute.name,
            ) from None

    return Converter(convert, takes_field=True)


def region_field(instance: object, attribute: Attribute[Any], value: object) -> None:
    from jieqin.model.regions import RegionCode

    if not isinstance(value, RegionCode):
        raise InvalidValue(
            N_("expected a RegionCode, got {type}", type=type(value).__name__),
            field=attribute.name,
        )


def money_field(value: object, attribute: Attribute[Any]) -> Decimal:
    from jieqin.model.money import yuan

    return yuan(value, field=attribute.name)  # type: ignore[arg-type]


def optional_money_field(value: object, attribute: Attribute[Any]) -> Decimal | None:
    return None if value is None else money_field(value, attribute)


def nonnegative(instance: object, attribute: Attribute[Any], value: Decimal | None) -> None:
    if value is not None and value < 0:
        raise InvalidValue(
            N_("must not be negative, got {value}", value=value), field=attribute.name
        )


def optional_date(instance: object, attribute: Attribute[Any], value: object) -> None:
    if value is not None:
        date_field(instance, attribute, value)


#: ``converter=`` for a Decimal yuan field.
MONEY = Converter(money_field, takes_field=True)
#: ``converter=`` for an optional Decimal yuan field.
OPTIONAL_MONEY = Converter(optional_money_field, takes_field=True)
