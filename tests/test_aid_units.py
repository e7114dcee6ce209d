"""Household grants, caps across programmes, severity priority and region scope.

Weinan's plugin (:mod:`weinan_plugin`: a heating subsidy per household, an elderly
allowance per member, a household cap across the two, both for 6105 only) is
installed beside Tongchuan's (its programmes for 6102 only), on every backend.
"""

from __future__ import annotations

import inspect
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

import jieqin
from jieqin import (
    MONITORED_SEVERITY_FIRST,
    SEVERITY_FIRST,
    AidProgram,
    GrantCap,
    GrantUnit,
    Parameters,
    Program,
    ProgramKind,
    check,
    fact,
    region_in,
)
from jieqin.errors import ConflictError, InvalidInput, InvalidValue
from jieqin.model import (
    Fund,
    Grant,
    Helper,
    Household,
    Member,
    Outcome,
    Pairing,
    RegionCode,
    Relation,
    Schooling,
    SchoolLevel,
    Sex,
    StatusChange,
    Year,
)
from jieqin.rules import Context, Population, Subject
from jieqin.services.aid import plan_allocation
from jieqin.services.caps import CapLedger, overlapping

sys.path.insert(0, str(Path(__file__).parent))
import weinan_plugin
from weinan_plugin import ALLOWANCE, CAP, HEATING

SCHOLARSHIP = "tc_freshman_scholarship"
YEAR = Year(2021)
DAY = date(2021, 9, 1)
TONGCHUAN = "610202001001"
WEINAN = "610502001001"


def person(mid: str, born: date, relation: Relation = Relation.HEAD, **facts: object) -> Member:
    name = "王" + mid[-1]
    return Member(mid, name, Sex.MALE, born, relation=relation, **facts)  # type: ignore[arg-type]


def home(hid: str, region: str, *people: Member, status: str = "lifted_out") -> Household:
    return Household(hid, RegionCode(region), people, [StatusChange(status, date(2019, 1, 1))])


def freshman(mid: str) -> Member:
    return person(
        mid, date(2003, 1, 1), Relation.CHILD, schooling=Schooling(SchoolLevel.COLLEGE, 2021)
    )


def world() -> list[Household]:
    """Two Tongchuan households (elderly members and a freshman) and four Weinan ones:
    an elderly couple, an elderly widow, a freshman's family, a young farmer."""
    return [
        home(
            "t1",
            TONGCHUAN,
            person("t1-1", date(1946, 1, 1)),
            person("t1-2", date(1949, 1, 1), Relation.SPOUSE),
            freshman("t1-3"),
        ),
        home("t2", TONGCHUAN, person("t2-1", date(1944, 1, 1))),
        home(
            "w1",
            WEINAN,
            person("w1-1", date(1941, 1, 1)),
            person("w1-2", date(1943, 1, 1), Relation.SPOUSE),
        ),
        home("w2", "610502001002", person("w2-1", date(1936, 1, 1))),
        home("w3", "610502002001", person("w3-1", date(1981, 1, 1)), freshman("w3-2")),
        home("w4", WEINAN, person("w4-1", date(1991, 1, 1))),
    ]


def setup(campaign: jieqin.Campaign, budget: str = "100000") -> None:
    homes = world()
    with campaign.unit_of_work("test") as uow:
        uow.households.add_many(homes)
        uow.helpers.add(Helper("p1", "李医生", "city_member", RegionCode("610202"), capacity=9))
        uow.pairings.add_many([Pairing("p1", h.household_id, date(2021, 1, 1)) for h in homes])
        for program in campaign.aid_programs().values():
            uow.programs.add(program.program)
            uow.funds.add(
                Fund(f"f-{program.program_id}", program.program_id, YEAR, Decimal(budget))
            )
        uow.commit()


@pytest.fixture
def regional(campaign_url: str):
    with jieqin.connect(campaign_url, plugins=[weinan_plugin]) as campaign:
        setup(campaign)
        yield campaign


def grants_of(campaign: jieqin.Campaign, program_id: str | None = None) -> list[Grant]:
    with campaign.unit_of_work("test", read_only=True) as uow:
        found = uow.grants.list() if program_id is None else uow.grants.list(program_id=program_id)
    return [g for g in found if g.in_force]


# -- household grants ---------------------------------------------------------------


def test_a_household_programme_grants_each_household_once(regional: jieqin.Campaign) -> None:
    plan = regional.allocate(HEATING, YEAR, on=DAY)
    granted = {g.household_id: g for g in plan.grants}
    assert sorted(granted) == ["w1", "w2"]  # the couple gets one subsidy, not two
    assert all(g.member_id is None and g.amount == Decimal("800.00") for g in granted.values())
    by_household = {d.household_id: d for d in plan.decisions}
    assert sorted(by_household) == ["w1", "w2", "w3", "w4"]  # one decision each
    couple = by_household["w1"]
    assert (couple.member_id, couple.inputs["applicant"]) == (None, "w1-1")
    assert couple.decision_id == "d:wn_heating_subsidy:2021:w1"
    assert by_household["w4"].outcome is Outcome.INELIGIBLE
    summary = plan.summary()
    assert (summary["grant_unit"], summary["households_granted"], summary["members_granted"]) == (
        "household",
        2,
        3,
    )
    assert plan.priority.endswith("then household id")
    again = regional.allocate(HEATING, YEAR, on=DAY)
    assert (again.grants, again.already_granted) == ((), ("w1", "w2"))
    assert len(grants_of(regional, HEATING)) == 2


def test_a_revoked_household_grant_is_granted_anew_under_new_ids(
    regional: jieqin.Campaign,
) -> None:
    regional.allocate(HEATING, YEAR, on=DAY)
    regional.revoke_grant("g:wn_heating_subsidy:2021:w1", reason="重复申报", on=date(2021, 10, 1))
    plan = regional.allocate(HEATING, YEAR, on=date(2021, 10, 2))
    assert [g.grant_id for g in plan.grants] == ["g:wn_heating_subsidy:2021:w1:r1"]
    assert plan.grants[0].member_id is None
    with regional.unit_of_work("test", read_only=True) as uow:
        decisions = uow.decisions.list(program_id=HEATING, household_id="w1")
    assert sorted(d.outcome for d in decisions) == ["granted", "granted", "revoked"]


def test_storage_and_the_write_path_hold_one_household_grant(regional: jieqin.Campaign) -> None:
    regional.allocate(HEATING, YEAR, on=DAY)
    second = Grant(
        "g-second", HEATING, f"f-{HEATING}", YEAR, "w1", None, Decimal(100), DAY, "d-second"
    )
    with regional.unit_of_work("clerk") as uow:
        with pytest.raises(ConflictError, match="household"):
            uow.grants.add(second)
        # a grant of a household programme names no member; one of a member programme does
        with pytest.raises(InvalidInput, match="grants per household"):
            uow.grants.add(attrs.evolve(second, household_id="w2", member_id="w2-1"))
        with pytest.raises(InvalidInput, match="grants per member"):
            uow.grants.add(attrs.evolve(second, program_id=ALLOWANCE, fund_id=f"f-{ALLOWANCE}"))


# -- caps across programmes -----------------------------------------------------------


def held(campaign: jieqin.Campaign) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for g in grants_of(campaign):
        if g.program_id in (HEATING, ALLOWANCE):
            totals[g.household_id] = totals.get(g.household_id, Decimal(0)) + g.amount
    return totals


def test_a_cap_reduces_the_entitlement_or_leaves_nothing_naming_the_cap(
    regional: jieqin.Campaign,
) -> None:
    regional.allocate(ALLOWANCE, YEAR, on=DAY)  # w1: 2 x 500, w2: 500
    plan = regional.allocate(HEATING, YEAR, on=DAY)
    decisions = {d.household_id: d for d in plan.decisions}
    assert decisions["w1"].outcome is Outcome.INELIGIBLE
    assert decisions["w1"].reason.startswith(f"cap {CAP} (1000.00 yuan per household in 2021")
    assert "is used up" in decisions["w1"].reason
    assert decisions["w1"].priority is None
    assert (decisions["w2"].outcome, decisions["w2"].amount) == (Outcome.GRANTED, Decimal("500.00"))
    assert "leaves 500.00 of the 800.00 yuan entitled" in decisions["w2"].reason
    assert plan.entitlements[decisions["w2"].decision_id] == Decimal("500.00")
    assert held(regional) == {"w1": Decimal("1000.00"), "w2": Decimal("1000.00")}
    assert "wn_household_cap_amount" in decisions["w2"].parameters


def test_a_cap_holds_in_either_order_and_within_one_run(regional: jieqin.Campaign) -> None:
    regional.allocate(HEATING, YEAR, on=DAY)  # w1: 800, w2: 800
    plan = regional.allocate(ALLOWANCE, YEAR, on=DAY)
    amounts = {g.member_id: g.amount for g in plan.grants}
    # the couple's first member gets what the cap leaves, the second nothing
    assert amounts == {"w1-1": Decimal("200.00"), "w2-1": Decimal("200.00")}
    second = next(d for d in plan.decisions if d.member_id == "w1-2")
    assert second.outcome is Outcome.INELIGIBLE
    assert CAP in second.reason
    assert held(regional) == {"w1": Decimal("1000.00"), "w2": Decimal("1000.00")}


def test_a_cap_counts_grants_of_overlapping_periods() -> None:
    assert [str(p) for p in overlapping(jieqin.Quarter(2021, 2))] == [
        "2021",
        "2021Q2",
        "2021-04",
        "2021-05",
        "2021-06",
    ]
    assert len(overlapping(YEAR)) == 17
    heating = weinan_plugin.programs()[0]
    monthly = Grant(
        "g-m", ALLOWANCE, "f", jieqin.Month(2021, 3), "w1", "w1-1", Decimal(300), DAY, "d"
    )
    other = Grant("g-o", ALLOWANCE, "f", Year(2022), "w1", "w1-1", Decimal(900), DAY, "d")
    ledger = CapLedger(heating, YEAR, DAY, [monthly, other])
    assert ledger.allowed("w1", None, Decimal(800))[0] == Decimal("700.00")


def test_a_cap_is_a_dated_parameter_and_per_member_caps_fit_member_programmes() -> None:
    heating, allowance = weinan_plugin.programs()
    assert heating.cap_values(DAY) == {CAP: Decimal("1000.00")}
    assert "wn_household_cap_amount" in heating.parameter_names()
    per_member = GrantCap("per_person", "wn_household_cap_amount", per="member")
    assert attrs.evolve(allowance, caps=[per_member]).caps == (per_member,)
    with pytest.raises(InvalidValue, match="grants per household"):
        attrs.evolve(heating, caps=[per_member])
    with pytest.raises(InvalidValue, match="does not define: nope"):
        attrs.evolve(heating, caps=[GrantCap("c", "nope")])
    assert heating.rule_version != attrs.evolve(heating, caps=()).rule_version


# -- priority: the most severe first ---------------------------------------------------


def _severity_programme(priority: tuple[jieqin.PriorityKey, ...]) -> AidProgram:
    return AidProgram(
        Program("care", "护理补贴", "民政局", ProgramKind.CASH_GRANT, Decimal(1000)),
        check("adult", fact("age") >= 18),
        priority=priority,
    )


def test_severity_first_ranks_the_most_severe_then_the_oldest_and_masks_them() -> None:
    people = [
        home("h1", WEINAN, person("h1-1", date(1940, 1, 1))),  # oldest, not disabled
        home("h2", WEINAN, person("h2-1", date(1980, 1, 1), disability_grade=3)),
        home("h3", WEINAN, person("h3-1", date(1990, 1, 1), disability_grade=1)),
        home("h4", WEINAN, person("h4-1", date(1970, 1, 1), disability_grade=1)),
        home(
            "h5",
            WEINAN,
            person("h5-1", date(1985, 1, 1)),
            person("h5-2", date(1986, 1, 1), Relation.SPOUSE),
            person("h5-3", date(1987, 1, 1), Relation.SIBLING),
        ),
    ]
    program = _severity_programme(SEVERITY_FIRST)
    fund = Fund("f", "care", YEAR, Decimal(2000))
    plan = plan_allocation(program, fund, people, Context(YEAR, on=DAY))
    ranked = sorted((d for d in plan.decisions if d.priority), key=lambda d: d.priority or 0)
    assert [d.member_id for d in ranked][:4] == ["h4-1", "h3-1", "h2-1", "h1-1"]
    assert [d.outcome for d in ranked][:3] == ["granted", "granted", "wait_listed"]
    assert ranked[0].inputs["disability_severity"] == "<masked>"
    assert ranked[0].inputs["illness_severity"] == "<masked>"
    assert "the most severe disability first" in plan.priority
    # by default (monitored, then larger households) the household of three comes first
    default = plan_allocation(
        _severity_programme(jieqin.rules.DEFAULT_PRIORITY), fund, people, Context(YEAR, on=DAY)
    )
    assert [g.member_id for g in default.grants] == ["h5-1", "h5-2"]
    monitored_first = _severity_programme(MONITORED_SEVERITY_FIRST)
    assert monitored_first.priority[0].fact == "monitored"


def test_severity_facts_agree_one_by_one_and_vectorised() -> None:
    people = [
        home("h1", WEINAN, person("h1-1", date(1940, 1, 1), disability_grade=2)),
        home("h2", WEINAN, person("h2-1", date(1950, 1, 1))),
    ]
    context = Context(YEAR, on=DAY)
    population = Population.from_households(people)
    for name, expected in (("disability_severity", [3, 0]), ("illness_severity", [0, 0])):
        definition = jieqin.rules.facts.fact_definition(name)
        assert definition.sensitive
        assert list(definition.many(population, context)) == expected
        assert [definition.one(Subject(h.members[0], h, context)) for h in people] == expected


# -- region scope -----------------------------------------------------------------------


def test_weinan_and_tongchuan_programmes_grant_only_their_own_households(
    regional: jieqin.Campaign,
) -> None:
    for program_id in (HEATING, ALLOWANCE, SCHOLARSHIP, "tc_major_illness_grant"):
        regional.allocate(program_id, YEAR, on=DAY)
    grants = grants_of(regional)
    weinan = {g.household_id for g in grants if g.program_id.startswith("wn_")}
    tongchuan = {g.household_id for g in grants if g.program_id.startswith("tc_")}
    assert weinan == {"w1", "w2"}  # t1 and t2 have elderly members too
    assert tongchuan == {"t1"}  # w3-2 is a paired freshman too
    with regional.unit_of_work("test", read_only=True) as uow:
        decided = {d.household_id for d in uow.decisions.list()}
        by_program = {(d.program_id, d.household_id[0]) for d in uow.decisions.list()}
    assert decided == {"t1", "t2", "w1", "w2", "w3", "w4"}
    # out of scope is not "ineligible": no decision at all
    assert not any(p.startswith("wn_") and h == "t" for p, h in by_program)
    assert not any(p.startswith("tc_") and h == "w" for p, h in by_program)


def test_without_its_scope_the_weinan_subsidy_would_grant_tongchuan_households(
    regional: jieqin.Campaign,
) -> None:
    heating = weinan_plugin.programs()[0]
    unscoped = attrs.evolve(heating, regions=())
    with regional.unit_of_work("test", read_only=True) as uow:
        homes = uow.households.list()
        fund = uow.funds.get(f"f-{HEATING}")
    plan = plan_allocation(unscoped, fund, homes, Context(YEAR, on=DAY))
    assert {g.household_id for g in plan.grants} == {"t1", "t2", "w1", "w2"}
    scoped = plan_allocation(heating, fund, homes, Context(YEAR, on=DAY))
    assert {g.household_id for g in scoped.grants} == {"w1", "w2"}
    assert (scoped.out_of_scope, scoped.scope) == (2, "regions 6105")


def test_region_rules_match_code_prefixes_one_by_one_and_vectorised() -> None:
    people = world()
    context = Context(YEAR, on=DAY)
    population = Population.from_households(people)
    for rule, expected in (
        (region_in("6105"), {"w1", "w2", "w3", "w4"}),
        (region_in("610200"), {"t1", "t2"}),  # the city's six-digit code is its prefix
        (region_in("610502001", "6102"), {"t1", "t2", "w1", "w2", "w4"}),
        (check("village", fact("region") == WEINAN), {"w1", "w4"}),
    ):
        program = AidProgram(Program("r", "r", "r", ProgramKind.CASH_GRANT), rule)
        mask = program.eligible(population, context)
        vectorised = {
            population.household_ids[population.member_household[i]]
            for i in range(len(mask))
            if mask[i]
        }
        one_by_one = {
            h.household_id
            for h in people
            for m in h.members
            if program.decides(Subject(m, h, context))
        }
        assert vectorised == one_by_one == expected
    explained = AidProgram(
        Program("r", "r", "r", ProgramKind.CASH_GRANT), region_in("6105")
    ).explain(Subject(people[0].members[0], people[0], context))
    assert not explained.eligible
    assert "region:6105" in explained.inputs


@pytest.mark.parametrize(
    ("prefix", "message"),
    [("61020", "5 digits"), ("9902", "no province"), ("61-2", "digits"), ("", "digits")],
)
def test_a_bad_region_prefix_says_what_a_prefix_is(prefix: str, message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        region_in(prefix)
    with pytest.raises(InvalidValue, match=message):
        attrs.evolve(weinan_plugin.programs()[0], regions={prefix})


def test_a_regional_programme_fits_in_forty_lines() -> None:
    """Weinan's two programmes, household unit, cap and scope included."""
    lines = inspect.getsource(weinan_plugin.programs).splitlines()
    assert len(lines) <= 40
    assert {p.grant_unit for p in weinan_plugin.programs()} == {
        GrantUnit.HOUSEHOLD,
        GrantUnit.MEMBER,
    }


def test_parameters_file_loads_the_cap_as_a_dated_value() -> None:
    overrides = Parameters.from_mapping(
        {
            "wn_household_cap_amount": {
                "unit": "yuan",
                "values": [
                    {"since": "2021-01-01", "value": "1000"},
                    {"since": "2021-07-01", "value": "600", "source": "调整通知"},
                ],
            }
        }
    )
    heating = weinan_plugin.programs()[0].with_parameters(overrides)
    assert heating.cap_values(date(2021, 6, 30)) == {CAP: Decimal("1000.00")}
    assert heating.cap_values(DAY) == {CAP: Decimal("600.00")}


# -- the command line -----------------------------------------------------------------


def test_the_commands_show_unit_scope_and_whom_a_run_granted(
    tmp_path: Path, install_plugin
) -> None:
    """Weinan's plugin installed as a distribution, beside Tongchuan's."""
    import json

    from click.testing import CliRunner

    from jieqin.cli import cli

    install_plugin("jieqin-weinan", "0.1.0", "weinan", Path(weinan_plugin.__file__).read_text())
    db = str(tmp_path / "weinan.db")
    with jieqin.connect(f"sqlite:///{db}") as campaign:
        assert {HEATING, ALLOWANCE, SCHOLARSHIP} <= set(campaign.aid_programs())
        setup(campaign)

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, [*args, "--db", db], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    out = run("aid", "programs", "--on", "2021-09-01")
    assert "  grants per household; serves regions 6105" in out
    assert "  grants per member; serves regions 6102" in out
    assert f"  cap {CAP}: wn_household_cap_amount per household, over {ALLOWANCE}, {HEATING}" in out
    rows = {r["program"]: r for r in json.loads(run("aid", "programs", "--json"))}
    assert (rows[HEATING]["grant_unit"], rows[HEATING]["regions"]) == ("household", ["6105"])
    assert rows[HEATING]["caps"][0]["per"] == "household"
    out = run("aid", "run", HEATING, "--period", "2021", "--on", "2021-09-01")
    assert (
        "Grants per household: 2 households granted (3 members). Serves regions 6105: "
        "2 households outside were not decided." in out
    )
    out = run("aid", "run", ALLOWANCE, "--period", "2021", "--on", "2021-09-01", "--json")
    summary = json.loads(out)
    assert (summary["members_granted"], summary["households_granted"]) == (2, 2)
    assert summary["granted_total"] == "400.00"  # what the cap left: 200 + 200


def test_a_need_is_routed_only_to_programmes_of_its_region() -> None:
    from jieqin_tongchuan import programs as tongchuan_programs

    from jieqin.needs.matching import route_need
    from jieqin.testing.contract import make_need

    homes = {h.household_id: h for h in world()}
    context = Context(YEAR, on=DAY, paired_households={"t1", "w3"})
    for household_id, member_id, routed in (("t1", "t1-3", True), ("w3", "w3-2", False)):
        need = make_need(
            f"n-{member_id}", household_id, kind="schooling", member_id=member_id, period=YEAR
        )
        result = route_need(
            need, household=homes[household_id], context=context, programs=tongchuan_programs()
        )
        assert (result.route is not None and result.route.target == SCHOLARSHIP) is routed
