"""The report's monitoring section: monitored households by category and county, the
warnings raised and what came of them, the households whose risk was eliminated; the
same figures on every backend (counted from the rows), in every format, masked."""

from __future__ import annotations

import io
import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

import jieqin
from jieqin.model import (
    MONITORED_STATUSES,
    Elimination,
    Month,
    RiskWarning,
    StableMonth,
    StatusChange,
    WarningStatus,
    Year,
)
from jieqin.reports import build_report, render
from jieqin.reports.model import Report
from jieqin.storage.counted import TablesReadModel, last_monitored

sys.path.insert(0, str(Path(__file__).parent))
from activity_world import world

ORDER = ("helpers", "households", "pairings", "warnings", "eliminations")


def _history(*changes: tuple[str, date]) -> tuple[StatusChange, ...]:
    return tuple(StatusChange(status, since) for status, since in changes)


def _warning(wid: str, hid: str, raised: date, **steps: object) -> RiskWarning:
    warning = RiskWarning(
        wid,
        hid,
        ("income_below_line",),
        Year(raised.year),
        raised,
        date.fromordinal(raised.toordinal() + 15),
    )
    return attrs.evolve(warning, **steps)


def _assigned(on: date) -> dict[str, object]:
    return {"status": WarningStatus.ASSIGNED, "assigned_to": "p1", "assigned_on": on}


def _checked(assigned: date, checked: date) -> dict[str, object]:
    return {
        **_assigned(assigned),
        "status": WarningStatus.CHECKED,
        "checked_by": "p1",
        "checked_on": checked,
        "check_note": "入户核实",
    }


def _decided(
    checked: dict[str, object], status: WarningStatus, on: date, **decision: object
) -> dict[str, object]:
    return {**checked, "status": status, "decided_by": "clerk:li", "decided_on": on, **decision}


def monitoring_world() -> dict[str, list[object]]:
    """The activity world with a year of monitoring: three households monitored in
    2021 (one of them eliminated in December), four warnings (one in 2022)."""
    data = world()
    h1, h2, h3, h4 = data["households"]  # h1, h2 王益区; h3, h4 印台区
    lifted = ("lifted_out", date(2019, 1, 1))
    data["households"] = [
        attrs.evolve(
            h1,  # type: ignore[misc]
            status_history=_history(
                lifted, ("unstable", date(2021, 7, 12)), ("lifted_out", date(2021, 12, 20))
            ),
        ),
        attrs.evolve(
            h2,  # type: ignore[misc]
            status_history=_history(lifted, ("edge_of_poverty", date(2021, 9, 25))),
        ),
        attrs.evolve(h3, status_history=_history(("unstable", date(2019, 1, 1)))),  # type: ignore[misc]
        h4,
    ]
    data["warnings"] = [
        _warning(
            "w1",
            "h1",
            date(2021, 7, 1),
            **_decided(
                _checked(date(2021, 7, 2), date(2021, 7, 10)),
                WarningStatus.CONFIRMED,
                date(2021, 7, 12),
                category="unstable",
            ),
        ),
        _warning(
            "w2",
            "h2",
            date(2021, 9, 1),
            **_decided(
                _checked(date(2021, 9, 1), date(2021, 9, 20)),  # after its due day
                WarningStatus.CONFIRMED,
                date(2021, 9, 25),
                category="edge_of_poverty",
            ),
        ),
        _warning(
            "w3",
            "h4",
            date(2021, 11, 1),
            **_decided(
                _checked(date(2021, 11, 2), date(2021, 11, 5)),
                WarningStatus.DISMISSED,
                date(2021, 11, 6),
                reason="收入已恢复",
            ),
        ),
        _warning("w4", "h3", date(2021, 12, 1), **_assigned(date(2021, 12, 2))),
        _warning("w5", "h4", date(2022, 1, 5)),
    ]
    data["eliminations"] = [
        Elimination(
            elimination_id="el1",
            household_id="h1",
            from_status="unstable",
            to_status="lifted_out",
            stable_months=[
                StableMonth(Month(2021, m), Decimal("9000"), Decimal("6000")) for m in range(5, 11)
            ],
            checked_by="p1",
            checked_on=date(2021, 11, 2),
            made_by="clerk:li",
            made_on=date(2021, 11, 3),
            status="committed",
            approved_by="approver:sun",
            approved_on=date(2021, 11, 5),
            notice_from=date(2021, 11, 6),
            notice_until=date(2021, 11, 12),
            committed_on=date(2021, 12, 20),
        )
    ]
    return data


def load(campaign: jieqin.Campaign, data: dict[str, list[object]]) -> None:
    with campaign.unit_of_work("test") as uow:
        for name in ORDER:
            getattr(uow, name).add_many(data[name])
        uow.commit()


@pytest.fixture
def monitored(campaign: jieqin.Campaign) -> jieqin.Campaign:
    load(campaign, monitoring_world())
    return campaign


def truth(period: str, *, k: int | None = None) -> Report:
    return build_report(
        TablesReadModel.of(monitoring_world()),
        jieqin.parse_period(period),
        by_region=True,
        k=k,
        monitored=MONITORED_STATUSES,
    )


@pytest.mark.parametrize("period", ["2021", "2021Q3", "2021Q4", "2021-12", "2022"])
def test_every_backend_counts_the_same_monitoring(monitored: jieqin.Campaign, period: str) -> None:
    got = monitored.report(period, by_region=True)
    expected = truth(period)
    assert got.totals.monitoring == expected.totals.monitoring
    assert {c: f.monitoring for c, f in got.regions.items()} == {
        c: f.monitoring for c, f in expected.regions.items()
    }


def test_the_year_shows_what_the_rows_hold(monitored: jieqin.Campaign) -> None:
    m = monitored.report("2021", by_region=True).totals.monitoring
    assert m is not None
    assert (m.households, m.at_end) == (3, 2)
    assert {c.category: (c.monitored, c.at_end, c.eliminated) for c in m.categories} == {
        "edge_of_poverty": (1, 1, 0),
        "unstable": (2, 1, 1),
    }
    assert (m.warnings, m.checked_on_time, m.checked_late, m.unchecked) == (4, 2, 1, 1)
    assert (m.confirmed, m.dismissed, m.open, m.eliminated) == (2, 1, 1, 1)


def test_a_quarter_and_the_counties(monitored: jieqin.Campaign) -> None:
    report = monitored.report("2021Q3", by_region=True)
    m = report.totals.monitoring
    assert m is not None
    assert (m.households, m.at_end, m.warnings, m.eliminated) == (3, 3, 2, 0)
    wangyi, yintai = report.regions["610202"].monitoring, report.regions["610203"].monitoring
    assert wangyi is not None
    assert yintai is not None
    assert (wangyi.households, wangyi.warnings) == (2, 2)
    assert (yintai.households, yintai.warnings) == (1, 0)


def test_a_campaign_that_does_not_monitor_has_no_section(campaign: jieqin.Campaign) -> None:
    load(campaign, {**world(), "warnings": [], "eliminations": []})
    report = campaign.report("2021", by_region=True)
    assert report.totals.monitoring is None
    assert "monitoring" not in report.as_dict()
    assert "Monitoring" not in render(report, "table", lang="en")


def test_small_cells_are_withheld(monitored: jieqin.Campaign) -> None:
    report = monitored.report("2021", by_region=True, k=3)
    m = report.totals.monitoring
    assert m is not None
    assert (m.households, m.warnings) == (3, 4)
    assert m.confirmed is None
    assert m.eliminated is None
    yintai = report.regions["610203"].monitoring
    assert yintai is not None
    assert yintai.households is None


def test_the_section_in_every_format(monitored: jieqin.Campaign) -> None:
    from openpyxl import load_workbook

    from jieqin.reports.xlsx import write_workbook

    report = monitored.report("2021", by_region=True)
    data = json.loads(render(report, "json"))
    assert data["monitoring"]["warnings"] == 4
    assert data["regions"][0]["monitoring"]["households"] == 2
    text = render(report, "table", lang="zh")
    assert "防返贫监测" in text
    assert "脱贫不稳定户" in text
    assert "风险消除户" in text
    english = render(report, "table", lang="en")
    assert "checked by the due day" in english
    page = render(report, "html", lang="zh")
    assert "<h2>防返贫监测</h2>" in page
    assert "按期核实" in page
    rows = render(report, "csv").splitlines()
    assert "all,warnings,checked_late,,1," in rows
    assert "all,risk_eliminated,unstable,,1," in rows
    out = io.BytesIO()
    write_workbook(report, out)
    sheet = load_workbook(io.BytesIO(out.getvalue()))["totals"]
    cells = [tuple(c.value for c in row[:4]) for row in sheet.iter_rows()]
    assert ("monitored_households", "edge_of_poverty", None, 1) in cells


def test_warnings_are_never_counted_by_rule(monitored: jieqin.Campaign) -> None:
    """A rule can tell a health fact (medical burden): no format names one."""
    report = monitored.report("2021", by_region=True)
    for fmt in ("json", "csv", "table", "html"):
        assert "income_below_line" not in render(report, fmt, lang="en"), fmt


def test_reports_never_write(monitored: jieqin.Campaign) -> None:
    with monitored.unit_of_work() as uow:
        before = uow.audit.count()
    monitored.report("2021", by_region=True)
    with monitored.unit_of_work() as uow:
        assert uow.audit.count() == before


@pytest.mark.parametrize(
    ("changes", "first", "last", "expected"),
    [
        ((("lifted_out", date(2019, 1, 1)),), date(2021, 1, 1), date(2021, 12, 31), None),
        ((("unstable", date(2022, 1, 1)),), date(2021, 1, 1), date(2021, 12, 31), None),
        ((("unstable", date(2021, 12, 31)),), date(2021, 1, 1), date(2021, 12, 31), "unstable"),
        (
            (("unstable", date(2019, 1, 1)), ("lifted_out", date(2021, 1, 1))),
            date(2021, 1, 1),
            date(2021, 12, 31),
            None,
        ),
        (
            (("unstable", date(2019, 1, 1)), ("lifted_out", date(2021, 1, 2))),
            date(2021, 1, 1),
            date(2021, 12, 31),
            "unstable",
        ),
        (
            (("unstable", date(2019, 1, 1)), ("edge_of_poverty", date(2021, 6, 1))),
            date(2021, 1, 1),
            date(2021, 12, 31),
            "edge_of_poverty",
        ),
    ],
)
def test_the_last_monitored_status_of_a_range(
    changes: tuple[tuple[str, date], ...], first: date, last: date, expected: str | None
) -> None:
    assert last_monitored(changes, first, last, MONITORED_STATUSES) == expected


def test_a_county_clerk_sees_the_monitoring_of_the_county(monitored: jieqin.Campaign) -> None:
    from jieqin.security import STANDARD_ROLES, Principal

    clerk = Principal("clerk:yintai", STANDARD_ROLES["clerk"], ["610203"])
    report = monitored.acting_as(clerk).report("2021", by_region=True)
    assert set(report.regions) <= {"610203"}
    m = report.totals.monitoring
    assert m is not None
    assert (m.households, m.warnings, m.dismissed, m.eliminated) == (1, 2, 1, 0)
