"""The pairing use case on real storage (memory, SQLite, PostgreSQL), its hook and the CLI."""

from __future__ import annotations

import json
from datetime import date

import attrs
import numpy as np
import pytest
from tests.test_pairing_continuity import helper, household

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.errors import PluginError
from jieqin.pairing import (
    CandidateEdges,
    HandoverReason,
    PairingCostTerm,
    PairingPolicy,
    PairStatus,
)

ON = date(2022, 3, 1)
LATER = date(2022, 9, 1)


def _stock(campaign: jieqin.Campaign) -> None:
    with campaign.unit_of_work("test") as uow:
        uow.helpers.add_many(
            [
                helper("p1", "610202001001", capacity=2),
                helper("p2", "610202001002", capacity=1, sectors={"medical"}),
                helper("p3", "610203001001", capacity=1),
            ]
        )
        uow.households.add_many(
            [
                household("h1", "610202001001"),
                household("h2", "610202001002"),
                household("h3", "610202001001"),
                household("h4", "610202001002"),
                household("h5", "610204001001"),
                household("h6", "610202001001", status="poor"),
            ]
        )
        uow.commit()


def test_dry_run_writes_nothing_and_commit_writes_pairs_and_handovers(campaign):
    _stock(campaign)
    preview = campaign.pair(on=ON, dry_run=True)
    with campaign.unit_of_work() as uow:
        assert uow.pairings.count() == 0
        assert uow.handovers.count() == 0
    plan = campaign.pair(on=ON)
    assert plan.pairs == preview.pairs
    assert len(plan.pairs) == 3
    reasons = {u.household_id: str(u.reason) for u in plan.unpaired}
    assert reasons.pop("h5") == "no_helper_within_limit"
    assert list(reasons.values()) == ["capacity_exhausted"]
    with campaign.unit_of_work() as uow:
        stored = uow.pairings.active_on(ON)
        assert sorted((p.helper_id, p.household_id) for p in stored) == sorted(
            (p.helper_id, p.household_id) for p in plan.pairs
        )
        assert all(p.costs for p in stored)
        assert uow.handovers.count() == 3


def test_second_run_keeps_pairs_and_a_leaving_helper_hands_over(campaign):
    _stock(campaign)
    campaign.pair(on=ON)
    again = campaign.pair(on=LATER)
    assert {p.status for p in again.pairs} == {PairStatus.KEPT}
    assert again.handovers == ()
    with campaign.unit_of_work() as uow:
        p2 = uow.helpers.get("p2")
        uow.helpers.update(attrs.evolve(p2, active=False))
        uow.commit()
    moved = campaign.pair(on=LATER)
    assert [(h.reason, h.from_helper_id) for h in moved.handovers] == [
        (HandoverReason.HELPER_INACTIVE, "p2")
    ]
    with campaign.unit_of_work() as uow:
        ended = [p for p in uow.pairings.list() if p.end is not None]
        assert [(p.helper_id, p.end) for p in ended] == [("p2", date(2022, 8, 31))]
        assert uow.handovers.count() == 4


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []

    @jieqin.hookimpl
    def jieqin_pairings_committed(self, campaign, pairings, handovers):
        self.seen.append((len(pairings), len(handovers)))


class Refuser:
    @jieqin.hookimpl
    def jieqin_pairings_committed(self, campaign, pairings, handovers):
        raise RuntimeError("the county office is closed")


def _prefer_p1(edges: CandidateEdges) -> np.ndarray:
    ids = np.asarray(edges.helpers.ids)
    return np.asarray(ids[edges.helper] != "p1", np.int64) * 500


class PreferP1:
    @jieqin.hookimpl
    def jieqin_register_pairing_cost_terms(self, register):
        register(PairingCostTerm("prefer_p1", _prefer_p1))


def test_notification_sees_the_pairing_and_a_refusal_rolls_it_back():
    recorder = Recorder()
    with jieqin.connect("memory://", plugins=[recorder]) as campaign:
        _stock(campaign)
        campaign.pair(on=ON)
        assert recorder.seen == [(3, 3)]
    with jieqin.connect("memory://", plugins=[Refuser()]) as campaign:
        _stock(campaign)
        with pytest.raises(PluginError, match="closed"):
            campaign.pair(on=ON)
        with campaign.unit_of_work() as uow:
            assert uow.pairings.count() == 0
            assert uow.handovers.count() == 0


def test_plugin_cost_terms_join_the_plan():
    with jieqin.connect("memory://", plugins=[PreferP1()]) as campaign:
        _stock(campaign)
        plan = campaign.pair(on=ON, dry_run=True, policy=PairingPolicy(max_per_helper=1))
    (pair,) = [p for p in plan.pairs if p.helper_id == "p1"]
    assert {t.name for t in pair.costs} >= {"prefer_p1", "distance", "workload"}
    assert {t.name: t.value for t in pair.costs}["prefer_p1"] == 0


def test_cli_pair_dry_run_json_then_commit(tmp_path, capsys):
    db = str(tmp_path / "pair.db")
    with jieqin.connect(f"sqlite:///{db}") as campaign:
        _stock(campaign)
    args = ["pair", "--db", db, "--on", "2022-03-01"]
    assert run_cli(cli, [*args, "--dry-run", "--json", "--max-per-helper", "1"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["dry_run"] is True
    assert shown["summary"]["paired"] == 2
    assert {u["reason"] for u in shown["unpaired"]} == {
        "capacity_exhausted",
        "no_helper_within_limit",
    }
    assert run_cli(cli, args) == 0
    out = capsys.readouterr().out
    assert "paired 3 households" in out
    assert "no_helper_within_limit" in out
    with jieqin.connect(f"sqlite:///{db}") as campaign, campaign.unit_of_work() as uow:
        assert uow.pairings.count() == 3
