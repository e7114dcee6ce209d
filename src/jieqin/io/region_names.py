"""Region names in a ledger's 所在村 column: the registered region each one names.

A village register often writes where a household lives by name (``新村``,
``黄堡镇新村``) rather than by code. The names are those the campaign's plugins
registered (``jieqin_register_region_names``, listed by ``jieqin codes regions``).
A cell names a region when it is that region's name, optionally after the names of
some of the regions above it, in order (``王益区黄堡镇新村``, ``黄堡镇 新村``). One
region so named gives its code; several are refused, naming each with its full name,
so the clerk can write the township too or the code; none is refused without
repeating the cell (a misplaced value may be anything).

A cell of ASCII text is a code and is left for the model to check as one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from jieqin.errors import InvalidValue
from jieqin.model.regions import RegionCode

__all__ = ["RegionNames", "looks_like_a_name"]

#: What a village committee's name adds to its village's (新村村民委员会 and 新村委会
#: are 新村's).
_COMMITTEES = ("村民委员会", "村委会")

#: How many candidates an ambiguous name lists.
SHOWN_CANDIDATES = 5


def _folded(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def looks_like_a_name(text: str) -> bool:
    """Whether a region cell is a name to look up rather than a code."""
    return not text.isascii()


class RegionNames:
    """The registered region names (code -> name), looked up by name."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = names
        self._by_name: dict[str, list[str]] | None = None

    def _index(self) -> dict[str, list[str]]:
        if self._by_name is None:
            index: dict[str, list[str]] = {}
            for code, name in self.names.items():
                folded = _folded(name)
                if folded:
                    index.setdefault(folded, []).append(code)
            self._by_name = index
        return self._by_name

    def _ancestor_names(self, code: str) -> list[str]:
        """The names of the registered regions above ``code``, nearest first."""
        try:
            above = RegionCode(code).ancestors()
        except InvalidValue:
            return []
        return [_folded(self.names[a.code]) for a in above if a.code in self.names]

    def _qualifies(self, prefix: str, code: str) -> bool:
        """Whether ``prefix`` is names of regions above ``code``, outermost first."""
        for name in self._ancestor_names(code):
            if not prefix:
                return True
            if prefix.endswith(name):
                prefix = prefix[: -len(name)]
        return not prefix

    def candidates(self, text: str) -> list[str]:
        """The codes of the regions ``text`` names (sorted); a village committee's name
        (``新村村民委员会``, ``新村委会``) names its village."""
        folded = _folded(text)
        found = self._candidates(folded)
        for suffix in _COMMITTEES:
            if not folded.endswith(suffix):
                continue
            stem = folded[: -len(suffix)]
            for village in (stem, f"{stem}村"):
                found = found or self._candidates(village)
        return found

    def _candidates(self, folded: str) -> list[str]:
        index = self._index()
        found: set[str] = set()
        for start in range(len(folded)):
            for code in index.get(folded[start:], ()):
                if self._qualifies(folded[:start], code):
                    found.add(code)
            if found:
                break  # the longest name that fits wins: 新村 in 黄堡镇新村 is no other 村
        return sorted(found)

    def full_name(self, code: str) -> str:
        """``王益区黄堡镇新村``: the region's name after those of the regions above it."""
        above = reversed(RegionCode(code).ancestors())
        names = [self.names.get(a.code, "") for a in above]
        return "".join([*names, self.names[code]]) if code in self.names else code

    def code(self, text: str) -> str:
        """The code of the region a cell names (a code itself is returned as it is), or
        :class:`InvalidValue` saying the name is unknown or which regions it could be."""
        cell = text.strip()
        if not looks_like_a_name(cell):
            return cell
        found = self.candidates(cell)
        if len(found) == 1:
            return found[0]
        if not found:
            raise InvalidValue(
                "is neither a region code nor the name of a registered region: give the "
                "code (12 digits for a village) or the name `jieqin codes regions` lists"
            )
        shown = ", ".join(f"{c} ({self.full_name(c)})" for c in found[:SHOWN_CANDIDATES])
        more = f" and {len(found) - SHOWN_CANDIDATES} more" if len(found) > SHOWN_CANDIDATES else ""
        raise InvalidValue(
            f"{_folded(cell)} names {len(found)} regions: {shown}{more}; write the township "
            "(or county) before it, or give the code"
        )
