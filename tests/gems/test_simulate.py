"""The bench's simulator: exact accuracies, the stated agreement levels, clusters and skill blocks."""

from __future__ import annotations

import numpy as np
import pytest

from assets.gems.simulate import (
    AGREEMENT_LEVELS, CLUSTER_SIZE, GEM_SKEWED, STRUCTURES, GemSkew, agreement, item_response_outcomes, simulated_pool,
)


@pytest.mark.parametrize("structure", STRUCTURES)
@pytest.mark.parametrize("level", [0.65, 0.95])
def test_each_models_accuracy_over_the_task_is_its_target(structure: str, level: float) -> None:
    """Whatever the correlation, the truth a search is judged against must not move: every row has
    exactly round(target x Q) right answers."""
    pool = simulated_pool("llama3.1_8b", 90, 1000, 3, discrimination=AGREEMENT_LEVELS[level], structure=structure)
    assert np.array_equal(pool.outcomes.sum(axis=1), np.round(pool.accuracy * 1000).astype(int))


@pytest.mark.parametrize("level", sorted(AGREEMENT_LEVELS))
def test_agreement_levels_give_the_stated_agreement(level: float) -> None:
    """Two equal 70% candidates agree on the stated share (20,000 questions: within 1.5 points)."""
    assert abs(agreement(AGREEMENT_LEVELS[level]) - level) < 0.015


def test_independent_coins_are_the_floor_of_agreement() -> None:
    """Two independent 70% coins agree on 0.7^2 + 0.3^2 = 58%; the item model never agrees less."""
    assert 0.58 < agreement(0.01) < 0.60
    assert agreement(0.01) < agreement(AGREEMENT_LEVELS[0.65])


def test_cluster_members_answer_almost_like_their_head() -> None:
    """Within a cluster of three, two members differ on about 1% of questions plus the accuracy gap
    (a few tenths of a point); across clusters, on far more."""
    out = item_response_outcomes(np.full(30, 0.7), 2000, np.random.default_rng(0), structure="clusters")
    alike = (out[:, None, :] == out[None, :, :]).mean(axis=2)
    close = np.sort(alike, axis=1)[:, -CLUSTER_SIZE:-1]  # each candidate's two nearest others
    assert (close > 0.97).all()
    assert np.median(alike) < 0.95


def test_skill_blocks_make_candidates_disagree_more_than_plain_answers() -> None:
    plain = item_response_outcomes(np.full(40, 0.7), 2000, np.random.default_rng(1))
    skills = item_response_outcomes(np.full(40, 0.7), 2000, np.random.default_rng(1), structure="skills")
    mean_alike = [((o[:, None, :] == o[None, :, :]).mean(axis=2)).mean() for o in (plain, skills)]
    assert mean_alike[1] < mean_alike[0] - 0.02


def test_gem_skewed_pools_have_the_stated_shape() -> None:
    params = GemSkew()
    acc = simulated_pool(GEM_SKEWED, 1000, 200, 0).accuracy
    assert (acc > params.base + params.gem_lift[0] - 1e-9).sum() == round(params.gem_share * 1000)
    assert abs(np.median(acc) - params.base) < 0.01
    assert (acc < params.base - params.broken_drop[0] + 1e-9).sum() >= round(params.broken_share * 1000)


def test_unknown_structure_is_named() -> None:
    with pytest.raises(ValueError, match="unknown answer structure 'twins'"):
        item_response_outcomes(np.array([0.5]), 10, np.random.default_rng(0), structure="twins")
