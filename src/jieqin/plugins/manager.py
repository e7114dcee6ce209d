"""The plugin manager: built-in plugins, entry points, blocking, and hook errors that
name the plugin.

Plugins are found through the entry-point group ``jieqin``. Two environment variables
control loading, in the manner of pytest:

- ``JIEQIN_DISABLE_PLUGIN_AUTOLOAD=1``: load no entry-point plugins (the built-in ones
  still load);
- ``JIEQIN_BLOCKED_PLUGINS=a,b``: never load (or register) the plugins named ``a`` and
  ``b``; built-in plugins can be blocked by name too (``memory``, ``sqlalchemy``,
  ``vocabularies``).
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import traceback
from collections.abc import Iterable, Iterator, Sequence
from importlib import metadata
from types import CodeType, FrameType, TracebackType
from typing import TYPE_CHECKING, Any

import pluggy
from attrs import frozen

from jieqin.errors import PluginError
from jieqin.plugins import hookspecs
from jieqin.plugins.hookspecs import PROJECT_NAME

if TYPE_CHECKING:
    from jieqin.plugins.registry import PluginRegistrations, Registry

__all__ = [
    "BLOCKED_ENV",
    "BUILTIN_PLUGINS",
    "DISABLE_AUTOLOAD_ENV",
    "ImplementationFinder",
    "JieqinPluginManager",
    "PluginInfo",
    "call_notification",
    "describe_plugins",
    "make_plugin_manager",
    "plugin_label",
]

DISABLE_AUTOLOAD_ENV = "JIEQIN_DISABLE_PLUGIN_AUTOLOAD"
BLOCKED_ENV = "JIEQIN_BLOCKED_PLUGINS"

#: The built-in plugins: name -> module. They register through the same hooks.
BUILTIN_PLUGINS: dict[str, str] = {
    "vocabularies": "jieqin.plugins.builtin.vocabularies",
    "memory": "jieqin.plugins.builtin.memory",
    "sqlalchemy": "jieqin.plugins.builtin.sqlalchemy",
}


class JieqinPluginManager(pluggy.PluginManager):
    """A pluggy plugin manager that remembers which distribution each plugin came from."""

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)
        self.distributions: dict[str, tuple[str, str] | None] = {}


@frozen
class PluginInfo:
    """What ``jieqin plugins`` shows about one plugin.

    ``registered`` is what the plugin's gathering hooks registered, when
    :func:`describe_plugins` was given the registry (else ``None``).
    """

    name: str
    version: str | None
    distribution: str | None
    hooks: tuple[str, ...]
    registered: PluginRegistrations | None = None


def _jieqin_version() -> str:
    from jieqin import __version__

    return __version__


def _blocked_from_env() -> set[str]:
    return {name.strip() for name in os.environ.get(BLOCKED_ENV, "").split(",") if name.strip()}


def _autoload_from_env() -> bool:
    return os.environ.get(DISABLE_AUTOLOAD_ENV, "").strip().lower() not in ("1", "true", "yes")


def make_plugin_manager(
    *,
    autoload: bool | None = None,
    blocked: Iterable[str] | None = None,
    plugins: Sequence[object] = (),
) -> pluggy.PluginManager:
    """A plugin manager with jieqin's hookspecs, the built-ins and the installed plugins.

    :param autoload: load entry-point plugins; default: unless
        ``JIEQIN_DISABLE_PLUGIN_AUTOLOAD=1``.
    :param blocked: plugin names never to load; default: ``JIEQIN_BLOCKED_PLUGINS``.
    :param plugins: further plugin objects (modules or instances) to register, for
        example in tests; each is named after its ``__name__`` or class.
    :raises PluginError: a plugin could not be imported, or implements a hook that does
        not exist or with arguments the hook does not have; the error names the
        plugin, its distribution and version.
    """
    pm = JieqinPluginManager()
    pm.add_hookspecs(hookspecs)
    blocked_names = set(_blocked_from_env() if blocked is None else blocked)
    for name in blocked_names:
        pm.set_blocked(name)
    for name, module_name in BUILTIN_PLUGINS.items():
        if name in blocked_names:
            continue
        module = importlib.import_module(module_name)
        _register(pm, module, name, ("jieqin", _jieqin_version()))
    if autoload if autoload is not None else _autoload_from_env():
        _load_entry_points(pm, blocked_names)
    for plugin in plugins:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        if name in blocked_names:
            continue
        _register(pm, plugin, name, None)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(
            f"{plugin_label(pm, exc.plugin)} implements a hook jieqin does not have: {exc}"
        ) from exc
    return pm


def _entry_points() -> Iterator[metadata.EntryPoint]:
    yield from metadata.entry_points(group=PROJECT_NAME)


def _load_entry_points(pm: pluggy.PluginManager, blocked: set[str]) -> None:
    for ep in _entry_points():
        if ep.name in blocked or pm.get_plugin(ep.name) is not None:
            continue
        dist = (ep.dist.name, ep.dist.version) if ep.dist is not None else None
        where = _where(ep.name, dist)
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginError(
                f"could not load {where} (entry point {ep.value!r}): {type(exc).__name__}: {exc}"
            ) from exc
        _register(pm, plugin, ep.name, dist)


def _register(
    pm: pluggy.PluginManager, plugin: object, name: str, dist: tuple[str, str] | None
) -> None:
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginError(f"could not register {_where(name, dist)}: {exc}") from exc
    if isinstance(pm, JieqinPluginManager):
        pm.distributions[name] = dist


def _where(name: str, dist: tuple[str, str] | None) -> str:
    if dist is None:
        return f"plugin {name!r}"
    return f"plugin {name!r} (distribution {dist[0]} {dist[1]})"


def plugin_distribution(pm: pluggy.PluginManager, name: str) -> tuple[str, str] | None:
    """(distribution, version) of a registered plugin, if it came from one."""
    if isinstance(pm, JieqinPluginManager):
        return pm.distributions.get(name)
    return None


def plugin_label(pm: pluggy.PluginManager, plugin_or_name: object) -> str:
    """``plugin 'x' (distribution jieqin-x 1.0)``: how errors name a plugin."""
    name = plugin_or_name if isinstance(plugin_or_name, str) else pm.get_name(plugin_or_name)
    if name is None:
        return f"plugin {plugin_or_name!r}"
    return _where(name, plugin_distribution(pm, name))


def describe_plugins(
    pm: pluggy.PluginManager, registry: Registry | None = None
) -> list[PluginInfo]:
    """Every registered plugin with its version and the hooks it implements, by name.

    :param registry: the registry gathered from ``pm``
        (:meth:`~jieqin.plugins.Registry.gather`); when given, each plugin's
        :attr:`PluginInfo.registered` says what it registered.
    """
    infos = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        dist = plugin_distribution(pm, name)
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or ())
        infos.append(
            PluginInfo(
                name=name,
                version=dist[1] if dist else getattr(plugin, "__version__", None),
                distribution=dist[0] if dist else None,
                hooks=tuple(hooks),
                registered=registry.registered_by(name) if registry is not None else None,
            )
        )
    return sorted(infos, key=lambda info: info.name)


def _codes(function: object) -> list[CodeType]:
    """The code objects a call of ``function`` runs: its own and those it wraps."""
    codes: list[CodeType] = []
    for _ in range(16):  # a bound on the chain of wrappers
        function = getattr(function, "__func__", function)  # a bound or class method
        code = getattr(function, "__code__", None)
        if isinstance(code, CodeType):
            codes.append(code)
        if isinstance(function, functools.partial):
            function = function.func
        else:
            function = getattr(function, "__wrapped__", None)
        if function is None:
            break
    return codes


class ImplementationFinder:
    """Tells which implementation of one hook a frame is running, by its code object.

    When several implementations share code (two instances of one plugin class), the
    one bound to the frame's first argument is chosen, else the first called.
    """

    def __init__(self, hook: pluggy.HookCaller) -> None:
        self._by_code: dict[CodeType, list[pluggy.HookImpl]] = {}
        for impl in reversed(hook.get_hookimpls()):  # the order pluggy calls them in
            for code in _codes(impl.function):
                self._by_code.setdefault(code, []).append(impl)

    def running(self, frame: FrameType) -> pluggy.HookImpl | None:
        """The implementation whose code ``frame`` runs, if any."""
        candidates = self._by_code.get(frame.f_code)
        if not candidates:
            return None
        if len(candidates) > 1 and frame.f_code.co_argcount:
            first = frame.f_locals.get(frame.f_code.co_varnames[0])
            for impl in candidates:
                if getattr(impl.function, "__self__", None) is first:
                    return impl
        return candidates[0]

    def calling(self, frame: FrameType | None) -> pluggy.HookImpl | None:
        """The innermost implementation among ``frame`` and its callers: the one whose
        code made the call, directly or through helper functions."""
        while frame is not None:
            impl = self.running(frame)
            if impl is not None:
                return impl
            frame = frame.f_back
        return None

    def raising(self, tb: TracebackType | None) -> pluggy.HookImpl | None:
        """The innermost implementation in ``tb``: the one whose code raised (rather
        than a hook wrapper the exception passed through)."""
        for frame, _ in reversed(list(traceback.walk_tb(tb))):
            impl = self.running(frame)
            if impl is not None:
                return impl
        return None


def guilty_plugin(pm: pluggy.PluginManager, hook_name: str, tb: TracebackType | None) -> str | None:
    """The name of the plugin whose implementation of ``hook_name`` raised in ``tb``."""
    impl = ImplementationFinder(getattr(pm.hook, hook_name)).raising(tb)
    return impl.plugin_name if impl is not None else None


def call_notification(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> list[Any]:
    """Call a hook through pluggy; an exception becomes :class:`PluginError` naming the
    plugin whose implementation raised."""
    if hook_name not in hookspecs.NOTIFICATION_HOOKS and not hasattr(pm.hook, hook_name):
        raise PluginError(f"there is no hook named {hook_name!r}")
    hook = getattr(pm.hook, hook_name)
    try:
        result: list[Any] = hook(**kwargs)
    except PluginError:
        raise
    except Exception as exc:
        name = guilty_plugin(pm, hook_name, sys.exc_info()[2])
        who = plugin_label(pm, name) if name else "a plugin"
        raise PluginError(f"{who} failed in {hook_name}: {type(exc).__name__}: {exc}") from exc
    return result
