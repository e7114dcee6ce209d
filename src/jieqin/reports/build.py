"""Build a :class:`~jieqin.reports.model.Report` from a source's aggregates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from jieqin.activities.kinds import ActivityKindRegistry
from jieqin.activities.windows import CampaignCalendar
from jieqin.errors import InvalidValue
from jieqin.model.money import ZERO
from jieqin.model.periods import Month, Period
from jieqin.model.regions import RegionCode
from jieqin.reports.model import (
    CategoryLine,
    Count,
    Figures,
    GrantLine,
    GrievanceLine,
    Monitoring,
    NeedLine,
    PaymentLine,
    Report,
    WindowLine,
)
from jieqin.reports.source import (
    ActivityKey,
    EliminationKey,
    GrantKey,
    GrievanceKey,
    MonitoredKey,
    NeedKey,
    PaymentKey,
    ReportSource,
    WarningKey,
)

__all__ = ["build_report", "suppress"]

_ALL = "*"
KeyT = TypeVar("KeyT", bound=tuple[Any, ...])
V = TypeVar("V")


def suppress(value: int, k: int | None) -> Count:
    """``value``, or ``None`` when it is a small cell (``0 < value < k``)."""
    if k is not None and 0 < value < k:
        return None
    return value


def build_report(
    source: ReportSource,
    period: Period,
    *,
    kinds: ActivityKindRegistry | None = None,
    by_region: bool = False,
    calendar: CampaignCalendar | None = None,
    k: int | None = None,
    region_names: Mapping[str, str] | None = None,
    monitored: frozenset[str] | None = None,
) -> Report:
    """The report for ``period``, counted by ``source``; ``k`` turns on small-cell suppression.

    ``monitored`` are the household statuses that are monitoring categories (default:
    the standard three); the report has a monitoring section where any household was
    monitored, any warning raised or any risk eliminated."""
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 2):
        raise InvalidValue(
            f"suppression threshold k must be a whole number >= 2, got {k!r}", field="k"
        )
    kinds = kinds or ActivityKindRegistry()
    first, last = period.start, period.end
    helpers = source.helpers(first, last)
    households = source.households(first, last)
    activities = source.activities(first, last)
    needs = source.needs(first, last)
    referrals = source.referrals(first, last)
    grants = source.grants(first, last)
    payments = source.payments(first, last)
    grievances = source.grievances(first, last)
    if monitored is None:
        from jieqin.model import MONITORED_STATUSES

        monitored = MONITORED_STATUSES
    watched = source.monitored_households(first, last, monitored)
    warned = source.warnings(first, last)
    eliminated = source.eliminations(first, last)

    seen_kinds = list(kinds.codes())
    seen_kinds += sorted({key[2] for key in activities} - set(seen_kinds))

    def figures(region: str) -> Figures:
        if region == _ALL:
            return attrs.evolve(
                _figures(helpers, households, activities, needs, referrals, grants, seen_kinds, k),
                payments=_payment_lines(payments, k),
                grievances=_grievance_lines(grievances, k),
                monitoring=_monitoring(watched, warned, eliminated, k),
            )
        area = _figures(
            split_helpers.get(region, {}),
            {region: households[region]} if region in households else {},
            split_activities.get(region, {}),
            split_needs.get(region, {}),
            split_referrals.get(region, {}),
            split_grants.get(region, {}),
            seen_kinds,
            k,
        )
        return attrs.evolve(
            area,
            payments=_payment_lines(split_payments.get(region, {}), k),
            grievances=_grievance_lines(split_grievances.get(region, {}), k),
            monitoring=_monitoring(
                split_watched.get(region, {}),
                split_warned.get(region, {}),
                split_eliminated.get(region, {}),
                k,
            ),
        )

    split_helpers = _split(helpers, 0)
    split_activities = _split(activities, 1)
    split_needs = _split(needs, 0)
    split_referrals = _split(referrals, 0)
    split_grants = _split(grants, 0)
    split_payments = _split(payments, 0)
    split_grievances = _split(grievances, 0)
    split_watched = _split(watched, 0)
    split_warned = _split(warned, 0)
    split_eliminated = _split(eliminated, 0)

    monthly: dict[str, dict[str, Count]] = {}
    per_month: defaultdict[tuple[str, str], int] = defaultdict(int)
    for (month, _county, kind, _tier), n in activities.items():
        per_month[(month, kind)] += n
    for month in period_months(period):
        monthly[month] = {kind: suppress(per_month.get((month, kind), 0), k) for kind in seen_kinds}

    windows: list[WindowLine] = []
    for window in calendar.between(first, last) if calendar else ():
        inside = source.activities(max(first, window.start), min(last, window.end))
        if window.region is not None:
            inside = {k_: n for k_, n in inside.items() if _in_region(k_[1], window.region)}
        by_kind: defaultdict[str, int] = defaultdict(int)
        for key, n in inside.items():
            by_kind[key[2]] += n
        windows.append(
            WindowLine(
                window.window_id,
                window.name,
                window.kind.value,
                window.start,
                window.end,
                {kind: suppress(by_kind.get(kind, 0), k) for kind in seen_kinds},
            )
        )

    regions: dict[str, Figures] = {}
    if by_region:
        codes = sorted(
            {c for c, _ in helpers}
            | set(households)
            | {key[1] for key in activities}
            | {key[0] for key in needs}
            | {c for c, _ in referrals}
            | {key[0] for key in grants}
            | {key[0] for key in grievances}
            | {key[0] for key in watched}
            | {key[0] for key in warned}
            | {key[0] for key in eliminated}
        )
        regions = {code: figures(code) for code in codes}

    return Report(
        period=period,
        totals=figures(_ALL),
        kinds=tuple(seen_kinds),
        kind_labels={kind: kinds.get(kind).title for kind in seen_kinds},
        monthly=monthly,
        windows=tuple(windows),
        regions=regions,
        region_names=dict(region_names or {}),
        suppressed_below=k,
    )


#: The order payment states are shown in.
_STATES = ("paid", "unpaid", "returned")


def _payment_lines(
    payments: Mapping[PaymentKey, tuple[int, Decimal]], k: int | None
) -> tuple[PaymentLine, ...]:
    """The grants' amounts by programme and payment state, small cells withheld."""
    counts: defaultdict[tuple[str, str], int] = defaultdict(int)
    amounts: defaultdict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for (_county, program, state), (n, amount) in payments.items():
        counts[(program, state)] += n
        amounts[(program, state)] += amount
    lines = []
    for (program, state), n in sorted(
        counts.items(), key=lambda item: (item[0][0], _order(item[0][1]))
    ):
        shown = suppress(n, k)
        lines.append(
            PaymentLine(program, state, shown, None if shown is None else amounts[(program, state)])
        )
    return tuple(lines)


def _order(state: str) -> int:
    return _STATES.index(state) if state in _STATES else len(_STATES)


#: The order grievance answers are shown in.
_ANSWERS = ("on_time", "late", "unanswered")


def _grievance_lines(
    grievances: Mapping[GrievanceKey, int], k: int | None
) -> tuple[GrievanceLine, ...]:
    """Grievances by category and answer, every answer of a category shown (0 too),
    small cells withheld."""
    counts: defaultdict[tuple[str, str], int] = defaultdict(int)
    for (_county, category, answer), n in grievances.items():
        counts[(category, answer)] += n
    categories = sorted({category for category, _ in counts})
    answers = [*_ANSWERS, *sorted({a for _, a in counts} - set(_ANSWERS))]
    return tuple(
        GrievanceLine(category, answer, suppress(counts.get((category, answer), 0), k))
        for category in categories
        for answer in answers
    )


def _monitoring(
    watched: Mapping[MonitoredKey, int],
    warned: Mapping[WarningKey, int],
    eliminated: Mapping[EliminationKey, int],
    k: int | None,
) -> Monitoring | None:
    """The monitoring figures of one area, small cells withheld; ``None`` where nothing
    was monitored, warned or eliminated (a campaign that does not monitor)."""
    if not (any(watched.values()) or any(warned.values()) or any(eliminated.values())):
        return None
    monitored: defaultdict[str, int] = defaultdict(int)
    at_end: defaultdict[str, int] = defaultdict(int)
    for (_county, category, end), n in watched.items():
        monitored[category] += n
        if end == "at_end":
            at_end[category] += n
    left: defaultdict[str, int] = defaultdict(int)
    for (_county, category), n in eliminated.items():
        left[category] += n
    checks: defaultdict[str, int] = defaultdict(int)
    outcomes: defaultdict[str, int] = defaultdict(int)
    for (_county, check, outcome), n in warned.items():
        checks[check] += n
        outcomes[outcome] += n
    categories = sorted(set(monitored) | set(left))
    return Monitoring(
        households=suppress(sum(monitored.values()), k),
        at_end=suppress(sum(at_end.values()), k),
        categories=tuple(
            CategoryLine(
                c,
                suppress(monitored.get(c, 0), k),
                suppress(at_end.get(c, 0), k),
                suppress(left.get(c, 0), k),
            )
            for c in categories
        ),
        warnings=suppress(sum(warned.values()), k),
        checked_on_time=suppress(checks.get("on_time", 0), k),
        checked_late=suppress(checks.get("late", 0), k),
        unchecked=suppress(checks.get("unchecked", 0), k),
        confirmed=suppress(outcomes.get("confirmed", 0), k),
        dismissed=suppress(outcomes.get("dismissed", 0), k),
        open=suppress(outcomes.get("open", 0), k),
        eliminated=suppress(sum(left.values()), k),
    )


def _in_region(county: str, region: RegionCode) -> bool:
    """Whether activities counted under ``county`` belong to a window limited to ``region``."""
    try:
        code = RegionCode(county)
    except InvalidValue:
        return False
    return region.contains(code) or code.contains(region)


def period_months(period: Period) -> list[str]:
    """The months of ``period`` as ``YYYY-MM``."""
    if isinstance(period, Month):
        return [str(period)]
    return [str(m) for m in period.months()]


def _split(mapping: Mapping[KeyT, V], index: int) -> dict[str, dict[KeyT, V]]:
    """``mapping`` split by the county at ``index`` of its keys, in one pass."""
    out: defaultdict[str, dict[KeyT, V]] = defaultdict(dict)
    for key, value in mapping.items():
        out[str(key[index])][key] = value
    return out


def _figures(
    helpers: Mapping[tuple[str, str], int],
    households: Mapping[str, int],
    activities: Mapping[ActivityKey, int],
    needs: Mapping[NeedKey, int],
    referrals: Mapping[tuple[str, str], int],
    grants: Mapping[GrantKey, tuple[int, Decimal]],
    kinds: Iterable[str],
    k: int | None,
) -> Figures:
    by_tier: defaultdict[str, int] = defaultdict(int)
    for (_county, tier), n in helpers.items():
        by_tier[tier] += n
    by_kind: defaultdict[str, int] = defaultdict(int)
    by_helper_tier: defaultdict[str, int] = defaultdict(int)
    for (_month, _county, kind, tier), n in activities.items():
        by_kind[kind] += n
        by_helper_tier[tier] += n
    need_lines: defaultdict[tuple[str, str], int] = defaultdict(int)
    for (_county, kind, route), n in needs.items():
        need_lines[(kind, route)] += n
    agencies: defaultdict[str, int] = defaultdict(int)
    for (_county, agency), n in referrals.items():
        agencies[agency] += n
    grant_counts: defaultdict[tuple[str, str, str], int] = defaultdict(int)
    grant_amounts: defaultdict[tuple[str, str, str], Decimal] = defaultdict(lambda: ZERO)
    for (_county, program, name, funder), (n, amount) in grants.items():
        grant_counts[(program, name, funder)] += n
        grant_amounts[(program, name, funder)] += amount

    def grant_line(key: tuple[str, str, str], count: int, amount: Decimal) -> GrantLine:
        shown = suppress(count, k)
        return GrantLine(key[0], key[1], key[2], shown, None if shown is None else amount)

    return Figures(
        helpers=suppress(sum(by_tier.values()), k),
        helpers_by_tier={t: suppress(n, k) for t, n in sorted(by_tier.items())},
        households=suppress(sum(households.values()), k),
        activities={kind: suppress(by_kind.get(kind, 0), k) for kind in kinds},
        needs=tuple(
            NeedLine(kind, route, suppress(n, k)) for (kind, route), n in sorted(need_lines.items())
        ),
        referrals=tuple((a, suppress(n, k)) for a, n in sorted(agencies.items())),
        grants=tuple(
            grant_line(key, n, grant_amounts[key]) for key, n in sorted(grant_counts.items())
        ),
        activities_by_tier={t: suppress(n, k) for t, n in sorted(by_helper_tier.items())},
    )
