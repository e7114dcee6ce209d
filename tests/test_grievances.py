"""Grievances: their stages, due days, the overdue list and the one write path, on
every backend; masked listings; the report's counts."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.errors import IllegalStageChange, InvalidInput, InvalidValue
from jieqin.model import Grievance, GrievanceStage, GrievanceTarget
from jieqin.model.grievances import NEXT_STAGES
from jieqin.reports import render
from jieqin.services import grievances as service
from jieqin.storage.counted import TablesReadModel

sys.path.insert(0, str(Path(__file__).parent))
from grievance_world import TODAY, connected, store

SECRET = "我母亲尿毒症透析，电话13812345678"


def received(grievance_id: str = "gv1", **changes: object) -> Grievance:
    grievance = Grievance(
        grievance_id=grievance_id,
        household_id="h1",
        member_id="h1-1",
        channel="phone",
        category="need_unmet",
        received_on=date(2021, 5, 10),
        due_on=date(2021, 7, 9),
        description=SECRET,
    )
    return attrs.evolve(grievance, **changes)


def at(stage: GrievanceStage) -> Grievance:
    """A grievance that reached ``stage`` the straight way."""
    g = received()
    if stage is GrievanceStage.RECEIVED:
        return g
    g = g.started(date(2021, 5, 11), "clerk")
    if stage is GrievanceStage.IN_PROGRESS:
        return g
    g = g.answered_with("已答复", date(2021, 6, 1), "clerk")
    if stage is GrievanceStage.ANSWERED:
        return g
    return g.closed(date(2021, 6, 5), "clerk")


def moved(g: Grievance, stage: GrievanceStage) -> Grievance:
    """``g`` written as if it were in ``stage`` (with that stage's facts), by hand."""
    target = at(stage)
    names = ("stage", "started_on", "started_by", "answered_on", "answered_by", "answer")
    names += ("closed_on", "closed_by", "closing_note")
    return attrs.evolve(g, **{n: getattr(target, n) for n in names})


PAIRS = [(a, b) for a in GrievanceStage for b in GrievanceStage if a is not b]


# --- the model ------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "stage"), PAIRS, ids=lambda s: str(s))
def test_a_stage_moves_only_forward(start: GrievanceStage, stage: GrievanceStage) -> None:
    g = at(start)
    facts = {
        GrievanceStage.RECEIVED: {},
        GrievanceStage.IN_PROGRESS: {"started_on": date(2021, 6, 6), "started_by": "x"},
        GrievanceStage.ANSWERED: {
            "answered_on": date(2021, 6, 6),
            "answered_by": "x",
            "answer": "好",
        },
        GrievanceStage.CLOSED: {"closed_on": date(2021, 6, 6), "closed_by": "x"},
    }[stage]
    legal = {
        (GrievanceStage.RECEIVED, GrievanceStage.IN_PROGRESS),
        (GrievanceStage.RECEIVED, GrievanceStage.ANSWERED),
        (GrievanceStage.IN_PROGRESS, GrievanceStage.ANSWERED),
        (GrievanceStage.ANSWERED, GrievanceStage.CLOSED),
    }
    assert (stage in NEXT_STAGES[start]) == ((start, stage) in legal)
    if (start, stage) in legal:
        assert g.moved_to(stage, **facts).stage is stage
    else:
        with pytest.raises(IllegalStageChange, match="stages only move forward"):
            g.moved_to(stage, **facts)


def test_a_stage_keeps_its_facts_and_its_order() -> None:
    with pytest.raises(InvalidValue, match="answered_on"):
        received(stage="answered", answer="好")
    with pytest.raises(InvalidValue, match="closed_on"):
        received(closed_on=date(2021, 6, 1))
    with pytest.raises(InvalidValue, match="before"):
        received().answered_with("好", date(2021, 5, 1), "clerk")
    with pytest.raises(InvalidValue, match="due_on"):
        received(due_on=date(2021, 5, 9))
    with pytest.raises(InvalidValue, match="answer"):
        received().answered_with("  ", date(2021, 6, 1), "clerk")
    # in progress may be skipped: an appeal is answered at once
    assert received().answered_with("好", date(2021, 5, 10), "c").started_on is None
    assert "尿毒症" not in repr(received())


# --- the write path, on every backend ---------------------------------------------------


@pytest.fixture
def world(campaign_url: str) -> Iterator[jieqin.Campaign]:
    with connected(campaign_url) as campaign:
        store(campaign)
        yield campaign


def test_the_write_path_refuses_a_stage_moved_back_or_skipped(world: jieqin.Campaign) -> None:
    with world.unit_of_work("clerk") as uow:
        uow.grievances.add(received())
        uow.commit()
    closed_unanswered = moved(received(), GrievanceStage.CLOSED)
    with world.unit_of_work("clerk") as uow, pytest.raises(InvalidInput, match="cannot move"):
        uow.grievances.update(closed_unanswered)
    answered = at(GrievanceStage.ANSWERED)
    with world.unit_of_work("clerk") as uow:
        uow.grievances.update(answered)
        uow.commit()
    back = [
        moved(received(), GrievanceStage.IN_PROGRESS),
        moved(received(), GrievanceStage.RECEIVED),
        attrs.evolve(answered, answer="另一个答复"),  # what a stage recorded stays
        attrs.evolve(answered, answered_on=date(2021, 6, 2)),
        attrs.evolve(answered, description="改写的诉求"),  # the terms stay
        attrs.evolve(answered, category="other"),
    ]
    for wrong in back:
        with world.unit_of_work("clerk") as uow, pytest.raises(InvalidInput):
            uow.grievances.upsert_many([wrong])
    with world.unit_of_work("clerk", read_only=True) as uow:
        assert uow.grievances.get("gv1") == answered


def test_the_write_path_checks_what_a_grievance_names(world: jieqin.Campaign) -> None:
    with world.unit_of_work("clerk") as uow:
        uow.decisions.add(
            jieqin.Decision(
                "d-h2",
                "senior_aid",
                jieqin.Year(2021),
                "h2",
                "h2-1",
                "ineligible",
                date(2021, 9, 1),
                "v1",
            )
        )
        uow.commit()
    wrong = [
        ("category", "known: aid_decision", received(category="complaint")),
        ("target", "of household h2", received(target=GrievanceTarget("decision", "d-h2"))),
        ("target", "never paired", received(target=GrievanceTarget("helper", "p2"))),
        ("target", "no need", received(target=GrievanceTarget("need", "no-need"))),
        ("member_id", "belongs to household h2", received(member_id="h2-1")),
        (
            "received_on",
            "in the future",
            received(received_on=TODAY + timedelta(1), due_on=TODAY + timedelta(61)),
        ),
    ]
    for field, reason, grievance in wrong:
        with world.unit_of_work("clerk") as uow, pytest.raises(InvalidInput) as caught:
            uow.grievances.add(grievance)
        problem = caught.value.problems[0]
        assert (problem.field, reason in problem.reason) == (field, True), problem
    with world.unit_of_work("clerk") as uow:
        uow.grievances.add(received("gv2", target=GrievanceTarget("helper", "p1")))
        uow.grievances.add(received("gv3", category="land_dispute"))  # a plugin's category
        uow.commit()


def test_the_due_day_comes_from_the_parameter_in_force(campaign_url: str) -> None:
    days = [(date(2021, 1, 1), 15), (date(2021, 7, 1), 10)]
    with connected(campaign_url, answer_days=days) as campaign:
        store(campaign)
        params = campaign.registry.campaign_parameters()
        assert service.due_date(date(2021, 6, 30), params) == date(2021, 7, 15)
        assert service.due_date(date(2021, 7, 1), params) == date(2021, 7, 11)
        with campaign.unit_of_work("clerk") as uow:
            g = service.record_grievance(
                uow,
                member_id="h1-1",
                channel="visit",
                category="other",
                received_on=date(2021, 7, 1),
                description=SECRET,
                parameters=params,
            )
        assert (g.household_id, g.due_on, g.received_by) == ("h1", date(2021, 7, 11), "clerk")
    # the standard value: 60 days
    assert service.due_date(date(2021, 7, 1)) == date(2021, 8, 30)
    with pytest.raises(InvalidValue, match="no value in force"):
        service.due_date(date(2004, 1, 1))


# --- the overdue list ------------------------------------------------------------------


@st.composite
def grievances(draw: st.DrawFn) -> list[Grievance]:
    out = []
    for i in range(draw(st.integers(0, 12))):
        day = date(2021, 1, 1) + timedelta(draw(st.integers(0, 300)))
        g = received(
            f"gv{i:02d}", received_on=day, due_on=day + timedelta(draw(st.integers(0, 90)))
        )
        answered_after = draw(st.none() | st.integers(0, 120))
        if answered_after is not None:
            g = g.answered_with("答复", day + timedelta(answered_after), "c")
        out.append(g)
    return out


@settings(max_examples=60, deadline=None)
@given(found=grievances(), day=st.dates(date(2021, 1, 1), date(2022, 6, 30)))
def test_the_overdue_list_equals_a_naive_recount(found: list[Grievance], day: date) -> None:
    naive = [
        g.grievance_id
        for g in found
        if g.stage in (GrievanceStage.RECEIVED, GrievanceStage.IN_PROGRESS)
        and (day - g.due_on).days > 0
    ]
    listed = service.overdue(found, day)
    assert sorted(g.grievance_id for g in listed) == sorted(naive)
    assert [g.due_on for g in listed] == sorted(g.due_on for g in listed)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The one line a failing command prints (as ``jieqin`` runs it)."""
    capsys.readouterr()
    assert run_cli(cli, list(args)) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "campaign.db"
    with jieqin.connect(f"sqlite:///{path}") as campaign:
        store(campaign, programme=False)
    return str(path)


def test_the_command_records_moves_and_lists_overdue(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = []
    for day in ("2021-03-01", "2021-05-01", "2021-08-01"):
        code, out = run(
            "grievances",
            "add",
            "--member",
            "h1-1",
            "--channel",
            "hotline",
            "--category",
            "need_unmet",
            "--description",
            f"{SECRET} {day}",
            "--on",
            day,
            "--json",
            "--db",
            db,
        )
        assert code == 0, out
        ids.append(json.loads(out)["grievance_id"])
    assert run("grievances", "start", ids[0], "--on", "2021-03-02", "--db", db)[0] == 0
    code, out = run(
        "grievances", "answer", ids[0], "--answer", "已解决", "--on", "2021-06-01", "--db", db
    )
    assert "late (due 2021-04-30)" in out
    err = fails(capsys, "grievances", "close", ids[1], "--on", "2021-06-02", "--db", db)
    assert "cannot move to closed" in err
    code, out = run(
        "grievances", "list", "--overdue", "--as-of", "2021-09-30", "--json", "--db", db
    )
    listed = json.loads(out)
    assert [r["grievance_id"] for r in listed] == [ids[1]]  # due 06-30; 08-01's due 09-30
    assert listed[0]["days_overdue"] == 92
    code, out = run("grievances", "list", "--status", "open", "--json", "--db", db)
    assert sorted(r["grievance_id"] for r in json.loads(out)) == sorted(ids[1:])


def test_listings_mask_what_a_person_said_unless_revealed(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for member, text in (("h1-1", SECRET), ("h2-1", "路灯坏了")):
        code, out = run(
            "grievances",
            "add",
            "--member",
            member,
            "--channel",
            "letter",
            "--category",
            "other",
            "--description",
            text,
            "--on",
            "2021-05-01",
            "--db",
            db,
        )
        assert code == 0, out
    code, out = run("grievances", "list", "--json", "--db", db)
    rows = json.loads(out)
    assert {r["description"] for r in rows} == {"<masked>"}  # alike, with a fact or not
    code, text = run("grievances", "list", "--db", db)
    for shown in (out, text):
        assert not any(word in shown for word in ("尿毒症", "13812345678", "路灯"))
    assert "purpose" in fails(capsys, "grievances", "list", "--reveal", "--db", db)
    code, out = run("grievances", "list", "--reveal", "--purpose", "核实诉求", "--json", "--db", db)
    assert {r["description"] for r in json.loads(out)} == {SECRET, "路灯坏了"}
    with jieqin.connect(f"sqlite:///{db}") as campaign, campaign.unit_of_work() as uow:
        reveals = uow.audit.entries(action="reveal", entity="grievances")
        text = json.dumps([dict(e.changes) for e in uow.audit.entries()], ensure_ascii=False)
    assert [e.changes["count"] for e in reveals] == [2]
    assert "尿毒症" not in text  # the audit log keeps that a description was set


# --- the report ----------------------------------------------------------------------


def filed(campaign: jieqin.Campaign) -> list[Grievance]:
    """Six grievances of 2021 and one of 2020: on time, late, unanswered, closed."""
    specs = [
        ("h1-1", "need_unmet", date(2021, 3, 1), 10),
        ("h1-1", "need_unmet", date(2021, 4, 1), 90),
        ("h1-2", "helper_conduct", date(2021, 5, 1), None),
        ("h2-1", "need_unmet", date(2021, 6, 1), 1),
        ("h2-1", "other", date(2021, 11, 20), None),
        ("h3-1", "helper_conduct", date(2021, 12, 1), 5),
        ("h3-1", "other", date(2020, 12, 20), None),
    ]
    out = []
    with campaign.unit_of_work("clerk") as uow:
        for i, (member, category, day, after) in enumerate(specs):
            g = service.record_grievance(
                uow,
                member_id=member,
                channel="visit",
                category=category,
                received_on=day,
                description=f"诉求 {i}",
            )
            if after is not None and day + timedelta(after) <= TODAY:
                g = service.answer_grievance(
                    uow, g.grievance_id, on=day + timedelta(after), answer="答复"
                )
                if after == 1:
                    g = service.close_grievance(uow, g.grievance_id, on=day + timedelta(3))
            out.append(g)
    return out


@pytest.mark.parametrize("day", [date(2021, 5, 1), date(2021, 8, 1), date(2022, 3, 1)])
def test_the_overdue_list_of_stored_grievances_on_every_backend(
    world: jieqin.Campaign, day: date
) -> None:
    stored = filed(world)
    naive = sorted(
        g.grievance_id
        for g in stored
        if g.answered_on is None and day > g.received_on + timedelta(days=60)
    )
    with world.unit_of_work(read_only=True) as uow:
        listed = service.overdue(service.grievances_of(uow), day)
        assert service.grievances_of(uow, stage="closed") == [
            g for g in sorted(stored, key=lambda g: g.grievance_id) if g.closed_on
        ]
    assert sorted(g.grievance_id for g in listed) == naive


def test_the_report_counts_grievances_alike_on_every_backend(world: jieqin.Campaign) -> None:
    stored = filed(world)
    report = world.report("2021", by_region=True)
    naive: dict[tuple[str, str], int] = {}
    for g in stored:
        if g.received_on.year == 2021:
            answer = (
                "unanswered"
                if g.answered_on is None
                else "on_time"
                if g.answered_on <= g.due_on
                else "late"
            )
            naive[(g.category, answer)] = naive.get((g.category, answer), 0) + 1
    got = {(line.category, line.answer): line.count for line in report.totals.grievances}
    assert {k: v for k, v in got.items() if v} == naive
    assert got[("other", "on_time")] == 0  # every answer of a category is shown
    truth = TablesReadModel.of({"grievances": stored, "households": world_households(world)})
    with world.unit_of_work(read_only=True) as uow:
        assert uow.read_model.grievances(date(2021, 1, 1), date(2021, 12, 31)) == truth.grievances(
            date(2021, 1, 1), date(2021, 12, 31)
        )
    assert sum(line.count or 0 for line in report.regions["610203"].grievances) == 2
    data = json.loads(render(report, "json"))
    assert {"category": "need_unmet", "answer": "late", "count": 1} in data["grievances"]
    assert "all,grievances,need_unmet,late,1," in render(report, "csv")
    zh = render(report, "table", lang="zh")
    assert "诉求未解决: 逾期答复" in zh
    assert "帮扶人作风: 未答复" in zh
    en = render(report, "html", lang="en")
    assert "a need not met: answered late" in en
    suppressed = world.report("2021", k=2)
    assert {line.count for line in suppressed.totals.grievances} <= {None, 0, 2}


def world_households(campaign: jieqin.Campaign) -> list[jieqin.Household]:
    with campaign.unit_of_work(read_only=True) as uow:
        return uow.households.list()
