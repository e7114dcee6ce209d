"""Raising risk warnings: every rule over every household, stored once, assigned at once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
import pytest

from jieqin.errors import InvalidValue
from jieqin.model import Month, Observation, Quarter, RiskWarning, WarningStatus, Year
from jieqin.rules import Parameter, Parameters
from jieqin.rules.monitoring import (
    MonitoringParameters,
    monitoring_line,
    stability_months,
    warning_check_days,
)
from jieqin.rules.parameters import DatedValue
from jieqin.services.warning_lifecycle import assignee
from jieqin.services.warnings import evaluated_month, explain_household, run_warnings
from jieqin.testing.contract import make_helper, make_household, make_pairing

AS_OF = date(2022, 3, 31)


def _income(household_id: str, month: int, amount: str, n: int) -> Observation:
    return Observation(
        f"in-{household_id}-{n}",
        household_id,
        "income",
        Month(2022 if month > 0 else 2021, month if month > 0 else 12 + month),
        Decimal(amount),
        "survey",
        date(2022, 3, 31),
    )


def _world(uow) -> None:
    """hh001 (paired with h001): 400 a month, below the line. hh002: 900 a month, then
    300 in March (fell by two thirds). hh003: 1,000 a month, above; a medical bill of
    7,000 yuan in February (more than half of 2 * 12,000 a year? no: 29%). hh004: no
    observation at all."""
    uow.helpers.add(make_helper("h001"))
    homes = [make_household(f"hh00{i}", members=2) for i in range(1, 5)]
    uow.households.add_many(homes)
    uow.pairings.add(make_pairing("h001", "hh001"))
    rows = []
    for m in range(-8, 4):
        rows.append(_income("hh001", m, "400", m + 10))
        rows.append(_income("hh002", m, "300" if m == 3 else "900", m + 10))
        rows.append(_income("hh003", m, "1000", m + 10))
    rows.append(
        Observation(
            "md-hh003", "hh003", "medical", Month(2022, 2), Decimal("7000"), "feed",
            date(2022, 3, 1), member_id="hh003-m2", feed="medical_insurance",
            feed_record="r1",
        )
    )  # fmt: skip
    uow.observations.add_many(rows)


def test_the_month_decided_is_the_one_ending_on_or_before_the_day() -> None:
    assert evaluated_month(date(2022, 3, 31)) == Month(2022, 3)
    assert evaluated_month(date(2022, 4, 10)) == Month(2022, 3)
    assert evaluated_month(date(2022, 1, 1)) == Month(2021, 12)


def test_the_monitoring_parameters_are_dated_and_taken_for_the_region() -> None:
    assert monitoring_line("610202001001", date(2021, 6, 1)) == Decimal("6000.00")
    assert monitoring_line("610202001001", date(2022, 6, 1)) == Decimal("6600.00")
    assert warning_check_days("610202001001", date(2022, 6, 1)) == 15
    assert stability_months("610202001001", date(2022, 6, 1)) == 6
    shaanxi = Parameters.of(
        Parameter("monitoring_line", (DatedValue(date(2022, 1, 1), Decimal("7000"), "陕西"),))
    )
    tongchuan = Parameters.of(
        Parameter("warning_check_days", (DatedValue(date(2021, 1, 1), 10, "铜川"),))
    )
    params = MonitoringParameters(regional=[("6102", tongchuan), ("61", shaanxi)])
    assert monitoring_line("610202001001", date(2022, 6, 1), params) == Decimal("7000")
    assert monitoring_line("140202001001", date(2022, 6, 1), params) == Decimal("6600.00")
    assert warning_check_days("610202001001", date(2022, 6, 1), params) == 10
    assert warning_check_days("610302001001", date(2022, 6, 1), params) == 15
    cited = params.cited(["monitoring_line"], "610202001001", date(2022, 6, 1))
    assert cited == {"monitoring_line": "7000 (since 2022-01-01; 陕西)"}
    with pytest.raises(InvalidValue):
        monitoring_line("610202001001", date(2020, 6, 1))


def test_a_run_raises_one_assigned_warning_per_household_a_rule_held_for(campaign) -> None:
    with campaign.unit_of_work("test") as uow:
        _world(uow)
        uow.commit()
    with campaign.unit_of_work("clerk") as uow:
        run = run_warnings(uow, AS_OF)
    assert run.period == Month(2022, 3)
    assert run.households == 4
    assert dict(run.held) == {
        "hh001": ("income_below_line",),
        "hh002": ("income_fell",),
    }
    with campaign.unit_of_work("test", read_only=True) as uow:
        stored = {w.household_id: w for w in uow.warnings.list()}
        entries = uow.audit.entries(entity="warnings")
    assert set(stored) == {"hh001", "hh002"}
    first = stored["hh001"]
    assert first.status is WarningStatus.ASSIGNED
    assert first.assigned_to == "h001"
    assert first.assigned_on == AS_OF == first.raised_on
    assert first.check_due == date(2022, 4, 15)
    assert first.period == Month(2022, 3)
    assert stored["hh002"].assigned_to == "township:610202001"
    with campaign.unit_of_work("test", read_only=True) as uow:
        # A run assigns in bulk by the lifecycle's one rule.
        assert {h: assignee(uow, h, AS_OF) for h in stored} == {
            h: w.assigned_to for h, w in stored.items()
        }
    assert [(e.actor, e.entity) for e in entries] == [("clerk", "warnings")]
    assert entries[0].action == "add_many"
    assert sorted(entries[0].changes["ids"]) == sorted(w.warning_id for w in stored.values())


def test_a_second_run_adds_nothing_and_an_open_warning_gets_no_duplicate(campaign) -> None:
    with campaign.unit_of_work("test") as uow:
        _world(uow)
        uow.commit()
    with campaign.unit_of_work("clerk") as uow:
        run_warnings(uow, AS_OF)
    with campaign.unit_of_work("clerk") as uow:
        again = run_warnings(uow, AS_OF)
    assert again.raised == ()
    assert again.already_open == 2
    # a month later, the same households are still open: none raised for them
    with campaign.unit_of_work("clerk") as uow:
        later = run_warnings(uow, date(2022, 4, 30))
    assert {w.household_id for w in later.raised} <= {"hh003", "hh004"}
    with campaign.unit_of_work("test", read_only=True) as uow:
        assert uow.warnings.count() == 2


def test_a_household_warned_for_the_month_and_dismissed_is_not_warned_again(campaign) -> None:
    with campaign.unit_of_work("test") as uow:
        _world(uow)
        uow.commit()
    with campaign.unit_of_work("clerk") as uow:
        run_warnings(uow, AS_OF)
    with campaign.unit_of_work("clerk") as uow:
        warning = next(w for w in uow.warnings.list() if w.household_id == "hh002")
        checked = attrs.evolve(
            warning,
            status=WarningStatus.CHECKED,
            checked_by="h001",
            checked_on=date(2022, 4, 2),
        )
        uow.warnings.update(checked)
        uow.warnings.update(
            attrs.evolve(
                checked,
                status=WarningStatus.DISMISSED,
                decided_by="clerk",
                decided_on=date(2022, 4, 2),
                reason="季节性收入",
            )
        )
        uow.commit()
    with campaign.unit_of_work("clerk") as uow:
        again = run_warnings(uow, AS_OF)
    assert again.raised == ()
    assert again.already_warned == 1


def test_a_dry_run_decides_the_same_and_stores_nothing(campaign) -> None:
    with campaign.unit_of_work("test") as uow:
        _world(uow)
        uow.commit()
    with campaign.unit_of_work("clerk", read_only=True) as uow:
        dry = run_warnings(uow, AS_OF, dry_run=True)
    assert len(dry.raised) == 2
    with campaign.unit_of_work("test", read_only=True) as uow:
        assert uow.warnings.count() == 0
        assert uow.audit.count(entity="warnings") == 0


def test_a_failing_write_stores_no_warning(campaign) -> None:
    with campaign.unit_of_work("test") as uow:
        _world(uow)
        uow.commit()
    with campaign.unit_of_work("clerk") as uow:
        # an open warning of another household stands in the way of nothing, but a
        # stored warning id of a different household makes the write fail
        uow.warnings.add(
            RiskWarning(
                "rw:placeholder",
                "hh004",
                ("income_below_line",),
                Year(2021),
                date(2022, 1, 5),
                date(2022, 1, 20),
            )
        )
        uow.commit()

    class Boom(RuntimeError):
        pass

    with campaign.unit_of_work("clerk") as uow:
        original = uow.warnings.add_many

        def failing(items):
            original(items)
            raise Boom

        uow.warnings.add_many = failing
        with pytest.raises(Boom):
            run_warnings(uow, AS_OF)
    with campaign.unit_of_work("test", read_only=True) as uow:
        assert {w.warning_id for w in uow.warnings.list()} == {"rw:placeholder"}


def test_the_regional_line_decides_the_households_of_its_region(campaign) -> None:
    with campaign.unit_of_work("test") as uow:
        _world(uow)
        uow.commit()
    # Shaanxi's line of 13,000 a year puts hh003 (12,000 a year) under it too
    shaanxi = Parameters.of(
        Parameter("monitoring_line", (DatedValue(date(2021, 1, 1), Decimal("13000"), "陕西"),))
    )
    params = MonitoringParameters(regional=[("61", shaanxi)])
    with campaign.unit_of_work("clerk", read_only=True) as uow:
        run = run_warnings(uow, AS_OF, parameters=params, dry_run=True)
    assert run.held["hh003"] == ("income_below_line",)


def test_a_single_household_is_explained_with_the_line_and_its_source(campaign) -> None:
    with campaign.unit_of_work("test") as uow:
        _world(uow)
        uow.commit()
    with campaign.unit_of_work("clerk", read_only=True) as uow:
        explained = explain_household(uow, "hh001", AS_OF)
        masked = explain_household(uow, "hh003", AS_OF)
    below = explained[0]
    assert below.eligible
    assert below.inputs["income_per_capita"] == "4800.0"
    assert "6600.00 (since 2022-01-01" in below.parameters["monitoring_line"]
    medical = next(e for e in masked if "medical_burden" in e.sort_key)
    assert medical.shown_eligible() is None
    assert medical.inputs["medical_share_percent"] == "<masked>"


def test_quarter_and_year_observations_count_when_inside_the_window(campaign) -> None:
    with campaign.unit_of_work("test") as uow:
        uow.households.add_many([make_household("hh001", members=1)])
        uow.observations.add_many(
            [
                Observation(
                    "q1", "hh001", "income", Quarter(2021, 2), Decimal("900"), "survey",
                    date(2022, 1, 5),
                ),
                Observation(
                    "y1", "hh001", "income", Year(2021), Decimal("99999"), "survey",
                    date(2022, 1, 5),
                ),
            ]
        )  # fmt: skip
        uow.commit()
    with campaign.unit_of_work("clerk", read_only=True) as uow:
        run = run_warnings(uow, date(2022, 3, 31), dry_run=True)
    # April 2021 - March 2022: the quarter counts (3,600 a year), the year does not
    assert run.held == {"hh001": ("income_below_line",)}


def test_the_database_sums_decide_as_the_records_do(sql_campaign) -> None:
    """On SQL the database sums the windows; the sums decide every rule as the
    observations read as records do (months, quarters and years, in and out of the
    window, across several evaluated months)."""
    import random

    from jieqin.rules import Context
    from jieqin.rules.warnings import STANDARD_WARNING_RULES, evaluate
    from jieqin.services import warnings as service
    from jieqin.storage.sql import monitoring_sums

    rng = random.Random(20220331)
    with sql_campaign.unit_of_work("test") as uow:
        homes = uow.households.list()
        rows = []
        for n in range(400):
            home = rng.choice(homes)
            shape = rng.choice(["month", "month", "month", "quarter", "year"])
            year = rng.choice([2020, 2021, 2022])
            period = (
                Month(year, rng.randint(1, 12))
                if shape == "month"
                else Quarter(year, rng.randint(1, 4))
                if shape == "quarter"
                else Year(year)
            )
            kind = rng.choice(["income", "income", "income", "medical"])
            amount = Decimal(rng.randint(0, 300000)) / 100
            rows.append(
                Observation(f"ob{n}", home.household_id, kind, period, amount, "survey", period.end)
            )
        uow.observations.add_many(rows)
        uow.commit()
    assert len(homes) > 3
    for month in (Month(2021, 6), Month(2021, 12), Month(2022, 3), Month(2022, 12)):
        with sql_campaign.unit_of_work("test", read_only=True) as uow:
            context = Context(month, month.end)
            summed = monitoring_sums.read(uow, context)
            assert summed is not None
            population, table = summed
            records_population, records = service._records(uow, uow.households.list())
        by_sums = evaluate(
            STANDARD_WARNING_RULES, population, attrs.evolve(context, observations=table)
        )
        by_records = evaluate(
            STANDARD_WARNING_RULES,
            records_population,
            attrs.evolve(context, observations=records),
        )
        assert population.household_ids == records_population.household_ids
        for code in by_sums:
            assert by_sums[code].tolist() == by_records[code].tolist(), (month, code)
        assert any(mask.any() for mask in by_sums.values())


def test_a_regional_plugin_line_wins_for_its_region_the_longest_prefix_first() -> None:
    import jieqin
    from jieqin.plugins import hookimpl

    class Tongchuan:
        __name__ = "tongchuan-line"

        @hookimpl
        def jieqin_register_regional_parameters(self, register) -> None:
            register(
                "610200",
                Parameter(
                    "monitoring_line", (DatedValue(date(2021, 1, 1), Decimal("8000"), "铜川"),)
                ),
            )

    day = date(2022, 5, 1)
    with jieqin.connect("memory://", plugins=[Tongchuan()]) as campaign:
        params = campaign.monitoring_parameters()
        registered = campaign.registry.registered_by("tongchuan-line").regional_parameters
    assert registered == ("6102:monitoring_line",)
    assert monitoring_line("610202001001", day, params) == Decimal("8000")
    # Xi'an: Shaanxi's line (the Tongchuan plugin's, the national value as configured)
    xian = params.cited(["monitoring_line"], "610102001001", day)["monitoring_line"]
    assert xian.startswith("6600.00")
    assert "陕西省" in xian
    beijing = params.cited(["monitoring_line"], "110101001001", day)["monitoring_line"]
    assert beijing.startswith("6600.00")
    assert "陕西省" not in beijing
    assert warning_check_days("610202001001", day, params) == 15


def test_the_command_runs_and_a_dry_run_stores_nothing(tmp_path) -> None:
    from click.testing import CliRunner

    import jieqin
    from jieqin.cli import cli

    path = tmp_path / "campaign.db"
    with jieqin.connect(f"sqlite:///{path}") as campaign, campaign.unit_of_work("test") as uow:
        _world(uow)
        uow.commit()
    runner = CliRunner(env={"COLUMNS": "240"})
    dry = runner.invoke(
        cli, ["warnings", "run", "--as-of", "2022-03-31", "--dry-run", "--json", "--db", str(path)]
    )
    assert dry.exit_code == 0, dry.output
    assert '"raised": 2' in dry.stdout
    assert '"dry_run": true' in dry.stdout
    done = runner.invoke(cli, ["warnings", "run", "--as-of", "2022-03-31", "--db", str(path)])
    assert done.exit_code == 0, done.output
    assert "2 warnings raised and assigned" in done.stdout
    assert "hh001" not in done.stdout
    with (
        jieqin.connect(f"sqlite:///{path}") as campaign,
        campaign.unit_of_work("test", read_only=True) as uow,
    ):
        assert uow.warnings.count() == 2
    later = runner.invoke(cli, ["--lang", "zh", "warnings", "run", "--as-of", "2099-01-31",
                                "--db", str(path)])  # fmt: skip
    assert later.exit_code == 1


def test_a_member_event_is_new_from_the_previous_evaluation_on() -> None:
    from jieqin.rules import Context, Population
    from jieqin.rules.observations import ObservationTable
    from jieqin.rules.warnings import STANDARD_WARNING_RULES, evaluate, explain

    home = make_household("hh001", members=2)
    population = Population.from_households([home], heads_only=True)
    # a dropout in February 2022, a disability in December 2021
    table = ObservationTable.from_arrays(
        household_ids=population.household_ids,
        household=[0, 0],
        kinds=("school_dropout", "disability"),
        kind=[0, 1],
        first_month=[2022 * 12 + 1, 2021 * 12 + 11],
        months=[1, 1],
        end_day=[date(2022, 2, 28).toordinal(), date(2021, 12, 31).toordinal()],
        amount_fen=[0, 0],
        member_ids=("hh001-m2",),
        member=[0, 0],
    )

    def held(since: date | None, month: Month) -> set[str]:
        context = Context(month, observations=table, since=since)
        masks = evaluate(STANDARD_WARNING_RULES, population, context)
        one = {e.sort_key[0] for e in explain(STANDARD_WARNING_RULES, home, context) if e.eligible}
        assert one == {code for code, mask in masks.items() if mask[0]}
        return one

    assert held(None, Month(2022, 2)) == {"school_dropout"}
    assert held(date(2021, 12, 1), Month(2022, 2)) == {
        "school_dropout",
        "new_major_illness_or_disability",
    }
    assert held(date(2022, 3, 1), Month(2022, 3)) == set()
    assert held(None, Month(2022, 1)) == set()  # not yet happened in January


def test_sealed_medical_amounts_are_read_as_records_and_decide_the_same(sqlite_url) -> None:
    """With encryption at rest a medical amount is kept sealed: the database cannot sum
    it, so the run reads the observations as records, unsealed, and decides the same."""
    import jieqin
    from jieqin.plugins.hookspecs import hookimpl
    from jieqin.storage.sql.encryption import StaticKeys

    class Keys:
        __name__ = "keys"

        @hookimpl
        def jieqin_key_provider(self) -> StaticKeys:
            return StaticKeys({"k1": bytes(range(32))}, "k1", b"blind-index-key-of-the-campaign!")

    with jieqin.connect(sqlite_url, plugins=[Keys()]) as campaign:
        with campaign.unit_of_work("test") as uow:
            _world(uow)
            uow.observations.add(
                Observation(
                    "md-hh001", "hh001", "medical", Month(2022, 1), Decimal("9000"), "survey",
                    date(2022, 2, 1), member_id="hh001-m2",
                )
            )  # fmt: skip
            uow.commit()
        with campaign.unit_of_work("clerk", read_only=True) as uow:
            run = run_warnings(uow, AS_OF, dry_run=True)
    assert not run.summed_by_database
    assert run.held["hh001"] == ("income_below_line", "medical_burden")
