"""Masking utilities: resident IDs and phones never survive mask_text or a log record."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator

from hypothesis import given
from hypothesis import strategies as st

from jieqin.errors import InvalidValue
from jieqin.privacy import (
    MaskingFilter,
    find_sensitive,
    install_log_masking,
    mask_phone,
    mask_text,
    uninstall_log_masking,
)
from jieqin.testing.strategies import resident_ids

mobiles = st.builds(
    lambda head, rest: f"1{head}{rest:09d}", st.sampled_from("3456789"), st.integers(0, 10**9 - 1)
)
"""Mainland mobile numbers."""


def _grouped(number: str, sep: str) -> str:
    return f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}"


def test_mask_phone_keeps_three_and_two_digits() -> None:
    assert mask_phone("13812345678") == "138******78"
    assert mask_phone("138 1234 5678") == "138******78"
    assert mask_phone("1234") == "****"


@given(
    resident_ids(),
    mobiles,
    st.sampled_from(["", " ", "-"]),
    st.text(alphabet="铜川市王益区 ,:;()=", min_size=1, max_size=20),
)
def test_mask_text_leaves_no_id_or_phone(number: str, phone: str, sep: str, filler: str) -> None:
    text = f"{filler}{number}{filler}{_grouped(phone, sep)}{filler}{number.lower()}"
    masked = mask_text(text)
    assert find_sensitive(masked, resident_ids=[number], phones=[phone]) == []
    assert filler in masked


@given(resident_ids(), mobiles)
def test_find_sensitive_reports_what_is_there(number: str, phone: str) -> None:
    text = f"member {number} phone {_grouped(phone, ' ')} diagnosis 尿毒症"
    kinds = [f.kind for f in find_sensitive(text, diagnoses=["尿毒症"])]
    assert kinds == ["resident_id", "phone", "diagnosis"]
    assert all(number not in str(f) and phone not in str(f) for f in find_sensitive(text))


def test_find_sensitive_ignores_region_codes_dates_and_amounts() -> None:
    text = "610202001001 2021-03-01 60000.00 yuan 610202 households: 772"
    assert find_sensitive(text) == []


def test_a_number_with_a_wrong_check_digit_is_not_a_pattern_finding() -> None:
    assert find_sensitive("110105194912310021") == []
    assert [f.kind for f in find_sensitive("11010519491231002X")] == ["resident_id"]


@contextlib.contextmanager
def captured_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """Every record reaching the root logger, formatted, in a string buffer; log
    masking installed meanwhile (``import jieqin`` does not install it)."""
    install_log_masking()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    old = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield logging.getLogger("jieqin.storage.sql.some_module"), stream
    finally:
        uninstall_log_masking()
        root.removeHandler(handler)
        root.setLevel(old)


@given(number=resident_ids(), phone=mobiles)
def test_log_records_of_child_loggers_are_masked(number: str, phone: str) -> None:
    with captured_log() as (logger, stream):
        _log_everything(logger, number, phone)
    out = stream.getvalue()
    assert "Traceback" in out
    assert "importing member" in out
    assert find_sensitive(out, resident_ids=[number], phones=[phone]) == []


def _log_everything(logger: logging.Logger, number: str, phone: str) -> None:
    logger.info("importing member %s with phone %s", number, phone)
    logger.warning(f"inline {number} / {phone}")
    logging.getLogger("jieqin").error("on the package logger %r", {"id": number})
    logging.getLogger("sqlalchemy.engine.Engine").info("[parameters] (%r, %r)", number, phone)
    try:
        raise ValueError(f"bad member {number} {phone}")
    except ValueError:
        logger.exception("failed")


def test_other_loggers_are_left_alone() -> None:
    with captured_log() as (_, stream):
        logging.getLogger("someone.else").info("13812345678")
    assert "13812345678" in stream.getvalue()


def test_installing_twice_masks_once() -> None:
    with captured_log() as (logger, stream):
        install_log_masking()
        installed = install_log_masking()
        logger.info("call %s", "13812345678")
        assert logging.getLogger("jieqin").filters.count(installed) == 1
    assert stream.getvalue().count("138******78") == 1


def _logged(logger: logging.Logger, message: str) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        logger.warning(message)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_uninstalling_stops_masking_and_restores_the_record_factory() -> None:
    factory = logging.getLogRecordFactory()
    logger = logging.getLogger("jieqin.storage.sql.some_module")
    install_log_masking()
    assert logging.getLogRecordFactory() is not factory
    assert "138******78" in _logged(logger, "call 13812345678")
    uninstall_log_masking()
    assert logging.getLogRecordFactory() is factory
    assert logging.getLogger("jieqin").filters == []
    assert "13812345678" in _logged(logger, "call 13812345678")


def test_the_log_masking_fixture_masks_the_test_s_records(log_masking: MaskingFilter) -> None:
    assert log_masking in logging.getLogger("jieqin").filters
    assert "138******78" in _logged(logging.getLogger("jieqin.io"), "call 13812345678")


@given(
    resident_ids(),
    mobiles,
    st.text(alphabet=st.characters(max_codepoint=31), min_size=1, max_size=3),
    st.sampled_from(["true", "5", "2021-01-01", ""]),
)
def test_an_error_quoting_a_value_with_control_characters_shows_no_number(
    number: str, phone: str, control: str, before: str
) -> None:
    """Found by the nightly fuzzing: ``repr`` turned ``\\x00`` and a phone number into
    ``\\x0013800000001``, a run of digits the phone pattern did not recognise."""
    for value in (f"{before}{control}{phone}", f"{before}{control}{number}{control}"):
        error = InvalidValue(f"{value!r} is not true or false", field="active")
        assert find_sensitive(str(error), resident_ids=[number], phones=[phone]) == [], str(error)


@given(
    resident_ids(),
    mobiles,
    st.text(alphabet="0123456789", max_size=3),
    st.sampled_from(["true", "5", "2021-01-01", ""]),
)
def test_an_error_quoting_a_number_run_into_other_digits_shows_no_number(
    number: str, phone: str, digits: str, before: str
) -> None:
    """Also found by the nightly fuzzing: a lost comma gave ``'true013800000001'``."""
    for value in (f"{before}{digits}{phone}{digits}", f"{before}{digits}{number}"):
        error = InvalidValue(f"{value!r} is not true or false", field="active")
        assert find_sensitive(str(error), resident_ids=[number], phones=[phone]) == [], str(error)
