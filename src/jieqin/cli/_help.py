"""Help in the language of the run: click's help texts, translated as they are shown.

The commands keep their help in English in the source (docstrings, ``help=``), as
click wants it, and those texts are the message ids of the catalog, one per
paragraph (:func:`help_paragraphs`; ``jieqin._extract`` gathers them). A command's
help is translated only when it is shown, by :class:`HelpFormatter`, so that one
process can show it in either language (``jieqin --lang en pair --help``) whatever
it showed before. The words click adds (``Usage:``, ``Options``, ``[default: …]``)
are in the catalog too. Chinese text has no spaces to wrap at and each character is
two columns wide: a paragraph holding any is wrapped here, by columns, and handed
to click as a block click does not rewrap.
"""

from __future__ import annotations

import inspect
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import click
from click.formatting import measure_table

from jieqin.i18n import N_, gettext

__all__ = [
    "CLICK_MESSAGES",
    "Context",
    "HelpFormatter",
    "help_paragraphs",
    "message_id",
    "short_help",
    "translate_help",
    "translated_help",
]

#: The mark that starts a paragraph click does not rewrap.
NO_REWRAP = "\b"

#: The words click itself writes into a help page.
CLICK_MESSAGES = (
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Positional arguments"),
    N_("Show this message and exit."),
    N_("Show the version and exit."),
    N_("default: {default}"),
    N_("env var: {var}"),
    N_("required"),
)

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
#: Click's additions to an option's help: ``  [default: x; required]`` (two spaces).
_EXTRA = re.compile(r"^(?P<text>.*?)(?:  \[(?P<extra>[^\[\]]*)\])?$", re.DOTALL)
_DEFAULT = re.compile(r"^default: (?P<value>.*)$", re.DOTALL)
_ENV_VAR = re.compile(r"^env var: (?P<value>.*)$", re.DOTALL)
#: Punctuation that does not begin a line of Chinese text.
_CLOSING = frozenset("，。、；：！？）》」』”’,.;:!?)")
#: Punctuation that does not end one.
_OPENING = frozenset("（《「『“‘(")


def help_paragraphs(text: str) -> list[tuple[bool, str]]:
    """The paragraphs of a help text as click shows it: ``(raw, paragraph)``, ``raw``
    for a block click does not rewrap (its ``\\b`` line left out), the text cut at the
    first form feed as click cuts it."""
    cleaned = inspect.cleandoc(text).partition("\f")[0]
    out = []
    for paragraph in _PARAGRAPH_BREAK.split(cleaned):
        if not paragraph.strip():
            continue
        head, _, rest = paragraph.rstrip().partition("\n")
        if head.strip() == NO_REWRAP:
            out.append((True, rest))
        else:
            out.append((False, paragraph.rstrip()))
    return out


def message_id(raw: bool, paragraph: str) -> str:
    """The catalog's message id of one paragraph: a block as it is, running text with
    its line breaks as spaces (rewrapping a docstring does not change its ids)."""
    return paragraph if raw else " ".join(paragraph.split())


def _translated(raw: bool, paragraph: str) -> str | None:
    """The translation of one paragraph, ``None`` when the catalog has none. A block
    without one of its own may still have a heading that has one (``Example:``)."""
    key = message_id(raw, paragraph)
    found = gettext(key)
    if found != key:
        return found
    if raw:
        head, sep, rest = paragraph.partition("\n")
        heading = gettext(head.strip())
        if heading != head.strip():
            return head[: len(head) - len(head.lstrip())] + heading + sep + rest
    return None


def cells(text: str) -> int:
    """How many terminal columns ``text`` takes (a wide character takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _is_wide(text: str) -> bool:
    return any(unicodedata.east_asian_width(c) in "WF" for c in text)


def _tokens(text: str) -> Iterator[str]:
    """Where a line may break: a run of spaces, a wide character, or a word."""
    word = ""
    for char in text:
        if char.isspace() or unicodedata.east_asian_width(char) in "WF":
            if word:
                yield word
                word = ""
            yield " " if char.isspace() else char
        else:
            word += char
    if word:
        yield word


def wrap_wide(text: str, width: int) -> list[str]:
    """``text`` broken into lines of at most ``width`` columns (Chinese text breaks
    between any two characters, never before closing punctuation; a word longer than
    a line gets a line of its own)."""
    lines: list[str] = []
    line, used, space = "", 0, False
    for token in _tokens(" ".join(text.split())):
        if token == " ":
            space = bool(line)
            continue
        gap = 1 if space and line else 0
        size = cells(token)
        if line and used + gap + size > width and token not in _CLOSING:
            carried = line[-1] if line[-1] in _OPENING and len(line) > 1 else ""
            lines.append(line[: len(line) - len(carried)])
            line, used, gap = carried, cells(carried), 0
        line += " " * gap + token
        used += gap + size
        space = False
    if line:
        lines.append(line)
    return lines


def translate_help(text: str, width: int | None = None) -> str:
    """``text`` (a help text, a docstring) in the language of the run, paragraph by
    paragraph; untranslated paragraphs stay as they are. With ``width``, translated
    running text with wide characters is wrapped to it as a no-rewrap block."""
    parts = []
    for raw, paragraph in help_paragraphs(text):
        found = _translated(raw, paragraph)
        if found is None:
            parts.append(f"{NO_REWRAP}\n{paragraph}" if raw else paragraph)
        elif raw or (width is not None and _is_wide(found)):
            lines = found.splitlines() if raw else wrap_wide(found, width or 80)
            parts.append("\n".join([NO_REWRAP, *lines]))
        else:
            parts.append(found)
    return "\n\n".join(parts)


def short_help(command: click.Command, limit: int) -> str | None:
    """A command's one-line help in the language of the run, ``None`` when its help has
    no translation (click's own shortening then stands): the first sentence of the
    first paragraph, else its first clause (up to ``：``), else as many of its phrases
    (up to ``，``) as fit, else the sentence cut to ``limit`` columns."""
    source = command.short_help or command.help
    if not source:
        return None
    paragraphs = help_paragraphs(source)
    if not paragraphs:
        return None
    found = _translated(*paragraphs[0])
    if found is None:
        return None
    text = " ".join(found.split())
    sentence = re.split(r"(?<=[。！？])", text, maxsplit=1)[0].rstrip("。")
    if cells(sentence) <= limit:
        return sentence
    enough = min(limit // 3, 16)  # columns a shortened help must keep to say something
    clause = re.split(r"[：；]", sentence, maxsplit=1)[0]  # what comes before its details
    if enough <= cells(clause) <= limit:
        return clause
    kept = ""
    for part in clause.split("，"):  # as many of its first phrases as fit
        longer = f"{kept}，{part}" if kept else part
        if cells(longer) > limit:
            break
        kept = longer
    if cells(kept) >= enough:
        return kept
    out = ""
    for char in sentence:
        if cells(out + char) > max(limit - 1, 1):
            break
        out += char
    return out + "…"


def _extras(extra: str) -> str:
    """The ``[default: …; required]`` of an option's help, in the run's language."""
    items: list[str] = []
    for item in extra.split("; "):
        default = _DEFAULT.match(item)
        env = _ENV_VAR.match(item)
        if default is not None:
            items.append(gettext("default: {default}").format(default=default.group("value")))
        elif env is not None:
            items.append(gettext("env var: {var}").format(var=env.group("value")))
        else:
            items.append(gettext(item))
    return ("；" if any(_is_wide(item) for item in items) else "; ").join(items)


def translated_help(text: str, width: int | None = None) -> str:
    """An option's help as click shows it (``help  [default: x]``), translated."""
    found = _EXTRA.match(text)
    if found is None or not text:  # pragma: no cover - the pattern matches any text
        return text
    body, extra = found.group("text"), found.group("extra")
    shown = translate_help(body, width) if body else ""
    if extra is None:
        return shown
    tail = f"[{_extras(extra)}]"
    if not shown.startswith(NO_REWRAP):
        return f"{shown}  {tail}" if shown else tail
    lines = shown.split("\n")
    if width is not None and cells(lines[-1]) + 2 + cells(tail) <= width:
        lines[-1] = f"{lines[-1]}  {tail}"
    else:
        lines.append(tail)
    return "\n".join(lines)


class HelpFormatter(click.HelpFormatter):
    """Click's formatter, writing each text in the language of the run."""

    def __init__(self, *args: Any, ctx: click.Context | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctx = ctx
        self.heading: str | None = None

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            usage = gettext("Usage:")
            prefix = usage if usage.endswith("：") else f"{usage} "
        super().write_usage(prog, args, prefix)

    def write_heading(self, heading: str) -> None:
        self.heading = heading
        shown = gettext(heading)
        colon = "：" if _is_wide(shown) else ":"
        self.write(f"{'':>{self.current_indent}}{shown}{colon}\n")

    def write_text(self, text: str) -> None:
        super().write_text(translate_help(text, max(self.width - self.current_indent, 11)))

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = list(rows)
        if not rows:
            return super().write_dl(rows, col_max, col_spacing)
        first_col = min(measure_table(rows)[0], col_max) + col_spacing
        width = max(self.width - first_col - 2, 10)
        if self.heading == "Commands":
            shown = self._commands(rows)
        else:
            shown = [(term, translated_help(text, width)) for term, text in rows]
        return super().write_dl(shown, col_max, col_spacing)

    def _commands(self, rows: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """The rows of a group's commands, each with its translated one-line help."""
        ctx = self.ctx
        group = ctx.command if ctx is not None else None
        if ctx is None or not isinstance(group, click.Group):
            return list(rows)
        limit = self.width - 6 - max(len(name) for name, _ in rows)
        out = []
        for name, text in rows:
            command = group.get_command(ctx, name)
            found = short_help(command, limit) if command is not None else None
            out.append((name, text if found is None else found))
        return out


class Context(click.Context):
    """A context whose help is written by :class:`HelpFormatter`."""

    formatter_class = HelpFormatter

    def make_formatter(self) -> HelpFormatter:
        return HelpFormatter(width=self.terminal_width, max_width=self.max_content_width, ctx=self)


def speaking_help(command: click.Command) -> None:
    """Make ``command`` and its subcommands show their help through :class:`Context`."""
    command.context_class = Context
    for sub in getattr(command, "commands", {}).values():
        speaking_help(sub)
