"""The jsonl:// store on disk: reopening, atomic commits, crash leftovers, other processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from jieqin_jsonl import JsonlStorage, path_from_url

import jieqin
from jieqin.errors import ConflictError, StorageError

REGION = jieqin.RegionCode("610202")


def _helper(helper_id: str, name: str = "张志明") -> jieqin.Helper:
    return jieqin.Helper(helper_id, name, "city_member", REGION, capacity=2)


def _url(path: Path) -> str:
    return f"jsonl://{path}"


def _add_one_helper(path: Path) -> None:
    with jieqin.connect(_url(path)) as campaign, campaign.unit_of_work(actor="clerk") as uow:
        uow.helpers.add(_helper("hp-1"))
        uow.commit()


def test_the_plugin_serves_the_jsonl_scheme(tmp_path: Path) -> None:
    with jieqin.connect(_url(tmp_path / "office")) as campaign:
        assert isinstance(campaign.storage, JsonlStorage)
    assert (tmp_path / "office").is_dir()


def test_urls() -> None:
    assert path_from_url("jsonl:///srv/office") == Path("/srv/office")
    assert path_from_url("jsonl://office") == Path("office")
    with pytest.raises(StorageError, match="jsonl:///path"):
        path_from_url("jsonl://")


def test_committed_records_are_there_after_reopening(tmp_path: Path) -> None:
    url = _url(tmp_path)
    with jieqin.connect(url) as campaign:
        with campaign.unit_of_work(actor="clerk:wang") as uow:
            uow.helpers.add_many([_helper("hp-1"), _helper("hp-2")])
            uow.commit()
        with campaign.unit_of_work(actor="clerk:wang") as uow:
            uow.helpers.update(_helper("hp-2", "刘芳"))
            uow.commit()
    with jieqin.connect(url) as campaign, campaign.unit_of_work(actor="reader") as uow:
        assert uow.helpers.list() == [_helper("hp-1"), _helper("hp-2", "刘芳")]
        assert [(e.actor, e.action) for e in uow.audit.entries()] == [
            ("clerk:wang", "add_many"),
            ("clerk:wang", "update"),
        ]
        assert uow.audit.entries(action="update")[0].changes == {
            "name": {"from": "张志明", "to": "刘芳"}
        }


def test_the_files_are_readable_json_lines(tmp_path: Path) -> None:
    with jieqin.connect(_url(tmp_path)) as campaign, campaign.unit_of_work(actor="c") as uow:
        uow.helpers.add(_helper("hp-1"))
        uow.commit()
    assert (tmp_path / "CURRENT").read_text().strip() == "1"
    (line,) = (tmp_path / "snapshot-00000001" / "helpers.jsonl").read_text("utf-8").splitlines()
    assert json.loads(line)["name"] == "张志明"
    assert jieqin.io.from_json(line, jieqin.Helper) == _helper("hp-1")


def test_without_commit_nothing_reaches_the_disk(tmp_path: Path) -> None:
    with jieqin.connect(_url(tmp_path)) as campaign:
        with campaign.unit_of_work(actor="clerk") as uow:
            uow.helpers.add(_helper("hp-1"))
        with campaign.unit_of_work(actor="clerk") as uow:
            assert uow.helpers.count() == 0
    assert not (tmp_path / "CURRENT").exists()
    assert not list(tmp_path.glob("snapshot-*"))


def test_a_failed_write_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    with jieqin.connect(_url(tmp_path)) as campaign:
        with campaign.unit_of_work(actor="clerk") as uow:
            uow.helpers.add(_helper("hp-1"))
            uow.commit()
        with campaign.unit_of_work(actor="clerk") as uow:
            uow.helpers.add(_helper("hp-2"))
            with pytest.raises(ConflictError):
                uow.helpers.add(_helper("hp-1"))
        with campaign.unit_of_work(actor="clerk") as uow:
            assert [h.helper_id for h in uow.helpers.list()] == ["hp-1"]


def test_unchanged_files_are_carried_to_the_next_generation(tmp_path: Path) -> None:
    from jieqin.testing import contract

    with jieqin.connect(_url(tmp_path)) as campaign:
        with campaign.unit_of_work(actor="clerk") as uow:
            uow.helpers.add(_helper("hp-1"))
            uow.households.add(contract.make_household("hh-1"))
            uow.pairings.add(jieqin.Pairing("hp-1", "hh-1", date(2021, 1, 1)))
            uow.commit()
        with campaign.unit_of_work(actor="clerk") as uow:
            uow.activities.add(jieqin.Activity("ac-1", "visit", date(2021, 2, 11), "hp-1", "hh-1"))
            uow.commit()
    snapshots = sorted(p.name for p in tmp_path.glob("snapshot-*"))
    assert snapshots == ["snapshot-00000002"]
    assert (tmp_path / "snapshot-00000002" / "helpers.jsonl").exists()
    with jieqin.connect(_url(tmp_path)) as campaign, campaign.unit_of_work(actor="r") as uow:
        assert uow.helpers.count() == 1
        assert uow.activities.count() == 1


def test_an_interrupted_commit_is_ignored_and_cleaned(tmp_path: Path) -> None:
    _add_one_helper(tmp_path)
    # What a crash before the CURRENT rename leaves: a half snapshot, a finished
    # next snapshot and its audit segment, and temporary files.
    (tmp_path / "snapshot-00000002.tmp").mkdir()
    (tmp_path / "snapshot-00000002.tmp" / "helpers.jsonl").write_text("{broken")
    (tmp_path / "snapshot-00000003").mkdir()
    (tmp_path / "audit" / "00000003.jsonl").write_text('{"entry_id": 99}\n')
    (tmp_path / "CURRENT.tmp").write_text("3\n")
    with jieqin.connect(_url(tmp_path)) as campaign, campaign.unit_of_work(actor="r") as uow:
        assert [h.helper_id for h in uow.helpers.list()] == ["hp-1"]
        assert uow.audit.count() == 1
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [".lock", "CURRENT", "audit", "snapshot-00000001"]
    assert sorted(p.name for p in (tmp_path / "audit").iterdir()) == ["00000001.jsonl"]


def test_a_damaged_file_is_reported(tmp_path: Path) -> None:
    _add_one_helper(tmp_path)
    path = tmp_path / "snapshot-00000001" / "helpers.jsonl"
    path.write_text(path.read_text("utf-8").replace('"city_member"', '"Mayor!"'), "utf-8")
    with pytest.raises(StorageError, match=r"damaged: helpers\.jsonl line 1: tier"):
        jieqin.connect(_url(tmp_path))


def test_another_process_sees_each_commit(tmp_path: Path) -> None:
    url = _url(tmp_path)
    with jieqin.connect(url) as campaign:
        with campaign.unit_of_work(actor="clerk") as uow:
            assert uow.helpers.count() == 0
        script = (
            "import jieqin\n"
            f"c = jieqin.connect({url!r})\n"
            "with c.unit_of_work(actor='other') as uow:\n"
            "    uow.helpers.add(jieqin.Helper('hp-9', 'x', 'city_member',"
            " jieqin.RegionCode('610202')))\n"
            "    uow.commit()\n"
        )
        subprocess.run([sys.executable, "-c", script], check=True, env=os.environ.copy())
        with campaign.unit_of_work(actor="clerk") as uow:
            assert [h.helper_id for h in uow.helpers.list()] == ["hp-9"]
            uow.helpers.add(_helper("hp-1"))
            uow.commit()
    with jieqin.connect(url) as campaign, campaign.unit_of_work(actor="r") as uow:
        assert uow.helpers.count() == 2
        assert [e.actor for e in uow.audit.entries()] == ["other", "clerk"]


def test_sensitive_facts_stay_out_of_the_audit_log(tmp_path: Path) -> None:
    born = date(1968, 3, 2)
    member = jieqin.Member("m1", "王建国", "male", born, "610220196803020118", phone="13900000001")
    household = jieqin.Household(
        "hh-1",
        jieqin.RegionCode("610202001001"),
        [member],
        [jieqin.StatusChange("lifted_out", date(2020, 6, 30))],
    )
    with jieqin.connect(_url(tmp_path)) as campaign, campaign.unit_of_work(actor="c") as uow:
        uow.households.add(household)
        uow.commit()
    audit = (tmp_path / "audit" / "00000001.jsonl").read_text("utf-8")
    assert "610220196803020118" not in audit
    assert "13900000001" not in audit
    assert "王建国" in audit


def test_every_kind_written_in_one_commit_is_read_back_from_disk(tmp_path: Path) -> None:
    from jieqin.testing import contract

    household = contract.make_household("hh001")
    records = {
        "helpers": [contract.make_helper("h001"), contract.make_helper("h002")],
        "households": [household],
        "pairings": [contract.make_pairing()],
        "needs": [contract.make_need()],
        "referrals": [contract.make_referral()],
        "activities": [contract.make_activity()],
        "programs": [contract.make_program()],
        "funds": [contract.make_fund()],
        "grants": [contract.make_grant(member_id=household.members[-1].member_id)],
        "decisions": [contract.make_decision()],
    }
    # Written through the storage alone: the sample records name codes no plugin here
    # registers, and the campaign's checks are not what this test is about.
    with jieqin.connect(_url(tmp_path)) as campaign, campaign.storage.unit_of_work("c") as uow:
        for name, items in records.items():
            getattr(uow, name).add_many(items)
        uow.commit()
    with jieqin.connect(_url(tmp_path)) as campaign, campaign.unit_of_work(actor="r") as uow:
        for name, items in records.items():
            assert getattr(uow, name).list() == items, name
        assert uow.households.household_of(household.members[0].member_id) == "hh001"


def test_an_audit_entry_changed_on_disk_is_caught(tmp_path: Path) -> None:
    """The audit segments on disk chain like every backend's log: editing an entry in
    its file, or removing a segment, breaks the chain at that entry."""
    from jieqin.storage import verify_audit

    for helper_id in ("hp-1", "hp-2", "hp-3"):
        with jieqin.connect(_url(tmp_path)) as campaign, campaign.unit_of_work("c") as uow:
            uow.helpers.add(_helper(helper_id))
            uow.commit()
    with jieqin.connect(_url(tmp_path)) as campaign:
        assert verify_audit(campaign).ok
    segment = tmp_path / "audit" / "00000002.jsonl"
    entry = json.loads(segment.read_text("utf-8"))
    assert entry["prev_hash"]
    assert entry["hash"]
    segment.write_text(json.dumps({**entry, "actor": "someone else"}) + "\n", "utf-8")
    with jieqin.connect(_url(tmp_path)) as campaign:
        problem = verify_audit(campaign).problem
    assert problem is not None
    assert (problem.entry_id, problem.kind) == (2, "hash_mismatch")
    segment.unlink()
    with jieqin.connect(_url(tmp_path)) as campaign:
        problem = verify_audit(campaign).problem
    assert problem is not None
    assert (problem.entry_id, problem.kind) == (3, "missing_entries")
