"""Activity kinds: the five standing duties and any a plugin adds.

A kind is a plain code (``contact``, ``visit`` ...); the registry keeps its labels
so reports and the CLI can show them, and refuses activities of unknown kinds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from attrs import field, frozen

from jieqin.errors import InvalidValue
from jieqin.model._fields import code_field
from jieqin.model.vocab import ActivityKind

__all__ = ["STANDARD_KINDS", "ActivityKindRegistry", "ActivityKindSpec"]


@frozen
class ActivityKindSpec:
    """One kind of activity: its code and how it is shown."""

    code: str = field(converter=str, validator=code_field)
    label: str = ""
    label_zh: str = ""
    description: str = ""

    @property
    def title(self) -> str:
        """The label to show (the code, made readable, when there is none)."""
        return self.label or self.code.replace("_", " ")


#: The five standing duties of the campaign, in the order reports show them.
STANDARD_KINDS: tuple[ActivityKindSpec, ...] = (
    ActivityKindSpec(ActivityKind.CONTACT, "contacts", "勤联系", "a call, message or meeting"),
    ActivityKindSpec(ActivityKind.VISIT, "visits", "常走动", "a home visit"),
    ActivityKindSpec(
        ActivityKind.POLICY_EXPLANATION, "policy explanations", "讲政策", "a policy explained"
    ),
    ActivityKindSpec(
        ActivityKind.WARMTH, "warmth deliveries", "送温暖", "comfort, gifts, supplies"
    ),
    ActivityKindSpec(
        ActivityKind.PRACTICAL_HELP, "practical things done", "办实事", "concrete help completed"
    ),
)


class ActivityKindRegistry:
    """The activity kinds in use: the standard five first, then plugin kinds in order."""

    def __init__(self, specs: Iterable[ActivityKindSpec] = STANDARD_KINDS) -> None:
        self._specs: dict[str, ActivityKindSpec] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: ActivityKindSpec | str, label: str = "", label_zh: str = "") -> None:
        """Add a kind (a spec or a code); registering a known code again replaces its labels."""
        if isinstance(spec, str):
            spec = ActivityKindSpec(spec, label, label_zh)
        self._specs[spec.code] = spec

    def __contains__(self, code: object) -> bool:
        return code in self._specs

    def __iter__(self) -> Iterator[ActivityKindSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def codes(self) -> tuple[str, ...]:
        """Every kind code, standard ones first."""
        return tuple(self._specs)

    def get(self, code: str) -> ActivityKindSpec:
        """The spec of ``code``, or a spec with no labels for a kind nobody registered."""
        return self._specs.get(code) or ActivityKindSpec(code)

    def check(self, code: str, *, field: str = "kind") -> str:
        """Return ``code`` if it is a registered kind; raise :class:`InvalidValue` naming the known ones."""
        if code not in self._specs:
            known = ", ".join(self._specs)
            raise InvalidValue(f"unknown activity kind {code!r}; known kinds: {known}", field=field)
        return code
