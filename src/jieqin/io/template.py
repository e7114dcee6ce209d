"""Empty import files to fill in: the headers, a row of help, and pick lists of codes.

``jieqin template KIND`` writes one for a clerk. A workbook (XLSX) has the kind's
sheet with the header row, a help row under it, and a drop-down list on every code
column (tiers, relations, need kinds, activity kinds, ...) taken from the
campaign's registry, so a clerk picks ``social_work`` rather than typing
``social_welfare``; a second sheet, ``codes`` (``代码``), lists each code with its
label. Text columns are formatted as text, so Excel keeps an ID number's 18 digits
and its ``X``; date columns as dates. A CSV template has the header and help rows.

The help row's first cell begins with ``#`` (:data:`~jieqin.io.csv_format.HELP_MARK`):
every import skips such a row right under the header, so a filled template imports
as it is, help row and all.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

import attrs
from attrs import frozen

from jieqin.errors import InvalidValue
from jieqin.io.cells import neutralise_cell
from jieqin.io.csv_format import HELP_MARK
from jieqin.io.headers import heading, sheet_name
from jieqin.io.kinds import Column, ColumnType, Kind
from jieqin.io.xlsx_format import date_columns, escape_text
from jieqin.model import PairingRole, Sex
from jieqin.model.needs import NeedSource, NeedStatus, RouteKind

__all__ = [
    "CODE_COLUMNS",
    "TEMPLATE_FORMATS",
    "CodeList",
    "code_lists",
    "help_row",
    "write_template",
]

TEMPLATE_FORMATS = ("xlsx", "csv")


@frozen
class CodeList:
    """The codes a column takes: ``strict`` lists refuse anything else in Excel; a
    list that is not strict (a ``;`` list of sectors, a route's target) only offers."""

    codes: tuple[str, ...]
    labels: tuple[str, ...]
    strict: bool = True


def _registered(kind: str, strict: bool = True) -> Callable[[Any], CodeList]:
    def codes(registry: Any) -> CodeList:
        from jieqin.codes import registered_codes

        found = registered_codes(registry, kind)
        return CodeList(tuple(c.code for c in found), tuple(c.label for c in found), strict)

    return codes


def _fixed(values: Sequence[str], labels: Sequence[str] | None = None) -> Callable[[Any], CodeList]:
    def codes(_registry: Any) -> CodeList:
        return CodeList(tuple(values), tuple(labels or values))

    return codes


def _targets(registry: Any) -> CodeList:
    programs = _registered("programs", strict=False)(registry)
    agencies = _registered("agencies", strict=False)(registry)
    return CodeList(
        programs.codes + agencies.codes, programs.labels + agencies.labels, strict=False
    )


#: Kind -> column -> where its codes come from (the registry, or the model's values).
CODE_COLUMNS: Mapping[str, Mapping[str, Callable[[Any], CodeList]]] = {
    "helpers": {
        "tier": _registered("tiers"),
        "sectors": _registered("sectors", strict=False),
        "active": _fixed(("true", "false")),
    },
    "households": {
        "sex": _fixed([s.value for s in Sex], ("男", "女")),
        "relation": _registered("relations"),
        "health_condition": _registered("health_conditions"),
        "disability_grade": _fixed(("1", "2", "3", "4")),
        "school_level": _registered("school_levels"),
        "employment": _registered("employment"),
    },
    "pairings": {"role": _fixed([r.value for r in PairingRole])},
    "needs": {
        "kind": _registered("need_kinds"),
        "source": _fixed([s.value for s in NeedSource]),
        "status": _fixed([s.value for s in NeedStatus]),
        "route_kind": _fixed([r.value for r in RouteKind]),
        "route_target": _targets,
    },
    "activities": {"kind": _registered("activity_kinds")},
    "referral-outcomes": {
        "status": _fixed(("accepted", "rejected", "completed"), ("已接收", "已退回", "已办结")),
        "outcome": _registered("referral_outcomes"),
    },
}


def code_lists(kind: Kind, registry: Any) -> dict[str, CodeList]:
    """Column name -> the codes it takes, for the code columns of ``kind``."""
    return {name: make(registry) for name, make in CODE_COLUMNS.get(kind.name, {}).items()}


_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "required": "required",
        "optional": "optional",
        "date": "date YYYY-MM-DD",
        "number": "whole number",
        "list": "items separated by ;",
        "history": "status@YYYY-MM-DD;... oldest first",
        "boolean": "true or false",
        "pick": "pick from the list",
        "more": "see the codes sheet",
    },
    "zh": {
        "required": "必填",
        "optional": "选填",
        "date": "日期 YYYY-MM-DD",
        "number": "整数",
        "list": "多项用 ; 分隔",
        "history": "状态@YYYY-MM-DD;… 按时间先后",
        "boolean": "true 或 false",
        "pick": "从下拉列表选择",
        "more": "见“代码”表",
    },
}


def _required(kind: Kind, column: Column) -> bool:
    """Whether the model field of ``column`` has no default (it must be given)."""
    from jieqin.model import Member

    if len(column.path) != 1:
        return False
    owner = Member if kind.group_columns and column in kind.columns else kind.cls
    fields = {f.name: f for f in attrs.fields(owner)}
    found = fields.get(column.path[0])
    return found is not None and found.default is attrs.NOTHING


def help_row(
    kind: Kind, language: str = "en", registry: Any = None, *, inline_codes: bool = False
) -> list[str]:
    """The help cells under the headers: required or not, and what the column takes
    (with ``inline_codes``, a code column's codes, ``|`` between them: a CSV has no
    pick lists)."""
    words = _WORDS["zh" if language == "zh" else "en"]
    dates = date_columns(kind)
    lists = code_lists(kind, registry) if registry is not None else {}
    cells = []
    for column in kind.all_columns():
        parts = [words["required"] if _required(kind, column) else words["optional"]]
        if column.name in dates:
            parts.append(words["date"])
        elif column.name in lists and inline_codes:
            parts.append("|".join(lists[column.name].codes))
        elif column.name in lists:
            parts.append(words["pick"] if lists[column.name].strict else words["more"])
        elif column.type is ColumnType.INTEGER:
            parts.append(words["number"])
        elif column.type is ColumnType.LIST:
            parts.append(words["list"])
        elif column.type is ColumnType.STATUS_HISTORY:
            parts.append(words["history"])
        elif column.type is ColumnType.BOOLEAN:
            parts.append(words["boolean"])
        cells.append("; ".join(parts))
    cells[0] = f"{HELP_MARK} {cells[0]}"
    return cells


def write_template(
    kind: Kind,
    out: IO[Any] | str | os.PathLike[str],
    *,
    registry: Any,
    format: str = "xlsx",
    headers: str = "en",
) -> None:
    """Write an empty import file of ``kind``: headers, help row, and (XLSX) pick lists.

    ``out`` is a binary file or a path for XLSX, a text file for CSV; ``registry`` is
    the campaign's (:attr:`jieqin.Campaign.registry`), whose codes fill the lists.
    """
    if format not in TEMPLATE_FORMATS:
        raise InvalidValue(
            f"unknown format {format!r}; expected one of: {', '.join(TEMPLATE_FORMATS)}",
            field="format",
        )
    columns = kind.all_columns()
    titles = [heading(kind, column, headers) for column in columns]
    if format == "csv":
        if isinstance(out, str | os.PathLike):
            with open(out, "w", encoding="utf-8", newline="") as text:
                write_template(kind, text, registry=registry, format="csv", headers=headers)
            return
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(titles)
        writer.writerow(help_row(kind, headers, registry, inline_codes=True))
        return
    _write_workbook(kind, out, titles, registry, headers)


def _write_workbook(kind: Kind, out: Any, titles: list[str], registry: Any, headers: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_name(kind.name, headers)
    sheet.append(titles)
    sheet.append(help_row(kind, headers, registry))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="808080")
    sheet.freeze_panes = "A3"
    codes = book.create_sheet("代码" if headers == "zh" else "codes")
    lists = code_lists(kind, registry)
    dates = date_columns(kind)
    at = 1
    for number, column in enumerate(kind.all_columns(), start=1):
        letter = get_column_letter(number)
        dimension = sheet.column_dimensions[letter]
        dimension.width = max(12, min(40, 2 * len(titles[number - 1]) + 2))
        dimension.number_format = "yyyy-mm-dd" if column.name in dates else "@"
        found = lists.get(column.name)
        if found is None or not found.codes:
            continue
        code_letter, label_letter = get_column_letter(at), get_column_letter(at + 1)
        codes.cell(row=1, column=at, value=titles[number - 1]).font = Font(bold=True)
        for row, (code, label) in enumerate(zip(found.codes, found.labels, strict=True), 2):
            codes.cell(row=row, column=at, value=code)
            codes.cell(row=row, column=at + 1, value=escape_text(neutralise_cell(label)))
        last = len(found.codes) + 1
        validation = DataValidation(
            type="list",
            formula1=f"'{codes.title}'!${code_letter}$2:${code_letter}${last}",
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="stop" if found.strict else "information",
            error=f"{titles[number - 1]}: pick a code from the list",
        )
        validation.add(f"{letter}3:{letter}1048576")
        sheet.add_data_validation(validation)
        codes.column_dimensions[code_letter].width = 28
        codes.column_dimensions[label_letter].width = 24
        at += 3
    book.save(out)
