"""The one cattrs converter of jieqin, and error messages a person can act on.

Dates are ISO strings, money is a decimal string (``"5000.00"``), enums are their
values, regions and periods are their codes (``"610202001001"``, ``"2021Q1"``).
A structuring failure becomes one :class:`~jieqin.errors.InvalidInput` listing every
bad path, for example ``households.jsonl line 17: members[2].birth_date: invalid date
'2001-13-01'``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ForbiddenExtraKeysError,
    IterableValidationNote,
)
from cattrs.preconf.json import make_converter

from jieqin.errors import InvalidInput, InvalidValue, JieqinError, Problem
from jieqin.model.periods import Month, Period, Quarter, Year, parse_period
from jieqin.model.regions import RegionCode

__all__ = ["converter", "from_json", "problems_from", "structure", "to_json", "unstructure"]

T = TypeVar("T")

converter = make_converter(forbid_extra_keys=True, prefer_attrib_converters=False)
"""jieqin's private converter; never the global ``cattrs`` one."""


def _structure_decimal(value: object, _: type) -> Decimal:
    if isinstance(value, (bool, float)):
        raise InvalidValue(f'amount must be written as a string such as "5000.00", not {value!r}')
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidValue(f"invalid amount {value!r}") from None
        if not amount.is_finite():
            raise InvalidValue(f"invalid amount {value!r}")
        return amount
    raise InvalidValue(f"invalid amount of type {type(value).__name__}")


def _structure_date(value: object, _: type) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise InvalidValue(f"expected a date as YYYY-MM-DD, got {type(value).__name__}")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidValue(f"invalid date {value!r}; expected YYYY-MM-DD") from None


#: Whole numbers an import accepts: what a 32-bit database column holds.
INT_RANGE = range(-(2**31), 2**31)


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool):
        raise InvalidValue(f"expected a whole number, got {str(value).lower()}")
    if isinstance(value, float) and not value.is_integer():
        raise InvalidValue(f"expected a whole number, got {value!r}")
    try:
        number: int = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        raise InvalidValue(f"{value!r} is not a whole number") from None
    if number not in INT_RANGE:
        raise InvalidValue(f"{number} is out of range")
    return number


def _structure_region(value: object, _: type) -> RegionCode:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return RegionCode(value)  # type: ignore[arg-type]


def _structure_period(value: object, _: object) -> Period:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return parse_period(value)  # type: ignore[arg-type]


converter.register_unstructure_hook(Decimal, str)
converter.register_structure_hook(Decimal, _structure_decimal)
_structure_bool = converter.get_structure_hook(bool)
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(bool, _structure_bool)  # bool is an int: keep its own hook
converter.register_unstructure_hook(date, date.isoformat)
converter.register_structure_hook(date, _structure_date)
converter.register_unstructure_hook(RegionCode, str)
converter.register_structure_hook(RegionCode, _structure_region)
for _period_type in (Year, Quarter, Month):
    converter.register_unstructure_hook(_period_type, str)
    converter.register_structure_hook(_period_type, _structure_period)
converter.register_structure_hook(Period, _structure_period)
converter.register_unstructure_hook(Period, str)
converter.register_unstructure_hook(frozenset, lambda values: sorted(values))
converter.register_unstructure_hook(Mapping, dict)


def unstructure(obj: Any) -> Any:
    """The JSON-ready form of a model object (dicts, lists, strings, numbers)."""
    return converter.unstructure(obj)


def structure(data: Any, cls: type[T], *, source: str | None = None, line: int | None = None) -> T:
    """Build a ``cls`` from JSON-ready ``data``, or raise :class:`InvalidInput`.

    ``source`` and ``line`` say where ``data`` came from, so every problem can name
    the file and line as well as the field path and the reason.
    """
    try:
        return converter.structure(data, cls)
    except (BaseValidationError, ValueError, TypeError, KeyError, JieqinError) as exc:
        raise InvalidInput(problems_from(exc, source=source, line=line)) from None


def to_json(obj: Any) -> str:
    """One model object as a JSON document."""
    return json.dumps(unstructure(obj), ensure_ascii=False, sort_keys=True)


def from_json(
    text: str | bytes, cls: type[T], *, source: str | None = None, line: int | None = None
) -> T:
    """Parse a JSON document into ``cls``; bad JSON or bad fields raise :class:`InvalidInput`."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            [Problem(f"not valid JSON: {exc.msg} at column {exc.colno}", source=source, line=line)]
        ) from None
    return structure(data, cls, source=source, line=line)


def problems_from(
    exc: BaseException, *, source: str | None = None, line: int | None = None
) -> list[Problem]:
    """Flatten a (possibly nested) structuring error into one :class:`Problem` per bad path."""
    found: list[Problem] = []
    _walk(exc, "", found, source, line)
    return found or [Problem(_reason(exc), source=source, line=line)]


def _join(path: str, part: str) -> str:
    if not path:
        return part
    return path + part if part.startswith("[") else f"{path}.{part}"


def _walk(
    exc: BaseException, path: str, out: list[Problem], source: str | None, line: int | None
) -> None:
    if isinstance(exc, BaseValidationError):
        for sub in exc.exceptions:
            sub_path = path
            for note in getattr(sub, "__notes__", ()):
                if isinstance(note, AttributeValidationNote):
                    sub_path = _join(path, note.name)
                    break
                if isinstance(note, IterableValidationNote):
                    sub_path = _join(path, f"[{note.index}]")
                    break
            _walk(sub, sub_path, out, source, line)
        return
    if isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            out.append(Problem("unknown field", field=_join(path, key), source=source, line=line))
        return
    if isinstance(exc, InvalidInput):
        for problem in exc.problems:
            field = _join(path, problem.field) if problem.field else path or None
            out.append(Problem(problem.reason, field=field, source=source, line=line))
        return
    field = path
    # A validator names its own attribute; the path may already end with it.
    if (
        isinstance(exc, InvalidValue)
        and exc.field
        and not (path == exc.field or path.endswith("." + exc.field))
    ):
        field = _join(path, exc.field)
    out.append(Problem(_reason(exc), field=field or None, source=source, line=line))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, InvalidValue):
        return exc.reason
    if isinstance(exc, KeyError):
        return "required field is missing"
    if isinstance(exc, TypeError):
        return f"wrong type ({exc})"
    text = str(exc)
    return text or type(exc).__name__
