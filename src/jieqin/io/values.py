"""How a ledger writes values: Chinese words for the fixed codes, and Chinese dates.

A village register writes 男 / 女 for a member's sex, 户主 / 配偶 / 子女 for the
relation to the head, 大病 for a health condition, and dates as ``1980年5月3日``,
``1980.05.03`` or ``1980/5/3``. Every import reads them as the codes and dates they
mean, through the one converter (:mod:`jieqin.io.converter`), so CSV, XLSX and JSON
Lines read them alike and exports still write the codes and ISO dates.

The words of each fixed vocabulary are its labels in :mod:`jieqin.model.reference`
(a label such as ``儿媳、女婿`` gives each of its parts), and the common other
spellings of :data:`SPELLINGS` (长子, 妻, 外孙女 ...). A spelling that would mean two
codes is a mistake in these tables, which a test guards against.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from functools import cache

from jieqin.errors import InvalidValue
from jieqin.i18n import N_
from jieqin.model import reference
from jieqin.model.monitoring import ObservationKind, ObservationSource
from jieqin.model.people import EmploymentStatus, HealthCondition, Relation, SchoolLevel, Sex

__all__ = ["SPELLINGS", "code_of", "parse_date", "spellings"]

#: The other ways a ledger writes the fixed codes, beside their labels.
SPELLINGS: Mapping[type[StrEnum], Mapping[str, tuple[str, ...]]] = {
    Sex: {
        Sex.MALE: ("男", "男性", "男士"),
        Sex.FEMALE: ("女", "女性", "女士"),
    },
    Relation: {
        Relation.HEAD: ("本人", "户主本人"),
        Relation.SPOUSE: ("妻", "妻子", "夫", "丈夫", "老伴"),
        Relation.CHILD: (
            "子",
            "女",
            "儿子",
            "女儿",
            "独生子",
            "独生女",
            "长子",
            "次子",
            "三子",
            "四子",
            "五子",
            "长女",
            "次女",
            "三女",
            "四女",
            "五女",
            "养子",
            "养女",
            "继子",
            "继女",
        ),
        Relation.CHILD_IN_LAW: ("儿媳", "女婿", "儿媳妇", "媳妇"),
        Relation.GRANDCHILD: ("孙子", "孙女", "外孙", "外孙子", "外孙女", "孙子女", "外孙子女"),
        Relation.PARENT: ("父亲", "母亲", "父", "母", "公公", "婆婆", "岳父", "岳母"),
        Relation.GRANDPARENT: ("祖父", "祖母", "外祖父", "外祖母", "爷爷", "奶奶", "姥爷", "姥姥"),
        Relation.SIBLING: ("兄", "弟", "姐", "妹", "哥哥", "弟弟", "姐姐", "妹妹", "兄弟", "姐妹"),
        Relation.OTHER: ("其它",),
    },
    HealthCondition: {
        HealthCondition.HEALTHY: ("健康", "良好"),
        HealthCondition.CHRONIC_ILLNESS: ("慢性病", "长期慢性病"),
        HealthCondition.MAJOR_ILLNESS: ("大病", "患有大病", "重病"),
    },
    SchoolLevel: {
        SchoolLevel.PRESCHOOL: ("学前", "幼儿园"),
        SchoolLevel.SENIOR_SECONDARY: ("普通高中",),
        SchoolLevel.VOCATIONAL: ("中专", "职高", "技校"),
        SchoolLevel.COLLEGE: ("大学", "大专", "本科", "高职"),
    },
    EmploymentStatus: {
        EmploymentStatus.MIGRANT_WORKER: ("务工", "外出打工", "打工"),
        EmploymentStatus.FARMING: ("务农", "在家务农"),
        EmploymentStatus.UNEMPLOYED_SEEKING: ("失业", "待业"),
        EmploymentStatus.UNABLE_TO_WORK: ("丧失劳动能力", "无劳动力"),
        EmploymentStatus.STUDENT: ("学生", "在校学生"),
        EmploymentStatus.CHILD: ("学龄前儿童", "儿童"),
    },
    ObservationKind: {
        ObservationKind.INCOME: ("收入", "人均纯收入", "纯收入", "人均收入"),
        ObservationKind.MEDICAL: ("医疗", "医疗支出", "自付医疗费用"),
        ObservationKind.SCHOOLING: ("教育", "教育支出", "就学支出"),
        ObservationKind.DISASTER_LOSS: ("灾害", "灾害损失", "意外损失"),
        ObservationKind.MAJOR_ILLNESS: ("确诊大病", "新患大病", "大病确诊"),
        ObservationKind.DISABILITY: ("新增残疾", "致残"),
        ObservationKind.SCHOOL_DROPOUT: ("辍学", "失学"),
    },
    ObservationSource: {
        ObservationSource.DECLARATION: ("申报", "农户申报", "自主申报", "农户自主申报"),
        ObservationSource.SURVEY: ("调查", "入户调查"),
        ObservationSource.VISIT: ("走访", "帮扶走访"),
        ObservationSource.FEED: ("部门数据", "部门推送", "部门"),
    },
}

#: The reference table that labels each fixed vocabulary.
_LABELLED: Mapping[type[StrEnum], tuple[reference.ReferenceCode, ...]] = {
    Relation: reference.RELATIONS,
    HealthCondition: reference.HEALTH_CONDITIONS,
    SchoolLevel: reference.SCHOOL_LEVELS,
    EmploymentStatus: reference.EMPLOYMENT_STATUSES,
}


def _folded(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


@cache
def spellings(cls: type[StrEnum]) -> Mapping[str, str]:
    """Every Chinese spelling of the codes of ``cls`` -> its code (empty for another
    vocabulary); a spelling of two codes raises :class:`InvalidValue`."""
    found: dict[str, str] = {}

    def add(spelling: str, code: str) -> None:
        key = _folded(spelling)
        if found.setdefault(key, code) != code:
            raise InvalidValue(f"{spelling} spells both {found[key]} and {code} of {cls.__name__}")

    for entry in _LABELLED.get(cls, ()):
        for part in re.split(r"[、，,/]", entry.label):
            add(part, str(entry.code))
        plain = re.sub(r"[（(].*?[）)]", "", entry.label)  # 大学（含大专）: 大学
        if plain:
            add(plain, str(entry.code))
    for code, words in SPELLINGS.get(cls, {}).items():
        for word in words:
            add(word, str(code))
    return found


def code_of(cls: type[StrEnum], text: str) -> str:
    """The code ``text`` spells in ``cls``: the code itself, or one of its Chinese
    spellings (``男`` -> ``male``); anything else is returned as it is (to be refused
    by the vocabulary with its own message)."""
    if text.isascii():
        return text
    return spellings(cls).get(_folded(text), text)


_CHINESE_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_SEPARATED_DATE = re.compile(r"(\d{4})([./\-])(\d{1,2})\2(\d{1,2})")


def parse_date(text: str) -> date | None:
    """The day a ledger writes as ``1980-05-03``, ``1980-5-3``, ``1980年5月3日``,
    ``1980.05.03`` or ``1980/5/3``; ``None`` for text of another shape. A day that does
    not exist (``1980年2月30日``) raises :class:`InvalidValue` naming it."""
    folded = unicodedata.normalize("NFKC", text).strip()
    chinese = _CHINESE_DATE.fullmatch(folded)
    separated = _SEPARATED_DATE.fullmatch(folded) if chinese is None else None
    if chinese is not None:
        year, month, day = chinese.groups()
    elif separated is not None:
        year, _, month, day = separated.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        written = f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
        raise InvalidValue(N_("there is no day {day}", day=written)) from None
