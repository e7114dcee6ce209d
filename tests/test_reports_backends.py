"""Reports and follow-up on every backend: the same numbers from SQL and from Python,
and the activity tallies always equal a full recount."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin.activities import default_policy, overdue
from jieqin.errors import InvalidInput
from jieqin.model import Activity, Fund, Need, NeedStatus, RegionCode, Year
from jieqin.reports import PythonSource, build_report
from jieqin.reports.follow_up import _python_follow_up, follow_up_arrays

sys.path.insert(0, str(Path(__file__).parent))
from activity_world import world

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
        PythonSource(**world()),
        jieqin.parse_period(period),
        by_region=True,
        region_names=dict(loaded.registry.region_names),
    )  # type: ignore[arg-type]
    got = loaded.report(period, by_region=True)
    assert got.as_dict() == truth.as_dict()


def test_every_backend_finds_the_same_overdue_pairings(loaded: jieqin.Campaign) -> None:
    for as_of in (date(2021, 7, 15), date(2022, 3, 1)):
        late = loaded.overdue(as_of)
        with jieqin.connect("memory://") as memory:
            load(memory, world())
            with memory.unit_of_work() as uow:
                expected = overdue(
                    default_policy(), as_of, _python_follow_up(uow, as_of, default_policy())
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
            PythonSource(**world()),
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


# -- the tallies equal a recount, whatever is written -----------------------------------


Recount = tuple[
    dict[tuple[object, ...], int],
    dict[tuple[str, str], object],
    dict[str, tuple[object, ...]],
    set[tuple[object, ...]],
]

PAIRING_SPANS = 'SELECT household_id, helper_id, start, "end" FROM pairings'


def pairing_rows(
    spans: list[tuple[object, ...]], follow_up: dict[str, tuple[object, ...]]
) -> set[tuple[object, ...]]:
    """``pairing_follow_up`` as it must be: each pairing with its household's days."""
    return {
        (
            h,
            p,
            str(s),
            None if e is None else str(e),
            date.fromisoformat(str(s)).toordinal(),
            *follow_up.get(str(h), (None,) * 5),
            max((d for d in follow_up.get(str(h), ()) if d is not None), default=None),
        )
        for h, p, s, e in spans
    }


def recount(conn: sa.Connection) -> Recount:
    """What the trigger-kept tables hold."""
    from jieqin.reports.pairing_follow_up import PAIRING_FOLLOW_UP
    from jieqin.reports.sql import (
        ACTIVITY_FOLLOW_UP,
        ACTIVITY_LATEST,
        ACTIVITY_TALLY,
        ACTIVITY_TALLY_MONTH,
    )

    tally = {
        (str(d), r, k, t, m): int(n)
        for d, r, k, t, m, n in conn.execute(
            sa.select(
                ACTIVITY_TALLY.c.day,
                ACTIVITY_TALLY.c.region,
                ACTIVITY_TALLY.c.kind,
                ACTIVITY_TALLY.c.tier,
                ACTIVITY_TALLY.c.month,
                ACTIVITY_TALLY.c.n,
            )
        )
        if n
    }
    for month, region, kind, tier, n in conn.execute(sa.select(ACTIVITY_TALLY_MONTH)):
        if n:
            tally[("month", month, region, kind, tier)] = int(n)
    latest = {(h, k): str(d) for h, k, d in conn.execute(sa.select(ACTIVITY_LATEST))}
    follow_up = {row[0]: tuple(row[1:]) for row in conn.execute(sa.select(ACTIVITY_FOLLOW_UP))}
    pairings = {
        (h, p, str(s), None if e is None else str(e), *days)
        for h, p, s, e, *days in conn.execute(sa.select(PAIRING_FOLLOW_UP))
    }
    return tally, latest, follow_up, pairings


def full_recount(conn: sa.Connection) -> Recount:
    """The same, counted from the activities by plain SQL and Python."""
    rows = conn.exec_driver_sql(
        "SELECT a.\"on\", COALESCE(substr(h.region, 1, 6), 'unknown'), a.kind, "
        "COALESCE(p.tier, 'unknown'), COUNT(*) FROM activities a "
        "LEFT JOIN households h ON h.household_id = a.household_id "
        "LEFT JOIN helpers p ON p.helper_id = a.helper_id GROUP BY 1, 2, 3, 4"
    )
    tally: dict[tuple[object, ...], int] = {}
    for d, r, k, t, n in rows:
        tally[(str(d), r, k, t, str(d)[:7])] = int(n)
        month = ("month", str(d)[:7], r, k, t)
        tally[month] = tally.get(month, 0) + int(n)
    latest = {
        (h, k): str(d)
        for h, k, d in conn.exec_driver_sql(
            'SELECT household_id, kind, MAX("on") FROM activities GROUP BY 1, 2'
        )
    }
    duties = ("contact", "visit", "policy_explanation", "warmth", "practical_help")
    follow_up: dict[str, list[int | None]] = {}
    for (household, kind), day in latest.items():
        if kind in duties:
            days = follow_up.setdefault(household, [None] * len(duties))
            days[duties.index(kind)] = date.fromisoformat(day).toordinal()
    kept = {h: tuple(days) for h, days in follow_up.items()}
    return tally, latest, kept, pairing_rows(list(conn.exec_driver_sql(PAIRING_SPANS)), kept)


operations = st.lists(
    st.tuples(
        st.sampled_from(["insert", "update", "move", "delete", "raw_insert"]),
        st.integers(0, 15),
        st.sampled_from(["contact", "visit", "warmth", "practical_help", "party"]),
        st.sampled_from(["h1", "h2", "h3", "h4", "h9"]),
        st.sampled_from(["p1", "p2", "p3", "p9"]),
        st.dates(date(2021, 1, 1), date(2021, 3, 31)),
    ),
    max_size=25,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_tallies_equal_a_full_recount(sql_campaign: jieqin.Campaign, ops: list[tuple]) -> None:
    with sql_campaign.unit_of_work("test") as uow:
        conn = uow.connection
        conn.exec_driver_sql("DELETE FROM activities")
        # Pairings first: their rows of pairing_follow_up follow the activities.
        for helper, household, start in (("p1", "h1", 1), ("p2", "h1", 2), ("p2", "h2", 3)):
            conn.execute(
                sa.text(
                    'INSERT INTO pairings (helper_id, household_id, start, role, "end", reason, '
                    "costs) VALUES (:p, :h, :s, 'primary', NULL, '', '[]')"
                ).bindparams(sa.bindparam("s", type_=sa.Date)),
                {"p": helper, "h": household, "s": date(2020, start, 1)},
            )
        assert recount(conn)[:3] == ({}, {}, {})
        for op, n, kind, hid, pid, day in ops:
            activity = Activity(f"a{n}", kind, day, pid, hid)
            exists = uow.activities.find(activity.activity_id)
            if op == "insert" and exists is None:
                uow.activities.add(activity)
            elif op == "update" and exists is not None:
                uow.activities.update(attrs.evolve(activity, on=day + timedelta(days=n)))
            elif op == "move" and exists is not None:
                uow.activities.update(attrs.evolve(exists, household_id=hid, kind=kind))
            elif op == "delete":
                conn.exec_driver_sql(
                    "DELETE FROM activities WHERE activity_id = %s"
                    if conn.dialect.name == "postgresql"
                    else "DELETE FROM activities WHERE activity_id = ?",
                    (activity.activity_id,),
                )
            elif op == "raw_insert" and exists is None:
                conn.execute(
                    sa.text(
                        'INSERT INTO activities (activity_id, kind, "on", helper_id, household_id, note) '
                        "VALUES (:i, :k, :d, :p, :h, '')"
                    ).bindparams(sa.bindparam("d", type_=sa.Date)),
                    {"i": activity.activity_id, "k": kind, "d": day, "p": pid, "h": hid},
                )
        assert recount(conn) == full_recount(conn)
        uow.rollback()


def test_rebuilding_the_tallies_changes_nothing(loaded: jieqin.Campaign) -> None:
    if not loaded.sql_backed:
        pytest.skip("tallies are kept by SQL backends only")
    from jieqin.reports.sql import rebuild_tallies

    with loaded.unit_of_work("test") as uow:
        before = recount(uow.connection)
        rebuild_tallies(uow.connection)
        assert recount(uow.connection) == before == full_recount(uow.connection)


def test_a_cached_report_follows_every_write(loaded: jieqin.Campaign) -> None:
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


def test_a_write_forgets_only_the_cached_figures_it_can_change(
    loaded: jieqin.Campaign,
) -> None:
    if not loaded.sql_backed:
        pytest.skip("the report cache is kept by SQL backends only")
    from jieqin.reports.sql import REPORT_CACHE

    def cached() -> set[str]:
        with loaded.unit_of_work() as uow:
            return {r[0] for r in uow.connection.execute(sa.select(REPORT_CACHE.c.figure))}

    everything = {"helpers", "households", "needs", "referrals", "grants"}
    loaded.report("2021")
    assert cached() == everything
    with loaded.unit_of_work("test") as uow:
        uow.needs.add(Need("n-new", "h4", "medical", Year(2021), "survey", date(2021, 5, 1)))
        uow.commit()
    assert cached() == everything - {"needs"}
    truth = loaded.report("2021")
    assert cached() == everything
    with loaded.unit_of_work("test") as uow:
        uow.households.update(
            attrs.evolve(uow.households.get("h4"), region=RegionCode("610204001001"))
        )
        uow.commit()
    assert cached() == {"helpers"}
    assert loaded.report("2021").totals.needs == truth.totals.needs


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def test_the_live_trigger_code_builds_what_the_migrations_built(
    request: pytest.FixtureRequest, backend: str
) -> None:
    """The benchmarks and bulk loaders drop and re-create the triggers with the live code
    in ``jieqin.reports.sql``; the migrations carry their own copies. They must agree."""
    from jieqin.reports.sql import (
        create_cache_triggers,
        create_tally_triggers,
        drop_cache_triggers,
        drop_tally_triggers,
    )

    def triggers(conn: sa.Connection) -> dict[str, str]:
        if conn.dialect.name == "postgresql":
            query = (
                "SELECT t.tgname, pg_get_triggerdef(t.oid) || ' ' || p.prosrc "
                "FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
                "JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
            )
        else:
            query = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        return {name: " ".join(sql.split()) for name, sql in conn.exec_driver_sql(query)}

    url = request.getfixturevalue(f"{backend}_url")
    with jieqin.connect(url) as campaign, campaign.unit_of_work() as uow:
        migrated = triggers(uow.connection)
        assert any(name.startswith("paired_") for name in migrated)
        drop_tally_triggers(uow.connection)
        drop_cache_triggers(uow.connection)
        assert not any(
            name.startswith(("activity_", "report_cache", "paired_", "pairing_"))
            for name in triggers(uow.connection)
        )
        create_tally_triggers(uow.connection)
        create_cache_triggers(uow.connection)
        assert triggers(uow.connection) == migrated
        uow.rollback()


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
    with jieqin.connect("memory://") as memory:
        load(memory, world())
        with memory.unit_of_work("test") as uow:
            uow.pairings.add(extra)
            uow.commit()
        assert list(memory.overdue(as_of)) == list(late)


def test_rows_from_a_database_sorting_otherwise_are_put_in_id_order() -> None:
    """A PostgreSQL collation may order ids unlike Python; the scan then sorts them
    itself, carrying the day columns along."""
    import numpy as np

    from jieqin.reports.sql import _in_id_order

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
