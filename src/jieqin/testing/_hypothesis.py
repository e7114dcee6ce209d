"""Registers jieqin's strategies with hypothesis (``hypothesis`` entry point)."""

from __future__ import annotations

import sys

_STRATEGIES = "jieqin.testing.strategies"
_pending = False


def _hypothesis_setup_hook() -> None:
    """Called by hypothesis at import; registers a strategy for every model type.

    When :mod:`jieqin.testing.strategies` is what imports hypothesis first, it is only
    half made at this point: registering then waits until it is done (see
    :func:`take_pending`), instead of failing on the circular import.
    """
    global _pending
    module = sys.modules.get(_STRATEGIES)
    if module is not None and not hasattr(module, "register_type_strategies"):
        _pending = True
        return
    from jieqin.testing.strategies import register_type_strategies

    register_type_strategies()


def take_pending() -> bool:
    """Whether the hook put registering off until the strategies were imported; resets it."""
    global _pending
    pending, _pending = _pending, False
    return pending
