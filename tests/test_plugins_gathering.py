"""Gathering hooks called through pluggy: wrappers, monitoring, and who registered what."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pluggy
import pytest

from jieqin import hookimpl
from jieqin.errors import PluginError
from jieqin.plugins import (
    RegisterAgency,
    RegisterCode,
    RegisterHouseholdStatus,
    RegisterNeedKind,
    RegisterRegionName,
    make_plugin_manager,
)
from jieqin.plugins.hookspecs import GATHERING_HOOKS
from jieqin.plugins.registry import Registry


def gather(*plugins: object) -> Registry:
    return Registry.gather(make_plugin_manager(autoload=False, blocked=(), plugins=plugins))


class Tiers:
    """One plugin class, registered twice under two names with two different tiers."""

    def __init__(self, name: str, tier: str) -> None:
        self.__name__ = name
        self.tier = tier

    @hookimpl
    def jieqin_register_tiers(self, register: RegisterCode) -> None:
        register(self.tier, self.tier.replace("_", " "))


class Audit:
    """A new-style wrapper: sees the call and its result, registers after ``yield``."""

    __name__ = "audit"

    def __init__(self) -> None:
        self.results: list[object] = []
        self.errors: list[BaseException] = []

    @hookimpl(wrapper=True)
    def jieqin_register_tiers(self, register: RegisterCode) -> Generator[None, Any, Any]:
        try:
            result = yield
        except Exception as exc:
            self.errors.append(exc)
            raise
        self.results.append(result)
        register("village_cadre", "村干部")
        return result


class OldStyleAudit:
    """An old-style hookwrapper: gets the call's outcome."""

    __name__ = "old-audit"

    def __init__(self) -> None:
        self.outcomes: list[pluggy.Result[Any]] = []

    @hookimpl(hookwrapper=True)
    def jieqin_register_sectors(self, register: RegisterCode) -> Generator[None, Any, None]:
        outcome = yield
        self.outcomes.append(outcome)


def test_a_wrapper_sees_the_call_and_registers_after_yield() -> None:
    audit = Audit()
    registry = gather(audit, Tiers("township", "township_member"))
    assert audit.results == [[]]
    assert registry.tiers.entries["village_cadre"].plugin == "audit"
    assert registry.tiers.entries["township_member"].plugin == "township"
    # the wrapper's registration comes after every implementation's
    assert list(registry.tiers)[-1] == "village_cadre"


def test_an_old_style_hookwrapper_gets_the_outcome() -> None:
    audit = OldStyleAudit()
    registry = gather(audit)
    assert len(audit.outcomes) == 1
    assert audit.outcomes[0].get_result() == []
    assert "medical" in registry.sectors


def test_call_monitoring_sees_every_gathering_hook() -> None:
    pm = make_plugin_manager(autoload=False, blocked=())
    before: list[str] = []
    after: list[str] = []
    undo = pm.add_hookcall_monitoring(
        lambda name, impls, kwargs: before.append(name),
        lambda outcome, name, impls, kwargs: after.append(name),
    )
    try:
        Registry.gather(pm)
    finally:
        undo()
    assert sorted(before) == sorted(GATHERING_HOOKS)
    assert after == before


def test_tracing_sees_the_gathering_hooks() -> None:
    pm = make_plugin_manager(autoload=False, blocked=())
    lines: list[str] = []
    pm.trace.root.setwriter(lines.append)
    undo = pm.enable_tracing()
    try:
        Registry.gather(pm)
    finally:
        undo()
    traced = "".join(lines)
    for hook_name in GATHERING_HOOKS:
        assert hook_name in traced


def test_each_entry_names_its_plugin_when_two_instances_share_code() -> None:
    registry = gather(Tiers("yintai", "yintai_member"), Tiers("yaozhou", "yaozhou_member"))
    assert registry.tiers.entries["yintai_member"].plugin == "yintai"
    assert registry.tiers.entries["yaozhou_member"].plugin == "yaozhou"
    assert registry.tiers.entries["city_member"].plugin == "vocabularies"


def _add_codes(register: RegisterCode, codes: list[str]) -> None:
    for code in codes:
        register(code, code)


def _name_regions(register: RegisterRegionName, names: dict[str, str]) -> None:
    for code, name in names.items():
        register(code, name)


class ThroughHelpers:
    """Registers through a module-level helper and through a nested function."""

    __name__ = "helpers"

    @hookimpl
    def jieqin_register_region_names(self, register: RegisterRegionName) -> None:
        _name_regions(register, {"610202": "王益区", "610203": "印台区"})

    @hookimpl
    def jieqin_register_agencies(self, register: RegisterAgency) -> None:
        def add() -> None:
            register("civil_affairs", "民政局", need_kinds=("social_insurance",))

        add()


def test_registering_through_a_helper_function_names_the_plugin() -> None:
    registry = gather(ThroughHelpers(), Tiers("township", "township_member"))
    assert registry.agencies["civil_affairs"].plugin == "helpers"
    assert registry.region_name_counts == {"helpers": 2}
    assert registry.registered_by("helpers").region_names == 2


def test_a_hook_wrapper_does_not_take_the_blame_for_a_plugin_that_raises() -> None:
    class Broken:
        __name__ = "broken-tiers"

        @hookimpl
        def jieqin_register_tiers(self, register: RegisterCode) -> None:
            raise RuntimeError("tier table missing")

    audit = Audit()
    with pytest.raises(PluginError, match=r"'broken-tiers'.*jieqin_register_tiers.*missing"):
        gather(audit, Broken())
    assert [str(e) for e in audit.errors] == ["tier table missing"]


def test_an_error_in_a_helper_names_the_plugin_that_called_it() -> None:
    class BadHelper:
        __name__ = "bad-helper"

        @hookimpl
        def jieqin_register_tiers(self, register: RegisterCode) -> None:
            _add_codes(register, ["township_member", "Not A Code"])

    with pytest.raises(PluginError, match=r"'bad-helper'.*jieqin_register_tiers.*'Not A Code'"):
        gather(BadHelper(), Tiers("township", "village_member"))


def test_register_kept_past_the_hook_call_is_refused() -> None:
    kept: list[RegisterCode] = []

    class Keeper:
        __name__ = "keeper"

        @hookimpl
        def jieqin_register_activity_kinds(self, register: RegisterCode) -> None:
            kept.append(register)

    registry = gather(Keeper())
    with pytest.raises(PluginError, match="after the hook returned"):
        kept[0]("late_visit", "迟到的走访")
    assert "late_visit" not in registry.activity_kinds


class MoreMonitoring:
    """A region's own monitoring category of the return-to-poverty scheme."""

    __name__ = "more-monitoring"

    @hookimpl
    def jieqin_register_household_statuses(self, register: RegisterHouseholdStatus) -> None:
        register("low_income_monitored", "低收入监测户", monitored=True)
        register("relocated", "易地搬迁户")


def test_monitored_statuses_include_a_plugins_monitored_status() -> None:
    assert gather().monitored_statuses() == {"unstable", "edge_of_poverty", "sudden_difficulty"}
    registry = gather(MoreMonitoring())
    assert registry.monitored_statuses() == {
        "unstable",
        "edge_of_poverty",
        "sudden_difficulty",
        "low_income_monitored",
    }
    assert "relocated" in registry.household_statuses


def test_a_plugin_relabelling_a_monitored_status_without_the_flag_unmonitors_it() -> None:
    class Relabel:
        __name__ = "relabel"

        @hookimpl
        def jieqin_register_household_statuses(self, register: RegisterHouseholdStatus) -> None:
            register("unstable", "不稳定户")

    assert gather(Relabel()).monitored_statuses() == {"edge_of_poverty", "sudden_difficulty"}


def test_registered_by_lists_a_plugins_codes_and_its_overrides() -> None:
    class Township:
        __name__ = "township"

        @hookimpl
        def jieqin_register_need_kinds(self, register: RegisterNeedKind) -> None:
            register("medical", "看病就医", sectors=("medical", "social_work"))
            register("elder_care", "养老", sectors="social_work")

    registry = gather(Township())
    mine = registry.registered_by("township")
    assert mine.need_kinds == ("medical", "elder_care")
    assert registry.need_kinds.entries["elder_care"].extra["sectors"] == ("social_work",)
    assert [tuple(o) for o in mine.overridden] == [
        ("need kind", "medical", "township", "vocabularies")
    ]
    theirs = registry.registered_by("vocabularies")
    assert "medical" not in theirs.need_kinds
    assert theirs.overridden == mine.overridden
    assert theirs.tiers == ("provincial_member", "city_member", "county_member", "agency_staff")
    assert registry.registered_by("memory").backends == ("memory",)
