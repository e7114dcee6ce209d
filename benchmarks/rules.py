"""Benchmark: a five-condition programme with dated parameters over 1,000,000 members.

Runs, on the same synthetic population:

1. jieqin's population evaluation (``AidProgram.eligible``, numpy over columns);
2. a per-member Python loop over the same rule (``Condition.holds`` on each member's
   facts, read from the same columns beforehand so the loop is timed on the rule alone);
3. a hand-written numpy expression of the same rule (the floor).

Prints the times and ratios and checks all three agree. Run::

    python benchmarks/rules.py [--members 1000000] [--json]

``--json`` prints the figures as one JSON line: ``members``, ``eligible``,
``jieqin_s``, ``loop_s``, ``floor_s``, ``loop_ratio`` and ``floor_ratio``.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from datetime import date

import numpy as np

from jieqin.model import Program, Year
from jieqin.rules import (
    CATEGORIES,
    AidProgram,
    Context,
    Parameters,
    Population,
    age_between,
    all_of,
    any_of,
    check,
    fact,
    household_paired,
    major_illness,
    not_,
    param,
)
from jieqin.rules.expressions import SubjectFacts

PARAMETERS = Parameters.from_mapping(
    {
        "min_age": {
            "values": [
                {"since": "2015-01-01", "value": 16, "source": "bench"},
                {"since": "2021-07-01", "value": 18, "source": "bench"},
            ]
        },
        "max_age": {"values": [{"since": "2015-01-01", "value": 65, "source": "bench"}]},
        "max_household_size": {"values": [{"since": "2015-01-01", "value": 6}]},
    }
)

PROGRAM = AidProgram(
    Program("bench", "基准", "基准", "cash_grant"),
    all_of(
        "eligible",
        age_between("min_age", "max_age"),
        any_of("in_need", major_illness(), check("disabled", fact("disability_grade") > 0)),
        household_paired(),
        not_("not_migrant", check("migrant", fact("employment") == "migrant_worker")),
        check("small_household", fact("household_size") <= param("max_household_size")),
    ),
    parameters=PARAMETERS,
)


def population(n: int, seed: int = 7) -> tuple[Population, Context]:
    rng = np.random.default_rng(seed)
    households = n // 4
    member_household = np.sort(rng.integers(0, households, n))
    sizes = np.bincount(member_household, minlength=households)
    history_start = np.arange(households)
    pop = Population.from_arrays(
        member_ids=[f"m{i}" for i in range(n)],
        household_ids=[f"h{i}" for i in range(households)],
        member_household=member_household,
        birth_year=rng.integers(1930, 2020, n),
        birth_mmdd=rng.integers(1, 13, n) * 100 + rng.integers(1, 29, n),
        sex=rng.integers(0, 2, n),
        relation=rng.integers(0, len(CATEGORIES["relation"]), n),
        health=rng.choice(3, n, p=[0.8, 0.15, 0.05]),
        disability_grade=rng.choice(5, n, p=[0.9, 0.025, 0.025, 0.025, 0.025]),
        school_level=np.zeros(n, dtype=np.int8),
        year_of_entry=np.zeros(n, dtype=np.int32),
        employment=rng.integers(0, len(CATEGORIES["employment"]), n),
        household_size=sizes[member_household],
        history_since=np.full(households, date(2019, 1, 1).toordinal()),
        history_status=np.zeros(households, dtype=np.int32),
        history_start=history_start,
        status_codes=("lifted_out",),
    )
    paired = {f"h{i}" for i in np.nonzero(rng.random(households) < 0.7)[0]}
    return pop, Context(Year(2021), date(2021, 9, 1), paired_households=paired)


def floor(pop: Population, ctx: Context, paired: np.ndarray) -> np.ndarray:
    """The same rule written by hand in numpy (parameters looked up the same way)."""
    day = ctx.day
    values = PROGRAM.values_on(day)
    age = (day.year - pop.birth_year) - (pop.birth_mmdd > day.month * 100 + day.day)
    major = CATEGORIES["health"].index("major_illness")
    migrant = CATEGORIES["employment"].index("migrant_worker")
    return (
        (age >= values["min_age"])
        & (age <= values["max_age"])
        & ((pop.health == major) | (pop.disability_grade > 0))
        & paired[pop.member_household]
        & (pop.employment != migrant)
        & (pop.household_size <= values["max_household_size"])
    )


class _RowFacts(SubjectFacts):
    """One member's facts read from the columns (the loop's input, built before timing)."""

    def __init__(self, read: dict[str, object]) -> None:
        self.read = read

    def value(self, f):
        return self.read[f.name]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = parser.parse_args()
    pop, ctx = population(args.members)
    print(f"members: {len(pop):,}  conditions: 5 (+2 inside)  rule: {PROGRAM.rule_version}")

    # Building the columns is done once and not timed: the member columns above, and the
    # context's column of paired households (shared by every programme decided that day).
    start = time.perf_counter()
    paired = pop.household_flag(ctx.paired_households)
    print(f"paired-household column built once: {time.perf_counter() - start:.3f} s (not timed)")

    gc.collect()
    start = time.perf_counter()
    jieqin_mask = PROGRAM.eligible(pop, ctx)
    t_jieqin = time.perf_counter() - start

    gc.collect()
    start = time.perf_counter()
    floor_mask = floor(pop, ctx, paired)
    t_floor = time.perf_counter() - start

    day = ctx.day
    age = (day.year - pop.birth_year) - (pop.birth_mmdd > day.month * 100 + day.day)
    health = np.array(CATEGORIES["health"])[pop.health]
    employment = np.array(CATEGORIES["employment"])[pop.employment]
    rows = [
        _RowFacts(
            {
                "age": int(a),
                "health": str(h),
                "disability_grade": int(d),
                "paired": bool(p),
                "employment": str(e),
                "household_size": int(s),
            }
        )
        for a, h, d, p, e, s in zip(
            age.tolist(),
            health.tolist(),
            pop.disability_grade.tolist(),
            paired[pop.member_household].tolist(),
            employment.tolist(),
            pop.household_size.tolist(),
            strict=True,
        )
    ]
    gc.collect()
    start = time.perf_counter()
    values = PROGRAM.values_on(day)
    condition = PROGRAM.eligibility
    loop_mask = [condition.holds(row, values) for row in rows]
    t_loop = time.perf_counter() - start

    assert jieqin_mask.tolist() == floor_mask.tolist() == loop_mask, "the three disagree"
    print(f"eligible: {int(jieqin_mask.sum()):,}")
    print(f"jieqin population evaluation: {t_jieqin:8.3f} s")
    print(f"per-member Python loop:       {t_loop:8.3f} s   ({t_loop / t_jieqin:6.1f}x jieqin)")
    print(f"hand-written numpy (floor):   {t_floor:8.3f} s   (jieqin is {t_jieqin / t_floor:.2f}x)")
    goals = t_jieqin <= 1.0 and t_loop / t_jieqin >= 20 and t_jieqin / t_floor <= 3
    print("goals (<= 1 s, >= 20x loop, <= 3x floor):", "met" if goals else "NOT met")
    if args.json:
        figures = {
            "members": len(pop),
            "eligible": int(jieqin_mask.sum()),
            "jieqin_s": round(t_jieqin, 4),
            "loop_s": round(t_loop, 3),
            "floor_s": round(t_floor, 4),
            "loop_ratio": round(t_loop / t_jieqin, 1),
            "floor_ratio": round(t_jieqin / t_floor, 2),
        }
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
