"""The one cattrs converter of jieqin, and error messages a person can act on.

Dates are ISO strings, money is a decimal string (``"5000.00"``), enums are their
values, regions and periods are their codes (``"610202001001"``, ``"2021Q1"``).
A structuring failure becomes one :class:`~jieqin.errors.InvalidInput` listing every
bad path, for example ``households.jsonl line 17: members[2].birth_date: invalid date
'2001-13-01'``.

A ledger's Chinese words for the fixed codes (``男``, ``户主``) and its dates
(``1980年5月3日``, ``1980/5/3``) are read as the codes and dates they mean
(:mod:`jieqin.io.values`); exports write the codes and ISO dates.

Values are never coerced from another JSON type, since ``bool("false")`` is true and
a string iterated as a list is its characters: a bool takes only ``true``/``false``,
text only a string, a whole number only a number, a collection only an array, a
nested record only an object. The refusal names the path and what was expected and
given (``active: expected true or false, got the string 'false'``). Money may also
be a whole number, and a region code or a period a whole number that spells it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, NoReturn, TypeVar, cast, get_args, get_origin

import attrs
from cattrs import Converter
from cattrs.dispatch import StructureHook
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.preconf.json import make_converter

from jieqin.errors import InvalidInput, InvalidValue, JieqinError, Problem
from jieqin.i18n import N_, Message
from jieqin.io.values import code_of, parse_date
from jieqin.model.periods import Month, Period, Quarter, Year, parse_period
from jieqin.model.regions import RegionCode

__all__ = ["converter", "from_json", "problems_from", "structure", "to_json", "unstructure"]

T = TypeVar("T")

converter = make_converter(forbid_extra_keys=True, prefer_attrib_converters=False)
"""jieqin's private converter; never the global ``cattrs`` one."""


def _json_type(value: object) -> str:
    """The JSON type of ``value`` in words, for a message: ``a string``, ``an object``."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, str):
        return N_("a string")
    if isinstance(value, (int, float)):
        return N_("a number")
    if isinstance(value, (list, tuple)):
        return N_("a list")
    if isinstance(value, Mapping):
        return N_("an object")
    return N_("a {type}", type=type(value).__name__)


_LONG_DIGITS = re.compile(r"[0-9]{7,}")


def _given(value: object) -> str:
    """``value`` for a message: its JSON type and, for a string or a number, the value.

    A number with seven or more digits in a row could be a phone or ID number: it is
    quoted, so that :class:`~jieqin.errors.Problem` masks it as it masks quoted text.
    """
    if isinstance(value, str):
        return N_("the string {value}", value=repr(value))
    if _is_number(value):
        text = repr(value)
        return N_("the number {value}", value=repr(text) if _LONG_DIGITS.search(text) else text)
    return _json_type(value)


def _refuse(expected: str, value: object, shown: Callable[[object], str] = _given) -> NoReturn:
    """Raise the refusal of a value of the wrong JSON type: what was expected, what came."""
    raise InvalidValue(
        N_("expected {expected}, got {given}", expected=expected, given=shown(value))
    )


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _structure_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        _refuse(N_("true or false"), value)
    return value


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        _refuse(N_("a string"), value)
    return value


def _structure_code(value: object, cls: type[StrEnum]) -> StrEnum:
    """A vocabulary enum from its value or a ledger's Chinese word for it (``男``,
    ``户主``: :mod:`jieqin.io.values`); the message is the model's own (``enum_field``)."""
    if not isinstance(value, str):
        _refuse(N_("a string (one of: {allowed})", allowed=_values(cls)), value)
    try:
        return cls(code_of(cls, value))
    except ValueError:
        raise InvalidValue(
            N_("{value} is not one of: {allowed}", value=repr(value), allowed=_values(cls))
        ) from None


def _values(cls: type[StrEnum]) -> str:
    return ", ".join(member.value for member in cls)


#: Whole numbers an import accepts: what a 32-bit database column holds.
INT_RANGE = range(-(2**31), 2**31)


def _structure_int(value: object, _: type) -> int:
    """A whole JSON number (``3``, also ``3.0``); never a string, a bool or ``3.5``."""
    if not _is_number(value) or (isinstance(value, float) and not value.is_integer()):
        _refuse(N_("a whole number"), value)
    number = int(cast(float, value))
    if number not in INT_RANGE:
        raise InvalidValue(N_("{number} is out of range", number=number))
    return number


def _structure_float(value: object, _: type) -> float:
    if not _is_number(value):
        _refuse(N_("a number"), value)
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError:
        raise InvalidValue(
            N_("expected a number, got {given}, which is too large", given=_given(value))
        ) from None


def _structure_decimal(value: object, _: type) -> Decimal:
    if isinstance(value, (bool, float)):
        raise InvalidValue(
            N_(
                'amount must be written as a string such as "5000.00", not {value}',
                value=repr(value),
            )
        )
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, str):
        _refuse(N_('an amount written as a string such as "5000.00"'), value, _json_type)
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        raise InvalidValue(N_("invalid amount {value}", value=repr(value))) from None
    if not amount.is_finite():
        raise InvalidValue(N_("invalid amount {value}", value=repr(value)))
    return amount


def _structure_date(value: object, _: type) -> date:
    """A date from ``YYYY-MM-DD``, or as a ledger writes one (``1980年5月3日``,
    ``1980.05.03``, ``1980/5/3``: :func:`jieqin.io.values.parse_date`)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        _refuse(N_("a date as YYYY-MM-DD"), value)
    text = value.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        day = parse_date(text)
    except InvalidValue as exc:
        raise InvalidValue(N_("invalid date: {reason}", reason=exc.reason)) from None
    if day is None:
        raise InvalidValue(
            N_(
                "invalid date {value}; expected YYYY-MM-DD (or 1980年5月3日, 1980.05.03, 1980/5/3)",
                value=repr(value),
            )
        )
    return day


def _code_text(value: object, expected: Message) -> str:
    """A region or period code as text: a string, or a whole number spelling the code.

    No region code or period starts with a 0, so a number loses nothing of one.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        _refuse(expected, value)
    return value


def _structure_region(value: object, _: type) -> RegionCode:
    return RegionCode(_code_text(value, N_("a region code (a string of 6, 9 or 12 digits)")))


def _structure_period(value: object, _: object) -> Period:
    return parse_period(_code_text(value, N_('a period such as "2021", "2021Q1" or "2021-03"')))


#: Collections the converter builds, each from a JSON array only.
_COLLECTIONS = (frozenset, set, list, tuple)


def _is_collection(type_: Any) -> bool:
    """Whether ``type_`` is ``frozenset[X]``, ``set[X]``, ``list[X]`` or ``tuple[X, ...]``."""
    origin, args = get_origin(type_), get_args(type_)
    if origin not in _COLLECTIONS or not args:
        return False
    return origin is not tuple or (len(args) == 2 and args[1] is Ellipsis)


def _plural(element: Any) -> str:
    """What a list holds, for a message: codes (every list of strings is one of codes)."""
    if element is str:
        return "codes"
    return "objects" if attrs.has(element) else f"{getattr(element, '__name__', element)} values"


def _collection_hook(type_: Any, conv: Converter) -> StructureHook:
    """Structure ``type_`` from a JSON array; a string is refused, never split into characters."""
    build = get_origin(type_)
    element = get_args(type_)[0]
    item = conv.get_structure_hook(element)
    expected = f"a list of {_plural(element)}"

    def structure(value: object, _: object) -> Any:
        if not isinstance(value, (list, tuple)):
            _refuse(expected, value, _json_type)
        return build(_each(enumerate(value), item, element, type_))

    return structure


#: Mapping types the converter builds, each from a JSON object only.
_MAPPINGS: tuple[object, ...] = (dict, Mapping)


def _is_mapping(type_: Any) -> bool:
    """Whether ``type_`` is ``Mapping[K, V]`` or ``dict[K, V]``."""
    return get_origin(type_) in _MAPPINGS


def _mapping_hook(type_: Any, conv: Converter) -> StructureHook:
    """Structure ``Mapping[K, V]`` from a JSON object, each value with its own hook."""
    key_type, value_type = get_args(type_) or (Any, Any)
    key_hook = conv.get_structure_hook(key_type)
    value_hook = conv.get_structure_hook(value_type)

    def structure(value: object, _: object) -> dict[Any, Any]:
        if not isinstance(value, Mapping):
            _refuse(N_("an object"), value, _json_type)
        keys = [key_hook(key, key_type) for key in value]
        return dict(zip(keys, _each(value.items(), value_hook, value_type, type_), strict=True))

    return structure


def _each(
    pairs: Iterable[tuple[Any, Any]], hook: StructureHook, element: Any, type_: Any
) -> list[Any]:
    """Structure each ``(index or key, value)``; every failure is kept, noted with its index."""
    items: list[Any] = []
    errors: list[Exception] = []
    for index, value in pairs:
        try:
            items.append(hook(value, element))
        except Exception as exc:  # as cattrs does: every element's failure is reported
            note = IterableValidationNote(f"Structuring {type_} @ {index!r}", index, element)
            exc.__notes__ = [*getattr(exc, "__notes__", []), note]
            errors.append(exc)
    if errors:
        raise IterableValidationError(f"While structuring {type_!r}", errors, type_)
    return items


def _object_hook(cls: type, conv: Converter) -> StructureHook:
    """Structure an attrs class from a JSON object only (a string or a list is refused)."""
    build: Callable[[Mapping[str, Any], Any], Any] = conv.gen_structure_attrs_fromdict(cls)

    def structure(value: object, _: object) -> Any:
        if not isinstance(value, Mapping):
            _refuse(N_("an object"), value, _json_type)
        return build(value, cls)

    return structure


# Hooks for classes (singledispatch) win over predicate factories, whatever the order;
# among factories, the last registered wins.
converter.register_structure_hook_factory(attrs.has, _object_hook)
converter.register_structure_hook_factory(_is_collection, _collection_hook)
converter.register_structure_hook_factory(_is_mapping, _mapping_hook)
converter.register_structure_hook(str, _structure_str)
converter.register_structure_hook(StrEnum, _structure_code)  # before str in an enum's MRO
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(bool, _structure_bool)  # bool is an int: its own hook
converter.register_structure_hook(float, _structure_float)
converter.register_unstructure_hook(Decimal, str)
converter.register_structure_hook(Decimal, _structure_decimal)
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


def _observation_hook() -> StructureHook:
    """An observation a feed delivered may leave its id out: it is then the feed record's
    stable id, so the same row delivered again is the same record."""
    from jieqin.model.monitoring import Observation, feed_observation_id

    build = _object_hook(Observation, converter)

    def structure(value: object, cls: Any) -> Any:
        # only a missing or empty id is left to the feed; any other value (a list, a
        # number) is checked as an id, and refused if it is none
        if isinstance(value, Mapping) and value.get("observation_id") in (None, ""):
            feed, record = value.get("feed"), value.get("feed_record")
            if isinstance(feed, str) and isinstance(record, str) and feed and record:
                value = {**value, "observation_id": feed_observation_id(feed, record)}
            else:
                raise InvalidValue(
                    N_(
                        "required field is missing (only a department's row, with feed and "
                        "feed_record, may leave it empty)"
                    ),
                    field="observation_id",
                )
        return build(value, cls)

    converter.register_structure_hook(Observation, structure)
    return structure


_observation_hook()


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
            [
                Problem(
                    N_(
                        "not valid JSON: {error} at column {column}",
                        error=exc.msg,
                        column=exc.colno,
                    ),
                    source=source,
                    line=line,
                )
            ]
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
            out.append(
                Problem(N_("unknown field"), field=_join(path, key), source=source, line=line)
            )
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
        return N_("required field is missing")
    if isinstance(exc, TypeError):
        return N_("wrong type ({error})", error=str(exc))
    text = str(exc)
    return text or type(exc).__name__
