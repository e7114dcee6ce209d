"""Keeping resident ID numbers, phone numbers and health facts out of what people read.

Three tools, for three places sensitive data could leak:

- :func:`mask_phone`, :func:`mask_text` and :func:`mask_resident_id` mask values and
  free text (they live in the dependency-free :mod:`jieqin._masking`);
- :class:`MaskingFilter`, installed by :func:`install_log_masking` (the ``jieqin``
  command does it; ``import jieqin`` changes no logging of the process), masks every resident-ID-like and phone-like substring of every log record
  of jieqin (and of SQLAlchemy and Alembic, whose statement logs carry parameters);
- :func:`find_sensitive` reports unmasked occurrences in a text: of the given resident
  IDs, phones and diagnoses, of anything that looks like a resident ID or a mobile
  number, and of a health or disability word beside a person (kind ``health``: a
  word of :data:`jieqin._free_text.HEALTH_WORDS` within :data:`HEALTH_WINDOW`
  characters of a given member or household id or name, or of a resident-ID-shaped
  number, masked or not). Tests use it to show that reports, exports, logs and errors
  are clean.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from attrs import frozen

from jieqin._free_text import HEALTH_WORD_PATTERN
from jieqin._masking import MOBILE as _MOBILE
from jieqin._masking import RESIDENT_ID as _RESIDENT_ID
from jieqin._masking import mask_phone, mask_resident_id, mask_text

__all__ = [
    "HEALTH_WINDOW",
    "LOGGER_PREFIXES",
    "Finding",
    "MaskingFilter",
    "find_sensitive",
    "install_log_masking",
    "mask_phone",
    "mask_resident_id",
    "mask_text",
    "uninstall_log_masking",
]

#: Loggers whose records are masked: jieqin's own, and the database layers below it.
LOGGER_PREFIXES: tuple[str, ...] = ("jieqin", "sqlalchemy", "alembic")

HEALTH_WINDOW = 80
"""How near (in characters, either side) a health word must be to a person to count."""

_TOKEN = re.compile(r"[^\s,;:|│┃\"'{}\[\]()<>=/]+")
"""A word of a CSV row, a JSON line or a table cell: what a person's id or name is."""

_ID_SHAPE = re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{3}[0-9*]{12}[0-9*][0-9Xx*](?![0-9A-Za-z])")
"""A resident ID number, in clear or masked (``6102************1X``)."""

_DIGIT_RUN = re.compile(r"[0-9](?:[ -]?[0-9Xx])*")
"""A run of digits (and X), possibly grouped by single spaces or dashes."""


class MaskingFilter(logging.Filter):
    """Masks resident IDs and phone numbers in a log record; never drops a record.

    The formatted message replaces ``msg`` (with no ``args`` left to format), and a
    traceback is formatted and masked into ``exc_text`` so that handlers print the
    masked one.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_jieqin_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what there is, masked
            message = f"{record.msg!s} {record.args!r}"
        record.msg = mask_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        record._jieqin_masked = True
        return True


_FILTER = MaskingFilter()
_installed_factory: Callable[..., logging.LogRecord] | None = None
_previous_factory: Callable[..., logging.LogRecord] | None = None


def _masked_in(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def install_log_masking(prefixes: tuple[str, ...] = LOGGER_PREFIXES) -> MaskingFilter:
    """Mask every record of the loggers under ``prefixes``; safe to call again.

    The filter goes on the ``jieqin`` logger itself, and the log record factory is
    wrapped so that records of child loggers (``jieqin.storage.sql``) and of the
    database layers are masked as they are made: a logger's filters do not see the
    records its children pass up to it. The previous factory is kept and called first.
    Nothing is masked until this is called: ``import jieqin`` leaves logging alone.
    """
    global _installed_factory, _previous_factory
    root = logging.getLogger("jieqin")
    if _FILTER not in root.filters:
        root.addFilter(_FILTER)
    if _installed_factory is not None and logging.getLogRecordFactory() is _installed_factory:
        return _FILTER
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _masked_in(record.name, prefixes):
            _FILTER.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed_factory, _previous_factory = factory, previous
    return _FILTER


def uninstall_log_masking() -> None:
    """Undo :func:`install_log_masking` (for tests that mask the log for a while).

    The filter leaves the ``jieqin`` logger, and the previous log record factory is
    restored unless another one has wrapped jieqin's since (it then keeps masking).
    """
    global _installed_factory, _previous_factory
    logging.getLogger("jieqin").removeFilter(_FILTER)
    if _installed_factory is not None and logging.getLogRecordFactory() is _installed_factory:
        assert _previous_factory is not None
        logging.setLogRecordFactory(_previous_factory)
        _installed_factory = _previous_factory = None


@frozen
class Finding:
    """One unmasked sensitive value found in a text: what kind, where, and around it.

    ``shown`` is the value masked and ``context`` the text around it with the value
    masked, so that a failing test's message does not itself leak the value.
    """

    kind: str
    start: int
    shown: str
    context: str

    def __str__(self) -> str:
        return f"unmasked {self.kind} {self.shown} at {self.start}: ...{self.context}..."


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def find_sensitive(
    text: str,
    *,
    resident_ids: Iterable[str] = (),
    phones: Iterable[str] = (),
    diagnoses: Iterable[str] = (),
    patterns: bool = True,
    persons: Iterable[str] = (),
    health: bool = True,
    ignore: Iterable[str] = (),
) -> list[Finding]:
    """Every unmasked resident ID, phone number or diagnosis in ``text``, and every
    health word beside a person.

    The given resident IDs and phones are looked for as digit sequences, also where
    single spaces or dashes group them (``138 1234 5678``) or a longer run of digits
    holds them, in one pass over the text; a final ``x`` counts as ``X``. With ``patterns`` anything shaped like a
    resident ID (with a valid check character) or a mobile number also counts.
    With ``health``, a health or disability word (``大病``, ``残疾``, ``major_illness``...)
    within :data:`HEALTH_WINDOW` characters of one of ``persons`` (member or household
    ids, names: a whole word of the text) or of a resident-ID-shaped number is a
    finding of kind ``health``. ``ignore`` lists text that reads the same whatever
    the person (a programme id such as ``tc_major_illness_grant`` a command names):
    health words inside it are not findings.
    Findings are sorted by position; overlapping ones are reported once.
    """
    found: dict[tuple[int, str], Finding] = {}
    spans: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int, shown: str) -> None:
        if any(s <= start < e for s, e in spans):
            return
        spans.append((start, end))
        before = mask_text(text[max(0, start - 30) : start])
        after = mask_text(text[end : end + 30])
        found[(start, kind)] = Finding(kind, start, shown, f"{before}{shown}{after}")

    ids = {str(n).upper() for n in resident_ids if n}
    phone_digits = {_digits(str(p)) for p in phones if p} - {""}
    if ids or phone_digits:
        # One pass over the runs of digits (a space or a dash may separate them); every
        # window of a wanted length is looked up, so a value inside a longer run is found.
        id_lengths = {len(n) for n in ids}
        phone_lengths = {len(p) for p in phone_digits}
        for run in _DIGIT_RUN.finditer(text):
            offsets = [i for i, c in enumerate(run.group(0)) if c not in " -"]
            chars = "".join(run.group(0)[i] for i in offsets).upper()
            for length in id_lengths:
                for i in range(len(chars) - length + 1):
                    if chars[i : i + length] in ids:
                        a, b = run.start() + offsets[i], run.start() + offsets[i + length - 1] + 1
                        add("resident_id", a, b, mask_resident_id(chars[i : i + length]))
            for length in phone_lengths:
                for i in range(len(chars) - length + 1):
                    if chars[i : i + length] in phone_digits:
                        a, b = run.start() + offsets[i], run.start() + offsets[i + length - 1] + 1
                        add("phone", a, b, mask_phone(chars[i : i + length]))
    wanted = sorted({str(d) for d in diagnoses if d and str(d).strip()}, key=len, reverse=True)
    if wanted:
        for m in re.finditer("|".join(map(re.escape, wanted)), text):
            add("diagnosis", m.start(), m.end(), "<diagnosis>")
    if health:
        scanned = text
        for literal in {str(i) for i in ignore if i}:
            scanned = scanned.replace(literal, " " * len(literal))
        for start, end in _health_beside_person(scanned, {str(p) for p in persons if p}):
            add("health", start, end, "<health word>")
    if patterns:
        for m in _RESIDENT_ID.finditer(text):
            if _valid_check(m.group(0)):
                add("resident_id", m.start(), m.end(), mask_resident_id(m.group(0)))
        for m in _MOBILE.finditer(text):
            add("phone", m.start(), m.end(), mask_phone(m.group(0)))
    return sorted(found.values(), key=lambda f: (f.start, f.kind))


def _health_beside_person(text: str, persons: set[str]) -> Iterator[tuple[int, int]]:
    """The spans of health words in ``text`` with a person within the window."""
    for m in HEALTH_WORD_PATTERN.finditer(text):
        window = text[max(0, m.start() - HEALTH_WINDOW) : m.end() + HEALTH_WINDOW]
        if _ID_SHAPE.search(window) or any(t.group(0) in persons for t in _TOKEN.finditer(window)):
            yield m.start(), m.end()


def _valid_check(number: str) -> bool:
    # imported here: the log filter above needs none of the model
    from jieqin.model.identity import check_digit

    return check_digit(number[:17]) == number[17].upper()
