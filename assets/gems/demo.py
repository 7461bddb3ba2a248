"""The gems part of ``hubscope demo``: publish the tiny family, search it, build its leaderboard.

Run by ``orchestration/demo.py`` (one entry of ``EXTRA_STEPS``). It runs the search with the
asset's own defaults (every strategy, exhaustive included), so the demo and ``hubscope
materialize --base-model`` give the same picks and the same efficiency query.
"""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from assets.gems import tiny_family
from assets.gems.registry import register_base_model
from assets.gems.search import DEFAULT_STRATEGY
from assets.gems.tiny_family import BASE_ID, publish_tiny_family
from orchestration.warehouse import Warehouse

GEM_KEYS = [dg.AssetKey(["raw", "gem_candidates"]), dg.AssetKey(["raw", "gem_queries"]),
            dg.AssetKey(["core", "gem_search"]), dg.AssetKey(["out", "gem_leaderboard"])]


@contextmanager
def training_progress_to_stdout():
    """Show the tiny family's training progress (what, how far, time left) on the demo's output,
    unless logging is already configured to show it somewhere."""
    logger = logging.getLogger(tiny_family.__name__)
    if logger.hasHandlers():
        yield
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def demo_step(ctx) -> str | None:  # ctx: orchestration.demo.DemoContext
    """Train/publish the family into the running server's data dir (cached), then materialize the gems assets."""
    print("gems: publishing the tiny GPT-2 family (trained once, then cached) ...")
    with training_progress_to_stdout():
        publish_tiny_family(Path(ctx.api.data_dir))
    warehouse = Warehouse(database=ctx.database)
    key = register_base_model(warehouse, ctx.instance, BASE_ID)
    print(f"gems: searching {BASE_ID}'s model tree ...")
    ok = ctx.run("demo_gem_queries", dg.AssetSelection.assets(GEM_KEYS[1]))
    ok &= ctx.run("demo_gems", dg.AssetSelection.assets(GEM_KEYS[0], *GEM_KEYS[2:]), partition_key=key,
                  tags={"hubscope/gpu": "true"})
    if not ok:
        return "gems: FAILED (see the run logs)"
    return summary_line(warehouse, key)


def summary_line(warehouse: Warehouse, key: str) -> str:
    """The demo's one line on gems: the best model, whether the default search found it, and what it
    cost against what exhaustive evaluation really spent (failed candidates answer nothing)."""
    top = warehouse.query(
        "select repo_id, accuracy, downloads, hidden_gem from out.gem_leaderboard where base_key = ? and rank_performance = 1", [key])
    if top.is_empty():
        return "gems: no candidate evaluated"
    spent = dict(warehouse.query(
        "select strategy, queries_spent from core.gem_picks where base_key = ?", [key]).iter_rows())
    pick = warehouse.query("select pick from core.gem_picks where base_key = ? and strategy = ?", [key, DEFAULT_STRATEGY])
    row = top.row(0, named=True)
    line = (f"gems: best of {BASE_ID}'s tree is {row['repo_id']} ({row['accuracy']:.0%}, {row['downloads']} downloads"
            f"{', hidden gem' if row['hidden_gem'] else ''})")
    if pick.height:
        found = "found it" if pick["pick"][0] == row["repo_id"] else f"picked {pick['pick'][0]}"
        line += f"; the default search {found} with {spent[DEFAULT_STRATEGY]:,} queries"
        if "exhaustive" in spent:
            line += f", exhaustive evaluation spent {spent['exhaustive']:,}"
    return line
