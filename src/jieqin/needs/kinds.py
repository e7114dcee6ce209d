"""Kinds of need, the helper sectors that can meet them, and the agencies that take them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from attrs import field, frozen

from jieqin.errors import InvalidValue
from jieqin.model.reference import NEED_KINDS
from jieqin.model.vocab import check_code
from jieqin.rules.conditions import Condition
from jieqin.rules.parameters import Parameters

if TYPE_CHECKING:
    from jieqin.needs.derive import NeedRule

__all__ = ["STANDARD_NEED_KINDS", "Agency", "NeedKindInfo", "sensitive_need_kinds"]


def _codes(values: Iterable[str]) -> frozenset[str]:
    return frozenset(check_code(v, field="code") for v in values)


def _prefixes(values: Iterable[str] | str) -> frozenset[str]:
    """Region prefixes (``"610200"`` and ``"6102"`` alike), checked."""
    from jieqin.rules.facts import region_prefix

    codes = (values,) if isinstance(values, str) else tuple(values)
    return frozenset(region_prefix(str(c), field="regions") for c in codes)


@frozen
class NeedKindInfo:
    """A kind of need: its code, what people read, and the helper sectors that match it.

    ``sensitive`` marks a kind that tells a health or disability fact (medical care,
    disability support): a need of it is left out of masked outputs.
    """

    code: str
    label: str
    sectors: frozenset[str] = field(factory=frozenset, converter=_codes)
    sensitive: bool = False

    def __attrs_post_init__(self) -> None:
        check_code(self.code, field="need kind")


@frozen
class Agency:
    """An agency needs can be referred to, and the kinds of need it takes.

    ``condition`` (a :class:`~jieqin.rules.Condition`) limits whom it takes: a need is
    routed to the agency only when the condition holds for the need's member (for a
    need of the whole household, for one of its members). ``parameters`` are the
    dated values the condition reads, and any the agency sets for itself (its own
    ``referral_response_days``); they override the core ones.

    ``regions`` (region prefixes, as a programme's scope: ``{"6102"}`` for Tongchuan)
    limits whose needs it takes: a household elsewhere is never referred to it. Empty:
    every region.

    ``plugin`` names the plugin that registered it (``None`` when built by hand); it
    is provenance, not part of the agency, so it takes no part in equality (nor does
    the condition, which compares by identity).
    """

    agency_id: str
    name: str
    need_kinds: frozenset[str] = field(factory=frozenset, converter=_codes)
    plugin: str | None = field(default=None, eq=False)
    condition: Condition | None = field(default=None, eq=False)
    parameters: Parameters = field(factory=Parameters)
    regions: frozenset[str] = field(factory=frozenset, converter=_prefixes)

    def serves_region(self, region: str) -> bool:
        """Whether the agency takes the needs of a household of ``region`` (its code)."""
        return not self.regions or any(region.startswith(p) for p in self.regions)

    def __attrs_post_init__(self) -> None:
        if self.condition is None:
            return
        missing = sorted(n for n in self.condition.params() if n not in self.parameters)
        if missing:
            raise InvalidValue(
                f"agency {self.agency_id}'s condition uses parameters it does not define: "
                + ", ".join(missing),
                field="parameters",
            )


def _standard() -> dict[str, NeedKindInfo]:
    return {
        kind.code: NeedKindInfo(kind.code, kind.label, kind.sectors, kind.sensitive)
        for kind in NEED_KINDS
    }


#: The standard need kinds (employment, skills training, medical, schooling, social
#: insurance, disability support, housing, and the three winter supplies), from
#: :data:`jieqin.model.reference.NEED_KINDS`.
STANDARD_NEED_KINDS: Mapping[str, NeedKindInfo] = _standard()


def sensitive_need_kinds(
    kinds: Mapping[str, NeedKindInfo], rules: Iterable[NeedRule] = ()
) -> frozenset[str]:
    """The need kinds whose needs tell a health or disability fact.

    A kind is sensitive when it was registered so (``sensitive=True``), or when a need
    rule derives it from a sensitive fact (its condition reads ``health`` or
    ``disability_grade``, or any fact defined with ``sensitive=True``): a region's own
    health-derived kind is covered by its rule, with no list of names to keep.
    """
    flagged = {code for code, info in kinds.items() if info.sensitive}
    derived = {rule.kind for rule in rules if rule.condition.sensitive()}
    return frozenset(flagged | derived)
