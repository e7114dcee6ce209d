"""ODK / KoboToolbox survey forms (XLSForms) for field staff's phones.

Two forms are defined here, in Python, and shipped built as workbooks next to this
module (``needs-survey.xlsx``, ``visit-log.xlsx``) to upload to ODK Central or
KoboToolbox as they are:

``needs-survey``
    The household needs survey: the survey day, a ``household`` group with the
    household id, and a ``members`` repeat group (one entry per member: the member
    id, the needs chosen from the need kinds, a note).
``visit-log``
    A helper's visit: helper id, household id, the activity kind, the day, a note.

The choice lists are the standard need and activity kinds; :func:`form_for` builds
a form with a campaign's own codes (its plugins' kinds too). Their submission exports are read back by
:mod:`jieqin.io.odk`, whose mapping names the same fields. ``python -m jieqin.forms``
rebuilds the shipped workbooks.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import IO, Protocol

from attrs import frozen

from jieqin.errors import InvalidValue
from jieqin.model import reference

__all__ = [
    "FORMS",
    "FORM_KINDS",
    "NEEDS_SURVEY",
    "VISIT_LOG",
    "XLSForm",
    "build_shipped",
    "form_for",
    "needs_survey",
    "shipped_form",
    "standard_form",
    "visit_log",
    "write_xlsform",
]

NEEDS_SURVEY = "needs-survey"
VISIT_LOG = "visit-log"
FORMS = (NEEDS_SURVEY, VISIT_LOG)
FORM_KINDS: Mapping[str, str] = {NEEDS_SURVEY: "needs", VISIT_LOG: "activities"}
"""The record kind each form's submissions become."""

_ZH = "label::中文 (zh)"
_EN = "label::English (en)"
_HINT_ZH = "hint::中文 (zh)"
_HINT_EN = "hint::English (en)"
_SURVEY_COLUMNS = ("type", "name", _ZH, _EN, _HINT_ZH, _HINT_EN, "required", "default")
_CHOICE_COLUMNS = ("list_name", "name", _ZH, _EN)
_SETTINGS_COLUMNS = ("form_title", "form_id", "version", "default_language")
_VERSION = "2024.1"


class _Code(Protocol):
    """A code with its Chinese label and, for a standard one, its English label."""

    @property
    def code(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def english(self) -> str | None: ...


@frozen
class XLSForm:
    """An XLSForm: its ``survey``, ``choices`` and ``settings`` sheets as rows of cells."""

    name: str
    survey: tuple[Mapping[str, str], ...]
    choices: tuple[Mapping[str, str], ...]
    settings: Mapping[str, str]

    def sheets(self) -> dict[str, list[list[str]]]:
        """Each sheet as a header row and data rows, in XLSForm's column order."""
        return {
            "survey": _table(_SURVEY_COLUMNS, self.survey),
            "choices": _table(_CHOICE_COLUMNS, self.choices),
            "settings": _table(_SETTINGS_COLUMNS, [self.settings]),
        }


def _table(columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> list[list[str]]:
    return [list(columns), *([row.get(column, "") for column in columns] for row in rows)]


def _q(kind: str, name: str, zh: str, en: str, **more: str) -> dict[str, str]:
    """One row of the survey sheet."""
    return {"type": kind, "name": name, _ZH: zh, _EN: en, **more}


def _choices(list_name: str, codes: Iterable[_Code]) -> list[dict[str, str]]:
    return [
        {"list_name": list_name, "name": c.code, _ZH: c.label, _EN: c.english or c.label}
        for c in codes
    ]


def _settings(name: str, zh: str) -> dict[str, str]:
    form_id = "jieqin_" + name.replace("-", "_")
    return {
        "form_title": zh,
        "form_id": form_id,
        "version": _VERSION,
        "default_language": "中文 (zh)",
    }


def needs_survey(need_kinds: Iterable[_Code]) -> XLSForm:
    """The household needs survey, its needs chosen from ``need_kinds``."""
    survey = (
        _q("date", "survey_date", "调查日期", "Survey day", required="yes", default="today()"),
        _q("begin_group", "household", "户", "Household"),
        _q("text", "household_id", "户编号", "Household id", required="yes"),
        _q("end_group", "", "", ""),
        _q("begin_repeat", "members", "成员", "Members"),
        _q(
            "text",
            "member_id",
            "成员编号",
            "Member id",
            **{_HINT_ZH: "整户的需求留空", _HINT_EN: "leave empty for a need of the household"},
        ),
        _q("select_multiple need_kinds", "needs", "需求", "Needs", required="yes"),
        _q("text", "note", "备注", "Note"),
        _q("end_repeat", "", "", ""),
    )
    return XLSForm(
        NEEDS_SURVEY,
        survey,
        tuple(_choices("need_kinds", need_kinds)),
        _settings(NEEDS_SURVEY, "入户需求调查"),
    )


def visit_log(activity_kinds: Iterable[_Code]) -> XLSForm:
    """The visit log: one activity of a helper with a household."""
    survey = (
        _q("text", "helper_id", "帮扶人编号", "Helper id", required="yes"),
        _q("text", "household_id", "户编号", "Household id", required="yes"),
        _q("select_one activity_kinds", "activity_kind", "活动类型", "Activity", required="yes"),
        _q("date", "day", "日期", "Day", required="yes", default="today()"),
        _q("text", "note", "备注", "Note"),
    )
    return XLSForm(
        VISIT_LOG,
        survey,
        tuple(_choices("activity_kinds", activity_kinds)),
        _settings(VISIT_LOG, "走访记录"),
    )


def _check_name(name: str) -> None:
    if name not in FORMS:
        raise InvalidValue(
            f"unknown form {name!r}; expected one of: {', '.join(FORMS)}", field="form"
        )


def standard_form(name: str) -> XLSForm:
    """The form ``name`` with the standard need or activity kinds (the shipped one)."""
    _check_name(name)
    if name == NEEDS_SURVEY:
        return needs_survey(reference.NEED_KINDS)
    return visit_log(reference.ACTIVITY_KINDS)


def form_for(name: str, registry: object) -> XLSForm:
    """The form ``name`` with the codes ``registry`` (a plugin registry) accepts."""
    from jieqin.codes import registered_codes

    _check_name(name)
    if name == NEEDS_SURVEY:
        return needs_survey(registered_codes(registry, "need_kinds"))  # type: ignore[arg-type]
    return visit_log(registered_codes(registry, "activity_kinds"))  # type: ignore[arg-type]


def write_xlsform(form: XLSForm, out: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write ``form`` as an XLSForm workbook (every cell text, nothing computed)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in form.sheets().items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(out)


def shipped_form(name: str) -> Path:
    """The path of the shipped workbook of form ``name`` (``needs-survey.xlsx``)."""
    _check_name(name)
    return Path(str(resources.files(__name__).joinpath(f"{name}.xlsx")))


def build_shipped(folder: str | os.PathLike[str]) -> list[Path]:
    """Write the shipped workbooks (standard codes) into ``folder``; returns their paths."""
    paths = [Path(folder) / f"{name}.xlsx" for name in FORMS]
    for name, path in zip(FORMS, paths, strict=True):
        write_xlsform(standard_form(name), path)
    return paths
