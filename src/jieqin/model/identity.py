"""Resident identity card numbers (居民身份证号码, GB 11643).

Validation is python-stdnum's (``stdnum.cn.ric``): length, digits, the ISO 7064
MOD 11-2 check character, the birth date and the birth-place code as it was at the
birth year. This module adds masking and messages that never repeat the number.
"""

from __future__ import annotations

import functools
from datetime import date

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from jieqin._masking import mask_resident_id
from jieqin.errors import InvalidResidentId
from jieqin.i18n import N_, Message

__all__ = [
    "birth_place_known",
    "birthplace_codes",
    "check_digit",
    "mask_resident_id",
    "resident_id_birth_date",
    "resident_id_sex_digit",
    "validate_resident_id",
]


def validate_resident_id(number: str, *, field: str = "resident_id") -> str:
    """Return the number in its compact form, or raise :class:`InvalidResidentId`.

    The error names ``field`` and the reason (wrong length, not digits, bad check
    digit, bad birth date, unknown birth place) and shows the number masked.
    """
    if not isinstance(number, str):
        raise InvalidResidentId(
            N_("expected text, got {type}", type=type(number).__name__), field=field
        )
    if _valid_compact(number):
        return number
    compact = ric.compact(number)
    shown = mask_resident_id(compact)
    try:
        return str(ric.validate(compact))
    except InvalidLength:
        reason = N_(
            "wrong length: {count} characters, expected 18 ({number})",
            count=len(compact),
            number=shown,
        )
    except InvalidFormat:
        reason = N_("not digits: the first 17 characters must be digits ({number})", number=shown)
    except InvalidChecksum:
        reason = N_("bad check digit ({number})", number=shown)
    except InvalidComponent:
        reason = _component_reason(compact, shown)
    except KeyError:  # stdnum knows the code only as a prefecture or province
        reason = N_("unknown birth-place code for the birth year ({number})", number=shown)
    except ValidationError as exc:  # pragma: no cover - stdnum may add kinds
        reason = N_("invalid ({error}) ({number})", error=type(exc).__name__, number=shown)
    raise InvalidResidentId(reason, field=field)


_DIGITS = frozenset("0123456789")


def _valid_compact(number: str) -> bool:
    """Whether ``number`` is a valid number already in compact form (the fast path).

    Gives exactly ``ric.validate``'s answer for such numbers, but asks stdnum about a
    birth place only once per (place code, birth year): importing a million members
    would otherwise spend most of its time in stdnum's place lookup. Anything else
    (and every invalid number) goes through ``ric.validate`` for its precise reason.
    """
    if len(number) != 18 or not _DIGITS.issuperset(number[:17]):
        return False
    if number[17] != ric.calc_check_digit(number):
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return _birth_place_known(number[:6], born.year)


@functools.lru_cache(maxsize=1 << 16)
def _birth_place_known(place: str, year: int) -> bool:
    """Whether stdnum knows ``place`` as a county-level birth place in ``year``."""
    try:
        ric.get_birth_place(f"{place}{year:04d}0101")
    except (ValidationError, KeyError):
        return False
    return True


def birth_place_known(place: str, year: int) -> bool:
    """Whether the six-digit ``place`` was a county-level birth-place code in ``year``.

    The check :func:`validate_resident_id` makes of a number's first six digits
    (answered from a cache after the first question about a place and year).
    """
    return _birth_place_known(place, year)


def _component_reason(compact: str, shown: str) -> Message:
    try:
        ric.get_birth_date(compact)
    except InvalidComponent:
        return N_("bad birth date embedded in the number ({number})", number=shown)
    return N_("unknown birth-place code for the birth year ({number})", number=shown)


def resident_id_birth_date(number: str) -> date:
    """The birth date embedded in a (valid) number."""
    if len(number) == 18 and _DIGITS.issuperset(number[:14]):
        try:
            return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            pass
    return ric.get_birth_date(number)


def resident_id_sex_digit(number: str) -> int:
    """The 17th digit: odd for men, even for women."""
    return int(ric.compact(number)[16])


def check_digit(first17: str) -> str:
    """The check character (``0``-``9`` or ``X``) for the first 17 digits."""
    return str(ric.calc_check_digit(first17 + "0"))


@functools.cache
def _county_table() -> tuple[tuple[str, int | None, int | None], ...]:
    """(six-digit code, first year, last year) for every county-level birth-place code."""
    rows: list[tuple[str, int | None, int | None]] = []
    db = numdb.get("cn/loc")
    for _length, low, high, _props, children in db.prefixes:
        if low != high:
            continue
        for _clen, clow, chigh, cprops, _ in children:
            if clow != chigh or clow.endswith("00"):
                continue
            code = low + clow
            for spec in cprops.get("county", "").split(","):
                first = last = None
                if spec.startswith("["):
                    span = spec[1:].split("]")[0]
                    start, _, end = span.partition("-")
                    first = int(start) if start else None
                    last = int(end) if end else None
                rows.append((code, first, last))
    return tuple(sorted(set(rows), key=lambda r: (r[0], r[1] or 0, r[2] or 9999)))


@functools.lru_cache(maxsize=1024)
def birthplace_codes(year: int, *, within: str = "") -> tuple[str, ...]:
    """County-level birth-place codes in use in ``year``, optionally under a prefix
    (remembered: generators and tests ask for the same few again and again).

    A person keeps the number issued where they were registered, so a woman born in
    1970 in what is now Yaozhou district carries 610221 (the old Yao county), not 610204.
    """
    seen: dict[str, None] = {}
    for code, first, last in _county_table():
        if not code.startswith(within):
            continue
        if (first is None or year >= first) and (last is None or year <= last):
            seen[code] = None
    return tuple(seen)
