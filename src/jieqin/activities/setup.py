"""Gather activity kinds, cadences and campaign windows from the plugins.

The ``register`` callbacks given to the hooks:

- ``jieqin_register_activity_kinds``: ``register(code, label="", label_zh="")``;
- ``jieqin_register_cadences``: ``register(cadence, category="standard")`` with a
  :class:`~jieqin.activities.cadence.Cadence` (replaces the one on the same track),
  or ``register(household_category)`` with a
  :class:`~jieqin.activities.cadence.HouseholdCategory` to add a category;
- ``jieqin_register_campaign_windows``: ``register(window)`` with a
  :class:`~jieqin.activities.windows.CampaignWindow`.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from jieqin.activities.cadence import Cadence, CadencePolicy, HouseholdCategory, default_policy
from jieqin.activities.kinds import ActivityKindRegistry
from jieqin.activities.windows import CampaignCalendar, CampaignWindow
from jieqin.errors import InvalidValue, PluginError

__all__ = ["ActivitySetup"]


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
    def from_plugins(cls, pm: Any) -> ActivitySetup:
        """The defaults, changed by every plugin's registrations (``pm``: a plugin manager)."""
        setup = cls.defaults()
        hook = pm.hook

        def register_kind(code: str, label: str = "", label_zh: str = "", **_: object) -> None:
            setup.kinds.register(code, label, label_zh)

        def register_cadence(item: Cadence | HouseholdCategory, category: str = "standard") -> None:
            if isinstance(item, HouseholdCategory):
                setup.policy.add_category(item)
            else:
                setup.policy.register(category, item)

        def register_window(window: CampaignWindow) -> None:
            setup.calendar.register(window)

        for name, callback in (
            ("jieqin_register_activity_kinds", register_kind),
            ("jieqin_register_cadences", register_cadence),
            ("jieqin_register_campaign_windows", register_window),
        ):
            caller = getattr(hook, name, None)
            if caller is None:
                continue
            try:
                caller(register=callback)
            except InvalidValue as exc:
                raise PluginError(f"{name}: {exc}") from exc
        return setup
