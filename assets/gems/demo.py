"""The gems part of ``hubscope demo``: publish the tiny family, search it, build its leaderboard.

Run by ``orchestration/demo.py`` (one entry of ``EXTRA_STEPS``).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from assets.gems.registry import register_base_model
from assets.gems.tiny_family import BASE_ID, publish_tiny_family
from orchestration.warehouse import Warehouse

GEM_KEYS = [dg.AssetKey(["raw", "gem_candidates"]), dg.AssetKey(["raw", "gem_queries"]),
            dg.AssetKey(["core", "gem_search"]), dg.AssetKey(["out", "gem_leaderboard"])]


def demo_step(ctx) -> str | None:  # ctx: orchestration.demo.DemoContext
    """Train/publish the family into the running server's data dir (cached), then materialize the gems assets."""
    print("gems: publishing the tiny GPT-2 family (trained once, then cached) ...")
    publish_tiny_family(Path(ctx.api.data_dir))
    warehouse = Warehouse(database=ctx.database)
    key = register_base_model(warehouse, ctx.instance, BASE_ID)
    print(f"gems: searching {BASE_ID}'s model tree ...")
    ok = ctx.run("demo_gem_queries", dg.AssetSelection.assets(GEM_KEYS[1]))
    ok &= ctx.run(
        "demo_gems", dg.AssetSelection.assets(GEM_KEYS[0], *GEM_KEYS[2:]), partition_key=key,
        tags={"hubscope/gpu": "true"},
        config={"ops": {"core__gem_search": {"config": {
            "strategies": ["aggressive", "halving", "uniform", "exhaustive", "random", "most_downloaded"]}}}},
    )
    if not ok:
        return "gems: FAILED (see the run logs)"
    top = warehouse.query(
        "select repo_id, accuracy, downloads, hidden_gem from out.gem_leaderboard where base_key = ? and rank_performance = 1", [key])
    picks = warehouse.query(
        "select pick, queries_spent, exhaustive_queries from core.gem_picks where base_key = ? and strategy = 'aggressive'", [key])
    if top.is_empty():
        return "gems: no candidate evaluated"
    row = top.row(0, named=True)
    search = picks.row(0, named=True) if picks.height else {"pick": None, "queries_spent": 0, "exhaustive_queries": 0}
    found = "found it" if search["pick"] == row["repo_id"] else f"picked {search['pick']}"
    return (f"gems: best of {BASE_ID}'s tree is {row['repo_id']} ({row['accuracy']:.0%}, {row['downloads']} downloads"
            f"{', hidden gem' if row['hidden_gem'] else ''}); aggressive halving {found} with {search['queries_spent']} "
            f"of {search['exhaustive_queries']} exhaustive queries")
