"""The report as values: the figures for a period, overall and by region.

A report holds only aggregates: counts and sums of money by tier, kind, agency,
program and county. It never holds a person, an ID number or a health fact. With
small-cell suppression (``k``), every count below ``k`` (and the amount beside it)
is withheld and shown as ``None`` / ``<k``, so a published table cannot single out
a household.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from attrs import field, frozen

from jieqin.model.periods import Period
from jieqin.reports.labels import ReportLabels

__all__ = [
    "CategoryLine",
    "Figures",
    "GrantLine",
    "GrievanceLine",
    "Monitoring",
    "NeedLine",
    "PaymentLine",
    "Report",
    "WindowLine",
]

Count = int | None


@frozen
class NeedLine:
    kind: str
    route: str
    count: Count


@frozen
class GrantLine:
    program: str
    program_name: str
    funder: str
    count: Count
    amount: Decimal | None


@frozen
class PaymentLine:
    """A programme's grants of the period by where their money is now: ``unpaid`` (to
    be paid), ``paid``, or ``returned`` (back in the fund)."""

    program: str
    state: str
    count: Count
    amount: Decimal | None


@frozen
class GrievanceLine:
    """Grievances of one category received in the period, by their answer: ``on_time``
    (by the due day), ``late`` (after it) or ``unanswered`` (not yet)."""

    category: str
    answer: str
    count: Count


@frozen
class CategoryLine:
    """The households of one monitoring category (a monitored household status):
    ``monitored`` had it on a day of the period (as their last monitored status),
    ``at_end`` still had a monitored status on its last day, ``eliminated`` left it
    through a committed risk elimination in the period."""

    category: str
    monitored: Count
    at_end: Count
    eliminated: Count


@frozen
class Monitoring:
    """The monitoring against a return to poverty (防返贫监测) in one area and period.

    Households monitored, by category; the risk warnings raised in the period, how
    many were checked at home by their due day (``checked_on_time``), after it
    (``checked_late``) or not yet (``unchecked``), and what came of them (``confirmed``
    as a monitoring category, ``dismissed``, ``open``); and the households whose risk
    was eliminated. Warnings are never counted by rule: a rule (medical burden, a
    new major illness) tells a health fact, so a count of them by county could point
    at a household with a sick member.
    """

    households: Count
    at_end: Count
    categories: tuple[CategoryLine, ...]
    warnings: Count
    checked_on_time: Count
    checked_late: Count
    unchecked: Count
    confirmed: Count
    dismissed: Count
    open: Count
    eliminated: Count

    def as_dict(self) -> dict[str, object]:
        return {
            "households": self.households,
            "at_end": self.at_end,
            "categories": [
                {
                    "category": c.category,
                    "monitored": c.monitored,
                    "at_end": c.at_end,
                    "eliminated": c.eliminated,
                }
                for c in self.categories
            ],
            "warnings": self.warnings,
            "checked_on_time": self.checked_on_time,
            "checked_late": self.checked_late,
            "unchecked": self.unchecked,
            "confirmed": self.confirmed,
            "dismissed": self.dismissed,
            "open": self.open,
            "eliminated": self.eliminated,
        }


@frozen
class Figures:
    """The figures of one area (the whole campaign or one county) for the period."""

    helpers: Count
    helpers_by_tier: Mapping[str, Count]
    households: Count
    activities: Mapping[str, Count]
    needs: tuple[NeedLine, ...] = ()
    referrals: tuple[tuple[str, Count], ...] = ()
    grants: tuple[GrantLine, ...] = ()
    activities_by_tier: Mapping[str, Count] = field(factory=dict)
    """Activities by the tier of the helper who did them."""
    payments: tuple[PaymentLine, ...] = ()
    """The grants' amounts paid, unpaid and returned, by programme."""
    grievances: tuple[GrievanceLine, ...] = ()
    """Grievances received, by category and whether they were answered on time."""
    monitoring: Monitoring | None = None
    """The monitoring against a return to poverty (``None``: not counted)."""

    @property
    def activities_total(self) -> Count:
        if any(v is None for v in self.activities.values()):
            return None
        return sum(v for v in self.activities.values() if v is not None)

    def as_dict(self) -> dict[str, object]:
        return {
            "helpers": self.helpers,
            "helpers_by_tier": dict(self.helpers_by_tier),
            "households": self.households,
            "activities": dict(self.activities),
            "activities_by_tier": dict(self.activities_by_tier),
            "needs": [{"kind": n.kind, "route": n.route, "count": n.count} for n in self.needs],
            "referrals": [{"agency": a, "count": c} for a, c in self.referrals],
            "grants": [
                {
                    "program": g.program,
                    "program_name": g.program_name,
                    "funder": g.funder,
                    "count": g.count,
                    "amount": None if g.amount is None else str(g.amount),
                }
                for g in self.grants
            ],
            "grant_payments": [
                {
                    "program": p.program,
                    "state": p.state,
                    "count": p.count,
                    "amount": None if p.amount is None else str(p.amount),
                }
                for p in self.payments
            ],
            "grievances": [
                {"category": g.category, "answer": g.answer, "count": g.count}
                for g in self.grievances
            ],
            **({} if self.monitoring is None else {"monitoring": self.monitoring.as_dict()}),
        }


@frozen
class WindowLine:
    """The work done in one campaign window that overlaps the period."""

    window_id: str
    name: str
    kind: str
    start: date
    end: date
    activities: Mapping[str, Count]


@frozen
class Report:
    """The report for ``period``: totals, optionally per county, per month and per window."""

    period: Period
    totals: Figures
    kinds: tuple[str, ...]
    kind_labels: Mapping[str, str] = field(factory=dict)
    monthly: Mapping[str, Mapping[str, Count]] = field(factory=dict)
    windows: tuple[WindowLine, ...] = ()
    regions: Mapping[str, Figures] = field(factory=dict)
    region_names: Mapping[str, str] = field(factory=dict)
    suppressed_below: int | None = None
    """The ``k`` of small-cell suppression, ``None`` for an unsuppressed (internal) report."""
    labels: ReportLabels = field(factory=ReportLabels.standard)
    """What the text and HTML formats call each code (the JSON and CSV keep the codes)."""

    def as_dict(self) -> dict[str, object]:
        """The report as one JSON-ready object (amounts as decimal strings)."""
        out: dict[str, object] = {
            "period": str(self.period),
            "period_kind": self.period.kind.value,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "suppressed_below": self.suppressed_below,
            **self.totals.as_dict(),
            "activities_by_month": {m: dict(v) for m, v in self.monthly.items()},
            "windows": [
                {
                    "window": w.window_id,
                    "name": w.name,
                    "kind": w.kind,
                    "start": w.start.isoformat(),
                    "end": w.end.isoformat(),
                    "activities": dict(w.activities),
                }
                for w in self.windows
            ],
        }
        if self.regions:
            out["regions"] = [
                {"region": code, "name": self.region_names.get(code, code), **f.as_dict()}
                for code, f in self.regions.items()
            ]
        return out
