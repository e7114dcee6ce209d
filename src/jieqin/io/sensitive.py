"""Masking the sensitive facts in exported records, so that nothing is inferable.

Public notices about households must not show resident ID numbers, phone numbers or
health status, so exports mask them unless the caller asks for them explicitly.
Masking works on the converter's JSON form, so CSV and JSON Lines mask alike.

A masked export must look the same whether or not a person has the sensitive fact:

- a masked field reads :data:`MASKED` in **every** row, given or not (an empty
  ``disability_grade`` beside a masked one would name the disabled);
- a medical expenditure observation reads :data:`MASKED` for its amount and the
  member it was for (the kind of every observation is shown, so every medical row
  reads alike); an observation of a major illness or a disability is left out;
- a need of a sensitive kind (one a rule derives from a health or disability fact,
  or one registered with ``sensitive=True``), or routed to a programme whose rules
  read such facts, is left out of a masked export, and an activity names no such need;
- free text (notes, reasons, explanations) goes through
  :func:`jieqin._free_text.mask_free_text`: ID-, phone- and bank-card-shaped text and
  health words are masked.

What is sensitive comes from the registry: :class:`Sensitivity` is built from the
need kinds, need rules and programmes a campaign has (:func:`sensitivity_of`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from attrs import field, frozen

from jieqin._free_text import mask_free_text
from jieqin._masking import mask_phone
from jieqin.model import Need
from jieqin.model.monitoring import HEALTH_EVENTS, SENSITIVE_KINDS

__all__ = [
    "MASKED",
    "Sensitivity",
    "mask_free_text",
    "mask_phone",
    "mask_record",
    "masked_strings",
    "sensitivity_of",
]

MASKED = "<masked>"
"""What a masked field reads in an export, in every row."""

_PERSON_FIELDS = ("resident_id", "phone", "disability_grade")

#: The observation kinds that tell a health fact (their amount is masked), and those
#: that tell one by being there (left out).
_HEALTH_OBSERVATIONS = frozenset(kind.value for kind in SENSITIVE_KINDS)
_HEALTH_EVENTS = frozenset(kind.value for kind in HEALTH_EVENTS)


def _names(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


@frozen
class Sensitivity:
    """What a campaign's masked outputs leave out: sensitive need kinds and programmes.

    ``need_ids`` are the stored needs left out (an activity that names one names none
    in a masked export); :meth:`with_needs` fills them in from the stored needs.
    """

    need_kinds: frozenset[str] = field(factory=frozenset, converter=_names)
    programs: frozenset[str] = field(factory=frozenset, converter=_names)
    need_ids: frozenset[str] = field(factory=frozenset, converter=_names)

    def withholds(self, need: Mapping[str, Any]) -> bool:
        """Whether a need (JSON form) is left out of masked output: a sensitive kind, or
        routed to (or resolved by a grant of) a programme whose rules read health facts."""
        if need.get("kind") in self.need_kinds:
            return True
        route = need.get("route") or {}
        if route.get("kind") == "program" and route.get("target") in self.programs:
            return True
        resolved = str(need.get("resolved_by") or "")
        return any(f":{p}:" in resolved for p in self.programs)

    def withholds_need(self, need: Need) -> bool:
        """:meth:`withholds` for a :class:`~jieqin.model.Need`."""
        route = need.route
        return self.withholds(
            {
                "kind": need.kind,
                "route": None
                if route is None
                else {"kind": str(route.kind), "target": route.target},
                "resolved_by": need.resolved_by,
            }
        )

    def with_needs(self, needs: Iterable[Need]) -> Sensitivity:
        """This sensitivity knowing which of ``needs`` it leaves out (by id)."""
        ids = {n.need_id for n in needs if self.withholds_need(n)}
        return Sensitivity(self.need_kinds, self.programs, self.need_ids | ids)


def sensitivity_of(source: object) -> Sensitivity:
    """The :class:`Sensitivity` of a campaign (its registered need kinds, need rules and
    programmes), or of the standard need kinds and rules for anything else."""
    from jieqin.needs import STANDARD_NEED_KINDS, STANDARD_NEED_RULES, sensitive_need_kinds

    kinds = getattr(source, "need_kinds", None)
    rules = getattr(source, "need_rules", None)
    programs = getattr(source, "aid_programs", None)
    registered = kinds() if callable(kinds) else STANDARD_NEED_KINDS
    derived = rules() if callable(rules) else STANDARD_NEED_RULES
    found = programs().values() if callable(programs) else ()
    return Sensitivity(
        sensitive_need_kinds(registered, derived),
        {p.program_id for p in found if p.sensitive},
    )


#: :func:`mask_free_text`, remembering the answers for the latest distinct strings: an
#: export scans the same codes, dates and names over and over (bounded: memory stays flat).
_scan = lru_cache(maxsize=1 << 14)(mask_free_text)


def masked_strings(data: Any, *, key: str = "") -> Any:
    """``data`` (a JSON form) with every string scanned by :func:`mask_free_text`.

    Ids (keys ending in ``_id``) are left as they are: they are references, not text.
    """
    kind = type(data)
    if kind is str:
        return data if key.endswith("_id") else _scan(data)
    if kind is dict:
        return _masked_dict(data)
    if kind is list:
        return [masked_strings(v, key=key) for v in data]
    if isinstance(data, str):
        return data if key.endswith("_id") else _scan(str(data))
    if isinstance(data, dict):
        return {k: masked_strings(v, key=str(k)) for k, v in data.items()}
    if isinstance(data, list):
        return [masked_strings(v, key=key) for v in data]
    return data


_SCALARS = (int, float, bool, type(None))


def _masked_dict(data: dict[str, Any]) -> dict[str, Any]:
    """:func:`masked_strings` of a dict, its plain values handled in line."""
    masked: dict[str, Any] = {}
    for k, v in data.items():
        kind = type(v)
        if kind is str:
            masked[k] = v if str(k).endswith("_id") else _scan(v)
        elif kind in _SCALARS:
            masked[k] = v
        else:
            masked[k] = masked_strings(v, key=str(k))
    return masked


def _mask_person(data: dict[str, Any]) -> dict[str, Any]:
    """A member's JSON form with its person fields masked (before the scan: the numbers
    they held are never scanned, nor remembered by it)."""
    masked = dict(data)
    for name in _PERSON_FIELDS:
        masked[name] = MASKED
    masked["health"] = {"condition": MASKED, "diagnosis": MASKED}
    return masked


def mask_record(
    kind: str, data: dict[str, Any], sensitivity: Sensitivity | None = None
) -> dict[str, Any] | None:
    """``data`` (a JSON-form record of ``kind``) masked, or ``None`` when it is left out.

    Person fields read :data:`MASKED` whether given or not; free text is scanned; a
    need ``sensitivity`` withholds is left out, and an activity names no such need.
    """
    sensitivity = sensitivity if sensitivity is not None else Sensitivity()
    if kind == "needs" and sensitivity.withholds(data):
        return None
    if kind == "observations" and data.get("kind") in _HEALTH_EVENTS:
        return None  # a major illness or a disability is a health fact by being there
    if kind == "households":
        # former members too: a departed member's health reads like anyone's
        data = {
            **data,
            **{
                name: [_mask_person(m) for m in data[name]]
                for name in ("members", "former_members")
                if name in data
            },
        }
    masked: dict[str, Any] = masked_strings(data)
    if kind == "observations" and masked.get("kind") in _HEALTH_OBSERVATIONS:
        # a medical expenditure is a health fact: its amount and the member it was for
        masked["amount"] = MASKED
        masked["member_id"] = MASKED
    if kind == "helpers":
        masked["phone"] = MASKED
    elif kind == "activities" and masked.get("need_id") in sensitivity.need_ids:
        masked["need_id"] = None
    return masked
