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


# --- one table of reference data, one Agency class -----------------------------------


def test_the_builtin_vocabularies_are_the_reference_table() -> None:
    from jieqin.model import reference

    registry = Registry.gather(make_plugin_manager(autoload=False, blocked=()))
    tables = [
        (registry.tiers, reference.TIERS),
        (registry.sectors, reference.SECTORS),
        (registry.household_statuses, reference.HOUSEHOLD_STATUSES),
        (registry.need_kinds, reference.NEED_KINDS),
        (registry.activity_kinds, reference.ACTIVITY_KINDS),
    ]
    for vocabulary, table in tables:
        assert [(code, vocabulary.label(code)) for code in vocabulary] == [
            (entry.code, entry.label) for entry in table
        ]
    for kind in reference.NEED_KINDS:
        assert registry.need_kinds.entries[kind.code].extra["sectors"] == kind.sectors
    assert registry.monitored_statuses() == reference.monitored_statuses()
    assert registry.need_kinds.label("winter_food") == "冬季粮油果蔬"


def test_needs_routing_and_the_pairing_policy_read_the_reference_table() -> None:
    from jieqin.model import MONITORED_STATUSES, NeedKind, Sector, reference
    from jieqin.needs import STANDARD_NEED_KINDS
    from jieqin.pairing import PairingPolicy
    from jieqin.pairing.policy import DEFAULT_NEED_SECTORS

    assert {code: (k.label, k.sectors) for code, k in STANDARD_NEED_KINDS.items()} == {
        k.code: (k.label, frozenset(k.sectors)) for k in reference.NEED_KINDS
    }
    assert dict(DEFAULT_NEED_SECTORS) == reference.need_sectors()
    assert PairingPolicy().need_sectors[NeedKind.EMPLOYMENT] == {
        Sector.EMPLOYMENT,
        Sector.COMMERCE,
    }
    assert reference.monitored_statuses() == MONITORED_STATUSES
    assert len({k.code for k in reference.NEED_KINDS}) == len(NeedKind)


def test_one_agency_class_for_the_registry_and_needs_routing() -> None:
    from jieqin import Context, Year
    from jieqin.needs import route_need
    from jieqin.plugins import Agency
    from jieqin.testing.contract import make_need

    assert Agency is jieqin.Agency
    registry = Registry.gather(
        make_plugin_manager(autoload=False, blocked=(), plugins=[Township()])
    )
    agency = registry.agencies["employment_center"]
    assert type(agency) is jieqin.Agency
    assert agency.plugin == "township"
    # the plugin is provenance: an agency built by hand is the same agency
    assert agency == jieqin.Agency("employment_center", "市就业促进中心", {"employment"})
    result = route_need(
        make_need(kind="employment"),
        household=None,
        context=Context(Year(2021)),
        agencies=[agency],
    )
    assert result.route is not None
    assert (result.route.kind, result.route.target) == ("referral", "employment_center")


def test_an_agency_with_a_bad_need_kind_names_the_plugin() -> None:
    class BadAgency:
        __name__ = "bad-agency"

        @hookimpl
        def jieqin_register_agencies(self, register: Callable[..., None]) -> None:
            register("civil_affairs", "民政局", need_kinds=("Social Insurance",))

    with pytest.raises(PluginError, match=r"'bad-agency'.*jieqin_register_agencies"):
        Registry.gather(make_plugin_manager(autoload=False, blocked=(), plugins=[BadAgency()]))


# --- typed register callbacks ------------------------------------------------------------


def test_each_register_callback_has_the_signature_its_protocol_documents() -> None:
    import inspect

    from jieqin.plugins import hookspecs

    protocols = {
        "jieqin_register_storage_backends": hookspecs.RegisterBackend,
        "jieqin_register_tiers": hookspecs.RegisterCode,
        "jieqin_register_sectors": hookspecs.RegisterCode,
        "jieqin_register_household_statuses": hookspecs.RegisterHouseholdStatus,
        "jieqin_register_need_kinds": hookspecs.RegisterNeedKind,
        "jieqin_register_activity_kinds": hookspecs.RegisterCode,
        "jieqin_register_region_names": hookspecs.RegisterRegionName,
        "jieqin_register_agencies": hookspecs.RegisterAgency,
        "jieqin_register_referral_outcomes": hookspecs.RegisterCode,
        "jieqin_register_programs": hookspecs.RegisterObject,
        "jieqin_register_need_rules": hookspecs.RegisterObject,
        "jieqin_register_pairing_cost_terms": hookspecs.RegisterObject,
        "jieqin_register_cadences": hookspecs.RegisterObject,
        "jieqin_register_campaign_windows": hookspecs.RegisterObject,
        "jieqin_register_principals": hookspecs.RegisterPrincipal,
        "jieqin_register_header_aliases": hookspecs.RegisterHeaderAlias,
        "jieqin_register_grievance_categories": hookspecs.RegisterCode,
        "jieqin_register_parameters": hookspecs.RegisterObject,
        "jieqin_register_regional_parameters": hookspecs.RegisterRegionalParameter,
        "jieqin_register_observation_feeds": hookspecs.RegisterFeed,
    }
    assert set(protocols) == set(hookspecs.GATHERING_HOOKS)
    seen: dict[str, Callable[..., None]] = {}

    def recorder(hook_name: str) -> Callable[..., None]:
        def record(register: Callable[..., None]) -> None:
            seen[hook_name] = register

        return hookimpl(specname=hook_name)(record)

    class Recorder:
        __name__ = "recorder"

    recording = Recorder()
    for n, hook_name in enumerate(protocols):
        setattr(recording, f"record_{n}", recorder(hook_name))
    Registry.gather(make_plugin_manager(autoload=False, blocked=(), plugins=[recording]))

    def shape(function: Callable[..., None]) -> list[tuple[str, object, object]]:
        parameters = inspect.signature(function).parameters.values()
        return [(p.name, p.kind, p.default) for p in parameters if p.name != "self"]

    for hook_name, protocol in protocols.items():
        assert shape(seen[hook_name]) == shape(protocol.__call__), hook_name
        spec = inspect.signature(getattr(hookspecs, hook_name)).parameters["register"]
        assert str(spec.annotation).startswith(protocol.__name__), hook_name


def test_a_wrapper_around_a_notification_does_not_take_the_blame() -> None:
    from collections.abc import Generator

    from jieqin.plugins.manager import call_notification

    class Forwarder:
        __name__ = "forwarder"

        @hookimpl
        def jieqin_need_resolved(self, campaign: object, need: object) -> None:
            raise ConnectionError("municipal system unreachable")

    class Timer:
        __name__ = "timer"

        @hookimpl(wrapper=True)
        def jieqin_need_resolved(self, campaign: object, need: object) -> Generator[None]:
            return (yield)

    pm = make_plugin_manager(autoload=False, blocked=(), plugins=[Timer(), Forwarder()])
    with pytest.raises(PluginError, match=r"^plugin 'forwarder' failed in jieqin_need_resolved"):
        call_notification(pm, "jieqin_need_resolved", campaign=None, need=None)
