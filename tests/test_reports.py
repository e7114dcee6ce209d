"""Reports: the figures, suppression, and the four output formats."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jieqin.activities import CampaignCalendar, CampaignWindow, standard_windows
from jieqin.errors import InvalidValue
from jieqin.model import Quarter, Year
from jieqin.reports import build_report, render
from jieqin.reports.svg import FONT_STACK, whole_ticks
from jieqin.storage.counted import TablesReadModel

sys.path.insert(0, str(Path(__file__).parent))
from activity_world import WANGYI, YINTAI, world


def source() -> TablesReadModel:
    return TablesReadModel.of(world())


def expected_activity_counts(first: date, last: date) -> dict[str, int]:
    counts = dict.fromkeys(
        ["contact", "visit", "policy_explanation", "warmth", "practical_help"], 0
    )
    for a in world()["activities"]:
        if first <= a.on <= last:  # type: ignore[attr-defined]
            counts[a.kind] += 1  # type: ignore[attr-defined]
    return counts


def test_the_annual_figures() -> None:
    report = build_report(source(), Year(2021))
    data = report.as_dict()
    assert data["period"] == "2021"
    # h4's pairing starts in 2022; h3 had two helpers in the year.
    assert data["households"] == 3
    assert data["helpers"] == 3
    assert data["helpers_by_tier"] == {"agency_staff": 1, "city_member": 1, "county_member": 1}
    assert data["activities"] == expected_activity_counts(date(2021, 1, 1), date(2021, 12, 31))
    assert data["referrals"] == [{"agency": "employment_center", "count": 1}]
    assert data["grants"] == [
        {
            "program": "illness",
            "program_name": "Major illness grant",
            "funder": "Provincial charity association",
            "count": 1,
            "amount": "5000.00",
        },
        {
            "program": "scholarship",
            "program_name": "Charity scholarship",
            "funder": "Provincial charity association",
            "count": 1,
            "amount": "5000.00",
        },
    ]
    assert {(n["kind"], n["route"]) for n in data["needs"]} == {
        ("employment", "referral"),
        ("schooling", "program"),
        ("medical", "unrouted"),
    }
    monthly = data["activities_by_month"]
    assert list(monthly) == [f"2021-{m:02d}" for m in range(1, 13)]
    assert sum(sum(v.values()) for v in monthly.values()) == sum(data["activities"].values())


def test_a_quarter_counts_only_its_days() -> None:
    q2 = build_report(source(), Quarter(2021, 2)).as_dict()
    assert q2["activities"] == expected_activity_counts(date(2021, 4, 1), date(2021, 6, 30))
    assert q2["referrals"] == []
    assert q2["grants"] == []
    assert q2["helpers"] == 3  # p2 until April 30, p3 from May 1


def test_regions_add_up_to_the_totals() -> None:
    report = build_report(source(), Year(2021), by_region=True, region_names={WANGYI: "王益区"})
    regions = {r["region"]: r for r in report.as_dict()["regions"]}  # type: ignore[union-attr]
    assert set(regions) == {WANGYI, YINTAI}
    assert regions[WANGYI]["name"] == "王益区"
    for kind, total in report.totals.activities.items():
        assert sum(r["activities"][kind] for r in regions.values()) == total
    assert regions[WANGYI]["households"] == 2
    assert regions[YINTAI]["households"] == 1


def test_windows_count_the_work_inside_them() -> None:
    calendar = CampaignCalendar(standard_windows(2021))
    calendar.register(CampaignWindow.activity_day("d", date(2021, 6, 10), "activity day"))
    report = build_report(source(), Year(2021), calendar=calendar)
    windows = {w.window_id: w for w in report.windows}
    assert dict(windows["d"].activities) == expected_activity_counts(
        date(2021, 6, 10), date(2021, 6, 10)
    )
    assert dict(windows["winter_2021"].activities) == expected_activity_counts(
        date(2021, 11, 15), date(2021, 12, 31)
    )


def test_small_cells_are_withheld_with_their_amounts() -> None:
    report = build_report(source(), Year(2021), k=5)
    data = report.as_dict()
    assert data["suppressed_below"] == 5
    assert data["households"] is None  # 3 < 5
    assert all(g["count"] is None and g["amount"] is None for g in data["grants"])
    full = expected_activity_counts(date(2021, 1, 1), date(2021, 12, 31))
    for kind, n in full.items():
        assert data["activities"][kind] == (None if 0 < n < 5 else n)
    assert "<5" in render(report, "table")
    with pytest.raises(InvalidValue, match="k must be"):
        build_report(source(), Year(2021), k=1)


SENSITIVE = re.compile(r"\d{17}[\dX]|lung cancer|major_illness\b|王大山")


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "html"])
def test_no_format_shows_ids_names_or_health_facts(fmt: str) -> None:
    text = render(build_report(source(), Year(2021), by_region=True), fmt)
    assert not SENSITIVE.search(text), SENSITIVE.search(text)


def test_json_is_one_object_with_decimal_strings() -> None:
    data = json.loads(render(build_report(source(), Year(2021)), "json"))
    assert isinstance(data, dict)
    assert {"period", "helpers", "households", "activities", "referrals", "grants"} <= set(data)
    assert all(Decimal(g["amount"]) == Decimal(5000) for g in data["grants"])


def test_csv_has_one_figure_per_row() -> None:
    text = render(build_report(source(), Year(2021), by_region=True), "csv")
    reader = csv.DictReader(io.StringIO(text))
    records = list(reader)
    assert reader.fieldnames == ["region", "figure", "key", "detail", "count", "amount"]
    assert not text.startswith("#")
    assert all(None not in r and all(v is not None for v in r.values()) for r in records)
    visits = {
        r["region"]: int(r["count"])
        for r in records
        if r["figure"] == "activities" and r["key"] == "visit"
    }
    assert visits["all"] == visits[WANGYI] + visits[YINTAI]
    grants = [r for r in records if r["figure"] == "grants" and r["region"] == "all"]
    assert sum(Decimal(r["amount"]) for r in grants) == Decimal(10000)


@pytest.mark.parametrize(
    ("lang", "titles"),
    [
        ("en", ("Activities per month by kind", "Work by district", "Grants by program")),
        ("zh", ("每月活动", "各区县工作", "各项目资助")),
    ],
)
def test_html_is_self_contained_with_three_charts(lang: str, titles: tuple[str, ...]) -> None:
    page = render(build_report(source(), Year(2021), by_region=True), "html", lang=lang)
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 3
    for title in titles:
        assert title in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<script" not in page


@pytest.mark.usefixtures("no_language_chosen")
def test_html_asks_for_a_cjk_font_in_the_page_and_in_every_chart() -> None:
    page = render(build_report(source(), Year(2021), by_region=True), "html")
    assert '<html lang="zh-CN">' in page
    assert f"body{{font-family:{FONT_STACK};" in page
    assert page.count(f'font-family="{FONT_STACK}"') == 3
    families = [f.strip("'") for f in FONT_STACK.split(",")]
    assert families[:2] == ["Noto Sans CJK SC", "Source Han Sans SC"]
    assert families[-1] == "sans-serif"
    assert "<h2>合计</h2>" in page
    assert "<h2>分区县</h2>" in page


@pytest.mark.usefixtures("no_language_chosen")
def test_the_tables_name_codes_by_their_labels() -> None:
    report = build_report(source(), Year(2021), by_region=True)
    zh = render(report, "table")
    assert "市政协委员" in zh
    assert "city_member" not in zh
    assert "常走动" in zh
    assert " visit " not in zh
    coded = render(report, "table", show_codes=True)
    assert "市政协委员 (city_member)" in coded
    assert "常走动 (visit)" in coded
    en = render(report, "table", lang="en")
    assert "city council member" in en
    assert "paired households" in en
    with pytest.raises(InvalidValue, match="unknown report language"):
        render(report, "table", lang="fr")


def test_json_and_csv_keep_the_codes() -> None:
    report = build_report(source(), Year(2021), by_region=True)
    assert render(report, "json") == render(report, "json", lang="en", show_codes=True)
    assert '"city_member": 1' in render(report, "json")
    assert "市政协委员" not in render(report, "csv")


@pytest.mark.parametrize(
    ("value", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (46, [0, 10, 20, 30, 40, 50]),
        (10_000.0, [0, 2000, 4000, 6000, 8000, 10000]),
        (60_001.0, [0, 20000, 40000, 60000, 80000]),
    ],
)
def test_axis_ticks_are_whole_numbers(value: float, ticks: list[int]) -> None:
    assert whole_ticks(value) == ticks


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_axis_ticks_cover_the_value_in_at_most_six_whole_steps(value: float) -> None:
    ticks = whole_ticks(value)
    assert ticks[0] == 0
    assert ticks[-1] >= value
    assert all(isinstance(t, int) for t in ticks)
    assert 2 <= len(ticks) <= 6
    steps = {b - a for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1
