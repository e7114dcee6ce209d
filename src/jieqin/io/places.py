"""Where a problem of an import is, as the person who made the file reads it.

The readers name columns by their English names and rows by number. A file with
Chinese headers (or a plugin's aliases) reads better when a problem names the
header it wrote (``身份证号``, not ``resident_id``), and a workbook's problem names
its sheet and row (``households.xlsx, sheet 成员, row 17, 身份证号: ...``).
:class:`Places` rewrites the problems of one input so, once, at the edge: the
readers and the write checks stay the same for every format.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping

import attrs

from jieqin.errors import InvalidInput, Problem
from jieqin.i18n import Message
from jieqin.io.kinds import Kind
from jieqin.io.records import Parsed

__all__ = ["Place", "Places"]

#: ``(sheet, row, headers as written by column name)`` of a problem's line and field.
Place = tuple[str | None, int | None, Mapping[str, str]]

_LINES = re.compile(r"\blines (\d+)-(\d+)")
_LINE = re.compile(r"\bline (\d+)")
_MEMBER = re.compile(r"^members\[\d+\]\.")


def _as_rows(text: str, lang: str) -> str:
    """A reason's lines named as a workbook's rows (``line 17`` is ``row 17``); Chinese
    says both as ``第 17 行``."""
    if lang != "en":
        return text
    return _LINE.sub(r"row \1", _LINES.sub(r"rows \1-\2", text))


class Places:
    """Rewrites the problems of one input: headers as written, sheet and row.

    ``written`` (column name -> header as written) is filled by the reader once it
    has read the header; ``place`` (set by a workbook reader) gives the sheet and row
    of a line and field. A problem that already names a sheet is left as it is.
    """

    def __init__(self, kind: Kind) -> None:
        self.kind = kind
        self.written: dict[str, str] = {}
        self.place: Callable[[int | None, str | None], Place] | None = None

    def _field(self, field: str | None, names: Mapping[str, str]) -> str | None:
        if not field or not names:
            return field
        prefix = ""
        match = _MEMBER.match(field)
        if match is not None:
            prefix, field = match.group(0), field[match.end() :]
        if field in names:
            return prefix + names[field]
        column = self.kind.column_for(field)
        if column is None or column not in names:
            return prefix + field
        return prefix + names[column] + field[len(column) :]

    def problem(self, problem: Problem) -> Problem:
        """``problem`` as the input's author reads it."""
        if problem.sheet is not None:
            return problem
        if self.place is None:
            field = self._field(problem.field, self.written)
            return problem if field == problem.field else attrs.evolve(problem, field=field)
        sheet, row, names = self.place(problem.line, problem.field)
        said = problem.reason
        reason = said.through(_as_rows) if isinstance(said, Message) else _as_rows(said, "en")
        return attrs.evolve(
            problem, reason=reason, field=self._field(problem.field, names), line=row, sheet=sheet
        )

    def problems(self, problems: Iterable[Problem]) -> list[Problem]:
        """Each problem rewritten; the same problem twice (a household's refused cell on
        each of its rows) once."""
        out: dict[Problem, None] = {}
        for problem in problems:
            out.setdefault(self.problem(problem), None)
        return list(out)

    def error(self, error: InvalidInput) -> InvalidInput:
        """``error`` with its problems rewritten."""
        return InvalidInput(self.problems(error.problems), truncated=error.truncated)

    def parsed(self, records: Iterable[Parsed]) -> Iterator[Parsed]:
        """The records, each bad one's problems rewritten."""
        for record in records:
            if record.problems:
                record = Parsed(record.line, None, tuple(self.problems(record.problems)))
            yield record
