"""One parsed input record: the model object built from it, or what was wrong with it."""

from __future__ import annotations

from attrs import frozen

from jieqin.errors import InvalidInput, Problem
from jieqin.io.converter import structure
from jieqin.io.kinds import Kind

__all__ = ["Parsed", "build"]


@frozen
class Parsed:
    """A record read from ``line`` of an input: ``value`` if it is good, else ``problems``."""

    line: int
    value: object | None
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def build(data: object, kind: Kind, *, source: str, line: int) -> Parsed:
    """Structure ``data`` (the converter's JSON form) into ``kind.cls``."""
    try:
        return Parsed(line, structure(data, kind.cls, source=source, line=line))
    except InvalidInput as exc:
        return Parsed(line, None, tuple(exc.problems))
