"""The plugin manager, the registry and plugin errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import jieqin
from jieqin import hookimpl
from jieqin.errors import PluginError, UnknownBackend
from jieqin.plugins import describe_plugins, make_plugin_manager
from jieqin.plugins.registry import Registry


class Township:
    """An in-process plugin adding a tier, a need kind, a region name and an agency."""

    __name__ = "township"

    @hookimpl
    def jieqin_register_tiers(self, register: Callable[..., None]) -> None:
        register("township_member", "乡镇政协委员")

    @hookimpl
    def jieqin_register_need_kinds(self, register: Callable[..., None]) -> None:
        register("medical", "看病就医", sectors=("medical", "social_work"))

    @hookimpl
    def jieqin_register_region_names(self, register: Callable[[str, str], None]) -> None:
        register("610202", "王益区")

    @hookimpl
    def jieqin_register_agencies(self, register: Callable[..., None]) -> None:
        register("employment_center", "市就业促进中心", need_kinds=("employment",))


def test_builtins_register_the_standard_vocabularies_and_backends() -> None:
    registry = Registry.gather(make_plugin_manager(autoload=False, blocked=()))
    assert {"memory", "sqlite", "postgresql+psycopg"} <= set(registry.schemes())
    assert "city_member" in registry.tiers
    assert registry.activity_kinds.label("visit") == "常走动"
    assert registry.need_kinds.entries["medical"].extra["sectors"] == ("medical",)
    assert registry.household_statuses.entries["unstable"].extra["monitored"] is True
    assert registry.tiers.entries["city_member"].plugin == "vocabularies"


def test_a_plugin_adds_codes_and_overrides_a_builtin_label() -> None:
    registry = Registry.gather(
        make_plugin_manager(autoload=False, blocked=(), plugins=[Township()])
    )
    assert registry.tiers.entries["township_member"].plugin == "township"
    medical = registry.need_kinds.entries["medical"]
    assert (medical.label, medical.plugin) == ("看病就医", "township")
    assert medical.extra["sectors"] == ("medical", "social_work")
    assert ("need kind", "medical", "township", "vocabularies") in registry.overridden
    assert registry.region_name("610202") == "王益区"
    assert registry.agencies["employment_center"].need_kinds == frozenset({"employment"})


def test_blocking_a_builtin_removes_what_it_registers() -> None:
    pm = make_plugin_manager(autoload=False, blocked=["memory"])
    registry = Registry.gather(pm)
    assert "memory" not in registry.schemes()
    with pytest.raises(UnknownBackend, match=r"available schemes: .*sqlite://"):
        jieqin.connect("memory://", plugin_manager=pm)


def test_unknown_scheme_lists_the_available_ones() -> None:
    with pytest.raises(UnknownBackend) as info:
        jieqin.connect("oracle://somewhere/db")
    message = str(info.value)
    assert "'oracle'" in message
    for scheme in ("memory://", "sqlite://", "postgresql+psycopg://"):
        assert scheme in message


def test_a_raising_gathering_hook_names_the_plugin() -> None:
    class Broken:
        __name__ = "broken-programs"

        @hookimpl
        def jieqin_register_programs(self, register: Callable[[Any], None]) -> None:
            raise RuntimeError("programme table missing")

    pm = make_plugin_manager(autoload=False, blocked=(), plugins=[Broken()])
    with pytest.raises(PluginError, match=r"'broken-programs'.*jieqin_register_programs.*missing"):
        Registry.gather(pm)


def test_a_bad_code_from_a_plugin_names_the_plugin() -> None:
    class BadCode:
        __name__ = "bad-code"

        @hookimpl
        def jieqin_register_sectors(self, register: Callable[..., None]) -> None:
            register("Not A Code", "x")

    with pytest.raises(PluginError, match=r"'bad-code'.*jieqin_register_sectors"):
        Registry.gather(make_plugin_manager(autoload=False, blocked=(), plugins=[BadCode()]))


def test_an_unknown_hook_is_refused_by_check_pending() -> None:
    class Typo:
        __name__ = "typo"

        @hookimpl
        def jieqin_register_programmes(self, register: Callable[[Any], None]) -> None:
            """Misspelt: there is no such hook."""

    with pytest.raises(PluginError, match=r"'typo'.*jieqin_register_programmes"):
        make_plugin_manager(autoload=False, blocked=(), plugins=[Typo()])


def test_describe_plugins_lists_versions_and_hooks() -> None:
    pm = make_plugin_manager(autoload=False, blocked=(), plugins=[Township()])
    infos = {info.name: info for info in describe_plugins(pm)}
    assert infos["memory"].version == jieqin.__version__
    assert infos["memory"].hooks == ("jieqin_register_storage_backends",)
    assert "jieqin_register_tiers" in infos["township"].hooks
    assert infos["township"].version is None
