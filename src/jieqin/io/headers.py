"""Column headers: the English column names, the Chinese names ledgers use, and aliases.

A village register (台账) names its columns in Chinese: 户编号, 姓名, 身份证号,
与户主关系 ... Every import (CSV, XLSX, and the keys of JSON Lines records) reads
them as well as the English names of :mod:`jieqin.io.kinds`, from one table,
:data:`CHINESE`: for each kind and column, the Chinese names, the first of which is
what ``--headers zh`` writes. A region adds its own names for columns through the
``jieqin_register_header_aliases`` hook; :class:`HeaderTable` is the standard table
with those aliases on top, and refuses an alias that would name two columns.

Headers are compared after :func:`normalise_header`: Unicode NFKC (full-width
letters become half-width), all whitespace removed (a header cell may wrap onto two
lines), a byte-order mark and the asterisks that mark required columns dropped. A
column of :data:`IGNORED` (户主姓名, the head's name repeated on each member row) is
accepted and not read: the head is the member whose relation is ``head``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from attrs import frozen

from jieqin.errors import InvalidValue
from jieqin.io.kinds import KINDS, PAYMENT_KINDS, Column, ColumnType, Kind
from jieqin.io.region_names import RegionNames

__all__ = [
    "CHINESE",
    "HEADER_LANGUAGES",
    "IGNORED",
    "REGION_COLUMNS",
    "SHEET_NAMES",
    "STANDARD_HEADERS",
    "HeaderAlias",
    "HeaderLanguage",
    "HeaderTable",
    "header_language",
    "heading",
    "headings",
    "normalise_header",
    "sheet_name",
]

HeaderLanguage = Literal["en", "zh"]
HEADER_LANGUAGES: tuple[HeaderLanguage, ...] = ("en", "zh")

_PHONE = ("联系电话", "手机号码", "手机号", "电话", "联系方式")
_HOUSEHOLD_ID = ("户编号", "户号", "家庭编号")
_HELPER_ID = ("帮扶人编号", "帮扶责任人编号")
_MEMBER_ID = ("成员编号", "人员编号")
_NEED_ID = ("需求编号",)
_NOTE = ("备注", "说明")

_BATCH_ID = ("批次号", "批次编号")
_GRANT_ID = ("资助编号", "发放编号")
_AMOUNT = ("金额", "发放金额", "金额（元）")
_PAYMENT_BATCHES: Mapping[str, tuple[str, ...]] = {
    "batch_id": _BATCH_ID,
    "grant_id": _GRANT_ID,
    "household_id": _HOUSEHOLD_ID,
    "member_id": _MEMBER_ID,
    "payee_name": ("收款人姓名", "收款人", "户名"),
    "resident_id": ("身份证号", "身份证号码", "公民身份号码", "证件号码"),
    "amount": _AMOUNT,
    "program_id": ("项目编号", "资助项目"),
    "period": ("所属期间", "期间", "年度"),
    "fund_id": ("资金编号", "资金"),
}
_PAYMENT_RESULTS: Mapping[str, tuple[str, ...]] = {
    "batch_id": _BATCH_ID,
    "grant_id": _GRANT_ID,
    "amount": _AMOUNT,
    "status": ("发放结果", "发放状态", "状态"),
    "paid_on": ("发放日期", "到账日期", "支付日期"),
    "returned_on": ("退回日期", "退票日期"),
    "reference": ("银行流水号", "交易流水号", "流水号", "凭证号"),
    "reason": ("退回原因", "失败原因", "原因"),
}

#: Kind -> column -> its Chinese names; the first is the one exports and templates write.
CHINESE: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "helpers": {
        "helper_id": _HELPER_ID,
        "name": ("姓名", "帮扶人姓名", "帮扶责任人"),
        "tier": ("帮扶人类别", "层级", "身份类别"),
        "home_region": ("所在地区划代码", "所在区划代码", "行政区划代码"),
        "sectors": ("专业特长", "专长", "专业领域"),
        "capacity": ("可结对户数", "帮扶户数上限"),
        "active": ("是否在岗", "在岗"),
        "phone": _PHONE,
    },
    "households": {
        "household_id": _HOUSEHOLD_ID,
        "region": ("行政区划代码", "所在村", "区划代码", "村代码"),
        "status_history": ("户状态记录", "户状态", "状态变更"),
        "member_id": _MEMBER_ID,
        "name": ("姓名", "成员姓名"),
        "sex": ("性别",),
        "birth_date": ("出生日期",),
        "resident_id": ("身份证号", "身份证号码", "公民身份号码", "证件号码"),
        "relation": ("与户主关系",),
        "health_condition": ("健康状况",),
        "diagnosis": ("疾病名称", "病种", "诊断"),
        "disability_grade": ("残疾等级",),
        "school_level": ("在校阶段", "就学阶段", "学段"),
        "school_year_of_entry": ("入学年份",),
        "school_institution": ("就读学校", "学校名称"),
        "employment": ("就业状况", "务工状况"),
        "phone": _PHONE,
    },
    "pairings": {
        "helper_id": _HELPER_ID,
        "household_id": _HOUSEHOLD_ID,
        "start": ("结对日期", "开始日期"),
        "end": ("结束日期",),
        "role": ("结对角色", "角色"),
        "reason": ("结对原因", "原因"),
    },
    "needs": {
        "need_id": _NEED_ID,
        "household_id": _HOUSEHOLD_ID,
        "member_id": _MEMBER_ID,
        "kind": ("需求类别", "需求类型"),
        "period": ("所属期间", "期间", "年度"),
        "source": ("需求来源", "来源"),
        "raised_on": ("提出日期", "登记日期"),
        "note": _NOTE,
        "status": ("需求状态", "状态"),
        "route_kind": ("转办方式",),
        "route_target": ("转办对象",),
        "route_explanation": ("转办说明",),
        "resolved_on": ("解决日期",),
        "resolved_by": ("解决依据",),
        "unrouted_reason": ("未转办原因",),
    },
    "activities": {
        "activity_id": ("活动编号",),
        "kind": ("活动类别", "活动类型"),
        "on": ("活动日期", "日期"),
        "helper_id": _HELPER_ID,
        "household_id": _HOUSEHOLD_ID,
        "member_id": _MEMBER_ID,
        "need_id": _NEED_ID,
        "note": (*_NOTE, "活动内容"),
        "event": ("所属活动", "集中活动"),
        "voided_on": ("作废日期",),
        "void_reason": ("作废原因",),
        "voided_by": ("作废人",),
    },
    "referral-outcomes": {
        "referral_id": ("转介编号", "转办编号"),
        "status": ("办理状态", "状态"),
        "on": ("办理日期", "日期"),
        "outcome": ("办理结果", "结果"),
        "reason": ("原因说明", "退回原因", "原因", "备注"),
    },
    "observations": {
        "observation_id": ("监测记录编号", "记录编号", "观测编号"),
        "household_id": _HOUSEHOLD_ID,
        "member_id": _MEMBER_ID,
        "kind": ("类型", "指标", "监测指标", "收支类型"),
        "period": ("期间", "所属期间", "年度"),
        "amount": ("金额", "金额（元）", "金额(元)", "数额"),
        "source": ("来源", "数据来源", "信息来源"),
        "recorded_on": ("记录日期", "登记日期", "录入日期"),
        "feed": ("数据部门", "来源部门", "部门"),
        "feed_record": ("部门记录编号", "来源记录编号", "原始记录号"),
        "note": _NOTE,
    },
    "payment-batches": _PAYMENT_BATCHES,
    "payment-results": _PAYMENT_RESULTS,
}

#: Kind -> the columns that hold a region, whose cells may give its registered name.
REGION_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "households": ("region",),
    "helpers": ("home_region",),
}

#: Kind -> columns an import accepts and does not read, with their names.
IGNORED: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "households": {"head_name": ("户主姓名", "户主")},
    # a bank's result may be the batch file with its result columns filled in
    "payment-results": {
        name: (name, *zh) for name, zh in _PAYMENT_BATCHES.items() if name not in _PAYMENT_RESULTS
    },
}

#: Kind -> the names of its sheet in a workbook (English, then Chinese). Households
#: on two sheets: ``households`` for the household columns, ``members`` for the members.
SHEET_NAMES: Mapping[str, tuple[str, ...]] = {
    "helpers": ("helpers", "帮扶人"),
    "households": ("households", "户", "户信息", "家庭"),
    "members": ("members", "成员", "家庭成员"),
    "pairings": ("pairings", "结对"),
    "needs": ("needs", "需求"),
    "referral-outcomes": ("referral-outcomes", "转介结果", "转介办理结果"),
    "activities": ("activities", "活动"),
    "observations": ("observations", "监测记录", "收支监测"),
    "payment-batches": ("payment-batches", "发放批次"),
    "payment-results": ("payment-results", "发放结果"),
}


def normalise_header(text: str) -> str:
    """``text`` as headers are compared: NFKC, no whitespace, no BOM, no ``*`` marks."""
    folded = unicodedata.normalize("NFKC", text.replace("\ufeff", ""))
    return "".join(folded.split()).strip("*")


@frozen
class HeaderAlias:
    """Another name for a column of one kind, registered by ``plugin``."""

    kind: str
    alias: str
    column: str
    plugin: str = "jieqin"


def header_language(language: str) -> HeaderLanguage:
    """``language`` if headers can be written in it (``en``, ``zh``), else InvalidValue."""
    if language == "en":
        return "en"
    if language == "zh":
        return "zh"
    raise InvalidValue(
        f"unknown header language {language!r}; expected: {', '.join(HEADER_LANGUAGES)}",
        field="headers",
    )


class HeaderTable:
    """Which column a header names, for every kind: the names of :data:`CHINESE`,
    :data:`IGNORED` and the English names, plus the aliases plugins registered.

    Build it with :meth:`with_aliases`; an alias that names another column of the
    same kind than the table already gives it raises :class:`InvalidValue` (the
    registry turns it into a :class:`~jieqin.errors.PluginError`). The table also reads
    the cells of the region columns (:data:`REGION_COLUMNS`): a registered region's
    name there is that region (:meth:`with_region_names`, :mod:`jieqin.io.region_names`).
    """

    def __init__(self) -> None:
        self.regions = RegionNames({})
        #: kind -> normalised header -> (column name, or None for an ignored column, who)
        self._names: dict[str, dict[str, tuple[str | None, str]]] = {}
        for kind in (*KINDS.values(), *PAYMENT_KINDS.values()):
            names = self._names[kind.name] = {}
            for column in kind.all_columns():
                names[normalise_header(column.name)] = (column.name, "jieqin")
                for zh in CHINESE.get(kind.name, {}).get(column.name, ()):
                    names.setdefault(normalise_header(zh), (column.name, "jieqin"))
            for ignored in IGNORED.get(kind.name, {}).values():
                for zh in ignored:
                    names.setdefault(normalise_header(zh), (None, "jieqin"))

    def with_aliases(self, aliases: Iterable[HeaderAlias]) -> HeaderTable:
        """A copy of this table with ``aliases`` added (conflicts raise InvalidValue)."""
        table = HeaderTable.__new__(HeaderTable)
        table._names = {kind: dict(names) for kind, names in self._names.items()}
        table.regions = self.regions
        for alias in aliases:
            table.add(alias)
        return table

    def with_region_names(self, names: Mapping[str, str]) -> HeaderTable:
        """A copy of this table that reads a region column's names by ``names`` (region
        code -> name: the registry's ``region_names``)."""
        table = self.with_aliases(())
        table.regions = RegionNames(names)
        return table

    def cell_parser(self, kind: Kind, column: Column) -> Callable[[str], Any] | None:
        """How a (non-empty) cell of ``column`` becomes its JSON-form value: a region
        column's name becomes the region's code, another column's cell is parsed by its
        type (``None``: text, as it is)."""
        if column.name in REGION_COLUMNS.get(kind.name, ()):
            return self.regions.code
        return None if column.type is ColumnType.TEXT else column.parse

    def add(self, alias: HeaderAlias) -> None:
        """Add one alias; the same alias for the same column again is no conflict."""
        names = self._names.get(alias.kind)
        if names is None:
            raise InvalidValue(
                f"unknown kind {alias.kind!r}; expected one of: {', '.join(self._names)}",
                field="kind",
            )
        kind = KINDS.get(alias.kind) or PAYMENT_KINDS[alias.kind]
        if alias.column not in {c.name for c in kind.all_columns()}:
            raise InvalidValue(
                f"{alias.kind} have no column {alias.column!r} to call {alias.alias}"
            )
        key = normalise_header(alias.alias)
        if not key:
            raise InvalidValue("a header alias must not be empty", field="alias")
        existing = names.get(key)
        if existing is not None and existing[0] != alias.column:
            named = existing[0] or "a column that is not read"
            raise InvalidValue(
                f"header {alias.alias} of {alias.kind} already names {named} "
                f"(by {existing[1]}); it cannot also name {alias.column}"
            )
        names.setdefault(key, (alias.column, alias.plugin))

    def lookup(self, kind: Kind, header: str) -> tuple[bool, Column | None]:
        """``(known, column)`` of a header cell: ``(True, None)`` for an ignored column,
        ``(False, None)`` for a header the table does not know."""
        found = self._names.get(kind.name, {}).get(normalise_header(header))
        if found is None:
            return False, None
        name = found[0]
        if name is None:
            return True, None
        for column in kind.all_columns():
            if column.name == name:
                return True, column
        return False, None  # pragma: no cover - the table holds the kind's columns only

    def knows(self, kind: Kind, header: str) -> bool:
        """Whether ``header`` names a column of ``kind`` (or one that is not read)."""
        return normalise_header(header) in self._names.get(kind.name, {})

    def key_names(self, kind: Kind) -> dict[str, str]:
        """Normalised aliases of the columns whose JSON form is a top-level key
        (``户编号`` -> ``household_id``): how JSON Lines keys are read."""
        top = {c.name for c in kind.all_columns() if c.path == (c.name,)}
        return {
            header: name
            for header, (name, _) in self._names.get(kind.name, {}).items()
            if name in top and header != name
        }


def heading(kind: Kind, column: Column, language: str = "en") -> str:
    """The header ``language`` writes for ``column`` of ``kind`` (``en``: its name)."""
    if header_language(language) == "en":
        return column.name
    names = CHINESE.get(kind.name, {}).get(column.name)
    return names[0] if names else column.name


def headings(kind: Kind, columns: Iterable[Column], language: str = "en") -> list[str]:
    """The headers of ``columns`` in ``language``."""
    return [heading(kind, column, language) for column in columns]


def sheet_name(kind: str, language: str = "en") -> str:
    """The sheet a workbook of ``kind`` is written to, in ``language``."""
    names = SHEET_NAMES[kind]
    return names[0] if header_language(language) == "en" else names[1]


STANDARD_HEADERS = HeaderTable()
"""The built-in table: English names, :data:`CHINESE` and :data:`IGNORED`."""
