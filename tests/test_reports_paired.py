"""Who was paired in a period: the span and gap tables the triggers keep always give
the counts a scan of the pairings gives, whatever writes the pairings, households
and helpers go through (raw SQL included)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin.reports.paired import paired_helpers, paired_households, recount_paired

DAY0 = date(2021, 1, 1)
HOUSEHOLDS = ("h1", "h2", "h3", "h9")  # h9 is not on record: its county is unknown
HELPERS = ("p1", "p2", "p9")  # nor is p9


def naive_households(conn: Any, first: date, last: date) -> dict[str, int]:
    """The count the span tables replace: distinct households over the pairings."""
    rows = conn.execute(
        sa.text(
            "SELECT COALESCE(substr(h.region, 1, 6), 'unknown'), count(*) FROM "
            "(SELECT DISTINCT household_id FROM pairings "
            ' WHERE start <= :last AND ("end" IS NULL OR "end" >= :first)) p '
            "LEFT JOIN households h ON h.household_id = p.household_id GROUP BY 1"
        ).bindparams(sa.bindparam("first", type_=sa.Date), sa.bindparam("last", type_=sa.Date)),
        {"first": first, "last": last},
    )
    return {county: int(n) for county, n in rows}


def naive_helpers(conn: Any, first: date, last: date) -> dict[tuple[str, str], int]:
    rows = conn.execute(
        sa.text(
            "SELECT COALESCE(substr(h.home_region, 1, 6), 'unknown'), "
            "COALESCE(h.tier, 'unknown'), count(*) FROM "
            "(SELECT DISTINCT helper_id FROM pairings "
            ' WHERE start <= :last AND ("end" IS NULL OR "end" >= :first)) p '
            "LEFT JOIN helpers h ON h.helper_id = p.helper_id GROUP BY 1, 2"
        ).bindparams(sa.bindparam("first", type_=sa.Date), sa.bindparam("last", type_=sa.Date)),
        {"first": first, "last": last},
    )
    return {(county, tier): int(n) for county, tier, n in rows}


def tables(conn: Any) -> dict[str, set[tuple[Any, ...]]]:
    names = [
        f"paired_{side}{table}"
        for side in ("household", "helper")
        for table in ("s", "_gaps", "_tally")
    ]
    return {name: set(map(tuple, conn.exec_driver_sql(f"SELECT * FROM {name}"))) for name in names}


DAYS = "contact_day, visit_day, policy_explanation_day, warmth_day, practical_help_day"


def pairing_follow_up(conn: Any) -> set[tuple[Any, ...]]:
    return set(
        map(
            tuple,
            conn.exec_driver_sql(
                f'SELECT household_id, helper_id, start, "end", {DAYS}, any_duty_day '
                "FROM pairing_follow_up"
            ),
        )
    )


def joined(conn: Any) -> set[tuple[Any, ...]]:
    """The join ``pairing_follow_up`` stands for (and the latest of the days)."""
    days = ", ".join(f"f.{day.strip()}" for day in DAYS.split(","))
    rows = conn.exec_driver_sql(
        f'SELECT p.household_id, p.helper_id, p.start, p."end", {days} FROM pairings p '
        "LEFT JOIN activity_follow_up f ON f.household_id = p.household_id"
    )
    return {(*row, max((d for d in row[4:] if d is not None), default=None)) for row in rows}


# Mostly whole weeks, so that spans often share their days (and so their tally rows).
offsets = st.one_of(st.integers(0, 17).map(lambda n: 7 * n), st.integers(0, 120))
days = offsets.map(lambda n: DAY0 + timedelta(days=n))
operations = st.lists(
    st.tuples(
        st.sampled_from(
            ["pair", "pair", "pair", "end", "handover", "reopen", "move", "unpair", "relabel"]
        ),
        st.sampled_from(HELPERS),
        st.sampled_from(HOUSEHOLDS),
        days,
        st.one_of(st.none(), st.integers(0, 8).map(lambda n: 7 * n), st.integers(0, 60)),
    ),
    max_size=20,
)
periods = st.lists(st.tuples(days, st.integers(0, 40)), min_size=1, max_size=4)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations, asked=periods)
def test_paired_counts_equal_a_scan_of_the_pairings(
    sql_campaign: jieqin.Campaign, ops: list[tuple[Any, ...]], asked: list[tuple[date, int]]
) -> None:
    def run(sql: str, **values: Any) -> None:
        binds = [sa.bindparam(k, type_=sa.Date) for k, v in values.items() if isinstance(v, date)]
        conn.execute(sa.text(sql).bindparams(*binds), values)

    with sql_campaign.unit_of_work("test") as uow:
        conn = uow.connection
        conn.exec_driver_sql("DELETE FROM pairings")
        assert all(not rows for rows in tables(conn).values())
        for n, (kind, household, day) in enumerate(
            (("visit", "h1", 3), ("contact", "h1", 40), ("warmth", "h2", 7))
        ):
            run(
                'INSERT INTO activities (activity_id, kind, "on", helper_id, household_id, note) '
                "VALUES (:a, :k, :d, 'p1', :h, '')",
                a=f"a{n}",
                k=kind,
                d=DAY0 + timedelta(days=day),
                h=household,
            )
        for op, helper, household, start, length in ops:
            end = None if length is None else start + timedelta(days=length)
            key = {"p": helper, "h": household}
            if op == "pair":
                run(
                    'INSERT INTO pairings (helper_id, household_id, start, role, "end", reason, '
                    "costs) VALUES (:p, :h, :s, 'primary', :e, '', '[]') ON CONFLICT DO NOTHING",
                    s=start,
                    e=end,
                    **key,
                )
            elif op == "end":
                run(
                    'UPDATE pairings SET "end" = :e WHERE helper_id = :p AND household_id = :h '
                    "AND start <= :e",
                    e=start,
                    **key,
                )
            elif op == "handover":
                # The open pairings end on ``start``; ``helper`` takes over the next day.
                run(
                    'UPDATE pairings SET "end" = :e WHERE household_id = :h AND "end" IS NULL '
                    "AND start <= :e",
                    e=start,
                    h=household,
                )
                run(
                    'INSERT INTO pairings (helper_id, household_id, start, role, "end", reason, '
                    "costs) VALUES (:p, :h, :s, 'primary', NULL, '', '[]') ON CONFLICT DO NOTHING",
                    s=start + timedelta(days=1),
                    **key,
                )
            elif op == "reopen":
                run('UPDATE pairings SET "end" = NULL WHERE household_id = :h', h=household)
            elif op == "move":
                # Another helper takes over the household's pairings with this one.
                other = HELPERS[(HELPERS.index(helper) + 1) % len(HELPERS)]
                run(
                    "UPDATE pairings SET helper_id = :o WHERE helper_id = :p AND household_id = :h "
                    "AND NOT EXISTS (SELECT 1 FROM pairings q WHERE q.helper_id = :o "
                    "AND q.household_id = :h)",
                    o=other,
                    **key,
                )
            elif op == "unpair":
                run("DELETE FROM pairings WHERE helper_id = :p AND household_id = :h", **key)
            elif op == "relabel":
                # The household moves county, the helper changes tier: counts follow.
                # Two counties and two tiers only, so that moved spans meet others.
                county = ("610202", "610203")[(length or 0) % 2]
                run(
                    "UPDATE households SET region = :r WHERE household_id = :h",
                    r=f"{county}001001",
                    h=household,
                )
                run(
                    "UPDATE helpers SET tier = :t, home_region = :r WHERE helper_id = :p",
                    r=f"{county}001",
                    t=("city_member", "county_member")[(length or 0) // 2 % 2],
                    p=helper,
                )
        for first, length in asked:
            last = first + timedelta(days=length)
            assert paired_households(conn, first, last) == naive_households(conn, first, last)
            assert paired_helpers(conn, first, last) == naive_helpers(conn, first, last)
        assert pairing_follow_up(conn) == joined(conn)
        kept = tables(conn)
        recount_paired(conn)
        assert tables(conn) == kept
        uow.rollback()


def test_a_gap_longer_than_the_period_is_not_counted(sql_campaign: jieqin.Campaign) -> None:
    """Paired in January and in April, not in between: February counts nobody, the
    quarter counts the household once."""
    with sql_campaign.unit_of_work("test") as uow:
        conn = uow.connection
        conn.exec_driver_sql("DELETE FROM pairings")
        insert = sa.text(
            'INSERT INTO pairings (helper_id, household_id, start, role, "end", reason, costs) '
            "VALUES ('p1', 'h1', :s, 'primary', :e, '', '[]')"
        ).bindparams(sa.bindparam("s", type_=sa.Date), sa.bindparam("e", type_=sa.Date))
        conn.execute(insert, {"s": date(2021, 1, 1), "e": date(2021, 1, 31)})
        conn.execute(insert, {"s": date(2021, 4, 1), "e": None})
        gaps = list(conn.exec_driver_sql("SELECT first_day, last_day FROM paired_household_gaps"))
        assert [(str(a), str(b)) for a, b in gaps] == [("2021-02-01", "2021-03-31")]
        assert paired_households(conn, date(2021, 2, 1), date(2021, 2, 28)) == {}
        assert sum(paired_households(conn, date(2021, 1, 1), date(2021, 3, 31)).values()) == 1
        assert sum(paired_households(conn, date(2021, 3, 31), date(2021, 4, 1)).values()) == 1
        assert sum(paired_helpers(conn, date(2022, 1, 1), date(2022, 12, 31)).values()) == 1
        uow.rollback()


def test_spans_sharing_their_days_are_each_counted(sql_campaign: jieqin.Campaign) -> None:
    """Households paired on the same day share a tally row: it counts both, and follows
    them when they end, move county or are unpaired."""
    with sql_campaign.unit_of_work("test") as uow:
        conn = uow.connection
        conn.exec_driver_sql("DELETE FROM pairings")
        year = (date(2021, 1, 1), date(2021, 12, 31))

        def run(sql: str, **values: Any) -> None:
            binds = [
                sa.bindparam(k, type_=sa.Date) for k, v in values.items() if isinstance(v, date)
            ]
            conn.execute(sa.text(sql).bindparams(*binds), values)

        def check() -> dict[str, int]:
            counts = paired_households(conn, *year)
            assert counts == naive_households(conn, *year)
            assert paired_helpers(conn, *year) == naive_helpers(conn, *year)
            kept = tables(conn)
            recount_paired(conn)
            assert tables(conn) == kept
            return counts

        for household in ("h1", "h2", "h3"):
            run(
                'INSERT INTO pairings (helper_id, household_id, start, role, "end", reason, '
                "costs) VALUES ('p1', :h, :s, 'primary', NULL, '', '[]')",
                h=household,
                s=date(2021, 3, 1),
            )
        assert sum(check().values()) == 3
        run('UPDATE pairings SET "end" = :e', e=date(2021, 6, 30))
        assert sum(check().values()) == 3
        run("UPDATE households SET region = '610203001001' WHERE household_id IN ('h1', 'h2')")
        assert check()["610203"] == 3
        run("DELETE FROM pairings WHERE household_id = 'h2'")
        assert check()["610203"] == 2
        uow.rollback()
