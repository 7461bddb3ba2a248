"""The search on simulated arms: budgets, edge cases, failures, seeds, and pick probabilities
derived by hand (enumerated query orders, binomial sums), never copied from a measured run."""

from __future__ import annotations

import math
from collections import Counter
import numpy as np
import pytest
from scipy import stats as sps

from assets.gems.search import (
    BUDGETED,
    AllCandidatesFailed,
    CandidateFailed,
    CUT_ALPHA,
    HALVING_UP_TO,
    _adaptive_cut,
    SearchResult,
    _Answers,
    _next_reach,
    _power_round,
    _revive,
    _with_rules,
    _round_step,
    exhaustive,
    halving,
    most_downloaded,
    paper_schedule,
    random_pick,
    search,
    shared_halving,
    survivor_schedule,
    uniform,
    validate_search,
)


def bernoulli_oracle(means: np.ndarray, n_queries: int, seed: int):
    """Independent Bernoulli arms: every (arm, query) answer drawn once, so repeats are consistent."""
    outcomes = np.random.default_rng(seed).random((len(means), n_queries)) < means[:, None]
    asked: list[tuple[int, int]] = []

    def oracle(arm: int, ids: np.ndarray) -> np.ndarray:
        asked.extend((arm, int(q)) for q in ids)
        return outcomes[arm, ids]

    return oracle, asked


def matrix_oracle(outcomes: np.ndarray):
    return lambda arm, ids: outcomes[arm, ids]


def power_law(candidates, queries, oracle, budget: int, *, seed: int):
    """The default's power-law schedule in a pool of any size (the default uses it above HALVING_UP_TO)."""
    return _with_rules(candidates, queries, oracle, budget, seed, "power_law", power=True)


RUNS = {**BUDGETED, "power_law": power_law}
"""Every budgeted strategy, and the power-law schedule on its own."""


def within(hits: int, trials: int, p: float, sigmas: float = 4.0) -> bool:
    """Is ``hits`` of ``trials`` consistent with probability ``p`` (normal approximation, ``sigmas`` wide)?"""
    return abs(hits - trials * p) <= sigmas * math.sqrt(trials * p * (1 - p)) + 1


# --- pick probabilities derived by hand -------------------------------------------------------------

def test_shared_queries_pick_the_better_of_two_as_often_as_enumeration_says() -> None:
    """Two candidates, four questions, a budget of two each. A is right on questions 0-2, B on 3 only.

    Shared: both answer the same 2 of the 4 questions. Of the 6 equally likely pairs, {0,1}, {0,2}
    and {1,2} give A a 2-0 win; {0,3}, {1,3} and {2,3} a 1-1 tie (a fair coin). P(A) = 3/6 + 3/6 x 1/2
    = 0.75.
    Independent orders (standard halving): A scores 2 with probability 1/2 (3 of its 6 pairs), else 1;
    B scores 1 with probability 1/2, else 0. P(A wins) = 1/2 + 1/2 x 1/2 = 0.75, P(tie) = 1/4, so
    P(A) = 0.75 + 0.25 / 2 = 0.875.
    """
    outcomes = np.array([[1, 1, 1, 0], [0, 0, 0, 1]], dtype=bool)
    trials = 4000
    shared = sum(shared_halving([0, 1], np.arange(4), matrix_oracle(outcomes), 4, seed=s).pick == 0 for s in range(trials))
    private = sum(halving([0, 1], np.arange(4), matrix_oracle(outcomes), 4, seed=s).pick == 0 for s in range(trials))
    assert within(shared, trials, 0.75)
    assert within(private, trials, 0.875)
    # the default and the study's schedule are shared-query searches: the same 0.75
    assert within(sum(search([0, 1], np.arange(4), matrix_oracle(outcomes), 4, seed=s).pick == 0 for s in range(trials)), trials, 0.75)


def test_two_bernoulli_arms_are_told_apart_as_often_as_the_binomial_says() -> None:
    """Arms at 0.7 and 0.5, 10 independent answers each (a budget of 20, one round): A is picked with
    P(X > Y) + P(X = Y) / 2 for X ~ Bin(10, 0.7), Y ~ Bin(10, 0.5), ties broken by a fair coin."""
    x, y = sps.binom.pmf(np.arange(11), 10, 0.7), sps.binom.pmf(np.arange(11), 10, 0.5)
    expected = sum(x[i] * y[j] for i in range(11) for j in range(11) if i > j) + 0.5 * float(x @ y)
    trials = 3000
    hits = 0
    for seed in range(trials):
        oracle, _ = bernoulli_oracle(np.array([0.7, 0.5]), 10, seed)
        result = halving([0, 1], np.arange(10), oracle, 20, seed=seed)
        assert result.rounds[0].queries_per_survivor == 10
        hits += result.pick == 0
    assert within(hits, trials, expected)


# --- budget -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(RUNS))
@pytest.mark.parametrize("n_arms,budget", [(7, 7), (50, 61), (50, 1234), (200, 5000), (3, 10_000)])
def test_budget_is_never_exceeded_and_no_query_is_asked_twice(name: str, n_arms: int, budget: int) -> None:
    means = np.linspace(0.2, 0.9, n_arms)
    for seed in range(3):
        oracle, asked = bernoulli_oracle(means, 300, seed)
        result = RUNS[name](list(range(n_arms)), np.arange(300), oracle, budget, seed=seed)
        assert result.spent == len(asked) <= budget
        assert len(set(asked)) == len(asked)
        assert result.rounds[-1].spent_total == result.spent
        assert result.seed == seed


@pytest.mark.parametrize("name", ["adaptive_halving", "power_law", "aggressive", "shared_halving", "halving"])
def test_budget_the_last_rounds_cannot_use_is_given_to_earlier_rounds(name: str) -> None:
    """64 arms, 300 questions, 60 per arm: the final pair can use at most 600 answers, so an equal
    split over 6 rounds (640 each) would leave budget over. Everything must be spent unless every
    survivor has answered every question. power_law's rounds are whole questions and its cuts whole
    candidates, so it may leave more than a rounding remainder, but only what cannot complete (answer
    the whole task for) any candidate it cut: that goes to the final comparison while it can."""
    oracle, asked = bernoulli_oracle(np.linspace(0.3, 0.8, 64), 300, 0)
    result = RUNS[name](list(range(64)), np.arange(300), oracle, 64 * 60, seed=0)
    last = result.rounds[-1]
    left = 64 * 60 - result.spent
    assert left == 0 or last.queries_per_survivor == 300
    if name == "power_law":
        answered = Counter(arm for arm, _ in asked)
        cut = [arm for arm in answered if arm not in last.survivors]
        assert left < min(300 - answered[arm] for arm in cut)
    else:
        assert left <= len(last.survivors)  # at most a rounding remainder left


def test_water_filling_gives_the_capped_rounds_share_to_the_others() -> None:
    """Hand-computed. Rounds of 8, 4 and 2 survivors, 300 answers left.

    Room for 20 more queries each: whatever the split, the rounds can spend at most 8 x 20 = 160
    (what the first round asks, the later ones need not ask again), so the first round takes all
    20 it can instead of the 12 an equal share (100 answers) would give it.
    Room to spare: the largest equal share s with 8(s//8) + 4(s//4) + 2(s//2) <= 300 is 103, so
    the first round asks 103 // 8 = 12 each.
    A floor of 160 answers funds the first round with 160 // 8 = 20 each.
    """
    assert _round_step([8, 4, 2], 300, 20) == 20
    assert _round_step([8, 4, 2], 300, 1000) == 12
    assert _round_step([8, 4, 2], 300, 1000, floor=160) == 20


# --- edge cases ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(RUNS))
def test_a_single_candidate_is_picked_without_spending(name: str) -> None:
    def oracle(*_):
        raise AssertionError("nothing to compare: no query may be asked")

    result = RUNS[name](["only"], np.arange(100), oracle, 5000, seed=0)
    assert result.pick == "only" and result.spent == 0


@pytest.mark.parametrize("name", ["adaptive_halving", "power_law", "aggressive", "shared_halving", "halving"])
def test_a_budget_just_above_the_pool_is_spent_and_the_pick_has_more_than_one_answer(name: str) -> None:
    """50 arms, 61 answers: one answer each, then the 11 left go to the best 11 so far."""
    oracle, asked = bernoulli_oracle(np.linspace(0.2, 0.9, 50), 100, 0)
    result = RUNS[name](list(range(50)), np.arange(100), oracle, 61, seed=0)
    assert result.spent == len(asked) == 61
    assert sum(a == result.pick for a, _ in asked) >= 2


@pytest.mark.parametrize(
    "cands,queries,budget,message",
    [([], [1], 10, "pool is empty"), ([1, 2], [], 10, "no queries"), ([1, 2, 3], [1], 2, "smaller than one query per candidate"),
     (["a/m", "b/m", "a/m"], [1, 2], 10, r"repeated candidate id\(s\) \['a/m'\]"),
     (["a", "b"], ["q1", "q2", "q1", "q3", "q3"], 10, r"repeated query id\(s\) \['q1', 'q3'\]")],
)
def test_impossible_searches_fail_before_any_evaluation(cands, queries, budget, message) -> None:
    def oracle(*_):
        raise AssertionError("no candidate may be evaluated")

    with pytest.raises(ValueError, match=message):
        validate_search(cands, queries, budget)
    for run in BUDGETED.values():
        with pytest.raises(ValueError, match=message):
            run(cands, queries, oracle, budget, seed=0)


# --- failures --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(RUNS))
def test_failed_and_crashing_candidates_are_recorded_and_the_search_goes_on(name: str) -> None:
    means = np.array([0.5, 0.95, 0.4, 0.3, 0.2])
    base, _ = bernoulli_oracle(means, 400, 0)

    def oracle(arm: int, ids: np.ndarray) -> np.ndarray:
        if arm == 2:
            raise CandidateFailed("no weights")
        if arm == 3:
            raise KeyError("lm_head.weight")  # a bug in one model's code path, not a CandidateFailed
        return base(arm, ids)

    result = RUNS[name]([0, 1, 2, 3, 4], np.arange(400), oracle, 1000, seed=0)
    assert result.failures == {2: "no weights", 3: "unexpected KeyError: 'lm_head.weight'"}
    assert result.pick == 1
    assert all(2 not in r.survivors and 3 not in r.survivors for r in result.rounds)


def test_when_every_candidate_fails_the_search_says_so_with_the_reasons() -> None:
    def oracle(arm, ids):
        raise RuntimeError(f"CUDA error on {arm}")

    for run in [*BUDGETED.values(), lambda c, q, o, b, seed: exhaustive(c, q, o, seed=seed)]:
        with pytest.raises(AllCandidatesFailed, match="every candidate failed.*CUDA error on 0"):
            run([0, 1], np.arange(10), oracle, 20, seed=0)
    with pytest.raises(AllCandidatesFailed):
        random_pick([0, 1], seed=0, failed={0: "x", 1: "y"})


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

    result = search([0, 1, 2, 3], np.arange(400), oracle, 400, seed=0)
    assert result.spent == len(asked) <= 400
    assert result.failures == {2: "out of memory at batch size 1"}


def test_random_and_popular_baselines_never_pick_a_failed_candidate() -> None:
    failed = {0: "no weights", 2: "remote code"}
    assert {random_pick([0, 1, 2, 3], seed=s, failed=failed).pick for s in range(50)} == {1, 3}
    assert most_downloaded([0, 1, 2], {0: 10, 1: 1, 2: 5}, failed).pick == 1


# --- seeds, rounds, baselines -----------------------------------------------------------------------

def test_the_same_seed_repeats_a_search_and_another_seed_asks_other_questions() -> None:
    oracle, _ = bernoulli_oracle(np.linspace(0.3, 0.7, 40), 500, 0)
    runs = [search(list(range(40)), np.arange(500), oracle, 40 * 30, seed=s) for s in (11, 11, 12)]
    assert runs[0].seed == 11
    assert [(r.survivors, r.kept) for r in runs[0].rounds] == [(r.survivors, r.kept) for r in runs[1].rounds]
    assert runs[0].pick == runs[1].pick

    seen = {}
    for seed in (11, 12):
        o, asked = bernoulli_oracle(np.linspace(0.3, 0.7, 40), 500, 0)
        search(list(range(40)), np.arange(500), o, 40 * 30, seed=seed)
        seen[seed] = [q for a, q in asked if a == 0][:10]
    assert seen[11] != seen[12]


def test_shared_rounds_ask_every_survivor_the_same_queries() -> None:
    for run in (search, paper_schedule, shared_halving):
        oracle, asked = bernoulli_oracle(np.linspace(0.3, 0.7, 16), 500, 0)
        run(list(range(16)), np.arange(500), oracle, 16 * 20, seed=1)
        orders = [[q for a, q in asked if a == arm] for arm in range(16)]
        longest = max(orders, key=len)
        assert all(o == longest[: len(o)] for o in orders)  # prefixes of one order


def test_the_papers_schedule_cuts_to_first_keep_after_a_funded_first_round() -> None:
    oracle, _ = bernoulli_oracle(np.linspace(0.3, 0.7, 400), 3000, 0)
    budget = 60 * 400
    result = paper_schedule(list(range(400)), np.arange(3000), oracle, budget, seed=0)
    assert result.rounds[0].queries_per_survivor == int(0.3 * budget) // 400 == 18
    assert [len(r.survivors) for r in result.rounds][:3] == [400, 100, 50]
    with pytest.raises(ValueError, match="first_share"):
        paper_schedule([0, 1], np.arange(10), oracle, 20, seed=0, first_share=1.0)


def test_schedules() -> None:
    assert len(survivor_schedule(1000)) == math.ceil(math.log2(1000))
    assert survivor_schedule(1000, first_keep=100)[:3] == [1000, 100, 50]
    assert survivor_schedule(1) == [1]
    with pytest.raises(ValueError, match="keep_fraction"):
        survivor_schedule(10, keep_fraction=1.0)


def test_baselines() -> None:
    means = np.array([0.2, 0.95, 0.5])
    oracle, _ = bernoulli_oracle(means, 200, 0)
    full = exhaustive([0, 1, 2], np.arange(200), oracle, seed=0)
    assert full.pick == 1 and full.spent == 600
    assert uniform([0, 1, 2], np.arange(200), oracle, 31, seed=0).spent == 30
    assert most_downloaded([0, 1, 2], {0: 10, 1: 1, 2: 5}).pick == 0
    assert {random_pick([0, 1, 2], seed=s).pick for s in range(20)} == {0, 1, 2}


def answered(outcomes: np.ndarray, upto: int) -> tuple[_Answers, list[int]]:
    """Every candidate has answered questions 0..upto-1 (unshuffled), ranked by score (ties by index)."""
    answers = _Answers(np.arange(outcomes.shape[1]), matrix_oracle(outcomes), True, np.random.default_rng(0), shuffle=False)
    for cand in range(len(outcomes)):
        answers.extend(cand, upto)
    return answers, sorted(range(len(outcomes)), key=lambda c: (-outcomes[c, :upto].sum(), c))


def test_the_adaptive_cut_drops_only_candidates_clearly_behind() -> None:
    """Twelve candidates answer alike on the first 150 questions, and only 0-1 are right on the rest.
    After 60 questions that include 30 of the rest, every other candidate trails the leader on all 30
    questions they disagree on: 30 / sqrt(30) = 5.5 noise units, past the Bonferroni level
    (z = 2.8 for 0.05 over 11 comparisons), so a planned keep of 6 becomes 2. After 4 such questions
    (4 / 2 = 2.0 units) nobody is clearly behind and the planned 6 stay. Halving always keeps its 6."""
    outcomes = np.zeros((12, 300), dtype=bool)
    outcomes[:, :120] = True
    outcomes[:2, 120:] = True
    cut = _adaptive_cut(CUT_ALPHA)
    assert cut(*answered(outcomes, 150), 6, False) == 2
    assert cut(*answered(outcomes, 124), 6, False) == 6
    assert len(shared_halving(list(range(12)), np.arange(300), matrix_oracle(outcomes), 12 * 150, seed=0).rounds[0].kept) == 6


def test_a_tie_at_the_cut_off_is_only_kept_at_the_first_cut() -> None:
    """Ten candidates after 4 questions: 1 and 4-9 right on all 4, 0 on 3, 2 and 3 on none. A planned
    keep of 5 cuts inside the 7-way tie at the top score; the first cut keeps all 7 (at most twice the
    planned 5 and fewer than the 10 it had), a later cut keeps the planned 5."""
    outcomes = np.ones((10, 40), dtype=bool)
    outcomes[2:4, :] = False
    outcomes[0, 3] = False
    cut = _adaptive_cut(CUT_ALPHA)
    assert cut(*answered(outcomes, 4), 5, True) == 7
    assert cut(*answered(outcomes, 4), 5, False) == 5
    assert cut(*answered(outcomes, 4), 3, True) == 6  # the tie is kept up to twice the planned 3


@pytest.mark.parametrize("name", ["adaptive_halving", "power_law"])
def test_a_first_cut_tie_is_kept_in_a_whole_search(name: str) -> None:
    """The same pool searched with 4 questions each, on halving's schedule and on the power law (the default's two): the
    first round that cuts anyone keeps everyone at its top score, and 2 and 3 (wrong on everything)
    are not picked."""
    outcomes = np.ones((10, 40), dtype=bool)
    outcomes[2:4, :] = False
    outcomes[0, 20:] = False
    result = RUNS[name](list(range(10)), np.arange(40), matrix_oracle(outcomes), 10 * 4, seed=0)
    first = next(r for r in result.rounds if len(r.kept) < len(r.survivors))
    scores = {e.candidate: e.correct for e in first.estimates}
    assert set(first.kept) >= {c for c, v in scores.items() if v == max(scores.values())}
    assert result.pick not in (2, 3)


# --- the power-law schedule (the default's above HALVING_UP_TO) ---------------------------------------

def test_rounds_grow_the_questions_by_half_while_many_survive_and_a_quarter_after() -> None:
    """The first round asks the first screen; then ceil(1.5x) while more than COARSE_ABOVE (100)
    survive, ceil(1.25x) (at least one more) once 100 or fewer do; never past the task."""
    assert _next_reach(0, 1000, 3, 3000) == 3
    assert _next_reach(6, 101, 3, 3000) == 9
    assert _next_reach(5, 101, 3, 3000) == 8  # ceil(7.5)
    assert _next_reach(6, 100, 3, 3000) == 8  # ceil(7.5)
    assert _next_reach(2, 50, 3, 3000) == 3  # ceil(2.5)
    assert _next_reach(1, 50, 3, 3000) == 2
    assert _next_reach(2900, 5, 3, 3000) == 3000


def test_the_first_round_cuts_nobody_and_a_budget_for_everyone_cuts_nobody() -> None:
    """The first screen anchors the power law, so it keeps all; a budget that pays for every survivor
    to answer every question needs no cut at all."""
    assert _power_round(1000, 0, 60_000, 3000, 3) == (3, 1000)
    assert _power_round(10, 40, 10 * (100 - 40), 100, 3) == (50, 10)


def test_the_last_round_the_budget_pays_for_spends_it_all() -> None:
    """8 survivors at 40 questions, 30 answers left: 3 more questions each (24), and the 6 left over
    go to the best 6, one more each. 5 left: nobody can have one more each; the best 5 get one."""
    assert _power_round(8, 40, 30, 100, 3) == (43, 6)
    assert _power_round(8, 40, 5, 100, 3) == (40, 5)


def test_more_budget_never_cuts_harder() -> None:
    """The keep is the gentlest the budget pays for: as what is left grows, the keep never falls, and
    the planned round never costs more than what is left."""
    keeps = []
    for remaining in range(2_000, 60_000, 2_000):
        upto, keep = _power_round(500, 12, remaining, 3000, 3)
        assert 500 * (upto - 12) <= remaining
        keeps.append(keep)
    assert keeps == sorted(keeps) and keeps[0] < keeps[-1]


def test_budget_left_after_the_last_survivors_finish_completes_the_candidates_cut_last() -> None:
    """Candidate 0 survived and answered all 4 questions; 1 was cut at 2 answers, 2 at 1. 3 answers
    are left: 1 (most answers) completes with 2 and joins the final comparison, where it beats 0; 2
    would need 3 more, and only 1 is left, so it stays out."""
    outcomes = np.array([[1, 0, 0, 0], [1, 1, 1, 1], [0, 1, 1, 1]], dtype=bool)
    answers = _Answers(np.arange(4), matrix_oracle(outcomes), True, np.random.default_rng(0), shuffle=False)
    for cand, upto in ((0, 4), (1, 2), (2, 1)):
        answers.extend(cand, upto)
    result = SearchResult("adaptive", None, 10, 7)
    assert _revive(answers, [0], 10, result) == [1, 0]
    assert result.spent == 9 and answers.n(2) == 1
    assert result.rounds[-1].spent == 2 and result.rounds[-1].spent_total == 9


@pytest.mark.parametrize("n_arms,n_queries,budget", [(12, 30, 148), (64, 300, 64 * 60), (20, 40, 333)])
def test_power_law_leaves_only_what_cannot_complete_a_candidate_it_cut(n_arms: int, n_queries: int, budget: int) -> None:
    """Whatever the budget, the power-law schedule ends with everything spent, or with its last survivors through
    the whole task and too little left to take any candidate it cut through the rest of it (the first
    case, 12 arms, needs the cut candidates completed to get there)."""
    oracle, asked = bernoulli_oracle(np.linspace(0.3, 0.8, n_arms), n_queries, 0)
    result = power_law(list(range(n_arms)), np.arange(n_queries), oracle, budget, seed=0)
    left, last = budget - result.spent, result.rounds[-1]
    answered = Counter(arm for arm, _ in asked)
    assert left == 0 or (last.queries_per_survivor == n_queries
                         and left < min(n_queries - answered[arm] for arm in answered if arm not in last.survivors))


def test_the_first_round_screens_everyone_on_a_thirtieth_of_their_budget() -> None:
    """60 answers per candidate: the first round asks each of the 40 the same 2 questions, and cuts
    nobody; 50 per candidate: ceil(50 / 30) = 2 as well; 61: ceil(61 / 30) = 3."""
    for per, screen in ((60, 2), (50, 2), (61, 3)):
        oracle, _ = bernoulli_oracle(np.linspace(0.3, 0.8, 40), 300, 0)
        first = power_law(list(range(40)), np.arange(300), oracle, 40 * per, seed=0).rounds[0]
        assert (first.queries_per_survivor, first.spent, len(first.kept)) == (screen, 40 * screen, 40)


def test_the_default_halves_pools_of_at_most_100_and_screens_larger_ones_first() -> None:
    """60 answers per candidate. A pool of 100 is halved: its first round asks each candidate at least
    an equal share over halving's 7 planned rounds (6,000 / 7 / 100: 8 questions; more, as the last
    rounds are capped by the 300-question task) and keeps at most the 50 planned; a pool of 101 gets
    the power law's first screen, 2 questions each, nobody cut, where adaptive_halving halves it too."""
    oracle, _ = bernoulli_oracle(np.linspace(0.3, 0.8, HALVING_UP_TO), 300, 0)
    first = search(list(range(HALVING_UP_TO)), np.arange(300), oracle, HALVING_UP_TO * 60, seed=0).rounds[0]
    assert first.queries_per_survivor >= 8 and len(first.kept) <= 50
    oracle, _ = bernoulli_oracle(np.linspace(0.3, 0.8, HALVING_UP_TO + 1), 300, 0)
    first = search(list(range(HALVING_UP_TO + 1)), np.arange(300), oracle, (HALVING_UP_TO + 1) * 60, seed=0).rounds[0]
    assert (first.queries_per_survivor, len(first.kept)) == (2, HALVING_UP_TO + 1)
    halved = RUNS["adaptive_halving"](list(range(HALVING_UP_TO + 1)), np.arange(300), oracle, (HALVING_UP_TO + 1) * 60, seed=0)
    assert halved.rounds[0].queries_per_survivor >= 8 and len(halved.rounds[0].kept) <= 51
