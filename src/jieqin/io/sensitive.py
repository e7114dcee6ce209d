"""Masking the sensitive facts in exported records.

Public notices about households must not show resident ID numbers, phone numbers or
health status, so exports mask them unless the caller asks for them explicitly.
Masking works on the converter's JSON form, so CSV and JSON Lines mask alike.
"""

from __future__ import annotations

from typing import Any

from jieqin._masking import mask_phone, mask_resident_id

__all__ = ["MASKED", "mask_phone", "mask_record"]

MASKED = "<masked>"
"""What a masked health fact reads in an export."""


def _mask_person(data: dict[str, Any]) -> None:
    if data.get("resident_id"):
        data["resident_id"] = mask_resident_id(data["resident_id"])
    if data.get("phone"):
        data["phone"] = mask_phone(data["phone"])
    if "health" in data:
        data["health"] = {"condition": MASKED, "diagnosis": MASKED}
    if data.get("disability_grade") is not None:
        data["disability_grade"] = MASKED


def mask_record(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (a JSON-form record of ``kind``) with its sensitive facts masked, in place."""
    if kind == "households":
        for member in data.get("members", ()):
            _mask_person(member)
    elif kind == "helpers":
        _mask_person(data)
    return data
