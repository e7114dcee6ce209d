"""The errors jieqin raises on purpose.

Every error a caller can cause is a :class:`JieqinError`, so one ``except`` clause
catches them all. Errors about bad input say *where* (file, line, field) and *why*,
and never repeat a full resident ID number or a health fact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import attrs
from attrs import frozen

from jieqin._masking import mask_phone, mask_text
from jieqin.i18n import N_, Message, gettext, language, translated

__all__ = [
    "ActivityVoided",
    "AllocationError",
    "AppealRefused",
    "ConflictError",
    "DatabaseMissing",
    "DatabaseUnavailable",
    "DependencyMissing",
    "FundClosed",
    "GrantRevoked",
    "IllegalStageChange",
    "InvalidInput",
    "InvalidPeriod",
    "InvalidRegionCode",
    "InvalidResidentId",
    "InvalidValue",
    "JieqinError",
    "NeedSettled",
    "NotFound",
    "OutputError",
    "PairingError",
    "PaymentRefused",
    "PlanRefused",
    "PluginError",
    "Problem",
    "ReferralCompleted",
    "ReferralSettled",
    "SchemaOutdated",
    "StorageBusy",
    "StorageError",
    "StorageFull",
    "UnknownBackend",
]


class JieqinError(Exception):
    """Base of every error that jieqin raises on purpose.

    Its text (``str(error)``) is English. An error made with a message of the catalog
    (``NotFound(N_("no household {id}", id=...))``, a :class:`Problem` whose reason
    is one) says it in another language too: :meth:`said`.
    """

    def said(self, lang: str | None = None) -> str:
        """The error's text in ``lang`` (default :func:`jieqin.i18n.language`): its
        catalog message translated, else its English text."""
        if len(self.args) == 1 and isinstance(self.args[0], Message):
            return translated(self.args[0], lang)
        return str(self)


#: A quoted value, with backslash escapes. The quantifiers are possessive (the runs
#: between escapes cannot end anywhere else): the scan takes linear time and constant
#: memory, where a plain ``(a|b)*`` keeps a backtracking entry per character (1 GB
#: for one quoted value of 8 MiB).
_QUOTED = re.compile(r"'[^'\\\n]*+(?:\\.[^'\\\n]*+)*+'" + r'|"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"')


_LONG_DIGITS = re.compile(r"[0-9]{7,}")

#: The longest a quoted value may be to be shown as it is (else it is shown by length).
_SHOWN_QUOTE = 40

#: The longest reason a message keeps; the rest is dropped (and counted).
MAX_REASON = 1000

#: What may be left of a number where a long reason is cut: dropped with the rest.
_CUT_NUMBER = re.compile(r"[0-9Xx*+ -]+$")


_TEXT_OF = N_("<text of {length} characters>")
_IN_ALL = N_("... ({count} characters in all)")


def _text_of(length: int, lang: str) -> str:
    return gettext(_TEXT_OF, lang).format(length=length)


def _quoted(match: re.Match[str], lang: str = "en") -> str:
    # The length comes from the match's bounds: a huge quoted value is never copied.
    length = match.end() - match.start() - 2
    if length > _SHOWN_QUOTE:
        return _text_of(length, lang)
    text = match.group(0)[1:-1]
    # An escape (``\x00``, ``\n``) can glue digits onto a number, so that a phone
    # number no longer looks like one ('true\x0013800000001'); such a value is
    # garbage anyway, and is shown by its length too.
    if not text.isascii() or "\\" in text:
        return _text_of(length, lang)
    # A phone or ID number run together with other digits ('true013800000001', a
    # comma lost) has no shape to recognise: long digit runs in a rejected value are
    # masked whatever they look like.
    quote = match.group(0)[0]
    return quote + _LONG_DIGITS.sub(lambda m: mask_phone(m.group(0)), text) + quote


def _bounded(text: str, lang: str = "en") -> str:
    """``text`` cut to :data:`MAX_REASON` characters. A number the cut runs through is
    dropped with the rest, so that no part of an ID or phone number is left unmasked."""
    if len(text) <= MAX_REASON:
        return text
    kept = _CUT_NUMBER.sub("", text[:MAX_REASON])
    return kept + gettext(_IN_ALL, lang).format(count=len(text))


def _masked(reason: object) -> str:
    """The reason with sensitive-looking text hidden, in time linear in its length.

    Messages quote the value they reject, and a value can be in the wrong column (a
    diagnosis where a number belongs). Resident-ID-like and phone-like text is
    masked; a quoted value with non-ASCII characters (Chinese free text such as a
    diagnosis), escapes or over 40 characters is shown only by its length, and in
    other quoted values every run of seven or more digits is masked. A reason over
    :data:`MAX_REASON` characters is cut short: one pass over it, no copy of it.

    A :class:`~jieqin.i18n.Message` stays one: masked in English now, and masked the
    same way when it is said in another language.
    """
    if isinstance(reason, Message):
        return reason.through(_masked_in)
    return _masked_in(str(reason), "en")


def _masked_in(text: str, lang: str) -> str:
    """:func:`_masked` of a text said in ``lang``."""
    if lang == "en":
        return mask_text(_bounded(_QUOTED.sub(_quoted, text)))
    return mask_text(_bounded(_QUOTED.sub(lambda m: _quoted(m, lang), text), lang))


def _field_name(name: object) -> str | None:
    """A field name as shown: masked, and cut short (an unknown CSV header can be anything)."""
    if name is None:
        return None
    text = _masked(name)
    return text if len(text) <= 80 else text[:77] + "..."


@frozen
class Problem:
    """One thing wrong with one piece of input: where it is and why it is wrong.

    ``source`` is a file name (or another name for where the input came from),
    ``line`` the 1-based line or record number, ``field`` a dotted path such as
    ``members[2].birth_date``. In a workbook, ``sheet`` names the sheet and ``line``
    is the row: ``households.xlsx, sheet 成员, row 17, 身份证号: ...``.
    """

    reason: str = attrs.field(converter=_masked)
    field: str | None = attrs.field(default=None, converter=_field_name)
    source: str | None = None
    line: int | None = None
    sheet: str | None = attrs.field(default=None, kw_only=True, converter=_field_name)

    def __str__(self) -> str:
        return self.said("en")

    def said(self, lang: str | None = None) -> str:
        """The problem in ``lang`` (default :func:`jieqin.i18n.language`): where it is
        and its reason, each said in that language when the catalog has it
        (``households.xlsx，工作表 成员，第 17 行，身份证号：校验码不正确``); the
        file, sheet and column names stay as the file wrote them."""
        lang = lang or language()
        english = lang == "en"
        reason = str(self.reason) if english else translated(self.reason, lang)
        field = self.field if english or not self.field else translated(self.field, lang)

        def say(template: str, **values: object) -> str:
            if english:
                return template.format(**values)
            return gettext(template, lang).format(**values)

        if self.sheet is not None:
            parts = [
                self.source or say(_WORKBOOK),
                say(_SHEET, sheet=self.sheet),
            ]
            if self.line is not None:
                parts.append(say(_ROW, row=self.line))
            if field:
                parts.append(field)
            place = parts[0]
            for part in parts[1:]:
                place = say(_THEN, first=place, then=part)
            return say(_SAID, place=place, reason=reason)
        where = []
        if self.source is not None and self.line is not None:
            where.append(say(_FILE_LINE, source=self.source, line=self.line))
        elif self.source is not None:
            where.append(self.source)
        elif self.line is not None:
            where.append(say(_LINE, line=self.line))
        if field:
            where.append(field)
        said = reason
        for part in reversed(where):
            said = say(_SAID, place=part, reason=said)
        return said


#: The words that say where a problem is, and how the parts are put together.
_WORKBOOK = N_("workbook")
_SHEET = N_("sheet {sheet}")
_ROW = N_("row {row}")
_FILE_LINE = N_("{source} line {line}")
_LINE = N_("line {line}")
_THEN = N_("{first}, {then}")
_SAID = N_("{place}: {reason}")


class InvalidValue(JieqinError, ValueError):
    """A single value is not acceptable; names the field and the reason."""

    def __init__(
        self,
        reason: str,
        *,
        field: str | None = None,
        source: str | None = None,
        line: int | None = None,
    ) -> None:
        self.problem = Problem(reason=reason, field=field, source=source, line=line)
        super().__init__(str(self.problem))

    def said(self, lang: str | None = None) -> str:
        return self.problem.said(lang)

    @property
    def reason(self) -> str:
        return self.problem.reason

    @property
    def field(self) -> str | None:
        return self.problem.field


class InvalidResidentId(InvalidValue):
    """A resident ID number failed validation (length, format, check digit, date, place)."""


class InvalidRegionCode(InvalidValue):
    """An administrative region code is not a valid GB/T 2260 style code."""


class InvalidPeriod(InvalidValue):
    """A period such as ``2021``, ``2021Q1`` or ``2021-03`` could not be understood."""


class InvalidInput(JieqinError, ValueError):
    """One or more records of an input were rejected; nothing of it was written.

    ``problems`` lists each one with its source, line, field and reason.
    """

    def __init__(self, problems: Iterable[Problem], *, truncated: bool = False) -> None:
        self.problems: Sequence[Problem] = tuple(problems)
        self.truncated = truncated
        super().__init__(self.said("en"))

    def said(self, lang: str | None = None) -> str:
        """The problems in ``lang`` (default :func:`jieqin.i18n.language`): the one
        problem, or their count and one problem a line."""
        lang = lang or language()
        lines = [p.said(lang) for p in self.problems]
        if not lines:
            lines = [gettext(_INVALID, lang)]
        if len(lines) == 1 and not self.truncated:
            return lines[0]
        more = gettext(_NOT_ALL, lang) if self.truncated else ""
        head = gettext(_PROBLEMS, lang).format(count=len(lines), more=more)
        return head + "\n" + "\n".join(f"  {x}" for x in lines)

    def located(self, source: str | None, lines: Sequence[int] | None = None) -> InvalidInput:
        """The same problems as found in ``source``: each problem's ``line``, a place in
        a batch, becomes ``lines[line - 1]`` (the file line) when ``lines`` is given;
        a problem of a batch of one record (no place given) is at that record's line."""

        def where(problem: Problem) -> Problem:
            line = problem.line
            if lines is not None and line is not None and 0 < line <= len(lines):
                line = lines[line - 1]
            elif lines is not None and line is None and len(lines) == 1:
                line = lines[0]
            return attrs.evolve(problem, source=source or problem.source, line=line)

        return InvalidInput([where(p) for p in self.problems], truncated=self.truncated)


_INVALID = N_("invalid input")
_NOT_ALL = N_(" (more not shown)")
_PROBLEMS = N_("{count} problems{more}:")


class StorageError(JieqinError):
    """The storage backend could not do what was asked."""


class UnknownBackend(StorageError):
    """No storage backend is registered for a URL scheme."""


class SchemaOutdated(StorageError):
    """The database was made by an older jieqin; run ``jieqin db upgrade``."""


class StorageBusy(StorageError):
    """Other writers kept the database locked for longer than jieqin waits for it."""


class StorageFull(StorageError):
    """The database or the disk it is on is full; nothing of the unit of work was written."""


class DatabaseMissing(StorageError):
    """The database asked for does not exist (and was not to be created)."""


class DatabaseUnavailable(StorageError):
    """The database cannot be reached or opened: a server that does not answer, a
    refused login, a file jieqin may not open."""


class DependencyMissing(JieqinError):
    """An optional dependency is not installed; the message names the extra to install."""


class OutputError(JieqinError):
    """Output could not be written (a full disk, a closed pipe, an encoding that lacks a
    character); names the output and what to do."""


class NotFound(StorageError, KeyError):
    """A record with the given id does not exist."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


class ConflictError(StorageError):
    """A write conflicts with what is stored (a duplicate, a concurrent change)."""


class PluginError(JieqinError):
    """A plugin failed to load or one of its hooks failed; names the plugin."""


class PairingError(JieqinError):
    """A pairing policy or instance cannot be solved as asked."""


class AllocationError(JieqinError):
    """An aid allocation cannot be made as asked (for example it would overspend a fund)."""


class FundClosed(ConflictError):
    """A fund was closed: it takes no top-up and grants nothing more."""


class GrantRevoked(ConflictError):
    """A grant was already revoked: a revocation stands and is not made twice."""


class PaymentRefused(ConflictError):
    """A grant's payment cannot move as asked: a revoked grant paid, a payment or return
    changed once recorded, a batch changed, anything but the payment changed."""


class ActivityVoided(ConflictError):
    """An activity was already voided: a void stands and is not made twice."""


class PlanRefused(ConflictError):
    """An allocation plan cannot take the step asked: it is not approved yet, its public
    notice has not ended (or is over, for an objection), it was committed or withdrawn
    already, or an objection was decided already."""


class NeedSettled(ConflictError):
    """A need was already resolved or closed: it is not settled twice."""


class ReferralSettled(ConflictError):
    """A referral cannot take the step asked: it was rejected or completed already, or
    accepted (a step the agency reported stands)."""


class ReferralCompleted(ReferralSettled):
    """A referral was already completed: a completion stands."""


class IllegalStageChange(ConflictError):
    """A grievance cannot move to the stage asked: stages only move forward (received,
    in progress, answered, closed), and what a stage recorded stays as it is."""


class AppealRefused(JieqinError):
    """A decision cannot be appealed as asked (it granted, it is a revocation, or the
    member already holds a grant of the programme period)."""
