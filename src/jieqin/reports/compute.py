"""Compute a report inside a unit of work: SQL aggregates on SQL backends, Python otherwise."""

from __future__ import annotations

from collections.abc import Mapping

from jieqin.activities.setup import ActivitySetup
from jieqin.model.periods import Period
from jieqin.reports.build import build_report
from jieqin.reports.model import Report
from jieqin.reports.python_source import PythonSource
from jieqin.reports.source import ReportSource
from jieqin.storage.base import UnitOfWork

__all__ = ["report", "report_source"]


def report_source(uow: UnitOfWork) -> ReportSource:
    """Where the aggregates come from: SQL queries, or Python over the memory backend's records."""
    if uow.sql_backed:
        from jieqin.reports.sql import SqlSource

        return SqlSource(uow.connection)
    return PythonSource(
        helpers=uow.helpers.list(),
        households=uow.households.list(),
        pairings=uow.pairings.list(),
        activities=uow.activities.list(),
        needs=uow.needs.list(),
        referrals=uow.referrals.list(),
        grants=uow.grants.list(),
        programs=uow.programs.list(),
    )


def report(
    uow: UnitOfWork,
    period: Period,
    *,
    setup: ActivitySetup | None = None,
    by_region: bool = False,
    k: int | None = None,
    region_names: Mapping[str, str] | None = None,
) -> Report:
    """The report for ``period`` from the records ``uow`` sees."""
    setup = setup or ActivitySetup.defaults()
    built = build_report(
        report_source(uow),
        period,
        kinds=setup.kinds,
        by_region=by_region,
        calendar=setup.calendar,
        k=k,
        region_names=region_names,
    )
    if uow.sql_backed:
        uow.commit()  # keeps what was computed in report_cache
    return built


def default_period(uow: UnitOfWork) -> str:
    """The year of the latest activity on record (this year when there is none)."""
    import datetime

    if uow.sql_backed:
        from jieqin.reports.sql import latest_activity_day

        latest = latest_activity_day(uow.connection)
    else:
        latest = max((a.on for a in uow.activities.list()), default=None)
    return str((latest or datetime.date.today()).year)
