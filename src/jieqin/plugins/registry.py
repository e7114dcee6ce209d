"""The registry: everything the plugins contribute, gathered once per campaign.

Building a :class:`Registry` calls each gathering hook once, implementation by
implementation, so every entry knows the plugin that registered it and an error
names the plugin. Nothing here is called per record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pluggy
from attrs import define, field, frozen

from jieqin.errors import InvalidValue, JieqinError, PluginError, UnknownBackend
from jieqin.model.vocab import check_code
from jieqin.plugins.hookspecs import StorageFactory
from jieqin.plugins.manager import plugin_label

__all__ = [
    "Agency",
    "BackendEntry",
    "Registered",
    "Registry",
    "Vocabulary",
    "VocabularyEntry",
    "url_scheme",
]


@frozen
class VocabularyEntry:
    """One code of a vocabulary: its label, the plugin that registered it, extras.

    ``extra`` holds keyword arguments given to ``register``: ``sectors`` for a need
    kind, ``monitored`` for a household status.
    """

    code: str
    label: str
    plugin: str
    extra: Mapping[str, Any] = field(factory=dict)


@define
class Vocabulary:
    """The codes of one vocabulary (tiers, sectors, need kinds...) in registration order."""

    name: str
    entries: dict[str, VocabularyEntry] = field(factory=dict)

    def __contains__(self, code: object) -> bool:
        return code in self.entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def codes(self) -> frozenset[str]:
        return frozenset(self.entries)

    def label(self, code: str) -> str:
        """The label of ``code``, or the code itself when it is unknown."""
        entry = self.entries.get(code)
        return entry.label if entry else code

    def check(self, code: str, *, field: str) -> str:
        """Return ``code`` if registered; else :class:`InvalidValue` listing the codes."""
        if code not in self.entries:
            raise InvalidValue(
                f"unknown {self.name} {code!r}; known: {', '.join(sorted(self.entries))}",
                field=field,
            )
        return code


@frozen
class Agency:
    """An agency needs can be referred to, and the kinds of need it takes."""

    agency_id: str
    name: str
    need_kinds: frozenset[str]
    plugin: str


@frozen
class BackendEntry:
    """A storage backend: the URL scheme it serves and its factory."""

    scheme: str
    factory: StorageFactory
    plugin: str


@frozen
class Registered:
    """An object a plugin registered (a programme, a need rule, a cost term...)."""

    key: str
    value: Any
    plugin: str


def url_scheme(url: str) -> str:
    """The scheme of a database URL: ``sqlite``, ``postgresql+psycopg``, ``memory``."""
    scheme, sep, _ = url.partition(":")
    return scheme.lower() if sep else ""


def _object_key(obj: object) -> str:
    for attribute in (
        "program_id",
        "rule_id",
        "term_id",
        "cadence_id",
        "window_id",
        "name",
        "code",
    ):
        value = getattr(obj, attribute, None)
        if isinstance(value, str):
            return value
    inner = getattr(obj, "program", None)
    if inner is not None and isinstance(getattr(inner, "program_id", None), str):
        return str(inner.program_id)
    return repr(obj)


@define
class Registry:
    """What all plugins registered. Build it with :meth:`gather`."""

    backends: dict[str, BackendEntry] = field(factory=dict)
    tiers: Vocabulary = field(factory=lambda: Vocabulary("tier"))
    sectors: Vocabulary = field(factory=lambda: Vocabulary("sector"))
    household_statuses: Vocabulary = field(factory=lambda: Vocabulary("household status"))
    need_kinds: Vocabulary = field(factory=lambda: Vocabulary("need kind"))
    activity_kinds: Vocabulary = field(factory=lambda: Vocabulary("activity kind"))
    region_names: dict[str, str] = field(factory=dict)
    agencies: dict[str, Agency] = field(factory=dict)
    programs: dict[str, Registered] = field(factory=dict)
    need_rules: dict[str, Registered] = field(factory=dict)
    cost_terms: dict[str, Registered] = field(factory=dict)
    cadences: dict[str, Registered] = field(factory=dict)
    campaign_windows: dict[str, Registered] = field(factory=dict)
    overridden: list[tuple[str, str, str, str]] = field(factory=list)
    """``(what, key, kept_plugin, ignored_plugin)`` for every duplicate registration."""

    # -- lookups ------------------------------------------------------------------

    def schemes(self) -> list[str]:
        return sorted(self.backends)

    def backend(self, url: str) -> BackendEntry:
        """The backend for ``url``'s scheme; :class:`UnknownBackend` lists the schemes."""
        scheme = url_scheme(url)
        entry = self.backends.get(scheme)
        if entry is None:
            raise UnknownBackend(
                f"no storage backend for {scheme or url!r}; available schemes: "
                + ", ".join(f"{s}://" for s in self.schemes())
            )
        return entry

    def region_name(self, code: str) -> str | None:
        """The registered name of a region code, if any."""
        return self.region_names.get(code)

    def objects(self, what: str) -> list[Any]:
        """The registered objects of ``programs``, ``need_rules``, ``cost_terms``,
        ``cadences`` or ``campaign_windows``, in registration order."""
        table: dict[str, Registered] = getattr(self, what)
        return [entry.value for entry in table.values()]

    # -- building -----------------------------------------------------------------

    @classmethod
    def gather(cls, pm: pluggy.PluginManager) -> Registry:
        """Call every gathering hook once and collect what the plugins register."""
        registry = cls()
        registry._gather(pm)
        return registry

    def _keep(self, what: str, table: dict[str, Any], key: str, value: Any, plugin: str) -> None:
        existing = table.get(key)
        if existing is not None:
            self.overridden.append((what, key, existing.plugin, plugin))
            return
        table[key] = value

    def _gather(self, pm: pluggy.PluginManager) -> None:
        def vocabulary(vocab: Vocabulary) -> Callable[[str], Callable[..., None]]:
            def make(plugin: str) -> Callable[..., None]:
                def register(code: str, label: str | None = None, **extra: Any) -> None:
                    check_code(code, field=vocab.name)
                    entry = VocabularyEntry(code, label or code, plugin, dict(extra))
                    self._keep(vocab.name, vocab.entries, code, entry, plugin)

                return register

            return make

        def backends(plugin: str) -> Callable[..., None]:
            def register(scheme: str, factory: StorageFactory) -> None:
                if not callable(factory):
                    raise InvalidValue(f"factory for {scheme!r} is not callable", field="factory")
                entry = BackendEntry(scheme.lower(), factory, plugin)
                self._keep("backend", self.backends, entry.scheme, entry, plugin)

            return register

        def regions(plugin: str) -> Callable[..., None]:
            def register(code: str, name: str) -> None:
                self.region_names.setdefault(str(code), name)

            return register

        def agencies(plugin: str) -> Callable[..., None]:
            def register(agency_id: str, name: str, need_kinds: Any = ()) -> None:
                agency = Agency(agency_id, name, frozenset(need_kinds), plugin)
                self._keep("agency", self.agencies, agency_id, agency, plugin)

            return register

        def objects(
            table: dict[str, Registered], what: str
        ) -> Callable[[str], Callable[..., None]]:
            def make(plugin: str) -> Callable[..., None]:
                def register(obj: Any) -> None:
                    key = _object_key(obj)
                    self._keep(what, table, key, Registered(key, obj, plugin), plugin)

                return register

            return make

        gatherers: dict[str, Callable[[str], Callable[..., None]]] = {
            "jieqin_register_storage_backends": backends,
            "jieqin_register_tiers": vocabulary(self.tiers),
            "jieqin_register_sectors": vocabulary(self.sectors),
            "jieqin_register_household_statuses": vocabulary(self.household_statuses),
            "jieqin_register_need_kinds": vocabulary(self.need_kinds),
            "jieqin_register_activity_kinds": vocabulary(self.activity_kinds),
            "jieqin_register_region_names": regions,
            "jieqin_register_agencies": agencies,
            "jieqin_register_programs": objects(self.programs, "program"),
            "jieqin_register_need_rules": objects(self.need_rules, "need rule"),
            "jieqin_register_pairing_cost_terms": objects(self.cost_terms, "cost term"),
            "jieqin_register_cadences": objects(self.cadences, "cadence"),
            "jieqin_register_campaign_windows": objects(self.campaign_windows, "campaign window"),
        }
        for hook_name, make_register in gatherers.items():
            _call_each(pm, hook_name, make_register)


def _call_each(
    pm: pluggy.PluginManager, hook_name: str, make_register: Callable[[str], Callable[..., None]]
) -> None:
    """Call each implementation of a gathering hook in pluggy's order with its own
    ``register``, so that entries and errors carry the plugin's name."""
    hook = getattr(pm.hook, hook_name)
    for impl in reversed(hook.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue
        register = make_register(impl.plugin_name)
        arguments = {"register": register}
        try:
            impl.function(*[arguments[name] for name in impl.argnames])
        except Exception as exc:
            detail = str(exc) if isinstance(exc, JieqinError) else f"{type(exc).__name__}: {exc}"
            raise PluginError(
                f"{plugin_label(pm, impl.plugin_name)} failed in {hook_name}: {detail}"
            ) from exc
