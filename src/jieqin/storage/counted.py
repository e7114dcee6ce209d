"""The read model of the backends that hold their tables in memory: counted on demand.

A memory backend (``memory://``, or a plugin's that subclasses
:class:`~jieqin.storage.tables_in_memory.TablesUnitOfWork`) has every record at
hand, so its :class:`~jieqin.storage.base.ReadModel` counts the records each time it
is asked, in plain Python. The figures are defined exactly as the SQL read model
keeps them: counties and tiers are the current ones of the household and helper,
and a voided activity (or a revoked grant) counts nowhere.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from jieqin.model import (
    Activity,
    Grant,
    Grievance,
    Helper,
    Household,
    Need,
    Pairing,
    Program,
    Referral,
)
from jieqin.model.regions import RegionCode, RegionLevel

if TYPE_CHECKING:
    from jieqin.activities.overdue import FollowUpArrays
    from jieqin.storage.base import (
        ActivityKey,
        EliminationKey,
        GrantKey,
        GrievanceKey,
        MonitoredKey,
        NeedKey,
        PaymentKey,
        WarningKey,
    )

__all__ = ["UNKNOWN", "TablesReadModel", "county_of", "last_monitored"]

#: The county (or tier) of a record whose household (or helper) is not stored.
UNKNOWN = "unknown"


def county_of(region: RegionCode | None) -> str:
    """The six-digit county code of ``region`` (or of itself when it is a city or province)."""
    if region is None:
        return UNKNOWN
    county = region.at_level(RegionLevel.COUNTY)
    return (county or region).code


#: The outcomes of a warning that are decided (any other is ``open``).
_DECIDED = frozenset({"confirmed", "dismissed"})


def last_monitored(
    history: Iterable[tuple[str, date]], first: date, last: date, monitored: frozenset[str]
) -> str | None:
    """The last of ``monitored`` a status history (``(status, since)`` in date order)
    held on a day of ``[first, last]``, or ``None``."""
    found: str | None = None
    changes = list(history)
    for i, (status, since) in enumerate(changes):
        until = changes[i + 1][1] if i + 1 < len(changes) else None
        # in force from ``since`` to the day before the next change
        if since <= last and (until is None or until > first) and status in monitored:
            found = status
    return found


def _overlaps(p: Pairing, first: date, last: date) -> bool:
    """Whether ``p`` was in force on a day of ``[first, last]`` (a withdrawn pairing
    never was)."""
    return p.start <= last and (p.end is None or p.end >= max(first, p.start))


class TablesReadModel:
    """A :class:`~jieqin.storage.base.ReadModel` that counts the records of tables.

    ``table(name)`` gives the records of a kind by key, as the unit of work sees them.
    """

    def __init__(self, table: Callable[[str], Mapping[Any, Any]]) -> None:
        self._table = table

    @classmethod
    def of(cls, records: Mapping[str, Iterable[Any]]) -> TablesReadModel:
        """The read model of records given by kind (``{"activities": [...], ...}``)."""
        from jieqin.storage._common import ENTITIES

        tables = {
            name: {ENTITIES[name].key(r): r for r in items} for name, items in records.items()
        }
        return cls(lambda name: tables.get(name, {}))

    def _records(self, name: str) -> Iterable[Any]:
        return self._table(name).values()

    def _county(self) -> dict[str, str]:
        households: Iterable[Household] = self._records("households")
        return {h.household_id: county_of(h.region) for h in households}

    def _helpers(self) -> dict[str, Helper]:
        return {h.helper_id: h for h in self._records("helpers")}

    def helpers(self, first: date, last: date) -> dict[tuple[str, str], int]:
        pairings: Iterable[Pairing] = self._records("pairings")
        ids = {p.helper_id for p in pairings if _overlaps(p, first, last)}
        known = self._helpers()
        out: Counter[tuple[str, str]] = Counter()
        for helper_id in ids:
            helper = known.get(helper_id)
            if helper is None:
                out[(UNKNOWN, UNKNOWN)] += 1
            else:
                out[(county_of(helper.home_region), helper.tier)] += 1
        return dict(out)

    def households(self, first: date, last: date) -> dict[str, int]:
        pairings: Iterable[Pairing] = self._records("pairings")
        county = self._county()
        ids = {p.household_id for p in pairings if _overlaps(p, first, last)}
        return dict(Counter(county.get(h, UNKNOWN) for h in ids))

    def activities(self, first: date, last: date) -> dict[ActivityKey, int]:
        county, helpers = self._county(), self._helpers()
        out: Counter[ActivityKey] = Counter()
        activities: Iterable[Activity] = self._records("activities")
        for a in activities:
            if a.voided_on is None and first <= a.on <= last:
                helper = helpers.get(a.helper_id)
                tier = helper.tier if helper else UNKNOWN
                month = f"{a.on.year:04d}-{a.on.month:02d}"
                out[(month, county.get(a.household_id, UNKNOWN), a.kind, tier)] += 1
        return dict(out)

    def needs(self, first: date, last: date) -> dict[NeedKey, int]:
        county = self._county()
        out: Counter[NeedKey] = Counter()
        needs: Iterable[Need] = self._records("needs")
        for n in needs:
            if first <= n.raised_on <= last:
                route = n.route.kind.value if n.route else "unrouted"
                out[(county.get(n.household_id, UNKNOWN), n.kind, route)] += 1
        return dict(out)

    def referrals(self, first: date, last: date) -> dict[tuple[str, str], int]:
        county = self._county()
        out: Counter[tuple[str, str]] = Counter()
        referrals: Iterable[Referral] = self._records("referrals")
        for r in referrals:
            if first <= r.referred_on <= last:
                out[(county.get(r.household_id, UNKNOWN), r.agency)] += 1
        return dict(out)

    def grants(self, first: date, last: date) -> dict[GrantKey, tuple[int, Decimal]]:
        county = self._county()
        programs: dict[str, Program] = {p.program_id: p for p in self._records("programs")}
        counts: defaultdict[GrantKey, int] = defaultdict(int)
        amounts: defaultdict[GrantKey, Decimal] = defaultdict(Decimal)
        grants: Iterable[Grant] = self._records("grants")
        for g in grants:
            if g.revoked_on is None and first <= g.decided_on <= last:
                program = programs.get(g.program_id)
                key = (
                    county.get(g.household_id, UNKNOWN),
                    g.program_id,
                    program.name if program else g.program_id,
                    program.funder if program else "",
                )
                counts[key] += 1
                amounts[key] += g.amount
        return {k: (counts[k], amounts[k]) for k in counts}

    def payments(self, first: date, last: date) -> dict[PaymentKey, tuple[int, Decimal]]:
        county = self._county()
        out: dict[PaymentKey, tuple[int, Decimal]] = {}
        grants: Iterable[Grant] = self._records("grants")
        for g in grants:
            if g.revoked_on is None and first <= g.decided_on <= last:
                key = (county.get(g.household_id, UNKNOWN), g.program_id, g.payment_state.value)
                n, amount = out.get(key, (0, Decimal("0.00")))
                out[key] = (n + 1, amount + g.amount)
        return out

    def grievances(self, first: date, last: date) -> dict[GrievanceKey, int]:
        county = self._county()
        out: Counter[GrievanceKey] = Counter()
        grievances: Iterable[Grievance] = self._records("grievances")
        for g in grievances:
            if first <= g.received_on <= last:
                on_time = g.answered_on_time()
                answer = "unanswered" if on_time is None else "on_time" if on_time else "late"
                out[(county.get(g.household_id, UNKNOWN), g.category, answer)] += 1
        return dict(out)

    def monitored_households(
        self, first: date, last: date, monitored: frozenset[str]
    ) -> dict[MonitoredKey, int]:
        out: Counter[MonitoredKey] = Counter()
        households: Iterable[Household] = self._records("households")
        for h in households:
            category = last_monitored(
                ((c.status, c.since) for c in h.status_history), first, last, monitored
            )
            if category is not None:
                at_end = "at_end" if h.status_on(last) in monitored else "left"
                out[(county_of(h.region), category, at_end)] += 1
        return dict(out)

    def warnings(self, first: date, last: date) -> dict[WarningKey, int]:
        county = self._county()
        out: Counter[WarningKey] = Counter()
        for w in self._records("warnings"):
            if first <= w.raised_on <= last:
                check = (
                    "unchecked"
                    if w.checked_on is None
                    else "on_time"
                    if w.checked_on <= w.check_due
                    else "late"
                )
                outcome = w.status.value if w.status.value in _DECIDED else "open"
                out[(county.get(w.household_id, UNKNOWN), check, outcome)] += 1
        return dict(out)

    def eliminations(self, first: date, last: date) -> dict[EliminationKey, int]:
        county = self._county()
        out: Counter[EliminationKey] = Counter()
        for e in self._records("eliminations"):
            if (
                e.status.value == "committed"
                and e.committed_on is not None
                and first <= e.committed_on <= last
            ):
                out[(county.get(e.household_id, UNKNOWN), e.from_status)] += 1
        return dict(out)

    def latest_activity_day(self) -> date | None:
        activities: Iterable[Activity] = self._records("activities")
        return max((a.on for a in activities if a.voided_on is None), default=None)

    def follow_up(
        self, as_of: date, kind_sets: Iterable[frozenset[str]], monitored: frozenset[str]
    ) -> FollowUpArrays:
        import numpy as np

        from jieqin.activities.cadence import household_facts
        from jieqin.activities.overdue import FollowUpArrays

        pairings = sorted(
            (p for p in self._records("pairings") if p.active_on(as_of)),
            key=lambda p: (p.household_id, p.helper_id),
        )
        wanted = {p.household_id for p in pairings}
        kinds = set().union(*kind_sets)
        latest: defaultdict[str, dict[str, int]] = defaultdict(dict)
        activities: Iterable[Activity] = self._records("activities")
        for a in activities:
            if (
                a.voided_on is None
                and a.household_id in wanted
                and a.kind in kinds
                and a.on <= as_of
            ):
                day = a.on.toordinal()
                if latest[a.kind].get(a.household_id, 0) < day:
                    latest[a.kind][a.household_id] = day
        households = self._table("households")
        facts = {
            hid: household_facts(households[hid], as_of, monitored=monitored).bits
            for hid in wanted
            if hid in households
        }
        return FollowUpArrays(
            helper_ids=[p.helper_id for p in pairings],
            household_ids=[p.household_id for p in pairings],
            start=np.array([p.start.toordinal() for p in pairings], dtype=np.int64),
            facts=np.array([facts.get(p.household_id, 0) for p in pairings], dtype=np.int64),
            last_by_kind={
                kind: np.array([days.get(p.household_id, 0) for p in pairings], dtype=np.int64)
                for kind, days in latest.items()
            },
            in_id_order=True,
        )
