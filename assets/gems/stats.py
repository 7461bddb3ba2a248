"""Interval estimates and tests on per-query correctness (shared by the search and the leaderboard).

Accuracies here come from a few dozen Bernoulli outcomes, so normal-approximation intervals are
badly off near 0 and 1: Wilson's score interval stays inside [0, 1] and keeps its coverage.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps

def wilson_interval(correct: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for ``correct`` successes out of ``n`` (``(0, 1)`` when ``n == 0``)."""
    if n <= 0:
        return 0.0, 1.0
    ci = sps.binomtest(int(correct), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def better_p_value(a_correct: int, a_n: int, b_correct: int, b_n: int) -> float:
    """One-sided p-value that A's accuracy exceeds B's (two-proportion z-test, pooled variance).

    Used to call a candidate "significantly better" than the most popular one; with no data on
    either side the answer is 1.0 (nothing is significant).
    """
    if a_n == 0 or b_n == 0:
        return 1.0
    pooled = (a_correct + b_correct) / (a_n + b_n)
    se = math.sqrt(pooled * (1 - pooled) * (1 / a_n + 1 / b_n))
    diff = a_correct / a_n - b_correct / b_n
    if se == 0:
        return 0.0 if diff > 0 else 1.0
    return float(sps.norm.sf(diff / se))


def significantly_better_counts(correct: np.ndarray, n: np.ndarray, alpha: float) -> np.ndarray:
    """For each candidate, how many others are significantly better than it (the same one-sided
    pooled z-test as :func:`better_p_value`, all pairs at once: pools have thousands of candidates)."""
    c, n = np.asarray(correct, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = c / n
        pooled = (c[:, None] + c[None, :]) / (n[:, None] + n[None, :])
        se = np.sqrt(pooled * (1 - pooled) * (1 / n[:, None] + 1 / n[None, :]))
        diff = p[:, None] - p[None, :]  # row j better than column i
        pval = np.where(se > 0, sps.norm.sf(diff / np.where(se > 0, se, 1)), np.where(diff > 0, 0.0, 1.0))
    pval = np.where((n[:, None] > 0) & (n[None, :] > 0), pval, 1.0)
    np.fill_diagonal(pval, 1.0)
    return (pval < alpha).sum(axis=0)


def rank_desc(values: np.ndarray) -> np.ndarray:
    """1-based competition ranks, highest value first (ties share the better rank)."""
    order = sps.rankdata(-np.asarray(values, dtype=float), method="min")
    return order.astype(int)


def agreement_at(kappa: float, accuracy: float = 0.7) -> float:
    """The share of questions two candidates of equal ``accuracy`` answer alike at Cohen's ``kappa``.

    The bench states how alike a pool answers as the agreement of two equal 70% candidates
    (``simulate.AGREEMENT_LEVELS``); kappa removes what the accuracies give by chance, so a real pool's
    kappa, measured on whatever accuracies its top has, reads as one of those levels.
    """
    chance = accuracy ** 2 + (1 - accuracy) ** 2
    return chance + (1 - chance) * kappa
