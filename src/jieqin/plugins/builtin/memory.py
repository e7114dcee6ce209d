"""Built-in plugin: the memory backend (``memory://``)."""

from __future__ import annotations

from collections.abc import Callable

from jieqin.plugins.hookspecs import StorageFactory, hookimpl


def _memory(url: str) -> object:
    from jieqin.storage.memory import MemoryStorage

    return MemoryStorage(url)


@hookimpl(trylast=True)
def jieqin_register_storage_backends(register: Callable[[str, StorageFactory], None]) -> None:
    register("memory", _memory)  # type: ignore[arg-type]
