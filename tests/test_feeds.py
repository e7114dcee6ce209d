"""Departmental feeds: a plugin's reader turns a department's file into observations,
stored once per record id of the department's through the one write path; the same
rows delivered again change nothing, a changed row is refused (or, asked, corrected),
and every delivery is audited without an amount or a person in it."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin import hookimpl
from jieqin.clock import FixedClock
from jieqin.errors import InvalidInput, InvalidValue
from jieqin.model import Household, Observation

sys.path.insert(0, str(Path(__file__).parent))
from activity_world import resident_id, world
from world_plugin import WORLDS

FEED = "tc_medical_settlement"
HEADER = "结算流水号,身份证号,结算日期,医疗总费用,个人自付"
#: Someone the medical insurance bureau serves who is not in the campaign.
STRANGER = resident_id(date(1991, 3, 4), 901)
TODAY = date(2022, 1, 10)


def households() -> list[Household]:
    return world()["households"]  # type: ignore[return-value]


def patient(n: int) -> str:
    """The resident ID number of the head of household ``h<n>``."""
    return households()[n - 1].members[0].resident_id or ""


def settlements(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """A settlement file: (record, resident id, day, out of pocket) per row."""
    lines = [HEADER, *(f"{r},{rid},{day},99999.00,{paid}" for r, rid, day, paid in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


ROWS = [
    ("YB2021-0001", patient(1), "2021-07-03", "3500.50"),
    ("YB2021-0002", STRANGER, "2021-07-04", "20.00"),
    ("YB2021-0003", patient(2), "2021-08-15", "12800.00"),
]


@pytest.fixture
def loaded(campaign_url: str) -> Iterator[jieqin.Campaign]:
    with jieqin.connect(campaign_url, plugins=[WORLDS], clock=FixedClock(TODAY)) as campaign:
        with campaign.unit_of_work("test") as uow:
            uow.households.add_many(households())
            uow.commit()
        yield campaign


def stored(campaign: jieqin.Campaign) -> list[Observation]:
    with campaign.unit_of_work(read_only=True) as uow:
        return uow.observations.list()


def test_the_tongchuan_plugin_registers_the_settlement_feed(loaded: jieqin.Campaign) -> None:
    entry = loaded.registry.feed(FEED)
    assert (entry.label, entry.kinds, entry.plugin) == ("医保结算", ("medical",), "tongchuan")
    assert loaded.registry.registered_by("tongchuan").feeds == (FEED,)


def test_a_delivery_stores_the_campaigns_rows_once(loaded: jieqin.Campaign, tmp_path: Path) -> None:
    path = settlements(tmp_path / "医保结算202107.csv", ROWS)
    first = loaded.deliver_feed(FEED, path, actor="clerk:wang")
    assert (first.new, first.unchanged, first.corrected, first.unmatched) == (2, 0, 0, 1)
    rows = stored(loaded)
    assert {(o.household_id, o.member_id, str(o.period), str(o.amount)) for o in rows} == {
        ("h1", "h1-1", "2021-07", "3500.50"),
        ("h2", "h2-1", "2021-08", "12800.00"),
    }
    assert {o.kind.value for o in rows} == {"medical"}
    assert {(o.feed, o.feed_record, o.source.value, o.recorded_on) for o in rows} == {
        (FEED, "YB2021-0001", "feed", TODAY),
        (FEED, "YB2021-0003", "feed", TODAY),
    }
    again = loaded.deliver_feed(FEED, path, actor="clerk:wang")
    assert (again.new, again.unchanged, again.corrected, again.unmatched) == (0, 2, 0, 1)
    assert stored(loaded) == rows


def test_each_delivery_is_audited_with_counts_only(loaded: jieqin.Campaign, tmp_path: Path) -> None:
    path = settlements(tmp_path / "yb.csv", ROWS)
    loaded.deliver_feed(FEED, path, actor="clerk:wang")
    loaded.deliver_feed(FEED, path, actor="clerk:li")
    with loaded.unit_of_work(read_only=True) as uow:
        entries = uow.audit.entries(action="deliver")
        everything = json.dumps([dict(e.changes) for e in uow.audit.entries()], default=str)
    assert [(e.actor, e.entity, e.entity_id) for e in entries] == [
        ("clerk:wang", "observations", FEED),
        ("clerk:li", "observations", FEED),
    ]
    assert [dict(e.changes) for e in entries] == [
        {
            "feed": FEED,
            "source": "yb.csv",
            "new": 2,
            "unchanged": 0,
            "corrected": 0,
            "unmatched": 1,
        },
        {
            "feed": FEED,
            "source": "yb.csv",
            "new": 0,
            "unchanged": 2,
            "corrected": 0,
            "unmatched": 1,
        },
    ]
    for secret in ("3500.50", "12800.00", patient(1), STRANGER):
        assert secret not in everything


def test_a_changed_row_is_refused_and_nothing_is_written(
    loaded: jieqin.Campaign, tmp_path: Path
) -> None:
    loaded.deliver_feed(FEED, settlements(tmp_path / "july.csv", ROWS))
    before = stored(loaded)
    changed = [
        ("YB2021-0004", patient(3), "2021-09-01", "100.00"),
        ("YB2021-0001", patient(1), "2021-07-03", "3600.50"),
    ]
    with pytest.raises(InvalidInput) as caught:
        loaded.deliver_feed(FEED, settlements(tmp_path / "again.csv", changed))
    message = str(caught.value)
    assert "again.csv" in message
    assert "record YB2021-0001 was delivered before" in message
    assert "--corrections" in message
    assert "3500" not in message
    assert "3600" not in message
    assert stored(loaded) == before


def test_a_correction_replaces_the_row(loaded: jieqin.Campaign, tmp_path: Path) -> None:
    loaded.deliver_feed(FEED, settlements(tmp_path / "july.csv", ROWS))
    fixed = [("YB2021-0001", patient(1), "2021-07-03", "3600.50")]
    done = loaded.deliver_feed(FEED, settlements(tmp_path / "fix.csv", fixed), corrections=True)
    assert (done.new, done.unchanged, done.corrected) == (0, 0, 1)
    by_record = {o.feed_record: o for o in stored(loaded)}
    assert str(by_record["YB2021-0001"].amount) == "3600.50"
    assert len(by_record) == 2
    with loaded.unit_of_work(read_only=True) as uow:
        updates = uow.audit.entries(action="update", entity="observations")
    assert [e.entity_id for e in updates] == [jieqin.feed_observation_id(FEED, "YB2021-0001")]
    assert "3600" not in json.dumps(dict(updates[0].changes))


def test_one_file_may_repeat_a_row_but_not_change_it(
    loaded: jieqin.Campaign, tmp_path: Path
) -> None:
    twice = [ROWS[0], ROWS[0]]
    done = loaded.deliver_feed(FEED, settlements(tmp_path / "twice.csv", twice))
    assert (done.new, done.unchanged) == (1, 0)
    clash = [ROWS[2], (ROWS[2][0], ROWS[2][1], ROWS[2][2], "1.00")]
    with pytest.raises(InvalidInput, match="record YB2021-0003 is given twice"):
        loaded.deliver_feed(FEED, settlements(tmp_path / "clash.csv", clash))
    assert len(stored(loaded)) == 1


@pytest.mark.parametrize(
    ("row", "where"),
    [
        (("", patient(1), "2021-07-03", "1.00"), "line 2: 结算流水号: is empty"),
        (("A1", "61020219900517001", "2021-07-03", "1.00"), "line 2: 身份证号: wrong length"),
        (("A1", patient(1), "2021-13-03", "1.00"), "line 2: 结算日期: is not a day"),
        (("A1", patient(1), "2021-07-03", "-5"), "line 2: 个人自付: must be an amount"),
        (("A1", patient(1), "2021-07-03", "lots"), "line 2: 个人自付: is not an amount"),
    ],
)
def test_a_bad_row_names_the_file_line_and_column(
    loaded: jieqin.Campaign, tmp_path: Path, row: tuple[str, str, str, str], where: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        loaded.deliver_feed(FEED, settlements(tmp_path / "bad.csv", [row, ROWS[0]]))
    assert f"bad.csv {where}" in str(caught.value)
    assert stored(loaded) == []


def test_a_file_without_the_columns_is_refused(loaded: jieqin.Campaign, tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("编号,金额\n1,2\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"wrong.csv line 1: missing column\(s\) 结算流水号"):
        loaded.deliver_feed(FEED, path)


def test_an_unknown_feed_names_the_registered_ones(loaded: jieqin.Campaign) -> None:
    with pytest.raises(InvalidValue, match=f"unknown feed 'nope'; registered feeds: .*{FEED}"):
        loaded.deliver_feed("nope", "x.csv")


def test_a_reader_must_give_the_feeds_observations(tmp_path: Path) -> None:
    """A plugin's reader that gives another feed's rows, or ids of its own making, is
    refused before anything is written."""

    def wrong_ids(path: Path, context: jieqin.FeedContext) -> list[Observation]:
        found = context.members([patient(1)])
        household_id, member_id = found[patient(1)]
        return [
            Observation(
                "ob-mine",
                household_id,
                "income",
                jieqin.Year(2021),
                "8000",
                "feed",
                context.recorded_on,
                member_id=member_id,
                feed=context.feed,
                feed_record="r1",
            )
        ]

    class Plugin:
        @hookimpl
        def jieqin_register_observation_feeds(self, register: Callable[..., None]) -> None:
            register("test_income", "收入数据", wrong_ids, kinds=("income",))

    with jieqin.connect("memory://", plugins=[WORLDS, Plugin()], clock=FixedClock(TODAY)) as c:
        with c.unit_of_work() as uow:
            uow.households.add_many(households())
            uow.commit()
        with pytest.raises(InvalidInput, match=r"its id is context.observation_id\(record\)"):
            c.deliver_feed("test_income", tmp_path / "any.csv")
        assert stored(c) == []


def test_the_command_delivers_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from click.testing import CliRunner

    from jieqin.cli import cli
    from jieqin.cli._common import run_cli

    db = tmp_path / "feeds.db"
    with (
        jieqin.connect(f"sqlite:///{db}", plugins=[WORLDS]) as campaign,
        campaign.unit_of_work() as uow,
    ):
        uow.households.add_many(households())
        uow.commit()
    monkeypatch.setenv("JIEQIN_LANG", "en")
    path = settlements(tmp_path / "yb.csv", ROWS)
    runner = CliRunner()
    args = ["observations", "feed", FEED, str(path), "--db", str(db), "--actor", "clerk:wang"]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert first.output.strip() == (
        f"医保结算 ({FEED}), yb.csv: 2 new, 0 unchanged, 0 corrected, 1 not of the campaign."
    )
    again = runner.invoke(cli, [*args, "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output) == {
        "feed": FEED,
        "source": "yb.csv",
        "new": 0,
        "unchanged": 2,
        "corrected": 0,
        "unmatched": 1,
    }
    changed = settlements(tmp_path / "changed.csv", [(*ROWS[0][:3], "1.00")])
    code = run_cli(cli, ["observations", "feed", FEED, str(changed), "--db", str(db)])
    assert code == 1
    err = capsys.readouterr().err
    assert "changed.csv: feed_record: record YB2021-0001 was delivered before" in err
    assert "3500" not in err


# --- the property: delivering the same rows again changes nothing ---------------------

_RECORDS = st.sampled_from([f"R{i:03d}" for i in range(12)])
_ROW = st.tuples(
    _RECORDS,
    st.sampled_from([patient(1), patient(2), patient(3), STRANGER]),
    st.dates(date(2021, 1, 1), date(2021, 12, 31)).map(date.isoformat),
    st.decimals(0, 50000, places=2, allow_nan=False, allow_infinity=False).map(str),
)


def _consistent(rows: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
    """One set of facts per record id (a department's rows: its ids are its own)."""
    first: dict[str, tuple[str, str, str, str]] = {}
    for row in rows:
        first.setdefault(row[0], row)
    return [first[row[0]] for row in rows]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(_ROW, min_size=1, max_size=15).map(_consistent),
    again=st.data(),
)
def test_redelivered_rows_change_nothing(
    tmp_path: Path, rows: list[tuple[str, str, str, str]], again: Any
) -> None:
    with jieqin.connect("memory://", plugins=[WORLDS], clock=FixedClock(TODAY)) as campaign:
        with campaign.unit_of_work() as uow:
            uow.households.add_many(households())
            uow.commit()
        first = campaign.deliver_feed(FEED, settlements(tmp_path / "first.csv", rows))
        after_first = stored(campaign)
        placed = {r[0] for r in rows if r[1] != STRANGER}
        assert first.new == len(after_first) == len(placed)
        # any of the same rows, in any order, repeated, delivered again
        subset = again.draw(st.lists(st.sampled_from(rows), max_size=20))
        second = campaign.deliver_feed(FEED, settlements(tmp_path / "again.csv", subset))
        assert second.new == second.corrected == 0
        assert second.unchanged == len({r[0] for r in subset if r[1] != STRANGER})
        assert stored(campaign) == after_first
