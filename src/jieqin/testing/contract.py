"""The storage contract: the behaviour every storage backend must have.

A backend plugin runs this suite against itself by subclassing
:class:`StorageContract` in its own tests and providing a ``storage_url`` fixture that
yields the URL of a fresh, empty store (or, instead, a ``storage`` fixture yielding a
:class:`~jieqin.storage.Storage` directly)::

    from jieqin.testing.contract import StorageContract

    class TestJsonLinesStorage(StorageContract):
        @pytest.fixture
        def storage_url(self, tmp_path):
            return f"jsonl://{tmp_path}/store"

The URL is opened with :func:`jieqin.connect`, so the backend's plugin must be
installed (its entry point registered). The ``make_*`` functions build valid sample
records for tests of your own.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import zlib
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest

from jieqin.errors import (
    ConflictError,
    FundClosed,
    GrantRevoked,
    InvalidInput,
    NotFound,
    PaymentRefused,
    StorageError,
)
from jieqin.model import (
    Activity,
    ConditionOutcome,
    Consent,
    CostTerm,
    Decision,
    Elimination,
    Fund,
    Grant,
    Grievance,
    GrievanceTarget,
    Handover,
    Health,
    Helper,
    Household,
    ItemStatus,
    Member,
    Month,
    Need,
    NeedStatus,
    Objection,
    Observation,
    Pairing,
    Plan,
    PlanItem,
    Program,
    Quarter,
    Referral,
    RegionCode,
    RiskWarning,
    Route,
    Schooling,
    StableMonth,
    StatusChange,
    Year,
)
from jieqin.model.identity import birthplace_codes, check_digit
from jieqin.storage.base import Storage

__all__ = [
    "StorageContract",
    "make_activity",
    "make_consent",
    "make_decision",
    "make_elimination",
    "make_fund",
    "make_grant",
    "make_grievance",
    "make_helper",
    "make_household",
    "make_need",
    "make_objection",
    "make_pairing",
    "make_plan",
    "make_plan_item",
    "make_program",
    "make_referral",
    "make_resident_id",
    "store_parents",
    "store_records",
]

VILLAGE = RegionCode("610202001001")


def make_resident_id(birth: date, serial: int = 1, *, place: int = 0) -> str:
    """A valid resident ID number for someone born on ``birth`` (serial 0-999), issued
    in the ``place``-th county-level place of Shaanxi in use that year."""
    places = birthplace_codes(birth.year, within="61")
    first17 = f"{places[place % len(places)]}{birth:%Y%m%d}{serial % 1000:03d}"
    return first17 + check_digit(first17)


def _numbering(household_id: str) -> tuple[int, int]:
    """``(number, place)`` of a sample household: the digits of its id, and a place
    chosen by the rest of it, so that ``hh001`` and ``x0001`` hold different people."""
    digits = "".join(ch for ch in household_id if ch.isdigit()) or "0"
    rest = "".join(ch for ch in household_id if not ch.isdigit())
    return int(digits), zlib.crc32(rest.encode()) % 97


def make_helper(helper_id: str = "h001", **changes: Any) -> Helper:
    helper = Helper(
        helper_id=helper_id,
        name="李明",
        tier="city_member",
        home_region=RegionCode("610202"),
        sectors=frozenset({"medical", "education"}),
        capacity=3,
        phone="13800138000",
    )
    return attrs.evolve(helper, **changes)


def make_household(household_id: str = "hh001", *, members: int = 3, **changes: Any) -> Household:
    """A household with a head, a spouse with a major illness and college students.

    Every sample household's members have resident ID numbers of their own (for ids
    with up to three digits)."""
    number, place = _numbering(household_id)
    people = [
        Member(
            member_id=f"{household_id}-m1",
            name="王建国",
            sex="male",
            birth_date=date(1968, 5, 17),
            resident_id=make_resident_id(date(1968, 5, 17), number * 3, place=place),
            phone="13912345678",
        ),
        Member(
            member_id=f"{household_id}-m2",
            name="刘秀英",
            sex="female",
            birth_date=date(1970, 2, 3),
            resident_id=make_resident_id(date(1970, 2, 3), number * 3 + 1, place=place),
            relation="spouse",
            health=Health(condition="major_illness", diagnosis="尿毒症"),
            disability_grade=2,
            employment="unable_to_work",
        ),
    ]
    for i in range(2, members):
        birth = date(2003, 9, i + 1)
        people.append(
            Member(
                member_id=f"{household_id}-m{i + 1}",
                name=f"王{i}",
                sex="female" if i % 2 else "male",
                birth_date=birth,
                resident_id=make_resident_id(birth, number * 3 + 2, place=place),
                relation="child",
                schooling=Schooling(level="college", year_of_entry=2021, institution="西北大学"),
                employment="student",
            )
        )
    household = Household(
        household_id=household_id,
        region=VILLAGE,
        members=tuple(people[:members]),
        status_history=(
            StatusChange("poor", date(2016, 1, 1)),
            StatusChange("lifted_out", date(2019, 12, 31), note="验收通过"),
        ),
    )
    return attrs.evolve(household, **changes)


def make_pairing(
    helper_id: str = "h001",
    household_id: str = "hh001",
    start: date = date(2021, 1, 1),
    **changes: Any,
) -> Pairing:
    pairing = Pairing(
        helper_id=helper_id,
        household_id=household_id,
        start=start,
        reason="same township; medical strength",
        costs=(CostTerm("distance", 1.25), CostTerm("strength_match", -0.5)),
    )
    return attrs.evolve(pairing, **changes)


def make_need(need_id: str = "n001", household_id: str = "hh001", **changes: Any) -> Need:
    need = Need(
        need_id=need_id,
        household_id=household_id,
        kind="employment",
        period=Quarter(2021, 1),
        source="survey",
        raised_on=date(2021, 3, 2),
        member_id=f"{household_id}-m1",
        note="wants seasonal work",
    )
    return attrs.evolve(need, **changes)


def make_referral(referral_id: str = "r001", **changes: Any) -> Referral:
    referral = Referral(
        referral_id=referral_id,
        need_id="n001",
        household_id="hh001",
        agency="employment_center",
        referred_on=date(2021, 3, 10),
        member_id="hh001-m1",
    )
    return attrs.evolve(referral, **changes)


def make_activity(activity_id: str = "a001", **changes: Any) -> Activity:
    activity = Activity(
        activity_id=activity_id,
        kind="visit",
        on=date(2021, 2, 10),
        helper_id="h001",
        household_id="hh001",
        note="春节走访",
        event="activity_day_2021_02",
    )
    return attrs.evolve(activity, **changes)


def make_program(program_id: str = "p_scholarship", **changes: Any) -> Program:
    program = Program(
        program_id=program_id,
        name="爱心助学金",
        funder="市爱心济困协会",
        kind="scholarship",
        amount=Decimal("5000.00"),
        serves=frozenset({"schooling"}),
    )
    return attrs.evolve(program, **changes)


def make_fund(fund_id: str = "f2021", **changes: Any) -> Fund:
    fund = Fund(
        fund_id=fund_id,
        program_id="p_scholarship",
        period=Year(2021),
        budget=Decimal("70000.00"),
        funder="市爱心济困协会",
    )
    return attrs.evolve(fund, **changes)


def make_grant(grant_id: str = "g001", member_id: str | None = "hh001-m3", **changes: Any) -> Grant:
    grant = Grant(
        grant_id=grant_id,
        program_id="p_scholarship",
        fund_id="f2021",
        period=Year(2021),
        household_id="hh001",
        member_id=member_id,
        amount=Decimal("5000.00"),
        decided_on=date(2021, 9, 1),
        decision_id="d001",
    )
    return attrs.evolve(grant, **changes)


def make_decision(decision_id: str = "d001", **changes: Any) -> Decision:
    decision = Decision(
        decision_id=decision_id,
        program_id="p_scholarship",
        period=Year(2021),
        household_id="hh001",
        member_id="hh001-m3",
        outcome="granted",
        decided_on=date(2021, 9, 1),
        rule_version="scholarship@2021-01-01",
        amount=Decimal("5000.00"),
        reason="college freshman of a paired household",
        conditions=(
            ConditionOutcome("freshman", True, "year_of_entry=2021"),
            ConditionOutcome("paired", True),
        ),
        parameters={"amount": "5000.00"},
        inputs={"school_level": "college", "year_of_entry": "2021"},
        priority=1,
    )
    return attrs.evolve(decision, **changes)


def make_consent(consent_id: str = "c001", **changes: Any) -> Consent:
    """Member ``hh001-m2``'s consent to share her health facts with the medical
    insurance bureau during 2021."""
    consent = Consent(
        consent_id=consent_id,
        member_id="hh001-m2",
        household_id="hh001",
        recipient="medical_insurance_bureau",
        purpose="大病医疗救助申请",
        facts=frozenset({"health", "disability"}),
        given_on=date(2021, 3, 1),
        expires_on=date(2022, 1, 1),
    )
    return attrs.evolve(consent, **changes)


def make_grievance(grievance_id: str = "gv001", **changes: Any) -> Grievance:
    """Household ``hh001``'s grievance, by phone, that need ``n001`` of member
    ``hh001-m2`` went unmet; received 2021-05-10, due 2021-07-09. Its description
    holds a health fact and a phone number, as a person's own words may."""
    grievance = Grievance(
        grievance_id=grievance_id,
        household_id="hh001",
        member_id="hh001-m2",
        channel="phone",
        category="need_unmet",
        received_on=date(2021, 5, 10),
        due_on=date(2021, 7, 9),
        description="母亲尿毒症透析，答应的救助一直没有下文，回电13800138000",
        target=GrievanceTarget("need", "n001"),
        received_by="clerk:li",
    )
    return attrs.evolve(grievance, **changes)


def make_plan(plan_id: str = "pl001", **changes: Any) -> Plan:
    """A plan of the scholarship programme from fund ``f2021``, made by ``clerk:li`` and
    awaiting approval."""
    plan = Plan(
        plan_id=plan_id,
        program_id="p_scholarship",
        fund_id="f2021",
        period=Year(2021),
        decided_on=date(2021, 9, 1),
        rule_version="scholarship@2021-01-01",
        made_by="clerk:li",
        made_on=date(2021, 9, 2),
        item_count=1,
    )
    return attrs.evolve(plan, **changes)


def make_plan_item(item_id: str = "pi001", member_id: str = "hh001-m3", **changes: Any) -> PlanItem:
    """Plan ``pl001``'s grant of 5,000 yuan from ``f2021`` to ``member_id`` of ``hh001``,
    planned (its money reserved)."""
    decision = make_decision(f"d-{item_id}", member_id=member_id)
    grant = make_grant(f"g-{item_id}", member_id=member_id, decision_id=decision.decision_id)
    item = PlanItem(
        item_id=item_id,
        plan_id="pl001",
        household_id="hh001",
        member_id=member_id,
        status=ItemStatus.PLANNED,
        decision=decision,
        grant=grant,
    )
    return attrs.evolve(item, **changes)


def make_objection(objection_id: str = "o001", **changes: Any) -> Objection:
    """An open objection to member ``hh001-m3`` on plan ``pl001``'s notice."""
    objection = Objection(
        objection_id=objection_id,
        plan_id="pl001",
        household_id="hh001",
        member_id="hh001-m3",
        received_on=date(2021, 9, 5),
        statement="已在外地就业，不再上学",
        objector="张三",
    )
    return attrs.evolve(objection, **changes)


def make_observation(observation_id: str = "ob001", **changes: Any) -> Observation:
    """Household ``hh001``'s declared medical expenditure of 18,650.40 yuan in 2021 for
    member ``hh001-m2`` (a health fact), recorded 2021-12-20."""
    observation = Observation(
        observation_id=observation_id,
        household_id="hh001",
        kind="medical",
        period=Year(2021),
        amount=Decimal("18650.40"),
        source="declaration",
        recorded_on=date(2021, 12, 20),
        member_id="hh001-m2",
    )
    return attrs.evolve(observation, **changes)


def make_warning(warning_id: str = "w001", **changes: Any) -> RiskWarning:
    """A warning raised for household ``hh001`` on 2022-01-05 for 2021 (its income
    below the line), its check due 2022-01-20."""
    warning = RiskWarning(
        warning_id=warning_id,
        household_id="hh001",
        rules=("income_below_line",),
        period=Year(2021),
        raised_on=date(2022, 1, 5),
        check_due=date(2022, 1, 20),
    )
    return attrs.evolve(warning, **changes)


def make_elimination(elimination_id: str = "el001", **changes: Any) -> Elimination:
    """A pending elimination of household ``hh001``: stable above the line from March
    to August 2021, checked at home by helper ``h001`` on 2021-09-02."""
    elimination = Elimination(
        elimination_id=elimination_id,
        household_id="hh001",
        from_status="unstable",
        to_status="lifted_out",
        stable_months=[
            StableMonth(Month(2021, m), Decimal("9000.00"), Decimal("6000.00")) for m in range(3, 9)
        ],
        checked_by="h001",
        checked_on=date(2021, 9, 2),
        made_by="clerk:li",
        made_on=date(2021, 9, 3),
        check_note="收入稳定",
    )
    return attrs.evolve(elimination, **changes)


#: Repository name -> (build a record from an id, a field to change for an update).
KEYED: dict[str, tuple[Callable[[str], Any], Callable[[Any], Any]]] = {
    "helpers": (lambda i: make_helper(i), lambda h: attrs.evolve(h, capacity=h.capacity + 1)),
    "households": (
        lambda i: make_household(i),
        lambda h: attrs.evolve(h, members=h.members[:2]),
    ),
    "needs": (
        lambda i: make_need(i),
        lambda n: attrs.evolve(
            n, status=NeedStatus.ROUTED, route=Route("referral", "employment_center", "就业")
        ),
    ),
    "referrals": (
        lambda i: make_referral(i),
        lambda r: attrs.evolve(
            r, status="completed", completed_on=date(2021, 4, 1), outcome="employed"
        ),
    ),
    "activities": (lambda i: make_activity(i), lambda a: attrs.evolve(a, note="changed")),
    "programs": (lambda i: make_program(i), lambda p: attrs.evolve(p, amount=Decimal("6000.50"))),
    "funds": (lambda i: make_fund(i), lambda f: attrs.evolve(f, budget=Decimal("80000.01"))),
    "grants": (
        lambda i: _household_grant(i),
        lambda g: attrs.evolve(g, amount=Decimal("4999.99")),
    ),
    "decisions": (lambda i: make_decision(i), lambda d: attrs.evolve(d, reason="re-decided")),
    "consents": (
        lambda i: make_consent(i),
        lambda c: c.withdrawn(date(2021, 6, 1), "家属要求撤回"),
    ),
    "grievances": (
        lambda i: make_grievance(i),
        lambda g: g.started(date(2021, 5, 11), "clerk:li"),
    ),
    "plans": (
        lambda i: make_plan(i),
        lambda p: attrs.evolve(
            p, status="withdrawn", withdrawn_on=date(2021, 9, 3), withdraw_reason="资金调整"
        ),
    ),
    "plan_items": (
        lambda i: make_plan_item(i),
        lambda item: attrs.evolve(item, status=ItemStatus.HELD),
    ),
    "eliminations": (
        lambda i: make_elimination(i),
        lambda e: attrs.evolve(
            e, status="withdrawn", withdrawn_on=date(2021, 9, 4), withdraw_reason="重新核查"
        ),
    ),
    "objections": (
        lambda i: make_objection(i),
        lambda o: attrs.evolve(
            o,
            status="dismissed",
            decided_on=date(2021, 9, 8),
            decided_by="approver:sun",
            decision_reason="经核实仍在校",
        ),
    ),
    "observations": (
        lambda i: make_observation(i),
        lambda o: attrs.evolve(o, amount=Decimal("18650.50"), note="发票补录"),
    ),
    "warnings": (
        lambda i: make_warning(i),
        lambda w: attrs.evolve(
            w, status="assigned", assigned_to="h001", assigned_on=date(2022, 1, 6)
        ),
    ),
}


def _ids(n: int) -> list[str]:
    return [f"x{i:04d}" for i in range(n)]


def _household_grant(grant_id: str) -> Grant:
    """A household grant (no member). Ids ``x0000``, ``x0001``, ... take turns over the
    sample households and years, so that four of them are in force together: one
    household grant per household per programme period."""
    number = int(grant_id[1:]) if grant_id[1:].isdigit() else 0
    year, fund_id = ((2021, "f2021"), (2022, "f2022"))[number // 2 % 2]
    return make_grant(
        grant_id,
        member_id=None,
        household_id=("hh001", "hh002")[number % 2],
        period=Year(year),
        fund_id=fund_id,
    )


def _parent_records() -> dict[str, list[Any]]:
    return {
        "helpers": [make_helper("h001"), make_helper("h002"), make_helper("h003")],
        "households": [make_household("hh001"), make_household("hh002", members=1)],
        "needs": [make_need("n001")],
        "funds": [
            make_fund("f2021", budget=Decimal("1000000.00")),
            make_fund("f2022", period=Year(2022), budget=Decimal("1000000.00")),
        ],
        "plans": [make_plan("pl001")],
    }


#: The records each kind names, which must be stored first (the storage refuses a
#: record naming a helper, household, member, need or fund it does not hold).
PARENTS: dict[str, tuple[str, ...]] = {
    "needs": ("households",),
    "referrals": ("households", "needs"),
    "activities": ("helpers", "households"),
    "grants": ("households", "funds"),
    "decisions": ("households",),
    "consents": ("households",),
    "grievances": ("households",),
    "observations": ("households",),
    "warnings": ("households", "helpers"),
    "plans": ("funds",),
    "plan_items": ("households", "funds", "plans"),
    "objections": ("households", "funds", "plans"),
    "eliminations": ("households",),
    "pairings": ("helpers", "households"),
    "handovers": ("helpers", "households"),
}

#: The actor that stores the parents (tests of the audit log leave its entries out).
SETUP = "setup"


def store_parents(storage: Storage, *names: str) -> None:
    """Store the sample records the kinds ``names`` refer to (helpers ``h001``-``h003``,
    households ``hh001`` and ``hh002``, need ``n001``, funds ``f2021`` and ``f2022``,
    plan ``pl001``)."""
    store_records(storage, *{parent for name in names for parent in PARENTS.get(name, ())})


def store_records(storage: Storage, *kinds: str) -> None:
    """Store the sample parent records of these kinds (``helpers``, ``households``,
    ``needs``, ``funds``, ``plans``)."""
    wanted = set(kinds)
    records = _parent_records()
    with storage.unit_of_work(SETUP) as uow:
        for parent in ("helpers", "households", "needs", "funds", "plans"):
            if parent in wanted:
                getattr(uow, parent).add_many(records[parent])
        uow.commit()


class StorageContract:
    """What every storage backend must do. Subclass it and provide ``storage_url``
    (or ``storage``)."""

    @pytest.fixture
    def storage_url(self) -> str:
        pytest.skip("the backend's test class must provide a storage_url or storage fixture")

    @pytest.fixture
    def storage(self, storage_url: str) -> Iterator[Storage]:
        from jieqin import connect

        with connect(storage_url) as campaign:
            yield campaign.storage

    # -- the unit of work --------------------------------------------------------------

    def test_a_new_store_is_empty(self, storage: Storage) -> None:
        with storage.unit_of_work("tester") as uow:
            for name in KEYED:
                assert getattr(uow, name).count() == 0, name
            assert uow.pairings.count() == 0
            assert uow.handovers.count() == 0
            assert uow.audit.count() == 0

    def test_committed_writes_are_seen_by_later_units_of_work(self, storage: Storage) -> None:
        with storage.unit_of_work("tester") as uow:
            uow.helpers.add(make_helper("h001"))
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.helpers.get("h001") == make_helper("h001")

    def test_leaving_without_commit_rolls_back(self, storage: Storage) -> None:
        with storage.unit_of_work("tester") as uow:
            uow.helpers.add(make_helper("h001"))
            uow.households.add(make_household("hh001"))
            assert uow.helpers.count() == 1
        with storage.unit_of_work("tester") as uow:
            assert uow.helpers.count() == 0
            assert uow.households.count() == 0
            assert uow.audit.count() == 0

    def test_an_exception_rolls_back(self, storage: Storage) -> None:
        def write_then_fail() -> None:
            with storage.unit_of_work("tester") as uow:
                uow.helpers.add(make_helper("h001"))
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            write_then_fail()
        with storage.unit_of_work("tester") as uow:
            assert uow.helpers.find("h001") is None

    def test_explicit_rollback_forgets_writes_since_commit(self, storage: Storage) -> None:
        with storage.unit_of_work("tester") as uow:
            uow.helpers.add(make_helper("h001"))
            uow.commit()
            uow.helpers.add(make_helper("h002"))
            uow.rollback()
            assert uow.helpers.count() == 1
            uow.helpers.add(make_helper("h003"))
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert [h.helper_id for h in uow.helpers.list()] == ["h001", "h003"]

    def test_uncommitted_writes_are_invisible_to_other_units_of_work(
        self, storage: Storage
    ) -> None:
        with storage.unit_of_work("tester") as uow:
            uow.helpers.add(make_helper("h001"))
            uow.commit()
        with storage.unit_of_work("reader") as reader:
            assert reader.helpers.count() == 1
        with storage.unit_of_work("writer") as writer:
            writer.helpers.update(make_helper("h001", capacity=9))
            assert writer.helpers.get("h001").capacity == 9
        with storage.unit_of_work("reader") as reader:
            assert reader.helpers.get("h001").capacity == 3

    def test_a_read_only_unit_of_work_refuses_writes(self, storage: Storage) -> None:
        with storage.unit_of_work("tester") as uow:
            uow.helpers.add(make_helper("h001"))
            uow.commit()
        with storage.unit_of_work("reader", read_only=True) as uow:
            assert uow.read_only
            assert uow.helpers.get("h001") == make_helper("h001")
            with pytest.raises(StorageError, match="read-only"):
                uow.helpers.add(make_helper("h002"))
            with pytest.raises(StorageError, match="read-only"):
                uow.helpers.update(make_helper("h001", capacity=9))
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert [h.helper_id for h in uow.helpers.list()] == ["h001"]
            assert uow.audit.count(actor="reader") == 0

    # -- keyed repositories ---------------------------------------------------------

    @pytest.mark.parametrize("name", list(KEYED))
    def test_records_round_trip_exactly(self, storage: Storage, name: str) -> None:
        store_parents(storage, name)
        make, _ = KEYED[name]
        records = [make(i) for i in _ids(3)]
        with storage.unit_of_work("tester") as uow:
            repo = getattr(uow, name)
            repo.add(records[0])
            assert repo.add_many(records[1:]) == 2
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            repo = getattr(uow, name)
            for record in records:
                key = _key(record)
                assert repo.get(key) == record
                assert repo.find(key) == record
            assert repo.list() == records
            assert repo.count() == 3

    @pytest.mark.parametrize("name", list(KEYED))
    def test_missing_records(self, storage: Storage, name: str) -> None:
        with storage.unit_of_work("tester") as uow:
            repo = getattr(uow, name)
            assert repo.find("nobody") is None
            with pytest.raises(NotFound):
                repo.get("nobody")
            with pytest.raises(NotFound):
                repo.update(KEYED[name][0]("nobody"))

    @pytest.mark.parametrize("name", list(KEYED))
    def test_a_duplicate_id_conflicts_and_the_unit_of_work_goes_on(
        self, storage: Storage, name: str
    ) -> None:
        store_parents(storage, name)
        make, change = KEYED[name]
        with storage.unit_of_work("tester") as uow:
            repo = getattr(uow, name)
            repo.add(make("x0001"))
            with pytest.raises(ConflictError):
                repo.add(change(make("x0001")))
            repo.add(make("x0002"))
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            repo = getattr(uow, name)
            assert repo.list() == [make("x0001"), make("x0002")]

    @pytest.mark.parametrize("name", list(KEYED))
    def test_add_many_is_all_or_nothing(self, storage: Storage, name: str) -> None:
        store_parents(storage, name)
        make, _ = KEYED[name]
        with storage.unit_of_work("tester") as uow:
            repo = getattr(uow, name)
            repo.add(make("x0003"))
            batch = [make(i) for i in _ids(5)]  # x0003 is already stored
            with pytest.raises(ConflictError):
                repo.add_many(batch)
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert getattr(uow, name).list() == [make("x0003")]

    @pytest.mark.parametrize("name", list(KEYED))
    def test_upsert_many_is_idempotent_and_updates(self, storage: Storage, name: str) -> None:
        store_parents(storage, name)
        make, change = KEYED[name]
        records = [make(i) for i in _ids(4)]
        with storage.unit_of_work("tester") as uow:
            repo = getattr(uow, name)
            assert repo.upsert_many(records) == 4
            assert repo.upsert_many(records) == 4
            uow.commit()
        changed = [change(records[1]), records[2]]
        with storage.unit_of_work("tester") as uow:
            repo = getattr(uow, name)
            assert repo.count() == 4
            repo.upsert_many(changed)
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            repo = getattr(uow, name)
            assert repo.count() == 4
            assert repo.get(_key(records[1])) == changed[0]
            assert repo.list() == [records[0], changed[0], records[2], records[3]]

    @pytest.mark.parametrize("name", list(KEYED))
    def test_update_replaces_the_record(self, storage: Storage, name: str) -> None:
        store_parents(storage, name)
        make, change = KEYED[name]
        with storage.unit_of_work("tester") as uow:
            repo = getattr(uow, name)
            repo.add(make("x0001"))
            repo.update(change(make("x0001")))
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert getattr(uow, name).get("x0001") == change(make("x0001"))

    def test_list_and_count_filter_by_fields(self, storage: Storage) -> None:
        store_parents(storage, "needs")
        needs = [
            make_need("n1", kind="employment", period=Quarter(2021, 1)),
            make_need("n2", kind="medical", period=Quarter(2021, 1), status="routed"),
            make_need("n3", kind="employment", period=Month(2021, 4), member_id=None),
        ]
        with storage.unit_of_work("tester") as uow:
            uow.needs.add_many(needs)
            uow.helpers.add_many([make_helper("h1"), make_helper("h2", tier="agency_staff")])
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.needs.list(kind="employment") == [needs[0], needs[2]]
            assert uow.needs.list(period=Quarter(2021, 1)) == needs[:2]
            assert uow.needs.list(period="2021-04") == [needs[2]]
            assert uow.needs.list(status=NeedStatus.ROUTED) == [needs[1]]
            assert uow.needs.list(member_id=None) == [needs[2]]
            assert uow.needs.list(raised_on=date(2021, 3, 2), kind="medical") == [needs[1]]
            assert uow.needs.count(kind="employment") == 2
            assert [h.helper_id for h in uow.helpers.list(tier="agency_staff")] == ["h2"]
            assert uow.helpers.count(home_region=RegionCode("610202")) == 2

    # -- households and members ------------------------------------------------------

    def test_households_keep_members_in_order_with_every_fact(self, storage: Storage) -> None:
        household = make_household("hh007", members=4)
        with storage.unit_of_work("tester") as uow:
            uow.households.add(household)
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            stored = uow.households.get("hh007")
            assert stored == household
            assert stored.members[1].health.diagnosis == "尿毒症"
            assert stored.members[1].disability_grade == 2
            assert stored.members[2].schooling == Schooling("college", 2021, "西北大学")
            assert stored.status_on(date(2018, 6, 1)) == "poor"
            assert uow.households.member("hh007-m2") == household.members[1]
            assert uow.households.household_of("hh007-m4") == "hh007"
            with pytest.raises(NotFound):
                uow.households.member("nobody")

    def test_upserting_a_household_replaces_its_members(self, storage: Storage) -> None:
        with storage.unit_of_work("tester") as uow:
            uow.households.add(make_household("hh001", members=4))
            uow.commit()
        smaller = make_household("hh001", members=2)
        with storage.unit_of_work("tester") as uow:
            uow.households.upsert_many([smaller])
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.households.get("hh001") == smaller
            with pytest.raises(NotFound):
                uow.households.member("hh001-m4")

    def test_a_member_belongs_to_one_household(self, storage: Storage) -> None:
        first = make_household("hh001")
        thief = make_household("hh002", members=1)
        thief = attrs.evolve(thief, members=(first.members[0],))
        with storage.unit_of_work("tester") as uow:
            uow.households.add(first)
            with pytest.raises(ConflictError):
                uow.households.add(thief)
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.households.count() == 1
            assert uow.households.household_of(first.members[0].member_id) == "hh001"

    def test_a_resident_id_number_belongs_to_one_member(self, storage: Storage) -> None:
        first = make_household("hh001")
        twin = make_household("hh002", members=1)
        head = attrs.evolve(twin.members[0], resident_id=first.members[0].resident_id)
        with storage.unit_of_work("tester") as uow:
            uow.households.add(first)
            with pytest.raises(ConflictError, match="resident ID"):
                uow.households.add(attrs.evolve(twin, members=(head,)))
            with pytest.raises(ConflictError, match="resident ID"):
                uow.households.upsert_many([attrs.evolve(twin, members=(head,))])
            uow.households.add(twin)
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            number = first.members[0].resident_id
            assert number is not None
            assert uow.households.holders([number]) == {number: ("hh001-m1", "hh001")}
            assert uow.households.count() == 2

    def test_members_without_a_resident_id_number_are_many(self, storage: Storage) -> None:
        households = [make_household(f"hh00{i}", members=1) for i in (1, 2)]
        anonymous = [
            attrs.evolve(h, members=(attrs.evolve(h.members[0], resident_id=None),))
            for h in households
        ]
        with storage.unit_of_work("tester") as uow:
            uow.households.add_many(anonymous)
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.households.list() == anonymous

    def test_a_member_others_name_is_kept_as_a_former_member(self, storage: Storage) -> None:
        store_parents(storage, "grants")
        with storage.unit_of_work("tester") as uow:
            uow.grants.add(make_grant("g1", member_id="hh001-m3"))
            uow.commit()
        smaller = make_household("hh001", members=1)
        with storage.unit_of_work("tester") as uow:
            uow.households.upsert_many([smaller])
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            stored = uow.households.get("hh001")
            assert stored.members == smaller.members
            assert [m.member_id for m in stored.former_members] == ["hh001-m3"]
            assert stored.former_members[0].departed_on is not None
            assert uow.households.member("hh001-m3").departed
            with pytest.raises(NotFound):
                uow.households.member("hh001-m2")  # nothing named them: gone
            assert uow.grants.get("g1").member_id == "hh001-m3"

    def test_moving_a_member_keeps_their_history(self, storage: Storage) -> None:
        store_parents(storage, "grants")
        with storage.unit_of_work("tester") as uow:
            uow.grants.add(make_grant("g1", member_id="hh001-m3"))
            move = uow.households.move_member("hh001-m3", "hh002", date(2021, 10, 1), reason="婚嫁")
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.households.household_of("hh001-m3") == "hh002"
            assert [m.member_id for m in uow.households.get("hh001").members] == [
                "hh001-m1",
                "hh001-m2",
            ]
            assert uow.households.get("hh002").members[-1].member_id == "hh001-m3"
            assert uow.households.moves() == [move]
            assert uow.households.moves(member_id="hh001-m3") == [move]
            assert uow.grants.get("g1").household_id == "hh001"

    def test_records_naming_what_is_not_stored_are_refused(self, storage: Storage) -> None:
        store_parents(storage, "activities", "grants")
        refused = {
            "activities": make_activity("a1", helper_id="nobody"),
            "needs": make_need("n9", household_id="nowhere"),
            "grants": make_grant("g9", fund_id="no-fund"),
            "pairings": make_pairing("h001", "nowhere"),
            "decisions": make_decision("d9", member_id="nobody"),
        }
        with storage.unit_of_work("tester") as uow:
            for name, record in refused.items():
                with pytest.raises(ConflictError):
                    getattr(uow, name).add(record)
            uow.activities.add(make_activity("a1"))
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert [a.activity_id for a in uow.activities.list()] == ["a1"]
            assert uow.needs.count() == 0
            assert uow.grants.count() == 0

    def test_a_referral_names_the_consent_it_relied_on(self, storage: Storage) -> None:
        store_parents(storage, "referrals")
        with storage.unit_of_work("tester") as uow:
            with pytest.raises(ConflictError):
                uow.referrals.add(make_referral("r1", consent_id="no-consent"))
            with pytest.raises(ConflictError):
                uow.consents.add(make_consent("c9", member_id="nobody"))
            uow.consents.add(make_consent("c1"))
            uow.referrals.add(make_referral("r1", consent_id="c1"))
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.referrals.get("r1").consent_id == "c1"
            assert uow.consents.list(recipient="medical_insurance_bureau") == [make_consent("c1")]
            assert uow.consents.list(member_id="hh001-m1") == []

    def test_a_withdrawn_consent_is_kept_with_its_withdrawal(self, storage: Storage) -> None:
        store_parents(storage, "consents")
        given = make_consent("c1")
        withdrawn = given.withdrawn(date(2021, 6, 1), "家属要求撤回")
        with storage.unit_of_work("tester") as uow:
            uow.consents.add(given)
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            uow.consents.update(withdrawn)
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.consents.get("c1") == withdrawn
            assert uow.consents.count(withdrawn_on=date(2021, 6, 1)) == 1
            assert [e.action for e in uow.audit.entries(entity="consents")] == ["add", "update"]
        # The member keeps their consent when a new version of the household leaves
        # them out: they become a former member, the consent stays.
        with storage.unit_of_work("tester") as uow:
            household = uow.households.get("hh001")
            uow.households.upsert_many([attrs.evolve(household, members=household.members[:1])])
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.consents.get("c1") == withdrawn
            assert uow.households.member("hh001-m2").departed_on is not None

    def test_a_grievance_moves_forward_keeping_each_stage(self, storage: Storage) -> None:
        store_parents(storage, "grievances")
        received = make_grievance("gv1")
        started = received.started(date(2021, 5, 11), "clerk:li")
        answered = started.answered_with("已联系县医保局，6月起救助", date(2021, 6, 2), "clerk:li")
        closed = answered.closed(date(2021, 6, 9), "clerk:wang", "户主表示满意")
        other = make_grievance("gv2", category="helper_conduct", target=None, member_id=None)
        with storage.unit_of_work("tester") as uow:
            uow.grievances.add_many([received, other])
            uow.commit()
        for step in (started, answered, closed):
            with storage.unit_of_work("tester") as uow:
                uow.grievances.update(step)
                uow.commit()
            with storage.unit_of_work("tester") as uow:
                assert uow.grievances.get("gv1") == step
        with storage.unit_of_work("tester") as uow:
            assert uow.grievances.list(stage="closed") == [closed]
            assert uow.grievances.list(category="helper_conduct") == [other]
            assert uow.grievances.count(member_id=None) == 1
            entries = uow.audit.entries(entity="grievances")
            assert [e.action for e in entries] == ["add_many", "update", "update", "update"]
            text = json.dumps([dict(e.changes) for e in uow.audit.entries()], ensure_ascii=False)
        # what the person said never goes into the audit log
        assert "尿毒症" not in text
        assert "13800138000" not in text
        # the member a grievance names is kept when the household leaves them out
        with storage.unit_of_work("tester") as uow:
            household = uow.households.get("hh001")
            uow.households.upsert_many([attrs.evolve(household, members=household.members[:1])])
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.grievances.get("gv1") == closed
            assert uow.households.member("hh001-m2").departed_on is not None

    def test_a_feed_record_is_stored_once_and_medical_amounts_stay_out_of_the_audit(
        self, storage: Storage
    ) -> None:
        store_parents(storage, "observations")
        fed = make_observation(
            "ob-f1", source="feed", feed="medical_insurance", feed_record="YB-2021-0007"
        )
        income = make_observation(
            "ob-i1", kind="income", amount=Decimal("5321.75"), member_id=None, household_id="hh002"
        )
        quarter = make_observation("ob-q1", period=Quarter(2021, 4), amount=Decimal("3120.33"))
        with storage.unit_of_work("tester") as uow:
            for observation in (fed, income, quarter):
                uow.observations.add(observation)
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            # refused by the write checks or, behind them, by the storage itself
            with pytest.raises((ConflictError, InvalidInput), match="YB-2021-0007"):
                uow.observations.add(attrs.evolve(fed, observation_id="ob-f2"))
            twice = [
                make_observation("ob-f3", source="feed", feed="civil_affairs", feed_record="M1"),
                make_observation("ob-f4", source="feed", feed="civil_affairs", feed_record="M1"),
            ]
            with pytest.raises((ConflictError, InvalidInput), match="M1"):
                uow.observations.add_many(twice)
            # the same record of another feed is another record
            other = attrs.evolve(fed, observation_id="ob-f5", feed="education")
            uow.observations.add(other)
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            repo = uow.observations
            assert repo.count() == 4
            assert repo.feed_records(
                [("medical_insurance", "YB-2021-0007"), ("education", "YB-2021-0007"), ("x", "y")]
            ) == {("medical_insurance", "YB-2021-0007"): fed, ("education", "YB-2021-0007"): other}
            assert repo.list(household_id="hh002") == [income]
            assert repo.list(kind="income") == [income]
            assert repo.list(period=Quarter(2021, 4)) == [quarter]
            assert repo.list(period="2021", kind="medical") == [fed, other]
            assert repo.count(source="feed") == 2
            assert repo.of_households(["hh001", "hh002", "hh404"]) == {
                "hh001": [fed, other, quarter],
                "hh002": [income],
            }
            text = json.dumps([dict(e.changes) for e in uow.audit.entries()], ensure_ascii=False)
        # a medical amount never goes into the audit log; an income does
        assert "18650.4" not in text
        assert "3120.33" not in text
        assert "5321.75" in text
        with storage.unit_of_work("tester") as uow:
            uow.observations.update(attrs.evolve(quarter, amount=Decimal("3999.99")))
            uow.observations.update(attrs.evolve(income, kind="medical"))
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            changes = [dict(e.changes) for e in uow.audit.entries(action="update")]
            assert uow.observations.get("ob-q1").amount == Decimal("3999.99")
        text = json.dumps(changes, ensure_ascii=False)
        for amount in ("3999.99", "3120.33", "5321.75"):
            assert amount not in text
        assert changes[0]["amount"] == {"from": "<set>", "to": "<changed>"}
        # the member an observation names is kept when the household leaves them out
        with storage.unit_of_work("tester") as uow:
            household = uow.households.get("hh001")
            uow.households.upsert_many([attrs.evolve(household, members=household.members[:1])])
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.observations.get("ob-f1") == fed
            assert uow.households.member("hh001-m2").departed_on is not None

    def test_a_warning_moves_forward_and_lists_by_status(self, storage: Storage) -> None:
        store_parents(storage, "warnings")
        raised = make_warning("w1")
        assigned = attrs.evolve(
            raised, status="assigned", assigned_to="h001", assigned_on=date(2022, 1, 6)
        )
        checked = attrs.evolve(
            assigned,
            status="checked",
            checked_by="h001",
            checked_on=date(2022, 1, 12),
            check_note="户主住院，务工收入中断",
        )
        confirmed = attrs.evolve(
            checked,
            status="confirmed",
            decided_by="clerk:li",
            decided_on=date(2022, 1, 14),
            category="edge_of_poverty",
        )
        other = make_warning("w2", household_id="hh002", period=Quarter(2021, 4))
        with storage.unit_of_work("tester") as uow:
            uow.warnings.add_many([raised, other])
            uow.commit()
        for step in (assigned, checked, confirmed):
            with storage.unit_of_work("tester") as uow:
                uow.warnings.update(step)
                uow.commit()
            with storage.unit_of_work("tester") as uow:
                assert uow.warnings.get("w1") == step
        with storage.unit_of_work("tester") as uow:
            assert uow.warnings.list(status="confirmed") == [confirmed]
            assert uow.warnings.list(status="raised", household_id="hh002") == [other]
            assert uow.warnings.list(period="2021Q4") == [other]
            assert uow.warnings.count(assigned_to="h001") == 1
            assert uow.warnings.of_households(["hh002"]) == {"hh002": [other]}
            entries = uow.audit.entries(entity="warnings")
            assert [e.action for e in entries] == ["add_many", "update", "update", "update"]

    def test_plans_reserve_their_fund_money_until_settled(self, storage: Storage) -> None:
        store_parents(storage, "plan_items")
        day = date(2021, 9, 20)
        noted = make_decision("d-pi6", member_id="hh001-m2", outcome="wait_listed", amount=None)
        items = [
            make_plan_item("pi1"),
            make_plan_item("pi2", member_id="hh001-m2", status=ItemStatus.HELD),
            make_plan_item("pi3", member_id="hh001-m1", status=ItemStatus.GRANTED, settled_on=day),
            make_plan_item("pi4", status=ItemStatus.REFUSED, settled_on=day),
            make_plan_item("pi5", status=ItemStatus.WITHDRAWN, settled_on=day),
            make_plan_item(
                "pi6", member_id="hh001-m2", status=ItemStatus.NOTED, decision=noted, grant=None
            ),
        ]
        with storage.unit_of_work("tester") as uow:
            uow.plan_items.add_many(items)
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.funds.reserved("f2021") == Decimal("10000.00")
            assert uow.funds.reserved("f2022") == Decimal("0.00")
            assert uow.funds.spent("f2021") == Decimal("0.00")
            assert uow.plan_items.list(plan_id="pl001", status="held") == [items[1]]
            assert uow.plan_items.get("pi6") == items[5]
            uow.plan_items.update(attrs.evolve(items[0], status="withdrawn", settled_on=day))
            assert uow.funds.reserved("f2021") == Decimal("5000.00")
            uow.commit()
        # the member a plan names is kept when the household leaves them out
        with storage.unit_of_work("tester") as uow:
            household = uow.households.get("hh001")
            uow.households.upsert_many([attrs.evolve(household, members=household.members[:1])])
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.plan_items.get("pi2") == items[1]
            assert uow.households.member("hh001-m3").departed_on is not None

    def test_plans_and_objections_name_what_is_stored(self, storage: Storage) -> None:
        store_records(storage, "households", "funds")
        with storage.unit_of_work("tester") as uow:
            with pytest.raises(ConflictError):
                uow.plans.add(make_plan("pl9", fund_id="f-none"))
            with pytest.raises(ConflictError):
                uow.plan_items.add(make_plan_item("pi1"))
            with pytest.raises(ConflictError):
                uow.objections.add(make_objection("o1"))
            uow.plans.add(make_plan("pl001"))
            uow.plan_items.add(make_plan_item("pi1"))
            uow.objections.add(make_objection("o1"))
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.objections.list(plan_id="pl001", status="open") == [make_objection("o1")]
            assert uow.plans.count(status="pending") == 1
            text = json.dumps([dict(e.changes) for e in uow.audit.entries()], ensure_ascii=False)
        # what the objector said never goes into the audit log
        assert "已在外地就业" not in text
        assert "张三" in text

    def test_a_fund_is_never_granted_past_its_budget(self, storage: Storage) -> None:
        store_records(storage, "households")
        with storage.unit_of_work("tester") as uow:
            uow.funds.add(make_fund("f2021", budget=Decimal("1000.00")))
            with pytest.raises(ConflictError, match="f2021"):
                uow.grants.add(make_grant("g1", member_id=None, amount=Decimal("3000.00")))
            uow.grants.add(make_grant("g2", member_id=None, amount=Decimal("600.00")))
            with pytest.raises(ConflictError, match="f2021"):
                uow.grants.add_many(
                    [
                        make_grant(f"g{i + 1}", member_id=f"hh001-m{i}", amount=Decimal("300.00"))
                        for i in (2, 3)
                    ]
                )
            with pytest.raises(ConflictError, match="budget"):
                uow.funds.update(make_fund("f2021", budget=Decimal("500.00")))
            uow.grants.update(make_grant("g2", member_id=None, amount=Decimal("1000.00")))
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.funds.spent("f2021") == Decimal("1000.00")
            assert uow.funds.get("f2021").budget == Decimal("1000.00")

    def test_bulk_reads_find_many_at_once(self, storage: Storage) -> None:
        store_records(storage, "helpers", "households", "needs")
        with storage.unit_of_work("tester") as uow:
            uow.pairings.add_many([make_pairing("h001", "hh001"), make_pairing("h002", "hh001")])
            uow.commit()
        with storage.unit_of_work("reader", read_only=True) as uow:
            assert set(uow.helpers.find_many(["h001", "h003", "nobody"])) == {"h001", "h003"}
            assert uow.households.stored(["hh001", "hh009"]) == {"hh001"}
            assert uow.households.owners(["hh001-m2", "hh002-m1", "x"]) == {
                "hh001-m2": "hh001",
                "hh002-m1": "hh002",
            }
            pairings = uow.pairings.of_households(["hh001", "hh002"])
            assert [p.helper_id for p in pairings["hh001"]] == ["h001", "h002"]
            assert pairings["hh002"] == []
            assert uow.needs.find_many(["n001"]) == {"n001": make_need("n001")}

    # -- pairings and handovers -------------------------------------------------------

    def test_pairings_are_keyed_by_helper_household_and_start(self, storage: Storage) -> None:
        store_parents(storage, "pairings")
        first = make_pairing("h001", "hh001", date(2020, 1, 1), end=date(2020, 12, 31))
        second = make_pairing("h001", "hh001", date(2021, 1, 1))
        other = make_pairing("h002", "hh002", date(2021, 6, 1))
        with storage.unit_of_work("tester") as uow:
            uow.pairings.add_many([first, second, other])
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.pairings.get(("h001", "hh001", date(2021, 1, 1))) == second
            assert uow.pairings.find(("h001", "hh001", date(2019, 1, 1))) is None
            assert uow.pairings.list(helper_id="h001") == [first, second]
            assert uow.pairings.active_on(date(2020, 12, 31)) == [first]
            assert uow.pairings.active_on(date(2021, 7, 1)) == [second, other]
            assert uow.pairings.active_on(date(2021, 7, 1), household_id="hh002") == [other]
            assert uow.pairings.get(_key(second)).costs == second.costs

    def test_a_voided_activity_is_kept_and_counts_nowhere(self, storage: Storage) -> None:
        store_parents(storage, "activities")
        logged = [
            make_activity("a1", kind="contact", on=date(2021, 2, 10), event=None),
            make_activity("a2", kind="contact", on=date(2021, 3, 10), event=None),
            make_activity("a3", kind="visit", on=date(2021, 3, 12), event=None),
        ]
        with storage.unit_of_work("tester") as uow:
            uow.pairings.add(make_pairing("h001", "hh001"))
            uow.activities.add_many(logged)
            uow.commit()
        voided = attrs.evolve(
            logged[1], voided_on=date(2021, 3, 20), void_reason="误录", voided_by="clerk:wang"
        )
        with storage.unit_of_work("clerk:wang") as uow:
            uow.activities.update(voided)
            uow.commit()
        year, contact = (date(2021, 1, 1), date(2021, 12, 31)), frozenset({"contact"})
        with storage.unit_of_work("reader", read_only=True) as uow:
            assert uow.activities.get("a2") == voided
            assert uow.activities.count() == 3
            assert [a.activity_id for a in uow.activities.list(voided_on=None)] == ["a1", "a3"]
            counted = uow.read_model.activities(*year)
            assert sorted((k[0], k[2], n) for k, n in counted.items()) == [
                ("2021-02", "contact", 1),
                ("2021-03", "visit", 1),
            ]
            # days that are not whole months are counted from the rows
            edge = uow.read_model.activities(date(2021, 3, 5), date(2021, 3, 15))
            assert sorted((k[2], n) for k, n in edge.items()) == [("visit", 1)]
            rows = uow.read_model.follow_up(date(2021, 12, 31), [contact], frozenset())
            assert list(rows.latest(contact)) == [date(2021, 2, 10).toordinal()]
            assert uow.read_model.latest_activity_day() == date(2021, 3, 12)
            (entry,) = uow.audit.entries(entity="activities", entity_id="a2")
            assert (entry.actor, entry.action) == ("clerk:wang", "update")
            assert entry.changes["voided_on"] == {"from": None, "to": "2021-03-20"}
        with storage.unit_of_work("clerk:wang") as uow:
            uow.activities.update(
                attrs.evolve(logged[2], voided_on=date(2021, 3, 20), void_reason="x")
            )
            uow.commit()
        with storage.unit_of_work("reader", read_only=True) as uow:
            assert uow.read_model.latest_activity_day() == date(2021, 2, 10)
            rows = uow.read_model.follow_up(date(2021, 3, 15), [contact], frozenset())
            assert list(rows.latest(contact)) == [date(2021, 2, 10).toordinal()]

    def test_an_activity_stored_voided_counts_nowhere(self, storage: Storage) -> None:
        store_parents(storage, "activities")
        void = {"voided_on": date(2021, 2, 11), "void_reason": "duplicate"}
        with storage.unit_of_work("tester") as uow:
            uow.pairings.add(make_pairing("h001", "hh001"))
            uow.activities.add(make_activity("a1", kind="contact", on=date(2021, 2, 10), **void))
            uow.activities.upsert_many([make_activity("a2", kind="visit", **void)])
            uow.commit()
        with storage.unit_of_work("reader", read_only=True) as uow:
            assert uow.activities.count() == 2
            assert uow.read_model.activities(date(2021, 1, 1), date(2021, 12, 31)) == {}
            assert uow.read_model.latest_activity_day() is None
            any_duty = frozenset({"contact", "visit"})
            rows = uow.read_model.follow_up(date(2021, 12, 31), [any_duty], frozenset())
            assert list(rows.latest(any_duty)) == [0]

    def test_ending_a_pairing(self, storage: Storage) -> None:
        store_parents(storage, "pairings")
        pairing = make_pairing()
        with storage.unit_of_work("tester") as uow:
            uow.pairings.add(pairing)
            ended = uow.pairings.end(_key(pairing), date(2021, 12, 31), reason="moved away")
            assert ended == attrs.evolve(pairing, end=date(2021, 12, 31), reason="moved away")
            with pytest.raises(ConflictError):
                uow.pairings.end(_key(pairing), date(2022, 1, 1))
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.pairings.get(_key(pairing)) == ended
            assert uow.pairings.active_on(date(2022, 1, 1)) == []

    def test_handovers_are_appended_in_order(self, storage: Storage) -> None:
        store_parents(storage, "handovers")
        handovers = [
            Handover("hh001", date(2021, 1, 1), "first pairing", None, "h001"),
            Handover("hh002", date(2021, 1, 1), "first pairing", None, "h002"),
            Handover("hh001", date(2021, 7, 1), "h001 retired", "h001", "h003"),
        ]
        with storage.unit_of_work("tester") as uow:
            uow.handovers.add(handovers[0])
            uow.handovers.add_many(handovers[1:])
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.handovers.list() == handovers
            assert uow.handovers.list(household_id="hh001") == [handovers[0], handovers[2]]
            assert uow.handovers.count(from_helper_id=None) == 2

    # -- money: funds and grants ------------------------------------------------------------

    def test_money_is_exact(self, storage: Storage) -> None:
        store_records(storage, "households")
        amounts = [Decimal("0.10"), Decimal("0.20"), Decimal("99999999.99"), Decimal("0.01")]
        members = ["hh001-m1", "hh001-m2", "hh001-m3", "hh002-m1"]
        grants = [
            make_grant(f"g{i}", member_id=member, household_id=member[:5], amount=amount)
            for i, (member, amount) in enumerate(zip(members, amounts, strict=True))
        ]
        with storage.unit_of_work("tester") as uow:
            uow.funds.add(make_fund("f2021", budget=Decimal("123456789012.34")))
            uow.funds.add(make_fund("f2022", period=Year(2022)))
            uow.grants.add_many(grants)
            uow.grants.add(make_grant("other", member_id=None, fund_id="f2022"))
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.funds.get("f2021").budget == Decimal("123456789012.34")
            spent = uow.funds.spent("f2021")
            assert spent == Decimal("100000000.30")
            assert str(spent) == "100000000.30"
            assert uow.funds.spent("nothing-spent") == Decimal("0.00")
            assert [g.amount for g in uow.grants.list(fund_id="f2021")] == amounts

    def test_one_grant_per_member_per_programme_period(self, storage: Storage) -> None:
        store_parents(storage, "grants")
        with storage.unit_of_work("tester") as uow:
            uow.grants.add(make_grant("g1", member_id="hh001-m3"))
            with pytest.raises(ConflictError, match="grant"):
                uow.grants.add(make_grant("g2", member_id="hh001-m3"))
            with pytest.raises(ConflictError):
                uow.grants.upsert_many([make_grant("g3", member_id="hh001-m3")])
            uow.grants.add(
                make_grant("g4", member_id="hh001-m3", period=Year(2022), fund_id="f2022")
            )
            uow.grants.add(make_grant("g5", member_id="hh001-m3", program_id="p_other"))
            uow.grants.add(make_grant("g6", member_id=None))
            uow.grants.add(make_grant("g7", member_id=None, household_id="hh002"))
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert [g.grant_id for g in uow.grants.list()] == ["g1", "g4", "g5", "g6", "g7"]

    def test_one_household_grant_per_household_per_programme_period(self, storage: Storage) -> None:
        store_parents(storage, "grants")
        with storage.unit_of_work("tester") as uow:
            uow.grants.add(make_grant("g1", member_id=None))
            with pytest.raises(ConflictError, match="household"):
                uow.grants.add(make_grant("g2", member_id=None))
            with pytest.raises(ConflictError, match="household"):
                uow.grants.upsert_many([make_grant("g3", member_id=None)])
            with pytest.raises(ConflictError):
                uow.grants.add_many(
                    [make_grant(g, member_id=None, household_id="hh002") for g in ("g4", "g5")]
                )
            # a member grant in the household, or another period, holds a place of its own
            uow.grants.add(make_grant("g6", member_id="hh001-m3"))
            uow.grants.add(make_grant("g7", member_id=None, period=Year(2022), fund_id="f2022"))
            uow.commit()
        with storage.unit_of_work("clerk:wang") as uow:
            uow.grants.revoke("g1", date(2021, 10, 8), reason="重复申报")
            uow.grants.add(make_grant("g1-again", member_id=None))
            with pytest.raises(ConflictError, match="household"):
                uow.grants.add(make_grant("g1-twice", member_id=None))
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            listed = [g.grant_id for g in uow.grants.list()]
            assert listed == ["g1", "g1-again", "g6", "g7"]
            assert uow.funds.spent("f2021") == Decimal("10000.00")

    def test_locking_a_fund(self, storage: Storage) -> None:
        store_records(storage, "households")
        with storage.unit_of_work("tester") as uow:
            uow.funds.add(make_fund("f2021"))
            uow.commit()
        with storage.unit_of_work("allocator") as uow:
            assert uow.funds.lock("f2021") == make_fund("f2021")
            with pytest.raises(NotFound):
                uow.funds.lock("nope")
            uow.grants.add(make_grant("g1"))
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.funds.spent("f2021") == Decimal("5000.00")

    def test_a_fund_is_topped_up_and_closed_by_dated_changes(self, storage: Storage) -> None:
        store_records(storage, "households")
        with storage.unit_of_work("clerk:wang") as uow:
            uow.funds.add(make_fund("f2021", budget=Decimal("1000.00"), name="2021年助学金"))
            uow.grants.add(make_grant("g1", member_id=None, amount=Decimal("1000.00")))
            with pytest.raises(ConflictError, match="f2021"):
                uow.grants.add(make_grant("g2", member_id="hh001-m1", amount=Decimal("500.00")))
            first = uow.funds.top_up("f2021", Decimal("500.00"), date(2021, 9, 15), reason="追加")
            uow.grants.add(make_grant("g2", member_id="hh001-m1", amount=Decimal("500.00")))
            uow.commit()
        with storage.unit_of_work("clerk:li") as uow:
            second = uow.funds.top_up("f2021", Decimal("0.50"), date(2021, 10, 1), reason="余款")
            closing = uow.funds.close("f2021", date(2021, 12, 31), reason="年度结束")
            uow.commit()
        assert (first.number, second.number, closing.number) == (1, 2, 3)
        assert (first.actor, closing.actor, closing.amount) == ("clerk:wang", "clerk:li", None)
        assert str(closing.kind) == "close"
        with storage.unit_of_work("tester") as uow:
            fund = uow.funds.get("f2021")
            assert fund.budget == Decimal("1500.50")
            assert fund.topped_up == Decimal("500.50")
            assert fund.initial_budget == Decimal("1000.00")
            assert fund.closed_on == date(2021, 12, 31)
            assert fund.name == "2021年助学金"
            assert uow.funds.spent("f2021") == Decimal("1500.00")
            assert uow.funds.changes() == [first, second, closing]
            assert uow.funds.changes(fund_id="f2021", kind="top_up") == [first, second]
            assert uow.funds.changes(fund_id="other") == []
            # a closed fund takes no change and grants nothing more
            with pytest.raises(FundClosed, match="closed on 2021-12-31"):
                uow.funds.top_up("f2021", Decimal("1.00"), date(2022, 1, 5), reason="late")
            with pytest.raises(FundClosed):
                uow.funds.close("f2021", date(2022, 1, 5), reason="again")
            with pytest.raises(FundClosed):
                uow.grants.add(make_grant("g3", member_id="hh001-m2", amount=Decimal("0.50")))
            with pytest.raises(NotFound):
                uow.funds.top_up("nope", Decimal("1.00"), date(2021, 9, 1), reason="x")
            actions = [(e.action, e.entity_id) for e in uow.audit.entries(entity="funds")]
            assert actions[-3:] == [("top_up", "f2021"), ("top_up", "f2021"), ("close", "f2021")]
            assert uow.audit.entries(action="close")[0].changes["reason"] == "年度结束"

    def test_a_revoked_grant_keeps_its_record_and_counts_nowhere(self, storage: Storage) -> None:
        store_parents(storage, "grants")
        with storage.unit_of_work("tester") as uow:
            uow.grants.add(make_grant("g1", member_id="hh001-m3"))
            uow.grants.add(make_grant("g2", member_id="hh002-m1", household_id="hh002"))
            uow.commit()
        with storage.unit_of_work("clerk:wang") as uow:
            revoked = uow.grants.revoke("g1", date(2021, 10, 8), reason="重复申报")
            uow.commit()
        assert revoked == attrs.evolve(
            make_grant("g1", member_id="hh001-m3"),
            revoked_on=date(2021, 10, 8),
            revoke_reason="重复申报",
        )
        with storage.unit_of_work("tester") as uow:
            assert uow.grants.get("g1") == revoked
            assert not revoked.in_force
            assert uow.funds.spent("f2021") == Decimal("5000.00")
            figures = uow.read_model.grants(date(2021, 1, 1), date(2021, 12, 31))
            assert [(n, amount) for n, amount in figures.values()] == [(1, Decimal("5000.00"))]
            with pytest.raises(GrantRevoked, match="g1"):
                uow.grants.revoke("g1", date(2021, 11, 1), reason="again")
            with pytest.raises(NotFound):
                uow.grants.revoke("nope", date(2021, 11, 1), reason="x")
            # the revoked grant holds no slot: the member may be granted again
            uow.grants.add(make_grant("g1-again", member_id="hh001-m3"))
            with pytest.raises(ConflictError, match="grant"):
                uow.grants.add(make_grant("g1-twice", member_id="hh001-m3"))
            uow.commit()
        with storage.unit_of_work("auditor") as uow:
            assert uow.funds.spent("f2021") == Decimal("10000.00")
            assert [g.grant_id for g in uow.grants.list(member_id="hh001-m3")] == ["g1", "g1-again"]
            (entry,) = uow.audit.entries(action="revoke")
            assert (entry.actor, entry.entity, entry.entity_id) == ("clerk:wang", "grants", "g1")
            assert entry.changes["revoked_on"] == {"from": None, "to": "2021-10-08"}

    # -- payments ----------------------------------------------------------------------

    def test_a_grant_is_batched_paid_and_returned_once(self, storage: Storage) -> None:
        """A grant's payment moves forward only, each step audited; a returned grant's
        money goes back to its fund exactly once."""
        store_parents(storage, "grants")
        g1 = make_grant("g1", member_id="hh001-m3")
        g2 = make_grant("g2", member_id="hh002-m1", household_id="hh002")
        with storage.unit_of_work("tester") as uow:
            uow.grants.add_many([g1, g2])
            uow.commit()
        batched = [attrs.evolve(g, batch_id="pb1") for g in (g1, g2)]
        paid = attrs.evolve(batched[0], paid_on=date(2021, 9, 15), payment_reference="BK1")
        returned = attrs.evolve(paid, returned_on=date(2021, 10, 2), return_reason="账户已注销")
        with storage.unit_of_work("clerk:wang") as uow:
            assert uow.grants.record_payments(batched) == 2
            assert uow.grants.record_payments(batched) == 0  # as stored: nothing changes
            assert uow.grants.record_payments([paid]) == 1
            assert uow.funds.spent("f2021") == Decimal("10000.00")
            assert uow.grants.record_payments([returned]) == 1
            assert uow.funds.spent("f2021") == Decimal("5000.00")
            assert uow.grants.record_payments([returned]) == 0  # already recorded
            with pytest.raises(PaymentRefused, match="a return stands"):
                uow.grants.record_payments([paid])
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.grants.get("g1") == returned
            assert (returned.in_force, returned.holds_money) == (True, False)
            assert uow.funds.spent("f2021") == Decimal("5000.00")
            revoked = uow.grants.revoke("g1", date(2021, 10, 9), reason="重新发放")
            assert uow.funds.spent("f2021") == Decimal("5000.00")  # freed once, not twice
            uow.commit()
        with storage.unit_of_work("auditor") as uow:
            assert uow.grants.get("g1") == revoked
            actions = [(e.action, e.entity_id) for e in uow.audit.entries(entity="grants")]
            assert actions[-5:] == [
                ("batch", "g1"),
                ("batch", "g2"),
                ("pay", "g1"),
                ("return", "g1"),
                ("revoke", "g1"),
            ]
            (pay,) = uow.audit.entries(action="pay")
            assert pay.actor == "clerk:wang"
            assert pay.changes["paid_on"] == {"from": None, "to": "2021-09-15"}

    def test_a_payment_stands_and_goes_only_forward(self, storage: Storage) -> None:
        store_parents(storage, "grants")
        g1 = make_grant("g1", member_id="hh001-m3", batch_id="pb1")
        g2 = make_grant("g2", member_id="hh002-m1", household_id="hh002")
        with storage.unit_of_work("tester") as uow:
            uow.grants.add_many([attrs.evolve(g1, batch_id=None), g2])
            uow.grants.record_payments([g1])
            paid = attrs.evolve(g1, paid_on=date(2021, 9, 15), payment_reference="BK1")
            uow.grants.record_payments([paid])
            uow.grants.revoke("g2", date(2021, 9, 20), reason="重复申报")
            uow.commit()
        refused = [
            attrs.evolve(paid, paid_on=date(2021, 9, 16)),  # a payment stands
            attrs.evolve(paid, payment_reference="BK2"),
            attrs.evolve(paid, batch_id="pb2"),  # a batch stands
            attrs.evolve(paid, amount=Decimal("1.00")),  # only the payment changes
            attrs.evolve(g2, paid_on=date(2021, 9, 25)),  # a revoked grant is never paid
            attrs.evolve(g2, batch_id="pb1"),
        ]
        with storage.unit_of_work("tester") as uow:
            for grant in refused:
                with pytest.raises(PaymentRefused, match=grant.grant_id):
                    uow.grants.record_payments([grant])
            with pytest.raises(NotFound):
                uow.grants.record_payments([make_grant("nope")])
            # all or nothing: the good one of a batch with a bad one is not written
            returned = attrs.evolve(paid, returned_on=date(2021, 10, 2), return_reason="户名不符")
            with pytest.raises(PaymentRefused):
                uow.grants.record_payments([returned, refused[0]])
            assert uow.grants.get("g1") == paid
            with pytest.raises(PaymentRefused, match="paid"):
                uow.grants.revoke("g1", date(2021, 10, 1), reason="x")
            assert uow.funds.spent("f2021") == Decimal("5000.00")
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            assert uow.grants.get("g1") == paid
            assert uow.audit.count(action="return") == 0

    def test_the_figures_count_grants_by_payment_state(self, storage: Storage) -> None:
        store_parents(storage, "grants")
        grants = [
            make_grant("g1", member_id="hh001-m1"),
            make_grant("g2", member_id="hh001-m2"),
            make_grant("g3", member_id="hh001-m3", amount=Decimal("1200.50")),
        ]
        with storage.unit_of_work("tester") as uow:
            uow.grants.add_many(grants)
            paid = [
                attrs.evolve(g, paid_on=date(2021, 9, 15), payment_reference=f"BK{n}")
                for n, g in enumerate(grants[1:])
            ]
            uow.grants.record_payments(paid)
            uow.grants.record_payments(
                [attrs.evolve(paid[1], returned_on=date(2021, 9, 30), return_reason="户名不符")]
            )
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            figures = uow.read_model.payments(date(2021, 1, 1), date(2021, 12, 31))
            by_state = {state: value for (_, _, state), value in figures.items()}
            assert by_state == {
                "unpaid": (1, Decimal("5000.00")),
                "paid": (1, Decimal("5000.00")),
                "returned": (1, Decimal("1200.50")),
            }
            (total,) = uow.read_model.grants(date(2021, 1, 1), date(2021, 12, 31)).values()
            assert total == (3, Decimal("11200.50"))
            assert uow.funds.spent("f2021") == Decimal("10000.00")

    def test_decisions_keep_conditions_parameters_and_inputs(self, storage: Storage) -> None:
        store_parents(storage, "decisions")
        decision = make_decision("d9", outcome="wait_listed", amount=None, priority=None)
        with storage.unit_of_work("tester") as uow:
            uow.decisions.add(decision)
            uow.commit()
        with storage.unit_of_work("tester") as uow:
            stored = uow.decisions.get("d9")
            assert stored == decision
            assert stored.conditions[0] == ConditionOutcome("freshman", True, "year_of_entry=2021")
            assert dict(stored.parameters) == {"amount": "5000.00"}

    # -- the audit log ----------------------------------------------------------------

    def test_every_write_is_audited_with_actor_time_and_changes(self, storage: Storage) -> None:
        store_records(storage, "households")
        with storage.unit_of_work("clerk:wang") as uow:
            uow.helpers.add(make_helper("h001"))
            uow.helpers.add_many([make_helper("h002"), make_helper("h003")])
            uow.helpers.update(make_helper("h001", capacity=5))
            uow.helpers.upsert_many([make_helper("h004")])
            uow.commit()
        with storage.unit_of_work("clerk:li") as uow:
            uow.pairings.add(make_pairing())
            uow.pairings.end(_key(make_pairing()), date(2021, 6, 30))
            uow.commit()
        with storage.unit_of_work("auditor") as uow:
            entries = [e for e in uow.audit.entries() if e.actor != SETUP]
            assert [(e.actor, e.action, e.entity, e.entity_id) for e in entries] == [
                ("clerk:wang", "add", "helpers", "h001"),
                ("clerk:wang", "add_many", "helpers", None),
                ("clerk:wang", "update", "helpers", "h001"),
                ("clerk:wang", "upsert", "helpers", "h004"),
                ("clerk:li", "add", "pairings", "h001/hh001/2021-01-01"),
                ("clerk:li", "end", "pairings", "h001/hh001/2021-01-01"),
            ]
            ids = [e.entry_id for e in entries]
            assert ids == sorted(ids)
            assert len(set(ids)) == len(ids)
            times = [e.at for e in entries]
            assert all(t.tzinfo is not None for t in times)
            assert times == sorted(times)
            assert entries[0].changes["capacity"] == 3
            assert entries[1].changes == {"count": 2, "ids": ["h002", "h003"]}
            assert entries[2].changes == {"capacity": {"from": 3, "to": 5}}
            assert entries[5].changes == {"end": {"from": None, "to": "2021-06-30"}}
            assert uow.audit.count(actor="clerk:li") == 2
            assert [e.entity_id for e in uow.audit.entries(entity="helpers", action="update")] == [
                "h001"
            ]

    def test_the_audit_log_never_holds_sensitive_values(self, storage: Storage) -> None:
        household = make_household("hh001")
        with storage.unit_of_work("clerk") as uow:
            uow.households.add(household)
            changed = household.members[1]
            changed = attrs.evolve(changed, health=Health("chronic_illness", "高血压"))
            uow.households.update(
                attrs.evolve(
                    household, members=(household.members[0], changed, *household.members[2:])
                )
            )
            uow.helpers.add(make_helper("h001"))
            uow.commit()
        with storage.unit_of_work("auditor") as uow:
            text = json.dumps([dict(e.changes) for e in uow.audit.entries()], ensure_ascii=False)
        for member in household.members:
            assert member.resident_id
            assert member.resident_id not in text
        assert "尿毒症" not in text
        assert "高血压" not in text
        assert "13912345678" not in text
        assert "13800138000" not in text
        assert "members" in text

    def test_rolled_back_writes_leave_no_audit_entry(self, storage: Storage) -> None:
        with storage.unit_of_work("clerk") as uow:
            uow.helpers.add(make_helper("h001"))
        with storage.unit_of_work("auditor") as uow:
            assert uow.audit.entries() == []

    def test_the_audit_log_offers_no_way_to_change_it(self, storage: Storage) -> None:
        with storage.unit_of_work("clerk") as uow:
            uow.helpers.add(make_helper("h001"))
            uow.commit()
        with storage.unit_of_work("auditor") as uow:
            public = {name for name in dir(uow.audit) if not name.startswith("_")}
            assert public == {"entries", "count"}
            entry = uow.audit.entries()[0]
            with pytest.raises(attrs.exceptions.FrozenInstanceError):
                entry.actor = "someone else"  # type: ignore[misc]
            if isinstance(entry.changes, dict):
                entry.changes["capacity"] = 99
            uow.audit.entries().clear()
            uow.commit()
        with storage.unit_of_work("auditor") as uow:
            (again,) = uow.audit.entries()
            assert again.actor == "clerk"
            assert again.changes["capacity"] == 3

    def test_the_audit_log_is_a_hash_chain_that_verifies(
        self, storage: Storage, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from jieqin.storage.audit_chain import GENESIS, KEY_ENV, canonical, verify_audit

        monkeypatch.delenv(KEY_ENV, raising=False)
        with storage.unit_of_work("clerk") as uow:
            uow.helpers.add(make_helper("h001"))
            uow.helpers.add_many([make_helper("h002"), make_helper("h003")])
            # Reading the log in the unit of work that writes it sees its own entries.
            assert [e.entry_id for e in uow.audit.entries()] == [1, 2]
            uow.helpers.update(make_helper("h001", capacity=5))
            uow.commit()
        with storage.unit_of_work("clerk") as uow:
            uow.helpers.update(make_helper("h002", capacity=4))
        with storage.unit_of_work("reviewer") as uow:
            uow.helpers.update(make_helper("h003", capacity=1))
            uow.commit()
        with storage.unit_of_work("auditor") as uow:
            entries = uow.audit.entries()
        assert [e.entry_id for e in entries] == [1, 2, 3, 4]
        assert entries[0].prev_hash == GENESIS
        for before, entry in itertools.pairwise(entries):
            assert entry.prev_hash == before.hash
            assert entry.at >= before.at
        last = entries[-1]
        assert (
            last.hash
            == "sha256:" + hashlib.sha256(canonical(last, last.prev_hash or "")).hexdigest()
        )
        result = verify_audit(storage)
        assert result.ok, result.line()
        assert (result.entries, result.last_entry_id, result.head) == (4, 4, last.hash)

    def test_a_keyed_audit_log_needs_its_key(
        self, storage: Storage, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from jieqin.storage.audit_chain import KEY_ENV, verify_audit

        monkeypatch.delenv(KEY_ENV, raising=False)
        with storage.unit_of_work("clerk") as uow:
            uow.helpers.add(make_helper("h001"))
            uow.commit()
        monkeypatch.setenv(KEY_ENV, "a-long-secret-audit-key-0001")
        with storage.unit_of_work("clerk") as uow:
            uow.helpers.add(make_helper("h002"))
            uow.commit()
        with storage.unit_of_work("auditor") as uow:
            plain, keyed = uow.audit.entries()
        assert str(plain.hash).startswith("sha256:")
        assert str(keyed.hash).startswith("hmac-sha256:")
        assert verify_audit(storage).ok
        assert verify_audit(storage).keyed == 1
        wrong = verify_audit(storage, key=b"another-key-of-16-bytes")
        assert wrong.problem is not None
        assert (wrong.problem.entry_id, wrong.problem.kind) == (2, "hash_mismatch")
        monkeypatch.delenv(KEY_ENV)
        missing = verify_audit(storage)
        assert missing.problem is not None
        assert (missing.problem.entry_id, missing.problem.kind) == (2, "key_needed")
        with storage.unit_of_work("clerk") as uow:

            def write_without_the_key() -> None:
                uow.helpers.add(make_helper("h003"))
                uow.commit()

            with pytest.raises(StorageError, match=KEY_ENV):
                write_without_the_key()
        with storage.unit_of_work("auditor") as uow:
            assert uow.audit.count() == 2


def _key(record: Any) -> Any:
    if isinstance(record, Pairing):
        return (record.helper_id, record.household_id, record.start)
    return getattr(record, attrs.fields(type(record))[0].name)
