"""Fixed-budget best-arm identification over a candidate pool: sequential halving and baselines.

Why this shape: the study (arXiv:2601.22157) finds the best fine-tune with ~50 queries per model by
(1) making every surviving candidate answer the *same* queries in a round, so question difficulty
cancels out of the comparison, and (2) cutting the pool hard in the first round (to ~100), then
halving as in Sequential Halving (Karnin, Koren, Somekh 2013). Both are parameters here
(``shared``, ``first_keep``), so standard halving and the aggressive schedule are one algorithm.

Candidates answer queries through an :class:`Oracle` (the evaluator in production, an outcome
matrix in simulation). Queries are taken as prefixes of a fixed order (one order for all when
shared, one per candidate otherwise), so a later round or a later run asks only for queries not
answered before, and the evaluator's store turns those repeats into free look-ups.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from assets.gems.stats import wilson_interval


FIRST_KEEP = 100
"""Survivors after the aggressive schedule's first round: the study cuts straight to about 100 models."""
FIRST_SHARE = 0.3
"""Least share of the budget the aggressive first round gets. Measured in trial runs of the bench's
pools: 0.2 to 0.4 alike, 0.5 and above starve the later rounds on near-tied pools. It helps on
gem-skewed pools and is a trade on the atlas trees (docs/gems.md, "The funded first round")."""


class CandidateFailed(Exception):
    """A candidate could not answer (download failed, no weights, OOM, garbage): it is eliminated.

    ``answered`` is how many of the queries asked it did answer before failing (an evaluator that
    stores answers chunk by chunk may fail on a later chunk): real work the budget must count.
    """

    def __init__(self, reason: str, answered: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.answered = answered


class Oracle(Protocol):
    """Answers ``query_ids`` with ``candidate``; returns 0/1 correctness in the same order."""

    def __call__(self, candidate: Hashable, query_ids: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Estimate:
    """A candidate's running accuracy estimate after some number of answered queries."""

    candidate: Hashable
    correct: int
    n: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.correct, self.n)


@dataclass
class RoundRecord:
    """One round of a search: who answered (candidates that failed in it are dropped), how many
    queries each had answered, who was kept."""

    round: int
    survivors: list[Hashable]
    queries_per_survivor: int  # cumulative, after this round (shared or not, the same for all)
    spent: int  # new (candidate, query) answers this round
    spent_total: int
    estimates: list[Estimate]
    kept: list[Hashable]


@dataclass
class SearchResult:
    strategy: str
    pick: Hashable | None
    budget: int | None
    spent: int
    rounds: list[RoundRecord] = field(default_factory=list)
    failures: dict[Hashable, str] = field(default_factory=dict)


def validate_search(candidates: Sequence[Hashable], queries: Sequence[Hashable], budget: int | None) -> None:
    """Reject an impossible search before any model is loaded (empty pool, empty task, tiny budget)."""
    if len(candidates) == 0:
        raise ValueError("the candidate pool is empty: nothing to search (check the pool filters)")
    if len(queries) == 0:
        raise ValueError("the task has no queries: nothing to evaluate candidates on")
    if budget is not None and budget < len(candidates):
        raise ValueError(
            f"query budget {budget} is smaller than one query per candidate ({len(candidates)} candidates)"
        )


def survivor_schedule(n: int, first_keep: int | None = None, keep_fraction: float = 0.5) -> list[int]:
    """How many candidates enter each round: ``[n, first_keep, first_keep/2, ..., 2]``.

    Standard halving (``first_keep=None``, ``keep_fraction=0.5``) gives ``ceil(log2 n)`` rounds;
    an aggressive schedule first cuts straight to ``first_keep`` and then keeps ``keep_fraction``
    of the survivors per round.
    """
    if not 0 < keep_fraction < 1:
        raise ValueError(f"keep_fraction must be in (0, 1), got {keep_fraction}")
    sizes = [n]
    if first_keep is not None and 1 < first_keep < n:
        sizes.append(first_keep)
    while sizes[-1] > 2:
        sizes.append(min(sizes[-1] - 1, math.ceil(sizes[-1] * keep_fraction)))
    return sizes if n > 1 else [1]


class _Answers:
    """Outcomes gathered so far, with each candidate's query order (shared or private)."""

    def __init__(self, queries: np.ndarray, oracle: Oracle, shared: bool, rng: np.random.Generator) -> None:
        self.queries = queries
        self.oracle = oracle
        self.shared = shared
        self.rng = rng
        self.common = rng.permutation(len(queries))
        self.orders: dict[Hashable, np.ndarray] = {}
        self.correct: dict[Hashable, int] = {}
        self.n: dict[Hashable, int] = {}

    def order(self, cand: Hashable) -> np.ndarray:
        if self.shared:
            return self.common
        if cand not in self.orders:
            self.orders[cand] = self.rng.permutation(len(self.queries))
        return self.orders[cand]

    def extend(self, cand: Hashable, upto: int) -> int:
        """Make ``cand`` answer its queries up to position ``upto``; returns how many were new."""
        have = self.n.get(cand, 0)
        upto = min(upto, len(self.queries))
        if upto <= have:
            return 0
        ids = self.queries[self.order(cand)[have:upto]]
        outcome = np.asarray(self.oracle(cand, ids))
        if outcome.shape != (len(ids),):
            raise CandidateFailed(f"answered {outcome.size} of {len(ids)} queries", answered=min(outcome.size, len(ids)))
        self.correct[cand] = self.correct.get(cand, 0) + int(outcome.sum())
        self.n[cand] = upto
        return upto - have

    def estimate(self, cand: Hashable) -> Estimate:
        return Estimate(cand, self.correct.get(cand, 0), self.n.get(cand, 0))

    def best_first(self, cands: Sequence[Hashable]) -> list[Hashable]:
        """Order by running accuracy, ties broken at random (never by pool order)."""
        acc = np.array([self.correct.get(c, 0) / max(self.n.get(c, 0), 1) for c in cands])
        jitter = self.rng.random(len(cands))
        order = np.lexsort((jitter, -acc))
        return [cands[i] for i in order]


def _ask(answers: _Answers, cands: Sequence[Hashable], upto: int, result: SearchResult) -> tuple[list[Hashable], int]:
    """Every candidate in ``cands`` answers up to ``upto``; failures are recorded and dropped, and
    what a failed candidate answered before failing still counts against the budget."""
    alive, spent = [], 0
    for cand in cands:
        try:
            spent += answers.extend(cand, upto)
            alive.append(cand)
        except CandidateFailed as exc:
            result.failures[cand] = exc.reason
            spent += exc.answered
    return alive, spent


def sequential_halving(
    candidates: Sequence[Hashable],
    queries: Sequence[Hashable],
    oracle: Oracle,
    budget: int,
    *,
    first_keep: int | None = None,
    keep_fraction: float = 0.5,
    shared: bool = True,
    first_share: float | None = None,
    seed: int = 0,
    strategy: str = "halving",
) -> SearchResult:
    """Sequential halving with a total budget of ``budget`` (candidate, query) answers.

    Each round gets an equal share of what is left over the rounds still planned (so budget left
    unspent by a capped round rolls over), split equally among the survivors. The running estimate
    of a survivor uses every answer it gave so far. The budget is never exceeded.

    ``first_share`` funds the first round with at least that share of the budget.
    With a hard first cut this matters most: an equal share leaves ~8 queries per candidate in a
    pool of hundreds, where shared scores are mostly ties and the cut is close to a lottery; a
    screen of ~20 queries each keeps the few far-better candidates, and the rest of the budget goes
    to far fewer survivors (bench/gems.py measures both).
    """
    validate_search(candidates, queries, budget)
    if first_share is not None and not 0 < first_share < 1:
        raise ValueError(f"first_share must be in (0, 1), got {first_share}")
    rng = np.random.default_rng(seed)
    answers = _Answers(np.asarray(queries), oracle, shared, rng)
    result = SearchResult(strategy, None, budget, 0)
    survivors = list(candidates)
    reach = 0
    while survivors and (not result.rounds or len(survivors) > 1):
        plan = survivor_schedule(len(survivors), None if result.rounds else first_keep, keep_fraction)
        keep = plan[1] if len(plan) > 1 else 1
        remaining = budget - result.spent
        share = remaining // len(plan)
        if first_share is not None and not result.rounds:
            share = max(share, int(budget * first_share))
        step = share // len(survivors) or (1 if remaining >= len(survivors) else 0)
        if step == 0:
            break
        survivors, spent = _ask(answers, survivors, reach + step, result)
        reach = min(reach + step, len(queries))
        result.spent += spent
        ranked = answers.best_first(survivors)
        result.rounds.append(RoundRecord(
            len(result.rounds), list(ranked), reach, spent, result.spent, [answers.estimate(c) for c in ranked], ranked[:keep]
        ))
        survivors = ranked[:keep]
    result.pick = answers.best_first(survivors)[0] if survivors else None
    return result


def uniform(
    candidates: Sequence[Hashable], queries: Sequence[Hashable], oracle: Oracle, budget: int, *, seed: int = 0
) -> SearchResult:
    """Every candidate answers the same ``budget // len(candidates)`` queries; the best is picked."""
    validate_search(candidates, queries, budget)
    return _one_round("uniform", candidates, queries, oracle, budget // len(candidates), budget, seed)


def exhaustive(candidates: Sequence[Hashable], queries: Sequence[Hashable], oracle: Oracle, *, seed: int = 0) -> SearchResult:
    """Every candidate answers every query: the reference the budgets are measured against."""
    validate_search(candidates, queries, None)
    return _one_round("exhaustive", candidates, queries, oracle, len(queries), None, seed)


def _one_round(
    name: str, candidates: Sequence[Hashable], queries: Sequence[Hashable], oracle: Oracle, per: int, budget: int | None, seed: int
) -> SearchResult:
    answers = _Answers(np.asarray(queries), oracle, True, np.random.default_rng(seed))
    result = SearchResult(name, None, budget, 0)
    alive, result.spent = _ask(answers, list(candidates), per, result)
    ranked = answers.best_first(alive)
    result.rounds.append(RoundRecord(0, ranked, min(per, len(queries)), result.spent, result.spent, [answers.estimate(c) for c in ranked], ranked[:1]))
    result.pick = ranked[0] if ranked else None
    return result


def random_pick(candidates: Sequence[Hashable], *, seed: int = 0) -> SearchResult:
    """A candidate chosen at random, without any query: the floor every method must beat."""
    validate_search(candidates, [0], None)
    rng = np.random.default_rng(seed)
    return SearchResult("random", candidates[int(rng.integers(len(candidates)))], 0, 0)


def most_downloaded(candidates: Sequence[Hashable], downloads: Mapping[Hashable, float]) -> SearchResult:
    """The popular choice: the candidate with the most downloads, without any query."""
    validate_search(candidates, [0], None)
    return SearchResult("most_downloaded", max(candidates, key=lambda c: downloads.get(c, 0) or 0), 0, 0)
