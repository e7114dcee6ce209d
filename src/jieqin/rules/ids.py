"""Stable record ids: the same decision, grant or need always gets the same id."""

from __future__ import annotations

import hashlib

__all__ = ["stable_id"]


def stable_id(prefix: str, *parts: str) -> str:
    """``prefix:part:part...``, or ``prefix:<hash>`` when that is longer than an id may be."""
    text = ":".join([prefix, *parts])
    if len(text) <= 64:
        return text
    return f"{prefix}:{hashlib.sha256(text.encode()).hexdigest()[:24]}"
