"""Each validator says which field is wrong and why."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
import pytest

import jieqin
from jieqin.errors import InvalidPeriod, InvalidValue

ID = "11010519491231002X"


def member(**changes: object) -> jieqin.Member:
    base = jieqin.Member("m1", "张秀英", "female", date(1949, 12, 31), ID)
    return attrs.evolve(base, **changes)


def household(**changes: object) -> jieqin.Household:
    base = jieqin.Household(
        "h1",
        jieqin.RegionCode("610202001001"),
        (member(),),
        (
            jieqin.StatusChange("poor", date(2016, 1, 1)),
            jieqin.StatusChange("lifted_out", date(2019, 12, 1)),
        ),
    )
    return attrs.evolve(base, **changes)


@pytest.mark.parametrize(
    ("build", "field", "reason"),
    [
        (
            lambda: member(birth_date=date(1950, 1, 1)),
            "resident_id",
            "does not agree with birth_date",
        ),
        (lambda: member(sex="unknown"), "sex", "is not one of: male, female"),
        (lambda: member(name=" "), "name", "non-empty"),
        (lambda: member(member_id="a b"), "member_id", "is not an id"),
        (lambda: member(disability_grade=5), "disability_grade", "1 to 4"),
        (lambda: member(phone="call me"), "phone", "not a phone number"),
        (lambda: member(relation="cousin"), "relation", "is not one of"),
        (lambda: household(members=()), "members", "at least one member"),
        (lambda: household(members=(member(relation="spouse"),)), "members", "exactly one head"),
        (lambda: household(region=jieqin.RegionCode("610202")), "region", "village"),
        (lambda: household(status_history=()), "status_history", "at least one status"),
        (
            lambda: household(
                status_history=(
                    jieqin.StatusChange("poor", date(2020, 1, 1)),
                    jieqin.StatusChange("lifted_out", date(2019, 1, 1)),
                )
            ),
            "status_history[1].since",
            "increasing date order",
        ),
        (lambda: jieqin.StatusChange("Lifted Out", date(2020, 1, 1)), "status", "is not a code"),
        (
            lambda: jieqin.Helper(
                "p1", "王伟", "city_member", jieqin.RegionCode("610202"), capacity=0
            ),
            "capacity",
            ">= 1",
        ),
        (
            lambda: jieqin.Helper(
                "p1", "王伟", "city_member", jieqin.RegionCode("610202"), sectors={"Medical"}
            ),
            "sectors",
            "is not a code",
        ),
        (lambda: jieqin.Fund("f1", "p", jieqin.Year(2021), 1.5), "budget", "not float"),
        (
            lambda: jieqin.Fund("f1", "p", jieqin.Year(2021), "1.005"),
            "budget",
            "fractions of a fen",
        ),
        (lambda: jieqin.Fund("f1", "p", jieqin.Year(2021), "-1"), "budget", "must not be negative"),
        (
            # an ID number typed into an amount column: refused by name, never stored
            lambda: jieqin.Fund("f1", "p", jieqin.Year(2021), "610220196112020027"),
            "budget",
            "larger than the largest allowed",
        ),
    ],
)
def test_validator_names_field_and_reason(build, field: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidValue) as info:
        build()
    assert info.value.field == field
    assert reason in info.value.reason
    assert str(info.value).startswith(f"{field}: ")
    assert ID not in str(info.value)


def test_sensitive_fields_are_masked_in_repr() -> None:
    m = member(
        phone="13800138000", health=jieqin.Health("major_illness", "尿毒症"), disability_grade=2
    )
    text = repr(m)
    assert ID not in text
    assert "13800138000" not in text
    assert "尿毒症" not in text
    assert "major_illness" not in text


def test_status_on_uses_the_history() -> None:
    h = household()
    assert h.status_on(date(2015, 1, 1)) is None
    assert h.status_on(date(2018, 6, 1)) == "poor"
    assert h.status_on(date(2021, 6, 1)) == "lifted_out"
    assert not h.monitored_on(date(2021, 6, 1))


def test_age_on() -> None:
    m = member()
    assert m.age_on(date(2021, 12, 30)) == 71
    assert m.age_on(date(2021, 12, 31)) == 72


@pytest.mark.parametrize(
    ("text", "expected", "start", "end"),
    [
        ("2021", jieqin.Year(2021), date(2021, 1, 1), date(2021, 12, 31)),
        ("2021Q1", jieqin.Quarter(2021, 1), date(2021, 1, 1), date(2021, 3, 31)),
        ("2021q4", jieqin.Quarter(2021, 4), date(2021, 10, 1), date(2021, 12, 31)),
        ("2020-02", jieqin.Month(2020, 2), date(2020, 2, 1), date(2020, 2, 29)),
    ],
)
def test_periods_parse_and_print(
    text: str, expected: jieqin.Period, start: date, end: date
) -> None:
    period = jieqin.parse_period(text)
    assert period == expected
    assert (period.start, period.end) == (start, end)
    assert jieqin.parse_period(str(period)) == period


@pytest.mark.parametrize("text", ["21", "2021Q5", "2021-13", "2021-1", "Q1 2021", ""])
def test_bad_periods_say_what_is_expected(text: str) -> None:
    with pytest.raises(InvalidPeriod, match="2021Q1"):
        jieqin.parse_period(text)


def test_money_is_decimal_with_two_places() -> None:
    assert jieqin.yuan(5000) == Decimal("5000.00")
    assert str(jieqin.yuan("70,000")) == "70000.00"
    with pytest.raises(InvalidValue, match="not float"):
        jieqin.yuan(0.1)  # type: ignore[arg-type]
