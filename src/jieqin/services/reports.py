"""The report use case: the figures of a period from the storage's read model.

A report only reads: it runs in a read-only unit of work (on SQLite it never takes
the write lock, and a read-only database file can be reported) and never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from jieqin.activities.setup import ActivitySetup
from jieqin.model.periods import Period
from jieqin.reports.build import build_report
from jieqin.reports.model import Report
from jieqin.storage.base import UnitOfWork

__all__ = ["default_period", "report"]


def report(
    uow: UnitOfWork,
    period: Period,
    *,
    setup: ActivitySetup | None = None,
    by_region: bool = False,
    k: int | None = None,
    region_names: Mapping[str, str] | None = None,
    monitored: frozenset[str] | None = None,
) -> Report:
    """The report for ``period`` from the records ``uow`` sees; ``monitored``: the
    household statuses that are monitoring categories (default: the standard three)."""
    setup = setup or ActivitySetup.defaults()
    return build_report(
        uow.read_model,
        period,
        kinds=setup.kinds,
        by_region=by_region,
        calendar=setup.calendar,
        k=k,
        region_names=region_names,
        monitored=monitored,
    )


def default_period(uow: UnitOfWork, today: date | None = None) -> str:
    """The year of the latest activity on record (this year when there is none)."""
    latest = uow.read_model.latest_activity_day()
    return str((latest or today or date.today()).year)
