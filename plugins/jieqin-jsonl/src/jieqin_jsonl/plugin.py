"""The jieqin plugin: registers the ``jsonl://`` storage backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jieqin


def _jsonl(url: str, *, create: bool = True) -> Any:
    from jieqin_jsonl.storage import JsonlStorage

    return JsonlStorage(url, create=create)


@jieqin.hookimpl
def jieqin_register_storage_backends(register: Callable[[str, Any], None]) -> None:
    """``jsonl:///path/to/directory``: a campaign kept in JSON Lines files."""
    register("jsonl", _jsonl)
