"""Fixed-budget best-arm identification over a candidate pool: the default search and its rivals.

Why this shape: the study (arXiv:2601.22157) finds the best fine-tune with ~50 queries per model by
(1) making every surviving candidate answer the *same* queries in a round, so question difficulty
cancels out of the comparison, and (2) cutting the pool hard in the first round (to ~100), then
halving as in Sequential Halving (Karnin, Koren, Somekh 2013). An independent check found the
fixed cut to 100 a lottery when candidates' answers are less alike than the study's (it kept the
true best in 40-51% of pools of 1,000): how hard a cut can safely be depends on how much two
candidates' shared answers differ, which no constant knows in advance.

:func:`search` (the default, strategy ``adaptive``) therefore cuts by evidence. All survivors answer
the same questions; its first cut never splits a tie at the cut-off score (on a few questions dozens
of candidates tie, and a cut inside the tie is a coin flip); every cut drops early the candidates a
paired test over their shared answers puts clearly behind the leader. In pools of more than
:data:`HALVING_UP_TO` candidates it also cuts gently: survivors fall as a power of the questions
answered (:func:`_power_round`), not by halves, because in a dense top (the study's own trees: the
10th best of 1,000 lies 0.4 points above the 30th) the candidates a round cannot tell apart are those
within the noise of its shared answers, a number that shrinks like a power of the questions, not
like halving's ``1 / m``; budget its last survivors cannot use (they run out of questions) then
completes the candidates cut last. There it loads about twice as many models as halving does
(docs/gems.md), which the query budget does not count. Smaller pools are halved.

The same rules on halving's schedule in every pool (``adaptive_halving``, the default before), the
study's schedule (``aggressive``), standard halving (``halving``) and shared-query halving
(``shared_halving``) stay available by name (:data:`STRATEGIES`), so every run and the bench compare
them.

Candidates answer queries through an :class:`Oracle` (the evaluator in production, an outcome
matrix in simulation). Queries are taken as prefixes of a fixed order (one order for all when
shared, one per candidate otherwise), so a later
round or a later run asks only for queries not answered before, and the evaluator's store turns
those repeats into free look-ups.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import numpy as np
from scipy import stats as sps

from assets.gems.stats import wilson_interval


FIRST_KEEP = 100
"""Survivors after the study's first round (strategy ``aggressive``): it cuts straight to about 100 models."""
FIRST_SHARE = 0.3
"""Least share of the budget the study's schedule (``aggressive``) gives its first round: a screen of
~18 queries each, where an equal share leaves ~7 and the cut to 100 is mostly ties. The default does
not fund its first round: it keeps the ties instead, which costs nothing where answers are less
alike (at 65% agreement the funded screen lost 15 points of P(top 1%) on pools of 1,000, docs/gems.md)."""
CUT_ALPHA = 0.05
"""The default and ``adaptive_halving``: a candidate is dropped early only when a paired test puts it
behind the leader at this level after a Bonferroni correction over the round's survivors (so the
true best, which can trail a lucky leader, is rarely among the dropped)."""
TIE_CAP = 2.0
"""The default and ``adaptive_halving``: the first cut keeps everyone tied at the cut-off score, up to
this many times the planned survivors (tuning seeds, never the reported ones: docs/gems.md)."""
FIRST_SCREEN = 2 / 60
"""The default's first round asks every candidate this share of its per-candidate budget (at least one
question) and cuts nobody: 2 questions at 60 per model. With the schedule's rank cuts alone (tuning
seeds 7000-7199, pools of 1,000 at 65% agreement) a first screen of 3 kept the top 1% in 88.5%, of 6 in
85.0%, of 10 in 66.5%: a longer screen leaves too little for the middle rounds, where a dense top is
decided; the five best power-law schedules, re-scored on fresh seeds, all screened on 1 or 2 questions
with :data:`COARSE_GROWTH` 1.5 (docs/gems.md). A lone gem can miss so short a screen, which the first
cut's tie rule partly mends (gem-skewed pools of 100)."""
HALVING_UP_TO = 100
"""The default searches pools of at most this many candidates on halving's schedule, larger ones on the
power-law schedule. The power law pays where a dense top must be screened out of many candidates
(pools of 300 and 1,000: ahead of halving's schedule in seven of 16 cells, behind in one,
docs/gems.md). In pools of 100 it was never significantly ahead, at 2.7-2.9x the loads: on tuning
seeds 7200-7399 it lost the lone gem of gem-skewed pools more often (88.0% against 92.5%), and on
the reported seeds it lost two cells (the switch was made after seeing them)."""
COARSE_ABOVE = 100
"""While more candidates than this survive, each round grows the shared questions :data:`COARSE_GROWTH`
times; below it, :data:`FINE_GROWTH` times. Every round loads its survivors again, which the query
budget does not count; fine rounds pay off once few candidates remain."""
COARSE_GROWTH = 1.5
"""How much the shared questions grow per round while more than :data:`COARSE_ABOVE` survive. On
tuning seeds 7200-7399, 1.5 instead of doubling kept the top 1% of pools of 1,000 at 75% agreement
in 88.0% against 81.0% (paired +7.0 +- 5.6 points) and at 65% in 85.0% against 79.0%, at 2.2-2.9x
the model loads of halving (docs/gems.md)."""
FINE_GROWTH = 1.25
"""How much the shared questions grow per round once at most :data:`COARSE_ABOVE` survive.
The rank-cut tuning (65% agreement, pools of 1,000): one growth for every round kept the top 1%
in 88.5% at 1.3, 86.5% at 1.6, 81.5% at 2.0; doubling while more than 100 survive and 1.25 after,
88.5% with 3,633 model loads against 6,600 for 1.25 throughout (halving: 1,998)."""

DEFAULT_STRATEGY = "adaptive"
"""The name :func:`search` stores its picks under (``core.gem_picks.strategy``)."""

T = TypeVar("T")


class CandidateFailed(Exception):
    """A candidate could not answer (download failed, no weights, OOM, garbage): it is eliminated.

    ``answered`` is how many of the queries asked it did answer before failing (an evaluator that
    stores answers chunk by chunk may fail on a later chunk): real work the budget must count.
    """

    def __init__(self, reason: str, answered: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.answered = answered


class AllCandidatesFailed(RuntimeError):
    """Every candidate failed: there is nothing to pick, and a silent ``None`` would hide why."""


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
    """What a search returns: its pick, what it spent, its rounds, its failures, and the seed that
    repeats it (the same seed, candidates, queries and answers give the same pick)."""

    strategy: str
    pick: Hashable | None
    budget: int | None
    spent: int
    rounds: list[RoundRecord] = field(default_factory=list)
    failures: dict[Hashable, str] = field(default_factory=dict)
    seed: int | None = None


def validate_search(candidates: Sequence[Hashable], queries: Sequence[Hashable], budget: int | None) -> None:
    """Reject an impossible search before any model is loaded: an empty pool or task, repeated
    candidate or query ids (answers would be credited twice), a budget below one query per candidate."""
    if len(candidates) == 0:
        raise ValueError("the candidate pool is empty: nothing to search (check the pool filters)")
    if len(queries) == 0:
        raise ValueError("the task has no queries: nothing to evaluate candidates on")
    for what, ids in (("candidate", candidates), ("query", queries)):
        repeated = sorted((str(i) for i, n in Counter(np.asarray(ids).tolist()).items() if n > 1))
        if repeated:
            raise ValueError(f"repeated {what} id(s) {repeated[:5]}{' ...' if len(repeated) > 5 else ''}: "
                             f"every {what} must appear once")
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

    def __init__(self, queries: np.ndarray, oracle: Oracle, shared: bool, rng: np.random.Generator, shuffle: bool = True) -> None:
        self.queries = queries
        self.oracle = oracle
        self.shared = shared
        self.rng = rng
        self.common = rng.permutation(len(queries)) if shuffle else np.arange(len(queries))
        self.orders: dict[Hashable, np.ndarray] = {}
        self.rows: dict[Hashable, np.ndarray] = {}  # answers in the candidate's order, a prefix of it

    def order(self, cand: Hashable) -> np.ndarray:
        if self.shared:
            return self.common
        if cand not in self.orders:
            self.orders[cand] = self.rng.permutation(len(self.queries))
        return self.orders[cand]

    def extend(self, cand: Hashable, upto: int) -> int:
        """Make ``cand`` answer its queries up to position ``upto``; returns how many were new."""
        row = self.rows.get(cand, np.zeros(0, dtype=bool))
        have = len(row)
        upto = min(upto, len(self.queries))
        if upto <= have:
            return 0
        self.rows[cand] = np.concatenate([row, self.answer(cand, self.order(cand)[have:upto])])
        return upto - have

    def answer(self, cand: Hashable, positions: np.ndarray) -> np.ndarray:
        """``cand``'s 0/1 answers to the queries at ``positions``; a short answer fails the candidate."""
        ids = self.queries[positions]
        outcome = np.asarray(self.oracle(cand, ids))
        if outcome.shape != (len(ids),):
            raise CandidateFailed(f"answered {outcome.size} of {len(ids)} queries", answered=min(outcome.size, len(ids)))
        return outcome.astype(bool)

    def n(self, cand: Hashable) -> int:
        return len(self.rows.get(cand, ()))

    def estimate(self, cand: Hashable) -> Estimate:
        row = self.rows.get(cand, np.zeros(0, dtype=bool))
        return Estimate(cand, int(row.sum()), len(row))

    def best_first(self, cands: Sequence[Hashable]) -> list[Hashable]:
        """Order by running accuracy, ties broken at random (never by pool order)."""
        acc = np.array([self.rows[c].mean() if self.n(c) else 0.0 for c in cands])
        jitter = self.rng.random(len(cands))
        order = np.lexsort((jitter, -acc))
        return [cands[i] for i in order]


def _ask(answers: _Answers, cands: Sequence[Hashable], upto: int, result: SearchResult) -> tuple[list[Hashable], int]:
    """Every candidate in ``cands`` answers up to ``upto``; failures are recorded and dropped, and
    what a failed candidate answered before failing still counts against the budget.

    An unexpected exception from the oracle (a bug or a fault in one model's code path) fails that
    candidate with its type and message instead of ending the search: one broken fine-tune must not
    cost the answers of every other.
    """
    alive, spent = [], 0
    for cand in cands:
        new, charged = _attempt(result, cand, lambda: answers.extend(cand, upto))
        spent += charged if new is None else new
        if new is not None:
            alive.append(cand)
    return alive, spent


def _attempt(result: SearchResult, cand: Hashable, call: Callable[[], T]) -> tuple[T | None, int]:
    """``call()``, or on failure ``None`` and the answers given before it (``CandidateFailed.answered``),
    the candidate's reason recorded (an unexpected exception as its type and message)."""
    try:
        return call(), 0
    except CandidateFailed as exc:
        result.failures[cand] = exc.reason
        return None, exc.answered
    except Exception as exc:  # noqa: BLE001 - recorded with its reason, see _ask
        result.failures[cand] = f"unexpected {type(exc).__name__}: {exc}"
        return None, 0


def _pick(answers: _Answers, survivors: list[Hashable], result: SearchResult) -> Hashable:
    """The best survivor; if the last survivors all failed, the best candidate that answered and did
    not fail; if every candidate failed, :class:`AllCandidatesFailed` naming the reasons."""
    pool = survivors or [c for c in answers.rows if c not in result.failures]
    if not pool:
        reasons = "; ".join(f"{c}: {r}" for c, r in list(result.failures.items())[:5])
        raise AllCandidatesFailed(f"{result.strategy}: every candidate failed ({len(result.failures)}): {reasons}")
    return answers.best_first(pool)[0]


Cut = Callable[[_Answers, list[Hashable], int, bool], int]
"""How many of the ranked survivors a round keeps: (answers, ranked survivors, planned keep, whether no
earlier round has cut anyone) -> keep."""


def _planned_cut(answers: _Answers, ranked: list[Hashable], planned: int, first_cut: bool) -> int:
    return planned


def _adaptive_cut(alpha: float, tie_cap: float = TIE_CAP) -> Cut:
    """The cut of the default and of :func:`adaptive_halving`: the planned number, except that the first
    cut never splits a tie and a clear loser is never kept.

    1. At the first cut, ties at the cut-off stay: on its few shared questions scores are small
       integers and dozens of candidates share the cut-off score, so cutting inside that tie is a
       coin flip (the issue's "lottery"; on gem-skewed pools of 100 it lost the best gem in one
       trial of six). Every candidate scoring as high as the last planned survivor is kept, up to
       ``tie_cap`` times the planned number (and one fewer than the round had, so the pool always
       shrinks). Later cuts have many more questions and far fewer exact ties, and there the extra
       survivors cost more than they save: keeping ties at every cut lost 11 points of P(top 1%)
       against plain shared halving on atlas pools of 300, and on the power-law schedule 10 to 19
       points on atlas pools of 1,000 at 65-75% agreement (docs/gems.md).
    2. Clear losers go: the test is paired, on the questions both answered (the survivors share one
       order). The leader scores ``d`` more on ``m`` questions where the two disagree; under "equally
       good" each such question favours either side with probability 1/2, so ``d / sqrt(m)`` is about
       standard normal. The level is split over the round's survivors (Bonferroni): a lucky leader
       among hundreds leads the true best by a few noise units, which an uncorrected test would take
       for evidence. At least two are kept.
    """

    def cut(answers: _Answers, ranked: list[Hashable], planned: int, first_cut: bool) -> int:
        if len(ranked) <= 2:
            return planned
        rows = np.array([answers.rows[c] for c in ranked])
        scores = rows.sum(axis=1)
        keep = planned
        if first_cut:
            tied = int((scores >= scores[planned - 1]).sum())  # ranked by score: the tie's members come first
            keep = min(tied, max(planned, min(len(ranked) - 1, int(tie_cap * planned))))
        lead_margin = (rows[0].astype(int) - rows.astype(int)).sum(axis=1)
        disagree = (rows[0] != rows).sum(axis=1)
        behind = lead_margin > sps.norm.isf(alpha / (len(ranked) - 1)) * np.sqrt(np.maximum(disagree, 1))
        return max(2, min(keep, int((~behind).sum())))

    return cut


def _round_step(plan: list[int], remaining: int, room: int, floor: int = 0) -> int:
    """Queries per survivor for the round about to run (``plan[0]`` survivors, ``plan[1:]`` after).

    Every planned round gets the same share of ``remaining``, except that no survivor can answer more
    than the ``room`` queries it has not answered yet: the largest equal share whose rounds, capped
    so, spend no more than ``remaining`` (water-filling). The share the last rounds cannot use (their
    few survivors run out of queries) so goes to the earlier rounds, instead of being left over as a
    fixed equal split would leave it. ``floor`` funds this round with at least that many answers.
    """

    def spend(share: int) -> tuple[int, int]:
        total, used, first = 0, 0, 0
        for i, n in enumerate(plan):
            t = min(max(share, floor if i == 0 else 0) // n, room - used)
            first = t if i == 0 else first
            total, used = total + t * n, used + t
        return total, first

    low, high = 0, remaining  # the largest share that stays within what is left
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if spend(mid)[0] <= remaining else (low, mid - 1)
    return max(1, min(spend(low)[1], room, remaining // plan[0]))


def _next_reach(reach: int, survivors: int, first: int, n_queries: int) -> int:
    """Shared questions each survivor will have answered after the coming round (the power-law schedule):
    the first screen, then :data:`COARSE_GROWTH` times as many per round while many survive,
    :data:`FINE_GROWTH` times once few do."""
    if reach == 0:
        return min(first, n_queries)
    growth = COARSE_GROWTH if survivors > COARSE_ABOVE else FINE_GROWTH
    return min(n_queries, math.ceil(reach * growth))  # growth > 1: at least one more question


def _power_round(survivors: int, reach: int, remaining: int, n_queries: int, first: int) -> tuple[int, int]:
    """The coming round of the power-law schedule: (questions answered after it, survivors it keeps).

    Survivors fall as a power of the questions answered: after ``m`` shared questions about
    ``survivors * (m / anchor) ** -alpha`` remain, where the anchor is where this round starts (the end
    of the first screen for the first round, which therefore cuts nobody on purpose) and ``alpha`` is
    the gentlest decay the remaining budget pays for, re-solved every round (so a
    round that kept more than planned, or a failed candidate, only changes the later rounds).

    Why a power law and not halving: in a dense top (the atlas trees: the 10th best of 1,000 lies 0.4
    points above the 30th) the candidates a round cannot tell apart are all those within the noise of
    ``m`` shared answers, which shrinks as ``1 / sqrt(m)``; with the pool's top about evenly spaced,
    that is a number of candidates falling as a power of ``m``, far slower than halving's ``1 / m``.
    Halving cuts the middle rounds inside that noise; the measured optimum on tuning seeds decays as
    ``m ** -0.75`` (docs/gems.md).
    """
    upto = _next_reach(reach, survivors, first, n_queries)
    anchor = reach or upto

    def plan(alpha: float) -> tuple[int, int]:
        """(what the rounds from here spend, this round's keep) at decay ``alpha``."""
        s, n, m, total, keep = survivors, reach, upto, 0, None
        while True:
            total += s * (m - n)
            n = m
            s = max(1, min(s, math.floor(survivors * (n / anchor) ** -alpha)))
            keep = s if keep is None else keep
            if s <= 1 or n >= n_queries:
                return total, keep
            m = _next_reach(n, s, first, n_queries)

    low, high = 0.0, 64.0  # spend falls as alpha grows; the gentlest alpha within the budget
    if plan(low)[0] <= remaining:
        return upto, survivors
    for _ in range(40):
        mid = (low + high) / 2
        low, high = (low, mid) if plan(mid)[0] <= remaining else (mid, high)
    spend, keep = plan(high)
    if keep == 1 or spend > remaining:  # the last round the budget pays for: whatever is left goes to it,
        upto = min(n_queries, reach + remaining // survivors)  # and what cannot give everyone one more
        left = remaining - survivors * (upto - reach)  # question goes to the best so far, one more each
        return upto, max(1, min(survivors - 1, left)) if upto < n_queries else 1
    # what the plan leaves over (its rounds are whole questions) goes to this round, not back unspent
    return min(n_queries, upto + (remaining - spend) // survivors), keep


def _halving(
    candidates: Sequence[Hashable], queries: Sequence[Hashable], oracle: Oracle, budget: int, *, seed: int,
    strategy: str, shared: bool, first_keep: int | None, keep_fraction: float, first_share: float | None, cut: Cut,
    shuffle: bool = True, power: bool = False,
) -> SearchResult:
    """The elimination loop every strategy that cuts the pool round by round shares.

    ``power``: the power-law schedule (:func:`_power_round`). Otherwise halving's: each round gets an
    equal share of what is left over the rounds still planned (so budget left unspent by a capped
    round rolls over), split equally among the survivors; the first round gets at least
    ``first_share`` of the budget. Budget the later rounds could not spend (the last survivors run out
    of queries) is given to the earlier round instead of being left over. In both, when the budget
    cannot give every survivor one more query, the round is cut to the survivors it can pay for. The
    running estimate of a survivor uses every answer it gave so far. The budget is never exceeded.
    """
    validate_search(candidates, queries, budget)
    if first_share is not None and not 0 < first_share < 1:
        raise ValueError(f"first_share must be in (0, 1), got {first_share}")
    rng = np.random.default_rng(seed)
    answers = _Answers(np.asarray(queries), oracle, shared, rng, shuffle)
    result = SearchResult(strategy, None, budget, 0, seed=seed)
    survivors = list(candidates)
    n_queries = len(queries)
    first_screen = max(1, math.ceil(FIRST_SCREEN * budget / len(candidates)))
    while len(survivors) > 1:
        reach = max(answers.n(c) for c in survivors)
        remaining = budget - result.spent
        if remaining < 1 or reach >= n_queries:
            break
        if remaining < len(survivors):  # too little for everyone: the best so far (random on no data) go on
            survivors = answers.best_first(survivors)[:remaining]
            if len(survivors) == 1:
                break
        if power:
            upto, planned_keep = _power_round(len(survivors), reach, remaining, n_queries, first_screen)
            step, cuts = upto - reach, planned_keep < len(survivors)
        else:
            plan = survivor_schedule(len(survivors), None if result.rounds else first_keep, keep_fraction)
            planned_keep, cuts = (plan[1] if len(plan) > 1 else 1), len(plan) > 1
            floor = int(budget * first_share) if first_share is not None and not result.rounds else 0
            step = _round_step(plan, remaining, n_queries - reach, floor)
        survivors, spent = _ask(answers, survivors, reach + step, result)
        result.spent += spent
        ranked = answers.best_first(survivors)
        first_cut = all(len(r.kept) == len(r.survivors) for r in result.rounds)
        keep = cut(answers, ranked, planned_keep, first_cut) if cuts else len(ranked)
        result.rounds.append(RoundRecord(
            len(result.rounds), list(ranked), min(reach + step, n_queries), spent, result.spent,
            [answers.estimate(c) for c in ranked], ranked[:keep],
        ))
        survivors = ranked[:keep]
    if power and survivors and all(answers.n(c) >= n_queries for c in survivors):
        survivors = _revive(answers, survivors, budget, result)
    result.pick = _pick(answers, survivors, result)
    return result


def _revive(answers: _Answers, survivors: list[Hashable], budget: int, result: SearchResult) -> list[Hashable]:
    """Budget left once every survivor has answered every question goes to the candidates cut last
    (most answers first, then best estimate): each one the budget can complete answers the rest of the
    task and joins the final comparison, on the same footing. The plan's rounds are whole questions
    and cuts whole candidates, so a few hundred answers can be left over; unspent they would be waste.
    """
    n_queries = len(answers.queries)
    cut = [c for c in answers.rows if c not in survivors and c not in result.failures]
    cut.sort(key=lambda c: (-answers.n(c), -answers.estimate(c).accuracy))
    revived, spent = [], 0
    for cand in cut:
        if n_queries - answers.n(cand) > budget - result.spent - spent:
            break
        alive, asked = _ask(answers, [cand], n_queries, result)
        spent += asked
        revived += alive
    if not revived:
        return survivors
    result.spent += spent
    ranked = answers.best_first(survivors + revived)
    result.rounds.append(RoundRecord(len(result.rounds), ranked, n_queries, spent, result.spent,
                                     [answers.estimate(c) for c in ranked], ranked[:1]))
    return ranked


def search(candidates: Sequence[Hashable], queries: Sequence[Hashable], oracle: Oracle, budget: int, *, seed: int) -> SearchResult:
    """The default search (strategy ``adaptive``): the stable entry point for any outcome data.

    Shared query sets. In pools of more than :data:`HALVING_UP_TO` candidates, a first screen of
    :data:`FIRST_SCREEN` of each candidate's budget that cuts nobody, then survivors falling as a power
    of the questions answered (:func:`_power_round`), and budget left once the last survivors have
    answered every question completes the candidates cut last (:func:`_revive`); in smaller pools,
    halving's schedule. In both, the first cut keeps every candidate tied at the cut-off score (up
    to :data:`TIE_CAP` times the planned survivors) and every cut drops those a paired test puts
    clearly behind the leader (:data:`CUT_ALPHA`). ``oracle`` answers ``(candidate, query_ids)``
    with 0/1 correctness; ``budget`` counts (candidate, query) answers and is never exceeded;
    ``seed`` fixes the query order and tie-breaks (the result carries it). Returns a
    :class:`SearchResult` (``pick``, ``spent``, ``rounds``, ``failures``).
    """
    return _default(candidates, queries, oracle, budget, seed, DEFAULT_STRATEGY)


def search_in_order(candidates: Sequence[Hashable], queries: Sequence[Hashable], oracle: Oracle, budget: int, *, seed: int) -> SearchResult:
    """The default search asking the shared questions in the order given instead of a random one.

    For references only (bench/gems.py's oracle order, told which questions are most informative at
    the top of the pool), never for a run: a question nobody has answered yet says nothing about
    itself, so a real search cannot order unseen questions better than at random, and a fixed order
    would screen every run on the same first questions.
    """
    return _default(candidates, queries, oracle, budget, seed, f"{DEFAULT_STRATEGY}_in_order", shuffle=False)


def _default(
    candidates: Sequence[Hashable], queries: Sequence[Hashable], oracle: Oracle, budget: int, seed: int, strategy: str, *,
    shuffle: bool = True,
) -> SearchResult:
    """The default's rules on the schedule its pool size calls for (:data:`HALVING_UP_TO`), in one
    place for :func:`search` and :func:`search_in_order`."""
    return _with_rules(candidates, queries, oracle, budget, seed, strategy, shuffle=shuffle,
                       power=len(candidates) > HALVING_UP_TO)


def adaptive_halving(candidates: Sequence[Hashable], queries: Sequence[Hashable], oracle: Oracle, budget: int, *, seed: int) -> SearchResult:
    """The default's rules on halving's schedule in every pool (strategy ``adaptive_halving``; the default
    until the power-law schedule beat it in larger pools). Same arguments and result as :func:`search`."""
    return _with_rules(candidates, queries, oracle, budget, seed, "adaptive_halving")


def _with_rules(
    candidates: Sequence[Hashable], queries: Sequence[Hashable], oracle: Oracle, budget: int, seed: int, strategy: str, *,
    shuffle: bool = True, power: bool = False,
) -> SearchResult:
    """The default's cut rules (:func:`_adaptive_cut`), one body for the default and :func:`adaptive_halving`,
    so they differ in how the questions are ordered or how many survive each round only."""
    return _halving(candidates, queries, oracle, budget, seed=seed, strategy=strategy, shared=True, first_keep=None,
                    keep_fraction=0.5, first_share=None, cut=_adaptive_cut(CUT_ALPHA), shuffle=shuffle, power=power)


def paper_schedule(
    candidates: Sequence[Hashable], queries: Sequence[Hashable], oracle: Oracle, budget: int, *, seed: int,
    first_keep: int = FIRST_KEEP, first_share: float | None = FIRST_SHARE, keep_fraction: float = 0.5,
) -> SearchResult:
    """The study's schedule (strategy ``aggressive``): shared queries, a first cut straight to
    ``first_keep`` (100), then keeping ``keep_fraction`` per round; the first round funded with
    ``first_share`` of the budget (``None``: an equal share, as in the paper)."""
    return _halving(candidates, queries, oracle, budget, seed=seed, strategy="aggressive", shared=True,
                    first_keep=first_keep, keep_fraction=keep_fraction, first_share=first_share, cut=_planned_cut)


def halving(candidates: Sequence[Hashable], queries: Sequence[Hashable], oracle: Oracle, budget: int, *, seed: int) -> SearchResult:
    """Standard sequential halving (Karnin et al. 2013; strategy ``halving``): each candidate on its own queries."""
    return _halving(candidates, queries, oracle, budget, seed=seed, strategy="halving", shared=False, first_keep=None,
                    keep_fraction=0.5, first_share=None, cut=_planned_cut)


def shared_halving(candidates: Sequence[Hashable], queries: Sequence[Hashable], oracle: Oracle, budget: int, *, seed: int) -> SearchResult:
    """Sequential halving on shared query sets (strategy ``shared_halving``): what sharing alone buys."""
    return _halving(candidates, queries, oracle, budget, seed=seed, strategy="shared_halving", shared=True, first_keep=None,
                    keep_fraction=0.5, first_share=None, cut=_planned_cut)


def uniform(
    candidates: Sequence[Hashable], queries: Sequence[Hashable], oracle: Oracle, budget: int, *, seed: int
) -> SearchResult:
    """Every candidate answers the same ``budget // len(candidates)`` queries; the best is picked
    (a pool of one is picked without a query: there is nothing to compare)."""
    validate_search(candidates, queries, budget)
    if len(candidates) == 1:
        return SearchResult("uniform", candidates[0], budget, 0, seed=seed)
    return _one_round("uniform", candidates, queries, oracle, budget // len(candidates), budget, seed)


def exhaustive(candidates: Sequence[Hashable], queries: Sequence[Hashable], oracle: Oracle, *, seed: int) -> SearchResult:
    """Every candidate answers every query: the reference the budgets are measured against."""
    validate_search(candidates, queries, None)
    return _one_round("exhaustive", candidates, queries, oracle, len(queries), None, seed)


def _one_round(
    name: str, candidates: Sequence[Hashable], queries: Sequence[Hashable], oracle: Oracle, per: int, budget: int | None, seed: int
) -> SearchResult:
    answers = _Answers(np.asarray(queries), oracle, True, np.random.default_rng(seed))
    result = SearchResult(name, None, budget, 0, seed=seed)
    alive, result.spent = _ask(answers, list(candidates), per, result)
    ranked = answers.best_first(alive)
    result.rounds.append(RoundRecord(0, ranked, min(per, len(queries)), result.spent, result.spent, [answers.estimate(c) for c in ranked], ranked[:1]))
    result.pick = _pick(answers, ranked, result)
    return result


def random_pick(candidates: Sequence[Hashable], *, seed: int, failed: Mapping[Hashable, str] | None = None) -> SearchResult:
    """A candidate chosen at random among those not known to fail, without any query: the floor
    every method must beat (a pick that cannot run is no pick)."""
    validate_search(candidates, [0], None)
    usable = [c for c in candidates if c not in (failed or {})]
    if not usable:
        raise AllCandidatesFailed(f"random: every candidate failed ({len(candidates)})")
    rng = np.random.default_rng(seed)
    return SearchResult("random", usable[int(rng.integers(len(usable)))], 0, 0, seed=seed)


def most_downloaded(
    candidates: Sequence[Hashable], downloads: Mapping[Hashable, float], failed: Mapping[Hashable, str] | None = None
) -> SearchResult:
    """The popular choice: the most downloaded candidate not known to fail, without any query."""
    validate_search(candidates, [0], None)
    usable = [c for c in candidates if c not in (failed or {})]
    if not usable:
        raise AllCandidatesFailed(f"most_downloaded: every candidate failed ({len(candidates)})")
    return SearchResult("most_downloaded", max(usable, key=lambda c: downloads.get(c, 0) or 0), 0, 0)


BUDGETED: dict[str, Callable[..., SearchResult]] = {
    DEFAULT_STRATEGY: search, "adaptive_halving": adaptive_halving, "aggressive": paper_schedule,
    "shared_halving": shared_halving, "halving": halving, "uniform": uniform,
}
"""The budgeted strategies by name, each ``(candidates, queries, oracle, budget, *, seed)``."""
STRATEGIES = (*BUDGETED, "exhaustive", "random", "most_downloaded")
"""Every strategy a search run can name; the asset runs all of them unless told otherwise."""
