"""A risk warning's lifecycle on every backend: assigned to the paired helper or the
township's clerk, checked at home by someone allowed, confirmed as a monitoring
category (the household's status and needs follow) or dismissed with a reason; steps
never move back; the overdue list is exactly the warnings whose check is late."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin.errors import InvalidValue, JieqinError, NotFound
from jieqin.model import Month
from jieqin.model.monitoring import RiskWarning, WarningStatus
from jieqin.security import STANDARD_ROLES, NotPermitted, Principal
from jieqin.services.warning_lifecycle import (
    Confirmed,
    WarningStepRefused,
    assign,
    overdue_warnings,
)
from jieqin.storage.memory import MemoryStorage
from jieqin.testing.contract import make_helper, make_household

sys.path.insert(0, str(Path(__file__).parent))
from monitoring_lifecycle_world import TODAY, Calendar, populate, raise_warnings, warning


@pytest.fixture
def calendar() -> Calendar:
    return Calendar()


@pytest.fixture
def village(campaign_url: str, calendar: Calendar) -> Iterator[jieqin.Campaign]:
    with jieqin.connect(campaign_url, clock=calendar) as campaign:
        populate(campaign)
        yield campaign


# -- assignment -------------------------------------------------------------------------


def test_a_warning_goes_to_the_paired_helper_or_the_township_clerk(
    village: jieqin.Campaign,
) -> None:
    paired, alone = raise_warnings(village, warning("hh001", "rw1"), warning("hh002", "rw2"))
    assert (paired.status, paired.assigned_to, paired.assigned_on) == (
        WarningStatus.ASSIGNED,
        "h001",
        date(2021, 12, 1),
    )
    household = make_household("hh002")
    assert alone.assigned_to == f"township:{household.region.code[:9]}"
    assert [w.warning_id for w in village.warnings(status="assigned")] == ["rw1", "rw2"]


def test_assigning_twice_is_refused() -> None:
    storage = MemoryStorage()
    with storage.unit_of_work("t") as uow:
        uow.households.add(make_household("hh001"))
        assigned = assign(uow, warning())
        with pytest.raises(WarningStepRefused, match="assigned"):
            assign(uow, assigned)


# -- the home check and the decision -----------------------------------------------------


def test_a_confirmation_sets_the_status_from_the_check_and_raises_needs(
    village: jieqin.Campaign,
) -> None:
    raise_warnings(village, warning(rules=("income_fell", "medical_burden")))
    outcome = village.check_warning(
        "rw1",
        "confirmed",
        category="sudden_difficulty",
        note="户主住院",
        checked_by="h001",
        on=date(2021, 12, 5),
        actor="clerk:li",
    )
    assert isinstance(outcome, Confirmed)
    w = outcome.warning
    assert (w.status, w.checked_by, w.checked_on, w.decided_on, w.category) == (
        WarningStatus.CONFIRMED,
        "h001",
        date(2021, 12, 5),
        date(2021, 12, 5),
        "sudden_difficulty",
    )
    with village.unit_of_work("t", read_only=True) as uow:
        household = uow.households.get("hh001")
        needs = uow.needs.list(household_id="hh001")
    assert household.status_on(date(2021, 12, 4)) == "unstable"
    assert household.status_on(date(2021, 12, 5)) == "sudden_difficulty"
    assert household.status_history[-1].note.endswith("warning rw1")
    kinds = {n.kind for n in needs if n.member_id is None}
    assert kinds == {"employment", "medical"}
    assert {n.need_id for n in needs} >= {n.need_id for n in outcome.needs}
    assert all(n.status.value == "open" for n in needs)


def test_a_dismissal_changes_no_status(village: jieqin.Campaign) -> None:
    raise_warnings(village, warning())
    outcome = village.check_warning(
        "rw1", "dismissed", reason="一次性支出，收入正常", checked_by="h001"
    )
    assert isinstance(outcome, RiskWarning)
    assert (outcome.status, outcome.reason) == (WarningStatus.DISMISSED, "一次性支出，收入正常")
    with village.unit_of_work("t", read_only=True) as uow:
        assert uow.households.get("hh001").status == "unstable"
        assert uow.needs.count() == 0


def test_only_an_allowed_checker_checks(village: jieqin.Campaign) -> None:
    raise_warnings(village, warning("hh001", "rw1"), warning("hh002", "rw2"))
    with pytest.raises(NotPermitted, match="not paired"):
        village.check_warning("rw1", "dismissed", reason="无", checked_by="h002")
    clerk = f"township:{make_household('hh002').region.code[:9]}"
    done = village.check_warning("rw2", "dismissed", reason="无风险", checked_by=clerk)
    assert isinstance(done, RiskWarning)
    assert done.checked_by == clerk
    # a helper's principal may not check as themselves: helpers check by their id
    helper = Principal("helper:h002", STANDARD_ROLES["helper"], helper_id="h002")
    with pytest.raises(NotPermitted):
        village.acting_as(helper).check_warning("rw1", "dismissed", reason="无")
    assert village.warnings(status="assigned")[0].warning_id == "rw1"


def test_a_failed_check_writes_nothing(village: jieqin.Campaign) -> None:
    raise_warnings(village, warning())
    with pytest.raises(InvalidValue, match="not a monitored status"):
        village.check_warning("rw1", "confirmed", category="lifted_out", checked_by="h001")
    assert village.warnings()[0].status is WarningStatus.ASSIGNED


def test_steps_never_move_back(village: jieqin.Campaign) -> None:
    raise_warnings(village, warning())
    village.check_warning("rw1", "dismissed", reason="无风险", checked_by="h001")
    with pytest.raises(WarningStepRefused, match="a decision stands"):
        village.check_warning("rw1", "confirmed", category="unstable", checked_by="h001")
    with village.unit_of_work("clerk") as uow:
        stored = uow.warnings.get("rw1")
        back = attrs.evolve(
            stored,
            status=WarningStatus.CHECKED,
            decided_by=None,
            decided_on=None,
            reason="",
        )
        with pytest.raises(JieqinError):
            uow.warnings.update(back)
    assert village.warnings()[0].status is WarningStatus.DISMISSED


def test_unknown_warning(village: jieqin.Campaign) -> None:
    with pytest.raises(NotFound, match="no warning rw9"):
        village.check_warning("rw9", "dismissed", reason="无")


# -- overdue ------------------------------------------------------------------------------


def test_overdue_checks_most_late_first(village: jieqin.Campaign, calendar: Calendar) -> None:
    raise_warnings(
        village,
        warning("hh001", "rw1", raised_on=date(2021, 11, 1)),
        warning("hh002", "rw2", raised_on=date(2021, 11, 10)),
        warning("hh002", "rw3", raised_on=date(2021, 12, 1)),
    )
    late = village.overdue_warnings(date(2021, 12, 7))
    assert [(o.warning.warning_id, o.days_overdue) for o in late] == [("rw1", 21), ("rw2", 12)]
    village.check_warning("rw1", "dismissed", reason="无风险", checked_by="h001")
    assert [o.warning.warning_id for o in village.overdue_warnings(TODAY)] == ["rw2"]
    assert [w.warning_id for w in village.warnings(overdue_on=TODAY)] == ["rw2"]


_DAY0 = date(2021, 10, 1)


@st.composite
def _warnings(draw: st.DrawFn) -> list[RiskWarning]:
    """Warnings raised on days of two months, due 1-20 days later, some checked."""
    out = []
    for n in range(draw(st.integers(0, 12))):
        raised = _DAY0 + timedelta(days=draw(st.integers(0, 60)))
        due = raised + timedelta(days=draw(st.integers(0, 20)))
        w = RiskWarning(f"rw{n:02d}", "hh001", ["income_fell"], Month(2021, 9), raised, due)
        w = attrs.evolve(w, status="assigned", assigned_to="h001", assigned_on=raised)
        if draw(st.booleans()):
            checked = raised + timedelta(days=draw(st.integers(0, 40)))
            w = attrs.evolve(w, status="checked", checked_by="h001", checked_on=checked)
        out.append(w)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_warnings(), st.integers(0, 110))
def test_the_overdue_list_is_a_naive_recomputation(
    warnings: list[RiskWarning], offset: int
) -> None:
    as_of = _DAY0 + timedelta(days=offset)
    storage = MemoryStorage()
    with storage.unit_of_work("t") as uow:
        uow.households.add(make_household("hh001"))
        uow.helpers.add(make_helper("h001"))
        uow.warnings.add_many(warnings)
        found = overdue_warnings(uow, as_of)
    naive = []
    for w in warnings:
        checked_in_time = w.checked_on is not None and w.checked_on <= as_of
        if as_of > w.check_due and not checked_in_time:
            naive.append((w.warning_id, (as_of - w.check_due).days))
    naive.sort(key=lambda pair: (-pair[1], pair[0]))
    assert [(o.warning.warning_id, o.days_overdue) for o in found] == naive
    assert all(o.days_overdue > 0 for o in found)
