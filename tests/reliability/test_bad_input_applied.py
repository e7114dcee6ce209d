"""Broken files of the kinds applied to stored records (an agency's referral outcomes):
whatever the bytes, the import either succeeds or raises a ``JieqinError`` whose
problems name the file and a line of it (and the field, when one cell was broken),
writes nothing when it fails, and never shows a resident ID number or a phone.

Each example starts from a new in-memory campaign holding a referral, so that one
example's outcome never changes what the next one meets.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin.errors import InvalidInput, InvalidValue, JieqinError, Problem
from jieqin.io.kinds import KINDS
from jieqin.privacy import find_sensitive

from . import _world
from .test_bad_input import EXAMPLES, bad_cells

#: Every kind's records, the referral sent to an agency the installed plugins register.
RECORDS = _world.every_kind()
_AGENCY = "tc_employment_promotion_center"
RECORDS["needs"] = [attrs.evolve(n, kind="employment") for n in RECORDS["needs"]]
RECORDS["referrals"] = [attrs.evolve(r, agency=_AGENCY) for r in RECORDS["referrals"]]
SENSITIVE = _world.sensitive_values(RECORDS)
STORED = ("helpers", "households", "pairings", "needs", "referrals")
HEADER = ["referral_id", "status", "on", "outcome", "reason"]
VALID = [
    ["r1", "accepted", "2021-02-10", "", "已受理"],
    ["r1", "completed", "2021-03-01", "service_provided", "已安排复查"],
]
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([HEADER, *rows])
    return out.getvalue().encode("utf-8")


def _snapshot(campaign: jieqin.Campaign) -> dict[str, Any]:
    with campaign.unit_of_work() as uow:
        state: dict[str, Any] = {k: getattr(uow, k).list() for k in STORED}
        state["audit"] = uow.audit.count()
    return state


def _problems(error: JieqinError) -> list[Problem]:
    if isinstance(error, InvalidInput):
        return list(error.problems)
    if isinstance(error, InvalidValue):
        return [error.problem]
    return []


def _run(path: Path, data: bytes, *, line: int | None, column: str | None) -> None:
    path.write_bytes(data)
    with jieqin.connect("memory://") as campaign:
        with campaign.unit_of_work(actor="test:setup") as uow:
            for kind in STORED:
                getattr(uow, kind).add_many(RECORDS[kind])
            uow.commit()
        before = _snapshot(campaign)
        error = _import(campaign, path)
        if error is None:
            return
        problems = _problems(error)
        assert problems, f"{type(error).__name__} lists no problem: {error}"
        lines = data.count(b"\n") + 1
        for problem in problems:
            assert problem.source == path.name, str(problem)
            assert problem.line is not None, str(problem)
            assert 1 <= problem.line <= lines, str(problem)
        if column is not None and line is not None:
            assert any(p.line == line for p in problems), str(error)
        assert find_sensitive(str(error), **SENSITIVE, patterns=False) == [], str(error)
        assert _snapshot(campaign) == before, "a failed import wrote something"


def _import(campaign: jieqin.Campaign, path: Path) -> JieqinError | None:
    """The import's error (any other exception fails the test), or ``None``."""
    try:
        campaign.import_file("referral-outcomes", path, actor="test:fuzz")
    except JieqinError as error:
        return error
    return None


def test_the_valid_file_imports(tmp_path: Path) -> None:
    path = tmp_path / "referral-outcomes.csv"
    path.write_bytes(_csv(VALID))
    with jieqin.connect("memory://") as campaign:
        with campaign.unit_of_work(actor="test:setup") as uow:
            for kind in STORED:
                getattr(uow, kind).add_many(RECORDS[kind])
            uow.commit()
        campaign.import_file("referral-outcomes", path, actor="test")
        with campaign.unit_of_work() as uow:
            referral = uow.referrals.get("r1")
    assert referral.completed_on is not None
    assert referral.outcome == "service_provided"


@FUZZ
@given(row=st.integers(0, 1), column=st.integers(0, len(HEADER) - 1), cell=bad_cells)
def test_a_bad_value(tmp_path: Path, row: int, column: int, cell: str) -> None:
    rows = [list(r) for r in VALID]
    rows[row][column] = cell
    _run(tmp_path / "referral-outcomes.csv", _csv(rows), line=row + 2, column=HEADER[column])


@FUZZ
@given(drop=st.integers(0, len(HEADER) - 1))
def test_a_missing_column(tmp_path: Path, drop: int) -> None:
    rows = [[c for i, c in enumerate(r) if i != drop] for r in [HEADER, *VALID]]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    _run(tmp_path / "referral-outcomes.csv", out.getvalue().encode(), line=None, column=None)


@FUZZ
@given(data=st.data())
def test_broken_bytes(tmp_path: Path, data: st.DataObject) -> None:
    raw = bytearray(_csv(VALID))
    at = data.draw(st.integers(0, len(raw) - 1))
    raw[at : at + 1] = data.draw(st.binary(min_size=0, max_size=4))
    _run(tmp_path / "referral-outcomes.csv", bytes(raw), line=None, column=None)


def test_this_module_covers_every_applied_kind() -> None:
    assert {k for k, spec in KINDS.items() if spec.applied} == {"referral-outcomes"}


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIEQIN_LANG", "en")
