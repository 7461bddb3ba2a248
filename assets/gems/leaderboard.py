"""The leaderboard: estimated accuracy with intervals, ranks by performance and by downloads, gems.

A hidden gem follows the study's definition (arXiv:2601.22157), with each of its three parts decided
on the estimates' uncertainty rather than on point values, because a search leaves most candidates
with a few dozen answers:

1. *outside the top 1% by downloads* (``popular_share``, at least one model is popular);
2. *inside the top 1% by performance*: fewer than ``ceil(1% x evaluated)`` (at least one) evaluated
   candidates are significantly better than it, so a model a search dropped early on a noisy
   estimate is not ruled out, and one that many models clearly beat is;
3. *strictly better than the best popular model*: significantly better (one-sided two-proportion
   test at ``alpha``) than the popular candidate with the highest estimate.

Every candidate gets a ``gem_reason`` saying which part holds or fails, shown in the UI. Estimates
use every stored answer of the candidate's revision, whichever strategy asked for it.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from assets.gems.simulate import AGREEMENT_LEVELS
from assets.gems.stats import agreement_at, better_p_value, rank_desc, significantly_better_counts, wilson_interval


def build_leaderboard(
    candidates: pl.DataFrame, scores: pl.DataFrame, failures: pl.DataFrame, picks: pl.DataFrame,
    *, popular_share: float = 0.01, top_share: float = 0.01, alpha: float = 0.05,
) -> pl.DataFrame:
    """One row per included candidate that was evaluated or failed.

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
    evaluated = (board["status"] == "evaluated").to_numpy()
    acc = board["accuracy"].fill_null(-1.0).to_numpy()
    perf = np.where(evaluated, rank_desc(np.where(evaluated, acc, -np.inf)), 0)
    board = board.with_columns(pl.Series("rank_performance", perf, dtype=pl.Int32).replace(0, None))
    correct, queries = board["correct"].to_list(), board["queries"].to_list()
    n_top = max(1, math.ceil(top_share * int(evaluated.sum())))
    beaten = significantly_better_counts(np.array(correct), np.where(evaluated, queries, 0), alpha)
    beaten_by = [int(b) if ok else None for b, ok in zip(beaten, evaluated, strict=True)]
    pop = board.filter(pl.col("popular") & (pl.col("status") == "evaluated")).sort("accuracy", descending=True).head(1)
    if pop.height:
        pc, pn = pop["correct"][0], pop["queries"][0]
        pvals = [better_p_value(c, n, pc, pn) if ok else None for c, n, ok in zip(correct, queries, evaluated, strict=True)]
    else:
        pvals = [None] * board.height
    board = board.with_columns(
        pl.Series("p_vs_popular", pvals, dtype=pl.Float64),
        pl.Series("significantly_better", beaten_by, dtype=pl.Int32),
    )
    board = board.with_columns((pl.col("significantly_better") < n_top).fill_null(False).alias("top_performance"))
    board = board.with_columns(
        (~pl.col("popular") & pl.col("top_performance") & (pl.col("p_vs_popular") < alpha)).fill_null(False).alias("hidden_gem")
    )
    best_popular = pop["repo_id"][0] if pop.height else None
    board = board.with_columns(pl.Series("gem_reason", [
        gem_reason(row, n_popular, n_top, best_popular, alpha) for row in board.iter_rows(named=True)], dtype=pl.String))
    picked = picks.group_by("pick").agg(pl.col("strategy").sort().alias("picked_by")).rename({"pick": "repo_id"})
    return board.drop("significantly_better").join(picked, on="repo_id", how="left").sort(
        "rank_performance", "rank_downloads", nulls_last=True)


def gem_reason(row: dict, n_popular: int, n_top: int, best_popular: str | None, alpha: float) -> str:
    """Why a candidate is or is not a hidden gem, in the study's three parts (first that fails)."""
    if row["status"] != "evaluated":
        return f"not a gem: evaluation failed ({row['failure_reason']})"
    if row["popular"]:
        return f"not a gem: popular (rank {row['rank_downloads']} by downloads, top {n_popular})"
    if not row["top_performance"]:
        return (f"not a gem: {row['significantly_better']} candidates are significantly better, "
                f"so it is not in the top {n_top} by performance")
    if best_popular is None:
        return "not a gem: no popular candidate was evaluated to compare with"
    if row["p_vs_popular"] is None or row["p_vs_popular"] >= alpha:
        return (f"not a gem: not significantly better than the best popular candidate {best_popular} "
                f"(p = {row['p_vs_popular']:.3f}, alpha {alpha})")
    return (f"hidden gem: rank {row['rank_downloads']} by downloads (outside the top {n_popular}), in the top {n_top} "
            f"by performance, better than {best_popular} (p = {row['p_vs_popular']:.3g})")


LEVEL_SLACK = 0.03
"""How far outside the bench's agreement levels a pool's reading may lie and still be read as the
nearest one (the simulator's levels themselves measure within half a point of their names)."""


def top_agreement(pairs: pl.DataFrame) -> dict[str, float | str]:
    """How alike the top of the pool answers, for the run's metadata: the mean Cohen's kappa of the
    pairs in ``pairs`` (``sql/queries/gems_top_agreement.sql``: the 10 most-answered candidates, over the
    questions each pair shares) and the agreement two equal 70% candidates would have at that kappa.

    Why: how many queries a search needs depends above all on how alike the candidates it must tell
    apart answer (docs/gems.md), and the bench states its budgets per agreement level; this puts a
    real pool on that scale. Pairs whose kappa is undefined (null: both always right, or both always
    wrong) are left out.
    """
    kappas = pairs.filter(pl.col("kappa").is_not_null())
    if kappas.is_empty():
        return {"top_agreement": "not measured: no two of the top candidates share 30 answered questions"}
    kappa = float(kappas["kappa"].mean())
    level = agreement_at(kappa)
    nearest = min(AGREEMENT_LEVELS, key=lambda a: abs(a - level))
    low, high = min(AGREEMENT_LEVELS), max(AGREEMENT_LEVELS)
    if level < low - LEVEL_SLACK or level > high + LEVEL_SLACK:
        where = f"{'below' if level < low else 'above'} the bench's levels ({low:.0%} to {high:.0%}), so none of its budgets applies"
    else:
        where = (f"nearest the bench's {nearest:.0%} level (docs/gems.md, 'What the targets cost', gives the queries "
                 "per candidate a search needs there)")
    return {
        "top_kappa": round(kappa, 3), "top_agreement_at_70": round(level, 3),
        "top_agreement": (f"{kappas.height} pairs of top candidates (median {int(kappas['shared'].median())} shared answers) "
                          f"agree beyond chance at kappa {kappa:.2f}: as two equal 70% candidates agreeing on {level:.0%} "
                          f"of questions, {where}"),
    }


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
