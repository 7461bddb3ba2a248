"""How alike the top of a pool answers (sql/queries/gems_top_agreement.sql and its reading): kappa
worked by hand, checked against a second computation, and against the simulator's own levels."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from assets.gems.assets import warehouse_sql
from assets.gems.leaderboard import top_agreement
from assets.gems.simulate import AGREEMENT_LEVELS, simulated_pool
from assets.gems.stats import agreement_at
from orchestration.warehouse import Warehouse

KEY, TASK = "base__m", "task"


def store(warehouse: Warehouse, answers: dict[str, list[int | None]], stale: frozenset[str] = frozenset()) -> None:
    """Candidates of one base model and their answers (None: not asked); ``stale`` ones were answered
    at an older revision than the pool's."""
    now = datetime.now(UTC)
    warehouse.append("raw.gem_candidates", pl.DataFrame({
        "base_key": KEY, "repo_id": list(answers), "base_model": "m", "relation": "finetune", "depth": 1,
        "sha": "new", "included": True, "discovered_at": now}))
    rows = [{"task": TASK, "model_id": m, "revision": "old" if m in stale else "new", "query_id": f"q{i:04d}",
             "correct": bool(c), "evaluated_at": now}
            for m, column in answers.items() for i, c in enumerate(column) if c is not None]
    warehouse.append("core.gem_outcomes", pl.DataFrame(rows))


def top_pairs(warehouse: Warehouse) -> pl.DataFrame:
    with warehouse.get_connection() as con:
        con.execute("set variable base_key = ?", [KEY])
        con.execute("set variable task = ?", [TASK])
        return con.sql(warehouse_sql("gems_top_agreement.sql")["top_pairs"]).pl()


def test_kappa_by_hand_over_shared_questions_only(warehouse: Warehouse) -> None:
    a = [1] * 30 + [0] * 10                      # 75% right
    b = [1] * 20 + [0] * 10 + [1] * 10           # 75% right, agrees with a on q0-19 only
    store(warehouse, {"a": a, "b": b, "c": list(a),
                      "d": [1] * 20 + [None] * 20,   # 20 answers: shares too few with anyone
                      "e": list(a)}, stale=frozenset({"e"}))  # answers of another revision do not count
    pairs = {(r["model_a"], r["model_b"]): r for r in top_pairs(warehouse).iter_rows(named=True)}
    assert set(pairs) == {("a", "b"), ("a", "c"), ("b", "c")}
    # a, b: observed 20/40 = 0.5; chance 0.75^2 + 0.25^2 = 0.625; kappa (0.5 - 0.625) / 0.375 = -1/3
    assert pairs[("a", "b")]["shared"] == 40 and pairs[("a", "b")]["observed"] == pytest.approx(0.5)
    assert pairs[("a", "b")]["kappa"] == pytest.approx(-1 / 3)
    assert pairs[("a", "c")]["kappa"] == pytest.approx(1.0) and pairs[("b", "c")]["kappa"] == pytest.approx(-1 / 3)
    # mean kappa 1/9; two equal 70% candidates: chance 0.58, so 0.58 + 0.42 / 9 agree
    meta = top_agreement(top_pairs(warehouse))
    assert meta["top_kappa"] == pytest.approx(1 / 9, abs=1e-3)
    assert meta["top_agreement_at_70"] == pytest.approx(0.58 + 0.42 / 9, abs=1e-3)
    assert "3 pairs" in meta["top_agreement"] and "65% level" in meta["top_agreement"]


def test_only_the_ten_most_answered_candidates_are_paired(warehouse: Warehouse) -> None:
    rng = np.random.default_rng(3)
    answers = {f"m{i:02d}": rng.integers(0, 2, 60).tolist() for i in range(10)}
    answers |= {f"z{i}": rng.integers(0, 2, 50).tolist() + [None] * 10 for i in range(2)}  # cut earlier: fewer answers
    store(warehouse, answers)
    pairs = top_pairs(warehouse)
    assert pairs.height == 45 and not any(m.startswith("z") for m in pairs["model_a"].to_list() + pairs["model_b"].to_list())


@pytest.mark.parametrize("level", [0.65, 0.91])
def test_a_simulated_pool_reads_as_its_own_agreement_level(warehouse: Warehouse, level: float) -> None:
    """The simulator sets agreement through item discrimination and measures it on two equal 70% models
    (simulate.agreement); the SQL sees only the stored answers of a pool's top 10, of other accuracies."""
    pool = simulated_pool("llama3.1_8b", 300, 3000, seed=11, discrimination=AGREEMENT_LEVELS[level])
    top = np.argsort(-pool.task_accuracy)[:10]
    asked = np.random.default_rng(11).permutation(3000)[:400]
    matrix = pool.outcomes[np.ix_(top, asked)]
    store(warehouse, {f"m{i}": row.tolist() for i, row in enumerate(matrix)})
    pairs = top_pairs(warehouse)

    def kappa(x: np.ndarray, y: np.ndarray) -> float:  # second computation, from the matrix
        chance = x.mean() * y.mean() + (1 - x.mean()) * (1 - y.mean())
        return ((x == y).mean() - chance) / (1 - chance)

    expected = np.mean([kappa(matrix[i], matrix[j]) for i, j in itertools.combinations(range(10), 2)])
    meta = top_agreement(pairs)
    assert pairs.height == 45 and meta["top_kappa"] == pytest.approx(expected, abs=1e-3)
    assert meta["top_agreement_at_70"] == pytest.approx(level, abs=0.03)
    assert f"nearest the bench's {level:.0%} level" in meta["top_agreement"]


def test_no_measure_without_two_candidates_sharing_thirty_answers() -> None:
    empty = pl.DataFrame(schema={"model_a": pl.String, "model_b": pl.String, "shared": pl.Int64,
                                 "observed": pl.Float64, "kappa": pl.Float64})
    assert top_agreement(empty) == {"top_agreement": "not measured: no two of the top candidates share 30 answered questions"}
    both_always_right = empty.vstack(pl.DataFrame({"model_a": ["a"], "model_b": ["b"], "shared": [40], "observed": [1.0],
                                                   "kappa": [None]}, schema=empty.schema))
    assert "not measured" in top_agreement(both_always_right)["top_agreement"]


def test_a_pool_less_alike_than_any_bench_level_is_not_read_as_one() -> None:
    """The demo's tiny family (1.8% to 92% accurate) reads kappa ~0: 58%, under the bench's 65% level
    by more than the slack; 0.62 is within it."""
    def pairs(kappa: float) -> pl.DataFrame:
        return pl.DataFrame({"model_a": ["a"], "model_b": ["b"], "shared": [100], "observed": [0.5], "kappa": [kappa]})

    assert "below the bench's levels (65% to 95%), so none of its budgets applies" in top_agreement(pairs(0.0))["top_agreement"]
    assert "nearest the bench's 65% level" in top_agreement(pairs(0.1))["top_agreement"]  # 0.622
    assert "above the bench's levels" in top_agreement(pairs(0.99))["top_agreement"]  # 0.996
    assert "nearest the bench's 95% level" in top_agreement(pairs(0.95))["top_agreement"]  # 0.979


def test_agreement_at_maps_kappa_onto_two_equal_candidates() -> None:
    # two 70% candidates by chance agree on 0.49 + 0.09 = 58% of questions; kappa 1 means always
    assert agreement_at(0.0) == pytest.approx(0.58) and agreement_at(1.0) == pytest.approx(1.0)
    assert agreement_at(0.5, accuracy=0.5) == pytest.approx(0.75)
