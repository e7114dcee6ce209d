"""Importing validates every resident ID number; its fast path must agree with stdnum."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from jieqin.errors import InvalidResidentId
from jieqin.model.identity import birthplace_codes, validate_resident_id

PLACES = sorted({*birthplace_codes(1950), *birthplace_codes(2015), "610202", "999999", "110000"})


@st.composite
def numbers(draw: st.DrawFn) -> str:
    place = draw(st.sampled_from(PLACES) | st.text("0123456789", min_size=6, max_size=6))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)))
    digits = f"{place}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    if draw(st.booleans()):  # an impossible date
        digits = digits[:10] + draw(st.sampled_from(["1301", "0230", "0000", "0431"])) + digits[14:]
    check = ric.calc_check_digit(digits + "0")
    if draw(st.integers(0, 4)) == 0:
        check = draw(st.sampled_from("0123456789X"))
    return digits + check


@settings(max_examples=400, deadline=None)
@given(numbers())
def test_accepts_exactly_what_stdnum_accepts(number: str) -> None:
    try:
        accepted = validate_resident_id(number) == number
    except InvalidResidentId:
        accepted = False
    try:
        expected = ric.is_valid(number)
    except KeyError:  # stdnum knows some codes only as a prefecture or province
        expected = False
    assert accepted == expected
