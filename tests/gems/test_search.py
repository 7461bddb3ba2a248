"""The search on simulated arms: finds the best with the stated probability, never overspends."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assets.gems.search import (
    FIRST_KEEP,
    FIRST_SHARE,
    CandidateFailed,
    exhaustive,
    most_downloaded,
    random_pick,
    sequential_halving,
    survivor_schedule,
    uniform,
)
from assets.gems.simulate import DISCRIMINATION, GEM_SKEWED, GemSkew, agreement, simulated_pool


def bernoulli_oracle(means: np.ndarray, n_queries: int, seed: int):
    """Independent Bernoulli arms: every (arm, query) answer drawn once, so repeats are consistent."""
    outcomes = np.random.default_rng(seed).random((len(means), n_queries)) < means[:, None]
    asked: list[tuple[int, int]] = []

    def oracle(arm: int, ids: np.ndarray) -> np.ndarray:
        asked.extend((arm, int(q)) for q in ids)
        return outcomes[arm, ids]

    return oracle, asked


def test_halving_finds_a_clearly_best_arm_with_the_stated_probability() -> None:
    """Stated: one arm at 0.8 among 31 at 0.6, 60 queries per arm -> found in >= 93% of seeds
    (measured 95% over these 200 seeds); uniform allocation of the same budget does worse."""
    means = np.array([0.8] + [0.6] * 31)
    wins = {"halving": 0, "uniform": 0}
    for seed in range(200):
        oracle, _ = bernoulli_oracle(means, 1000, seed)
        wins["halving"] += sequential_halving(list(range(32)), np.arange(1000), oracle, 60 * 32, seed=seed).pick == 0
        wins["uniform"] += uniform(list(range(32)), np.arange(1000), oracle, 60 * 32, seed=seed).pick == 0
    assert wins["halving"] / 200 >= 0.93
    assert wins["halving"] > wins["uniform"]


@pytest.mark.parametrize("first_keep,first_share", [(None, None), (10, None), (10, FIRST_SHARE), (None, 0.9)])
@pytest.mark.parametrize("n_arms,budget", [(7, 7), (50, 61), (50, 1234), (200, 5000), (3, 10_000)])
def test_budget_is_never_exceeded_and_no_query_is_asked_twice(
    n_arms: int, budget: int, first_keep: int | None, first_share: float | None
) -> None:
    means = np.linspace(0.2, 0.9, n_arms)
    for seed in range(5):
        oracle, asked = bernoulli_oracle(means, 300, seed)
        result = sequential_halving(list(range(n_arms)), np.arange(300), oracle, budget,
                                    first_keep=first_keep, first_share=first_share, seed=seed)
        assert result.spent == len(asked) <= budget
        assert len(set(asked)) == len(asked)
        assert result.rounds[-1].spent_total == result.spent


def test_shared_rounds_ask_every_survivor_the_same_queries() -> None:
    oracle, asked = bernoulli_oracle(np.linspace(0.3, 0.7, 16), 500, 0)
    sequential_halving(list(range(16)), np.arange(500), oracle, 16 * 20, seed=1)
    first = {q for a, q in asked if a == 0}
    for arm in range(16):
        mine = [q for a, q in asked if a == arm]
        assert set(mine) <= first or first <= set(mine)  # prefixes of one order


def test_a_funded_first_round_screens_everyone_then_later_rounds_share_the_rest_equally() -> None:
    oracle, _ = bernoulli_oracle(np.linspace(0.3, 0.7, 400), 3000, 0)
    budget = 60 * 400
    equal = sequential_halving(list(range(400)), np.arange(3000), oracle, budget, first_keep=100, seed=0)
    funded = sequential_halving(list(range(400)), np.arange(3000), oracle, budget, first_keep=100, first_share=0.3, seed=0)
    assert equal.rounds[0].queries_per_survivor == budget // len(survivor_schedule(400, 100)) // 400  # 7 of 8 rounds
    assert funded.rounds[0].queries_per_survivor == int(0.3 * budget) // 400 == 18
    assert [len(r.survivors) for r in funded.rounds] == [len(r.survivors) for r in equal.rounds]
    later = [r.spent for r in funded.rounds[1:]]
    assert max(later) - min(later) <= len(funded.rounds[1].survivors)  # equal shares, up to rounding
    assert funded.spent <= budget
    with pytest.raises(ValueError, match="first_share"):
        sequential_halving([0, 1], np.arange(10), oracle, 20, first_share=1.0)


def test_schedules() -> None:
    assert len(survivor_schedule(1000)) == math.ceil(math.log2(1000))
    assert survivor_schedule(1000, first_keep=100)[:3] == [1000, 100, 50]
    assert survivor_schedule(1) == [1]
    with pytest.raises(ValueError, match="keep_fraction"):
        survivor_schedule(10, keep_fraction=1.0)


@pytest.mark.parametrize(
    "cands,queries,budget,message",
    [([], [1], 10, "pool is empty"), ([1, 2], [], 10, "no queries"), ([1, 2, 3], [1], 2, "smaller than one query per candidate")],
)
def test_impossible_searches_fail_before_any_evaluation(cands, queries, budget, message) -> None:
    def oracle(*_):
        raise AssertionError("no candidate may be evaluated")

    with pytest.raises(ValueError, match=message):
        sequential_halving(cands, queries, oracle, budget)
    with pytest.raises(ValueError, match=message):
        uniform(cands, queries, oracle, budget)


def test_failed_candidates_are_recorded_and_the_search_goes_on() -> None:
    means = np.array([0.5, 0.9, 0.4, 0.3])
    base, _ = bernoulli_oracle(means, 400, 0)

    def oracle(arm: int, ids: np.ndarray) -> np.ndarray:
        if arm == 2:
            raise CandidateFailed("no weights")
        return base(arm, ids)

    result = sequential_halving([0, 1, 2, 3], np.arange(400), oracle, 400)
    assert result.failures == {2: "no weights"}
    assert result.pick == 1
    assert all(2 not in r.survivors for r in result.rounds)


def test_answers_a_candidate_gave_before_failing_count_against_the_budget() -> None:
    """An evaluator stores answers chunk by chunk; a candidate that fails on a later chunk has
    still cost those queries, so the search must charge them or it would overspend."""
    means = np.array([0.5, 0.9, 0.4, 0.3])
    base, asked = bernoulli_oracle(means, 400, 0)

    def oracle(arm: int, ids: np.ndarray) -> np.ndarray:
        if arm == 2:
            base(arm, ids[: len(ids) // 2])  # half the chunk answered, then out of memory
            raise CandidateFailed("out of memory at batch size 1", answered=len(ids) // 2)
        return base(arm, ids)

    budget = 400
    result = sequential_halving([0, 1, 2, 3], np.arange(400), oracle, budget)
    assert result.spent == len(asked) <= budget
    assert result.failures == {2: "out of memory at batch size 1"}


def test_baselines() -> None:
    means = np.array([0.2, 0.95, 0.5])
    oracle, _ = bernoulli_oracle(means, 200, 0)
    full = exhaustive([0, 1, 2], np.arange(200), oracle)
    assert full.pick == 1 and full.spent == 600
    assert uniform([0, 1, 2], np.arange(200), oracle, 31).spent == 30
    assert most_downloaded([0, 1, 2], {0: 10, 1: 1, 2: 5}).pick == 0
    assert {random_pick([0, 1, 2], seed=s).pick for s in range(20)} == {0, 1, 2}


def test_shared_queries_with_a_hard_first_cut_beat_standard_halving_on_realistic_pools() -> None:
    """Item-response pools (question difficulty shared by all candidates), 60 queries per model."""
    hits = {"aggressive": 0, "halving": 0}
    for seed in range(12):
        pool = simulated_pool(["llama3.1_8b", "qwen2.5_7b", "qwen2.5_3b"][seed % 3], 500, 3000, seed)
        top = pool.top(0.01)
        args = (list(range(pool.size)), np.arange(3000), pool.oracle, 60 * pool.size)
        hits["aggressive"] += sequential_halving(*args, first_keep=100, seed=seed).pick in top
        hits["halving"] += sequential_halving(*args, shared=False, seed=seed).pick in top
    assert hits["aggressive"] > hits["halving"]


def test_aggressive_shared_search_finds_a_gem_on_gem_skewed_pools_within_budget() -> None:
    """The issue's stated distribution (most near the base, ~1.5% far better): at 1/50 of exhaustive
    (60 of 3,000 queries per model) the aggressive shared schedule picks a top-1% candidate in a
    large share of seeds (measured 40/40 over seeds 1000-1039 with the funded first round, 39/40
    without), and never spends more than the budget."""
    hits, seeds = 0, 20
    for seed in range(seeds):
        pool = simulated_pool(GEM_SKEWED, 300, 3000, 1000 + seed)
        budget = 60 * pool.size
        result = sequential_halving(list(range(pool.size)), np.arange(3000), pool.oracle, budget,
                                    first_keep=FIRST_KEEP, first_share=FIRST_SHARE, seed=seed)
        assert result.spent <= budget
        assert result.rounds[-1].spent_total == result.spent
        hits += result.pick in pool.top(0.01)
    assert hits >= 18, f"top-1% found in {hits}/{seeds} seeds"


def test_gem_skewed_pools_have_the_stated_shape() -> None:
    params = GemSkew()
    pool = simulated_pool(GEM_SKEWED, 1000, 200, 0)
    acc = pool.accuracy
    gems = acc > params.base + params.gem_lift[0] - 1e-9
    assert gems.sum() == round(params.gem_share * 1000)
    assert abs(np.median(acc) - params.base) < 0.01
    assert (acc < params.base - params.broken_drop[0] + 1e-9).sum() >= round(params.broken_share * 1000)


def test_discrimination_sets_how_alike_candidates_answer_but_not_their_accuracy() -> None:
    """The bench's --discrimination knob must change only agreement on shared questions: each
    candidate still scores its target accuracy over the task, at any setting."""
    coin = 0.7**2 + 0.3**2  # two independent 70% coins agree this often
    assert coin < agreement(1.0) < agreement(DISCRIMINATION) < agreement(5.0)
    assert 0.88 < agreement(DISCRIMINATION) < 0.93
    alike = []
    for discrimination in (1.0, DISCRIMINATION, 6.0):
        pool = simulated_pool("llama3.1_8b", 200, 3000, 5, discrimination=discrimination)
        assert np.abs(pool.task_accuracy - pool.accuracy).max() < 0.05
        assert abs((pool.task_accuracy - pool.accuracy).mean()) < 0.005
        head = pool.outcomes[:40]
        alike.append((head[:, None, :] == head[None, :, :]).mean())
    assert alike[0] < alike[1] < alike[2]
