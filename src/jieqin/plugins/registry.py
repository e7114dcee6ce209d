"""The registry: everything the plugins contribute, gathered once per campaign.

Building a :class:`Registry` calls each gathering hook once through pluggy's hook
caller (so hook wrappers, tracing and call monitoring see it). Each entry is credited
to the plugin whose implementation called ``register``, found from the calling frames,
and an error names the plugin. Nothing here is called per record.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import FrameType
from typing import TYPE_CHECKING, Any, NamedTuple

import pluggy
from attrs import define, field, frozen

from jieqin.errors import InvalidValue, JieqinError, PluginError, UnknownBackend
from jieqin.io.headers import STANDARD_HEADERS, HeaderAlias, HeaderTable
from jieqin.io.kinds import KINDS
from jieqin.model.vocab import check_code
from jieqin.needs.kinds import Agency
from jieqin.plugins.hookspecs import (
    FeedReader,
    RegisterAgency,
    RegisterBackend,
    RegisterCode,
    RegisterFeed,
    RegisterHeaderAlias,
    RegisterHouseholdStatus,
    RegisterNeedKind,
    RegisterObject,
    RegisterPrincipal,
    RegisterRegionalParameter,
    RegisterRegionName,
    StorageFactory,
)
from jieqin.plugins.manager import ImplementationFinder, plugin_label

if TYPE_CHECKING:
    from jieqin.rules.conditions import Condition
    from jieqin.rules.parameters import Parameters

__all__ = [
    "Agency",
    "BackendEntry",
    "FeedEntry",
    "Override",
    "PluginRegistrations",
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
class BackendEntry:
    """A storage backend: the URL scheme it serves and its factory."""

    scheme: str
    factory: StorageFactory
    plugin: str


@frozen
class FeedEntry:
    """A departmental feed: its name (a code), label, reader and the plugin that
    registered it (see :func:`~jieqin.plugins.hookspecs.jieqin_register_observation_feeds`)."""

    name: str
    label: str
    reader: FeedReader
    plugin: str
    kinds: tuple[str, ...] = ()
    english: str | None = None


@frozen
class Registered:
    """An object a plugin registered (a programme, a need rule, a cost term...)."""

    key: str
    value: Any
    plugin: str


class Override(NamedTuple):
    """A code registered twice: the registration ``kept`` and the one ``ignored``."""

    what: str
    key: str
    kept: str
    ignored: str


@frozen
class PluginRegistrations:
    """What one plugin registered and was kept, by kind, in registration order.

    ``region_names`` is a count (bulk tables run to thousands); ``overridden`` lists
    the codes registered twice where this plugin's registration was kept or ignored.
    """

    backends: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    household_statuses: tuple[str, ...] = ()
    need_kinds: tuple[str, ...] = ()
    activity_kinds: tuple[str, ...] = ()
    region_names: int = 0
    agencies: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    need_rules: tuple[str, ...] = ()
    cost_terms: tuple[str, ...] = ()
    cadences: tuple[str, ...] = ()
    campaign_windows: tuple[str, ...] = ()
    principals: tuple[str, ...] = ()
    overridden: tuple[Override, ...] = ()
    header_aliases: tuple[str, ...] = ()
    """``kind:alias`` of each header alias the plugin registered."""
    grievance_categories: tuple[str, ...] = ()
    referral_outcomes: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    regional_parameters: tuple[str, ...] = ()
    """``region:name`` of each regional parameter the plugin registered."""
    feeds: tuple[str, ...] = ()
    """The departmental feeds the plugin registered."""


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
    grievance_categories: Vocabulary = field(factory=lambda: Vocabulary("grievance category"))
    referral_outcomes: Vocabulary = field(factory=lambda: Vocabulary("referral outcome"))
    region_names: dict[str, str] = field(factory=dict)
    agencies: dict[str, Agency] = field(factory=dict)
    programs: dict[str, Registered] = field(factory=dict)
    need_rules: dict[str, Registered] = field(factory=dict)
    cost_terms: dict[str, Registered] = field(factory=dict)
    cadences: dict[str, Registered] = field(factory=dict)
    campaign_windows: dict[str, Registered] = field(factory=dict)
    principals: dict[str, Registered] = field(factory=dict)
    """Actor -> its :class:`~jieqin.security.PrincipalEntry` (``jieqin_register_principals``)."""
    parameters: dict[str, Registered] = field(factory=dict)
    """Name -> the campaign's own dated :class:`~jieqin.rules.Parameter`
    (``jieqin_register_parameters``)."""
    regional_parameters: dict[str, Registered] = field(factory=dict)
    """``region:name`` -> ``(region prefix, Parameter)`` of a parameter that holds in one
    region (``jieqin_register_regional_parameters``)."""
    feeds: dict[str, FeedEntry] = field(factory=dict)
    """Name -> a departmental feed (``jieqin_register_observation_feeds``)."""
    overridden: list[Override] = field(factory=list)
    """``(what, key, kept_plugin, ignored_plugin)`` for every duplicate registration."""
    region_name_counts: dict[str, int] = field(factory=dict)
    """Plugin name -> how many of its region names were kept."""
    region_name_plugins: dict[str, str] = field(factory=dict)
    """Region code -> the plugin whose name for it was kept."""
    header_aliases: list[HeaderAlias] = field(factory=list)
    """The header aliases plugins registered (``jieqin_register_header_aliases``)."""
    headers: HeaderTable = field(factory=lambda: STANDARD_HEADERS.with_aliases(()))
    """The standard header table with the registered aliases: what imports read."""

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

    def monitored_statuses(self) -> frozenset[str]:
        """The household status codes registered with ``monitored=True``: the categories
        of the scheme for preventing a return to poverty."""
        return frozenset(
            code
            for code, entry in self.household_statuses.entries.items()
            if entry.extra.get("monitored") is True
        )

    def region_name(self, code: str) -> str | None:
        """The registered name of a region code, if any."""
        return self.region_names.get(code)

    def objects(self, what: str) -> list[Any]:
        """The registered objects of ``programs``, ``need_rules``, ``cost_terms``,
        ``cadences``, ``campaign_windows`` or ``parameters``, in registration order."""
        table: dict[str, Registered] = getattr(self, what)
        return [entry.value for entry in table.values()]

    def campaign_parameters(self) -> Parameters:
        """The campaign's own dated parameters (``grievance_answer_days``...), as the
        plugins registered them (``jieqin_register_parameters``)."""
        from jieqin.rules.parameters import Parameters

        return Parameters.of(*self.objects("parameters"))

    def registered_by(self, plugin: str) -> PluginRegistrations:
        """What ``plugin`` registered and was kept, and its codes registered twice."""

        def keys(table: Mapping[str, Any]) -> tuple[str, ...]:
            return tuple(key for key, entry in table.items() if entry.plugin == plugin)

        return PluginRegistrations(
            backends=keys(self.backends),
            tiers=keys(self.tiers.entries),
            sectors=keys(self.sectors.entries),
            household_statuses=keys(self.household_statuses.entries),
            need_kinds=keys(self.need_kinds.entries),
            activity_kinds=keys(self.activity_kinds.entries),
            region_names=self.region_name_counts.get(plugin, 0),
            agencies=keys(self.agencies),
            programs=keys(self.programs),
            need_rules=keys(self.need_rules),
            cost_terms=keys(self.cost_terms),
            cadences=keys(self.cadences),
            campaign_windows=keys(self.campaign_windows),
            principals=keys(self.principals),
            overridden=tuple(o for o in self.overridden if plugin in (o.kept, o.ignored)),
            header_aliases=tuple(
                f"{a.kind}:{a.alias}" for a in self.header_aliases if a.plugin == plugin
            ),
            grievance_categories=keys(self.grievance_categories.entries),
            referral_outcomes=keys(self.referral_outcomes.entries),
            parameters=keys(self.parameters),
            regional_parameters=keys(self.regional_parameters),
            feeds=keys(self.feeds),
        )

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
            self.overridden.append(Override(what, key, existing.plugin, plugin))
            return
        table[key] = value

    def _gather(self, pm: pluggy.PluginManager) -> None:
        gatherers: dict[str, Callable[[_HookCall], Callable[..., None]]] = {
            "jieqin_register_storage_backends": self._backends,
            "jieqin_register_tiers": self._codes(self.tiers),
            "jieqin_register_sectors": self._codes(self.sectors),
            "jieqin_register_household_statuses": self._statuses,
            "jieqin_register_need_kinds": self._need_kinds,
            "jieqin_register_activity_kinds": self._codes(self.activity_kinds),
            "jieqin_register_region_names": self._region_names,
            "jieqin_register_agencies": self._agencies,
            "jieqin_register_programs": self._objects(self.programs, "program"),
            "jieqin_register_need_rules": self._objects(self.need_rules, "need rule"),
            "jieqin_register_pairing_cost_terms": self._objects(self.cost_terms, "cost term"),
            "jieqin_register_cadences": self._objects(self.cadences, "cadence"),
            "jieqin_register_campaign_windows": self._objects(
                self.campaign_windows, "campaign window"
            ),
            "jieqin_register_principals": self._principals,
            "jieqin_register_header_aliases": self._header_aliases,
            "jieqin_register_grievance_categories": self._codes(self.grievance_categories),
            "jieqin_register_referral_outcomes": self._codes(self.referral_outcomes),
            "jieqin_register_parameters": self._objects(self.parameters, "parameter"),
            "jieqin_register_regional_parameters": self._regional_parameters,
            "jieqin_register_observation_feeds": self._feeds,
        }
        for hook_name, make_register in gatherers.items():
            call = _HookCall(pm, hook_name)
            call.run(make_register(call))

    # -- the register callbacks, one per kind; ``call.plugin`` credits the caller -----

    def _add_code(
        self, vocab: Vocabulary, plugin: str, code: str, label: str | None, extra: dict[str, Any]
    ) -> None:
        """Keep one vocabulary code, credited to ``plugin``, unless registered before."""
        code = check_code(code, field=vocab.name)
        entry = VocabularyEntry(code, label or code, plugin, extra)
        self._keep(vocab.name, vocab.entries, code, entry, plugin)

    def _codes(self, vocab: Vocabulary) -> Callable[[_HookCall], RegisterCode]:
        """The ``register`` of a plain vocabulary (tiers, sectors, activity kinds)."""

        def make(call: _HookCall) -> RegisterCode:
            def register(code: str, label: str | None = None, **extra: Any) -> None:
                self._add_code(vocab, call.plugin(sys._getframe(1)), code, label, extra)

            return register

        return make

    def _statuses(self, call: _HookCall) -> RegisterHouseholdStatus:
        """The ``register`` of household statuses; ``monitored`` is always recorded."""

        def register(
            code: str, label: str | None = None, *, monitored: bool = False, **extra: Any
        ) -> None:
            plugin = call.plugin(sys._getframe(1))
            extra["monitored"] = bool(monitored)
            self._add_code(self.household_statuses, plugin, code, label, extra)

        return register

    def _need_kinds(self, call: _HookCall) -> RegisterNeedKind:
        """The ``register`` of need kinds; ``sectors`` become a tuple of checked codes."""

        def register(
            code: str,
            label: str | None = None,
            *,
            sectors: Iterable[str] = (),
            sensitive: bool = False,
            **extra: Any,
        ) -> None:
            plugin = call.plugin(sys._getframe(1))
            codes = (sectors,) if isinstance(sectors, str) else sectors
            extra["sectors"] = tuple(check_code(str(s), field="sectors") for s in codes)
            extra["sensitive"] = bool(sensitive)
            self._add_code(self.need_kinds, plugin, code, label, extra)

        return register

    def _backends(self, call: _HookCall) -> RegisterBackend:
        """The ``register`` of storage backends, by lower-case URL scheme."""

        def register(scheme: str, factory: StorageFactory) -> None:
            plugin = call.plugin(sys._getframe(1))
            if not callable(factory):
                raise InvalidValue(f"factory for {scheme!r} is not callable", field="factory")
            entry = BackendEntry(scheme.lower(), factory, plugin)
            self._keep("backend", self.backends, entry.scheme, entry, plugin)

        return register

    def _region_names(self, call: _HookCall) -> RegisterRegionName:
        """The ``register`` of region names: the first name wins, counted per plugin."""

        def register(code: str, name: str) -> None:
            plugin = call.plugin(sys._getframe(1))
            key = str(code)
            if key not in self.region_names:
                self.region_names[key] = name
                self.region_name_plugins[key] = plugin
                self.region_name_counts[plugin] = self.region_name_counts.get(plugin, 0) + 1

        return register

    def _agencies(self, call: _HookCall) -> RegisterAgency:
        """The ``register`` of agencies, as :class:`jieqin.Agency` with their plugin (and
        the condition and parameters, when given)."""

        def register(
            agency_id: str,
            name: str,
            need_kinds: Iterable[str] = (),
            *,
            condition: Condition | None = None,
            parameters: Parameters | None = None,
            regions: Iterable[str] = (),
        ) -> None:
            plugin = call.plugin(sys._getframe(1))
            kinds = (need_kinds,) if isinstance(need_kinds, str) else need_kinds
            from jieqin.rules.conditions import Condition

            if condition is not None and not isinstance(condition, Condition):
                raise InvalidValue(
                    f"agency {agency_id}: condition must be a jieqin Condition", field="condition"
                )
            own = {} if parameters is None else {"parameters": parameters}
            agency = Agency(
                agency_id,
                name,
                frozenset(kinds),
                plugin,
                condition=condition,
                regions=regions,
                **own,
            )
            self._keep("agency", self.agencies, agency_id, agency, plugin)

        return register

    def _principals(self, call: _HookCall) -> RegisterPrincipal:
        """The ``register`` of principals, by actor; the role is resolved when used."""
        from jieqin.security import PrincipalEntry, Role

        def register(
            actor: str,
            role: str | Role,
            *,
            regions: Iterable[str] = (),
            helper_id: str | None = None,
        ) -> None:
            plugin = call.plugin(sys._getframe(1))
            if not isinstance(actor, str) or not actor.strip():
                raise InvalidValue("a principal needs an actor name", field="actor")
            if not isinstance(role, (str, Role)):
                raise InvalidValue(
                    f"principal {actor!r}: role must be a name or a Role", field="role"
                )
            codes = (regions,) if isinstance(regions, str) else tuple(regions)
            entry = PrincipalEntry(actor, role, codes, helper_id, source=f"plugin {plugin}")
            self._keep(
                "principal", self.principals, actor, Registered(actor, entry, plugin), plugin
            )

        return register

    def _header_aliases(self, call: _HookCall) -> RegisterHeaderAlias:
        """The ``register`` of header aliases; one that names two columns is refused."""

        def register(alias: str, column: str, *, kinds: Iterable[str] = ()) -> None:
            plugin = call.plugin(sys._getframe(1))
            names = (kinds,) if isinstance(kinds, str) else tuple(kinds)
            if not names:
                names = tuple(
                    k.name for k in KINDS.values() if column in {c.name for c in k.all_columns()}
                )
                if not names:
                    raise InvalidValue(f"no kind has a column {column!r}", field="column")
            for kind in names:
                entry = HeaderAlias(str(kind), str(alias), str(column), plugin)
                self.headers.add(entry)
                self.header_aliases.append(entry)

        return register

    def _regional_parameters(self, call: _HookCall) -> RegisterRegionalParameter:
        """The ``register`` of regional parameters, keyed ``region:name``."""
        from jieqin.rules.facts import region_prefix
        from jieqin.rules.parameters import Parameter

        def register(region: str, parameter: Parameter, /) -> None:
            plugin = call.plugin(sys._getframe(1))
            prefix = region_prefix(region, field="region")
            if not isinstance(parameter, Parameter):
                raise InvalidValue(
                    f"region {prefix}: expected a jieqin Parameter, got {type(parameter).__name__}",
                    field="parameter",
                )
            key = f"{prefix}:{parameter.name}"
            entry = Registered(key, (prefix, parameter), plugin)
            self._keep("regional parameter", self.regional_parameters, key, entry, plugin)

        return register

    def _feeds(self, call: _HookCall) -> RegisterFeed:
        """The ``register`` of departmental feeds, by name; the reader must be callable."""

        def register(
            name: str,
            label: str,
            reader: FeedReader,
            *,
            kinds: Iterable[str] = (),
            english: str | None = None,
        ) -> None:
            plugin = call.plugin(sys._getframe(1))
            code = check_code(name, field="feed")
            if not callable(reader):
                raise InvalidValue(f"feed {code}: the reader is not callable", field="reader")
            if not isinstance(label, str) or not label.strip():
                raise InvalidValue(f"feed {code}: needs a label", field="label")
            listed = (kinds,) if isinstance(kinds, str) else tuple(kinds)
            entry = FeedEntry(code, label, reader, plugin, tuple(str(k) for k in listed), english)
            self._keep("feed", self.feeds, code, entry, plugin)

        return register

    def feed(self, name: str) -> FeedEntry:
        """The feed registered as ``name``; :class:`InvalidValue` lists the feeds."""
        entry = self.feeds.get(name)
        if entry is None:
            known = ", ".join(sorted(self.feeds)) or "none"
            raise InvalidValue(f"unknown feed {name!r}; registered feeds: {known}", field="feed")
        return entry

    def _objects(
        self, table: dict[str, Registered], what: str
    ) -> Callable[[_HookCall], RegisterObject[Any]]:
        """The ``register`` of an object table, keyed by each object's id or name."""

        def make(call: _HookCall) -> RegisterObject[Any]:
            def register(obj: Any, /) -> None:
                plugin = call.plugin(sys._getframe(1))
                key = _object_key(obj)
                self._keep(what, table, key, Registered(key, obj, plugin), plugin)

            return register

        return make


#: Code flags of generators and coroutines, whose frames change callers when resumed.
_RESUMABLE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


class _HookCall:
    """One call of a gathering hook through pluggy, and which plugin calls ``register``.

    ``register`` credits the innermost hook implementation among its calling frames
    (:class:`~jieqin.plugins.manager.ImplementationFinder`): the plugin whose code
    called it, directly, through a helper function, or after a wrapper's ``yield``.
    """

    def __init__(self, pm: pluggy.PluginManager, hook_name: str) -> None:
        self.pm = pm
        self.hook_name = hook_name
        self.hook = getattr(pm.hook, hook_name)
        self.finder = ImplementationFinder(self.hook)
        self.running = False
        # The last caller's frame and its plugin: a bulk table calls register from
        # one frame thousands of times, and a running plain function's callers do not
        # change (a generator's may, between resumptions, so those are not kept).
        self._frame: FrameType | None = None
        self._plugin = ""

    def plugin(self, frame: FrameType | None) -> str:
        """The name of the plugin whose implementation runs in ``frame`` or its callers."""
        if not self.running:
            raise PluginError(f"register of {self.hook_name} was called after the hook returned")
        if frame is not None and frame is self._frame:
            return self._plugin
        impl = self.finder.calling(frame)
        if impl is None:
            raise PluginError(
                f"register of {self.hook_name} was called from outside its implementations"
            )
        if frame is not None and not frame.f_code.co_flags & _RESUMABLE:
            self._frame, self._plugin = frame, impl.plugin_name
        return impl.plugin_name

    def run(self, register: Callable[..., None]) -> None:
        """Call the hook with ``register``; an exception becomes :class:`PluginError`
        naming the plugin whose implementation raised, its distribution and version."""
        self.running = True
        try:
            self.hook(register=register)
        except Exception as exc:
            impl = self.finder.raising(exc.__traceback__)
            who = plugin_label(self.pm, impl.plugin_name) if impl is not None else "a plugin"
            detail = str(exc) if isinstance(exc, JieqinError) else f"{type(exc).__name__}: {exc}"
            raise PluginError(f"{who} failed in {self.hook_name}: {detail}") from exc
        finally:
            self.running = False
            self._frame = None
