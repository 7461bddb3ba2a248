"""The study's family-level classification, exactly as its replication package computes it.

arXiv:2508.10157 (RQ2) classifies each *family* -- the upstream GitHub repository's commits against
the commits of all its Hub variants together -- on fortnightly periods. The rules below are those of
the package's ``RQs/RQ2_analysis.ipynb`` (``check_activity_lead``, ``synchronization``,
``intensity``); ``patterns.json`` holds their vocabulary and names:

- period = floor(whole days since the family's first commit on either platform / 14);
- lag: who is active in period 0 (both: ``simultaneous``, GitHub only: ``github_first``, the Hub
  only: ``hub_first``);
- sync type, first rule that holds: CS if every variant's periods are a subset of GitHub's; PS if
  some variant period is a GitHub period; VS if at least 3 periods each have at least 3 distinct
  variants active; AS otherwise;
- intensity: R if every variant is active in at most 3 periods; else F if some variant's periods
  shared with GitHub contain a run of at least 5 consecutive periods; else S.

Everything works on polars frames for many families at once, so one asset partition and the paper's
scale (``bench/sync.py``) run the same code. ``python -m assets.sync.classify --commits FILE --out FILE``
classifies families from a file (docs/sync.md).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import polars as pl

from assets.sync.patterns import CODE_TO_PATTERN

_DAY_US = 86_400_000_000
GITHUB, HUB = "github", "hub"
KEY = "family_key"


@dataclass(frozen=True)
class ClassifyOptions:
    """What the paper fixes (period length) and the choices it leaves open, each configurable.

    ``hub_times='day'`` follows the package, whose Hub commit dates carry no time of day (the Hub
    API it used gave dates); ``'exact'`` uses full timestamps. ``early_share`` places the
    early/late split, which the package does not publish: the early history is the first
    ``early_share`` of the family's span from first to last commit (hubscope's choice).
    """

    period_days: int = 14
    hub_times: Literal["day", "exact"] = "day"
    early_share: float = 0.5
    earliest: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    """Commits dated before this are implausible (a clock at the epoch) and dropped."""
    future_tolerance_days: float = 1.0
    """Commits dated after their fetch time plus this are a clock in the future and dropped."""

    def __post_init__(self) -> None:
        if self.period_days < 1:
            raise ValueError(f"period_days must be >= 1, got {self.period_days}")
        if not 0 < self.early_share < 1:
            raise ValueError(f"early_share must be strictly between 0 and 1, got {self.early_share}")
        if self.hub_times not in ("day", "exact"):
            raise ValueError(f"hub_times must be 'day' or 'exact', got {self.hub_times!r}")


def _utc(frame: pl.DataFrame, column: str) -> pl.Expr:
    """``column`` in UTC whether the frame carries a zone (DuckDB) or none (naive: taken as UTC)."""
    dtype = frame.schema[column]
    expr = pl.col(column)
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        return expr.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
    return expr.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def timeline(commits: pl.DataFrame, options: ClassifyOptions, now: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each family's merged timeline, and per (family, platform, repo) the commits left out.

    ``commits`` needs family_key, platform, repo and committed_at or authored_at (sha and fetched_at
    are used when present). Returns ``(kept, dropped)``: kept has ``at`` (the time the rules read:
    committed_at, else authored_at, in UTC; Hub times cut to the day when ``hub_times='day'``);
    dropped counts commits without a time or dated before ``earliest`` or in the future.
    """
    missing = [c for c in (KEY, "platform", "repo") if c not in commits.columns]
    if missing or not {"committed_at", "authored_at"} & set(commits.columns):
        raise ValueError(f"commits lack column(s) {', '.join(missing or ['committed_at'])}")
    times = [_utc(commits, c) for c in ("committed_at", "authored_at") if c in commits.columns]
    fetched = _utc(commits, "fetched_at") if "fetched_at" in commits.columns else pl.lit(None)
    limit = pl.coalesce(fetched, pl.lit(now).dt.convert_time_zone("UTC")) + pl.duration(
        microseconds=int(options.future_tolerance_days * _DAY_US))
    sha = pl.col("sha") if "sha" in commits.columns else pl.lit(None, pl.String)
    frame = commits.select(KEY, "platform", "repo", sha.alias("sha"), pl.coalesce(times).alias("at"),
                           limit.alias("_limit"))
    if "sha" in commits.columns:
        frame = frame.unique([KEY, "platform", "repo", "sha"], maintain_order=True)
    ok = pl.col("at").is_not_null() & (pl.col("at") >= options.earliest) & (pl.col("at") <= pl.col("_limit"))
    dropped = frame.filter(~ok).group_by(KEY, "platform", "repo").agg(pl.len().cast(pl.Int32).alias("n_dropped"))
    kept = frame.filter(ok).drop("_limit")
    if options.hub_times == "day":
        kept = kept.with_columns(
            pl.when(pl.col("platform") == HUB).then(pl.col("at").dt.truncate("1d")).otherwise("at").alias("at"))
    return kept, dropped


def with_periods(kept: pl.DataFrame, period_days: int) -> pl.DataFrame:
    """``kept`` with ``start`` (the family's first commit) and ``period`` (fortnights since it)."""
    start = pl.col("at").min().over(KEY)
    whole_days = (pl.col("at") - start).dt.total_microseconds() // _DAY_US
    return kept.with_columns(start.alias("start"), (whole_days // period_days).cast(pl.Int32).alias("period"))


FAMILY_SCHEMA = {KEY: pl.String, "lag": pl.String, "sync_type": pl.String, "intensity": pl.String,
                 "code": pl.String, "pattern": pl.String}


def classify_periods(periods: pl.DataFrame) -> pl.DataFrame:
    """Lag, sync type, intensity, code and pattern of each family with commits on both platforms.

    ``periods`` is :func:`with_periods`' output (one row per commit). Overlap and intensity are read
    from :func:`variant_measures`, so the rules and the per-variant table cannot disagree. Families
    with commits on one side only get no row (:func:`classify` says why).
    """
    both = periods.group_by(KEY).agg(
        (pl.col("platform") == GITHUB).any().alias("_gh"), (pl.col("platform") == HUB).any().alias("_hub"))
    periods = periods.join(both.filter(pl.col("_gh") & pl.col("_hub")).select(KEY), on=KEY)

    first = periods.filter(pl.col("period") == 0).group_by(KEY).agg(
        (pl.col("platform") == GITHUB).any().alias("gh0"), (pl.col("platform") == HUB).any().alias("hub0"))
    lag = first.select(KEY, pl.when(pl.col("gh0") & pl.col("hub0")).then(pl.lit("simultaneous"))
                       .when(pl.col("gh0")).then(pl.lit("github_first"))
                       .otherwise(pl.lit("hub_first")).alias("lag"))

    crowded = (periods.filter(pl.col("platform") == HUB).group_by(KEY, "period")
               .agg(pl.col("repo").n_unique().alias("n")).filter(pl.col("n") >= 3))
    dominated = crowded.group_by(KEY).len().filter(pl.col("len") >= 3).select(KEY, pl.lit(True).alias("_vs"))
    per_variant = variant_measures(periods).group_by(KEY).agg(
        (pl.col("n_shared_periods") == pl.col("n_periods")).all().alias("_all"),
        (pl.col("n_shared_periods") > 0).any().alias("_any"),
        pl.col("n_periods").max().alias("_most"),
        (pl.col("longest_shared_run").max() >= 5).alias("_frequent"),
    )

    out = (lag.join(per_variant, on=KEY).join(dominated, on=KEY, how="left")
           .with_columns(pl.col("_vs").fill_null(False)))
    code = (pl.when(pl.col("_all")).then(pl.lit("CS")).when(pl.col("_any")).then(pl.lit("PS"))
            .when(pl.col("_vs")).then(pl.lit("VS")).otherwise(pl.lit("AS")).alias("sync_type"))
    intensity = (pl.when(pl.col("_most") <= 3).then(pl.lit("R")).when(pl.col("_frequent")).then(pl.lit("F"))
                 .otherwise(pl.lit("S")).alias("intensity"))
    out = out.with_columns(code, intensity).with_columns((pl.col("sync_type") + pl.col("intensity")).alias("code"))
    out = out.with_columns(pl.col("code").replace_strict(CODE_TO_PATTERN, default=None).alias("pattern"))
    unnamed = out.filter(pl.col("pattern").is_null())
    if unnamed.height:  # F needs overlap, so AS/VS never meet F: a code without a name is a bug here
        raise AssertionError(f"codes without a pattern: {unnamed.select(KEY, 'code').rows()}")
    return out.select(list(FAMILY_SCHEMA)).sort(KEY)


def split_early_late(kept: pl.DataFrame, early_share: float) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(early commits, late commits, each family's split instant): early is before the split."""
    first, last = pl.col("at").min().over(KEY), pl.col("at").max().over(KEY)
    split = first + ((last - first).dt.total_microseconds() * early_share).cast(pl.Int64).cast(pl.Duration("us"))
    marked = kept.with_columns(split.alias("split_at"))
    splits = marked.group_by(KEY).agg(pl.col("split_at").first())
    early = pl.col("at") < pl.col("split_at")
    return marked.filter(early).drop("split_at"), marked.filter(~early).drop("split_at"), splits


def handoffs(kept: pl.DataFrame) -> pl.DataFrame:
    """One row per switch of platform in each family's merged timeline (the package's hand-offs).

    Commits are walked in time order (GitHub before the Hub at the same instant, then repository and
    sha, so the walk is deterministic); ``days`` is the whole days between the last commit on one
    platform and the next on the other, as the package's ``days_difference``.
    """
    order = pl.when(pl.col("platform") == GITHUB).then(0).otherwise(1)
    walk = kept.sort(KEY, "at", order, "repo", "sha", nulls_last=True)
    prev = [pl.col(c).shift(1).over(KEY).alias(f"prev_{c}") for c in ("platform", "repo", "sha", "at")]
    rows = walk.with_columns(prev).filter(
        pl.col("prev_platform").is_not_null() & (pl.col("prev_platform") != pl.col("platform")))
    return rows.select(
        KEY,
        pl.int_range(1, pl.len() + 1).over(KEY).cast(pl.Int32).alias("seq"),
        pl.col("prev_platform").alias("source"),
        pl.col("platform").alias("target"),
        "prev_repo", "prev_sha", pl.col("prev_at").alias("prev_commit"),
        pl.col("repo").alias("next_repo"), pl.col("sha").alias("next_sha"), pl.col("at").alias("next_commit"),
        ((pl.col("at") - pl.col("prev_at")).dt.total_microseconds() // _DAY_US).cast(pl.Int32).alias("days"),
    )


def variant_measures(periods: pl.DataFrame) -> pl.DataFrame:
    """Per Hub variant, the quantities the rules read: active and shared periods, longest shared run.

    Supplementary: they explain a family's code (e.g. which variant made it F) without adding a rule.
    """
    github = periods.filter(pl.col("platform") == GITHUB).select(KEY, "period").unique().with_columns(
        pl.lit(True).alias("shared"))
    hub = periods.filter(pl.col("platform") == HUB)
    per_period = hub.group_by(KEY, "repo", "period").len().join(github, on=[KEY, "period"], how="left").with_columns(
        pl.col("shared").fill_null(False))
    runs = (per_period.filter(pl.col("shared")).sort(KEY, "repo", "period")
            .with_columns((pl.col("period") - pl.int_range(pl.len()).over(KEY, "repo")).alias("_run"))
            .group_by(KEY, "repo", "_run").len().group_by(KEY, "repo").agg(pl.col("len").max().alias("run")))
    counts = per_period.group_by(KEY, "repo").agg(pl.len().cast(pl.Int32).alias("n_periods"),
                                                   pl.col("shared").sum().cast(pl.Int32).alias("n_shared_periods"))
    spans = hub.group_by(KEY, "repo").agg(
        pl.len().cast(pl.Int32).alias("n_commits"), pl.col("at").min().alias("first_commit"),
        pl.col("at").max().alias("last_commit"))
    return (spans.join(counts, on=[KEY, "repo"]).join(runs, on=[KEY, "repo"], how="left")
            .with_columns(pl.col("run").fill_null(0).cast(pl.Int32).alias("longest_shared_run"),
                          ((pl.col("last_commit") - pl.col("first_commit")).dt.total_microseconds() // _DAY_US)
                          .cast(pl.Int32).alias("age_days"))
            .rename({"repo": "hub_repo"}).drop("run").sort(KEY, "hub_repo"))


def _prefixed(verdicts: pl.DataFrame, part: str) -> pl.DataFrame:
    """``classify_periods`` columns renamed for one part of the history (``early_code``, ...)."""
    return verdicts.rename({c: f"{part}_{c}" for c in FAMILY_SCHEMA if c != KEY})


@dataclass(frozen=True)
class Classified:
    """Everything the rules produce for a set of families (the sync assets store each frame)."""

    families: pl.DataFrame
    variants: pl.DataFrame
    periods: pl.DataFrame
    handoffs: pl.DataFrame


def classify(commits: pl.DataFrame, options: ClassifyOptions, now: datetime,
             families: pl.DataFrame | None = None) -> Classified:
    """Classify every family of ``commits`` (and of ``families``, which may list ones without commits).

    ``families`` (family_key, optional github_repo and reason) adds families that must get a row even
    without commits; a family with commits on one platform only is kept with ``status='excluded'``
    and the reason, as the paper excludes it from every table.
    """
    kept, dropped = timeline(commits, options, now)
    periods = with_periods(kept, options.period_days)
    whole = classify_periods(periods)
    early_rows, late_rows, splits = split_early_late(kept, options.early_share)
    early = classify_periods(with_periods(early_rows, options.period_days))
    late = classify_periods(with_periods(late_rows, options.period_days))

    keys = kept.select(KEY).unique()
    if families is not None:
        keys = pl.concat([keys, families.select(KEY)]).unique()
    is_gh, is_hub = pl.col("platform") == GITHUB, pl.col("platform") == HUB
    stats = periods.group_by(KEY).agg(
        is_gh.sum().cast(pl.Int32).alias("n_github_commits"), is_hub.sum().cast(pl.Int32).alias("n_hub_commits"),
        pl.col("repo").filter(is_hub).n_unique().cast(pl.Int32).alias("n_variants"),
        pl.col("at").min().alias("first_commit"), pl.col("at").max().alias("last_commit"),
        (pl.col("period").max() + 1).alias("n_periods"),
        pl.col("period").filter(is_gh).n_unique().cast(pl.Int32).alias("n_github_periods"),
        pl.col("period").filter(is_hub).n_unique().cast(pl.Int32).alias("n_hub_periods"),
    )
    variants = variant_measures(periods)
    ages = variants.group_by(KEY).agg(pl.col("age_days").mean().alias("average_age_days"))
    n_dropped = dropped.group_by(KEY).agg(pl.col("n_dropped").sum())
    out = (keys.join(stats, on=KEY, how="left").join(ages, on=KEY, how="left").join(n_dropped, on=KEY, how="left")
           .join(whole, on=KEY, how="left").join(splits, on=KEY, how="left")
           .join(_prefixed(early, "early"), on=KEY, how="left").join(_prefixed(late, "late"), on=KEY, how="left")
           .with_columns(pl.col("n_github_commits", "n_hub_commits", "n_variants", "n_dropped").fill_null(0)))
    given = families.select(KEY, "reason") if families is not None and "reason" in families.columns else None
    why = [pl.when(pl.col("n_github_commits") == 0).then(pl.lit("no GitHub commits")),
           pl.when(pl.col("n_hub_commits") == 0).then(pl.lit("no Hub commits"))]
    if given is not None:
        out = out.join(given.rename({"reason": "_given"}), on=KEY, how="left")
        why.insert(0, pl.col("_given"))
    out = out.with_columns(pl.concat_list(why).list.drop_nulls().list.join("; ").alias("_why"))
    excluded = pl.col("pattern").is_null()
    out = out.with_columns(
        pl.when(excluded).then(pl.lit("excluded")).otherwise(pl.lit("ok")).alias("status"),
        pl.when(excluded).then(pl.col("_why"))
        .when(pl.col("n_dropped") > 0)
        .then(pl.format("dropped {} commit(s) without a plausible time (before 2000 or in the future)",
                        pl.col("n_dropped")))
        .alias("reason"),
    ).drop("_why", *(["_given"] if given is not None else [])).sort(KEY)
    period_rows = periods.group_by(KEY, "platform", "repo", "period").agg(
        pl.len().cast(pl.Int32).alias("n_commits"), pl.col("start").first()).with_columns(
        (pl.col("start") + pl.duration(days=pl.col("period") * options.period_days)).alias("period_start")
    ).drop("start").sort(KEY, "period", "platform", "repo")
    return Classified(out, variants, period_rows, handoffs(kept))


# --- the command line: classify families from a file -------------------------------------------------

INPUT_COLUMNS = (KEY, "platform", "repo", "committed_at")
OUTPUT_COLUMNS = list(FAMILY_SCHEMA)
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")


class InputError(ValueError):
    """A commits file the classifier cannot read; the message names the file and line."""


def read_commits(path: Path) -> pl.DataFrame:
    """The commits file, validated row by row (CSV lines count the header as line 1)."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame, where = pl.read_csv(path, infer_schema=False), "line"
        elif suffix == ".parquet":
            frame, where = pl.read_parquet(path), "row"
        else:
            raise InputError(f"{path}: expected a .csv or .parquet file")
    except pl.exceptions.PolarsError as error:
        raise InputError(f"{path}: cannot be read: {str(error).splitlines()[0]}") from error
    missing = [c for c in INPUT_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    first_line = 2 if where == "line" else 1
    frame = frame.with_row_index("_line", offset=first_line)
    when = frame.schema["committed_at"]
    if isinstance(when, pl.Datetime):
        if when.time_zone is None:
            raise InputError(f"{path}: committed_at has no time zone; give ISO 8601 times with an offset")
        frame = frame.with_columns(pl.col("committed_at").dt.convert_time_zone("UTC").alias("_at"))
    else:
        text = pl.col("committed_at").cast(pl.String).str.strip_chars()
        frame = frame.with_columns(
            pl.when(text.str.contains(_OFFSET.pattern)).then(text.str.to_datetime(time_zone="UTC", strict=False))
            .alias("_at"))
    problems = [
        (pl.col(KEY).is_null() | (pl.col(KEY).cast(pl.String).str.strip_chars() == ""), "empty family_key"),
        (~pl.col("platform").cast(pl.String).is_in([GITHUB, HUB]).fill_null(False),
         "platform must be 'github' or 'hub'"),
        (pl.col("repo").is_null() | (pl.col("repo").cast(pl.String).str.strip_chars() == ""), "empty repo"),
        (pl.col("_at").is_null(), "committed_at is not an ISO 8601 time with an offset"),
    ]
    for bad, message in problems:
        rows = frame.filter(bad)
        if rows.height:
            row = rows.row(0, named=True)
            value = row.get("platform") if "platform" in message else row.get("committed_at")
            shown = f" (got {value!r})" if message.startswith(("platform", "committed_at")) else ""
            more = f"; {rows.height - 1} more row(s) like it" if rows.height > 1 else ""
            raise InputError(f"{path}: {where} {row['_line']}: {message}{shown}{more}")
    return frame.select(pl.col(KEY).cast(pl.String), pl.col("platform").cast(pl.String),
                        pl.col("repo").cast(pl.String), pl.col("_at").alias("committed_at"))


def main(argv: list[str] | None = None) -> int:
    """``python -m assets.sync.classify --commits FILE --out FILE``: one CSV row per classified family."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=Path, required=True,
                        help="CSV or Parquet: family_key, platform (github|hub), repo, committed_at (ISO 8601 + offset)")
    parser.add_argument("--out", type=Path, required=True, help="CSV to write: " + ", ".join(OUTPUT_COLUMNS))
    parser.add_argument("--hub-times", choices=["day", "exact"], default="day",
                        help="Hub times as dates (the package's data) or exact (default: day)")
    args = parser.parse_args(argv)
    try:
        commits = read_commits(args.commits)
    except InputError as error:
        print(f"error: {error}; nothing was written", file=sys.stderr)
        return 2
    result = classify(commits, ClassifyOptions(hub_times=args.hub_times), datetime.now(UTC))
    ok = result.families.filter(pl.col("status") == "ok")
    tmp = args.out.with_name(args.out.name + ".tmp")
    ok.select(OUTPUT_COLUMNS).write_csv(tmp)
    tmp.replace(args.out)  # atomic: a reader never sees half a file
    for key, reason in result.families.filter(pl.col("status") != "ok").select(KEY, "reason").iter_rows():
        print(f"excluded {key}: {reason}", file=sys.stderr)
    print(f"classified {ok.height} families into {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
