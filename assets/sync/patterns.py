"""The three RQ2 dimensions and the 8 synchronization patterns (arXiv:2508.10157, Sec. RQ2).

Levels as the paper names them: lag (which platform moves first -- GitHub, Hub or together -- and
whether the delay is short or long), synchronization type (full, partial or no overlap of the two
activity periods) and intensity (rare, sporadic or frequent co-change). The paper and its
replication package name five patterns -- Disperse (partial overlap, long delays; 39.4%, the most
common), Sparse (the other dominant partially synchronized pattern), Frequent (sustained overlap;
2.5%), Rare Disjoint (virtually no alignment; 3.7%) and Sporadic Disjoint (delays beyond 127 days)
-- and state that the combinations give 8. The other three names and the exact decision order
below are this project's documented choice (docs/sync.md): every pair with commits on both sides
lands in exactly one of the 8.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from assets.sync.thresholds import SyncThresholds

PATTERNS_FILE = Path(__file__).with_name("patterns.json")
"""The 8 patterns' only source: read here and by sql/ddl/030_sync.sql into core.sync_patterns."""

PATTERNS: tuple[tuple[str, str, str], ...] = tuple(
    (p["name"], p["sync_type"], p["rule"]) for p in json.loads(PATTERNS_FILE.read_text())["patterns"]
)
"""(name, synchronization type, rule) in reporting order."""

PATTERN_NAMES = tuple(p[0] for p in PATTERNS)


def dimension_exprs(t: SyncThresholds) -> list[pl.Expr]:
    """Levels of the three dimensions from ``lag_days``, ``overlap`` and ``co_change_share``."""
    abs_lag = pl.col("lag_days").abs()
    return [
        pl.when(pl.col("overlap") >= t.full_overlap).then(pl.lit("full"))
        .when(pl.col("overlap") > 0).then(pl.lit("partial"))
        .otherwise(pl.lit("none")).alias("sync_type"),
        pl.when(pl.col("co_change_share") >= t.frequent_share).then(pl.lit("frequent"))
        .when(pl.col("co_change_share") >= t.sporadic_share).then(pl.lit("sporadic"))
        .otherwise(pl.lit("rare")).alias("intensity"),
        pl.when(abs_lag <= t.together_days).then(pl.lit("together"))
        .when(pl.col("lag_days") > 0).then(pl.lit("github"))
        .otherwise(pl.lit("hub")).alias("leader"),
        pl.when(abs_lag > t.long_lag_days).then(pl.lit("long")).otherwise(pl.lit("short")).alias("lag_class"),
    ]


def pattern_expr() -> pl.Expr:
    """The pattern from the levels computed by :func:`dimension_exprs` (decision order of PATTERNS)."""
    full, partial = pl.col("sync_type") == "full", pl.col("sync_type") == "partial"
    frequent, long_lag = pl.col("intensity") == "frequent", pl.col("lag_class") == "long"
    return (
        pl.when((pl.col("sync_type") == "none") & (pl.col("intensity") == "rare"))
        .then(pl.lit("Rare disjoint synchronization"))
        .when(pl.col("sync_type") == "none").then(pl.lit("Sporadic disjoint synchronization"))
        .when(full & frequent).then(pl.lit("Frequent synchronization"))
        .when(full & long_lag).then(pl.lit("Delayed synchronization"))
        .when(full).then(pl.lit("Steady synchronization"))
        .when(partial & frequent).then(pl.lit("Clustered synchronization"))
        .when(partial & long_lag).then(pl.lit("Disperse synchronization"))
        .otherwise(pl.lit("Sparse synchronization"))
        .alias("pattern")
    )
