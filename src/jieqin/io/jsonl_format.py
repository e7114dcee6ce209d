"""JSON Lines: one record per line, in the converter's JSON form (as ``to_json`` writes it).

Blank lines are skipped. A household line carries its members nested, so a bad
member is reported as ``members[2].birth_date`` on the household's line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from jieqin.errors import Problem
from jieqin.io.kinds import Kind
from jieqin.io.records import Parsed, build

__all__ = ["read_jsonl", "write_jsonl"]


def read_jsonl(lines: Iterable[str], kind: Kind, *, source: str) -> Iterator[Parsed]:
    """Parse JSON Lines into ``kind`` records, one :class:`Parsed` per non-blank line."""
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            reason = f"not valid JSON: {exc.msg} at column {exc.colno}"
            yield Parsed(number, None, (Problem(reason, source=source, line=number),))
            continue
        if not isinstance(data, dict):
            reason = f"expected a JSON object, got {type(data).__name__}"
            yield Parsed(number, None, (Problem(reason, source=source, line=number),))
            continue
        yield build(data, kind, source=source, line=number)


def write_jsonl(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """Write JSON-form records, one per line; returns how many were written."""
    count = 0
    dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
    for record in records:
        out.write(dumps(record))
        out.write("\n")
        count += 1
    return count
