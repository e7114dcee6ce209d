"""A plugin that raises, returns the wrong thing or is slow cannot corrupt data.

Notification hooks run before a unit of work is made permanent: one that raises
rolls everything back and the error names the plugin. Gathering hooks that register
nonsense fail the connection with an error naming the plugin. A slow hook only makes
other writers wait; they never overspend a fund or grant twice.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import jieqin
from jieqin.errors import PluginError
from jieqin.services.aid import allocate

from .test_concurrency import load


class Raising:
    """Raises from the grants notification."""

    __name__ = "raising-plugin"

    @jieqin.hookimpl
    def jieqin_grants_decided(self, decisions: Any, grants: Any) -> None:
        raise RuntimeError("the municipal system is down")


class WrongReturn:
    """Returns values where the hook returns nothing."""

    @jieqin.hookimpl
    def jieqin_grants_decided(self, decisions: Any, grants: Any) -> object:
        return {"grants": "not what you think"}


class Slow:
    """Takes its time over each notification."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls = 0

    @jieqin.hookimpl
    def jieqin_grants_decided(self, decisions: Any, grants: Any) -> None:
        self.calls += 1
        time.sleep(self.seconds)


class BadRegistration:
    """Registers a tier that is no code, and a storage backend that is no factory."""

    @jieqin.hookimpl
    def jieqin_register_tiers(self, register: Any) -> None:
        register(42, None)


class ReturnsInsteadOfRegistering:
    """Returns a list from a gathering hook instead of calling ``register``."""

    @jieqin.hookimpl
    def jieqin_register_sectors(self, register: Any) -> list[str]:
        return ["not registered"]


def _state(url: str) -> tuple[int, int, int]:
    with jieqin.connect(url) as campaign, campaign.unit_of_work() as uow:
        return uow.grants.count(), uow.decisions.count(), uow.audit.count()


def _allocate_all(campaign: jieqin.Campaign) -> Any:
    with campaign.unit_of_work("clerk") as uow:
        return allocate(
            uow, load.PROGRAM, load.YEAR, fund_id=load.FUND_ID, on=load.date(2021, 9, 1)
        )


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'plugins.db'}"
    load.prepare(url, households_count=6, budget_grants=4)
    return url


def test_a_raising_hook_rolls_back_and_names_the_plugin(url: str) -> None:
    before = _state(url)
    plugin = Raising()
    with jieqin.connect(url, plugins=[plugin]) as campaign, pytest.raises(PluginError) as caught:
        _allocate_all(campaign)
    assert "municipal system is down" in str(caught.value)
    assert "plugin 'raising-plugin' failed in jieqin_grants_decided" in str(caught.value)
    assert _state(url) == before


def test_a_hook_returning_the_wrong_type_changes_nothing(url: str) -> None:
    with jieqin.connect(url, plugins=[WrongReturn()]) as campaign:
        plan = _allocate_all(campaign)
        with campaign.unit_of_work() as uow:
            stored = uow.grants.list()
    assert len(plan.grants) == 4
    assert stored == sorted(plan.grants, key=lambda g: g.grant_id)


def test_a_gathering_hook_registering_nonsense_fails_naming_the_plugin(url: str) -> None:
    before = _state(url)
    with pytest.raises(
        PluginError, match="plugin 'BadRegistration' failed in jieqin_register_tiers"
    ):
        jieqin.connect(url, plugins=[BadRegistration()])
    assert _state(url) == before


def test_a_gathering_hook_returning_instead_of_registering_registers_nothing(url: str) -> None:
    with jieqin.connect(url, plugins=[ReturnsInsteadOfRegistering()]) as campaign:
        assert "not registered" not in str(campaign.registry.sectors)
        assert _allocate_all(campaign).grants


def test_a_slow_hook_makes_others_wait_without_overspending(url: str) -> None:
    slow = Slow(0.4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with jieqin.connect(url, plugins=[slow]) as campaign:
                _allocate_all(campaign)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with jieqin.connect(url) as campaign, campaign.unit_of_work() as uow:
        grants = uow.grants.list()
        fund = uow.funds.get(load.FUND_ID)
    assert sum(g.amount for g in grants) == fund.budget
    assert max(Counter(g.member_id for g in grants).values()) == 1
    assert slow.calls == 3
