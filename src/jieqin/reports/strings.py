"""The words of the text and HTML reports, in Chinese (the default) and English.

One small table per language, keyed by message id: this module is the one place a
report's wording lives. The English words are also messages of jieqin's catalog
(:mod:`jieqin.i18n`, in the context ``report``), whose Chinese a test holds equal to
the Chinese table here: add a word to both tables, then to the catalog. A report
written without a language is in the language of the run
(:func:`jieqin.i18n.language`: ``--lang``, ``JIEQIN_LANG``, the locale, else Chinese).
"""

from __future__ import annotations

from collections.abc import Mapping

from jieqin.errors import InvalidValue

__all__ = ["DEFAULT_LANGUAGE", "HTML_LANG", "LANGUAGES", "MESSAGES", "Strings", "strings"]

DEFAULT_LANGUAGE = "zh"

#: The ``lang`` attribute of the HTML page for each language.
HTML_LANG: Mapping[str, str] = {"zh": "zh-CN", "en": "en"}

_ZH: dict[str, str] = {
    "title": "jieqin 工作报告 {period}",
    "totals_title": "jieqin 工作报告 {period}：合计",
    "withheld_cells": "，少于 {k} 的数不予公布",
    "withheld_note": "少于 {k} 的数不予公布。",
    "withheld": "不予公布",
    "dates": "{start} 至 {end}",
    "col_figure": "项目",
    "col_detail": "明细",
    "col_count": "数量",
    "col_amount": "金额（元）",
    "helpers": "帮扶人",
    "all_tiers": "全部层级",
    "households": "结对户",
    "activities": "活动",
    "activities_by_tier": "按帮扶人层级的活动",
    "needs": "需求",
    "referrals": "转介",
    "grants": "资助",
    "grant_payments": "资助发放",
    "payment_paid": "已发放",
    "payment_unpaid": "待发放",
    "payment_returned": "已退回",
    "grievances": "诉求",
    "answer_on_time": "按期答复",
    "answer_late": "逾期答复",
    "answer_unanswered": "未答复",
    "route_program": "项目",
    "route_referral": "转介",
    "route_helper": "帮扶人",
    "route_unrouted": "未分派",
    "totals": "合计",
    "by_district": "分区县",
    "charts": "图表",
    "chart_monthly": "每月活动（按类别）",
    "chart_districts": "各区县工作（活动数）",
    "chart_grants": "各项目资助（元）",
    "grant_text": "{count} 笔，{amount} 元",
    "windows": "活动时段",
    "col_window": "时段",
    "col_dates": "日期",
    "nothing": "无数据",
    "monitoring": "防返贫监测",
    "monitored_households": "监测户",
    "all_categories": "全部类别",
    "monitored_at_end": "期末仍在监测",
    "risk_warnings": "风险预警",
    "warnings_raised": "发出预警",
    "warnings_checked_on_time": "按期核实",
    "warnings_checked_late": "逾期核实",
    "warnings_unchecked": "未核实",
    "warnings_confirmed": "确认纳入监测",
    "warnings_dismissed": "排除",
    "warnings_open": "待处理",
    "risk_eliminated": "风险消除户",
    "region_monitoring": "{region}：防返贫监测",
}

_EN: dict[str, str] = {
    "title": "jieqin report {period}",
    "totals_title": "jieqin report {period}: totals",
    "withheld_cells": ", cells below {k} withheld",
    "withheld_note": "Counts below {k} are withheld.",
    "withheld": "withheld",
    "dates": "{start} to {end}",
    "col_figure": "figure",
    "col_detail": "detail",
    "col_count": "count",
    "col_amount": "amount (yuan)",
    "helpers": "helpers",
    "all_tiers": "all tiers",
    "households": "paired households",
    "activities": "activities",
    "activities_by_tier": "activities by helper tier",
    "needs": "needs",
    "referrals": "referrals",
    "grants": "grants",
    "grant_payments": "grant payments",
    "payment_paid": "paid",
    "payment_unpaid": "not yet paid",
    "payment_returned": "returned",
    "grievances": "grievances",
    "answer_on_time": "answered on time",
    "answer_late": "answered late",
    "answer_unanswered": "not answered",
    "route_program": "program",
    "route_referral": "referral",
    "route_helper": "helper",
    "route_unrouted": "unrouted",
    "totals": "Totals",
    "by_district": "By district",
    "charts": "Charts",
    "chart_monthly": "Activities per month by kind",
    "chart_districts": "Work by district (activities)",
    "chart_grants": "Grants by program (yuan)",
    "grant_text": "{count} grants, {amount}",
    "windows": "Campaign windows",
    "col_window": "window",
    "col_dates": "dates",
    "nothing": "nothing to show",
    "monitoring": "Monitoring against a return to poverty",
    "monitored_households": "monitored households",
    "all_categories": "all categories",
    "monitored_at_end": "still monitored at the end",
    "risk_warnings": "risk warnings",
    "warnings_raised": "raised",
    "warnings_checked_on_time": "checked by the due day",
    "warnings_checked_late": "checked late",
    "warnings_unchecked": "not checked yet",
    "warnings_confirmed": "confirmed as monitored",
    "warnings_dismissed": "dismissed",
    "warnings_open": "not decided yet",
    "risk_eliminated": "households whose risk was eliminated",
    "region_monitoring": "{region}: monitoring",
}

#: Every language a report is written in, with its messages.
MESSAGES: Mapping[str, Mapping[str, str]] = {"zh": _ZH, "en": _EN}
LANGUAGES: tuple[str, ...] = tuple(MESSAGES)


class Strings:
    """The messages of one language: ``words("title", period=...)``."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._messages = MESSAGES[lang]

    def __call__(self, key: str, **values: object) -> str:
        text = self._messages[key]
        return text.format(**values) if values else text


def strings(lang: str | None = None) -> Strings:
    """The messages of ``lang`` (when ``None``, of :func:`jieqin.i18n.language`);
    another language raises :class:`~jieqin.errors.InvalidValue` naming the ones there
    are."""
    from jieqin.i18n import language

    chosen = language() if lang is None else lang
    if chosen not in MESSAGES:
        raise InvalidValue(
            f"unknown report language {lang!r}; one of {', '.join(LANGUAGES)}", field="lang"
        )
    return Strings(chosen)
