"""Observations as numpy columns, and the household facts read from them.

A warning rule reads what was observed about a household (its income, its medical
expenditure, a member's new illness) through ordinary facts. Like every fact, each
has a reader for one :class:`~jieqin.rules.facts.Subject` and one for a whole
:class:`~jieqin.rules.facts.Population`, and both read the one
:class:`ObservationTable` the :class:`~jieqin.rules.facts.Context` carries: the
single reader takes its household's rows, the population reader all rows at once.
Both do the same integer arithmetic in fen, so they cannot disagree.

Periods are counted in months (``year * 12 + month - 1``): a year's observation
covers 12 months, a quarter's 3, a month's 1. The evaluated period is the context's
period; its *window* is the twelve months ending with the evaluated period's last
month. An observation counts for a window when its whole period lies inside it.

- ``income_per_capita``: per capita net income at a yearly rate over the window:
  the income amounts observed there summed, divided by the months they cover, times
  12 (rounded down to the fen); ``nan`` when no income was observed there.
- ``income_fall_percent``: how far the income rate of the evaluated period fell
  against the period before it of the same length, in percent of the earlier rate
  (to the hundredth, rounded down; negative when it rose; ``nan`` when either was not
  observed, or the earlier rate was 0).
- ``medical_share_percent``: medical expenditure observed in the window (summed, not
  annualised) in percent of the household's income over the window (the per capita
  rate times the current members); ``inf`` for expenditure on no income.
- ``new_major_illness_or_disability`` and ``school_dropout``: an event observed for
  a member, whose period ends on or after the context's ``since`` day (the previous
  evaluation; default the evaluated period's first day) and starts no later than
  the evaluated period's end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from attrs import field, frozen

from jieqin.errors import InvalidValue
from jieqin.model import Month, Observation, Period, Quarter, Year

if TYPE_CHECKING:
    from jieqin.rules.facts import Context, Fact, Population, Subject

__all__ = [
    "EVENT_KINDS",
    "INCOME",
    "MEDICAL",
    "ObservationTable",
    "monitoring_facts",
    "month_index",
    "needed",
    "period_months",
]

Array = npt.NDArray[Any]

INCOME = "income"
MEDICAL = "medical"
MAJOR_ILLNESS = "major_illness"
DISABILITY = "disability"
SCHOOL_DROPOUT = "school_dropout"

#: The observation kinds that are dated events about a member (amount not read).
EVENT_KINDS = frozenset({MAJOR_ILLNESS, DISABILITY, SCHOOL_DROPOUT})

#: Months in the window the income and medical facts read.
WINDOW_MONTHS = 12


def month_index(day: date) -> int:
    """The month ``day`` falls in, counted from year 0: ``year * 12 + month - 1``."""
    return day.year * 12 + day.month - 1


def period_months(period: Period) -> tuple[int, int]:
    """``(first month index, months covered)`` of a year, quarter or month."""
    if isinstance(period, Year):
        return period.year * 12, 12
    if isinstance(period, Quarter):
        return period.year * 12 + 3 * (period.quarter - 1), 3
    if isinstance(period, Month):
        return period.year * 12 + period.month - 1, 1
    raise InvalidValue(f"not a period: {period!r}", field="period")


def _fen(amount: Any) -> int:
    return int(amount * 100)


@frozen(eq=False)
class ObservationTable:
    """Observations of some households as columns, sorted by household.

    ``household`` indexes ``household_ids``; ``member`` indexes ``member_ids`` (-1: the
    household as a whole); ``kind`` indexes ``kinds``. ``starts[h]:starts[h + 1]`` are
    household ``h``'s rows. Build it with :meth:`from_observations` or, for bulk reads,
    :meth:`from_arrays`; give the population's ``household_ids`` (the same tuple) so
    the population reader needs no lookup.
    """

    household_ids: tuple[str, ...]
    household: Array
    kinds: tuple[str, ...]
    kind: Array
    first_month: Array
    months: Array
    end_day: Array
    """Ordinal of the period's last day."""
    amount_fen: Array
    member_ids: tuple[str, ...]
    member: Array
    starts: Array
    household_index: Mapping[str, int] = field(repr=False)
    summed: bool = False
    """Built from sums a database computed (:meth:`from_sums`): no rows, so no single
    household can be explained from it."""
    _memo: dict[Any, Any] = field(factory=dict, repr=False, init=False)

    def __len__(self) -> int:
        return len(self.household)

    @classmethod
    def empty(cls, household_ids: Sequence[str] = ()) -> ObservationTable:
        return cls.from_arrays(
            household_ids=household_ids,
            household=[],
            kinds=(),
            kind=[],
            first_month=[],
            months=[],
            end_day=[],
            amount_fen=[],
        )

    @classmethod
    def from_observations(
        cls, observations: Iterable[Observation], household_ids: Sequence[str]
    ) -> ObservationTable:
        """The observations of ``household_ids`` (others are left out)."""
        ids = tuple(household_ids)
        index = {h: i for i, h in enumerate(ids)}
        rows = [o for o in observations if o.household_id in index]
        kinds = tuple(sorted({str(o.kind) for o in rows}))
        members = tuple(sorted({o.member_id for o in rows if o.member_id is not None}))
        kind_code = {k: i for i, k in enumerate(kinds)}
        member_code = {m: i for i, m in enumerate(members)}
        spans = [period_months(o.period) for o in rows]
        return cls.from_arrays(
            household_ids=ids,
            household=[index[o.household_id] for o in rows],
            kinds=kinds,
            kind=[kind_code[str(o.kind)] for o in rows],
            first_month=[s[0] for s in spans],
            months=[s[1] for s in spans],
            end_day=[o.period.end.toordinal() for o in rows],
            amount_fen=[_fen(o.amount) for o in rows],
            member_ids=members,
            member=[-1 if o.member_id is None else member_code[o.member_id] for o in rows],
            household_index=index,
        )

    @classmethod
    def from_arrays(
        cls,
        *,
        household_ids: Sequence[str],
        household: npt.ArrayLike,
        kinds: Sequence[str],
        kind: npt.ArrayLike,
        first_month: npt.ArrayLike,
        months: npt.ArrayLike,
        end_day: npt.ArrayLike,
        amount_fen: npt.ArrayLike,
        member_ids: Sequence[str] = (),
        member: npt.ArrayLike | None = None,
        household_index: Mapping[str, int] | None = None,
    ) -> ObservationTable:
        """Build from ready columns (rows in any order; sorted by household here)."""
        columns: dict[str, Array] = {
            "household": np.asarray(household, dtype=np.int32),
            "kind": np.asarray(kind, dtype=np.int8),
            "first_month": np.asarray(first_month, dtype=np.int32),
            "months": np.asarray(months, dtype=np.int32),
            "end_day": np.asarray(end_day, dtype=np.int32),
            "amount_fen": np.asarray(amount_fen, dtype=np.int64),
        }
        n = len(columns["household"])
        columns["member"] = (
            np.full(n, -1, dtype=np.int32) if member is None else np.asarray(member, np.int32)
        )
        for name, column in columns.items():
            if column.shape != (n,):
                raise InvalidValue(f"expected {n} values, got shape {column.shape}", field=name)
        ids = tuple(household_ids)
        if n and (columns["household"].min() < 0 or columns["household"].max() >= len(ids)):
            raise InvalidValue("a row names no household of household_ids", field="household")
        if n > 1 and bool(np.any(np.diff(columns["household"]) < 0)):
            order = np.argsort(columns["household"], kind="stable")
            columns = {name: column[order] for name, column in columns.items()}
        starts = np.searchsorted(columns["household"], np.arange(len(ids) + 1))
        return cls(
            household_ids=ids,
            kinds=tuple(kinds),
            member_ids=tuple(member_ids),
            starts=starts,
            household_index=(
                household_index
                if household_index is not None
                else {h: i for i, h in enumerate(ids)}
            ),
            household=columns["household"],
            kind=columns["kind"],
            first_month=columns["first_month"],
            months=columns["months"],
            end_day=columns["end_day"],
            amount_fen=columns["amount_fen"],
            member=columns["member"],
        )

    @classmethod
    def from_sums(
        cls,
        household_ids: Sequence[str],
        windows: Mapping[tuple[str, int, int], tuple[npt.ArrayLike, npt.ArrayLike]],
        events: Mapping[tuple[frozenset[str], int, int], npt.ArrayLike],
    ) -> ObservationTable:
        """A table of the per-household sums the facts read, computed elsewhere (by the
        database, :mod:`jieqin.storage.sql.monitoring`): ``windows[(kind, lo, hi)]`` is
        ``(fen, months covered)`` of the ``kind`` observations wholly in months
        ``lo..hi``, ``events[(kinds, since, hi)]`` whether one of ``kinds`` ends on day
        ``since`` or later and starts by month ``hi`` (see :func:`needed`)."""
        table = cls.empty(household_ids)
        table = cls(
            household_ids=table.household_ids,
            household=table.household,
            kinds=(),
            kind=table.kind,
            first_month=table.first_month,
            months=table.months,
            end_day=table.end_day,
            amount_fen=table.amount_fen,
            member_ids=(),
            member=table.member,
            starts=table.starts,
            household_index=table.household_index,
            summed=True,
        )
        for (kind, lo, hi), (total, covered) in windows.items():
            table._memo[("window", kind, lo, hi)] = (
                np.asarray(total, dtype=np.int64),
                np.asarray(covered, dtype=np.int64),
            )
        for (kinds, since, hi), hit in events.items():
            table._memo[("event", frozenset(kinds), since, hi)] = np.asarray(hit, dtype=bool)
        return table

    def _rows(self) -> None:
        if self.summed:
            raise InvalidValue(
                "these observations were summed by the database; explain one household "
                "from its stored observations",
                field="observations",
            )

    def kind_code(self, kind: str) -> int:
        """The code of ``kind`` in this table (-2: none observed, matches nothing)."""
        return self.kinds.index(kind) if kind in self.kinds else -2

    # -- one household ------------------------------------------------------------

    def rows_of(self, household_id: str) -> range:
        """The row numbers of one household's observations."""
        self._rows()
        h = self.household_index.get(household_id)
        if h is None:
            return range(0)
        return range(int(self.starts[h]), int(self.starts[h + 1]))

    def window_one(self, household_id: str, kind: str, lo: int, hi: int) -> tuple[int, int]:
        """``(amount in fen, months covered)`` of one household's ``kind`` observations
        whose whole period lies in months ``lo..hi``."""
        code = self.kind_code(kind)
        total = covered = 0
        for r in self.rows_of(household_id):
            first = int(self.first_month[r])
            span = int(self.months[r])
            if int(self.kind[r]) == code and first >= lo and first + span - 1 <= hi:
                total += int(self.amount_fen[r])
                covered += span
        return total, covered

    def event_one(
        self, household_id: str, member_id: str | None, kinds: Iterable[str], since: int, hi: int
    ) -> bool:
        """Whether one of ``kinds`` was observed for ``member_id`` (any member: ``None``),
        its period ending on day ``since`` (an ordinal) or later and starting by month
        ``hi``."""
        codes = {self.kind_code(k) for k in kinds}
        for r in self.rows_of(household_id):
            if int(self.kind[r]) not in codes:
                continue
            m = int(self.member[r])
            if member_id is not None and (m < 0 or self.member_ids[m] != member_id):
                continue
            if int(self.end_day[r]) >= since and int(self.first_month[r]) <= hi:
                return True
        return False

    # -- all households -------------------------------------------------------------

    def window_many(self, kind: str, lo: int, hi: int) -> tuple[Array, Array]:
        """Per household (in ``household_ids`` order): ``(fen, months covered)``, int64."""
        key = ("window", kind, lo, hi)
        if key not in self._memo:
            self._rows()
            n = len(self.household_ids)
            code = self.kind_code(kind)
            first = self.first_month
            mask = (self.kind == code) & (first >= lo) & (first + self.months - 1 <= hi)
            rows = self.household[mask]
            total = np.bincount(rows, weights=self.amount_fen[mask], minlength=n)
            covered = np.bincount(rows, weights=self.months[mask], minlength=n)
            self._memo[key] = (total.astype(np.int64), covered.astype(np.int64))
        result: tuple[Array, Array] = self._memo[key]
        return result

    def event_many(self, kinds: Iterable[str], since: int, hi: int) -> Array:
        """Per household: whether one of ``kinds`` was observed, ending on ``since`` or
        later and starting by month ``hi`` (see :meth:`event_one`)."""
        key = ("event", frozenset(kinds), since, hi)
        if key not in self._memo:
            self._rows()
            codes = sorted({self.kind_code(k) for k in kinds})
            hit = np.isin(self.kind, codes) & (self.end_day >= since) & (self.first_month <= hi)
            counts = np.bincount(self.household[hit], minlength=len(self.household_ids))
            self._memo[key] = counts > 0
        result: Array = self._memo[key]
        return result

    def aligned(self, population: Population) -> Array:
        """For each household of ``population``, its row in this table (-1: none)."""
        ids = population.household_ids
        if ids is self.household_ids or ids == self.household_ids:
            return np.arange(len(ids))
        key = ("aligned", id(population))
        if key not in self._memo:
            index = self.household_index
            self._memo[key] = np.asarray([index.get(h, -1) for h in ids], dtype=np.int64)
        result: Array = self._memo[key]
        return result


# --- the arithmetic, once for one household and once for arrays --------------------------


def _window(context: Context) -> tuple[int, int, int, int]:
    """``(window first, window last, period first, period length)`` in months."""
    first, length = period_months(context.period)
    last = first + length - 1
    return last - WINDOW_MONTHS + 1, last, first, length


def _table(context: Context) -> ObservationTable:
    table = context.observations
    return ObservationTable.empty() if table is None else table


def _rate(total: int, covered: int) -> int | None:
    """Yearly rate in fen, rounded down; ``None`` when nothing was covered."""
    return None if covered == 0 else total * 12 // covered


def _rates_many(total: Array, covered: Array) -> tuple[Array, Array]:
    """``(yearly rate in fen, observed)``; rate 0 where nothing was covered."""
    observed = covered > 0
    rate = np.where(observed, (total * 12) // np.maximum(covered, 1), 0)
    return rate, observed


def _income_rate_one(s: Subject) -> int | None:
    lo, hi, _, _ = _window(s.context)
    return _rate(*_table(s.context).window_one(s.household.household_id, INCOME, lo, hi))


def _household_rows(p: Population, c: Context) -> tuple[ObservationTable, Array, Array]:
    """The table, each member's household row in it, and where that row exists."""
    table = _table(c)
    rows = table.aligned(p)[p.member_household]
    return table, np.maximum(rows, 0), rows >= 0


def _income_rate_many(p: Population, c: Context) -> tuple[Array, Array]:
    lo, hi, _, _ = _window(c)
    table, rows, known = _household_rows(p, c)
    if not len(table.household_ids):
        return np.zeros(len(p), dtype=np.int64), np.zeros(len(p), dtype=bool)
    rate, observed = _rates_many(*table.window_many(INCOME, lo, hi))
    return rate[rows], observed[rows] & known


def _income_observed_one(s: Subject) -> bool:
    return _income_rate_one(s) is not None


def _income_observed_many(p: Population, c: Context) -> Array:
    return _income_rate_many(p, c)[1]


def _income_one(s: Subject) -> float:
    rate = _income_rate_one(s)
    return float("nan") if rate is None else rate / 100


def _income_many(p: Population, c: Context) -> Array:
    rate, observed = _income_rate_many(p, c)
    return np.where(observed, rate / 100, np.nan)


def _fall_one(s: Subject) -> float:
    _, _, first, length = _window(s.context)
    table = _table(s.context)
    household = s.household.household_id
    now = _rate(*table.window_one(household, INCOME, first, first + length - 1))
    before = _rate(*table.window_one(household, INCOME, first - length, first - 1))
    if now is None or before is None or before == 0:
        return float("nan")
    return (before - now) * 10000 // before / 100


def _fall_many(p: Population, c: Context) -> Array:
    _, _, first, length = _window(c)
    table, rows, known = _household_rows(p, c)
    if not len(table.household_ids):
        return np.full(len(p), np.nan)
    now, now_seen = _rates_many(*table.window_many(INCOME, first, first + length - 1))
    before, before_seen = _rates_many(*table.window_many(INCOME, first - length, first - 1))
    valid = now_seen & before_seen & (before > 0)
    fall = ((before - now) * 10000) // np.maximum(before, 1)
    return np.where(valid[rows] & known, fall[rows] / 100, np.nan)


def _medical_one(s: Subject) -> float:
    lo, hi, _, _ = _window(s.context)
    rate = _income_rate_one(s)
    if rate is None:
        return float("nan")
    spent, _ = _table(s.context).window_one(s.household.household_id, MEDICAL, lo, hi)
    income = rate * len(s.household.members)
    if income == 0:
        return float("inf") if spent > 0 else 0.0
    return spent * 10000 // income / 100


def _medical_many(p: Population, c: Context) -> Array:
    lo, hi, _, _ = _window(c)
    rate, observed = _income_rate_many(p, c)
    table, rows, _ = _household_rows(p, c)
    if not len(table.household_ids):
        return np.full(len(p), np.nan)
    spent = table.window_many(MEDICAL, lo, hi)[0][rows]
    income = rate * p.household_size
    share = (spent * 10000) // np.maximum(income, 1) / 100
    zero = np.where(spent > 0, np.inf, 0.0)
    return np.where(observed, np.where(income == 0, zero, share), np.nan)


def _since(c: Context) -> int:
    day = c.since if c.since is not None else c.period.start
    return day.toordinal()


def _event_one(kinds: frozenset[str]) -> Any:
    def one(s: Subject) -> bool:
        _, hi, _, _ = _window(s.context)
        return _table(s.context).event_one(
            s.household.household_id, None, kinds, _since(s.context), hi
        )

    return one


def _event_many(kinds: frozenset[str]) -> Any:
    def many(p: Population, c: Context) -> Array:
        _, hi, _, _ = _window(c)
        table, rows, known = _household_rows(p, c)
        if not len(table.household_ids):
            return np.zeros(len(p), dtype=bool)
        return table.event_many(kinds, _since(c), hi)[rows] & known

    return many


ILLNESS_EVENTS = frozenset({MAJOR_ILLNESS, DISABILITY})
DROPOUT_EVENTS = frozenset({SCHOOL_DROPOUT})


def needed(
    context: Context,
) -> tuple[list[tuple[str, int, int]], list[tuple[frozenset[str], int, int]]]:
    """The sums the monitoring facts read in ``context``: ``(kind, lo, hi)`` windows and
    ``(kinds, since, hi)`` events (what :meth:`ObservationTable.from_sums` is given)."""
    lo, hi, first, length = _window(context)
    windows = [
        (INCOME, lo, hi),
        (INCOME, first, first + length - 1),
        (INCOME, first - length, first - 1),
        (MEDICAL, lo, hi),
    ]
    since = _since(context)
    return windows, [(ILLNESS_EVENTS, since, hi), (DROPOUT_EVENTS, since, hi)]


def monitoring_facts() -> list[Fact]:
    """The household facts read from observations (part of :data:`jieqin.rules.FACTS`)."""
    from jieqin.rules.facts import Fact, FactKind

    number = FactKind.NUMBER
    flag = FactKind.FLAG
    illness = ILLNESS_EVENTS
    dropout = DROPOUT_EVENTS
    return [
        Fact(
            "income_observed",
            flag,
            "income was observed for the household in the twelve months ending with the "
            "evaluated period",
            _income_observed_one,
            _income_observed_many,
        ),
        Fact(
            "income_per_capita",
            number,
            "per capita net income at a yearly rate (yuan per person per year) over the "
            "twelve months ending with the evaluated period; nan when none was observed",
            _income_one,
            _income_many,
        ),
        Fact(
            "income_fall_percent",
            number,
            "how far the income rate of the evaluated period fell against the period "
            "before it, in percent (negative: it rose; nan: not observed in both)",
            _fall_one,
            _fall_many,
        ),
        Fact(
            "medical_share_percent",
            number,
            "medical expenditure over the twelve months ending with the evaluated period, "
            "in percent of the household's income over them",
            _medical_one,
            _medical_many,
            sensitive=True,
        ),
        Fact(
            "new_major_illness_or_disability",
            flag,
            "a member was observed with a new major illness or disability since the "
            "previous evaluation",
            _event_one(illness),
            _event_many(illness),
            sensitive=True,
        ),
        Fact(
            "school_dropout",
            flag,
            "a member was observed dropping out of school since the previous evaluation",
            _event_one(dropout),
            _event_many(dropout),
        ),
    ]
