"""Registers jieqin's strategies with hypothesis (``hypothesis`` entry point)."""


def _hypothesis_setup_hook() -> None:
    """Called by hypothesis at import; registers a strategy for every model type."""
    from jieqin.testing.strategies import register_type_strategies

    register_type_strategies()
