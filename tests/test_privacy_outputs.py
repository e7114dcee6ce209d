"""Nothing inferable from masked output.

A masked record (an exported household, helper, need or activity; an explanation)
reads the same whatever its sensitive values are; needs that tell a health fact are
left out; free text is scanned; and what is sensitive comes from the registry (the
facts' ``sensitive`` flag, the need kinds, the need rules, the cadence categories).
"""

from __future__ import annotations

import functools
import io
import json
import uuid
from datetime import date
from typing import Any

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin._free_text import mask_bank_cards, mask_free_text
from jieqin.activities.cadence import CadencePolicy, HouseholdCategory, default_policy
from jieqin.activities.overdue import Overdue, TrackOverdue, sensitive_categories
from jieqin.cli import cli
from jieqin.io.exporter import write_records
from jieqin.io.sensitive import MASKED, Sensitivity, mask_record, sensitivity_of
from jieqin.model import Activity, Health, HealthCondition, Household, Member, Need, Route, Year
from jieqin.needs import STANDARD_NEED_KINDS, STANDARD_NEED_RULES, NeedRule, sensitive_need_kinds
from jieqin.privacy import find_sensitive
from jieqin.rules import Context, Subject, check, fact, major_illness
from jieqin.testing import strategies as js

HISTORY = (jieqin.StatusChange("lifted_out", date(2020, 6, 30)),)
PHONES = st.one_of(st.none(), st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
GRADES = st.one_of(st.none(), st.integers(1, 4))
DIAGNOSES = st.one_of(st.none(), st.sampled_from(["尿毒症", "白血病", "高血压", "leukaemia"]))


@st.composite
def _sensitive_variant(draw: st.DrawFn, member: Member) -> Member:
    """``member`` with only its sensitive fields drawn afresh."""
    number = draw(st.one_of(st.none(), js.resident_ids(birth_date=member.birth_date)))
    health = Health(draw(st.sampled_from(list(HealthCondition))), draw(DIAGNOSES))
    return attrs.evolve(
        member,
        resident_id=number,
        health=health,
        disability_grade=draw(GRADES),
        phone=draw(PHONES),
    )


@st.composite
def _household_pairs(draw: st.DrawFn) -> tuple[Household, Household]:
    household = draw(js.households(max_members=4))
    members = [draw(_sensitive_variant(m)) for m in household.members]
    return household, attrs.evolve(household, members=tuple(members))


@functools.cache
def _illness_programme() -> Any:
    with jieqin.connect(f"memory://explain-{uuid.uuid4().hex}") as campaign:
        return campaign.aid_program("tc_major_illness_grant")


def _masked(records: list[object], kind: str, fmt: str) -> str:
    out = io.StringIO()
    write_records(records, kind, out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=_household_pairs())
def test_a_masked_household_does_not_depend_on_its_sensitive_values(
    fmt: str, pair: tuple[Household, Household]
) -> None:
    one, other = pair
    assert _masked([one], "households", fmt) == _masked([other], "households", fmt)


@settings(max_examples=40, deadline=None)
@given(helper=js.helpers(), phone=PHONES)
def test_a_masked_helper_does_not_depend_on_their_phone(helper: Any, phone: str | None) -> None:
    for fmt in ("csv", "jsonl"):
        changed = attrs.evolve(helper, phone=phone)
        assert _masked([helper], "helpers", fmt) == _masked([changed], "helpers", fmt)


def test_a_masked_column_is_the_same_placeholder_in_every_row() -> None:
    born = date(1980, 5, 1)
    healthy = Member("m-1", "张三", "male", born)
    disabled = attrs.evolve(
        healthy,
        member_id="m-2",
        relation="spouse",
        disability_grade=2,
        health=Health("major_illness", "尿毒症"),
    )
    household = Household("h-1", jieqin.RegionCode("610202100202"), (healthy, disabled), HISTORY)
    text = _masked([household], "households", "csv").splitlines()
    header = text[0].split(",")
    for line in text[1:]:
        row = dict(zip(header, line.split(","), strict=True))
        for column in ("resident_id", "health_condition", "diagnosis", "disability_grade", "phone"):
            assert row[column] == MASKED, (column, row)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=_household_pairs(), paired=st.booleans())
def test_a_masked_explanation_does_not_depend_on_health(
    pair: tuple[Household, Household], paired: bool
) -> None:
    program = _illness_programme()
    shown = []
    for household in pair:
        context = Context(Year(2021), paired_households={household.household_id} if paired else ())
        subject = Subject(household.members[0], household, context)
        explained = program.explain(subject)
        shown.append(
            (
                explained.shown_conditions(),
                explained.shown_eligible(),
                explained.shown_reason(),
                dict(explained.inputs),
                repr(explained),
            )
        )
    assert shown[0] == shown[1]
    assert shown[0][1] is None  # the outcome of a health programme is not shown
    assert "major_illness" not in shown[0][4]


def test_a_revealed_explanation_still_says_everything() -> None:
    with jieqin.connect(f"memory://explain-{uuid.uuid4().hex}") as campaign:
        program = campaign.aid_program("tc_major_illness_grant")
    member = Member("m-1", "张三", "male", date(1980, 5, 1), health=Health("major_illness"))
    household = Household("h-1", jieqin.RegionCode("610202100202"), (member,), HISTORY)
    subject = Subject(member, household, Context(Year(2021), paired_households={"h-1"}))
    explained = program.explain(subject, reveal=True)
    assert explained.shown_eligible() is True
    assert [c["held"] for c in explained.shown_conditions()] == [True, True, True]


def test_needs_that_tell_health_are_left_out_and_activities_name_none() -> None:
    medical = Need("n-1", "h-1", "medical", Year(2021), "survey", date(2021, 3, 1), "m-1")
    routed = attrs.evolve(
        medical,
        need_id="n-2",
        kind="schooling",
        route=Route("program", "tc_major_illness_grant", "eligible: major_illness held"),
    )
    plain = attrs.evolve(medical, need_id="n-3", kind="employment", note="想在本地找工作")
    sensitivity = Sensitivity({"medical"}, {"tc_major_illness_grant"}).with_needs(
        [medical, routed, plain]
    )
    out = io.StringIO()
    count = write_records([medical, routed, plain], "needs", out, sensitivity=sensitivity)
    assert count == 1
    assert "n-1" not in out.getvalue()
    assert "n-2" not in out.getvalue()
    activity = Activity("a-1", "visit", date(2021, 4, 1), "hp-1", "h-1", "m-1", need_id="n-1")
    data = mask_record("activities", jieqin.io.converter.unstructure(activity), sensitivity)
    assert data is not None
    assert data["need_id"] is None


def test_the_sensitive_need_kinds_come_from_the_registry_and_the_rules() -> None:
    assert sensitive_need_kinds(STANDARD_NEED_KINDS, STANDARD_NEED_RULES) == {
        "medical",
        "disability_support",
    }
    own = NeedRule("dialysis", "dialysis_support", check("on_dialysis", fact("health") == "x"))
    grade = NeedRule("grade", "care_aid", check("severe", fact("disability_grade") <= 2))
    school = NeedRule("school", "schooling", check("young", fact("age") < 18))
    found = sensitive_need_kinds({}, [own, grade, school])
    assert found == {"dialysis_support", "care_aid"}
    assert major_illness().sensitive()
    assert not check("x", fact("age") > 3).sensitive()


def test_a_campaign_knows_its_sensitive_needs_and_programmes() -> None:
    with jieqin.connect(f"memory://sens-{uuid.uuid4().hex}") as campaign:
        sensitivity = sensitivity_of(campaign)
        kinds = campaign.need_kinds()
    assert {"medical", "disability_support"} <= sensitivity.need_kinds
    assert "tc_major_illness_grant" in sensitivity.programs
    assert "tc_freshman_scholarship" not in sensitivity.programs
    assert kinds["medical"].sensitive
    assert not kinds["employment"].sensitive


def test_free_text_is_scanned_on_output() -> None:
    note = "身份证610220196803020118 电话13900000001 卡号6222021234567890128 大病"
    masked = mask_free_text(note)
    assert "610220196803020118" not in masked
    assert "13900000001" not in masked
    assert "6222021234567890128" not in masked
    assert "大病" not in masked
    assert find_sensitive(masked, persons=["h-1"]) == []
    # sixteen digits failing the Luhn check are no card number
    assert mask_bank_cards("1234567890123456") == "1234567890123456"
    assert mask_bank_cards("4111 1111 1111 1111") == "4111********1111"


def test_the_issue_note_does_not_come_out_of_a_default_export() -> None:
    note = "身份证610220196803020118 电话13900000001 大病"
    url = f"memory://note-{uuid.uuid4().hex}"
    with jieqin.connect(url) as campaign:
        member = Member("h-1-1", "张三", "male", date(1968, 3, 2))
        with campaign.unit_of_work("test") as uow:
            uow.helpers.add(
                jieqin.Helper("hp-1", "李四", "county_member", jieqin.RegionCode("610202100"))
            )
            uow.households.add(
                Household("h-1", jieqin.RegionCode("610202100202"), (member,), HISTORY)
            )
            uow.pairings.add(jieqin.Pairing("hp-1", "h-1", date(2021, 1, 1)))
            uow.activities.add(
                Activity("a-1", "contact", date(2021, 4, 1), "hp-1", "h-1", note=note)
            )
            uow.commit()
        for fmt in ("csv", "jsonl"):
            out = io.StringIO()
            campaign.export("activities", out, format=fmt)
            text = out.getvalue()
            assert "610220196803020118" not in text, text
            assert "13900000001" not in text, text
            assert find_sensitive(text, persons=["h-1", "hp-1", "a-1"]) == [], text


def test_a_cadence_category_is_sensitive_by_what_it_reads() -> None:
    assert sensitive_categories(default_policy()) == {"major_illness_or_disability"}
    policy = CadencePolicy()
    policy.add_category(HouseholdCategory("bedridden", 30, lambda facts: facts.disabled))
    policy.add_category(HouseholdCategory("watched", 5, lambda facts: facts.monitored))
    assert sensitive_categories(policy) == {"major_illness_or_disability", "bedridden"}


def test_a_masked_overdue_row_names_no_category_or_interval() -> None:
    row = Overdue(
        "hp-1",
        "h-1",
        "major_illness_or_disability",
        40,
        (TrackOverdue("visit", 31, date(2021, 5, 2), 40, date(2021, 4, 1)),),
    )
    masked = json.dumps(row.masked_dict())
    assert "major_illness" not in masked
    assert "31" not in masked
    assert "every_days" not in masked


def test_an_overdue_list_from_the_command_line_names_no_category(tmp_path: Any) -> None:
    url = f"memory://overdue-{uuid.uuid4().hex}"
    with jieqin.connect(url) as campaign:
        member = Member("h-1-1", "张三", "male", date(1968, 3, 2), disability_grade=1)
        with campaign.unit_of_work("test") as uow:
            uow.helpers.add(
                jieqin.Helper("hp-1", "李四", "county_member", jieqin.RegionCode("610202100"))
            )
            uow.households.add(
                Household("h-1", jieqin.RegionCode("610202100202"), (member,), HISTORY)
            )
            uow.pairings.add(jieqin.Pairing("hp-1", "h-1", date(2021, 1, 1)))
            uow.commit()
        runner = CliRunner()
        for extra in ((), ("--json",)):
            result = runner.invoke(cli, ["overdue", "--as-of", "2021-12-31", "--url", url, *extra])
            assert result.exit_code == 0, result.output
            assert "h-1" in result.output
            assert find_sensitive(result.output, persons=["h-1", "hp-1"]) == [], result.output
