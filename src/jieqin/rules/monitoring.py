"""The parameters of monitoring against a return to poverty, in force per region and day.

The monitoring line (监测范围: per capita net income, yuan per person per year) is set
each year, and a province may set its own above the national one. It is a dated
parameter like any other, with the document each value comes from, and it is taken
for a household's region: the campaign's value (``jieqin_register_parameters``),
replaced by a region's (``jieqin_register_regional_parameters``, the longest region
prefix the household's code starts with wins). The same holds for the lifecycle's
``warning_check_days`` (days from a warning to its home check) and
``stability_months`` (months of stable income before a risk is eliminated) and for
the warning rules' thresholds::

    from jieqin.rules.monitoring import monitoring_line, warning_check_days

    monitoring_line("610202001001", date(2022, 3, 31))     # Decimal('6600.00')
    warning_check_days("610202001001", date(2022, 3, 31))  # 15

Without ``parameters`` the functions read the standard values shipped with jieqin
(:data:`STANDARD_PARAMETERS`); a campaign's, with its plugins' regional values, are
``campaign.monitoring_parameters()`` (or :meth:`MonitoringParameters.from_registry`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from attrs import field, frozen

from jieqin.errors import InvalidValue
from jieqin.model import yuan
from jieqin.rules.facts import region_prefix
from jieqin.rules.parameters import DatedValue, Parameter, Parameters, ParameterValue

if TYPE_CHECKING:
    from jieqin.plugins.registry import Registry

__all__ = [
    "INCOME_FALL_LIMIT",
    "MEDICAL_BURDEN_LIMIT",
    "MONITORING_LINE",
    "STABILITY_MONTHS",
    "STANDARD_PARAMETERS",
    "WARNING_CHECK_DAYS",
    "MonitoringParameters",
    "monitoring_line",
    "monitoring_value",
    "stability_months",
    "warning_check_days",
]

MONITORING_LINE = "monitoring_line"
WARNING_CHECK_DAYS = "warning_check_days"
STABILITY_MONTHS = "stability_months"
INCOME_FALL_LIMIT = "income_fall_limit"
MEDICAL_BURDEN_LIMIT = "medical_burden_limit"

_CONFIGURED = "jieqin's configured value; check the province's notice for the year"

#: The standard monitoring parameters (every region; a region's plugin overrides them).
STANDARD_PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        MONITORING_LINE,
        (
            DatedValue(
                date(2021, 1, 1),
                yuan("6000"),
                "《关于健全防止返贫动态监测和帮扶机制的指导意见》(2021): monitoring range of "
                f"6,000 yuan per person per year; {_CONFIGURED}",
            ),
            DatedValue(
                date(2022, 1, 1),
                yuan("6600"),
                f"2022 national monitoring range, 6,600 yuan; {_CONFIGURED}",
            ),
            DatedValue(
                date(2023, 1, 1),
                yuan("6900"),
                f"2023 national monitoring range, 6,900 yuan; {_CONFIGURED}",
            ),
        ),
        description="Monitoring line: per capita net income below which a household is warned "
        "about (防止返贫监测范围)",
        unit="yuan",
    ),
    Parameter(
        WARNING_CHECK_DAYS,
        (
            DatedValue(
                date(2021, 1, 1),
                15,
                "home check within 15 days of a warning (防返贫监测 practice); " + _CONFIGURED,
            ),
        ),
        description="Days from a warning being raised to the last day of its home check",
        unit="days",
    ),
    Parameter(
        STABILITY_MONTHS,
        (
            DatedValue(
                date(2021, 1, 1),
                6,
                "income stably above the line for 6 months before a risk is eliminated; "
                + _CONFIGURED,
            ),
        ),
        description="Months of stable income before a monitored household's risk is eliminated",
        unit="months",
    ),
    Parameter(
        INCOME_FALL_LIMIT,
        (DatedValue(date(2021, 1, 1), 30, "income fell by more than 30%; " + _CONFIGURED),),
        description="How far income may fall against the period before (percent) before a warning",
        unit="percent",
    ),
    Parameter(
        MEDICAL_BURDEN_LIMIT,
        (
            DatedValue(
                date(2021, 1, 1),
                50,
                "medical expenditure over 50% of the household's income; " + _CONFIGURED,
            ),
        ),
        description="Medical expenditure, in percent of the household's income, above which "
        "a warning is raised",
        unit="percent",
    ),
)


def _regional(
    values: Iterable[tuple[str, Parameters]],
) -> tuple[tuple[str, Parameters], ...]:
    merged: dict[str, Parameters] = {}
    for prefix, parameters in values:
        cut = region_prefix(prefix, field="region")
        merged[cut] = merged.get(cut, Parameters()) | parameters
    return tuple(sorted(merged.items(), key=lambda item: (len(item[0]), item[0])))


@frozen(eq=False)
class MonitoringParameters:
    """The campaign's parameters and each region's own, taken for a household's region."""

    campaign: Parameters = field(factory=lambda: Parameters.of(*STANDARD_PARAMETERS))
    regional: tuple[tuple[str, Parameters], ...] = field(factory=tuple, converter=_regional)
    """``(region prefix, parameters)``, shortest prefix first."""
    _cache: dict[str, Parameters] = field(factory=dict, init=False, repr=False)

    @classmethod
    def standard(cls) -> MonitoringParameters:
        """The standard values shipped with jieqin, no regional ones."""
        return cls()

    @classmethod
    def from_registry(cls, registry: Registry) -> MonitoringParameters:
        """What the campaign's plugins registered, over the standard values."""
        campaign = Parameters.of(*STANDARD_PARAMETERS) | registry.campaign_parameters()
        regional = [
            (prefix, Parameters.of(parameter))
            for prefix, parameter in (e.value for e in registry.regional_parameters.values())
        ]
        return cls(campaign, regional)

    def for_region(self, region_code: str) -> Parameters:
        """The parameters in force for a household of ``region_code``: the campaign's,
        each replaced by the region's of the longest prefix the code starts with."""
        found = self._cache.get(region_code)
        if found is None:
            found = self.campaign
            for prefix, parameters in self.regional:
                if region_code.startswith(prefix):
                    found = found | parameters
            self._cache[region_code] = found
        return found

    def value(self, name: str, region_code: str, day: date) -> ParameterValue:
        """The value of ``name`` in force for ``region_code`` on ``day``."""
        return self.for_region(region_code).value_on(name, day)

    def cited(self, names: Iterable[str], region_code: str, day: date) -> dict[str, str]:
        """``name -> "value (since ...; source)"`` for ``region_code`` on ``day``."""
        return self.for_region(region_code).cited(names, day)

    def snapshot(
        self, names: Iterable[str], region_code: str, day: date
    ) -> Mapping[str, ParameterValue]:
        return self.for_region(region_code).snapshot(names, day)


def _parameters(parameters: MonitoringParameters | None) -> MonitoringParameters:
    return _STANDARD if parameters is None else parameters


def monitoring_value(
    name: str, region_code: str, day: date, parameters: MonitoringParameters | None = None
) -> ParameterValue:
    """The value of monitoring parameter ``name`` for a household of ``region_code`` on
    ``day`` (``parameters``: the campaign's; default the standard ones)."""
    return _parameters(parameters).value(name, region_code, day)


def monitoring_line(
    region_code: str, day: date, parameters: MonitoringParameters | None = None
) -> Decimal:
    """The monitoring line (yuan per person per year) for ``region_code`` on ``day``."""
    return yuan(monitoring_value(MONITORING_LINE, region_code, day, parameters))


def _whole(name: str, value: ParameterValue) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidValue(
            f"must be a whole number from 1, got {value!r}; correct the parameter a plugin "
            "registers",
            field=name,
        )
    return value


def warning_check_days(
    region_code: str, day: date, parameters: MonitoringParameters | None = None
) -> int:
    """Days from a warning raised on ``day`` to the last day of its home check."""
    value = monitoring_value(WARNING_CHECK_DAYS, region_code, day, parameters)
    return _whole(WARNING_CHECK_DAYS, value)


def stability_months(
    region_code: str, day: date, parameters: MonitoringParameters | None = None
) -> int:
    """Months of stable income before a risk of ``region_code`` is eliminated on ``day``."""
    return _whole(
        STABILITY_MONTHS, monitoring_value(STABILITY_MONTHS, region_code, day, parameters)
    )


_STANDARD = MonitoringParameters()
