"""Listing pairings (``Campaign.pairings``, ``jieqin pairings``) and ending one by hand
from the command line: filters, since-when, handover reasons, history, scope, errors."""

from __future__ import annotations

import json
from datetime import date

import attrs
import pytest
from tests.test_pairing_continuity import helper
from tests.test_pairing_service import _stock

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.errors import InvalidRegionCode
from jieqin.security import STANDARD_ROLES, Principal

ON = date(2022, 3, 1)
LATER = date(2022, 9, 1)


def _campaign_with_a_handover(campaign: jieqin.Campaign) -> None:
    """Paired on ON; p2 leaves and p4 joins in p2's village, so on LATER p2's household
    h4 is handed over to p4, and h2 (left unpaired on ON) gets p4 as well."""
    _stock(campaign)
    campaign.pair(on=ON)
    with campaign.unit_of_work("test") as uow:
        uow.helpers.update(attrs.evolve(uow.helpers.get("p2"), active=False))
        uow.helpers.add(helper("p4", "610202001002", capacity=2))
        uow.commit()
    campaign.pair(on=LATER)


def test_a_day_lists_who_is_paired_since_when_and_why(campaign):
    _campaign_with_a_handover(campaign)
    listing = campaign.pairings(on=date(2022, 10, 1))
    by_household = {p.household_id: p for p in listing.pairings}
    assert sorted(by_household) == ["h1", "h2", "h3", "h4"]
    h1 = by_household["h1"]
    assert (h1.helper_id, h1.since, h1.began, h1.from_helper_id, h1.end) == (
        "p1",
        ON,
        "first_pairing",
        None,
        None,
    )
    h4 = by_household["h4"]
    assert (h4.helper_id, h4.since, h4.began, h4.from_helper_id) == (
        "p4",
        LATER,
        "helper_inactive",
        "p2",
    )
    assert (by_household["h2"].since, by_household["h2"].began) == (LATER, "first_pairing")
    assert h1.region == "610202001001"
    assert listing.handovers == ()
    assert campaign.pairings(on=date(2022, 1, 1)).pairings == ()


def test_filters_by_helper_household_and_region(campaign):
    _campaign_with_a_handover(campaign)
    day = date(2022, 10, 1)
    assert {p.household_id for p in campaign.pairings(on=day, helper_id="p1").pairings} >= {
        "h1",
        "h3",
    }
    assert [p.helper_id for p in campaign.pairings(on=day, household_id="h1").pairings] == ["p1"]
    village = campaign.pairings(on=day, region="610202001002").pairings
    assert [p.household_id for p in village] == ["h2", "h4"]
    assert campaign.pairings(on=day, region="610204").pairings == ()
    with pytest.raises(InvalidRegionCode):
        campaign.pairings(region="6102")


def test_the_history_lists_every_span_and_handover(campaign):
    _campaign_with_a_handover(campaign)
    history = campaign.pairings(history=True, household_id="h4")
    assert history.history
    spans = [(p.helper_id, p.start, p.end, p.began, p.ended) for p in history.pairings]
    assert spans[0] == ("p2", ON, date(2022, 8, 31), "first_pairing", "helper_inactive")
    assert spans[1] == ("p4", LATER, None, "helper_inactive", None)
    assert [(h.on, h.reason) for h in history.handovers] == [
        (ON, "first_pairing"),
        (LATER, "helper_inactive"),
    ]
    shown = history.to_dict()
    assert shown["on"] is None
    assert shown["pairings"][0]["ended"] == "helper_inactive"
    only_p2 = campaign.pairings(history=True, helper_id="p2")
    assert [p.household_id for p in only_p2.pairings] == ["h4"]


def test_a_principal_lists_only_its_region(campaign):
    _campaign_with_a_handover(campaign)
    clerk = Principal("clerk", STANDARD_ROLES["clerk"], regions={"610202001002"})
    listed = campaign.acting_as(clerk).pairings(on=date(2022, 10, 1), history=False)
    assert [p.household_id for p in listed.pairings] == ["h2", "h4"]
    history = campaign.acting_as(clerk).pairings(history=True)
    assert {h.household_id for h in history.handovers} == {"h2", "h4"}


def test_reasons_are_masked_in_the_listing(campaign):
    _stock(campaign)
    campaign.pair(on=ON)
    campaign.end_pairing("p1", "h1", date(2022, 6, 30), "户主大病住院 13912345678")
    shown = json.dumps(campaign.pairings(history=True, household_id="h1").to_dict())
    assert "13912345678" not in shown
    assert "大病" not in shown


def test_cli_lists_ends_and_refuses(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    db = str(tmp_path / "pairings.db")
    with jieqin.connect(f"sqlite:///{db}") as campaign:
        _campaign_with_a_handover(campaign)
    assert run_cli(cli, ["pairings", "--on", "2022-10-01", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "4 pairings on 2022-10-01" in out
    assert "helper_inactive" in out
    assert run_cli(cli, ["pairings", "--household", "h4", "--history", "--json", "--db", db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [p["start"] for p in shown["pairings"]] == ["2022-03-01", "2022-09-01"]
    end = ["pairings", "end", "p1", "h1", "--on", "2022-10-31", "--reason", "moved away"]
    assert run_cli(cli, [*end, "--db", db]) == 0
    assert "on 2022-10-31" in capsys.readouterr().out
    assert run_cli(cli, [*end, "--db", db]) == 1
    err = capsys.readouterr().err
    assert "has no open pairing" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    early = ["pairings", "end", "p1", "h3", "--on", "2020-01-01", "--reason", "x", "--db", db]
    assert run_cli(cli, early) == 1
    assert "before it starts" in capsys.readouterr().err
    assert run_cli(cli, ["pairings", "list", "--helper", "p1", "--db", db]) == 0
    assert "h3" in capsys.readouterr().out


def test_cli_pair_keep_existing_takes_a_value_and_counts_new_pairings(tmp_path, capsys):
    db = str(tmp_path / "pair.db")
    with jieqin.connect(f"sqlite:///{db}") as campaign:
        _stock(campaign)
    assert run_cli(cli, ["pair", "--on", "2022-03-01", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "3 new pairings, 0 handovers" in out
    args = ["pair", "--on", "2022-09-01", "--keep-existing=false", "--handover-cost", "5"]
    assert run_cli(cli, [*args, "--dry-run", "--json", "--db", db]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["summary"]["new_pairings"] == 0
    assert all(h["to_helper_id"] for h in plan["handovers"] if h["reason"] == "re_paired")
    assert run_cli(cli, ["pair", "--keep-existing", "no", "--dry-run", "--db", db]) == 0
    capsys.readouterr()
    assert run_cli(cli, ["pair", "--make-room", "--dry-run", "--db", db]) == 2
    assert "--keep-existing=false" in capsys.readouterr().err
