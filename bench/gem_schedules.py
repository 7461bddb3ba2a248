"""How far any schedule of rank cuts on shared questions can go: the best of a family, chosen in hindsight.

Run: ``nice -n 10 .venv/bin/python bench/gem_schedules.py [--scenarios atlas65,atlas75] [--seeds 200] [--holdout 7000]``.

A search that asks every survivor the same questions and keeps the best-scoring ones is fixed by its
schedule: how many candidates go on after how many questions. This runs 112 such schedules on the
bench's own pools of 1,000 (``bench/gems.py``'s :func:`pool_for`, the same seeds) and prints the best
few and the median. The best is chosen on the very pools it is scored on, which flatters it: where
even it falls short of a target, no schedule of the family meets that target on these pools
(docs/gems.md, "Schedules cannot close the gap"). Cuts are by rank alone (ties at random): neither
the default's tie and clear-loser rules nor its power law's budget re-planning.

Two families, each spending the whole budget (1/50 of exhaustive) unless its last survivors run out
of questions:

- geometric: keep ``r`` of the survivors a round, each round's budget ``g`` times the last's;
- power law: a first screen of ``n1`` questions that cuts nobody, then about ``K (n / n1) ** -alpha``
  survivors after ``n`` questions (``alpha`` solved from the budget), the questions doubling or
  growing ``coarse`` times a round while more than 100 survive and ``fine`` times after.
"""

from __future__ import annotations

import argparse
import itertools
import math
from collections.abc import Callable

import numpy as np

from gems import N_QUERIES, PER_MODEL, SCENARIOS, pool_for

Schedule = tuple[list[int], list[int]]
"""(survivors entering each round, shared questions each has answered after it)."""


def _fit(build: Callable[[float], tuple[list[int], list[int], int]], budget: int, low: float, high: float,
         spend_falls: bool) -> Schedule:
    """The schedule of ``build(x)`` with the most spend within ``budget`` (bisection on ``x``)."""
    for _ in range(60):
        mid = (low + high) / 2
        fits = build(mid)[2] <= budget
        low, high = (mid, high) if fits != spend_falls else (low, mid)
    sizes, ns, _ = build(high if spend_falls else low)
    return sizes, ns


def geometric(size: int, budget: int, keep: float, growth: float) -> Schedule:
    sizes = [size]
    while sizes[-1] > 2:
        sizes.append(max(2, min(sizes[-1] - 1, round(sizes[-1] * keep))))

    def build(scale: float) -> tuple[list[int], list[int], int]:
        n, ns, cost = 0, [], 0
        for i, s in enumerate(sizes):
            m = min(N_QUERIES, n + int(scale * growth ** i / s))
            cost, n = cost + s * (m - n), m
            ns.append(n)
        return sizes, ns, cost

    return _fit(build, budget, 0.0, 1e7, spend_falls=False)


def power(size: int, budget: int, n1: int, coarse: float, fine: float) -> Schedule:
    def build(alpha: float) -> tuple[list[int], list[int], int]:
        sizes, ns, n, cost, s = [], [], 0, 0, size
        while s >= 2 and n < N_QUERIES:
            m = min(N_QUERIES, n1 if n == 0 else max(n + 1, math.ceil(n * (coarse if s > 100 else fine))))
            cost, n = cost + s * (m - n), m
            sizes.append(s)
            ns.append(n)
            s = min(s - 1, max(1, math.floor(size * (n / n1) ** -alpha)))
        return sizes, ns, cost

    return _fit(build, budget, 0.01, 20.0, spend_falls=True)


def run(outcomes: np.ndarray, schedule: Schedule, rng: np.random.Generator) -> int:
    """The pick of one schedule on one pool: survivors ranked by shared score, ties at random."""
    order = rng.permutation(outcomes.shape[1])
    survivors = np.arange(outcomes.shape[0])
    sizes, ns = schedule
    for i, n in enumerate(ns):
        score = outcomes[np.ix_(survivors, order[:n])].sum(axis=1) + rng.random(len(survivors)) * 0.5
        survivors = survivors[np.argsort(-score)[:sizes[i + 1] if i + 1 < len(sizes) else 1]]
    return int(survivors[0])


def family(size: int, budget: int) -> dict[str, Schedule]:
    out = {f"geometric keep {r:.0%} growth {g}": geometric(size, budget, r, g)
           for r, g in itertools.product([0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9],
                                         [0.9, 1.0, 1.05, 1.1, 1.15, 1.2, 1.3, 1.5])}
    out |= {f"power first {n1} coarse {c} fine {f}": power(size, budget, n1, c, f)
            for n1, c, f in itertools.product([1, 2, 3, 4, 6], [1.5, 2.0], [1.1, 1.15, 1.25, 1.4])}
    return out


def score(name: str, size: int, seeds: range, schedules: dict[str, Schedule]) -> list[tuple[float, str]]:
    """P(top 1%) of each schedule on the bench's pools of these seeds, best first."""
    hits: dict[str, list[bool]] = {key: [] for key in schedules}
    for seed in seeds:
        pool = pool_for(SCENARIOS[name], size, seed)
        top = pool.top(0.01)
        for key, schedule in schedules.items():
            hits[key].append(run(pool.outcomes, schedule, np.random.default_rng(seed)) in top)
    return sorted(((float(np.mean(v)), key) for key, v in hits.items()), reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default="atlas65,atlas75")
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--holdout", type=int, default=None, metavar="FIRST_SEED",
                        help="re-score the 5 best on as many fresh seeds from FIRST_SEED: how much of the best's "
                             "lead is the choice in hindsight (the best of 112 noisy scores is flattered)")
    args = parser.parse_args()
    budget = PER_MODEL * args.size
    schedules = family(args.size, budget)
    for name in args.scenarios.split(","):
        share = score(name, args.size, range(args.seeds), schedules)
        print(f"{name}, K = {args.size}, seeds 0-{args.seeds - 1}: {len(schedules)} schedules, P(top 1%) in hindsight")
        for p, key in share[:5]:
            print(f"  {p:.1%}  {key}")
        print(f"  median {float(np.median([p for p, _ in share])):.1%}", flush=True)
        if args.holdout is not None:
            fresh = range(args.holdout, args.holdout + args.seeds)
            again = dict((key, p) for p, key in score(name, args.size, fresh, {k: schedules[k] for _, k in share[:5]}))
            print(f"  the same 5 on seeds {fresh.start}-{fresh.stop - 1}: "
                  + ", ".join(f"{again[key]:.1%} ({key})" for _, key in share[:5]), flush=True)


if __name__ == "__main__":
    main()
