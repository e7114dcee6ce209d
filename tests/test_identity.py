"""Resident ID numbers: generated numbers validate, single-digit changes do not."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jieqin.errors import InvalidResidentId
from jieqin.model import Sex, mask_resident_id, resident_id_birth_date, validate_resident_id
from jieqin.model.identity import birthplace_codes, resident_id_sex_digit
from jieqin.testing.strategies import resident_ids

VALID = "11010519491231002X"


@given(resident_ids())
def test_every_generated_number_validates(number: str) -> None:
    assert validate_resident_id(number) == number


@given(resident_ids(birth_date=date(2003, 9, 1), sex=Sex.FEMALE, within="6102"))
def test_generated_numbers_embed_birth_date_sex_and_place(number: str) -> None:
    assert resident_id_birth_date(number) == date(2003, 9, 1)
    assert resident_id_sex_digit(number) % 2 == 0
    assert number[:6] in birthplace_codes(2003, within="6102")


@given(resident_ids(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_every_single_character_change_is_rejected(number: str, position: int, char: str) -> None:
    if position < 17 and char == "X":
        char = "0"
    if number[position] == char:
        return
    changed = number[:position] + char + number[position + 1 :]
    with pytest.raises(InvalidResidentId):
        validate_resident_id(changed)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("11010519491231002", "wrong length"),
        ("1101051949123100A2", "not digits"),
        ("11010519491231002Y", "bad check digit"),
        ("110105194913310027", "bad birth date"),
    ],
)
def test_errors_name_field_and_reason_and_never_the_number(number: str, reason: str) -> None:
    if reason == "bad birth date":
        from jieqin.model.identity import check_digit

        number = number[:17] + check_digit(number[:17])
    with pytest.raises(InvalidResidentId) as info:
        validate_resident_id(number, field="members[2].resident_id")
    message = str(info.value)
    assert message.startswith("members[2].resident_id: ")
    assert reason in message
    assert number not in message
    assert isinstance(info.value, ValueError)


def test_unknown_birth_place_is_rejected() -> None:
    from jieqin.model.identity import check_digit

    first17 = "61020419700101001"  # Yaozhou district had another code before 2002
    with pytest.raises(InvalidResidentId, match="birth-place"):
        validate_resident_id(first17 + check_digit(first17))


def test_mask_shows_only_the_ends() -> None:
    assert mask_resident_id(VALID) == "1101************2X"
    assert VALID not in mask_resident_id(VALID)
