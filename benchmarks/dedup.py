"""Benchmark: probable duplicate members among a million, jieqin against two anchors.

Builds a seeded synthetic population (1,000,000 members by default, four to a
household, in 1,200 villages, born 1930-2020, with valid resident ID numbers and
names drawn from common surnames and given-name characters) and plants a few
thousand duplicates of four kinds, each a new household of one member:

- ``same_id``: the same person (same name and number) in another village;
- ``same_name_village``: same name and birth date in the same village, another number;
- ``name_typo``: one character of the name changed, same birth date, another number,
  another village;
- ``id_typo``: same birth date, the number's sequence digits mistyped (one changed
  or two neighbours swapped, the check character computed afresh), another given
  name, another village.

Then, in the same run and on the same households, times
:func:`jieqin.duplicates.probable_duplicates` and two anchors: a plain exact-match
pass in Python (pairs sharing a number, or a name and a birth date) and rapidfuzz
``process.cdist`` over the names of each birth-date block at the same threshold.
Prints each time, jieqin's time over each anchor's, the pairs each reported and how
many planted duplicates of each kind each found. Run::

    python benchmarks/dedup.py [--members 1000000] [--planted 4000] [--json]
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from operator import attrgetter

import numpy as np
from rapidfuzz import fuzz, process

from jieqin.duplicates import DEFAULT_THRESHOLD, probable_duplicates
from jieqin.model import Household, Member, RegionCode, Relation, Sex, StatusChange
from jieqin.model.identity import birthplace_codes, check_digit

KINDS = ("same_id", "same_name_village", "name_typo", "id_typo")
COUNTIES = ("610202", "610203", "610204", "610222")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = (
    "秀英兰桂芳明建国华军伟玉珍梅红霞丽强平志勇杰涛斌超波辉刚健文海峰磊敏静燕娟艳"
    "玲婷雪琴云莲凤荣春花金银翠福贵德成林山永忠庆生宝喜全保兴旺长发俊鹏浩宇晨阳"
    "佳欣怡嘉思雨梓涵子轩博睿泽瑞诗琪悦妍淑惠芬萍洁琳晶颖倩璐蓉莉慧娜丹彩凤巧"
)
START, END = date(1930, 1, 1), date(2020, 12, 31)

Pairs = set[frozenset[str]]


class Population:
    """Seeded synthetic households, with the planted duplicate pairs by kind."""

    def __init__(self, members: int, planted: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.taken: set[str] = set()
        self.villages = [
            f"{county}{t:03d}{v:03d}"
            for county in COUNTIES
            for t in range(1, 21)
            for v in range(1, 16)
        ]
        self.households: list[Household] = []
        self.planted: dict[str, Pairs] = {kind: set() for kind in KINDS}
        self._build(members - planted)
        self._plant(planted)

    def _build(self, members: int) -> None:
        for h in range(0, members, 4):
            village = self.rng.choice(self.villages)
            people = [self._member(f"h{h:07d}-{k + 1}", k) for k in range(min(4, members - h))]
            self.households.append(_household(f"h{h:07d}", village, people))

    def _member(self, member_id: str, position: int) -> Member:
        born = START + timedelta(days=self.rng.randrange((END - START).days + 1))
        sex = self.rng.choice([Sex.MALE, Sex.FEMALE])
        name = self.rng.choice(SURNAMES) + self._given()
        relation = Relation.HEAD if position == 0 else Relation.CHILD
        return Member(member_id, name, sex, born, self._number(born, sex), relation)

    def _given(self) -> str:
        return "".join(self.rng.choices(GIVEN, k=1 if self.rng.random() < 0.25 else 2))

    def _number(self, born: date, sex: Sex) -> str:
        """A valid number not given out before (sequence parity by sex)."""
        while True:
            place = self.rng.choice(_places(born.year))
            serial = self.rng.randrange(500) * 2 + (1 if sex is Sex.MALE else 0)
            number = _with_check(f"{place}{born:%Y%m%d}{serial:03d}")
            if number not in self.taken:
                self.taken.add(number)
                return number

    def _plant(self, planted: int) -> None:
        originals = self.rng.sample([(h, m) for h in self.households for m in h.members], planted)
        for n, (household, original) in enumerate(originals):
            kind = KINDS[n % len(KINDS)]
            copy = getattr(self, f"_copy_{kind}")(original, f"d{n:06d}-1")
            village = (
                household.region.code if kind == "same_name_village" else self._other(household)
            )
            self.households.append(_household(f"d{n:06d}", village, [copy]))
            self.planted[kind].add(frozenset((original.member_id, copy.member_id)))

    def _other(self, household: Household) -> str:
        while (village := self.rng.choice(self.villages)) == household.region.code:
            pass
        return village

    def _copy(self, m: Member, member_id: str, *, name: str, number: str) -> Member:
        return Member(member_id, name, m.sex, m.birth_date, number, Relation.HEAD)

    def _copy_same_id(self, m: Member, member_id: str) -> Member:
        return self._copy(m, member_id, name=m.name, number=m.resident_id)

    def _copy_same_name_village(self, m: Member, member_id: str) -> Member:
        return self._copy(m, member_id, name=m.name, number=self._number(m.birth_date, m.sex))

    def _copy_name_typo(self, m: Member, member_id: str) -> Member:
        at = self.rng.randrange(1, len(m.name))
        char = self.rng.choice([c for c in GIVEN if c != m.name[at]])
        name = m.name[:at] + char + m.name[at + 1 :]
        return self._copy(m, member_id, name=name, number=self._number(m.birth_date, m.sex))

    def _copy_id_typo(self, m: Member, member_id: str) -> Member:
        while fuzz.ratio(name := m.name[0] + self._given(), m.name) >= DEFAULT_THRESHOLD:
            pass
        return self._copy(m, member_id, name=name, number=self._mistyped(m.resident_id))

    def _mistyped(self, number: str) -> str:
        """One sequence digit changed, or two neighbours swapped; check computed afresh."""
        while (typo := self._typo(number)) in self.taken:
            pass
        self.taken.add(typo)
        return typo

    def _typo(self, number: str) -> str:
        body = list(number[:17])
        at = self.rng.choice([14, 15])
        if self.rng.random() < 0.5 and body[at] != body[at + 1]:
            body[at], body[at + 1] = body[at + 1], body[at]
        else:
            at = self.rng.choice([14, 15, 16])
            body[at] = self.rng.choice([d for d in "0123456789" if d != body[at]])
        return _with_check("".join(body))


@functools.cache
def _places(year: int) -> tuple[str, ...]:
    return birthplace_codes(year, within="61")


def _with_check(first17: str) -> str:
    return first17 + check_digit(first17)


def _household(household_id: str, village: str, people: list[Member]) -> Household:
    return Household(
        household_id, RegionCode(village), people, [StatusChange("lifted_out", date(2020, 6, 30))]
    )


def _members(households: Iterable[Household]) -> list[Member]:
    return [m for h in sorted(households, key=attrgetter("household_id")) for m in h.members]


def anchor_exact(households: list[Household], threshold: float) -> Pairs:
    """A plain exact-match pass: members sharing a number, or a name and a birth date.

    One dict of the first member per key, and a list only for a key seen again.
    """
    first: dict[object, str] = {}
    again: dict[object, list[str]] = defaultdict(list)
    for m in _members(households):
        for key in (m.resident_id, (m.name, m.birth_date)):
            if first.setdefault(key, m.member_id) != m.member_id:
                again[key].append(m.member_id)
    pairs: Pairs = set()
    for key, ids in again.items():
        group = [first[key], *ids]
        for a, one in enumerate(group):
            pairs.update(frozenset((one, other)) for other in group[a + 1 :])
    return pairs


def anchor_cdist(households: list[Household], threshold: float) -> Pairs:
    """rapidfuzz ``process.cdist`` over the names of each birth-date block."""
    blocks: dict[date, list[Member]] = defaultdict(list)
    for m in _members(households):
        blocks[m.birth_date].append(m)
    pairs: Pairs = set()
    for block in blocks.values():
        if len(block) < 2:
            continue
        names = [m.name for m in block]
        scores = process.cdist(names, names, scorer=fuzz.ratio, score_cutoff=threshold)
        for a, b in zip(*np.nonzero(np.triu(scores >= threshold, 1)), strict=True):
            pairs.add(frozenset((block[a].member_id, block[b].member_id)))
    return pairs


def jieqin_pairs(households: list[Household], threshold: float) -> Pairs:
    """jieqin's probable duplicates, as pairs of member ids."""
    found = probable_duplicates(households, threshold=threshold)
    return {frozenset((d.first.member_id, d.second.member_id)) for d in found}


def timed(
    way: Callable[[list[Household], float], Pairs], pop: Population, threshold: float
) -> dict[str, object]:
    """One way's wall and CPU time, pairs reported and planted pairs found by kind."""
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    pairs = way(pop.households, threshold)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    found = {kind: len(planted & pairs) for kind, planted in pop.planted.items()}
    return {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "pairs": len(pairs),
        "planted_found": found,
    }


def run(members: int, planted: int, seed: int, threshold: float) -> dict[str, object]:
    started = time.perf_counter()
    pop = Population(members, planted, seed)
    built = time.perf_counter() - started
    ways = {"jieqin": jieqin_pairs, "exact": anchor_exact, "cdist": anchor_cdist}
    results = {name: timed(way, pop, threshold) for name, way in ways.items()}
    return {
        "members": sum(len(h.members) for h in pop.households),
        "households": len(pop.households),
        "planted": {kind: len(pairs) for kind, pairs in pop.planted.items()},
        "threshold": threshold,
        "seed": seed,
        "built_s": round(built, 1),
        **results,
        **{f"ratio_to_{a}": _ratio(results, a, "seconds") for a in ("exact", "cdist")},
        **{f"cpu_ratio_to_{a}": _ratio(results, a, "cpu_seconds") for a in ("exact", "cdist")},
        "load_average": round(os.getloadavg()[0], 2),
    }


def _ratio(results: dict[str, dict[str, object]], anchor: str, key: str) -> float:
    """jieqin's time over ``anchor``'s."""
    return round(float(results["jieqin"][key]) / float(results[anchor][key]), 2)  # type: ignore[arg-type]


def _print(result: dict[str, object]) -> None:
    print(
        f"members: {result['members']:,}  households: {result['households']:,}  "
        f"planted: {result['planted']}  threshold: {result['threshold']}  "
        f"(built in {result['built_s']} s, not timed)"
    )
    for name in ("jieqin", "exact", "cdist"):
        r = result[name]
        assert isinstance(r, dict)
        print(
            f"{name:>7}: {r['seconds']:8.3f} s wall {r['cpu_seconds']:8.3f} s CPU "
            f"{r['pairs']:>9,} pairs  found {r['planted_found']}"
        )
    for anchor in ("exact", "cdist"):
        print(
            f"jieqin/{anchor}: {result[f'ratio_to_{anchor}']} (wall) "
            f"{result[f'cpu_ratio_to_{anchor}']} (CPU)"
        )
    print(f"load average: {result['load_average']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--planted", type=int, default=4000, help="planted duplicates (all kinds)")
    parser.add_argument("--seed", type=int, default=20210101)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    result = run(args.members, args.planted, args.seed, args.threshold)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        _print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
