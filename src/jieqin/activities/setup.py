"""The activity kinds, cadences and campaign windows a campaign uses, from its plugins.

What plugins register through the hooks (gathered once into the plugin registry):

- ``jieqin_register_activity_kinds``: ``register(code, label, label_zh=...)``;
- ``jieqin_register_cadences``: ``register(cadence)`` with a
  :class:`~jieqin.activities.cadence.Cadence` (it replaces the default with the same
  category and track), or ``register(category)`` with a
  :class:`~jieqin.activities.cadence.HouseholdCategory` to add a category;
- ``jieqin_register_campaign_windows``: ``register(window)`` with a
  :class:`~jieqin.activities.windows.CampaignWindow`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from attrs import frozen

from jieqin.activities.cadence import Cadence, CadencePolicy, HouseholdCategory, default_policy
from jieqin.activities.kinds import ActivityKindRegistry
from jieqin.activities.windows import CampaignCalendar, CampaignWindow
from jieqin.errors import InvalidValue, PluginError

__all__ = ["ActivitySetup"]


class _Entry(Protocol):
    @property
    def label(self) -> str: ...

    @property
    def extra(self) -> Mapping[str, Any]: ...


class _Kinds(Protocol):
    @property
    def entries(self) -> Mapping[str, _Entry]: ...


class Registered(Protocol):
    """What this module reads of the plugin registry (:class:`jieqin.plugins.Registry`),
    named here so that the activities package need not import the plugins."""

    @property
    def activity_kinds(self) -> _Kinds: ...

    def objects(self, kind: str) -> Iterable[Any]: ...


@frozen
class ActivitySetup:
    """The activity kinds, cadence policy and campaign calendar a campaign uses."""

    kinds: ActivityKindRegistry
    policy: CadencePolicy
    calendar: CampaignCalendar

    @classmethod
    def defaults(cls) -> ActivitySetup:
        """The five standard kinds, the default cadences, no windows."""
        return cls(ActivityKindRegistry(), default_policy(), CampaignCalendar())

    @classmethod
    def from_registry(cls, registry: Registered) -> ActivitySetup:
        """The defaults changed by what the plugins registered (a plugin ``Registry``)."""
        setup = cls.defaults()
        for code, entry in registry.activity_kinds.entries.items():
            label = entry.label if entry.label != code else ""
            setup.kinds.register(code, label, str(entry.extra.get("label_zh", "")))
        cadences = list(registry.objects("cadences"))
        for item in cadences:
            if isinstance(item, HouseholdCategory):
                setup.policy.add_category(item)
        for item in cadences:
            if isinstance(item, HouseholdCategory):
                continue
            if not isinstance(item, Cadence):
                raise PluginError(
                    f"jieqin_register_cadences: expected a Cadence or HouseholdCategory, "
                    f"got {type(item).__name__}"
                )
            try:
                setup.policy.register(item)
            except InvalidValue as exc:
                raise PluginError(f"jieqin_register_cadences: {exc}") from exc
        for window in registry.objects("campaign_windows"):
            if not isinstance(window, CampaignWindow):
                raise PluginError(
                    "jieqin_register_campaign_windows: expected a CampaignWindow, "
                    f"got {type(window).__name__}"
                )
            setup.calendar.register(window)
        return setup

    @classmethod
    def from_plugins(cls, pm: Any) -> ActivitySetup:
        """:meth:`from_registry` for the plugins of the plugin manager ``pm``."""
        from jieqin.plugins.registry import Registry

        return cls.from_registry(Registry.gather(pm))
