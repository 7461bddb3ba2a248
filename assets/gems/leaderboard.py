"""The leaderboard: estimated accuracy with intervals, ranks by performance and by downloads, gems.

A hidden gem (after the study): not among the popular candidates (top ``popular_share`` by
downloads, at least one), and significantly better than the best popular candidate that was
evaluated (one-sided two-proportion test at ``alpha``). Estimates use every stored answer of the
candidate's revision, whichever strategy asked for it.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from assets.gems.stats import better_p_value, rank_desc, wilson_interval


def build_leaderboard(
    candidates: pl.DataFrame, scores: pl.DataFrame, failures: pl.DataFrame, picks: pl.DataFrame,
    *, popular_share: float = 0.01, alpha: float = 0.05,
) -> pl.DataFrame:
    """One row per included candidate.

    ``candidates``: repo_id, sha, downloads, likes; ``scores``: repo_id, queries, correct;
    ``failures``: repo_id, reason; ``picks``: strategy, pick.
    """
    board = (
        candidates.select("repo_id", pl.col("sha").alias("revision"), "downloads", "likes")
        .join(scores, on="repo_id", how="left")
        .join(failures.rename({"reason": "failure_reason"}), on="repo_id", how="left")
        .with_columns(pl.col("queries").fill_null(0).cast(pl.Int32), pl.col("correct").fill_null(0).cast(pl.Int32))
    )
    board = board.filter((pl.col("queries") > 0) | pl.col("failure_reason").is_not_null())
    board = board.with_columns(
        pl.when(pl.col("failure_reason").is_not_null()).then(pl.lit("failed")).otherwise(pl.lit("evaluated")).alias("status"),
        pl.when(pl.col("queries") > 0).then(pl.col("correct") / pl.col("queries")).alias("accuracy"),
    )
    intervals = [wilson_interval(c, n) if n else (None, None) for c, n in zip(board["correct"], board["queries"], strict=True)]
    board = board.with_columns(
        pl.Series("ci_low", [lo for lo, _ in intervals], dtype=pl.Float64),
        pl.Series("ci_high", [hi for _, hi in intervals], dtype=pl.Float64),
    )
    downloads = board["downloads"].fill_null(0).to_numpy()
    board = board.with_columns(pl.Series("rank_downloads", rank_desc(downloads) if board.height else [], dtype=pl.Int32))
    n_popular = max(1, math.ceil(popular_share * board.height))
    board = board.with_columns((pl.col("rank_downloads") <= n_popular).alias("popular"))
    evaluated = board["status"] == "evaluated"
    acc = board["accuracy"].fill_null(-1.0).to_numpy()
    perf = np.where(evaluated.to_numpy(), rank_desc(np.where(evaluated.to_numpy(), acc, -np.inf)), 0)
    board = board.with_columns(pl.Series("rank_performance", perf, dtype=pl.Int32).replace(0, None))
    pop = board.filter(pl.col("popular") & (pl.col("status") == "evaluated")).sort("accuracy", descending=True).head(1)
    if pop.height:
        pc, pn = pop["correct"][0], pop["queries"][0]
        pvals = [better_p_value(c, n, pc, pn) if s == "evaluated" else None
                 for c, n, s in zip(board["correct"], board["queries"], board["status"], strict=True)]
    else:
        pvals = [None] * board.height
    board = board.with_columns(pl.Series("p_vs_popular", pvals, dtype=pl.Float64))
    board = board.with_columns(
        (~pl.col("popular") & (pl.col("p_vs_popular") < alpha)).fill_null(False).alias("hidden_gem")
    )
    picked = picks.group_by("pick").agg(pl.col("strategy").sort().alias("picked_by")).rename({"pick": "repo_id"})
    return board.join(picked, on="repo_id", how="left").sort("rank_performance", "rank_downloads", nulls_last=True)


def accuracy_vs_downloads(board: pl.DataFrame, title: str) -> str:
    """Scatter of estimated accuracy (with intervals) against downloads, gems highlighted, as markdown."""
    from assets.ui_images import png_markdown  # first: it puts matplotlib on the headless backend
    import matplotlib.pyplot as plt

    ev = board.filter(pl.col("status") == "evaluated")
    fig, ax = plt.subplots(figsize=(6, 4), dpi=90)
    x = np.maximum(ev["downloads"].fill_null(0).to_numpy(), 1)
    y = ev["accuracy"].to_numpy()
    err = np.clip(np.vstack([y - ev["ci_low"].to_numpy(), ev["ci_high"].to_numpy() - y]), 0, None)
    gem = ev["hidden_gem"].to_numpy()
    ax.errorbar(x[~gem], y[~gem], yerr=err[:, ~gem], fmt="o", color="tab:blue", alpha=0.7, label="candidate")
    if gem.any():
        ax.errorbar(x[gem], y[gem], yerr=err[:, gem], fmt="*", ms=12, color="tab:red", label="hidden gem")
    for xi, yi, name in zip(x, y, ev["repo_id"], strict=True):
        ax.annotate(name.split("/")[-1], (xi, yi), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("downloads (last 30 days, log scale)")
    ax.set_ylabel("estimated accuracy (95% Wilson interval)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return png_markdown(fig, "accuracy vs downloads")
