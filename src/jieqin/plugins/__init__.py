"""The plugin system: pluggy hooks, the plugin manager and the registry.

Write a plugin with :data:`hookimpl` and the hooks in :mod:`jieqin.plugins.hookspecs`;
declare it as an entry point in the group ``jieqin``. The ``Register*`` protocols type
each gathering hook's ``register`` callback for a plugin's annotations.
"""

from jieqin.plugins.hookspecs import (
    RegisterAgency,
    RegisterBackend,
    RegisterCode,
    RegisterHeaderAlias,
    RegisterHouseholdStatus,
    RegisterNeedKind,
    RegisterObject,
    RegisterPrincipal,
    RegisterRegionalParameter,
    RegisterRegionName,
    StorageFactory,
    hookimpl,
    hookspec,
)
from jieqin.plugins.manager import (
    BLOCKED_ENV,
    DISABLE_AUTOLOAD_ENV,
    PluginInfo,
    describe_plugins,
    make_plugin_manager,
)
from jieqin.plugins.registry import (
    Agency,
    Override,
    PluginRegistrations,
    Registered,
    Registry,
    Vocabulary,
    VocabularyEntry,
)

__all__ = [
    "BLOCKED_ENV",
    "DISABLE_AUTOLOAD_ENV",
    "Agency",
    "Override",
    "PluginInfo",
    "PluginRegistrations",
    "RegisterAgency",
    "RegisterBackend",
    "RegisterCode",
    "RegisterHeaderAlias",
    "RegisterHouseholdStatus",
    "RegisterNeedKind",
    "RegisterObject",
    "RegisterPrincipal",
    "RegisterRegionName",
    "RegisterRegionalParameter",
    "Registered",
    "Registry",
    "StorageFactory",
    "Vocabulary",
    "VocabularyEntry",
    "describe_plugins",
    "hookimpl",
    "hookspec",
    "make_plugin_manager",
]
