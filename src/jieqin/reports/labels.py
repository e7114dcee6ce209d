"""What a report calls each code: the registry's (Chinese) label, or its English one.

A report holds codes (``city_member``, ``tc_employment_promotion_center``) because
they are what the records hold and what the JSON and CSV formats keep. People read
the names, so the text and HTML reports print the label the campaign's plugins
registered for each tier, activity kind, need kind, agency and programme (region
names come with the report itself), and the code only when asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from attrs import field, frozen

from jieqin.model import reference

if TYPE_CHECKING:
    from jieqin.plugins.registry import Registry

__all__ = ["LABELLED_KINDS", "ReportLabels"]

#: The kinds of code (see :data:`jieqin.codes.CODE_KINDS`) a report names.
LABELLED_KINDS = (
    "tiers",
    "activity_kinds",
    "need_kinds",
    "agencies",
    "programs",
    "grievance_categories",
    "household_statuses",
)

_STANDARD = {
    "tiers": reference.TIERS,
    "activity_kinds": reference.ACTIVITY_KINDS,
    "need_kinds": reference.NEED_KINDS,
    "grievance_categories": reference.GRIEVANCE_CATEGORIES,
    "household_statuses": reference.HOUSEHOLD_STATUSES,
}


@frozen
class ReportLabels:
    """The label of each code by kind (``labels["tiers"]["city_member"]``), and the
    English label where the registry keeps one (``english``)."""

    labels: Mapping[str, Mapping[str, str]] = field(factory=dict)
    english: Mapping[str, Mapping[str, str]] = field(factory=dict)

    @classmethod
    def standard(cls) -> ReportLabels:
        """The labels of the standard codes, for a report built without a campaign."""
        return cls(
            {kind: {c.code: c.label for c in table} for kind, table in _STANDARD.items()},
            {
                kind: {c.code: c.english for c in table if c.english}
                for kind, table in _STANDARD.items()
            },
        )

    @classmethod
    def from_registry(cls, registry: Registry) -> ReportLabels:
        """The labels the campaign's plugins registered (the ones its records are checked
        against), so a region's own tiers, agencies and programmes are named too."""
        from jieqin.codes import registered_codes

        labels: dict[str, dict[str, str]] = {}
        english: dict[str, dict[str, str]] = {}
        for kind in LABELLED_KINDS:
            for code in registered_codes(registry, kind):
                labels.setdefault(kind, {})[code.code] = code.label
                if code.english:
                    english.setdefault(kind, {})[code.code] = code.english
        return cls(labels, english)

    def name(self, kind: str, code: str, *, lang: str = "zh", show_code: bool = False) -> str:
        """What the report prints for ``code``: its label (English in ``en`` where there
        is one), the code itself when it has none; ``show_code`` adds ``(code)``."""
        label = self.labels.get(kind, {}).get(code)
        if lang == "en":
            label = self.english.get(kind, {}).get(code, label)
        return with_code(label, code, show_code)


def with_code(label: str | None, code: str, show_code: bool) -> str:
    """``label (code)`` when asked and they differ, else the label (or the code)."""
    if not label or label == code:
        return code
    return f"{label} ({code})" if show_code else label
