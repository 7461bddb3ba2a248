"""Per-pair timelines, lag, overlap, co-change and pattern, vectorised over any set of families.

One pair is a Hub variant (``core.variants``) and its family's upstream GitHub repository
(``core.families.github_repo``); arXiv:2508.10157 (Sec. "Data collection" and "RQ2") studies
each of the 904 variants against its family's repository. Everything here works on polars frames
for many families at once, so one family (an asset partition) and the paper's whole scale
(bench/sync.py) run the same code.

Definitions (docs/sync.md has the reasoning):

- a commit's time is ``committed_at`` (when it landed), else ``authored_at``, in UTC; commits
  without either, or dated after their fetch time plus a tolerance (a clock in the future), are
  dropped and counted;
- each commit's *nearest* counterpart is the other platform's closest commit in time; it is
  *shared* when that counterpart lies within ``window_days``, else *isolated*;
- lag: the median over the pair's Hub commits of (Hub time - nearest GitHub time) in days:
  positive when GitHub moves first; ``first_mover`` also records which platform started first
  (the replication package's "lag (which platform starts first)");
- overlap: days the two activity spans (first to last commit, inclusive calendar days) have in
  common over the days of their union;
- co-change share: shared commits over all commits of the pair's two timelines.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from assets.sync.patterns import dimension_exprs, pattern_expr
from assets.sync.thresholds import SyncThresholds

PAIR_COLUMNS = ["family_key", "github_repo", "hub_repo"]
COMMIT_COLUMNS = ["family_key", "platform", "repo", "sha", "authored_at", "committed_at", "fetched_at"]
LABEL_COLUMNS = ["family_key", "platform", "repo", "sha", "category"]
_DAY_US = 86_400_000_000


def _utc(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Timestamps in UTC whether the frame carries a zone (DuckDB) or none (CSV: taken as UTC)."""
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        return expr.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
    return expr.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _require(frame: pl.DataFrame, columns: list[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {', '.join(missing)}")


def clean_commits(commits: pl.DataFrame, t: SyncThresholds, now: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Timestamped commits, and per (family, platform, repo) how many were dropped.

    Returns ``(kept, dropped)``: ``kept`` has ``at`` (UTC); ``dropped`` has ``n_dropped``.
    """
    _require(commits, COMMIT_COLUMNS, "commits")
    schema = commits.schema
    limit = pl.coalesce(_utc(pl.col("fetched_at"), schema["fetched_at"]), pl.lit(now).dt.convert_time_zone("UTC"))
    frame = commits.select(
        "family_key", "platform", "repo", "sha",
        pl.coalesce(_utc(pl.col("committed_at"), schema["committed_at"]),
                    _utc(pl.col("authored_at"), schema["authored_at"])).alias("at"),
        (limit + pl.duration(microseconds=int(t.future_tolerance_days * _DAY_US))).alias("_limit"),
    ).unique(["family_key", "platform", "repo", "sha"])
    ok = pl.col("at").is_not_null() & (pl.col("at") <= pl.col("_limit"))
    dropped = frame.filter(~ok).group_by("family_key", "platform", "repo").agg(pl.len().alias("n_dropped"))
    return frame.filter(ok).drop("_limit"), dropped


def _nearest(left: pl.DataFrame, right: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """``left`` with ``nearest_days``: signed days to the closest ``right`` commit in its ``by`` group."""
    right = right.select(*by, pl.col("at").alias("_other")).sort("_other")
    joined = left.sort("at").join_asof(
        right, left_on="at", right_on="_other", by=by, strategy="nearest", check_sortedness=False
    )
    return joined.with_columns(
        ((pl.col("_other") - pl.col("at")).dt.total_microseconds() / _DAY_US).alias("nearest_days")
    ).drop("_other")


def compute_pairs(
    pairs: pl.DataFrame,
    commits: pl.DataFrame,
    labels: pl.DataFrame,
    thresholds: SyncThresholds,
    now: datetime,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The ``core.sync_pairs`` and ``core.sync_timeline`` rows for every pair in ``pairs``.

    A pair with no commits on one side, or no upstream repository, is kept with
    ``status='excluded'`` and its reason; every other pair gets exactly one of the 8 patterns.
    """
    _require(pairs, PAIR_COLUMNS, "pairs")
    _require(labels, LABEL_COLUMNS, "labels")
    t = thresholds
    kept, dropped = clean_commits(commits, t, now)
    pairs = pairs.select(PAIR_COLUMNS).unique(["family_key", "hub_repo"])

    github = pairs.filter(pl.col("github_repo").is_not_null()).join(
        kept.filter(pl.col("platform") == "github"),
        left_on=["family_key", "github_repo"], right_on=["family_key", "repo"],
    ).select("family_key", "hub_repo", "platform", pl.col("github_repo").alias("repo"), "sha", "at")
    hub = pairs.join(
        kept.filter(pl.col("platform") == "hub"), left_on=["family_key", "hub_repo"], right_on=["family_key", "repo"]
    ).select("family_key", "hub_repo", "platform", pl.col("hub_repo").alias("repo"), "sha", "at")

    timeline = pl.concat([
        _nearest(github, hub, ["family_key", "hub_repo"]),
        _nearest(hub, github, ["family_key", "hub_repo"]),
    ])
    timeline = timeline.with_columns(
        (pl.col("nearest_days").abs() <= t.window_days).fill_null(False).alias("shared")
    ).join(
        labels.select(LABEL_COLUMNS).unique(["family_key", "platform", "repo", "sha"]),
        on=["family_key", "platform", "repo", "sha"], how="left",
    ).sort("family_key", "hub_repo", "at", "platform", "sha")

    is_gh, is_hub = pl.col("platform") == "github", pl.col("platform") == "hub"
    stats = timeline.group_by("family_key", "hub_repo").agg(
        is_gh.sum().cast(pl.Int32).alias("n_github_commits"),
        is_hub.sum().cast(pl.Int32).alias("n_hub_commits"),
        pl.col("at").filter(is_gh).min().alias("github_first"),
        pl.col("at").filter(is_gh).max().alias("github_last"),
        pl.col("at").filter(is_hub).min().alias("hub_first"),
        pl.col("at").filter(is_hub).max().alias("hub_last"),
        (-pl.col("nearest_days").filter(is_hub)).median().alias("lag_days"),
        pl.col("shared").mean().alias("co_change_share"),
    )
    day = lambda c: pl.col(c).dt.date()  # noqa: E731 - calendar day in UTC
    inter = (pl.min_horizontal(day("github_last"), day("hub_last"))
             - pl.max_horizontal(day("github_first"), day("hub_first"))).dt.total_days() + 1
    union = (pl.max_horizontal(day("github_last"), day("hub_last"))
             - pl.min_horizontal(day("github_first"), day("hub_first"))).dt.total_days() + 1
    stats = stats.with_columns(
        (pl.max_horizontal(inter, 0) / union).alias("overlap"),
        pl.when(day("github_first") == day("hub_first")).then(pl.lit("same day"))
        .when(pl.col("github_first") < pl.col("hub_first")).then(pl.lit("github"))
        .otherwise(pl.lit("hub")).alias("first_mover"),
    )

    n_dropped = pairs.join(
        dropped.filter(pl.col("platform") == "github").select("family_key", pl.col("repo").alias("github_repo"),
                                                                "n_dropped"),
        on=["family_key", "github_repo"], how="left",
    ).join(
        dropped.filter(pl.col("platform") == "hub").select("family_key", pl.col("repo").alias("hub_repo"),
                                                             pl.col("n_dropped").alias("_hub_dropped")),
        on=["family_key", "hub_repo"], how="left",
    ).select("family_key", "hub_repo",
             (pl.col("n_dropped").fill_null(0) + pl.col("_hub_dropped").fill_null(0)).cast(pl.Int32).alias("n_dropped"))

    out = pairs.join(stats, on=["family_key", "hub_repo"], how="left").join(
        n_dropped, on=["family_key", "hub_repo"], how="left"
    ).with_columns(pl.col("n_github_commits", "n_hub_commits").fill_null(0))
    missing = pl.concat_list(
        pl.when(pl.col("github_repo").is_null()).then(pl.lit("no upstream GitHub repository linked")),
        pl.when(pl.col("github_repo").is_not_null() & (pl.col("n_github_commits") == 0))
        .then(pl.lit("no GitHub commits")),
        pl.when(pl.col("n_hub_commits") == 0).then(pl.lit("no Hub commits")),
    ).list.drop_nulls()
    out = out.with_columns(missing.alias("_why")).with_columns(
        pl.when(pl.col("_why").list.len() > 0).then(pl.lit("excluded")).otherwise(pl.lit("ok")).alias("status")
    )
    ok = pl.col("status") == "ok"
    out = out.with_columns(dimension_exprs(t)).with_columns(pattern_expr()).with_columns(
        *[pl.when(ok).then(pl.col(c)).alias(c)
         for c in ("pattern", "sync_type", "intensity", "leader", "first_mover", "lag_class", "lag_days", "overlap",
                   "co_change_share")],
        pl.when(~ok).then(pl.col("_why").list.join("; "))
        .when(pl.col("n_dropped") > 0)
        .then(pl.format("dropped {} commit(s) without a timestamp or dated in the future", pl.col("n_dropped")))
        .alias("reason"),
        pl.lit(now).dt.convert_time_zone("UTC").alias("computed_at"),
    ).drop("_why").sort("family_key", "hub_repo")
    return out, timeline.rename({"at": "commit_time"})
