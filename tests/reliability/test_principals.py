"""A scoped principal never reads or writes outside its scope, through any repository method.

Random small campaigns (households in three counties, helpers, pairings, needs and
referrals that may name another household's member, activities, decisions, grants,
handovers, a member who moved) are stored on memory, SQLite and PostgreSQL; then
for random principals (a clerk or an approver over random region prefixes, an
auditor, a helper) every method of every repository (:data:`METHODS`, itself checked
against the storage protocols) is called and compared with what an independent
oracle, computed from the records alone, says the principal may see and write.
"""

from __future__ import annotations

import contextlib
import inspect
import secrets
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin.errors import JieqinError, NotFound
from jieqin.model import (
    Activity,
    Consent,
    Decision,
    Fund,
    Grant,
    Grievance,
    Handover,
    Helper,
    Household,
    ItemStatus,
    Need,
    NeedSource,
    Objection,
    Outcome,
    Pairing,
    Plan,
    PlanItem,
    Program,
    ProgramKind,
    Referral,
    RegionCode,
    Year,
)
from jieqin.model.elimination import Elimination, StableMonth
from jieqin.model.monitoring import Observation, RiskWarning
from jieqin.model.periods import Month
from jieqin.security import METHODS, STANDARD_ROLES, NotPermitted, Principal
from jieqin.storage import base
from jieqin.storage._common import ENTITIES
from jieqin.testing.contract import make_elimination, make_observation, make_warning
from jieqin.testing.strategies import households, members, one_number_each

DAY = date(2021, 6, 30)
COUNTIES = ("610202", "610203", "610204")
#: Prefixes principals are scoped to: counties, a township, the city, another city.
PREFIXES = ("610202", "610203", "610204", "610203001", "6102", "610302")


@attrs.frozen
class World:
    helpers: tuple[Helper, ...]
    households: tuple[Household, ...]
    pairings: tuple[Pairing, ...]
    needs: tuple[Need, ...]
    referrals: tuple[Referral, ...]
    activities: tuple[Activity, ...]
    decisions: tuple[Decision, ...]
    grants: tuple[Grant, ...]
    handovers: tuple[Handover, ...]
    consents: tuple[Consent, ...]
    move: tuple[str, str] | None
    grievances: tuple[Grievance, ...] = ()
    plans: tuple[Plan, ...] = ()
    plan_items: tuple[PlanItem, ...] = ()
    objections: tuple[Objection, ...] = ()
    observations: tuple[Observation, ...] = ()
    warnings: tuple[RiskWarning, ...] = ()
    eliminations: tuple[Elimination, ...] = ()


@st.composite
def worlds(draw: st.DrawFn) -> World:
    the_helpers = tuple(
        Helper(f"p{i}", "张三", "city_member", RegionCode(draw(st.sampled_from(COUNTIES))))
        for i in range(draw(st.integers(2, 3)))
    )
    people = members(max_birth_date=date(2015, 12, 31))
    homes = []
    for i in range(draw(st.integers(2, 5))):
        county = draw(st.sampled_from(COUNTIES))
        region = RegionCode(f"{county}{draw(st.integers(1, 2)):03d}{draw(st.integers(1, 2)):03d}")
        drawn = draw(households(max_members=2, member_strategy=people))
        named = [attrs.evolve(m, member_id=f"h{i}-{k}") for k, m in enumerate(drawn.members)]
        homes.append(attrs.evolve(drawn, household_id=f"h{i}", region=region, members=named))
    the_households = tuple(one_number_each(homes))
    everyone = [m.member_id for h in the_households for m in h.members]
    pairs = {}
    for h in the_households:
        for helper in draw(st.sets(st.sampled_from(the_helpers), max_size=2)):
            start = DAY - timedelta(days=draw(st.integers(0, 200)))
            end = draw(st.none() | st.just(DAY - timedelta(days=1)))
            pairs[(helper.helper_id, h.household_id)] = Pairing(
                helper.helper_id, h.household_id, start, end=end if end and end >= start else None
            )

    def member_or_none() -> str | None:
        # Any household's member, so that records may name someone else's member.
        return draw(st.none() | st.sampled_from(everyone))

    hids = [h.household_id for h in the_households]
    the_needs = tuple(
        Need(
            f"n{k}",
            draw(st.sampled_from(hids)),
            "employment",
            Year(2021),
            NeedSource.SURVEY,
            DAY,
            member_id=member_or_none(),
        )
        for k in range(draw(st.integers(0, 4)))
    )
    the_referrals = tuple(
        Referral(
            f"r{k}", n.need_id, n.household_id, "civil_affairs", DAY, member_id=member_or_none()
        )
        for k, n in enumerate(the_needs[: draw(st.integers(0, len(the_needs)))])
    )
    the_activities = tuple(
        Activity(
            f"a{k}",
            "visit",
            DAY,
            draw(st.sampled_from(the_helpers)).helper_id,
            draw(st.sampled_from(hids)),
            member_id=member_or_none(),
        )
        for k in range(draw(st.integers(0, 4)))
    )
    the_decisions = tuple(
        Decision(
            f"d{k}",
            "g1",
            Year(2021),
            draw(st.sampled_from(hids)),
            member_or_none(),
            Outcome.GRANTED,
            DAY,
            "1",
            amount=Decimal("100"),
        )
        for k in range(draw(st.integers(0, 3)))
    )
    one_each = {d.member_id: d for d in the_decisions if d.member_id is not None}
    the_grants = tuple(
        Grant(
            f"gr{k}",
            "g1",
            "f1",
            Year(2021),
            d.household_id,
            d.member_id,
            Decimal("100"),
            DAY,
            d.decision_id,
        )
        for k, d in enumerate(one_each.values())
    )
    the_consents = tuple(
        Consent(f"c{k}", m, draw(st.sampled_from(hids)), "civil_affairs", "转介", {"health"}, DAY)
        for k, m in enumerate(draw(st.lists(st.sampled_from(everyone), max_size=2)))
    )
    the_handovers = tuple(
        Handover(draw(st.sampled_from(hids)), DAY, "moved away", from_helper_id="p0")
        for _ in range(draw(st.integers(0, 2)))
    )
    the_grievances = tuple(
        Grievance(
            f"gv{k}",
            draw(st.sampled_from(hids)),
            "letter",
            "other",
            DAY,
            DAY + timedelta(days=60),
            "诉求",
            member_id=member_or_none(),
        )
        for k in range(draw(st.integers(0, 3)))
    )
    the_items = tuple(
        _plan_item(k, d) for k, d in enumerate(the_decisions[: draw(st.integers(0, 3))])
    )
    the_plans = (Plan("pl1", "g1", "f1", Year(2021), DAY, "1", "clerk:li", DAY, len(the_items)),)
    the_objections = tuple(
        Objection(f"o{k}", "pl1", draw(st.sampled_from(hids)), member_or_none(), DAY, "异议")
        for k in range(draw(st.integers(0, 2)))
    )
    the_observations = tuple(
        make_observation(
            f"ob{k}",
            household_id=h,
            kind="income",
            period=Month(2021, 5),
            amount=Decimal("450"),
            source="feed",
            recorded_on=DAY,
            member_id=None,
            feed="mi",
            feed_record=f"r{k}",
        )
        for k, h in enumerate(draw(st.lists(st.sampled_from(hids), max_size=3, unique=True)))
    )
    the_warnings = tuple(
        make_warning(f"w{k}", household_id=h, period=Month(2021, 5), raised_on=DAY, check_due=DAY)
        for k, h in enumerate(draw(st.lists(st.sampled_from(hids), max_size=2, unique=True)))
    )
    the_eliminations = tuple(
        make_elimination(
            f"el{k}",
            household_id=h,
            stable_months=[
                StableMonth(m, Decimal("9000.00"), Decimal("6000.00"))
                for m in (Month(2020, 12), *(Month(2021, n) for n in range(1, 6)))
            ],
            checked_by="p0",
            checked_on=date(2021, 6, 2),
            made_by="clerk:li",
            made_on=DAY,
        )
        for k, h in enumerate(draw(st.lists(st.sampled_from(hids), max_size=2, unique=True)))
    )
    move = None
    if draw(st.booleans()):
        source = draw(st.sampled_from([h for h in the_households if len(h.members) > 1] or [None]))
        if source is not None:
            target = draw(st.sampled_from([h for h in hids if h != source.household_id]))
            move = (source.members[-1].member_id, target)
    return World(
        the_helpers,
        the_households,
        tuple(pairs.values()),
        the_needs,
        the_referrals,
        the_activities,
        the_decisions,
        the_grants,
        the_handovers,
        the_consents,
        move,
        the_grievances,
        the_plans,
        the_items,
        the_objections,
        the_observations,
        the_warnings,
        the_eliminations,
    )


def _plan_item(k: int, decision: Decision) -> PlanItem:
    """A planned grant of plan ``pl1`` of 100 yuan from ``f1``, decided as ``decision``."""
    planned = attrs.evolve(decision, decision_id=f"pd{k}")
    h, m = decision.household_id, decision.member_id
    grant = Grant(f"pg{k}", "g1", "f1", Year(2021), h, m, Decimal("100"), DAY, f"pd{k}")
    return PlanItem(f"pi{k}", "pl1", h, m, ItemStatus.PLANNED, planned, grant)


@st.composite
def principals(draw: st.DrawFn, world: World) -> Principal:
    role = draw(st.sampled_from(["clerk", "approver", "auditor", "helper"]))
    if role == "helper":
        helper = draw(st.sampled_from(world.helpers)).helper_id
        return Principal(f"helper:{helper}", STANDARD_ROLES["helper"], helper_id=helper, on=DAY)
    regions = draw(st.sets(st.sampled_from(PREFIXES), min_size=1, max_size=2))
    return Principal(f"{role}:x", STANDARD_ROLES[role], regions)


# --- the oracle: what the principal may see, from the records alone --------------------


class Oracle:
    """What a principal's scope holds, worked out from the stored records."""

    def __init__(self, principal: Principal, stored: dict[str, list[Any]], owner: dict[str, str]):
        self.p = principal
        self.owner = owner
        homes = {h.household_id: h for h in stored["households"]}
        if principal.role.name == "helper":
            self.households = {
                p.household_id
                for p in stored["pairings"]
                if p.helper_id == principal.helper_id and p.active_on(DAY)
            }
        elif principal.role.name == "auditor":
            self.households = set(homes)
        else:
            self.households = {
                hid
                for hid, h in homes.items()
                if any(h.region.code.startswith(prefix) for prefix in principal.regions)
            }

    def member(self, member_id: str | None) -> bool:
        return member_id is None or self.owner.get(member_id, "") in self.households

    def sees(self, kind: str, record: Any) -> bool:
        if self.p.role.name == "auditor" or kind in ("programs", "funds", "plans"):
            return True
        if kind == "helpers":
            if self.p.role.name == "helper":
                return bool(record.helper_id == self.p.helper_id)
            return any(record.home_region.code.startswith(x) for x in self.p.regions)
        if kind == "households":
            return record.household_id in self.households
        if kind == "moves":
            return bool({record.from_household_id, record.to_household_id} & self.households)
        return record.household_id in self.households and self.member(
            getattr(record, "member_id", None)
        )

    def may_write(self, kind: str, record: Any) -> bool:
        if not self.p.role.may_write(kind) or not self.sees(kind, record):
            return False
        return self.p.role.name != "helper" or record.helper_id == self.p.helper_id


# --- storing a world, and the campaigns to store it on ----------------------------------


def _store(campaign: jieqin.Campaign, world: World) -> None:
    with campaign.storage.unit_of_work("test:setup") as uow:
        uow.helpers.add_many(world.helpers)
        uow.households.add_many(world.households)
        uow.pairings.add_many(world.pairings)
        uow.programs.add(Program("g1", "助学金", "市民政局", ProgramKind.CASH_GRANT))
        uow.funds.add(Fund("f1", "g1", Year(2021), Decimal("100000")))
        for name in (
            "needs",
            "referrals",
            "activities",
            "decisions",
            "grants",
            "handovers",
            "consents",
            "grievances",
            "plans",
            "plan_items",
            "objections",
            "observations",
            "warnings",
            "eliminations",
        ):
            getattr(uow, name).add_many(getattr(world, name))
        if world.move is not None:
            uow.households.move_member(world.move[0], world.move[1], DAY)
        uow.commit()


@contextlib.contextmanager
def _postgresql(server: str) -> Iterator[str]:
    import psycopg

    libpq = "postgresql://" + server.partition("://")[2]
    schema = f"jieqin_scope_{secrets.token_hex(6)}"
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        separator = "&" if "?" in server else "?"
        yield f"{server}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# --- the check ---------------------------------------------------------------------------

#: The method names the check calls; it must call every method of every repository.
CALLED: set[tuple[str, str]] = set()


def _called(repo: str, method: str) -> None:
    CALLED.add((repo, method))


def _check(url: str, world: World, chosen: list[Principal]) -> None:
    with jieqin.connect(url) as campaign:
        _store(campaign, world)
        with campaign.storage.unit_of_work("test") as uow:
            stored = {name: getattr(uow, name).list() for name in METHODS if name != "audit"}
            stored["moves"] = uow.households.moves()
            owner = uow.households.owners(
                m.member_id for h in stored["households"] for m in h.people
            )
        for principal in chosen:
            oracle = Oracle(principal, stored, owner)
            with campaign.unit_of_work(principal=principal, read_only=True) as scoped:
                _check_reads(scoped, oracle, stored, owner)
            _check_writes(campaign, principal, oracle, stored)


def _key(name: str, record: Any) -> Any:
    return ENTITIES[name].key(record)


def _check_reads(
    uow: Any, oracle: Oracle, stored: dict[str, list[Any]], owner: dict[str, str]
) -> None:
    role = oracle.p.role
    for name in METHODS:
        if name == "audit":
            _check_audit(uow, oracle)
            continue
        repo = getattr(uow, name)
        if not role.may_read(name):
            with pytest.raises(NotPermitted):
                repo.list()
            with pytest.raises(NotPermitted):
                repo.count()
            continue
        seen = [r for r in stored[name] if oracle.sees(name, r)]
        assert repo.list() == seen, name
        assert repo.count() == len(seen), name
        _called(name, "list"), _called(name, "count")
        if name == "handovers":
            continue
        keys = [_key(name, r) for r in stored[name]]
        visible = {_key(name, r) for r in seen}
        assert repo.find_many(keys) == {_key(name, r): r for r in seen}, name
        assert repo.stored(keys) == visible, name
        for record, key in zip(stored[name], keys, strict=True):
            if key in visible:
                assert repo.get(key) == record
                assert repo.find(key) == record
            else:
                assert repo.find(key) is None
                with pytest.raises(NotFound) as hidden:
                    repo.get(key)
                absent = key if not isinstance(key, tuple) else (key[0], "nowhere", key[2])
                with pytest.raises(NotFound) as missing:
                    repo.get(absent if not isinstance(key, str) else "no-such-id")
                # the same words as for a record that does not exist
                assert str(hidden.value).rsplit(" ", 1)[0] == str(missing.value).rsplit(" ", 1)[0]
        for method in ("find_many", "stored", "get", "find"):
            _called(name, method)
    if role.may_read("households"):
        _check_members(uow.households, oracle, stored, owner)
    if role.may_read("pairings"):
        _check_pairings(uow.pairings, oracle, stored)
    if role.may_read("observations"):
        _check_monitoring(uow, oracle, stored)
    if role.may_read("funds"):
        assert uow.funds.spent("f1") == sum((g.amount for g in stored["grants"]), Decimal(0))
        assert uow.funds.changes() == uow.funds.changes(fund_id="f1") == []
        reserved = sum((i.amount or 0 for i in stored["plan_items"]), Decimal(0))
        assert uow.funds.reserved("f1") == reserved
        _called("funds", "spent"), _called("funds", "changes"), _called("funds", "reserved")


def _check_monitoring(uow: Any, oracle: Oracle, stored: dict[str, list[Any]]) -> None:
    """The set-based reads of observations and warnings show only what is in scope."""
    every = [h.household_id for h in stored["households"]]
    for name in ("observations", "warnings"):
        seen = [r for r in stored[name] if oracle.sees(name, r)]
        found = getattr(uow, name).of_households(every)
        assert set(found) <= oracle.households, name
        key = lambda r, n=name: _key(n, r)  # noqa: E731
        assert sorted((r for rs in found.values() for r in rs), key=key) == sorted(seen, key=key)
        _called(name, "of_households")
    pairs = [(o.feed, o.feed_record) for o in stored["observations"]]
    shown = {
        (o.feed, o.feed_record): o for o in stored["observations"] if oracle.sees("observations", o)
    }
    assert uow.observations.feed_records(pairs) == shown
    _called("observations", "feed_records")


def _check_members(
    repo: Any, oracle: Oracle, stored: dict[str, list[Any]], owner: dict[str, str]
) -> None:
    people = {m.member_id: m for h in stored["households"] for m in h.people}
    shown = {m: h for m, h in owner.items() if h in oracle.households}
    assert repo.owners(list(owner)) == shown
    numbers = {m.resident_id: m.member_id for m in people.values() if m.resident_id}
    assert set(repo.holders(list(numbers))) == {r for r, m in numbers.items() if m in shown}
    for member_id in owner:
        if member_id in shown:
            assert repo.household_of(member_id) == owner[member_id]
            assert repo.member(member_id).member_id == member_id
        else:
            with pytest.raises(NotFound, match=f"^no member {member_id}$"):
                repo.household_of(member_id)
            with pytest.raises(NotFound, match=f"^no member {member_id}$"):
                repo.member(member_id)
    assert repo.moves() == [m for m in stored["moves"] if oracle.sees("moves", m)]
    for method in ("owners", "holders", "household_of", "member", "moves"):
        _called("households", method)


def _check_pairings(repo: Any, oracle: Oracle, stored: dict[str, list[Any]]) -> None:
    seen = [p for p in stored["pairings"] if oracle.sees("pairings", p)]
    assert repo.active_on(DAY) == [p for p in seen if p.active_on(DAY)]
    every = [h.household_id for h in stored["households"]]
    found = repo.of_households(every)
    assert set(found) <= oracle.households
    by_key = lambda p: (p.helper_id, p.household_id, p.start)  # noqa: E731
    assert sorted((p for ps in found.values() for p in ps), key=by_key) == sorted(seen, key=by_key)
    _called("pairings", "active_on"), _called("pairings", "of_households")


def _check_audit(uow: Any, oracle: Oracle) -> None:
    _called("audit", "entries"), _called("audit", "count")
    if oracle.p.role.audit_log:
        assert uow.audit.count() == len(uow.audit.entries()) > 0
        return
    with pytest.raises(NotPermitted):
        uow.audit.entries()
    with pytest.raises(NotPermitted):
        uow.audit.count()


def _attempt(campaign: jieqin.Campaign, principal: Principal, act: Callable[[Any], object]) -> bool:
    """Whether the write was let through the scope (it is never committed).

    Refused: :class:`NotPermitted`, or :class:`NotFound` for a record outside the scope,
    which reads as absent. Any other refusal comes from the write checks or the database,
    after the scope let the write through.
    """
    with campaign.unit_of_work(principal=principal) as uow:
        try:
            act(uow)
        except (NotPermitted, NotFound):
            return False
        except JieqinError:
            return True
    return True


def _check_writes(
    campaign: jieqin.Campaign, principal: Principal, oracle: Oracle, stored: dict[str, list[Any]]
) -> None:
    for name in METHODS:
        if name in ("audit", "handovers"):
            continue
        for record in stored[name][:3]:
            expected = oracle.may_write(name, record)
            for method in ("update", "upsert_many", "add", "add_many"):
                arg = [record] if method.endswith("_many") else record

                def act(uow: Any, name: str = name, method: str = method, arg: Any = arg) -> None:
                    getattr(getattr(uow, name), method)(arg)

                assert _attempt(campaign, principal, act) is expected, (name, method, record)
                _called(name, method)
    for handover in stored["handovers"][:2]:
        expected = oracle.p.role.may_write("handovers") and oracle.sees("handovers", handover)
        assert _attempt(campaign, principal, lambda u, h=handover: u.handovers.add(h)) is expected
        assert (
            _attempt(campaign, principal, lambda u, h=handover: u.handovers.add_many([h]))
            is expected
        )
        _called("handovers", "add"), _called("handovers", "add_many")
    _check_household_writes(campaign, principal, oracle, stored)
    writes_grants = principal.role.may_write("grants")
    assert _attempt(campaign, principal, lambda u: u.funds.lock("f1")) is writes_grants
    assert _attempt(campaign, principal, lambda u: u.grants.lock_programs(["g1"])) is writes_grants
    _called("funds", "lock"), _called("grants", "lock_programs")
    # funds are reference data: topped up and closed by a role that writes funds
    writes_funds = principal.role.may_write("funds")
    top_up = lambda u: u.funds.top_up("f1", Decimal("10"), DAY, reason="追加")  # noqa: E731
    assert _attempt(campaign, principal, top_up) is writes_funds
    close = lambda u: u.funds.close("f1", DAY, reason="年度结束")  # noqa: E731
    assert _attempt(campaign, principal, close) is writes_funds
    _called("funds", "top_up"), _called("funds", "close")
    # a grant is revoked like it is written: in the scope, by a role that writes grants
    for grant in stored["grants"][:3]:
        expected = oracle.may_write("grants", grant)
        act = lambda u, g=grant.grant_id: u.grants.revoke(g, DAY, reason="复核")  # noqa: E731
        assert _attempt(campaign, principal, act) is expected, (principal.describe(), grant)
    _called("grants", "revoke")
    # and its payment is recorded like it is written
    for grant in stored["grants"][:3]:
        expected = oracle.may_write("grants", grant)
        batched = attrs.evolve(grant, batch_id="pb1")
        act = lambda u, g=batched: u.grants.record_payments([g])  # noqa: E731
        assert _attempt(campaign, principal, act) is expected, (principal.describe(), grant)
    _called("grants", "record_payments")


def _check_household_writes(
    campaign: jieqin.Campaign, principal: Principal, oracle: Oracle, stored: dict[str, list[Any]]
) -> None:
    from jieqin.storage.rows import rows_of

    homes = stored["households"]
    may = principal.role.may_write("households")
    for home in homes[:3]:
        expected = may and home.household_id in oracle.households
        rows = [rows_of(home)]
        assert _attempt(campaign, principal, lambda u, r=rows: u.households.upsert_rows(r)) is (
            expected
        )
        # moving a member: both households must be in scope
        for target in homes[:3]:
            if target is home or len(home.members) < 2:
                continue
            allowed = expected and target.household_id in oracle.households
            moved = home.members[-1].member_id
            act = lambda u, m=moved, t=target.household_id: u.households.move_member(m, t, DAY)  # noqa: E731
            assert _attempt(campaign, principal, act) is allowed, (home, target.household_id)
    for pairing in stored["pairings"][:3]:
        if pairing.end is not None:
            continue
        expected = oracle.may_write("pairings", pairing)
        key = _key("pairings", pairing)
        act = lambda u, k=key: u.pairings.end(k, DAY)  # noqa: E731
        assert _attempt(campaign, principal, act) is expected, (principal.describe(), pairing)
    for method in ("upsert_rows", "move_member"):
        _called("households", method)
    _called("pairings", "end")


# --- the tests --------------------------------------------------------------------------


def _scenario(draw: st.DrawFn) -> tuple[World, list[Principal]]:
    world = draw(worlds())
    return world, draw(st.lists(principals(world), min_size=1, max_size=4))


scenarios = st.composite(_scenario)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios())
def test_a_scoped_principal_stays_in_its_scope_on_memory(scenario: Any) -> None:
    _check("memory://", *scenario)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios())
def test_the_same_on_sqlite(tmp_path_factory: pytest.TempPathFactory, scenario: Any) -> None:
    folder = tmp_path_factory.getbasetemp()
    _check(f"sqlite:///{folder / uuid.uuid4().hex}.db", *scenario)


@pytest.mark.postgresql
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios())
def test_the_same_on_postgresql(postgresql_server: str, scenario: Any) -> None:
    with _postgresql(postgresql_server) as url:
        _check(url, *scenario)


def _protocol_methods(protocol: type) -> set[str]:
    return {
        name
        for name, value in inspect.getmembers(protocol)
        if not name.startswith("_") and callable(value)
    }


def test_every_repository_method_is_scoped() -> None:
    """A repository method the scope does not know of would fail here (and is refused)."""
    hints = inspect.get_annotations(base.UnitOfWork, eval_str=False)
    repositories = {
        name: getattr(base, member.fget.__annotations__["return"])
        for name, member in vars(base.UnitOfWork).items()
        if isinstance(member, property)
        and member.fget is not None
        and member.fget.__annotations__.get("return", "").endswith(("Repository", "AuditLog"))
    }
    assert hints  # the protocol declares its attributes
    assert set(repositories) == set(METHODS)
    for name, protocol in repositories.items():
        assert set(METHODS[name]) == _protocol_methods(protocol), name


def test_the_property_calls_every_method() -> None:
    """The property test above exercises every method :data:`METHODS` names."""
    test_a_scoped_principal_stays_in_its_scope_on_memory()
    expected = {(name, method) for name, methods in METHODS.items() for method in methods}
    assert expected - CALLED == set()
