"""JSON Lines: one record per line, in the converter's JSON form (as ``to_json`` writes it).

Blank lines are skipped. A household line carries its members nested, so a bad
member is reported as ``members[2].birth_date`` on the household's line.

Input is bounded like a CSV cell is: a line may be at most :data:`MAX_LINE`
bytes (a longer one is refused, and skipped without being read into memory
whole), a text value at most :data:`MAX_STRING` characters (the CSV reader's
field limit), values may nest at most :data:`MAX_DEPTH` deep, and a number may
have at most :data:`MAX_NUMBER_DIGITS` digits. Each is a problem of its line, so
``--report-errors`` lists it with the others.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from jieqin.errors import Problem
from jieqin.io.headers import HeaderTable, normalise_header
from jieqin.io.kinds import Kind
from jieqin.io.records import Parsed, build
from jieqin.io.text import AUTO, MAX_LINE, LongLine, bounded_lines

__all__ = [
    "MAX_DEPTH",
    "MAX_LINE",
    "MAX_NUMBER_DIGITS",
    "MAX_STRING",
    "read_jsonl",
    "read_jsonl_file",
    "write_jsonl",
]

#: The longest text value, in characters: the limit the CSV reader has for one cell
#: (the ``csv`` module's default ``field_size_limit``).
MAX_STRING = 131_072

#: How deep objects and arrays may nest (a household, its members, their schooling).
MAX_DEPTH = 32

#: The most digits a number may have (Python refuses to read integers of over 4,300).
MAX_NUMBER_DIGITS = 40

_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class _Refused(ValueError):
    """A value the reader will not hold (raised from inside ``json.loads``)."""


def _number(text: str) -> int | float:
    if len(text) > MAX_NUMBER_DIGITS:
        raise _Refused(f"a number of {len(text)} digits; at most {MAX_NUMBER_DIGITS}")
    return int(text) if text.lstrip("-").isdigit() else float(text)


def _too_deep(text: str) -> bool:
    """Whether ``text`` nests objects and arrays over :data:`MAX_DEPTH` deep."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    depth = 0
    for match in _BRACKETS.finditer(text):
        char = text[match.start()]
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _long_string(data: object, path: str = "") -> str | None:
    """The path of the first text value (or key) of over :data:`MAX_STRING` characters."""
    if isinstance(data, str):
        return path or "value" if len(data) > MAX_STRING else None
    if isinstance(data, dict):
        for key, value in data.items():
            if len(key) > MAX_STRING:
                return path or "key"
            found = _long_string(value, f"{path}.{key}" if path else key)
            if found:
                return found
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found = _long_string(value, f"{path}[{index}]")
            if found:
                return found
    return None


def _parse(text: str | LongLine) -> tuple[object, str | None, str | None]:
    """``(data, reason, field)``: the JSON value of one line, or why it is refused."""
    if isinstance(text, LongLine):
        return None, f"the line is {text.size} bytes long; at most {MAX_LINE}", None
    if len(text) > MAX_LINE:
        return None, f"the line is {len(text)} characters long; at most {MAX_LINE}", None
    if _too_deep(text):
        return None, f"values nest over {MAX_DEPTH} levels deep", None
    try:
        data = json.loads(text, parse_int=_number, parse_float=_number)
    except _Refused as exc:
        return None, str(exc), None
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc.msg} at column {exc.colno}", None
    except (ValueError, RecursionError) as exc:
        return None, f"not a JSON value jieqin can read ({type(exc).__name__})", None
    if len(text) > MAX_STRING:
        field = _long_string(data)
        if field is not None:
            return None, f"a text value of over {MAX_STRING} characters", field
    return data, None, None


class _KeyNames:
    """Renames the keys of a record that are header aliases (``户编号``) to the field
    names they stand for; a key that is already a field name is left alone."""

    def __init__(self, kind: Kind, headers: HeaderTable) -> None:
        names = headers.key_names(kind)
        group = {c.name for c in kind.group_columns}
        if kind.group_columns:
            self.top = {k: v for k, v in names.items() if v in group}
            self.members = {k: v for k, v in names.items() if v not in group}
        else:
            self.top, self.members = names, {}
        #: Keys that are no alias: a record holding only these is passed on as it is.
        self.plain = {".".join(c.path).split(".")[0] for c in kind.all_columns()}
        self.plain |= {"members", "health", "schooling", "route", "costs", "note"}

    def _rename(self, data: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
        plain = self.plain
        if not names or all(key in plain for key in data):
            return data
        out: dict[str, Any] = {}
        for key, value in data.items():
            name = key if key in plain else names.get(normalise_header(key), key)
            if name != key and (name in data or name in out):
                name = key  # both spellings given: the converter refuses the alias
            out[name] = value
        return out

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        data = self._rename(data, self.top)
        members = data.get("members")
        if self.members and isinstance(members, list):
            data["members"] = [
                self._rename(m, self.members) if isinstance(m, dict) else m for m in members
            ]
        return data


def read_jsonl(
    lines: Iterable[str | LongLine],
    kind: Kind,
    *,
    source: str,
    headers: HeaderTable | None = None,
) -> Iterator[Parsed]:
    """Parse JSON Lines into ``kind`` records, one :class:`Parsed` per non-blank line.

    With ``headers``, a key that is a Chinese name or an alias of a column whose JSON
    form is one key (``户编号``, ``身份证号`` in a member) is read as that field."""
    rename = _KeyNames(kind, headers) if headers is not None else None
    for number, text in enumerate(lines, start=1):
        if isinstance(text, str) and not text.strip():
            continue
        data, reason, field = _parse(text)
        if reason is None and not isinstance(data, dict):
            reason = f"expected a JSON object, got {type(data).__name__}"
        if reason is not None:
            problem = Problem(reason, field=field, source=source, line=number)
            yield Parsed(number, None, (problem,))
            continue
        assert isinstance(data, dict)
        yield build(data if rename is None else rename(data), kind, source=source, line=number)


def read_jsonl_file(
    path: str | os.PathLike[str],
    kind: Kind,
    *,
    encoding: str = AUTO,
    source: str | None = None,
    on_bytes: Callable[[int], None] | None = None,
    headers: HeaderTable | None = None,
) -> Iterator[Parsed]:
    """Parse the JSON Lines file ``path``, reading at most :data:`MAX_LINE` bytes of a line."""
    name = source if source is not None else Path(path).name
    return read_jsonl(
        bounded_lines(path, encoding=encoding, source=name, on_bytes=on_bytes),
        kind,
        source=name,
        headers=headers,
    )


def write_jsonl(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """Write JSON-form records, one per line; returns how many were written."""
    count = 0
    dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
    for record in records:
        out.write(dumps(record))
        out.write("\n")
        count += 1
    return count
