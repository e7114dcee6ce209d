"""Built-in plugin: the memory backend (``memory://``)."""

from __future__ import annotations

from jieqin.plugins.hookspecs import RegisterBackend, hookimpl


def _memory(url: str) -> object:
    from jieqin.storage.memory import MemoryStorage

    return MemoryStorage(url)


@hookimpl(trylast=True)
def jieqin_register_storage_backends(register: RegisterBackend) -> None:
    register("memory", _memory)  # type: ignore[arg-type]
