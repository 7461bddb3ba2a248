"""Simulated candidate pools for testing and benchmarking the search without loading any model.

Why an item-response model: shared query sets only help because candidates' answers to the same
question are correlated (a hard question is hard for everyone). Simulating each candidate as an
independent coin with its mean accuracy reproduces plain halving but hides exactly the effect the
study's method exploits. Here candidate ``i``'s answers follow a two-parameter logistic model,
weight ``exp(a_j * (theta_i - b_j))`` for query ``j``: difficulty ``b_j ~ N(0, 2.5)``,
discrimination ``a_j ~ LogNormal(log d, 0.3)``; each candidate answers exactly its target share of
the task right (its marginal accuracy is exact, so the truth never moves with the correlation).
``d`` sets how alike two candidates answer: at the default two of equal accuracy (~70%) agree on
~91% of the questions, as fine-tunes of one base largely do; :data:`AGREEMENT_LEVELS` spans 65%
(little more than independent coins' 58%, where a shared query set buys little) to 95%.
:data:`STRUCTURES` adds near-duplicate clusters and skill blocks.

Target accuracies follow the study's published pools: RouterBench scores of 1,956 models of four
model trees, digitised from the paper's atlas figures (``data/atlas_scores.csv``, provenance in
``data/README.md``). Most candidates sit near (or below) the base model and a handful are far
better, the skew the study reports. Scores clipped at a figure's colour-bar floor are drawn
uniformly in the 10 points below it. Download counts come from the atlas circle radius (a log
scale), so the most-downloaded baseline meets a realistic popular model.

Two pool distributions, chosen by name in :func:`simulated_pool`:

* ``atlas`` (one of the four tree names above): the digitised scores as they are. In these
  figures the top 1% of a tree lie within tenths of a point of each other, so "a top-1% model"
  is a hard target at small pools.
* ``gem_skewed`` (:data:`GEM_SKEWED`, :class:`GemSkew`): the issue's stated distribution, the
  shape the study describes in words: most fine-tunes near the base, a small heavy right tail of
  far better ones (its Llama-3.1-8B example lifts GSM8K from 83.2% to 96.0%, +12.8 points), and a
  share of broken or worse ones. Downloads are heavy-tailed and independent of quality (the study:
  under 0.15% of models take 95% of downloads; here milder, see :class:`GemSkew`). The
  item-response model is the same for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from scipy.special import expit

DATA = Path(__file__).parent / "data"
ATLAS = DATA / "atlas_scores.csv"
FLOORS = {"llama3.1_8b": 60.0, "mistral_7b": 50.0, "qwen2.5_3b": 65.0, "qwen2.5_7b": 60.0}
"""RouterBench colour-bar floor of each tree's atlas figure (values at the floor are upper bounds)."""


@dataclass
class SimulatedPool:
    """A pool with known truth: expected accuracies, downloads and the full outcome matrix."""

    tree: str
    accuracy: np.ndarray  # expected accuracy per candidate, shape (K,)
    downloads: np.ndarray  # shape (K,)
    outcomes: np.ndarray  # bool, shape (K, Q): the answers exhaustive evaluation would see
    items: ItemParameters | None = None  # the true item parameters: for reference strategies only, never a search

    @property
    def size(self) -> int:
        return int(self.outcomes.shape[0])

    @property
    def n_queries(self) -> int:
        return int(self.outcomes.shape[1])

    @property
    def task_accuracy(self) -> np.ndarray:
        """Accuracy over the whole task: what "the best candidate" means for exhaustive evaluation."""
        return self.outcomes.mean(axis=1)

    def top(self, share: float) -> set[int]:
        """Candidates in the top ``share`` by task accuracy (at least one; ties at the cut included)."""
        acc = self.task_accuracy
        k = max(1, int(np.ceil(share * self.size)))
        cut = np.sort(acc)[::-1][k - 1]
        return set(np.flatnonzero(acc >= cut).tolist())

    def best(self) -> set[int]:
        acc = self.task_accuracy
        return set(np.flatnonzero(acc == acc.max()).tolist())

    def oracle(self, candidate: int, query_ids: np.ndarray) -> np.ndarray:
        return self.outcomes[candidate, query_ids]


def load_atlas(tree: str | None = None) -> pl.DataFrame:
    """The shipped atlas scores (one row per model), optionally one tree only."""
    frame = pl.read_csv(ATLAS)
    if tree is not None:
        if tree not in FLOORS:
            raise ValueError(f"unknown tree {tree!r}; the atlas has {sorted(FLOORS)}")
        frame = frame.filter(pl.col("tree") == tree)
    return frame


def target_accuracies(atlas: pl.DataFrame, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``size`` (accuracy, downloads) pairs from one tree's atlas rows.

    Without replacement when the tree is large enough, else with replacement plus a 0.3-point
    jitter so duplicates are distinct models of near-equal quality.
    """
    tree = atlas["tree"][0]
    score = atlas["routerbench"].to_numpy().astype(float)
    clipped = atlas["routerbench_clipped"].to_numpy().astype(bool)
    score = np.where(clipped, FLOORS[tree] - rng.uniform(0, 10, len(score)), score)
    score = score + rng.uniform(-0.15, 0.15, len(score))  # the colour bar's step
    idx = rng.choice(len(score), size, replace=size > len(score))
    acc = score[idx] / 100
    if size > len(score):
        acc = acc + rng.normal(0, 0.003, size)
    downloads = np.round(10 ** (6 * atlas["radius"].to_numpy()[idx] / atlas["radius"].max()))
    return np.clip(acc, 0.01, 0.99), downloads


DISCRIMINATION = 2.1
"""Median item discrimination: two candidates of equal accuracy (~70%) agree on ~91% of questions.
No per-question outcomes of a real model tree were at hand to fit it; :data:`AGREEMENT_LEVELS` and
bench/gems.py's ``--agreement`` show how the verdicts move with it."""

STRUCTURES = ("plain", "clusters", "skills")
"""How answers are correlated beyond one difficulty per question: ``plain`` (the 2PL model alone),
``clusters`` (near-duplicate fine-tunes in threes: each shares its cluster head's answers but for a
few, as re-uploads and tiny merges of one checkpoint do), ``skills`` (the task falls into
:data:`SKILL_BLOCKS` blocks of questions and each candidate is stronger on some than others)."""
SKILL_BLOCKS = 5
SKILL_SD = 1.0
"""Spread of a candidate's per-block ability (2PL ability units; difficulties spread 2.5)."""
CLUSTER_SIZE = 3
CLUSTER_SWAPS = 0.01
"""Share of questions on which a cluster member's answer differs from its head's (beyond those needed
to reach its own accuracy): members agree on ~98% of questions."""


@dataclass(frozen=True)
class ItemParameters:
    """The 2PL parameters the answers were drawn from: per question a difficulty and a discrimination,
    per candidate an ability. A search never sees them; the bench's oracle reference does (it bounds
    what a search that estimates them from answers, as tinyBenchmarks does, could gain)."""

    difficulty: np.ndarray  # (Q,)
    discrimination: np.ndarray  # (Q,)
    ability: np.ndarray  # (K,), before skill blocks


def item_response_outcomes(
    accuracy: np.ndarray, n_queries: int, rng: np.random.Generator, difficulty_sd: float = 2.5,
    discrimination: float = DISCRIMINATION, structure: str = "plain",
) -> np.ndarray:
    """Sample a (K, Q) correctness matrix from a 2PL model whose row sums are exact (see
    :func:`item_response_draw`, which also returns the item parameters)."""
    return item_response_draw(accuracy, n_queries, rng, difficulty_sd, discrimination, structure)[0]


def item_response_draw(
    accuracy: np.ndarray, n_queries: int, rng: np.random.Generator, difficulty_sd: float = 2.5,
    discrimination: float = DISCRIMINATION, structure: str = "plain",
) -> tuple[np.ndarray, ItemParameters]:
    """Sample a (K, Q) correctness matrix from a 2PL model whose row sums are exact, with its parameters.

    Candidate ``i`` gets exactly ``round(accuracy_i * Q)`` right answers, chosen without replacement
    with weights ``exp(a_j * (theta_i - b_j))`` (Gumbel top-k): each model's accuracy over the task is
    its target to 1/(2Q), so only the correlation between candidates varies with the parameters,
    never the truth the search is judged against. ``theta_i`` is solved so that the 2PL's expected
    accuracy equals the target as well, which keeps the sampled rows close to plain 2PL draws.
    """
    if structure not in STRUCTURES:
        raise ValueError(f"unknown answer structure {structure!r}; expected one of {STRUCTURES}")
    b = rng.normal(0, difficulty_sd, n_queries)
    a = rng.lognormal(np.log(discrimination), 0.3, n_queries)
    grid = np.linspace(-15, 15, 3001)
    expected = expit(a[None, :] * (grid[:, None] - b[None, :])).mean(axis=1)  # increasing
    theta = np.interp(accuracy, expected, grid)
    ability = np.repeat(theta[:, None], n_queries, axis=1)
    if structure == "skills":
        block = rng.integers(SKILL_BLOCKS, size=n_queries)
        ability = ability + rng.normal(0, SKILL_SD, (len(accuracy), SKILL_BLOCKS))[:, block]
    keys = a[None, :] * (ability - b[None, :]) + rng.gumbel(size=(len(accuracy), n_queries))
    k = np.clip(np.round(np.asarray(accuracy) * n_queries).astype(int), 0, n_queries)
    kth = np.take_along_axis(np.sort(keys, axis=1), np.clip(n_queries - k, 0, n_queries - 1)[:, None], axis=1)
    outcomes = (keys >= kth) & (k[:, None] > 0)  # the k largest keys of each row (ties have probability 0)
    if structure == "clusters":
        outcomes = _near_duplicates(outcomes, rng)
    return outcomes, ItemParameters(b, a, theta)


def _near_duplicates(outcomes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rewrite candidates in groups of :data:`CLUSTER_SIZE`: the first keeps its answers, the others
    copy them and then change just enough to keep their own exact score, plus a few swaps."""
    out = outcomes.copy()
    n_queries = out.shape[1]
    swaps = max(1, round(CLUSTER_SWAPS * n_queries / 2))
    order = rng.permutation(len(out))
    for start in range(0, len(order), CLUSTER_SIZE):
        head, *members = order[start:start + CLUSTER_SIZE]
        for m in members:
            want = int(outcomes[m].sum())
            row = out[head].copy()
            right, wrong = np.flatnonzero(row), np.flatnonzero(~row)
            delta = want - len(right)
            if delta > 0:
                row[rng.choice(wrong, delta, replace=False)] = True
            elif delta < 0:
                row[rng.choice(right, -delta, replace=False)] = False
            right, wrong = np.flatnonzero(row), np.flatnonzero(~row)
            s = min(swaps, len(right), len(wrong))
            row[rng.choice(right, s, replace=False)] = False
            row[rng.choice(wrong, s, replace=False)] = True
            out[m] = row
    return out


def agreement(discrimination: float = DISCRIMINATION, accuracy: float = 0.7, n_queries: int = 20_000, seed: int = 0) -> float:
    """Share of questions two candidates of equal ``accuracy`` answer alike (both right or both wrong).

    The one number that says how much a shared query set buys: independent coins at 70% agree on
    58%; the default item model gives ~91%.
    """
    outcomes = item_response_outcomes(np.array([accuracy, accuracy]), n_queries, np.random.default_rng(seed),
                                      discrimination=discrimination)
    return float((outcomes[0] == outcomes[1]).mean())


AGREEMENT_LEVELS = {0.65: 0.23, 0.75: 0.55, 0.87: 1.4, 0.91: DISCRIMINATION, 0.95: 4.1}
"""Agreement of two equal 70% candidates -> the discrimination that gives it (``agreement()``
measures each; tests/gems check them), from the issue's 65% to 95%."""


@dataclass(frozen=True)
class GemSkew:
    """The stated "gem-skewed" pool: a bulk near the base, a few far-better gems, some broken models.

    Every parameter is an assumption stated here, not a fit: the study gives the shape (most
    fine-tunes near the base, rare far-better ones) and one worked example, not a distribution.
    """

    base: float = 0.60
    """Base model's task accuracy: mid-range, so gains and losses both have room (and 2PL answers vary)."""
    bulk_sd: float = 0.02
    """Spread of ordinary fine-tunes around the base (2 points): most fine-tunes barely move a benchmark."""
    gem_share: float = 0.015
    """Share of gems (at least one per pool): 1.5%, so the top 1% are (mostly) gems, as the issue states."""
    gem_lift: tuple[float, float] = (0.08, 0.20)
    """Gems' lift over the base, uniform in this range: brackets the study's +12.8 points (83.2% -> 96.0%)."""
    broken_share: float = 0.10
    """Share of broken or badly tuned candidates (failed merges, over-fitted chat tunes) ..."""
    broken_drop: tuple[float, float] = (0.05, 0.40)
    """... which lose 5 to 40 points, uniform."""
    downloads_log10_sd: float = 1.2
    """Downloads are 10 ** |N(0, sd)| * 10 rounded, independent of quality: a heavy tail in which gems are
    as obscure as any other fine-tune (milder than the study's 0.15%-take-95%; only the
    most-downloaded baseline reads it)."""


GEM_SKEWED = "gem_skewed"
"""The name :func:`simulated_pool` takes for the stated gem-skewed distribution (the others are the atlas trees)."""


def gem_skewed_accuracies(size: int, rng: np.random.Generator, params: GemSkew = GemSkew()) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``size`` (accuracy, downloads) pairs from the gem-skewed distribution (a fixed gem count)."""
    n_gems = max(1, round(params.gem_share * size))
    n_broken = round(params.broken_share * size)
    acc = rng.normal(params.base, params.bulk_sd, size)
    kinds = rng.permutation(size)
    gems, broken = kinds[:n_gems], kinds[n_gems:n_gems + n_broken]
    acc[gems] = params.base + rng.uniform(*params.gem_lift, n_gems)
    acc[broken] = params.base - rng.uniform(*params.broken_drop, n_broken)
    downloads = np.round(10 * 10 ** np.abs(rng.normal(0, params.downloads_log10_sd, size)))
    return np.clip(acc, 0.01, 0.99), downloads


def simulated_pool(
    tree: str, size: int, n_queries: int, seed: int, gem_params: GemSkew | None = None,
    discrimination: float = DISCRIMINATION, structure: str = "plain",
) -> SimulatedPool:
    """One random pool of ``size`` candidates with a task of ``n_queries``.

    ``tree`` names the distribution: an atlas tree (digitised scores) or ``"gem_skewed"``
    (``gem_params``, default :class:`GemSkew`); ``discrimination`` sets how strongly candidates'
    answers to the same question agree (:data:`DISCRIMINATION`, :data:`AGREEMENT_LEVELS`), and
    ``structure`` adds near-duplicate clusters or skill blocks (:data:`STRUCTURES`).
    """
    rng = np.random.default_rng(seed)
    if tree == GEM_SKEWED:
        acc, downloads = gem_skewed_accuracies(size, rng, gem_params or GemSkew())
    else:
        acc, downloads = target_accuracies(load_atlas(tree), size, rng)
    outcomes, items = item_response_draw(acc, n_queries, rng, discrimination=discrimination, structure=structure)
    return SimulatedPool(tree, acc, downloads, outcomes, items)
