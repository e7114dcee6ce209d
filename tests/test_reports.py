"""Reports: the figures, suppression, and the four output formats."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from jieqin.activities import CampaignCalendar, CampaignWindow, standard_windows
from jieqin.errors import InvalidValue
from jieqin.model import Quarter, Year
from jieqin.reports import build_report, render
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


def test_html_is_self_contained_with_three_charts() -> None:
    page = render(build_report(source(), Year(2021), by_region=True), "html")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 3
    for title in ("Activities per month by kind", "Work by district", "Grants by program"):
        assert title in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<script" not in page
