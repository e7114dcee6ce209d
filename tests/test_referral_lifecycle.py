"""Property tests of the referral life cycle on every backend: random sequences of the
steps an agency reports (through the API and through an imported referral-outcomes
file) follow ``referred -> accepted | rejected -> completed``; an illegal step is
refused and changes nothing; a rejected referral's need is opened again exactly once;
and the overdue list is the one a naive count of the stored referrals gives."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin.errors import InvalidInput, InvalidValue, JieqinError, ReferralSettled
from jieqin.model import NeedStatus, Referral, ReferralStatus, Route, RouteKind
from jieqin.model.reference import REFERRAL_OUTCOMES

sys.path.insert(0, str(Path(__file__).parent))
from referral_world import CENTER, connected, need

BASE = date(2021, 3, 1)
OUTCOMES = [c.code for c in REFERRAL_OUTCOMES]
_ids = itertools.count(1)

#: One step: what is done (through the API, or a file row), days after BASE, the
#: outcome code a completion names ("bogus" is none), the status a file row reports.
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["accept", "reject", "complete", "report"]),
        st.integers(-3, 40),
        st.sampled_from([*OUTCOMES[:3], "bogus"]),
        st.sampled_from(["accepted", "rejected", "completed"]),
    ),
    max_size=7,
)

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def campaign(campaign_url: str) -> Iterator[jieqin.Campaign]:
    with connected(campaign_url) as opened:
        yield opened


@attrs.frozen
class Expected:
    """What the referral should be: the model the test keeps beside the storage."""

    status: str = "referred"
    accepted_on: date | None = None
    rejected_on: date | None = None
    completed_on: date | None = None
    outcome: str | None = None


#: Status -> the statuses it may come from (written out here, apart from the code).
_FROM = {
    "accepted": {"referred"},
    "rejected": {"referred"},
    "completed": {"referred", "accepted"},
}


def _expect(now: Expected, status: str, day: date, outcome: str, again: bool) -> Expected | str:
    """The referral after the step, or why it is refused (``settled``, ``day``, ``code``)."""
    if again:
        already = (
            (status == "accepted" and now.accepted_on == day)
            or (status == "rejected" and now.status == "rejected" and now.rejected_on == day)
            or (
                status == "completed"
                and now.status == "completed"
                and (now.completed_on, now.outcome) == (day, outcome)
            )
        )
        if already:
            return now
    if now.status not in _FROM[status]:
        return "settled"
    if day < (now.accepted_on if status == "completed" and now.accepted_on else BASE):
        return "day"
    if status == "accepted":
        return attrs.evolve(now, status=status, accepted_on=day)
    if status == "rejected":
        return attrs.evolve(now, status=status, rejected_on=day)
    if outcome == "bogus":
        return "code"
    return attrs.evolve(now, status=status, completed_on=day, outcome=outcome)


def _start(campaign: jieqin.Campaign) -> tuple[str, str]:
    """A need of h1-2 routed to the center, and its referral made on BASE."""
    n = next(_ids)
    need_id, referral_id = f"lc{n}", f"rlc{n}"
    routed = attrs.evolve(
        need(need_id, "h1", "h1-2"),
        status=NeedStatus.ROUTED,
        route=Route(RouteKind.REFERRAL, CENTER),
    )
    with campaign.unit_of_work("test") as uow:
        uow.needs.add(routed)
        uow.referrals.add(
            Referral(referral_id, need_id, "h1", CENTER, BASE, "h1-2", due_on=BASE + timedelta(30))
        )
        uow.commit()
    return need_id, referral_id


def _do(campaign: jieqin.Campaign, folder: Path, rid: str, step: tuple[str, int, str, str]) -> None:
    op, offset, outcome, reported = step
    day = BASE + timedelta(offset)
    if op == "accept":
        campaign.accept_referral(rid, day)
    elif op == "reject":
        campaign.reject_referral(rid, "full", day)
    elif op == "complete":
        campaign.complete_referral(rid, day, outcome=outcome)
    else:
        code = outcome if reported == "completed" else ""
        reason = "full" if reported == "rejected" else ""
        path = folder / "outcomes.csv"
        path.write_text(
            f"referral_id,status,on,outcome,reason\n{rid},{reported},{day},{code},{reason}\n",
            encoding="utf-8",
        )
        campaign.import_file("referral-outcomes", path)


def _stored(campaign: jieqin.Campaign, need_id: str, rid: str) -> tuple[object, object]:
    with campaign.unit_of_work("reader", read_only=True) as uow:
        return uow.referrals.get(rid), uow.needs.get(need_id)


_REFUSED = {
    "settled": ReferralSettled,
    "day": InvalidValue,
    "code": InvalidInput,
}


@SETTINGS
@given(steps=STEPS)
def test_random_steps_follow_the_life_cycle(
    campaign: jieqin.Campaign, tmp_path: Path, steps: list[tuple[str, int, str, str]]
) -> None:
    need_id, rid = _start(campaign)
    model = Expected()
    for step in steps:
        op, offset, outcome, reported = step
        status = {"accept": "accepted", "reject": "rejected", "complete": "completed"}.get(
            op, reported
        )
        code = outcome if status == "completed" else ""
        expected = _expect(model, status, BASE + timedelta(offset), code, again=op == "report")
        before = _stored(campaign, need_id, rid)
        if isinstance(expected, str):
            # a file row is refused whole, as InvalidInput naming its line
            refused = InvalidInput if op == "report" else _REFUSED[expected]
            with pytest.raises(refused):
                _do(campaign, tmp_path, rid, step)
            assert _stored(campaign, need_id, rid) == before
            continue
        _do(campaign, tmp_path, rid, step)
        model = expected
        referral, _ = _stored(campaign, need_id, rid)
        assert attrs.asdict(
            Expected(**{f: getattr(referral, f) for f in attrs.fields_dict(Expected)})
        ) == attrs.asdict(model)  # type: ignore[arg-type]
    referral, stored_need = _stored(campaign, need_id, rid)
    assert referral.status == model.status  # type: ignore[attr-defined]
    want = {
        "rejected": NeedStatus.OPEN,
        "completed": NeedStatus.RESOLVED,
    }.get(model.status, NeedStatus.ROUTED)
    assert stored_need.status is want  # type: ignore[attr-defined]
    with campaign.unit_of_work("reader", read_only=True) as uow:
        entries = uow.audit.entries(entity="needs", entity_id=need_id)
    reopened = [e for e in entries if e.changes.get("status") == {"from": "routed", "to": "open"}]
    assert len(reopened) == (1 if model.status == "rejected" else 0)


# --- the overdue list -------------------------------------------------------------------


@st.composite
def _referrals(draw: st.DrawFn, prefix: str) -> list[Referral]:
    """Referrals of need n1 at any step, with or without a due day."""
    out = []
    for i in range(draw(st.integers(0, 8))):
        made = BASE + timedelta(draw(st.integers(0, 60)))
        later = st.integers(0, 60).map(lambda n, made=made: made + timedelta(n))
        status = draw(st.sampled_from(list(ReferralStatus)))
        steps: dict[str, object] = {}
        if status is ReferralStatus.ACCEPTED:
            steps["accepted_on"] = draw(later)
        elif status is ReferralStatus.REJECTED:
            steps.update(rejected_on=draw(later), rejection_reason="full")
        elif status is ReferralStatus.COMPLETED:
            steps.update(completed_on=draw(later), outcome="employed")
        due = draw(st.none() | later)
        out.append(
            Referral(f"{prefix}-{i}", "n1", "h1", CENTER, made, due_on=due, status=status, **steps)  # type: ignore[arg-type]
        )
    return out


@SETTINGS
@given(data=st.data(), offset=st.integers(0, 150))
def test_the_overdue_list_is_a_naive_count(
    campaign: jieqin.Campaign, data: st.DataObject, offset: int
) -> None:
    prefix = f"ov{next(_ids)}"
    referrals = data.draw(_referrals(prefix))
    with campaign.unit_of_work("test") as uow:
        uow.referrals.add_many(referrals)
        uow.commit()
    day = BASE + timedelta(offset)
    listed = [
        (o.referral.referral_id, o.days_overdue)
        for o in campaign.overdue_referrals(day)
        if o.referral.referral_id.startswith(f"{prefix}-")
    ]
    naive = []
    for r in referrals:
        ended = [d for d in (r.rejected_on, r.completed_on) if d is not None]
        still_open = r.referred_on <= day and not any(d <= day for d in ended)
        if still_open and r.due_on is not None and (day - r.due_on).days > 0:
            naive.append((r.referral_id, (day - r.due_on).days))
    naive.sort(key=lambda x: (-x[1], x[0]))
    assert listed == naive


def test_an_illegal_step_of_any_kind_is_a_jieqin_error(campaign: jieqin.Campaign) -> None:
    need_id, rid = _start(campaign)
    campaign.reject_referral(rid, "full", BASE)
    for attempt in (
        lambda: campaign.accept_referral(rid, BASE),
        lambda: campaign.complete_referral(rid, BASE, outcome="employed"),
        lambda: campaign.reject_referral(rid, "again", BASE),
    ):
        with pytest.raises(JieqinError):
            attempt()
    with campaign.unit_of_work("reader", read_only=True) as uow:
        assert uow.needs.get(need_id).status is NeedStatus.OPEN
