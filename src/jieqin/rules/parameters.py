"""Dated parameters: amounts and thresholds that change on known dates, with their source.

A rule never hard-codes "5,000 yuan" or "age 16": it names a parameter, and the
value in force on the decision date is used. Each value carries the document it
comes from, so a decision can cite it a year later. A region keeps its parameters
in a TOML or JSON file it can edit::

    [freshman_scholarship_amount]
    description = "Scholarship per college freshman"
    unit = "yuan"

    [[freshman_scholarship_amount.values]]
    since = 2021-01-01
    value = "5000"
    source = "Provincial charity association notice, 2021"
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeAlias

from attrs import field, frozen

from jieqin.errors import InvalidInput, InvalidValue, Problem
from jieqin.model import yuan

__all__ = ["DatedValue", "InForce", "Parameter", "ParameterValue", "Parameters"]

#: What a parameter can hold: a whole number, a decimal (money is two-place yuan), text or a flag.
ParameterValue: TypeAlias = int | Decimal | str | bool


@frozen
class DatedValue:
    """A value in force from ``since`` until the next value's ``since``."""

    since: date
    value: ParameterValue
    source: str = ""
    """The document this value comes from (a notice, a regulation, a meeting record)."""


def _sorted_values(values: Iterable[DatedValue]) -> tuple[DatedValue, ...]:
    return tuple(sorted(values, key=lambda v: v.since))


@frozen
class Parameter:
    """A named amount or threshold with its dated values."""

    name: str
    values: tuple[DatedValue, ...] = field(converter=_sorted_values)
    description: str = ""
    unit: str = ""

    def __attrs_post_init__(self) -> None:
        if not self.values:
            raise InvalidValue("a parameter needs at least one dated value", field=self.name)
        days = [v.since for v in self.values]
        if len(set(days)) != len(days):
            raise InvalidValue("two values start on the same day", field=self.name)

    def in_force(self, day: date) -> DatedValue:
        """The dated value in force on ``day``; refuses a day before the first value."""
        current: DatedValue | None = None
        for value in self.values:
            if value.since > day:
                break
            current = value
        if current is None:
            raise InvalidValue(
                f"no value in force on {day.isoformat()}; the first starts "
                f"{self.values[0].since.isoformat()}",
                field=self.name,
            )
        return current


@frozen
class InForce:
    """What a parameter says on one day: the value in force, since when, from which
    document, and when the next value starts (``None``: no change is known).

    Before its first value, ``value``, ``since`` and ``source`` are ``None`` and
    ``next_change`` is the day the first value starts.
    """

    name: str
    value: ParameterValue | None
    since: date | None
    source: str | None
    next_change: date | None
    unit: str = ""
    description: str = ""

    def as_dict(self) -> dict[str, str | None]:
        """The JSON object: the value as text (money keeps its two places), dates ISO."""
        return {
            "name": self.name,
            "value": None if self.value is None else _text(self.value),
            "unit": self.unit,
            "since": None if self.since is None else self.since.isoformat(),
            "source": self.source,
            "next_change": None if self.next_change is None else self.next_change.isoformat(),
            "description": self.description,
        }


@frozen
class Parameters:
    """A set of parameters by name; ``a | b`` lets ``b`` (a region's file) override ``a``."""

    by_name: Mapping[str, Parameter] = field(factory=dict)

    @classmethod
    def of(cls, *parameters: Parameter) -> Parameters:
        return cls({p.name: p for p in parameters})

    def __or__(self, other: Parameters) -> Parameters:
        return Parameters({**self.by_name, **other.by_name})

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def __iter__(self) -> Any:
        return iter(self.by_name)

    def get(self, name: str) -> Parameter:
        try:
            return self.by_name[name]
        except KeyError:
            raise InvalidValue(
                f"unknown parameter; known: {', '.join(sorted(self.by_name)) or 'none'}",
                field=name,
            ) from None

    def value_on(self, name: str, day: date) -> ParameterValue:
        """The value of ``name`` in force on ``day``."""
        return self.get(name).in_force(day).value

    def snapshot(self, names: Iterable[str], day: date) -> dict[str, ParameterValue]:
        """The values of ``names`` in force on ``day``."""
        return {name: self.value_on(name, day) for name in sorted(set(names))}

    def in_force(self, names: Iterable[str], day: date) -> list[InForce]:
        """What each of ``names`` says on ``day``, by name: its value with since-date and
        source, or that none is in force yet; an unknown name raises ``InvalidValue``."""
        out = []
        for name in sorted(set(names)):
            parameter = self.get(name)
            current = [v for v in parameter.values if v.since <= day]
            later = [v.since for v in parameter.values if v.since > day]
            dated = current[-1] if current else None
            out.append(
                InForce(
                    name,
                    None if dated is None else dated.value,
                    None if dated is None else dated.since,
                    None if dated is None else dated.source,
                    later[0] if later else None,
                    parameter.unit,
                    parameter.description,
                )
            )
        return out

    def cited(self, names: Iterable[str], day: date) -> dict[str, str]:
        """``name -> "value (since YYYY-MM-DD; source)"`` for a stored decision."""
        out = {}
        for name in sorted(set(names)):
            dated = self.get(name).in_force(day)
            text = f"{_text(dated.value)} (since {dated.since.isoformat()}"
            out[name] = text + (f"; {dated.source})" if dated.source else ")")
        return out

    @classmethod
    def load(cls, path: str | Path) -> Parameters:
        """Read parameters from a ``.toml`` or ``.json`` file; errors name the file and field."""
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(
                [Problem(f"cannot read: {exc.strerror}", source=path.name)]
            ) from None
        try:
            if path.suffix.lower() == ".json":
                data = json.loads(raw.decode("utf-8"))
            else:
                data = tomllib.loads(raw.decode("utf-8"))
        except json.JSONDecodeError as exc:
            problem = Problem(f"not valid JSON: {exc.msg}", source=path.name, line=exc.lineno)
            raise InvalidInput([problem]) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInput([Problem(f"not valid TOML: {exc}", source=path.name)]) from None
        return cls.from_mapping(data, source=path.name)

    @classmethod
    def from_mapping(cls, data: object, *, source: str = "parameters") -> Parameters:
        """Build from ``{name: {description, unit, values: [{since, value, source}]}}``."""
        problems: list[Problem] = []
        if not isinstance(data, Mapping):
            raise InvalidInput([Problem("expected a table of parameters", source=source)])
        parameters = []
        for name, spec in data.items():
            try:
                parameters.append(_parameter(str(name), spec))
            except InvalidValue as exc:
                problems.append(Problem(exc.reason, field=exc.field, source=source))
        if problems:
            raise InvalidInput(problems)
        return cls.of(*parameters)


def _parameter(name: str, spec: object) -> Parameter:
    if not isinstance(spec, Mapping):
        raise InvalidValue("expected a table with 'values'", field=name)
    unit = str(spec.get("unit", ""))
    values = spec.get("values")
    if not isinstance(values, list) or not values:
        raise InvalidValue("needs a non-empty list 'values'", field=f"{name}.values")
    dated = []
    for i, item in enumerate(values):
        where = f"{name}.values[{i}]"
        if not isinstance(item, Mapping):
            raise InvalidValue("expected a table with since, value, source", field=where)
        dated.append(
            DatedValue(
                since=_since(item.get("since"), field=f"{where}.since"),
                value=_value(item.get("value"), unit, field=f"{where}.value"),
                source=str(item.get("source", "")),
            )
        )
    return Parameter(name, tuple(dated), str(spec.get("description", "")), unit)


def _since(value: object, *, field: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidValue(f"expected a date such as 2021-01-01, got {value!r}", field=field)


def _value(value: object, unit: str, *, field: str) -> ParameterValue:
    if value is None:
        raise InvalidValue("missing", field=field)
    if isinstance(value, float):
        raise InvalidValue(
            f'{value!r} is a binary fraction; write decimals as text, e.g. "{value}"', field=field
        )
    if unit == "yuan":
        return yuan(value, field=field)  # type: ignore[arg-type]
    if isinstance(value, bool | int | Decimal):
        return value
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        return int(number) if number == number.to_integral_value() and "." not in value else number
    raise InvalidValue(f"unsupported value {value!r}", field=field)


def _text(value: ParameterValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
