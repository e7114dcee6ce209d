"""The language jieqin speaks to people, and the message catalogs that hold its words.

jieqin speaks Chinese first. What the command line says to a person (its help, its
one-line errors, the demo's tables, the import and export summaries) and the words
of the reports are looked up in the gettext catalogs of the ``jieqin`` domain, in
``jieqin/locale``. The message ids are the English texts of the source; the
``zh_CN`` catalog holds their Chinese, the ``en`` catalog is the English source as
it is. The catalogs are edited as ``.po`` files with Babel (``nox -s
catalogs-extract``, then ``nox -s catalogs-compile``) and ship compiled (``.mo``) in
the package.

The language is, in this order: the one a ``--lang`` option (or :func:`speaking`)
chose, the ``JIEQIN_LANG`` variable, the locale (``LC_ALL``, ``LC_MESSAGES``,
``LANG``: the first that is set), else Chinese. A locale or variable naming a
language jieqin does not speak (``fr_FR``, ``C``) counts as not choosing.
"""

from __future__ import annotations

import gettext as _gettext
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "CATALOG_LOCALES",
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "LANGUAGES",
    "LANG_ENV",
    "LOCALE_DIR",
    "LOCALE_ENVS",
    "N_",
    "Message",
    "_",
    "gettext",
    "language",
    "language_of",
    "ngettext",
    "pgettext",
    "speaking",
    "translated",
    "translations",
]

#: The gettext domain of jieqin's catalogs.
DOMAIN = "jieqin"

#: Where the catalogs are: ``<locale>/LC_MESSAGES/jieqin.mo`` (and the ``.po`` it is
#: compiled from).
LOCALE_DIR = Path(__file__).with_name("locale")

#: The languages jieqin speaks, the default first.
LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

#: The catalog (gettext locale) of each language.
CATALOG_LOCALES = {"zh": "zh_CN", "en": "en"}

#: The variable that chooses the language, before the locale.
LANG_ENV = "JIEQIN_LANG"

#: The locale variables, in the order POSIX gives them precedence for messages.
LOCALE_ENVS = ("LC_ALL", "LC_MESSAGES", "LANG")

_LANGUAGE_PART = re.compile(r"[A-Za-z]+")

_chosen: ContextVar[str | None] = ContextVar("jieqin_language", default=None)


def language_of(text: str | None) -> str | None:
    """The language a ``--lang`` value, ``JIEQIN_LANG`` or a locale names (``zh_CN.UTF-8``
    and ``zh-Hans`` are ``zh``, ``en_US`` is ``en``), or ``None`` for one jieqin does
    not speak (``fr_FR``, ``C``, ``POSIX``, empty)."""
    if not text:
        return None
    found = _LANGUAGE_PART.match(text.strip())
    if found is None:
        return None
    code = found.group(0).lower()
    return code if code in LANGUAGES else None


def language() -> str:
    """The language to speak now: :func:`speaking`'s, else ``JIEQIN_LANG``'s, else the
    locale's (the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set), else
    :data:`DEFAULT_LANGUAGE`."""
    chosen = _chosen.get()
    if chosen is not None:
        return chosen
    named = language_of(os.environ.get(LANG_ENV))
    if named is not None:
        return named
    for variable in LOCALE_ENVS:
        value = os.environ.get(variable, "").strip()
        if value:
            return language_of(value) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


@contextmanager
def speaking(lang: str | None) -> Iterator[str]:
    """Speak ``lang`` (``zh``, ``en``, or a locale naming one) inside the block; ``None``
    leaves the choice to :func:`language`. Another language raises
    :class:`~jieqin.errors.InvalidValue` naming the ones there are."""
    if lang is None:
        yield language()
        return
    chosen = language_of(lang)
    if chosen is None:
        from jieqin.errors import InvalidValue

        raise InvalidValue(
            f"unknown language {lang!r}; one of {', '.join(LANGUAGES)}", field="lang"
        )
    token = _chosen.set(chosen)
    try:
        yield chosen
    finally:
        _chosen.reset(token)


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``lang`` (English, the source, when it has none)."""
    locale = CATALOG_LOCALES.get(lang, lang)
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[locale], fallback=True)


def gettext(message: str, lang: str | None = None) -> str:
    """``message`` (an English message id) in ``lang``, by default :func:`language`."""
    return translations(lang or language()).gettext(message)


def ngettext(singular: str, plural: str, n: int, lang: str | None = None) -> str:
    """The singular or plural message for ``n``, in ``lang`` (default :func:`language`)."""
    return translations(lang or language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str, lang: str | None = None) -> str:
    """``message`` as it is said in ``context`` (the same English word may take two
    translations: a report's ``program`` and a command's), in ``lang``."""
    return translations(lang or language()).pgettext(context, message)


_ = gettext


class Message(str):
    """An English text that remembers the catalog message it was made from, to be said
    in another language where it is shown (an error's reason, said in the language of
    the run that prints it).

    It *is* its English text (``str(message)``, ``==``, ``in``, a log line), so code and
    tests that handle English text see no difference; :func:`translated` says it in a
    language: the catalog's translation of :attr:`template`, filled with
    :attr:`fields` (each one said in that language too, when it is a
    :class:`Message`), then passed through the :attr:`shown` filters (the masking of
    an error's reason). Made by :func:`N_`; anything done to it as text (``+``,
    slicing, ``.strip()``, an f-string) gives plain English text.
    """

    template: str
    fields: Mapping[str, object]
    shown: tuple[Callable[[str, str], str], ...]

    def __new__(
        cls,
        template: str,
        fields: Mapping[str, object] | None = None,
        shown: tuple[Callable[[str, str], str], ...] = (),
    ) -> Message:
        values = dict(fields or {})
        text = template.format(**values) if values else template
        for show in shown:
            text = show(text, "en")
        self = super().__new__(cls, text)
        self.template = template
        self.fields = values
        self.shown = shown
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Message, (self.template, self.fields, self.shown))

    def through(self, shown: Callable[[str, str], str]) -> Message:
        """The same message, shown through ``shown`` (``shown(text, language)``, a
        module's function: a message is pickled with it) in English now and in any
        language later; a filter it is shown through already is not applied twice."""
        if shown in self.shown:
            return self
        # A field that is a message is shown through it too; the rest are shown through
        # it as part of the whole, in the language it is said in.
        fields = {
            k: v.through(shown) if isinstance(v, Message) else v for k, v in self.fields.items()
        }
        return Message(self.template, fields, (*self.shown, shown))

    def format(self, *args: object, **kwargs: object) -> str:
        """``str.format``; a message without fields filled with named fields only
        (``_NOT_A_DATE.format(text=text)``, a table's message made a reason) stays a
        :class:`Message`, said in another language with the same fields."""
        if args or self.fields or self.shown or not kwargs:
            return super().format(*args, **kwargs)
        return Message(self.template, kwargs)


def translated(text: object, lang: str | None = None) -> str:
    """``text`` in ``lang`` (default :func:`language`): a :class:`Message` as its
    catalog translation (its fields said in ``lang`` too), anything else as
    ``str(text)``."""
    if not isinstance(text, Message):
        return str(text)
    lang = lang or language()
    said = gettext(text.template, lang)
    if text.fields:
        said = str.format(
            said,
            **{
                k: translated(v, lang) if isinstance(v, Message) else v
                for k, v in text.fields.items()
            },
        )
    for show in text.shown:
        said = show(said, lang)
    return said


def N_(message: str, /, **fields: object) -> Message:
    """Mark ``message`` for the catalog without translating it now: a :class:`Message`,
    the English text, said in the language of whoever shows it (:func:`translated`,
    or ``_(text)`` when it has no fields).

    ``N_("...")`` is a text of a table kept in English and translated where it is
    shown; ``N_("not a date: {value}", value=repr(text))`` is an error's reason, its
    named fields filled now (in English) and again where it is said in another
    language. Give fields as text (``repr(value)`` for a value quoted), or as
    messages said in the language too.
    """
    return Message(message, fields)
