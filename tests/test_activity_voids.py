"""Voiding an activity logged by mistake, on every backend: the record stays (dated,
with a reason and who voided it, audited), every figure and the overdue list follow
exactly, a void is not made twice, and a correction is an ordinary log."""

from __future__ import annotations

import io
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

import jieqin
from jieqin.errors import ActivityVoided, InvalidInput, InvalidValue, NotFound
from jieqin.model import Activity, Fund, NeedStatus, Year
from jieqin.reports import build_report
from jieqin.storage.counted import TablesReadModel
from jieqin.storage.sql.backend import SqlStorage

sys.path.insert(0, str(Path(__file__).parent))
from activity_world import WANGYI, world
from world_plugin import WORLDS

#: h1's two activities of December: a contact and a visit, both on 2021-12-10.
DECEMBER = ("a43", "a44")


def load(campaign: jieqin.Campaign, data: dict[str, list[object]] | None = None) -> None:
    data = data or world()
    with campaign.unit_of_work("test") as uow:
        for name in ("helpers", "households", "pairings", "needs", "referrals", "programs"):
            getattr(uow, name).add_many(data[name])
        uow.funds.add_many(
            [
                Fund(f"f{i}", p.program_id, Year(2021), Decimal(100000))  # type: ignore[attr-defined]
                for i, p in enumerate(data["programs"], start=1)
            ]
        )
        uow.grants.add_many(data["grants"])
        uow.commit()
    campaign.log_activities(data["activities"])  # type: ignore[arg-type]


@pytest.fixture
def loaded(campaign: jieqin.Campaign) -> jieqin.Campaign:
    load(campaign)
    return campaign


def _without(*ids: str) -> dict[str, list[object]]:
    data = world()
    data["activities"] = [a for a in data["activities"] if a.activity_id not in ids]  # type: ignore[attr-defined]
    return data


def test_a_void_takes_the_activity_off_every_figure(loaded: jieqin.Campaign) -> None:
    before = loaded.report("2021", by_region=True)
    voided = loaded.void_activity("a1", "logged for the wrong household", date(2022, 1, 5))
    assert (voided.kind, voided.on, voided.helper_id) == ("contact", date(2021, 1, 10), "p1")
    after = loaded.report("2021", by_region=True)
    # exactly one January contact of a city member's household in 王益区 less
    assert after.totals.activities["contact"] == before.totals.activities["contact"] - 1  # type: ignore[operator]
    assert after.totals.activities_total == before.totals.activities_total - 1  # type: ignore[operator]
    assert after.monthly["2021-01"]["contact"] == before.monthly["2021-01"]["contact"] - 1  # type: ignore[operator]
    tiers = before.totals.activities_by_tier
    assert after.totals.activities_by_tier == {**tiers, "city_member": tiers["city_member"] - 1}  # type: ignore[operator]
    wangyi, was = after.regions[WANGYI], before.regions[WANGYI]
    assert wangyi.activities["contact"] == was.activities["contact"] - 1  # type: ignore[operator]
    assert after.totals.households == before.totals.households
    assert after.totals.needs == before.totals.needs
    # and the report is the one a count of the activities that stand gives
    truth = build_report(
        TablesReadModel.of(_without("a1")),
        Year(2021),  # type: ignore[arg-type]
        by_region=True,
        region_names=dict(loaded.registry.region_names),
    )
    assert after.as_dict() == truth.as_dict()


def test_a_void_moves_the_last_contact_back_and_the_overdue_list_follows(
    loaded: jieqin.Campaign,
) -> None:
    as_of = date(2021, 12, 30)
    assert [o.household_id for o in loaded.overdue(as_of)] == ["h2"]
    for activity_id in DECEMBER:
        loaded.void_activity(activity_id, "logged twice", date(2022, 1, 2))
    late = {o.household_id: o for o in loaded.overdue(as_of)}
    assert set(late) == {"h1", "h2"}
    last = {t.track: t.last_on for t in late["h1"].behind}
    assert last == {"contact": date(2021, 11, 10), "visit": date(2021, 9, 10)}
    with jieqin.connect("memory://", plugins=[WORLDS]) as naive:
        load(naive, _without(*DECEMBER))
        assert list(loaded.overdue(as_of)) == list(naive.overdue(as_of))


def test_the_voided_activity_keeps_its_record_and_is_audited(loaded: jieqin.Campaign) -> None:
    loaded.void_activity("a2", "wrong day", date(2022, 1, 5), actor="clerk:wang")
    with loaded.unit_of_work("reader", read_only=True) as uow:
        stored = uow.activities.get("a2")
        entries = uow.audit.entries(entity="activities", entity_id="a2")
    assert (stored.voided_on, stored.void_reason, stored.voided_by) == (
        date(2022, 1, 5),
        "wrong day",
        "clerk:wang",
    )
    assert [(e.actor, e.action) for e in entries] == [("clerk:wang", "update")]
    assert set(entries[0].changes) == {"voided_on", "void_reason", "voided_by"}
    assert len(loaded.activities(include_voided=True)) == len(loaded.activities()) + 1


def test_voiding_twice_an_unknown_id_or_without_a_reason_fails(loaded: jieqin.Campaign) -> None:
    loaded.void_activity("a2", "wrong day", date(2022, 1, 5))
    with pytest.raises(ActivityVoided, match="a2 was already voided on 2022-01-05"):
        loaded.void_activity("a2", "again")
    with pytest.raises(NotFound, match="no activity nope"):
        loaded.void_activity("nope", "never logged")
    with pytest.raises(InvalidValue, match="reason"):
        loaded.void_activity("a3", "  ")
    with pytest.raises(InvalidValue, match="before the activity"):
        loaded.void_activity("a3", "too early", date(2020, 1, 1))
    with loaded.unit_of_work("reader", read_only=True) as uow:
        assert uow.activities.get("a3").voided_on is None


def test_a_logged_id_is_refused_with_the_way_to_correct_it(loaded: jieqin.Campaign) -> None:
    again = Activity("a1", "visit", date(2021, 1, 11), "p1", "h1")
    with pytest.raises(InvalidInput) as caught:
        loaded.log_activity(again)
    message = str(caught.value)
    assert "activity a1 is already logged" in message
    assert "`jieqin activities void a1 --reason" in message
    assert "constraint" not in message.lower()
    batch = [
        Activity("new", "visit", date(2021, 1, 11), "p1", "h1"),
        Activity("a2", "visit", date(2021, 1, 11), "p1", "h1"),
    ]
    with pytest.raises(InvalidInput, match=r"line 2: activity_id: activity a2 is already logged"):
        loaded.log_activities(batch)
    assert loaded.activities(kind="visit", first=date(2021, 1, 11), last=date(2021, 1, 11)) == []


def test_the_corrected_activity_is_an_ordinary_log(loaded: jieqin.Campaign) -> None:
    before = loaded.report("2021")
    loaded.void_activity("a1", "logged for today, done on the 12th", date(2022, 1, 5))
    loaded.log_activity(Activity("a1-fixed", "contact", date(2021, 1, 12), "p1", "h1"))
    after = loaded.report("2021")
    assert after.as_dict() == before.as_dict()
    days = [
        a.on for a in loaded.activities(household_id="h1", kind="contact", last=date(2021, 1, 31))
    ]
    assert days == [date(2021, 1, 12)]


def test_a_voided_activity_stays_as_it_is(loaded: jieqin.Campaign) -> None:
    voided = loaded.void_activity("a1", "duplicate", date(2022, 1, 5))
    with loaded.unit_of_work("test") as uow:
        with pytest.raises(InvalidInput, match="a1 was voided on 2022-01-05"):
            uow.activities.upsert_many(
                [attrs.evolve(voided, voided_on=None, void_reason="", voided_by=None)]
            )
        with pytest.raises(InvalidInput, match="stays as it is"):
            uow.activities.update(attrs.evolve(voided, note="edited"))
        uow.activities.upsert_many([voided])  # the same record again: nothing changes
        uow.commit()
    with (
        loaded.unit_of_work("test") as uow,
        pytest.raises(InvalidInput, match="changes nothing else"),
    ):
        uow.activities.update(
            attrs.evolve(
                uow.activities.get("a2"),
                kind="visit",
                voided_on=date(2022, 1, 5),
                void_reason="x",
            )
        )


def test_voiding_practical_help_reopens_the_need_it_resolved(loaded: jieqin.Campaign) -> None:
    loaded.log_activity(
        Activity("help1", "practical_help", date(2021, 12, 1), "p1", "h2", need_id="n3")
    )
    loaded.log_activity(
        Activity("help2", "practical_help", date(2021, 12, 5), "p1", "h2", need_id="n3")
    )
    loaded.void_activity("help1", "it was help2", date(2022, 1, 5))
    with loaded.unit_of_work("reader", read_only=True) as uow:
        need = uow.needs.get("n3")
    assert (need.status, need.resolved_by, need.resolved_on) == (
        NeedStatus.RESOLVED,
        "activity:help2",
        date(2021, 12, 5),
    )
    loaded.void_activity("help2", "not done after all", date(2022, 1, 5))
    with loaded.unit_of_work("reader", read_only=True) as uow:
        need = uow.needs.get("n3")
    assert (need.status, need.resolved_by, need.resolved_on) == (NeedStatus.OPEN, None, None)


def test_listing_filters_by_helper_household_kind_and_days(loaded: jieqin.Campaign) -> None:
    loaded.void_activity("a44", "logged twice", date(2022, 1, 5))
    december = loaded.activities(household_id="h1", first=date(2021, 12, 1))
    assert [a.activity_id for a in december] == ["a43"]
    marked = loaded.activities(household_id="h1", first=date(2021, 12, 1), include_voided=True)
    assert [(a.activity_id, a.voided) for a in marked] == [("a43", False), ("a44", True)]
    by_p3 = loaded.activities(helper_id="p3", kind="practical_help")
    assert [(a.household_id, a.on) for a in by_p3] == [("h3", date(2021, 6, 10))]
    spring = loaded.activities(kind="contact", first=date(2021, 3, 1), last=date(2021, 3, 31))
    assert {a.household_id for a in spring} == {"h1", "h2"}
    assert all(a.on.month == 3 for a in spring)
    with pytest.raises(InvalidValue, match=r"unknown activity kind 'contakt'.*'contact'"):
        loaded.activities(kind="contakt")


def test_the_helper_view_leaves_a_voided_activity_out(loaded: jieqin.Campaign) -> None:
    view = loaded.for_helper("p1", on=date(2021, 12, 15))
    seen = {a.activity_id for a in view.activities()}
    assert "a43" in seen
    loaded.void_activity("a43", "logged twice", date(2022, 1, 5))
    view = loaded.for_helper("p1", on=date(2021, 12, 15))
    assert {a.activity_id for a in view.activities()} == seen - {"a43"}
    assert [a.activity_id for a in view.activities(voided_on=date(2022, 1, 5))] == ["a43"]


def test_an_export_marks_the_voided_and_reads_back_voided(
    loaded: jieqin.Campaign, tmp_path: Path
) -> None:
    loaded.void_activity("a43", "logged twice", date(2022, 1, 5), actor="clerk:wang")
    out = io.StringIO()
    loaded.export("activities", out)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith(",voided_on,void_reason,voided_by")
    (row,) = [line for line in lines if line.startswith("a43,")]
    assert row.endswith(",2022-01-05,logged twice,clerk:wang")
    path = tmp_path / "activities.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    loaded.import_file("activities", path)  # the same records again: nothing changes
    assert [a.activity_id for a in loaded.activities(include_voided=True) if a.voided] == ["a43"]
    unvoided = "\n".join(
        line.removesuffix(",2022-01-05,logged twice,clerk:wang") + ",,,"
        if line.startswith("a43,")
        else line
        for line in lines
    )
    path.write_text(unvoided + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="a43 was voided on 2022-01-05"):
        loaded.import_file("activities", path)


def test_the_kept_read_model_equals_a_rebuild_after_voids(loaded: jieqin.Campaign) -> None:
    if not isinstance(loaded.storage, SqlStorage):
        pytest.skip("the memory backends count their records when asked")
    import sqlalchemy as sa

    from jieqin.storage.sql.follow_up import ACTIVITY_LATEST, PAIRING_FOLLOW_UP
    from jieqin.storage.sql.read_model import rebuild
    from jieqin.storage.sql.tallies import REPORT_TALLY

    for activity_id in (*DECEMBER, "a1", "a24"):
        loaded.void_activity(activity_id, "logged by mistake", date(2022, 1, 5))

    def kept(conn: sa.Connection) -> dict[str, list[tuple[str, ...]]]:
        tally = sa.select(REPORT_TALLY).where(REPORT_TALLY.c.n != 0)
        queries = {
            "tally": tally,
            "follow_up": sa.select(PAIRING_FOLLOW_UP),
            "latest": sa.select(ACTIVITY_LATEST),
        }
        return {
            name: sorted(tuple(str(v) for v in row) for row in conn.execute(q))
            for name, q in queries.items()
        }

    with loaded.storage.engine.connect() as conn:
        before = kept(conn)
        rebuild(conn)
        assert kept(conn) == before
        conn.rollback()
