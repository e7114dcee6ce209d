"""Scanning free text on output: ID-, phone- and bank-card-shaped text, and health words.

Notes, reasons and explanations are typed by people, so they can hold anything: a
resident ID number, a phone number, a bank card number, or "大病" beside a
household's id. :func:`mask_free_text` is the one scan every output applies to free
text: it masks what :func:`jieqin._masking.mask_text` masks (resident IDs, mobile
and landline numbers), then bank-card numbers (:func:`mask_bank_cards`), then health
and disability words (:data:`HEALTH_WORDS`).

A leaf like :mod:`jieqin._masking`: it imports nothing of jieqin but that module,
so :mod:`jieqin.privacy` (the scanner tests use) and the exporters share one list.
"""

from __future__ import annotations

import re

from jieqin._masking import MASK, mask_text

__all__ = [
    "BANK_CARD",
    "HEALTH_PLACEHOLDER",
    "HEALTH_WORDS",
    "HEALTH_WORD_PATTERN",
    "mask_bank_cards",
    "mask_free_text",
    "mask_health_words",
]

HEALTH_PLACEHOLDER = "<masked>"
"""What a health word in free text reads on output."""

BANK_CARD = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){15,18}(?![0-9])")
"""Sixteen to nineteen digits, possibly grouped by single spaces or dashes."""

#: Words that name a health or disability fact, in Chinese and English. Chinese words
#: match anywhere; English ones as words (an underscore joins words: ``major_illness``).
HEALTH_WORDS: tuple[str, ...] = (
    "大病",
    "重病",
    "重疾",
    "重症",
    "慢性病",
    "慢病",
    "残疾",
    "残障",
    "伤残",
    "瘫痪",
    "偏瘫",
    "截肢",
    "失明",
    "智障",
    "癌",
    "肿瘤",
    "白血病",
    "尿毒症",
    "透析",
    "精神病",
    "精神疾病",
    "精神分裂",
    "抑郁症",
    "结核",
    "艾滋",
    "心肌梗死",
    "中风",
    "脑梗",
    "major_illness",
    "major illness",
    "chronic_illness",
    "chronic illness",
    "disabled",
    "disability",
    "disabilities",
    "diagnosed",
    "cancer",
    "tumour",
    "tumor",
    "dialysis",
    "uremia",
    "leukemia",
    "leukaemia",
    "psychiatric",
    "mental illness",
    "schizophrenia",
)


def _health_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    def one(word: str) -> str:
        text = re.escape(word)
        if word.isascii():
            # a field name such as ``disability_grade`` is structure, not a fact
            return rf"(?<![A-Za-z]){text}(?![A-Za-z]|_grade)"
        return text

    ordered = sorted(words, key=len, reverse=True)
    return re.compile("|".join(one(w) for w in ordered), re.IGNORECASE)


HEALTH_WORD_PATTERN: re.Pattern[str] = _health_pattern(HEALTH_WORDS)
"""One pattern matching any of :data:`HEALTH_WORDS` (linear: an alternation of literals)."""


def _mask_card(match: re.Match[str]) -> str:
    digits = [c for c in match.group(0) if c.isdigit()]
    from stdnum import luhn  # here: ``jieqin --version`` loads no number checking

    if not luhn.is_valid("".join(digits)):
        return match.group(0)
    return "".join(digits[:4]) + MASK * (len(digits) - 8) + "".join(digits[-4:])


def mask_bank_cards(text: str) -> str:
    """``text`` with every bank-card-shaped number masked (16 to 19 digits passing Luhn).

    The first four and last four digits stay (``6222**********1234``), as on a receipt.
    """
    if len(text) < 16:
        return text
    return BANK_CARD.sub(_mask_card, text)


#: The first characters of the Chinese health words, and the English words in lower
#: case: text holding none of them can hold no health word (:func:`_may_hold_health_word`).
_FIRST_CHARACTERS = frozenset(w[0] for w in HEALTH_WORDS if not w.isascii())
_ENGLISH_WORDS = re.compile(
    "|".join(re.escape(w) for w in sorted({w.lower() for w in HEALTH_WORDS if w.isascii()}))
)

#: The characters besides ASCII letters that match an ASCII letter when case is
#: ignored (``re.IGNORECASE`` on text): dotted and dotless i, long s, the Kelvin sign.
_FOLDING_TO_ASCII = frozenset("\u0130\u0131\u017f\u212a")


def _may_hold_health_word(text: str) -> bool:
    """A cheap test before the pattern: ``False`` only when no health word can match.

    ASCII text is lowered and searched for the English words (a match of the pattern
    is one of them in some case); other text may match when it holds the first
    character of a Chinese word, an ASCII letter or a letter folding to one."""
    if text.isascii():
        return _ENGLISH_WORDS.search(text.lower()) is not None
    if not _FIRST_CHARACTERS.isdisjoint(text) or not _FOLDING_TO_ASCII.isdisjoint(text):
        return True
    return _ASCII_LETTER.search(text) is not None


_ASCII_LETTER = re.compile("[A-Za-z]")


def mask_health_words(text: str) -> str:
    """``text`` with every health or disability word replaced by ``<masked>``."""
    if not _may_hold_health_word(text):
        return text
    return HEALTH_WORD_PATTERN.sub(HEALTH_PLACEHOLDER, text)


def mask_free_text(text: str) -> str:
    """The one scan of free text on output: IDs, phones, bank cards and health words masked.

    Resident IDs go first, so the eighteen characters of an ID are never read as a card.
    """
    return mask_health_words(mask_bank_cards(mask_text(text)))
