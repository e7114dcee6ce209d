"""Masking resident ID numbers and phone numbers in values and free text.

A leaf module: it imports nothing from jieqin, so that the errors, the identity
checks and the log filter can all use it without importing one another.
"""

from __future__ import annotations

import re

__all__ = [
    "LANDLINE",
    "MASK",
    "MOBILE",
    "RESIDENT_ID",
    "mask_name",
    "mask_phone",
    "mask_resident_id",
    "mask_text",
]

MASK = "*"
"""What stands for each hidden character."""

RESIDENT_ID = re.compile(
    r"(?<![0-9A-Za-z])"
    r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"
    r"(?![0-9A-Za-z])"
)
"""Eighteen characters shaped like a resident ID: place, birth date, sequence, check."""

MOBILE = re.compile(r"(?<![0-9])(?:(?:\+|00)86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])")
"""A mainland mobile number, with or without +86 and with spaces or dashes in 3-4-4 groups."""

LANDLINE = re.compile(r"(?<![0-9])0[1-9][0-9]{1,2}[ -][2-9][0-9]{6,7}(?![0-9])")
"""A landline with its area code: ``0919-3182345``."""


def mask_resident_id(number: str) -> str:
    """Show only the first four and the last two characters: ``6102************1X``."""
    text = str(number)
    if len(text) <= 6:
        return MASK * len(text)
    return text[:4] + MASK * (len(text) - 6) + text[-2:]


def mask_name(name: str) -> str:
    """Keep the first character (the surname) and hide the rest: ``王**``, ``L******``.

    A person listed beside what they were granted is named this way unless the reader
    reveals, so a public notice or a screen shows no full name.
    """
    text = str(name).strip()
    if len(text) <= 1:
        return MASK * len(text)
    return text[0] + MASK * (len(text) - 1)


def mask_phone(phone: str) -> str:
    """Keep the first three and the last two digits: ``138******00``.

    Separators are dropped, so the masked form never reveals the grouping.
    """
    digits = [c for c in str(phone) if c.isdigit()]
    if len(digits) <= 5:
        return MASK * len(digits)
    return "".join(digits[:3]) + MASK * (len(digits) - 5) + "".join(digits[-2:])


#: The three shapes in one pattern, so that text is scanned once (and copied at most
#: once, when something is masked): every part of it is of bounded length, so the
#: scan takes time linear in the text.
_SENSITIVE = re.compile(
    "|".join(f"(?P<{name}>{p.pattern})" for name, p in (("id", RESIDENT_ID), ("phone", MOBILE)))
    + f"|(?P<landline>{LANDLINE.pattern})"
)


def _mask_match(match: re.Match[str]) -> str:
    text = match.group(0)
    return mask_resident_id(text) if match.lastgroup == "id" else mask_phone(text)


def mask_text(text: str) -> str:
    """``text`` with every resident-ID-like and phone-like substring masked.

    One pass in linear time; text with nothing to mask is returned as it is, not copied.
    """
    return _SENSITIVE.sub(_mask_match, text)
