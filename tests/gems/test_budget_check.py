"""The blocking budget check on the gems search."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import polars as pl

from assets.gems.checks import search_within_budget


def picks(spent: int, budget: int | None, strategy: str = "adaptive") -> pl.DataFrame:
    return pl.DataFrame([{"base_key": "b", "task": "t", "strategy": strategy, "pick": "m", "queries_spent": spent,
                          "budget": budget, "exhaustive_queries": 1000, "n_candidates": 10, "n_failed": 0, "seed": 1,
                          "searched_at": datetime(2026, 1, 1, tzinfo=UTC)}])


def rounds(totals: list[int], strategy: str = "adaptive") -> pl.DataFrame:
    return pl.DataFrame([{"base_key": "b", "task": "t", "strategy": strategy, "round": i, "repo_id": "m", "queries": 1,
                          "correct": 1, "accuracy": 1.0, "ci_low": 0.0, "ci_high": 1.0, "kept": True,
                          "round_spent": t - (totals[i - 1] if i else 0), "total_spent": t} for i, t in enumerate(totals)])


def check(warehouse) -> dg.AssetCheckResult:
    return search_within_budget(dg.build_asset_check_context(), warehouse=warehouse)


def test_within_budget_passes_and_unbudgeted_baselines_are_ignored(warehouse):
    warehouse.append("core.gem_picks", pl.concat([picks(100, 100), picks(1000, None, "exhaustive")]))
    warehouse.append("core.gem_rounds", rounds([40, 70, 100]))
    assert check(warehouse).passed


def test_over_budget_fails(warehouse):
    warehouse.append("core.gem_picks", picks(101, 100))
    result = check(warehouse)
    assert not result.passed and result.metadata["problems"].value == 1


def test_a_round_that_ran_over_fails_even_when_the_final_count_is_within_budget(warehouse):
    """A search that overspent inside a round and reported a final count within budget (e.g. a
    failed candidate's answers not charged) must fail: round 1's running total is 120 > 100."""
    warehouse.append("core.gem_picks", picks(100, 100))
    warehouse.append("core.gem_rounds", rounds([60, 120]))
    result = check(warehouse)
    assert not result.passed and result.metadata["problems"].value == 1
