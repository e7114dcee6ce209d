"""What Babel extracts into the catalog besides ``_()`` calls (``babel.cfg`` names these).

- :func:`extract_cli`: a command module's help texts, as click shows them: the
  docstring of each ``@click.command`` / ``@….group`` function (unless the decorator
  gives ``help=``) and each literal ``help=`` / ``short_help=`` / ``epilog=`` of a
  command, group, option or argument, one message per paragraph
  (:func:`jieqin.cli._help.help_paragraphs`), with the module's ``_()`` calls.
- :func:`extract_report_words`: the English wording table of the reports
  (``jieqin.reports.strings``), each in the context ``report``, its key as a comment;
  a test holds the Chinese table and the catalog together.

Only literal texts are taken: an f-string or a variable is not a message id.
"""

from __future__ import annotations

import ast
import io
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

__all__ = ["REPORT_CONTEXT", "extract_cli", "extract_report_words"]

#: The message context of the report words.
REPORT_CONTEXT = "report"

_CLICK_FACTORIES = frozenset(
    {"command", "group", "option", "argument", "Command", "Group", "Option", "Argument"}
)
_DECORATORS = frozenset({"command", "group"})
_HELP_KEYWORDS = ("help", "short_help", "epilog")

#: One message as an extractor gives it: (line, keyword, message(s), comments).
Extracted = tuple[int, str, Any, list[str]]


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _paragraphs(line: int, text: str) -> Iterator[Extracted]:
    from jieqin.cli._help import help_paragraphs, message_id

    for raw, paragraph in help_paragraphs(text):
        yield line, "gettext", message_id(raw, paragraph), []


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _call_help(node: ast.Call) -> Iterator[Extracted]:
    if _name(node.func) not in _CLICK_FACTORIES:
        return
    for keyword in node.keywords:
        text = _literal(keyword.value) if keyword.arg in _HELP_KEYWORDS else None
        if text:
            yield from _paragraphs(keyword.value.lineno, text)


def _docstring_help(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[Extracted]:
    for decorator in node.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        target = call.func if call is not None else decorator
        if _name(target) not in _DECORATORS:
            continue
        if call is not None and any(k.arg == "help" for k in call.keywords):
            return
        doc = ast.get_docstring(node, clean=False)
        if doc:
            yield from _paragraphs(node.body[0].lineno, doc)
        return


def _python(
    source: bytes, keywords: Collection[str], comment_tags: Collection[str], options: Any
) -> Iterator[Extracted]:
    from babel.messages.extract import extract_python

    found: Iterator[Any] = extract_python(
        io.BytesIO(source),
        keywords,  # type: ignore[arg-type]  # Babel passes the names; typed as their specs
        comment_tags,
        options,
    )
    for line, funcname, messages, comments, *_ in found:
        yield line, funcname, messages, comments


def extract_cli(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Babel extractor of a command module: its ``_()`` calls and click help texts."""
    source = fileobj.read()
    yield from _python(source, keywords, comment_tags, options)
    tree = ast.parse(source.decode(options.get("encoding", "utf-8")))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield from _call_help(node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _docstring_help(node)


def extract_report_words(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Babel extractor of the reports' wording: the values of its English table
    (``_EN``), in the context :data:`REPORT_CONTEXT` (or the section's ``context``
    option: ``notice`` for the public notice), and the module's ``_()`` calls."""
    context = str(options.get("context", REPORT_CONTEXT))
    source = fileobj.read()
    yield from _python(source, keywords, comment_tags, options)
    tree = ast.parse(source.decode(options.get("encoding", "utf-8")))
    for node in tree.body:
        target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        value = getattr(node, "value", None)
        named = _name(target) if target is not None else None
        if named != "_EN" or not isinstance(value, ast.Dict):
            continue
        for key, word in zip(value.keys, value.values, strict=True):
            text = _literal(word)
            name = _literal(key) if key is not None else None
            if text and name:
                yield word.lineno, "pgettext", (context, text), [f"{context} word: {name}"]
