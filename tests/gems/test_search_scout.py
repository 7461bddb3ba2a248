"""The scouted search (a candidate default): its agreement gate, the scout's question order, its
budget and failures, on hand-made answer matrices whose outcomes follow by hand."""

from __future__ import annotations

import numpy as np
import pytest

from assets.gems.search import (
    CandidateFailed, SearchResult, _Answers, _scout, kappa, scouted, search,
)


def guttman(thresholds: np.ndarray, n_queries: int) -> np.ndarray:
    """Candidate i is right on question j exactly when j < thresholds[i] * n_queries (questions
    numbered from easiest): every candidate agrees with every other beyond chance, as at high agreement."""
    return np.arange(n_queries)[None, :] < (np.asarray(thresholds) * n_queries)[:, None]


def recording_oracle(outcomes: np.ndarray):
    calls: list[tuple[int, list[int]]] = []

    def oracle(cand: int, ids: np.ndarray) -> np.ndarray:
        calls.append((cand, [int(q) for q in ids]))
        return outcomes[cand, ids]

    return oracle, calls


def test_kappa_is_agreement_beyond_chance_and_zero_where_undefined() -> None:
    """Leader [1,1,0,0]: a copy agrees fully (kappa 1); [1,0,1,0] agrees on half the questions, which two
    50% candidates do by chance (kappa 0): mean 0.5. A leader right everywhere leaves chance at 1 against
    a candidate right everywhere (undefined: 0) and at 0.5 against one right on half (observed 0.5: 0)."""
    assert kappa(np.array([[1, 1, 0, 0], [1, 1, 0, 0], [1, 0, 1, 0]])) == pytest.approx(0.5)
    assert kappa(np.array([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 0, 0]])) == 0.0


def test_the_scouts_wrong_questions_go_first_and_its_right_ones_last() -> None:
    """Unshuffled order 0..9, nobody past position 3, a round of 2 questions: the scout answers positions
    3..8 (its allowance of 6; the cap, 4 x 2, and the 7 questions left allow more), is wrong on 5 and 7
    only; the order becomes 0,1,2, 5,7, 9, 3,4,6,8 and it spent 6."""
    outcomes = np.ones((1, 10), dtype=bool)
    outcomes[0, [5, 7]] = False
    answers = _Answers(np.arange(10), lambda c, ids: outcomes[c, ids], True, np.random.default_rng(0), shuffle=False)
    result = SearchResult("scouted", None, 100, 0)
    assert _scout(answers, 0, 3, 2, 6, result) == 6
    assert answers.common.tolist() == [0, 1, 2, 5, 7, 9, 3, 4, 6, 8]


def test_a_failing_scout_is_recorded_charged_and_leaves_the_order() -> None:
    def oracle(cand, ids):
        raise CandidateFailed("out of memory", answered=2)

    answers = _Answers(np.arange(10), oracle, True, np.random.default_rng(0), shuffle=False)
    result = SearchResult("scouted", None, 100, 0)
    assert _scout(answers, 7, 3, 2, 6, result) == 2
    assert result.failures == {7: "out of memory"}
    assert answers.common.tolist() == list(range(10))


def test_no_scouting_when_the_allowance_buys_no_more_than_the_round() -> None:
    answers = _Answers(np.arange(10), lambda c, ids: np.ones(len(ids), bool), True, np.random.default_rng(0), shuffle=False)
    assert _scout(answers, 0, 3, 2, 2, SearchResult("scouted", None, 100, 0)) == 0
    assert answers.common.tolist() == list(range(10))


def test_survivors_are_asked_the_questions_the_scout_got_wrong_first() -> None:
    """On a Guttman matrix (kappa near 1 among close candidates) the gate opens. Survivors are asked
    in turn the same new questions (one group of calls per round); a scout's batch is a lone call
    before a round's group. That group's questions begin with exactly the questions the scout got
    wrong, in its order. Candidates 0..39 with thresholds 0.45..0.65 (candidate 39 the best)."""
    outcomes = guttman(np.linspace(0.45, 0.65, 40), 400)
    oracle, calls = recording_oracle(outcomes)
    result = scouted(list(range(40)), np.arange(400), oracle, 40 * 60, seed=3)
    assert result.pick == 39 and result.spent == sum(len(ids) for _, ids in calls) <= 40 * 60
    groups: list[tuple[list[int], list[int]]] = []  # (candidates, their shared questions)
    for cand, ids in calls:
        if groups and groups[-1][1] == ids:
            groups[-1][0].append(cand)
        else:
            groups.append(([cand], ids))
    scouts = 0
    for (who, batch), (survivors, asked) in zip(groups, groups[1:]):
        if len(who) == 1 and len(survivors) > 1 and who[0] not in survivors:
            wrong = [q for q in batch if not outcomes[who[0], q]]
            assert asked[:len(wrong)] == wrong[:len(asked)]
            scouts += 1
    assert scouts >= 1


def test_where_answers_agree_no_more_than_chance_it_is_the_default() -> None:
    """Independent coins have kappa ~0, far below the gate: the same pick, spend and rounds as the default."""
    outcomes = np.random.default_rng(5).random((64, 500)) < np.linspace(0.4, 0.8, 64)[:, None]
    oracle = lambda c, ids: outcomes[c, ids]  # noqa: E731
    a = scouted(list(range(64)), np.arange(500), oracle, 64 * 40, seed=1)
    b = search(list(range(64)), np.arange(500), oracle, 64 * 40, seed=1)
    assert (a.pick, a.spent) == (b.pick, b.spent)
    assert [(r.survivors, r.kept, r.spent) for r in a.rounds] == [(r.survivors, r.kept, r.spent) for r in b.rounds]
