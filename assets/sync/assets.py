"""The sync stage's assets: thin wrappers around pairs.py, the SQL in sql/queries and statistics.py."""


from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import UTC, datetime

import dagster as dg
import polars as pl
from pydantic import Field

from assets.sync import plots
from assets.sync.pairs import compute_pairs
from assets.sync.queries import refresh_table
from assets.sync.statistics import chi_square_tests
from assets.sync.thresholds import GroupThresholds, SyncThresholds
from orchestration.partitions import FAMILIES
from orchestration.warehouse import Warehouse, table_preview

GROUP = "sync"
KINDS = {"duckdb", "python"}
_DEFAULTS = SyncThresholds()
_GROUP_DEFAULTS = GroupThresholds()


class SyncConfig(dg.Config):
    """RQ2 thresholds (docs/sync.md); defaults are assets/sync/thresholds.py's SyncThresholds."""

    window_days: float = Field(default=_DEFAULTS.window_days, description="Co-change window in days (<=).")
    together_days: float = Field(default=_DEFAULTS.together_days, description="|lag| <= this: no leader.")
    long_lag_days: float = Field(default=_DEFAULTS.long_lag_days, description="|lag| > this: long delay.")
    full_overlap: float = Field(default=_DEFAULTS.full_overlap, description="Span overlap >= this: full.")
    frequent_share: float = Field(default=_DEFAULTS.frequent_share, description="Co-change share >= this: frequent.")
    sporadic_share: float = Field(default=_DEFAULTS.sporadic_share, description="Co-change share >= this: sporadic.")
    future_tolerance_days: float = Field(
        default=_DEFAULTS.future_tolerance_days, description="Commits dated after fetch + this are dropped."
    )

    def thresholds(self) -> SyncThresholds:
        return SyncThresholds(**{f.name: getattr(self, f.name) for f in fields(SyncThresholds)})


class GroupConfig(dg.Config):
    """RQ3 group bounds (lower bounds of the 2nd and 3rd group); defaults are GroupThresholds."""

    age_days: list[int] = Field(default=list(_GROUP_DEFAULTS.age_days), description="Variant age in days.")
    commits: list[int] = Field(default=list(_GROUP_DEFAULTS.commits), description="Commits of the pair.")
    contributors: list[int] = Field(default=list(_GROUP_DEFAULTS.contributors), description="Upstream contributors.")

    def thresholds(self) -> GroupThresholds:
        for name in ("age_days", "commits", "contributors"):
            bounds = getattr(self, name)
            if len(bounds) != 2 or bounds[0] >= bounds[1]:
                raise ValueError(f"GroupConfig.{name} needs two increasing bounds, got {bounds}")
        return GroupThresholds(tuple(self.age_days), tuple(self.commits), tuple(self.contributors))


def _metadata(frame: pl.DataFrame, **extra: object) -> dict[str, object]:
    return {"dagster/row_count": frame.height, "preview": table_preview(frame), **extra}


@dg.asset(
    key=["core", "sync_pairs"],
    partitions_def=FAMILIES,
    deps=[dg.AssetKey(["raw", "commits"]), dg.AssetKey(["core", "labelled_commits"]),
          dg.AssetKey(["core", "llm_labelled_commits"]), dg.AssetKey(["core", "families"]), dg.AssetKey(["core", "variants"])],
    group_name=GROUP,
    kinds=KINDS,
    pool="duckdb",
    description=(
        "Per (Hub variant, upstream GitHub repository) pair of one family: lag, synchronization type, "
        "intensity and one of the 8 patterns of arXiv:2508.10157 RQ2 (core.sync_pairs), with both "
        "timelines' commits marked shared or isolated (core.sync_timeline). Pairs without commits on a "
        "side are kept as 'excluded' with the reason."
    ),
)
def sync_pairs(context: dg.AssetExecutionContext, config: SyncConfig, warehouse: Warehouse) -> dg.MaterializeResult:
    family = context.partition_key
    with warehouse.get_connection() as con:
        pairs = con.sql(
            "select v.family_key, f.github_repo, v.repo_id as hub_repo from core.variants v "
            "left join core.families f using (family_key) where v.family_key = ?", params=[family]
        ).pl()
        commits = con.sql(
            "select family_key, platform, repo, sha, authored_at, committed_at, fetched_at "
            "from raw.commits where family_key = ?", params=[family]
        ).pl()
        labels = con.sql(
            "select family_key, platform, repo, sha, category from core.commit_labels where family_key = ?",
            params=[family],
        ).pl()
    rows, timeline = compute_pairs(pairs, commits, labels, config.thresholds(), datetime.now(UTC))
    warehouse.replace_many({"family_key": family}, {"core.sync_timeline": timeline, "core.sync_pairs": rows})
    counts = rows.group_by(pl.coalesce("pattern", pl.lit("(excluded)")).alias("pattern")).len().sort("pattern")
    extra: dict[str, object] = {
        "patterns": dg.MetadataValue.json(dict(counts.iter_rows())),
        "n_excluded": int((rows["status"] == "excluded").sum()),
        "n_timeline_commits": timeline.height,
        "thresholds": dg.MetadataValue.json(asdict(config.thresholds())),
    }
    if timeline.height:
        extra["timelines"] = dg.MetadataValue.md(plots.family_timelines(timeline, rows, family))
    return dg.MaterializeResult(metadata=_metadata(rows, **extra))


def sql_table_asset(
    name: str,
    deps: list[list[str]],
    description: str,
    extra: Callable[[pl.DataFrame], dict[str, object]] | None = None,
) -> dg.AssetsDefinition:
    """An ``out/<name>`` asset that fills ``out.<name>`` with ``sql/queries/<name>.sql``."""

    @dg.asset(
        key=["out", name],
        deps=[dg.AssetKey(d) for d in deps],
        group_name=GROUP,
        kinds=KINDS,
        pool="duckdb",
        description=f"{description} Runs sql/queries/{name}.sql.",
    )
    def _asset(warehouse: Warehouse) -> dg.MaterializeResult:
        frame = refresh_table(warehouse, f"out.{name}")
        return dg.MaterializeResult(metadata=_metadata(frame, **(extra(frame) if extra else {})))

    return _asset


rq1_categories = sql_table_asset(
    "sync_rq1_categories", [["raw", "commits"], ["core", "labelled_commits"], ["core", "llm_labelled_commits"]],
    "RQ1 (arXiv:2508.10157): share of commits per change category on GitHub and on the Hub.",
)
rq2_patterns = sql_table_asset(
    "sync_rq2_patterns", [["core", "sync_pairs"]],
    "RQ2 (arXiv:2508.10157): pairs per synchronization pattern, all 8 listed.",
    extra=lambda frame: {"distribution": dg.MetadataValue.md(plots.pattern_distribution(frame))},
)
rq3_jaccard = sql_table_asset(
    "sync_rq3_jaccard", [["core", "sync_pairs"]],
    "RQ3 (arXiv:2508.10157): Jaccard similarity of GitHub's and the Hub's change-category sets, per pair and family.",
)
rq3_patterns = sql_table_asset(
    "sync_rq3_patterns", [["core", "sync_pairs"], ["out", "sync_rq3_jaccard"], ["raw", "hub_models"],
                          ["raw", "github_repos"]],
    "RQ3 (arXiv:2508.10157): average lag, Jaccard, contributors and age per pattern.",
)
family_report = sql_table_asset(
    "sync_family_report", [["core", "sync_pairs"]],
    "Family report: both timelines side by side per UTC day, shared and isolated changes, all families.",
)


@dg.asset(
    key=["out", "sync_rq3_groups"],
    deps=[dg.AssetKey(["core", "sync_pairs"]), dg.AssetKey(["raw", "hub_models"]), dg.AssetKey(["raw", "github_repos"])],
    group_name=GROUP,
    kinds=KINDS,
    pool="duckdb",
    description=(
        "RQ3 (arXiv:2508.10157): patterns against maturity (age, commits) and contributor groups, the "
        "contingency tables of the chi-square tests. Runs sql/queries/sync_rq3_groups.sql."
    ),
)
def rq3_groups(config: GroupConfig, warehouse: Warehouse) -> dg.MaterializeResult:
    frame = refresh_table(warehouse, "out.sync_rq3_groups", config.thresholds().sql_variables())
    return dg.MaterializeResult(metadata=_metadata(frame))


@dg.asset(
    key=["out", "sync_rq3_tests"],
    deps=[dg.AssetKey(["out", "sync_rq3_groups"])],
    group_name=GROUP,
    kinds={"duckdb", "python", "scipy"},
    pool="duckdb",
    description=(
        "RQ3 (arXiv:2508.10157): chi-square test of independence of pattern and each grouping "
        "(age, commits, contributors), with Cramer's V; computed by scipy from out.sync_rq3_groups."
    ),
)
def rq3_tests(warehouse: Warehouse) -> dg.MaterializeResult:
    tests = chi_square_tests(warehouse.query("select * from out.sync_rq3_groups"))
    warehouse.replace("out.sync_rq3_tests", {}, tests)
    return dg.MaterializeResult(metadata=_metadata(tests))


SYNC_ASSETS = [sync_pairs, rq1_categories, rq2_patterns, rq3_groups, rq3_tests, rq3_jaccard, rq3_patterns,
               family_report]
