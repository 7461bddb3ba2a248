"""The blocking budget check on the gems search."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import polars as pl

from assets.gems.checks import search_within_budget


def picks(spent: int, budget: int | None, strategy: str = "aggressive") -> pl.DataFrame:
    return pl.DataFrame([{"base_key": "b", "task": "t", "strategy": strategy, "pick": "m", "queries_spent": spent,
                          "budget": budget, "exhaustive_queries": 1000, "n_candidates": 10, "n_failed": 0,
                          "searched_at": datetime(2026, 1, 1, tzinfo=UTC)}])


def test_within_budget_passes_and_unbudgeted_baselines_are_ignored(warehouse):
    warehouse.append("core.gem_picks", pl.concat([picks(100, 100), picks(1000, None, "exhaustive")]))
    assert search_within_budget(dg.build_asset_check_context(), warehouse=warehouse).passed


def test_over_budget_fails(warehouse):
    warehouse.append("core.gem_picks", picks(101, 100))
    result = search_within_budget(dg.build_asset_check_context(), warehouse=warehouse)
    assert not result.passed and result.metadata["problems"].value == 1
