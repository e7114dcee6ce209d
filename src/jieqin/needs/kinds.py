"""Kinds of need, the helper sectors that can meet them, and the agencies that take them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from attrs import field, frozen

from jieqin.model.reference import NEED_KINDS
from jieqin.model.vocab import check_code

__all__ = ["STANDARD_NEED_KINDS", "Agency", "NeedKindInfo"]


def _codes(values: Iterable[str]) -> frozenset[str]:
    return frozenset(check_code(v, field="code") for v in values)


@frozen
class NeedKindInfo:
    """A kind of need: its code, what people read, and the helper sectors that match it."""

    code: str
    label: str
    sectors: frozenset[str] = field(factory=frozenset, converter=_codes)

    def __attrs_post_init__(self) -> None:
        check_code(self.code, field="need kind")


@frozen
class Agency:
    """An agency needs can be referred to, and the kinds of need it takes.

    ``plugin`` names the plugin that registered it (``None`` when built by hand); it
    is provenance, not part of the agency, so it takes no part in equality.
    """

    agency_id: str
    name: str
    need_kinds: frozenset[str] = field(factory=frozenset, converter=_codes)
    plugin: str | None = field(default=None, eq=False)


def _standard() -> dict[str, NeedKindInfo]:
    return {kind.code: NeedKindInfo(kind.code, kind.label, kind.sectors) for kind in NEED_KINDS}


#: The standard need kinds (employment, skills training, medical, schooling, social
#: insurance, disability support, housing, and the three winter supplies), from
#: :data:`jieqin.model.reference.NEED_KINDS`.
STANDARD_NEED_KINDS: Mapping[str, NeedKindInfo] = _standard()
