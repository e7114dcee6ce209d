"""Plugins installed as distributions: loading, errors that name them, blocking."""

from __future__ import annotations

import pytest

import jieqin
from jieqin.errors import PluginError
from jieqin.plugins import describe_plugins, make_plugin_manager
from jieqin.plugins.registry import Registry

from .conftest import InstallPlugin

GOOD = """
from jieqin import hookimpl

__version__ = "ignored: the distribution's version is shown"

@hookimpl
def jieqin_register_tiers(register):
    register("township_member", "乡镇政协委员")

@hookimpl
def jieqin_register_region_names(register):
    register("610203", "印台区")
"""

BROKEN_IMPORT = """
import a_module_that_is_not_installed
"""

BAD_ARGUMENT = """
from jieqin import hookimpl

@hookimpl
def jieqin_register_tiers(regster):
    pass
"""

RAISING_NOTIFICATION = """
from jieqin import hookimpl

@hookimpl
def jieqin_need_resolved(campaign, need):
    raise ConnectionError("municipal system unreachable")
"""


def test_an_installed_plugin_is_loaded_with_its_distribution(
    install_plugin: InstallPlugin,
) -> None:
    install_plugin("jieqin-yintai", "1.2.3", "yintai", GOOD)
    pm = make_plugin_manager()
    infos = {info.name: info for info in describe_plugins(pm)}
    assert infos["yintai"].distribution == "jieqin-yintai"
    assert infos["yintai"].version == "1.2.3"
    assert infos["yintai"].hooks == ("jieqin_register_region_names", "jieqin_register_tiers")
    registry = Registry.gather(pm)
    assert registry.tiers.entries["township_member"].plugin == "yintai"
    assert registry.region_name("610203") == "印台区"


def test_a_plugin_that_fails_to_import_is_named_with_distribution_and_version(
    install_plugin: InstallPlugin,
) -> None:
    install_plugin("jieqin-broken", "0.9", "broken", BROKEN_IMPORT)
    with pytest.raises(PluginError) as info:
        make_plugin_manager()
    message = str(info.value)
    assert "'broken'" in message
    assert "jieqin-broken 0.9" in message
    assert "a_module_that_is_not_installed" in message


def test_a_hook_with_a_wrong_argument_is_named(install_plugin: InstallPlugin) -> None:
    install_plugin("jieqin-typo", "0.1", "typo", BAD_ARGUMENT)
    with pytest.raises(PluginError, match=r"(?s)'typo' \(distribution jieqin-typo 0.1\).*regster"):
        make_plugin_manager()


def test_autoload_can_be_disabled(
    install_plugin: InstallPlugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin("jieqin-broken", "0.9", "broken", BROKEN_IMPORT)
    install_plugin("jieqin-yintai", "1.2.3", "yintai", GOOD)
    monkeypatch.setenv("JIEQIN_DISABLE_PLUGIN_AUTOLOAD", "1")
    names = {info.name for info in describe_plugins(make_plugin_manager())}
    assert names == {"memory", "sqlalchemy", "vocabularies"}


def test_blocked_plugins_are_not_loaded(
    install_plugin: InstallPlugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin("jieqin-broken", "0.9", "broken", BROKEN_IMPORT)
    install_plugin("jieqin-typo", "0.1", "typo", BAD_ARGUMENT)
    install_plugin("jieqin-yintai", "1.2.3", "yintai", GOOD)
    monkeypatch.setenv("JIEQIN_BLOCKED_PLUGINS", "broken, typo,vocabularies")
    pm = make_plugin_manager()
    names = {info.name for info in describe_plugins(pm)}
    assert "yintai" in names
    assert not names & {"broken", "typo", "vocabularies"}
    registry = Registry.gather(pm)
    assert "city_member" not in registry.tiers
    assert "township_member" in registry.tiers


def test_a_raising_notification_names_the_installed_plugin(
    install_plugin: InstallPlugin,
) -> None:
    install_plugin("jieqin-notify", "2.0", "notify", RAISING_NOTIFICATION)
    from jieqin.testing.contract import make_household, make_need

    with jieqin.connect("memory://") as campaign:
        with campaign.unit_of_work("clerk") as uow:
            uow.households.add(make_household("hh001"))
            uow.commit()
        with campaign.unit_of_work("clerk") as uow:
            need = make_need("n1", status="resolved", resolved_on=make_need().raised_on)
            uow.needs.add(need)
            uow.notify("jieqin_need_resolved", need=need)
            with pytest.raises(PluginError) as info:
                uow.commit()
        message = str(info.value)
        assert "'notify' (distribution jieqin-notify 2.0)" in message
        assert "jieqin_need_resolved" in message
        assert "municipal system unreachable" in message
        with campaign.unit_of_work("clerk") as uow:
            assert uow.needs.count() == 0


RAISING_GATHERING = """
from jieqin import hookimpl

def _table():
    raise KeyError("610299")

@hookimpl
def jieqin_register_region_names(register):
    for code, name in _table().items():
        register(code, name)
"""


def test_a_raising_gathering_hook_names_the_installed_plugin(
    install_plugin: InstallPlugin,
) -> None:
    install_plugin("jieqin-regions", "3.1", "regions", RAISING_GATHERING)
    with pytest.raises(PluginError) as info:
        Registry.gather(make_plugin_manager())
    message = str(info.value)
    assert "plugin 'regions' (distribution jieqin-regions 3.1)" in message
    assert "jieqin_register_region_names" in message
    assert "KeyError: '610299'" in message
