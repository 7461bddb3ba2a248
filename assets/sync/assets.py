"""The sync stage's assets: thin wrappers around classify.py, the SQL in sql/queries and statistics.py."""

from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Literal

import dagster as dg
import polars as pl
from pydantic import Field

from assets.sync import statistics
from assets.sync.classify import ClassifyOptions, classify
from assets.sync.queries import refresh_table
from orchestration.partitions import FAMILIES
from orchestration.warehouse import Warehouse, table_preview

GROUP = "sync"
KINDS = {"duckdb", "python"}
_DEFAULTS = ClassifyOptions()
FAMILY_TABLES = ("core.sync_families", "core.sync_variants", "core.sync_periods", "core.sync_handoffs")
"""What one family partition writes, all in one transaction."""


class SyncConfig(dg.Config):
    """The choices the paper leaves open (docs/sync.md); the rules themselves are not configurable."""

    hub_times: Literal["day", "exact"] = Field(
        default=_DEFAULTS.hub_times, description="Hub commit times cut to the day (the package's data) or exact.")
    early_share: float = Field(
        default=_DEFAULTS.early_share, description="Share of a family's span that is its early history (0..1).")

    def options(self) -> ClassifyOptions:
        return ClassifyOptions(hub_times=self.hub_times, early_share=self.early_share)


def _metadata(frame: pl.DataFrame, **extra: object) -> dict[str, object]:
    return {"dagster/row_count": frame.height, "preview": table_preview(frame), **extra}


@dg.asset(
    key=["core", "sync_families"],
    partitions_def=FAMILIES,
    deps=[dg.AssetKey(["raw", "commits"]), dg.AssetKey(["core", "families"]), dg.AssetKey(["core", "variants"])],
    group_name=GROUP,
    kinds=KINDS,
    pool="duckdb",
    description=(
        "The study's unit (arXiv:2508.10157, RQ2): the family's upstream GitHub repository against all its "
        "Hub variants on fortnightly periods -- lag, sync type (CS/PS/VS/AS), intensity (F/S/R), code and "
        "pattern, also for its early and late history (core.sync_families); per-variant measures "
        "(core.sync_variants), the periods the rules read (core.sync_periods) and every platform hand-off "
        "(core.sync_handoffs). A family with commits on one platform only is excluded with the reason."
    ),
)
def sync_families(context: dg.AssetExecutionContext, config: SyncConfig, warehouse: Warehouse) -> dg.MaterializeResult:
    family = context.partition_key
    commits = warehouse.query(
        "select c.family_key, c.platform, c.repo, c.sha, c.authored_at, c.committed_at, c.fetched_at "
        "from raw.commits c left join core.families f using (family_key) "
        "where c.family_key = ? and (c.platform = 'hub' or lower(c.repo) = lower(f.github_repo))",
        [family],
    )
    result = classify(commits, config.options(), datetime.now(UTC),
                      families=pl.DataFrame({"family_key": [family]}))
    rows = result.families.with_columns(pl.lit(datetime.now(UTC)).alias("computed_at"))
    warehouse.replace_many({"family_key": family}, dict(zip(
        FAMILY_TABLES, (rows, result.variants, result.periods, result.handoffs), strict=True)))
    row = rows.row(0, named=True)
    extra: dict[str, object] = {
        "status": row["status"],
        "code": row["code"] or "(excluded)",
        "pattern": row["pattern"] or f"(excluded: {row['reason']})",
        "variants": table_preview(result.variants.select(
            "hub_repo", "n_commits", "n_periods", "n_shared_periods", "longest_shared_run"), rows=20),
        "n_handoffs": result.handoffs.height,
        "options": dg.MetadataValue.json({k: str(v) for k, v in asdict(config.options()).items()}),
    }
    if result.periods.height:
        from assets.sync import plots  # matplotlib (0.75 s) only in the step that draws

        extra["periods"] = dg.MetadataValue.md(plots.family_periods(result.periods, row))
    return dg.MaterializeResult(metadata=_metadata(rows, **extra))


def sql_table_asset(name: str, deps: list[list[str]], description: str,
                    extra: Callable[[pl.DataFrame], dict[str, object]] | None = None) -> dg.AssetsDefinition:
    """An ``out/<name>`` asset that fills ``out.<name>`` with ``sql/queries/<name>.sql``."""

    @dg.asset(key=["out", name], deps=[dg.AssetKey(d) for d in deps], group_name=GROUP, kinds=KINDS,
              pool="duckdb", description=f"{description} Runs sql/queries/{name}.sql.")
    def _asset(warehouse: Warehouse) -> dg.MaterializeResult:
        frame = refresh_table(warehouse, f"out.{name}")
        return dg.MaterializeResult(metadata=_metadata(frame, **(extra(frame) if extra else {})))

    return _asset


def test_asset(name: str, deps: list[list[str]], description: str,
               compute: Callable[[Warehouse], pl.DataFrame]) -> dg.AssetsDefinition:
    """An ``out/<name>`` asset whose rows scipy computes (``statistics.py``) from warehouse reads."""

    @dg.asset(key=["out", name], deps=[dg.AssetKey(d) for d in deps], group_name=GROUP,
              kinds={"duckdb", "python", "scipy"}, pool="duckdb", description=description)
    def _asset(warehouse: Warehouse) -> dg.MaterializeResult:
        frame = compute(warehouse)
        warehouse.replace(f"out.{name}", {}, frame)
        return dg.MaterializeResult(metadata=_metadata(frame))

    return _asset


FAMILIES_DEP = ["core", "sync_families"]
LABELS = [["core", "labelled_commits"], ["core", "llm_labelled_commits"]]


def _fit(warehouse: Warehouse) -> pl.DataFrame:
    patterns = warehouse.query("select n_families, n_variants from out.sync_rq2_patterns order by position")
    return statistics.goodness_of_fit({"families": patterns["n_families"].to_list(),
                                       "variants": patterns["n_variants"].to_list()})


def _handoff_tests(warehouse: Warehouse) -> pl.DataFrame:
    return statistics.handoff_tests(warehouse.query(
        "select f.pattern, h.source || '->' || h.target as direction, h.days from core.sync_handoffs h "
        "join core.sync_families f on f.family_key = h.family_key and f.status = 'ok'"))


SQL_TABLES: dict[str, tuple[list[list[str]], str]] = {
    "sync_rq1_shares": ([FAMILIES_DEP, *LABELS],
                        "RQ1 (arXiv:2508.10157): each category's share of a platform's categorised commits (15 "
                        "categories; bug fix, unclear, uncategorized and add model left out), over the classified "
                        "families."),
    "sync_rq1_by_age": ([FAMILIES_DEP, *LABELS], "RQ1: per age tertile, the 15x2 contingency table of category "
                                                 "and platform."),
    "sync_rq1_jaccard": ([FAMILIES_DEP, *LABELS], "RQ1: per family, the Jaccard similarity of the GitHub and Hub "
                                                  "category sets."),
    "sync_rq2_patterns": ([FAMILIES_DEP], "RQ2 (arXiv:2508.10157): the 8 synchronization patterns over classified "
                                          "families, all listed."),
    "sync_rq2_lag": ([FAMILIES_DEP], "RQ2: which platform moves first (Upstream First, No Lag, Downstream First)."),
    "sync_rq3_age_groups": ([FAMILIES_DEP], "RQ3 (arXiv:2508.10157): the age tertiles of the classified families, "
                                            "bounds computed from the data."),
    "sync_rq3_groups": ([FAMILIES_DEP], "RQ3: pattern x age group, x contributor group and x common contributors "
                                        "(contingency tables)."),
    "sync_rq3_handoffs": ([FAMILIES_DEP], "RQ3: hand-off days per pattern and direction (mean, median)."),
    "sync_rq3_transitions": ([FAMILIES_DEP], "RQ3: early-to-late pattern transitions per age group."),
    "sync_period_report": ([FAMILIES_DEP], "Per family and fortnight: both platforms' activity side by side."),
}
"""The study tables filled by ``sql/queries/<name>.sql``, with their upstream assets and descriptions."""

TEST_TABLES: dict[str, tuple[list[list[str]], str, Callable[[Warehouse], pl.DataFrame]]] = {
    "sync_rq1_tests": ([["out", "sync_rq1_by_age"]],
                       "RQ1: per age group, the chi-square test of platform x category (chi2, dof, p) and Cramer's V, "
                       "textbook and with the paper's 2n divisor; scipy, from out.sync_rq1_by_age.",
                       lambda wh: statistics.rq1_tests(wh.query("select * from out.sync_rq1_by_age"))),
    "sync_rq2_tests": ([["out", "sync_rq2_patterns"]],
                       "RQ2: chi-square goodness of fit of the pattern counts against a uniform spread, over "
                       "families (independent rows) and over variant rows (how the package counted); scipy.", _fit),
    "sync_rq3_tests": ([["out", "sync_rq3_groups"]],
                       "RQ3: chi-square test of independence of pattern and each grouping, with Cramer's V; scipy.",
                       lambda wh: statistics.independence_tests(wh.query("select * from out.sync_rq3_groups"))),
    "sync_rq3_handoff_tests": ([FAMILIES_DEP], "RQ3: Kruskal-Wallis over hand-off days by pattern and Dunn's "
                                               "pairwise post-hoc test (Bonferroni).", _handoff_tests),
}
"""The study tables scipy computes from warehouse reads (each after the SQL tables it reads)."""


def refresh_study(warehouse: Warehouse) -> dict[str, int]:
    """Every study table in dependency order, outside Dagster (``bench/sync.py``); rows per table."""
    rows = {name: refresh_table(warehouse, f"out.{name}").height for name in SQL_TABLES}
    for name, (_, _, compute) in TEST_TABLES.items():
        frame = compute(warehouse)
        warehouse.replace(f"out.{name}", {}, frame)
        rows[name] = frame.height
    return rows


def _distribution(frame: pl.DataFrame) -> dict[str, object]:
    from assets.sync import plots  # matplotlib (0.75 s) only in the step that draws

    return {"distribution": dg.MetadataValue.md(plots.pattern_distribution(frame))}


_EXTRA = {"sync_rq2_patterns": _distribution}

SYNC_ASSETS = [
    sync_families,
    *(sql_table_asset(name, deps, description, _EXTRA.get(name)) for name, (deps, description) in SQL_TABLES.items()),
    *(test_asset(name, deps, description, compute) for name, (deps, description, compute) in TEST_TABLES.items()),
]
