"""jieqin.connect() and the Campaign: default URL, units of work, notifications."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import jieqin
from jieqin import Campaign, hookimpl
from jieqin.errors import PluginError, StorageError
from jieqin.model import Handover, Pairing
from jieqin.storage.memory import MemoryStorage
from jieqin.storage.sql import SqlStorage
from jieqin.testing.contract import make_helper, make_household, make_pairing


class Recorder:
    """A plugin that records the notifications it receives."""

    __name__ = "recorder"

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    @hookimpl
    def jieqin_pairings_committed(
        self, campaign: Campaign, pairings: Sequence[Pairing], handovers: Sequence[Handover]
    ) -> None:
        self.calls.append((campaign.url, tuple(pairings)))


class Refuser:
    """A plugin whose notification hook fails."""

    __name__ = "refuser"

    @hookimpl
    def jieqin_pairings_committed(self, pairings: Sequence[Pairing]) -> None:
        raise ValueError(f"cannot forward {len(pairings)} pairings")


def test_the_default_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIEQIN_DATABASE_URL", "memory://")
    with jieqin.connect() as campaign:
        assert campaign.url == "memory://"
        assert isinstance(campaign.storage, MemoryStorage)


def test_the_default_is_a_sqlite_file_in_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("JIEQIN_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    with jieqin.connect() as campaign:
        assert campaign.url == "sqlite:///jieqin.db"
        assert isinstance(campaign.storage, SqlStorage)
    assert (tmp_path / "jieqin.db").exists()


def test_a_campaign_is_a_context_manager_and_refuses_work_when_closed() -> None:
    with jieqin.connect("memory://") as campaign:
        assert campaign.hook is campaign.plugin_manager.hook
        assert "visit" in campaign.registry.activity_kinds
    with pytest.raises(StorageError, match="closed"):
        campaign.unit_of_work("clerk")
    campaign.close()


def test_a_unit_of_work_needs_an_actor(campaign: Campaign) -> None:
    with pytest.raises(StorageError, match="actor"):
        campaign.unit_of_work(" ")


def test_notifications_run_at_commit(campaign_url: str) -> None:
    recorder = Recorder()
    with jieqin.connect(campaign_url, plugins=[recorder]) as campaign:
        with campaign.unit_of_work("pairing") as uow:
            uow.helpers.add(make_helper())
            uow.households.add_many([make_household(), make_household("hh002")])
            uow.commit()
            pairing = make_pairing()
            uow.pairings.add(pairing)
            uow.notify("jieqin_pairings_committed", pairings=[pairing], handovers=[])
            assert recorder.calls == []
            uow.commit()
            assert recorder.calls == [(campaign_url, (pairing,))]
        with campaign.unit_of_work("pairing") as uow:
            uow.pairings.add(make_pairing(household_id="hh002"))
            uow.notify("jieqin_pairings_committed", pairings=[], handovers=[])
        assert len(recorder.calls) == 1  # left without commit: no notification


def test_a_raising_notification_names_the_plugin_and_rolls_back(campaign_url: str) -> None:
    with jieqin.connect(campaign_url, plugins=[Refuser()]) as campaign:
        with campaign.unit_of_work("pairing") as uow:
            uow.helpers.add(make_helper())
            uow.households.add(make_household())
            uow.pairings.add(make_pairing())
            uow.notify("jieqin_pairings_committed", pairings=[make_pairing()], handovers=[])
            with pytest.raises(PluginError, match=r"'refuser'.*jieqin_pairings_committed.*1 pair"):
                uow.commit()
        with campaign.unit_of_work("auditor") as uow:
            assert uow.helpers.count() == 0
            assert uow.households.count() == 0
            assert uow.pairings.count() == 0
            assert uow.audit.count() == 0


def test_notify_calls_a_hook_now(campaign: Campaign) -> None:
    recorder = Recorder()
    campaign.plugin_manager.register(recorder)
    campaign.notify("jieqin_pairings_committed", pairings=[make_pairing()], handovers=[])
    assert recorder.calls == [(campaign.url, (make_pairing(),))]
    with pytest.raises(PluginError, match="no hook named"):
        campaign.notify("jieqin_pairing_made")
