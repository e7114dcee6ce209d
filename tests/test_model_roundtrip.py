"""Every model type survives a JSON round trip unchanged."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jieqin
from jieqin.io import from_json, to_json
from jieqin.model import MODEL_TYPES


@pytest.mark.parametrize("cls", MODEL_TYPES, ids=lambda c: c.__name__)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_json_round_trip_equals_the_original(cls: type, data: st.DataObject) -> None:
    value = data.draw(st.from_type(cls))
    text = to_json(value)
    json.loads(text)  # it is real JSON
    assert from_json(text, cls) == value


@settings(max_examples=30, deadline=None)
@given(st.from_type(jieqin.Household))
def test_money_and_dates_are_strings_in_json(household: jieqin.Household) -> None:
    data = json.loads(to_json(household))
    assert isinstance(data["region"], str)
    assert all(isinstance(m["birth_date"], str) for m in data["members"])


def test_decimal_is_a_string_and_float_is_refused() -> None:
    fund = jieqin.Fund("f1", "scholarship", jieqin.Year(2021), "70000")
    data = json.loads(to_json(fund))
    assert data["budget"] == "70000.00"
    data["budget"] = 70000.5
    with pytest.raises(jieqin.InvalidInput, match=r"budget: amount must be written as a string"):
        from_json(json.dumps(data), jieqin.Fund)
