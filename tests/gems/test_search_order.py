"""The reference search that asks questions in a given order (bench/gems.py's oracle order) and the
simulator's item parameters it is given: small hand-made cases whose answers follow by hand."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from assets.gems.search import search, search_in_order
from assets.gems.simulate import item_response_draw, item_response_outcomes, simulated_pool

# candidate 0 is right on the first two questions only, candidate 1 on the three after them: 1 is better
OUTCOMES = np.array([[1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 1, 0]], dtype=bool)


def recording_oracle(outcomes: np.ndarray):
    asked: list[tuple[int, int]] = []

    def oracle(cand: int, ids: np.ndarray) -> np.ndarray:
        asked.extend((cand, int(q)) for q in ids)
        return outcomes[cand, ids]

    return oracle, asked


def test_questions_are_asked_in_the_order_given() -> None:
    """A budget of two answers each: in the order 0..5 both answer questions 0 and 1 (candidate 0
    leads 2-0); in the reverse order questions 5 and 4 (candidate 1 leads 1-0)."""
    oracle, asked = recording_oracle(OUTCOMES)
    assert search_in_order([0, 1], [0, 1, 2, 3, 4, 5], oracle, 4, seed=0).pick == 0
    assert sorted(asked) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    oracle, asked = recording_oracle(OUTCOMES)
    result = search_in_order([0, 1], [5, 4, 3, 2, 1, 0], oracle, 4, seed=0)
    assert result.pick == 1 and result.strategy == "adaptive_in_order"
    assert sorted(asked) == [(0, 4), (0, 5), (1, 4), (1, 5)]


def test_every_seed_asks_the_given_order_and_the_default_shuffles_it() -> None:
    """The seed only breaks ties in the ordered search; the default draws its own order per seed, so
    over 20 seeds its first question is not always the first given (chance 1/6 each)."""
    firsts_in_order, firsts_default = set(), set()
    for seed in range(20):
        oracle, asked = recording_oracle(OUTCOMES)
        search_in_order([0, 1], [3, 0, 1, 2, 4, 5], oracle, 4, seed=seed)
        firsts_in_order.add(asked[0][1])
        oracle, asked = recording_oracle(OUTCOMES)
        search([0, 1], [3, 0, 1, 2, 4, 5], oracle, 4, seed=seed)
        firsts_default.add(asked[0][1])
    assert firsts_in_order == {3}
    assert len(firsts_default) > 1


def test_the_item_parameters_are_those_the_answers_were_drawn_from() -> None:
    """The same generator state gives the same answers with or without the parameters; each ability
    solves the 2PL's expected accuracy for its target (the grid's step is 0.01), and easier questions
    are answered right more often."""
    acc = np.array([0.3, 0.5, 0.7, 0.9] * 25)
    outcomes, items = item_response_draw(acc, 2000, np.random.default_rng(4))
    assert np.array_equal(outcomes, item_response_outcomes(acc, 2000, np.random.default_rng(4)))
    assert items.difficulty.shape == items.discrimination.shape == (2000,) and items.ability.shape == (100,)
    expected = expit(items.discrimination[None, :] * (items.ability[:, None] - items.difficulty[None, :])).mean(axis=1)
    assert np.abs(expected - acc).max() < 0.005
    easy = items.difficulty < np.median(items.difficulty)
    assert outcomes[:, easy].mean() > outcomes[:, ~easy].mean() + 0.2


def test_a_simulated_pool_carries_its_item_parameters() -> None:
    pool = simulated_pool("mistral_7b", 30, 500, 2, structure="clusters")
    assert pool.items is not None and pool.items.difficulty.shape == (500,) and pool.items.ability.shape == (30,)


def test_the_ordered_search_runs_the_defaults_schedule() -> None:
    """It is the default asked in a given order, so it switches schedule where the default does: a
    pool of 120 gets the power law's first screen (2 questions each at 60 per candidate, nobody cut),
    a pool of 40 is halved (a first round of more questions that cuts)."""
    for n, screen in ((120, True), (40, False)):
        outcomes = np.random.default_rng(3).random((n, 300)) < np.linspace(0.3, 0.8, n)[:, None]
        for run in (search, search_in_order):
            first = run(list(range(n)), np.arange(300), lambda c, ids: outcomes[c, ids], n * 60, seed=0).rounds[0]
            assert ((first.queries_per_survivor, len(first.kept)) == (2, n)) == screen
