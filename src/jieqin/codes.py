"""Every code a campaign accepts, with its label and the plugin that registered it.

A clerk filling in an import file, or a region checking what its plugin added, needs
the valid codes: the vocabularies and objects the plugins register (helper tiers,
sectors, household statuses with the monitoring categories, need and activity kinds,
agencies, categories of grievance, programmes, region names) and the fixed member codes of the model
(relations, health conditions, school levels, employment). They are read here from
the same registry the write checks use, so what is listed is exactly what a record
may hold. ``jieqin codes`` prints them; :meth:`jieqin.Campaign.codes` returns them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from jieqin.errors import InvalidValue
from jieqin.model import reference

if TYPE_CHECKING:
    from jieqin.plugins.registry import Registry, Vocabulary

__all__ = ["CODE_KINDS", "CORE", "Code", "code_kind", "registered_codes"]

#: The name given as "plugin" for the fixed codes of the model: no plugin adds to them.
CORE = "jieqin"


@frozen
class Code:
    """One valid code: its kind, what people read (``label``, Chinese where the
    registry has it), who registered it, and what else its registration says."""

    kind: str
    code: str
    label: str
    plugin: str
    english: str | None = None
    """The English label of a standard code, when its label was not changed."""
    details: Mapping[str, Any] = field(factory=dict)
    """``monitored`` for a status, ``sectors`` for a need kind, ``funder`` for a
    programme, ``need_kinds`` for an agency..."""

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of ``jieqin codes --json``."""
        return {
            "kind": self.kind,
            "code": self.code,
            "label": self.label,
            "english": self.english,
            "plugin": self.plugin,
            **{key: _plain(value) for key, value in self.details.items()},
        }

    def detail_text(self) -> str:
        """The details in a few words, for a table."""
        parts = []
        for key, value in self.details.items():
            if value is True:
                parts.append(key)
            elif value in (False, None, (), [], ""):
                continue
            elif isinstance(value, (list, tuple, frozenset, set)):
                parts.append(f"{key}: {', '.join(sorted(map(str, value)))}")
            else:
                parts.append(f"{key}: {value}")
        return "; ".join(parts)


#: Each kind of code and what it is, in the order they are listed.
CODE_KINDS: dict[str, str] = {
    "tiers": "helper tiers",
    "sectors": "helpers' sectors of strength",
    "household_statuses": "household statuses (monitored: a category of the monitoring scheme)",
    "need_kinds": "kinds of need, with the helper sectors that meet them",
    "activity_kinds": "kinds of activity a helper logs",
    "agencies": "agencies needs are referred to",
    "referral_outcomes": "what came of a completed referral, as the agency reports it",
    "grievance_categories": "categories of grievance (appeal, helper conduct ...)",
    "programs": "aid programmes",
    "regions": "region codes with a registered name",
    "relations": "relations to the head of household (fixed)",
    "health_conditions": "health conditions (fixed)",
    "school_levels": "school levels (fixed)",
    "employment": "employment statuses (fixed)",
}

#: Other names a kind is asked for by: its singular, British spelling, a short form.
_ALIASES: dict[str, str] = {
    "tier": "tiers",
    "sector": "sectors",
    "strengths": "sectors",
    "household_status": "household_statuses",
    "statuses": "household_statuses",
    "status": "household_statuses",
    "need_kind": "need_kinds",
    "needs": "need_kinds",
    "activity_kind": "activity_kinds",
    "activities": "activity_kinds",
    "agency": "agencies",
    "referral_outcome": "referral_outcomes",
    "outcomes": "referral_outcomes",
    "program": "programs",
    "programme": "programs",
    "programmes": "programs",
    "region": "regions",
    "grievance_category": "grievance_categories",
    "grievances": "grievance_categories",
    "relation": "relations",
    "health_condition": "health_conditions",
    "health": "health_conditions",
    "school_level": "school_levels",
    "schooling": "school_levels",
    "employment_status": "employment",
    "employment_statuses": "employment",
}


def code_kind(name: str) -> str:
    """The kind ``name`` asks for (``tier``, ``need-kinds`` and ``programmes`` too);
    :class:`~jieqin.errors.InvalidValue` lists the kinds."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    kind = key if key in CODE_KINDS else _ALIASES.get(key)
    if kind is None:
        raise InvalidValue(f"unknown kind of code {name!r}; kinds: {', '.join(CODE_KINDS)}")
    return kind


def registered_codes(registry: Registry, kind: str | None = None) -> list[Code]:
    """The codes of ``kind`` (see :data:`CODE_KINDS`), or of every kind, in
    registration order; an unknown kind raises :class:`~jieqin.errors.InvalidValue`."""
    kinds = [code_kind(kind)] if kind is not None else list(CODE_KINDS)
    out: list[Code] = []
    for name in kinds:
        out.extend(_LISTERS[name](registry))
    return out


def _plain(value: Any) -> Any:
    """A detail as JSON holds it: sets sorted into lists, tuples as lists."""
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _vocabulary(
    kind: str, pick: Callable[[Registry], Vocabulary], table: tuple[reference.ReferenceCode, ...]
) -> Callable[[Registry], Iterator[Code]]:
    """The lister of one registered vocabulary; the English label of a standard code
    whose label a plugin kept as it is."""
    standard = {entry.code: entry for entry in table}

    def codes(registry: Registry) -> Iterator[Code]:
        for entry in pick(registry).entries.values():
            known = standard.get(entry.code)
            english = known.english if known is not None and known.label == entry.label else None
            yield Code(kind, entry.code, entry.label, entry.plugin, english, dict(entry.extra))

    return codes


def _fixed(
    kind: str, table: tuple[reference.ReferenceCode, ...]
) -> Callable[[Registry], Iterator[Code]]:
    """The lister of a fixed set of the model's codes."""

    def codes(_registry: Registry) -> Iterator[Code]:
        for entry in table:
            yield Code(kind, entry.code, entry.label, CORE, entry.english)

    return codes


def _agencies(registry: Registry) -> Iterator[Code]:
    for agency in registry.agencies.values():
        yield Code(
            "agencies",
            agency.agency_id,
            agency.name,
            agency.plugin or CORE,
            details={"need_kinds": sorted(agency.need_kinds)},
        )


def _programs(registry: Registry) -> Iterator[Code]:
    for entry in registry.programs.values():
        program = getattr(entry.value, "program", entry.value)
        yield Code(
            "programs",
            entry.key,
            str(getattr(program, "name", entry.key)),
            entry.plugin,
            details={
                "funder": getattr(program, "funder", None),
                "program_kind": str(getattr(program, "kind", "")) or None,
                "serves": sorted(getattr(program, "serves", ())),
            },
        )


def _regions(registry: Registry) -> Iterator[Code]:
    for code, name in registry.region_names.items():
        yield Code("regions", code, name, registry.region_name_plugins.get(code, CORE))


_LISTERS: dict[str, Callable[[Registry], Iterator[Code]]] = {
    "tiers": _vocabulary("tiers", lambda r: r.tiers, reference.TIERS),
    "sectors": _vocabulary("sectors", lambda r: r.sectors, reference.SECTORS),
    "household_statuses": _vocabulary(
        "household_statuses", lambda r: r.household_statuses, reference.HOUSEHOLD_STATUSES
    ),
    "need_kinds": _vocabulary("need_kinds", lambda r: r.need_kinds, reference.NEED_KINDS),
    "activity_kinds": _vocabulary(
        "activity_kinds", lambda r: r.activity_kinds, reference.ACTIVITY_KINDS
    ),
    "agencies": _agencies,
    "referral_outcomes": _vocabulary(
        "referral_outcomes", lambda r: r.referral_outcomes, reference.REFERRAL_OUTCOMES
    ),
    "grievance_categories": _vocabulary(
        "grievance_categories", lambda r: r.grievance_categories, reference.GRIEVANCE_CATEGORIES
    ),
    "programs": _programs,
    "regions": _regions,
    "relations": _fixed("relations", reference.RELATIONS),
    "health_conditions": _fixed("health_conditions", reference.HEALTH_CONDITIONS),
    "school_levels": _fixed("school_levels", reference.SCHOOL_LEVELS),
    "employment": _fixed("employment", reference.EMPLOYMENT_STATUSES),
}
