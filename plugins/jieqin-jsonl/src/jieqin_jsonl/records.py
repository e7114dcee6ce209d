"""The kinds of record the store keeps, their keys, and their audit descriptions."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

from attrs import fields, frozen

import jieqin
from jieqin.io import unstructure

__all__ = ["KEYED", "SENSITIVE", "Kind", "describe", "difference", "plain", "sort_key"]

#: Fields that never go into the audit log in clear.
SENSITIVE = frozenset({"resident_id", "phone", "health", "diagnosis", "disability_grade"})


@frozen
class Kind:
    """A keyed kind of record: its repository name, class and key fields."""

    name: str
    cls: type
    key_fields: tuple[str, ...]

    def key(self, item: object) -> Any:
        if len(self.key_fields) == 1:
            return getattr(item, self.key_fields[0])
        return tuple(getattr(item, f) for f in self.key_fields)

    def key_text(self, key: Any) -> str:
        if isinstance(key, tuple):
            return "/".join(str(plain(part)) for part in key)
        return str(plain(key))

    def field_names(self) -> frozenset[str]:
        return frozenset(a.name for a in fields(self.cls))


KEYED: Mapping[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("helpers", jieqin.Helper, ("helper_id",)),
        Kind("households", jieqin.Household, ("household_id",)),
        Kind("pairings", jieqin.Pairing, ("helper_id", "household_id", "start")),
        Kind("needs", jieqin.Need, ("need_id",)),
        Kind("referrals", jieqin.Referral, ("referral_id",)),
        Kind("activities", jieqin.Activity, ("activity_id",)),
        Kind("programs", jieqin.Program, ("program_id",)),
        Kind("funds", jieqin.Fund, ("fund_id",)),
        Kind("grants", jieqin.Grant, ("grant_id",)),
        Kind("decisions", jieqin.Decision, ("decision_id",)),
    )
}


def plain(value: object) -> Any:
    """A domain value as plain JSON data (enums by value, dates ISO, codes as text)."""
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return unstructure(value)


def sort_key(key: Any) -> Any:
    """Order keys as text, so composite keys with dates sort too."""
    if isinstance(key, tuple):
        return tuple(str(plain(part)) for part in key)
    return str(key)


def _mask(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            k: (None if v is None else "<set>") if k in SENSITIVE else _mask(v)
            for k, v in data.items()
        }
    if isinstance(data, builtins.list):
        return [_mask(v) for v in data]
    return data


def describe(item: object) -> dict[str, Any]:
    """The fields of a record as plain data, sensitive ones masked."""
    data: dict[str, Any] = _mask(unstructure(item))
    return data


def difference(old: object, new: object) -> dict[str, Any]:
    """``{"field": {"from": old, "to": new}}`` for each changed field (sensitive masked)."""
    before, after = describe(old), describe(new)
    changes: dict[str, Any] = {}
    for name, value in after.items():
        if before.get(name) != value:
            changes[name] = {"from": before.get(name), "to": value}
        elif name in SENSITIVE and getattr(old, name) != getattr(new, name):
            changes[name] = {"from": "<set>", "to": "<changed>"}
    return changes
