"""The public notice (公示) of an allocation plan as text, CSV or HTML, in Chinese or English.

The notice (:class:`~jieqin.services.approval.Notice`) already holds only what may be
posted: masked names, villages, amounts, the notice period; or, for a programme whose
rules read a health or disability fact, the number of recipients per village. This
module only words and lays it out. CSV cells are neutralised so that no cell runs as
a spreadsheet formula (:func:`jieqin.io.cells.neutralise_cell`); HTML is escaped.

The wording is one small table per language, keyed by message id, as the reports'
(:mod:`jieqin.reports.strings`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING

from jieqin.errors import InvalidValue
from jieqin.i18n import pgettext
from jieqin.io.cells import neutralise_cell
from jieqin.reports.strings import HTML_LANG

if TYPE_CHECKING:
    from jieqin.services.approval import Notice

__all__ = ["FORMATS", "NOTICE_CONTEXT", "NOTICE_MESSAGES", "render_notice"]

#: The formats a notice is written in.
FORMATS = ("text", "csv", "html")

_ZH: dict[str, str] = {
    "title": "{program}拟资助名单公示",
    "draft": "（草稿：计划尚未审批，公示期为审批当日起的预计日期）",
    "intro": (
        "以下人员（户）拟获得{program}（{period}）资助，资助方：{funder}。"
        "公示期：{start} 至 {end}。对名单有异议的，请在公示期内向村（社区）或项目办公室反映。"
    ),
    "counted": (
        "本项目的资助条件涉及个人健康或残疾信息，依照隐私保护规定，只公布各村（社区）拟资助人数，"
        "不公布姓名和金额。"
    ),
    "plan": "计划编号：{plan}",
    "col_village": "村（社区）",
    "col_name": "姓名",
    "col_amount": "金额（元）",
    "col_count": "拟资助人数",
    "col_plan": "计划编号",
    "col_program": "项目",
    "col_from": "公示开始",
    "col_until": "公示截止",
    "total": "合计：{count} 人（户），{amount} 元",
    "total_count": "合计：{count} 人（户）",
    "nobody": "无拟资助人员。",
}

_EN: dict[str, str] = {
    "title": "Public notice: who is to receive {program}",
    "draft": "(draft: the plan is not approved yet; the dates are those it would run from "
    "approval today)",
    "intro": (
        "The people (households) below are to receive {program} for {period}, funded by "
        "{funder}. The notice runs from {start} to {end}. Objections to the list may be "
        "made to the village or the programme office while it runs."
    ),
    "counted": (
        "Who qualifies for this programme depends on health or disability facts: by the "
        "privacy rules only the number of recipients per village is published, no name "
        "and no amount."
    ),
    "plan": "Plan: {plan}",
    "col_village": "village",
    "col_name": "name",
    "col_amount": "amount (yuan)",
    "col_count": "recipients",
    "col_plan": "plan",
    "col_program": "programme",
    "col_from": "notice from",
    "col_until": "notice until",
    "total": "Total: {count} recipients, {amount} yuan",
    "total_count": "Total: {count} recipients",
    "nobody": "Nobody is to receive it.",
}

#: The message context of the notice's words in the catalog.
NOTICE_CONTEXT = "notice"

#: The wording of a notice in each language.
NOTICE_MESSAGES: Mapping[str, Mapping[str, str]] = {"zh": _ZH, "en": _EN}


def _words(lang: str) -> Mapping[str, str]:
    if lang not in NOTICE_MESSAGES:
        raise InvalidValue(
            f"unknown notice language {lang!r}; one of {', '.join(NOTICE_MESSAGES)}",
            field="lang",
        )
    # The catalog holds the words (context "notice"; a test keeps it and _ZH together).
    return {key: pgettext(NOTICE_CONTEXT, english, lang) for key, english in _EN.items()}


def render_notice(notice: Notice, fmt: str = "text", *, lang: str = "zh") -> str:
    """The notice in ``fmt`` (``text``, ``csv`` or ``html``) and ``lang`` (``zh``, ``en``)."""
    words = _words(lang)
    if fmt == "text":
        return _text(notice, words)
    if fmt == "csv":
        return _csv(notice, words)
    if fmt == "html":
        return _html(notice, words, lang)
    raise InvalidValue(
        f"unknown notice format {fmt!r}; one of {', '.join(FORMATS)}", field="format"
    )


def _values(notice: Notice) -> dict[str, object]:
    return {
        "program": notice.program_name,
        "funder": notice.funder,
        "period": notice.period,
        "start": notice.notice_from.isoformat(),
        "end": notice.notice_until.isoformat(),
        "plan": notice.plan_id,
        "count": notice.total_count,
        "amount": notice.total_amount,
    }


def _head(notice: Notice, words: Mapping[str, str]) -> list[str]:
    """Title, draft mark, introduction, the counted-only note and the plan, as lines."""
    values = _values(notice)
    lines = [words["title"].format(**values)]
    if notice.draft:
        lines.append(words["draft"])
    lines.append(words["intro"].format(**values))
    if notice.counted_only:
        lines.append(words["counted"])
    lines.append(words["plan"].format(**values))
    return lines


def _total(notice: Notice, words: Mapping[str, str]) -> str:
    key = "total_count" if notice.counted_only else "total"
    return words[key].format(**_values(notice))


def _rows(notice: Notice) -> list[tuple[str, str]] | list[tuple[str, str, str]]:
    if notice.counted_only:
        return [(c.village, str(c.count)) for c in notice.counts]
    return [(line.village, line.name, str(line.amount)) for line in notice.lines]


def _columns(notice: Notice, words: Mapping[str, str]) -> list[str]:
    if notice.counted_only:
        return [words["col_village"], words["col_count"]]
    return [words["col_village"], words["col_name"], words["col_amount"]]


def _text(notice: Notice, words: Mapping[str, str]) -> str:
    out = [*_head(notice, words), ""]
    rows = _rows(notice)
    if not rows:
        out.append(words["nobody"])
    else:
        table: list[tuple[str, ...]] = [tuple(_columns(notice, words)), *rows]
        widths = [max(_width(row[i]) for row in table) for i in range(len(table[0]))]
        for row in table:
            out.append("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
    out += ["", _total(notice, words)]
    return "\n".join(out) + "\n"


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a CJK character takes two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _csv(notice: Notice, words: Mapping[str, str]) -> str:
    """One row per line (or village), each with the plan, the programme and the notice
    period, every text cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    extra = [words["col_plan"], words["col_program"], words["col_from"], words["col_until"]]
    writer.writerow([neutralise_cell(c) for c in (*_columns(notice, words), *extra)])
    tail = (
        notice.plan_id,
        notice.program_name,
        notice.notice_from.isoformat(),
        notice.notice_until.isoformat(),
    )
    for row in _rows(notice):
        writer.writerow([neutralise_cell(str(c)) for c in (*row, *tail)])
    return buffer.getvalue()


def _html(notice: Notice, words: Mapping[str, str], lang: str) -> str:
    head = _head(notice, words)
    rows = _rows(notice)
    cells = "".join(f"<th>{escape(c)}</th>" for c in _columns(notice, words))
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    table = (
        f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"
        if rows
        else f"<p>{escape(words['nobody'])}</p>"
    )
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in head[1:])
    return (
        f'<!DOCTYPE html>\n<html lang="{HTML_LANG.get(lang, lang)}"><head><meta charset="utf-8">'
        f"<title>{escape(head[0])}</title></head><body><h1>{escape(head[0])}</h1>"
        f"{paragraphs}{table}<p>{escape(_total(notice, words))}</p></body></html>\n"
    )
