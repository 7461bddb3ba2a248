"""The blocking check behind RQ2: every Hub variant of a synced family has a pattern or a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import polars as pl

from assets.sync.checks import every_pair_has_pattern

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def pair(hub_repo: str, status: str, pattern: str | None, reason: str | None = None) -> dict:
    return {"family_key": "fam", "github_repo": "o/r", "hub_repo": hub_repo, "status": status, "pattern": pattern,
            "reason": reason, "n_github_commits": 1, "n_hub_commits": 1, "n_dropped": 0, "computed_at": NOW}


def setup(warehouse, variants: list[str], pairs: list[dict]) -> None:
    warehouse.replace("core.variants", {"family_key": "fam"},
                      pl.DataFrame({"family_key": ["fam"] * len(variants), "repo_id": variants}))
    warehouse.replace("core.sync_pairs", {"family_key": "fam"}, pl.DataFrame(pairs))


def test_passes_when_every_variant_has_a_pattern_or_reason(warehouse):
    name = warehouse.query("select name from core.sync_patterns order by position limit 1")["name"][0]
    setup(warehouse, ["a/x", "a/y"], [pair("a/x", "ok", name), pair("a/y", "excluded", None, "no Hub commits")])
    assert every_pair_has_pattern(dg.build_asset_check_context(), warehouse=warehouse).passed


def test_fails_on_a_variant_without_a_pair_row(warehouse):
    name = warehouse.query("select name from core.sync_patterns order by position limit 1")["name"][0]
    setup(warehouse, ["a/x", "a/missing"], [pair("a/x", "ok", name)])
    result = every_pair_has_pattern(dg.build_asset_check_context(), warehouse=warehouse)
    assert not result.passed and result.metadata["problems"].value == 1


def test_fails_on_an_exclusion_without_reason(warehouse):
    setup(warehouse, ["a/x"], [pair("a/x", "excluded", None, "")])
    assert not every_pair_has_pattern(dg.build_asset_check_context(), warehouse=warehouse).passed
