"""The read model tells the truth, whatever is written, on every backend.

A hypothesis state machine writes the same random sequence of records to a memory,
a SQLite and a PostgreSQL campaign: households (and households moving county),
helpers (and helpers changing tier or county), pairings (made and ended),
activities (logged, corrected and voided), needs (raised, routed, resolved and closed),
referrals (made and completed) and grants (given, corrected and revoked), pairings
ended by hand; the plugin backend ``jsonl://`` takes the same writes. After every step every report figure (totals, by kind, by
helper tier, by month, by county, needs, referrals, grants) of several periods and
the overdue list on two days are the same on every backend and equal to a naive
count of the rows, and the SQL backends' kept tables equal a rebuild from the rows.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import jieqin
from jieqin import AidProgram, check, fact, hookimpl
from jieqin.clock import FixedClock
from jieqin.model import (
    Activity,
    Fund,
    Grant,
    Helper,
    Household,
    Member,
    Need,
    NeedSource,
    Pairing,
    Program,
    ProgramKind,
    Referral,
    RegionCode,
    Route,
    RouteKind,
    Sex,
    StatusChange,
    Year,
)
from jieqin.model.identity import birthplace_codes, check_digit
from jieqin.storage.sql import tallies
from jieqin.storage.sql.backend import SqlStorage
from jieqin.storage.sql.follow_up import ACTIVITY_LATEST, PAIRING_FOLLOW_UP
from jieqin.storage.sql.read_model import rebuild
from jieqin.storage.sql.spans import PAIRED_GAPS, PAIRED_SPANS, PAIRED_TALLY
from jieqin.storage.sql.tallies import REPORT_TALLY

TODAY = date(2022, 12, 31)
COUNTIES = ("610202", "610203", "610204")
TIERS = ("city_member", "county_member", "agency_staff")
KINDS = ("contact", "visit", "warmth", "practical_help", "policy_explanation")
PERIODS = ("2021", "2021Q3", "2021-02", "2022")
AS_OF = (date(2021, 6, 30), TODAY)
START = date(2021, 1, 1)
PROGRAM = Program("aid", "Aid", "Charity", ProgramKind.CASH_GRANT, Decimal(100))
FEW = tallies.FEW
KEPT = (REPORT_TALLY, PAIRED_SPANS, PAIRED_GAPS, PAIRED_TALLY, PAIRING_FOLLOW_UP, ACTIVITY_LATEST)


class TruthPlugin:
    """The programme and agency the machine's records name, and a kind of its own."""

    @staticmethod
    @hookimpl
    def jieqin_register_programs(register: Callable[[object], None]) -> None:
        register(AidProgram(PROGRAM, eligibility=check("anyone", fact("age") >= 0)))

    @staticmethod
    @hookimpl
    def jieqin_register_agencies(register: Callable[..., None]) -> None:
        register("center", "Service center", need_kinds=("employment",))

    @staticmethod
    @hookimpl
    def jieqin_register_activity_kinds(register: Callable[..., None]) -> None:
        register("festival_visit", "festival visits")


def _resident_id(n: int) -> str:
    first17 = f"{birthplace_codes(1980, within='6102')[0]}{date(1980, 1, 1):%Y%m%d}{n % 1000:03d}"
    return first17 + check_digit(first17)


def _household(hid: int, county: str, status: str, ill: bool) -> Household:
    head = Member(
        f"h{hid}-1",
        "李四",
        Sex.MALE,
        date(1980, 1, 1),
        _resident_id(hid),
        health=jieqin.Health("major_illness" if ill else "healthy"),
    )
    return Household(
        f"h{hid}", RegionCode(f"{county}001001"), (head,), (StatusChange(status, date(2020, 1, 1)),)
    )


# -- a naive count of the rows ----------------------------------------------------------


def _overlaps(p: Pairing, first: date, last: date) -> bool:
    return p.start <= last and (p.end is None or p.end >= first)


def naive(uow: Any, first: date, last: date) -> dict[str, Any]:
    """The report's figures over ``[first, last]``, counted from the rows one by one."""
    county = {h.household_id: h.region.code[:6] for h in uow.households.list()}
    helpers = {h.helper_id: h for h in uow.helpers.list()}
    pairings = [p for p in uow.pairings.list() if _overlaps(p, first, last)]
    activities = [a for a in uow.activities.list() if first <= a.on <= last and not a.voided]
    needs = [n for n in uow.needs.list() if first <= n.raised_on <= last]
    grants = [g for g in uow.grants.list() if first <= g.decided_on <= last and g.in_force]
    return {
        "helpers": Counter(helpers[i].tier for i in {p.helper_id for p in pairings}),
        "households": Counter(county[h] for h in {p.household_id for p in pairings}),
        "activities": Counter(
            (a.kind, helpers[a.helper_id].tier, county[a.household_id]) for a in activities
        ),
        "needs": Counter((n.kind, n.route.kind.value if n.route else "unrouted") for n in needs),
        "referrals": Counter(
            r.agency for r in uow.referrals.list() if first <= r.referred_on <= last
        ),
        "grants": sum((g.amount for g in grants), Decimal(0)),
        "monitored": Counter(
            county[h.household_id]
            for h in uow.households.list()
            if any(h.monitored_on(d) for d in (first, last))
        ),
    }


def reported(report: jieqin.Report) -> dict[str, Any]:
    """The same figures as the report gives them."""
    totals = report.totals
    return {
        "helpers": Counter({t: n for t, n in totals.helpers_by_tier.items() if n}),
        "households": Counter({c: f.households for c, f in report.regions.items() if f.households}),
        "needs": Counter({(line.kind, line.route): line.count for line in totals.needs}),
        "referrals": Counter(dict(totals.referrals)),
        "grants": sum((g.amount or Decimal(0) for g in totals.grants), Decimal(0)),
        "monitored": Counter(
            {
                c: f.monitoring.households
                for c, f in report.regions.items()
                if f.monitoring is not None and f.monitoring.households
            }
        ),
    }


def _non_zero(table: sa.Table) -> sa.Select[Any]:
    """A table's rows; a tally's rows that fell to zero (kept, not counted) left out."""
    if "amount_fen" not in table.c:
        return sa.select(table)
    return sa.select(table).where(sa.or_(table.c.n != 0, table.c.amount_fen != 0))


def _kept(conn: sa.Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {
        t.name: sorted(tuple(str(v) for v in row) for row in conn.execute(_non_zero(t)))
        for t in KEPT
    }


# -- the databases ----------------------------------------------------------------------


def _urls(stack: ExitStack, tmp: Path, server: str | None) -> list[str]:
    """Memory and SQLite, with the plugin backend ``jsonl://`` or PostgreSQL."""
    token = secrets.token_hex(4)
    urls = ["memory://", f"sqlite:///{tmp / f'truth-{token}.db'}"]
    if server is None:
        urls.append(f"jsonl://{tmp / token}")
    else:
        urls.append(stack.enter_context(_schema(server)))
    return urls


class _schema:
    def __init__(self, server: str) -> None:
        self.server = server
        self.name = f"jieqin_truth_{secrets.token_hex(5)}"
        self.libpq = "postgresql://" + server.partition("://")[2]

    def __enter__(self) -> str:
        import psycopg

        with psycopg.connect(self.libpq, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{self.name}"')
        separator = "&" if "?" in self.server else "?"
        return f"{self.server}{separator}options={quote(f'-csearch_path={self.name}')}"

    def __exit__(self, *_: object) -> None:
        import psycopg

        with psycopg.connect(self.libpq, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')


class Records(RuleBasedStateMachine):
    """Random writes to every backend at once; the figures compared after each."""

    tmp: Path
    server: str | None = None

    def __init__(self) -> None:
        super().__init__()
        self.stack = ExitStack()
        self.campaigns = [
            self.stack.enter_context(
                jieqin.connect(url, plugins=[TruthPlugin()], clock=FixedClock(TODAY))
            )
            for url in _urls(self.stack, self.tmp, self.server)
        ]
        self.households: dict[str, Household] = {}
        self.helpers: dict[str, Helper] = {}
        self.pairings: dict[tuple[str, str, date], Pairing] = {}
        self.activities: dict[str, Activity] = {}
        self.needs: dict[str, Need] = {}
        self.grants: dict[str, Grant] = {}
        self.referrals: dict[str, Referral] = {}
        self.n = 0
        self._write(
            lambda uow: uow.funds.add_many(
                [
                    Fund("f2021", "aid", Year(2021), Decimal(10**6)),
                    Fund("f2022", "aid", Year(2022), Decimal(10**6)),
                ]
            )
        )

    def teardown(self) -> None:
        tallies.FEW = FEW
        self.stack.close()

    @initialize(few=st.sampled_from([0, FEW]))
    def count_in_batches_or_one_by_one(self, few: int) -> None:
        """The tallies count a few records by one statement and a batch by labels
        read first: in this run every write goes one way or the other."""
        tallies.FEW = few

    @initialize(counties=st.lists(st.sampled_from(COUNTIES), min_size=2, max_size=2))
    def a_helper_paired_with_two_households(self, counties: list[str]) -> None:
        """Every run starts with pairings, so that most steps write activities."""
        self.add_helper(TIERS[0], counties[0])
        for county in counties:
            self.add_household(county, monitored=False, ill=False)
        (helper,) = self.helpers
        for household in self.households:
            pairing = Pairing(helper, household, START)
            self.pairings[(helper, household, START)] = pairing
            self._write(lambda uow, p=pairing: uow.pairings.add(p))

    def _write(self, write: Callable[[Any], object]) -> None:
        for campaign in self.campaigns:
            with campaign.unit_of_work("machine") as uow:
                write(uow)
                uow.commit()

    def _next(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    # -- people --------------------------------------------------------------------

    @rule(county=st.sampled_from(COUNTIES), monitored=st.booleans(), ill=st.booleans())
    def add_household(self, county: str, monitored: bool, ill: bool) -> None:
        self.n += 1
        household = _household(self.n, county, "unstable" if monitored else "lifted_out", ill)
        self.households[household.household_id] = household
        self._write(lambda uow: uow.households.add(household))

    @precondition(lambda self: self.households)
    @rule(data=st.data(), county=st.sampled_from(COUNTIES))
    def move_household(self, data: st.DataObject, county: str) -> None:
        hid = data.draw(st.sampled_from(sorted(self.households)))
        moved = attrs.evolve(self.households[hid], region=RegionCode(f"{county}002001"))
        self.households[hid] = moved
        self._write(lambda uow: uow.households.upsert_many([moved]))

    @rule(tier=st.sampled_from(TIERS), county=st.sampled_from(COUNTIES))
    def add_helper(self, tier: str, county: str) -> None:
        helper = Helper(self._next("p"), "王五", tier, RegionCode(county), capacity=9)
        self.helpers[helper.helper_id] = helper
        self._write(lambda uow: uow.helpers.add(helper))

    @precondition(lambda self: self.helpers)
    @rule(data=st.data(), tier=st.sampled_from(TIERS), county=st.sampled_from(COUNTIES))
    def change_helper(self, data: st.DataObject, tier: str, county: str) -> None:
        pid = data.draw(st.sampled_from(sorted(self.helpers)))
        changed = attrs.evolve(self.helpers[pid], tier=tier, home_region=RegionCode(county))
        self.helpers[pid] = changed
        self._write(lambda uow: uow.helpers.update(changed))

    # -- pairings and activities -------------------------------------------------------

    @precondition(lambda self: self.helpers and self.households)
    @rule(data=st.data(), offset=st.integers(0, 600))
    def pair(self, data: st.DataObject, offset: int) -> None:
        pid = data.draw(st.sampled_from(sorted(self.helpers)))
        hid = data.draw(st.sampled_from(sorted(self.households)))
        start = START + timedelta(days=offset)
        mine = [p for p in self.pairings.values() if (p.helper_id, p.household_id) == (pid, hid)]
        if any(p.end is None or p.end >= start for p in mine):
            return
        pairing = Pairing(pid, hid, start)
        self.pairings[(pid, hid, start)] = pairing
        self._write(lambda uow: uow.pairings.add(pairing))

    @precondition(lambda self: any(p.end is None for p in self.pairings.values()))
    @rule(data=st.data(), days=st.integers(0, 300))
    def end_pairing(self, data: st.DataObject, days: int) -> None:
        key = data.draw(
            st.sampled_from(sorted(k for k, p in self.pairings.items() if p.end is None))
        )
        end = min(key[2] + timedelta(days=days), TODAY)
        self.pairings[key] = attrs.evolve(self.pairings[key], end=end)
        self._write(lambda uow: uow.pairings.end(key, end))

    @precondition(lambda self: any(p.end is None for p in self.pairings.values()))
    @rule(data=st.data(), days=st.integers(0, 300))
    def end_pairing_by_hand(self, data: st.DataObject, days: int) -> None:
        """A clerk ends a pairing (``jieqin pairings end``): a handover to nobody."""
        key = data.draw(
            st.sampled_from(sorted(k for k, p in self.pairings.items() if p.end is None))
        )
        end = min(key[2] + timedelta(days=days), TODAY)
        for campaign in self.campaigns:
            ended = campaign.end_pairing(key[0], key[1], end, "moved to the city", actor="machine")
            assert ended.end == end
        self.pairings[key] = attrs.evolve(self.pairings[key], end=end)

    def _day_in(self, pairing: Pairing, offset: int) -> date | None:
        last = min(pairing.end or TODAY, TODAY)
        day = pairing.start + timedelta(days=offset)
        return day if day <= last else None

    @precondition(lambda self: self.pairings)
    @rule(
        data=st.data(),
        kind=st.sampled_from((*KINDS, "festival_visit")),
        offsets=st.lists(st.integers(0, 400), min_size=1, max_size=3),
    )
    def log(self, data: st.DataObject, kind: str, offsets: list[int]) -> None:
        """One activity, or a few in one batch, on days the pairing was in force."""
        pairing = self.pairings[data.draw(st.sampled_from(sorted(self.pairings)))]
        days = [day for day in (self._day_in(pairing, n) for n in offsets) if day is not None]
        logged = [
            Activity(self._next("a"), kind, day, pairing.helper_id, pairing.household_id)
            for day in days
        ]
        if not logged:
            return
        self.activities.update((a.activity_id, a) for a in logged)
        self._write(lambda uow: uow.activities.add_many(logged))

    def _standing(self) -> list[str]:
        return sorted(i for i, a in self.activities.items() if not a.voided)

    @precondition(lambda self: self._standing())
    @rule(data=st.data(), kind=st.sampled_from(KINDS), offset=st.integers(0, 400))
    def correct_activity(self, data: st.DataObject, kind: str, offset: int) -> None:
        activity = self.activities[data.draw(st.sampled_from(self._standing()))]
        pairings = [
            p
            for p in self.pairings.values()
            if (p.helper_id, p.household_id) == (activity.helper_id, activity.household_id)
        ]
        day = self._day_in(data.draw(st.sampled_from(pairings)), offset)
        if day is None:
            return
        corrected = attrs.evolve(activity, kind=kind, on=day)
        self.activities[activity.activity_id] = corrected
        self._write(lambda uow: uow.activities.update(corrected))

    @precondition(lambda self: self._standing())
    @rule(data=st.data(), days=st.integers(0, 90))
    def void_activity(self, data: st.DataObject, days: int) -> None:
        """An activity logged by mistake is voided: it counts nowhere after."""
        activity = self.activities[data.draw(st.sampled_from(self._standing()))]
        day = min(activity.on + timedelta(days=days), TODAY)
        for campaign in self.campaigns:
            campaign.void_activity(activity.activity_id, "logged by mistake", day, actor="machine")
        self.activities[activity.activity_id] = attrs.evolve(
            activity, voided_on=day, void_reason="logged by mistake", voided_by="machine"
        )

    # -- needs, referrals and grants ------------------------------------------------------

    @precondition(lambda self: self.households)
    @rule(
        data=st.data(), kind=st.sampled_from(("employment", "medical")), offset=st.integers(0, 700)
    )
    def raise_need(self, data: st.DataObject, kind: str, offset: int) -> None:
        hid = data.draw(st.sampled_from(sorted(self.households)))
        day = START + timedelta(days=offset)
        need = Need(self._next("n"), hid, kind, Year(day.year), NeedSource.SURVEY, day, f"{hid}-1")
        self.needs[need.need_id] = need
        self._write(lambda uow: uow.needs.add(need))

    @precondition(lambda self: self._unsettled())
    @rule(data=st.data(), to=st.sampled_from(("program", "referral", None)))
    def route(self, data: st.DataObject, to: str | None) -> None:
        need = self.needs[data.draw(st.sampled_from(self._unsettled()))]
        route = None
        if to == "program":
            route = Route(RouteKind.PROGRAM, "aid")
        elif to == "referral":
            route = Route(RouteKind.REFERRAL, "center")
        routed = attrs.evolve(need, route=route, status="routed" if route else "open")
        self.needs[need.need_id] = routed
        self._write(lambda uow: uow.needs.update(routed))

    @precondition(lambda self: self.needs)
    @rule(data=st.data(), days=st.integers(0, 60))
    def refer(self, data: st.DataObject, days: int) -> None:
        need = self.needs[data.draw(st.sampled_from(sorted(self.needs)))]
        day = min(need.raised_on + timedelta(days=days), TODAY)
        referral = Referral(self._next("r"), need.need_id, need.household_id, "center", day)
        self._write(lambda uow: uow.referrals.add(referral))
        self.referrals[referral.referral_id] = referral

    @precondition(lambda self: self.households)
    @rule(data=st.data(), year=st.sampled_from((2021, 2022)), amount=st.integers(1, 900))
    def grant(self, data: st.DataObject, year: int, amount: int) -> None:
        hid = data.draw(st.sampled_from(sorted(self.households)))
        member = f"{hid}-1"
        if any(
            g.member_id == member and g.period == Year(year) and g.in_force
            for g in self.grants.values()
        ):
            return
        grant = Grant(
            self._next("g"),
            "aid",
            f"f{year}",
            Year(year),
            hid,
            member,
            Decimal(amount),
            date(year, 9, 1),
            "d0",
        )
        self.grants[grant.grant_id] = grant
        self._write(lambda uow: uow.grants.add(grant))

    def _in_force(self) -> list[str]:
        return sorted(i for i, g in self.grants.items() if g.in_force)

    @precondition(lambda self: self._in_force())
    @rule(data=st.data(), amount=st.integers(1, 900))
    def correct_grant(self, data: st.DataObject, amount: int) -> None:
        grant = self.grants[data.draw(st.sampled_from(self._in_force()))]
        corrected = attrs.evolve(grant, amount=Decimal(amount))
        self.grants[grant.grant_id] = corrected
        self._write(lambda uow: uow.grants.update(corrected))

    @precondition(lambda self: self._in_force())
    @rule(data=st.data(), days=st.integers(0, 200))
    def revoke_grant(self, data: st.DataObject, days: int) -> None:
        """A grant revoked: the report no longer counts it; the member may be granted again."""
        grant = self.grants[data.draw(st.sampled_from(self._in_force()))]
        day = min(grant.decided_on + timedelta(days=days), TODAY)
        for campaign in self.campaigns:
            revoked = campaign.revoke_grant(grant.grant_id, "paid twice", day, actor="machine")
            assert not revoked.in_force
        self.grants[grant.grant_id] = revoked

    @precondition(lambda self: self._unsettled())
    @rule(data=st.data(), resolve=st.booleans(), days=st.integers(0, 90))
    def settle_need(self, data: st.DataObject, resolve: bool, days: int) -> None:
        """A need resolved or closed by hand: its count (raised in the period) stays."""
        need = self.needs[data.draw(st.sampled_from(self._unsettled()))]
        day = min(need.raised_on + timedelta(days=days), TODAY)
        for campaign in self.campaigns:
            if resolve:
                settled = campaign.resolve_need(need.need_id, "found work", day, actor="machine")
            else:
                settled = campaign.close_need(need.need_id, "moved away", day, actor="machine")
        self.needs[need.need_id] = settled

    def _unsettled(self) -> list[str]:
        return sorted(i for i, n in self.needs.items() if n.status in ("open", "routed"))

    @precondition(lambda self: self.referrals)
    @rule(data=st.data(), days=st.integers(0, 90))
    def complete_referral(self, data: st.DataObject, days: int) -> None:
        """A referral completed: still counted on the day it was made."""
        rid = data.draw(st.sampled_from(sorted(self.referrals)))
        referral = self.referrals.pop(rid)
        day = min(referral.referred_on + timedelta(days=days), TODAY)
        for campaign in self.campaigns:
            campaign.complete_referral(rid, day, note="placed", outcome="employed", actor="machine")
        need = self.needs.get(referral.need_id)
        if need is not None and need.status in ("open", "routed"):
            with self.campaigns[0].unit_of_work("machine", read_only=True) as uow:
                self.needs[need.need_id] = uow.needs.get(need.need_id)

    # -- what must hold ---------------------------------------------------------------------

    @invariant()
    def every_backend_reports_the_same_figures(self) -> None:
        first, *others = self.campaigns
        for period in PERIODS:
            expected = first.report(period, by_region=True).as_dict()
            for campaign in others:
                assert campaign.report(period, by_region=True).as_dict() == expected, (
                    campaign.url,
                    period,
                )
        for as_of in AS_OF:
            late = first.overdue(as_of)
            for campaign in others:
                assert campaign.overdue(as_of) == late, (campaign.url, as_of)

    @invariant()
    def the_figures_equal_a_naive_count(self) -> None:
        campaign = self.campaigns[0]
        with campaign.unit_of_work("checker", read_only=True) as uow:
            for period in ("2021", "2022"):
                span = jieqin.parse_period(period)
                truth = naive(uow, span.start, span.end)
                report = campaign.report(period, by_region=True)
                got = reported(report)
                assert truth["helpers"] == got["helpers"]
                assert truth["households"] == got["households"]
                assert truth["needs"] == got["needs"]
                assert truth["referrals"] == got["referrals"]
                assert truth["grants"] == got["grants"]
                assert truth["monitored"] == got["monitored"]
                by_kind = Counter()
                for (kind, _, _), n in truth["activities"].items():
                    by_kind[kind] += n
                assert {k: v for k, v in report.totals.activities.items() if v} == dict(by_kind)
                by_tier = Counter()
                for (_, tier, _), n in truth["activities"].items():
                    by_tier[tier] += n
                assert {k: v for k, v in report.totals.activities_by_tier.items() if v} == dict(
                    by_tier
                )
                for code, figures in report.regions.items():
                    mine = Counter()
                    for (kind, _, county), n in truth["activities"].items():
                        if county == code:
                            mine[kind] += n
                    assert {k: v for k, v in figures.activities.items() if v} == dict(mine), code

    @invariant()
    def the_kept_tables_equal_a_rebuild(self) -> None:
        for campaign in self.campaigns:
            storage = campaign.storage
            if not isinstance(storage, SqlStorage):
                continue
            with storage.engine.connect() as conn:
                kept = _kept(conn)
                rebuild(conn)
                again = _kept(conn)
                conn.rollback()
            assert kept == again, campaign.url


@pytest.fixture
def machine(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[type[Records]]:
    server = None
    if "postgresql_server" in request.fixturenames:
        server = request.getfixturevalue("postgresql_server")
    Records.tmp = tmp_path
    Records.server = server
    return Records


def _run(machine: type[Records], examples: int) -> None:
    """Run the machine; PostgreSQL takes fewer runs, each step costing it round trips
    (the memory, SQLite and ``jsonl://`` run covers the same rules more often)."""
    test = machine.TestCase
    test.settings = settings(
        max_examples=examples,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    test().runTest()


def test_memory_sqlite_and_a_plugin_backend_tell_the_same_truth(machine: type[Records]) -> None:
    _run(machine, 25)


@pytest.mark.postgresql
def test_postgresql_tells_the_same_truth_too(
    postgresql_server: str, machine: type[Records]
) -> None:
    _run(machine, 12)
