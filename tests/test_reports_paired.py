"""Who was paired in a period: the spans, gaps and tallies the SQL storage keeps give
the counts a scan of the pairings gives, whatever sequence of pairings, ends,
handovers, county moves and tier changes the repositories write."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import attrs
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin.model import Pairing, RegionCode
from jieqin.storage.sql.read_model import rebuild
from jieqin.storage.sql.spans import (
    PAIRED_GAPS,
    PAIRED_SPANS,
    PAIRED_TALLY,
    Span,
    covered,
    paired,
    spans_of,
)

DAY0 = date(2021, 1, 1)
HOUSEHOLDS = ("h1", "h2", "h3")
HELPERS = ("p1", "p2")


def naive(uow: Any, first: date, last: date) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Households by county and helpers by county and tier, from the pairings one by one."""
    county = {h.household_id: h.region.code[:6] for h in uow.households.list()}
    helpers = {h.helper_id: h for h in uow.helpers.list()}
    inside = [
        p for p in uow.pairings.list() if p.start <= last and (p.end is None or p.end >= first)
    ]
    households: dict[str, int] = {}
    for hid in {p.household_id for p in inside}:
        households[county[hid]] = households.get(county[hid], 0) + 1
    by_helper: dict[tuple[str, str], int] = {}
    for pid in {p.helper_id for p in inside}:
        key = (helpers[pid].home_region.code[:6], helpers[pid].tier)
        by_helper[key] = by_helper.get(key, 0) + 1
    return households, by_helper


def kept(conn: sa.Connection) -> dict[str, set[tuple[Any, ...]]]:
    return {
        t.name: set(map(tuple, conn.execute(sa.select(t))))
        for t in (PAIRED_SPANS, PAIRED_GAPS, PAIRED_TALLY)
    }


def _paired(
    campaign: jieqin.Campaign, first: date, last: date
) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    with campaign.storage.engine.connect() as conn:  # type: ignore[attr-defined]
        households = {c: n for (c, _), n in paired(conn, "household", first, last).items()}
        return households, paired(conn, "helper", first, last)


# Mostly whole weeks, so that spans often share their days (and so their tally rows).
offsets = st.one_of(st.integers(0, 17).map(lambda n: 7 * n), st.integers(0, 120))
days = offsets.map(lambda n: DAY0 + timedelta(days=n))
operations = st.lists(
    st.tuples(
        st.sampled_from(["pair", "pair", "pair", "end", "handover", "relabel"]),
        st.sampled_from(HELPERS),
        st.sampled_from(HOUSEHOLDS),
        days,
        st.one_of(st.none(), st.integers(0, 8).map(lambda n: 7 * n), st.integers(0, 60)),
    ),
    max_size=20,
)
periods = st.lists(st.tuples(days, st.integers(0, 40)), min_size=1, max_size=4)


def _apply(uow: Any, op: str, helper: str, household: str, start: date, length: int | None) -> None:
    mine = [p for p in uow.pairings.list(household_id=household) if p.helper_id == helper]
    end = None if length is None else start + timedelta(days=length)
    if op == "pair" and all(p.end is not None and p.end < start for p in mine):
        uow.pairings.add(Pairing(helper, household, start, end=end))
    elif op == "end":
        for p in mine:
            if p.end is None and p.start <= start:
                uow.pairings.end((p.helper_id, p.household_id, p.start), start)
    elif op == "handover":
        # The household's open pairings end on ``start``; ``helper`` takes over the next day.
        for p in uow.pairings.list(household_id=household):
            if p.end is None and p.start <= start:
                uow.pairings.end((p.helper_id, p.household_id, p.start), start)
        mine = [p for p in uow.pairings.list(household_id=household) if p.helper_id == helper]
        if all(p.end is not None and p.end <= start for p in mine):
            uow.pairings.add(Pairing(helper, household, start + timedelta(days=1)))
    elif op == "relabel":
        # Two counties and two tiers only, so that moved spans meet others.
        county = ("610202", "610203")[(length or 0) % 2]
        moved = attrs.evolve(uow.households.get(household), region=RegionCode(f"{county}001001"))
        uow.households.update(moved)
        tier = ("city_member", "county_member")[(length or 0) // 2 % 2]
        uow.helpers.update(
            attrs.evolve(uow.helpers.get(helper), tier=tier, home_region=RegionCode(county))
        )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations, asked=periods)
def test_paired_counts_equal_a_scan_of_the_pairings(
    sql_campaign: jieqin.Campaign, ops: list[tuple[Any, ...]], asked: list[tuple[date, int]]
) -> None:
    with sql_campaign.unit_of_work("test") as uow:
        assert uow.pairings.count() == 0, "each example starts with no pairing"
        for op, helper, household, start, length in ops:
            _apply(uow, op, helper, household, start, length)
        uow.commit()
    try:
        with sql_campaign.unit_of_work("check", read_only=True) as uow:
            for first, length in asked:
                last = first + timedelta(days=length)
                assert _paired(sql_campaign, first, last) == naive(uow, first, last)
        with sql_campaign.storage.engine.connect() as conn:  # type: ignore[attr-defined]
            before = kept(conn)
            rebuild(conn)
            assert kept(conn) == before
            conn.rollback()
    finally:
        with sql_campaign.storage.engine.begin() as conn:  # type: ignore[attr-defined]
            _forget_pairings(conn)


def _forget_pairings(conn: sa.Connection) -> None:
    """Back to no pairing for the next example (the read model's tables too)."""
    from jieqin.storage.sql.follow_up import PAIRING_FOLLOW_UP
    from jieqin.storage.sql.tables import PAIRINGS

    for table in (PAIRINGS, PAIRING_FOLLOW_UP, PAIRED_SPANS, PAIRED_GAPS, PAIRED_TALLY):
        conn.execute(table.delete())


def test_spans_and_gaps_of_one_household() -> None:
    """Paired in January and from April: one span, one gap between; an open end is open."""
    first, last, gaps = spans_of([(date(2021, 4, 1), None), (date(2021, 1, 1), date(2021, 1, 31))])
    assert (first, last, gaps) == (date(2021, 1, 1), None, [(date(2021, 2, 1), date(2021, 3, 31))])
    assert spans_of([(date(2021, 1, 1), date(2021, 1, 31)), (date(2021, 2, 1), None)])[2] == []
    assert spans_of([(date(2021, 1, 1), date(2021, 12, 31)), (date(2021, 3, 1), date(2021, 4, 1))])[
        1
    ] == date(2021, 12, 31)


stretches = st.tuples(days, st.one_of(st.none(), st.integers(0, 60))).map(
    lambda p: (p[0], None if p[1] is None else p[0] + timedelta(days=p[1]))
)


@given(stored=st.lists(stretches, min_size=1, max_size=6), added=st.lists(stretches, max_size=4))
def test_a_span_extended_by_new_pairings_is_the_span_of_all_of_them(
    stored: list[tuple[date, date | None]], added: list[tuple[date, date | None]]
) -> None:
    """What the storage does when pairings are only added: the stored span's paired
    stretches with the new pairings give what all the pairings give, and the
    stretches alone give the span back."""
    first, last, gaps = spans_of(stored)
    span = Span("610202", "", first, last, tuple(gaps))
    assert spans_of(covered(span)) == (first, last, gaps)
    assert spans_of([*covered(span), *added]) == spans_of([*stored, *added])


def test_a_gap_longer_than_the_period_is_not_counted(sql_campaign: jieqin.Campaign) -> None:
    """Paired in January and in April, not in between: February counts nobody, the
    quarter counts the household once."""
    with sql_campaign.unit_of_work("test") as uow:
        uow.pairings.add_many(
            [
                Pairing("p1", "h1", date(2021, 1, 1), end=date(2021, 1, 31)),
                Pairing("p1", "h1", date(2021, 4, 1)),
            ]
        )
        uow.commit()
    assert _paired(sql_campaign, date(2021, 2, 1), date(2021, 2, 28)) == ({}, {})
    assert sum(_paired(sql_campaign, date(2021, 1, 1), date(2021, 3, 31))[0].values()) == 1
    assert sum(_paired(sql_campaign, date(2021, 3, 31), date(2021, 4, 1))[0].values()) == 1
    assert sum(_paired(sql_campaign, date(2022, 1, 1), date(2022, 12, 31))[1].values()) == 1
    assert sql_campaign.report("2021-02").totals.households == 0
    assert sql_campaign.report("2021Q1").totals.households == 1


def test_spans_sharing_their_days_are_each_counted(sql_campaign: jieqin.Campaign) -> None:
    """Households paired on the same day share a tally row: it counts both, and follows
    them when they end or move county."""
    year = (date(2021, 1, 1), date(2021, 12, 31))

    def check() -> dict[str, int]:
        with sql_campaign.unit_of_work("check", read_only=True) as uow:
            truth = naive(uow, *year)
        counts = _paired(sql_campaign, *year)
        assert counts == truth
        return counts[0]

    with sql_campaign.unit_of_work("test") as uow:
        uow.pairings.add_many([Pairing("p1", h, date(2021, 3, 1)) for h in HOUSEHOLDS])
        uow.commit()
    assert sum(check().values()) == 3
    with sql_campaign.unit_of_work("test") as uow:
        for h in HOUSEHOLDS:
            uow.pairings.end(("p1", h, date(2021, 3, 1)), date(2021, 6, 30))
        uow.commit()
    assert sum(check().values()) == 3
    with sql_campaign.unit_of_work("test") as uow:
        for h in ("h1", "h2"):
            uow.households.update(
                attrs.evolve(uow.households.get(h), region=RegionCode("610203001001"))
            )
        uow.commit()
    assert check()["610203"] == 3
