"""Reports and follow-up on every backend: the same numbers from SQL and from Python,
every figure following households that move and helpers that change tier, the kept
read model equal to a rebuild, and reports that never write."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

import jieqin
from jieqin.activities import default_policy, overdue
from jieqin.errors import InvalidInput
from jieqin.model import Activity, Fund, NeedStatus, RegionCode, Year
from jieqin.reports import build_report
from jieqin.services.follow_up import follow_up_arrays
from jieqin.storage.counted import TablesReadModel
from jieqin.storage.sql.backend import SqlStorage

sys.path.insert(0, str(Path(__file__).parent))
from activity_world import world
from world_plugin import WORLDS

ORDER = ("helpers", "households", "pairings", "needs", "referrals", "programs")


def load(campaign: jieqin.Campaign, data: dict[str, list[object]]) -> None:
    with campaign.unit_of_work("test") as uow:
        for name in ORDER:
            getattr(uow, name).add_many(data[name])
        uow.funds.add_many(
            [
                Fund(f"f{i}", p.program_id, Year(2021), Decimal(100000))  # type: ignore[attr-defined]
                for i, p in enumerate(data["programs"], start=1)
            ]
        )
        uow.grants.add_many(data["grants"])
        uow.commit()
    campaign.log_activities(data["activities"])  # type: ignore[arg-type]


@pytest.fixture
def loaded(campaign: jieqin.Campaign) -> jieqin.Campaign:
    load(campaign, world())
    return campaign


@pytest.mark.parametrize("period", ["2021", "2021Q2", "2021-12", "2022"])
def test_every_backend_reports_the_same_figures(loaded: jieqin.Campaign, period: str) -> None:
    truth = build_report(
        TablesReadModel.of(world()),
        jieqin.parse_period(period),
        by_region=True,
        region_names=dict(loaded.registry.region_names),
    )  # type: ignore[arg-type]
    got = loaded.report(period, by_region=True)
    assert got.as_dict() == truth.as_dict()


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2021, 3, 10), date(2021, 6, 20)),  # days at both ends, whole months between
        (date(2021, 2, 3), date(2021, 2, 27)),  # inside one month
        (date(2021, 1, 1), date(2021, 12, 30)),  # whole months, then days
    ],
)
def test_every_backend_counts_ranges_that_are_not_whole_months(
    loaded: jieqin.Campaign, first: date, last: date
) -> None:
    """Report periods are whole months (read from the tally); any other range counts its
    outer days from the rows, and agrees with a count of the records."""
    truth = TablesReadModel.of(world())
    with loaded.unit_of_work() as uow:
        got = uow.read_model
        for figure in ("activities", "needs", "referrals", "grants"):
            assert getattr(got, figure)(first, last) == getattr(truth, figure)(first, last), figure
    assert truth.activities(first, last), "the range holds activities"


def test_every_backend_finds_the_same_overdue_pairings(loaded: jieqin.Campaign) -> None:
    for as_of in (date(2021, 7, 15), date(2022, 3, 1)):
        late = loaded.overdue(as_of)
        with jieqin.connect("memory://", plugins=[WORLDS]) as memory:
            load(memory, world())
            with memory.unit_of_work() as uow:
                expected = overdue(
                    default_policy(), as_of, follow_up_arrays(uow, as_of, default_policy())
                )
        assert late == expected
        assert late, "the world has pairings behind their cadence"


def test_a_bad_activity_writes_nothing_and_says_where(loaded: jieqin.Campaign) -> None:
    good = Activity("new1", "visit", date(2021, 12, 20), "p1", "h1")
    bad = Activity("new2", "visit", date(2021, 12, 20), "p2", "h1")
    with pytest.raises(InvalidInput) as caught:
        loaded.log_activities([good, bad], source="visits.csv")
    assert "visits.csv line 2: helper_id: helper p2 was not paired with household h1" in str(
        caught.value
    )
    with loaded.unit_of_work() as uow:
        assert uow.activities.find("new1") is None
    assert (
        loaded.report("2021").totals.activities["visit"]
        == build_report(
            TablesReadModel.of(world()),
            Year(2021),  # type: ignore[arg-type]
        ).totals.activities["visit"]
    )


def test_practical_help_resolves_the_need_it_names(loaded: jieqin.Campaign) -> None:
    help_ = Activity("help1", "practical_help", date(2021, 12, 1), "p1", "h2", need_id="n3")
    loaded.log_activity(help_)
    with loaded.unit_of_work() as uow:
        need = uow.needs.get("n3")
    assert need.status is NeedStatus.RESOLVED
    assert need.resolved_by == "activity:help1"
    assert need.resolved_on == date(2021, 12, 1)


# -- the read model follows every write -------------------------------------------------


def test_a_household_moving_county_takes_its_figures_along(loaded: jieqin.Campaign) -> None:
    """Every figure follows the household's current county (on SQLite the visits used to
    stay with the county the household lived in when they were logged)."""
    before = loaded.report("2021", by_region=True)
    moved_from, moved_to = "610203", "610204"
    with loaded.unit_of_work("test") as uow:
        household = uow.households.get("h3")
        uow.households.update(attrs.evolve(household, region=RegionCode(f"{moved_to}001001")))
        uow.commit()
    after = loaded.report("2021", by_region=True)
    assert after.totals == before.totals
    old, new = before.regions[moved_from], after.regions[moved_to]
    assert new.households == old.households == 1
    assert new.activities == old.activities
    assert {n.kind for n in new.needs} == {"schooling"}
    assert [g.program for g in new.grants] == ["scholarship"]
    assert after.regions[moved_from].activities_total in (0, None)
    with jieqin.connect("memory://", plugins=[WORLDS]) as memory:
        load(memory, world())
        with memory.unit_of_work("test") as uow:
            uow.households.update(
                attrs.evolve(uow.households.get("h3"), region=RegionCode(f"{moved_to}001001"))
            )
            uow.commit()
        assert memory.report("2021", by_region=True).as_dict() == after.as_dict()


def test_a_helper_changing_tier_takes_their_activities_along(loaded: jieqin.Campaign) -> None:
    before = loaded.report("2021").totals.activities_by_tier
    with loaded.unit_of_work("test") as uow:
        uow.helpers.update(attrs.evolve(uow.helpers.get("p2"), tier="agency_staff"))
        uow.commit()
    after = loaded.report("2021").totals.activities_by_tier
    assert "county_member" not in after
    assert after["agency_staff"] == before["agency_staff"] + before["county_member"]  # type: ignore[operator]


def test_a_corrected_activity_moves_its_count(loaded: jieqin.Campaign) -> None:
    before = loaded.report("2021")
    with loaded.unit_of_work("test") as uow:
        activity = uow.activities.get("a1")  # a contact with h1 in January
        uow.activities.update(attrs.evolve(activity, kind="warmth", on=date(2021, 3, 10)))
        uow.commit()
    after = loaded.report("2021")
    assert after.monthly["2021-01"]["contact"] == before.monthly["2021-01"]["contact"] - 1  # type: ignore[operator]
    assert after.monthly["2021-03"]["warmth"] == before.monthly["2021-03"]["warmth"] + 1  # type: ignore[operator]
    assert after.totals.activities_total == before.totals.activities_total


def test_the_kept_read_model_equals_a_rebuild(loaded: jieqin.Campaign) -> None:
    if not isinstance(loaded.storage, SqlStorage):
        pytest.skip("the memory backends count their records when asked")
    from jieqin.storage.sql.read_model import rebuild

    with loaded.storage.engine.connect() as conn:
        kept = _kept(conn)
        rebuild(conn)
        assert _kept(conn) == kept
        conn.rollback()


def _non_zero(table: sa.Table) -> sa.Select[Any]:
    """A table's rows; a tally's rows that fell to zero (kept, not counted) left out."""
    if "amount_fen" not in table.c:
        return sa.select(table)
    return sa.select(table).where(sa.or_(table.c.n != 0, table.c.amount_fen != 0))


def _kept(conn: sa.Connection) -> dict[str, list[tuple[str, ...]]]:
    from jieqin.storage.sql.follow_up import ACTIVITY_LATEST, PAIRING_FOLLOW_UP
    from jieqin.storage.sql.spans import PAIRED_GAPS, PAIRED_SPANS, PAIRED_TALLY
    from jieqin.storage.sql.tallies import REPORT_TALLY

    tables = (
        REPORT_TALLY,
        PAIRED_SPANS,
        PAIRED_GAPS,
        PAIRED_TALLY,
        PAIRING_FOLLOW_UP,
        ACTIVITY_LATEST,
    )
    return {
        t.name: sorted(tuple(str(v) for v in row) for row in conn.execute(_non_zero(t)))
        for t in tables
    }


def test_a_report_writes_nothing_and_takes_no_write_lock(loaded: jieqin.Campaign) -> None:
    with loaded.unit_of_work("test") as uow:
        entries = uow.audit.count()
    if isinstance(loaded.storage, SqlStorage) and loaded.storage.dialect == "sqlite":
        # Another connection holds the write lock: a report still runs.
        with loaded.storage.engine.connect() as holder:
            holder.exec_driver_sql("SELECT 1")  # a writing connection begins IMMEDIATE
            try:
                assert loaded.report("2021").totals.households == 3
            finally:
                holder.rollback()
    loaded.report("2021", by_region=True)
    loaded.overdue(date(2021, 7, 1))
    with loaded.unit_of_work("test") as uow:
        assert uow.audit.count() == entries


def test_a_report_follows_every_write(loaded: jieqin.Campaign) -> None:
    from jieqin.model import Grant, Pairing

    first = loaded.report("2021")
    again = loaded.report("2021")
    assert again == first
    with loaded.unit_of_work("test") as uow:
        uow.pairings.add(Pairing("p2", "h4", date(2021, 6, 1)))
        uow.grants.add(
            Grant(
                "g9",
                "scholarship",
                "f1",
                Year(2021),
                "h4",
                "h4-1",
                Decimal(5000),
                date(2021, 8, 21),
                "d9",
            )
        )
        uow.commit()
    after = loaded.report("2021").as_dict()
    assert after["households"] == first.totals.households + 1  # type: ignore[operator]
    scholarship = next(g for g in after["grants"] if g["program"] == "scholarship")  # type: ignore[union-attr]
    assert scholarship == {**scholarship, "count": 2, "amount": "10000.00"}


def test_a_household_with_two_helpers_is_listed_in_helper_order(
    loaded: jieqin.Campaign,
) -> None:
    """Rows arrive in household, then helper order (the key of ``pairing_follow_up``),
    as the memory backend ranks them."""
    from jieqin.model import Pairing

    # p3 starts before h1's pairing with p1: an order by start would list it first
    extra = Pairing("p3", "h1", date(2020, 1, 1), role="secondary")
    with loaded.unit_of_work("test") as uow:
        uow.pairings.add(extra)
        uow.commit()
    as_of = date(2022, 3, 1)
    late = loaded.overdue(as_of)
    assert [o.helper_id for o in late if o.household_id == "h1"] == ["p1", "p3"]
    with loaded.unit_of_work() as uow:
        rows = follow_up_arrays(uow, as_of, default_policy())
    assert rows.in_id_order, "the rows were put in order, not left to a string sort"
    assert [h for h, hh in zip(rows.helper_ids, rows.household_ids, strict=True) if hh == "h1"] == [
        "p1",
        "p3",
    ]
    with jieqin.connect("memory://", plugins=[WORLDS]) as memory:
        load(memory, world())
        with memory.unit_of_work("test") as uow:
            uow.pairings.add(extra)
            uow.commit()
        assert list(memory.overdue(as_of)) == list(late)


def test_rows_from_a_database_sorting_otherwise_are_put_in_id_order() -> None:
    """A PostgreSQL collation may order ids unlike Python; the scan then sorts them
    itself, carrying the day columns along."""
    import numpy as np

    from jieqin.storage.sql.follow_up import _in_id_order

    households, helpers, numbers = _in_id_order(
        ["h_b", "h-a", "h_b", "H1"],
        ["p2", "p1", "p1", "p9"],
        [np.array([1, 2, 3, 4]), np.array([10, 20, 30, 40])],
    )
    assert households == ["H1", "h-a", "h_b", "h_b"]
    assert helpers == ["p9", "p1", "p1", "p2"]
    assert [n.tolist() for n in numbers] == [[4, 2, 3, 1], [40, 20, 30, 10]]
    ordered = (["a", "b"], ["p", "p"], [np.array([1, 2])])
    assert _in_id_order(*ordered)[0] is ordered[0], "rows already in order are not copied"
