"""Report aggregates in plain Python over model objects (the memory backend's way)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from jieqin.model.activities import Activity
from jieqin.model.aid import Grant, Program
from jieqin.model.needs import Need, Referral
from jieqin.model.pairings import Pairing
from jieqin.model.people import Helper, Household
from jieqin.model.regions import RegionCode, RegionLevel
from jieqin.reports.source import ActivityKey, GrantKey, NeedKey

__all__ = ["UNKNOWN_REGION", "PythonSource", "county_of"]

#: The region key of a record whose household or helper is not known.
UNKNOWN_REGION = "unknown"


def county_of(region: RegionCode | None) -> str:
    """The six-digit county code of ``region`` (or of itself when it is a city or province)."""
    if region is None:
        return UNKNOWN_REGION
    county = region.at_level(RegionLevel.COUNTY)
    return (county or region).code


def _overlaps(p: Pairing, first: date, last: date) -> bool:
    return p.start <= last and (p.end is None or p.end >= first)


class PythonSource:
    """A :class:`~jieqin.reports.source.ReportSource` over collections of model objects."""

    def __init__(
        self,
        *,
        helpers: Iterable[Helper],
        households: Iterable[Household],
        pairings: Iterable[Pairing],
        activities: Iterable[Activity],
        needs: Iterable[Need] = (),
        referrals: Iterable[Referral] = (),
        grants: Iterable[Grant] = (),
        programs: Iterable[Program] = (),
    ) -> None:
        self._helpers = {h.helper_id: h for h in helpers}
        self._county = {h.household_id: county_of(h.region) for h in households}
        self._pairings = list(pairings)
        self._activities = list(activities)
        self._needs = list(needs)
        self._referrals = list(referrals)
        self._grants = list(grants)
        self._programs = {p.program_id: p for p in programs}

    def _household_county(self, household_id: str) -> str:
        return self._county.get(household_id, UNKNOWN_REGION)

    def _tier(self, helper_id: str) -> str:
        helper = self._helpers.get(helper_id)
        return helper.tier if helper else UNKNOWN_REGION

    def helpers(self, first: date, last: date) -> dict[tuple[str, str], int]:
        ids = {p.helper_id for p in self._pairings if _overlaps(p, first, last)}
        out: Counter[tuple[str, str]] = Counter()
        for helper_id in ids:
            helper = self._helpers.get(helper_id)
            if helper is None:
                out[(UNKNOWN_REGION, UNKNOWN_REGION)] += 1
            else:
                out[(county_of(helper.home_region), helper.tier)] += 1
        return dict(out)

    def households(self, first: date, last: date) -> dict[str, int]:
        ids = {p.household_id for p in self._pairings if _overlaps(p, first, last)}
        return dict(Counter(self._household_county(h) for h in ids))

    def activities(self, first: date, last: date) -> dict[ActivityKey, int]:
        out: Counter[ActivityKey] = Counter()
        for a in self._activities:
            if first <= a.on <= last:
                month = f"{a.on.year:04d}-{a.on.month:02d}"
                out[
                    (month, self._household_county(a.household_id), a.kind, self._tier(a.helper_id))
                ] += 1
        return dict(out)

    def needs(self, first: date, last: date) -> dict[NeedKey, int]:
        out: Counter[NeedKey] = Counter()
        for n in self._needs:
            if first <= n.raised_on <= last:
                route = n.route.kind.value if n.route else "unrouted"
                out[(self._household_county(n.household_id), n.kind, route)] += 1
        return dict(out)

    def referrals(self, first: date, last: date) -> dict[tuple[str, str], int]:
        out: Counter[tuple[str, str]] = Counter()
        for r in self._referrals:
            if first <= r.referred_on <= last:
                out[(self._household_county(r.household_id), r.agency)] += 1
        return dict(out)

    def grants(self, first: date, last: date) -> dict[GrantKey, tuple[int, Decimal]]:
        counts: defaultdict[GrantKey, int] = defaultdict(int)
        amounts: defaultdict[GrantKey, Decimal] = defaultdict(Decimal)
        for g in self._grants:
            if first <= g.decided_on <= last:
                program = self._programs.get(g.program_id)
                key = (
                    self._household_county(g.household_id),
                    g.program_id,
                    program.name if program else g.program_id,
                    program.funder if program else "",
                )
                counts[key] += 1
                amounts[key] += g.amount
        return {k: (counts[k], amounts[k]) for k in counts}
