"""Dagster assets of the hidden-gems stage (thin wrappers; the logic lives in the sibling modules).

raw/gem_candidates (per base model) -> raw/gem_queries (per task file) -> core/gem_search (GPU pool:
evaluation driven by the search strategies) -> out/gem_leaderboard.
"""


import secrets
from datetime import UTC, datetime

import dagster as dg
import polars as pl
from pydantic import Field

from assets.gems import pool as pool_mod
from assets.gems.leaderboard import accuracy_vs_downloads, build_leaderboard, top_agreement
from assets.gems.registry import base_repo_id
from assets.gems.search import (
    BUDGETED, DEFAULT_STRATEGY, FIRST_KEEP, FIRST_SHARE, STRATEGIES, SearchResult, exhaustive, most_downloaded, paper_schedule, random_pick,
    validate_search,
)
from assets.gems.tasks import SHIPPED_TASK, Task, load_hub_task, load_task_file
from orchestration.partitions import BASE_MODELS
from orchestration.queues import GPU_STEP_TAGS
from orchestration.resources import HubResource
from orchestration.warehouse import Warehouse, table_preview

GROUP = "gems"
UNEVALUATED = ("random", "most_downloaded")
"""Strategies that pick without asking: they run after the others, so they know which candidates failed."""


class PoolConfig(dg.Config):
    relations: list[str] = Field(default=list(pool_mod.RELATIONS), description="Model-tree relations to walk.")
    max_depth: int = Field(default=4, description="How many generations below the base to walk.")
    same_architecture: bool = True
    max_size_ratio: float | None = Field(default=1.1, description="Parameter count within this factor of the base; null: any.")
    exclude_quantized: bool = True
    exclude_gated: bool = True
    min_card_fields: int = Field(default=0, description="Minimum number of filled model-card metadata fields.")


@dg.asset(
    key=["raw", "gem_candidates"], group_name=GROUP, partitions_def=BASE_MODELS,
    kinds={"huggingface", "duckdb", "python"},
    description="A base model's descendants from the Hub model tree (recursive list_models/model_info walk), "
    "relation and depth marked, with the pool filters' verdict per model.",
)
def gem_candidates(context: dg.AssetExecutionContext, config: PoolConfig, warehouse: Warehouse, hub: HubResource) -> dg.MaterializeResult:
    key = context.partition_key
    base_id = base_repo_id(warehouse, key)
    rows = pool_mod.walk_tree(hub.api(), base_id, tuple(config.relations), config.max_depth)
    filters = pool_mod.PoolFilters(config.same_architecture, config.max_size_ratio, config.exclude_quantized,
                                   config.exclude_gated, config.min_card_fields)
    frame = pool_mod.pool_frame(key, pool_mod.apply_filters(rows, filters))
    warehouse.replace("raw.gem_candidates", {"base_key": key}, frame)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": frame.height, "included": int(frame["included"].sum()),
        "preview": table_preview(frame.select("repo_id", "relation", "depth", "downloads", "included", "excluded_reason")),
    })


class TaskConfig(dg.Config):
    name: str = Field(default="two_digit_addition", description="Task name (the key of its stored queries).")
    scorer: str = Field(default="numeric", description="exact, numeric or choice.")
    path: str | None = Field(default=None, description="Local JSONL/parquet file; default: the shipped task.")
    hub_dataset: str | None = Field(default=None, description="Hub dataset repo holding the task file (instead of path).")
    hub_filename: str | None = Field(default=None, description="File inside hub_dataset.")


def read_task(config: TaskConfig, hub: HubResource) -> tuple[Task, str]:
    """The configured task and where it came from."""
    if config.hub_dataset:
        if not config.hub_filename:
            raise ValueError(f"task {config.name!r}: hub_dataset {config.hub_dataset!r} needs hub_filename")
        task = load_hub_task(config.hub_dataset, config.hub_filename, config.name, config.scorer, endpoint=hub.endpoint, token=hub.token)
        return task, f"hf://datasets/{config.hub_dataset}/{config.hub_filename}"
    path = config.path or str(SHIPPED_TASK)
    return load_task_file(path, config.name, config.scorer), path


@dg.asset(
    key=["raw", "gem_queries"], group_name=GROUP, kinds={"duckdb", "python"},
    description="Task queries (prompt, reference, choices) with stable query ids, from a local file or a Hub dataset.",
)
def gem_queries(context: dg.AssetExecutionContext, config: TaskConfig, warehouse: Warehouse, hub: HubResource) -> dg.MaterializeResult:
    task, source = read_task(config, hub)
    frame = task.queries.with_columns(
        pl.lit(task.name).alias("task"), pl.lit(task.scorer).alias("scorer"), pl.lit(source).alias("source"),
        pl.lit(datetime.now(UTC)).alias("loaded_at"),
    )
    warehouse.replace("raw.gem_queries", {"task": task.name}, frame)
    return dg.MaterializeResult(metadata={"dagster/row_count": frame.height, "task": task.name, "source": source,
                                          "preview": table_preview(frame.select("query_id", "prompt", "reference"))})


class SearchConfig(dg.Config):
    task: str = Field(default="two_digit_addition", description="Name of a task in raw.gem_queries.")
    strategies: list[str] = Field(default=list(STRATEGIES),
                                  description=f"Any of {STRATEGIES} (default: all, whoever starts the run); "
                                  f"'{DEFAULT_STRATEGY}' is the default search, exhaustive evaluates every candidate on every query.")
    queries_per_candidate: float = Field(default=50, description="Budget = this x pool size (the study's N).")
    first_keep: int = Field(default=FIRST_KEEP, description="'aggressive' (the study's schedule): survivors after the first round.")
    first_share: float = Field(default=FIRST_SHARE, description="'aggressive': least share of the budget for the first round.")
    keep_fraction: float = Field(default=0.5, description="'aggressive': share of survivors kept per later round.")
    seed: int | None = Field(default=None, description="Query order and tie-breaks; null draws a fresh one per run, "
                             "stored in core.gem_picks.seed so the run can be repeated.")
    batch_size: int = 64
    cache_dir: str | None = Field(default=None, description="huggingface_hub cache (default: the client's).")
    resident_share: float = Field(default=0.5, ge=0, lt=1, description="Share of the device's memory for keeping "
                                  "candidates loaded between rounds (0: reload a survivor every round).")


def load_search_inputs(warehouse: Warehouse, key: str, task_name: str) -> tuple[pl.DataFrame, Task]:
    """The included candidates and the task, read in one go (the connection closes before any model)."""
    cands = warehouse.query(
        "select repo_id, sha, downloads from raw.gem_candidates where base_key = ? and included order by repo_id", [key])
    queries = warehouse.query(
        "select query_id, prompt, reference, choices, scorer from raw.gem_queries where task = ? order by query_id", [task_name])
    if queries.is_empty():
        raise ValueError(f"task {task_name!r} has no queries in raw.gem_queries: materialize raw/gem_queries with that task")
    return cands, Task(task_name, queries["scorer"][0], queries.drop("scorer"))


def run_strategy(name: str, cands: list[str], queries: list[str], oracle, budget: int, downloads: dict,
                 failed: dict[str, str], config: SearchConfig, seed: int) -> SearchResult:
    """Dispatch one configured strategy over the shared oracle (``failed``: candidates known to fail)."""
    if name == "aggressive":
        return paper_schedule(cands, queries, oracle, budget, first_keep=config.first_keep, first_share=config.first_share,
                              keep_fraction=config.keep_fraction, seed=seed)
    if name in BUDGETED:
        return BUDGETED[name](cands, queries, oracle, budget, seed=seed)
    if name == "exhaustive":
        return exhaustive(cands, queries, oracle, seed=seed)
    if name == "random":
        return random_pick(cands, seed=seed, failed=failed)
    if name == "most_downloaded":
        return most_downloaded(cands, downloads, failed)
    raise ValueError(f"unknown strategy {name!r}; expected one of {STRATEGIES}")


def result_frames(key: str, task: str, result: SearchResult, n_cands: int, n_queries: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-round records and the pick, as core.gem_rounds / core.gem_picks rows (``seed``: the run's, which repeats it)."""
    rounds = [
        {"base_key": key, "task": task, "strategy": result.strategy, "round": rec.round, "repo_id": est.candidate,
         "queries": est.n, "correct": est.correct, "accuracy": est.accuracy if est.n else None,
         "ci_low": est.interval[0], "ci_high": est.interval[1], "kept": est.candidate in rec.kept,
         "round_spent": rec.spent, "total_spent": rec.spent_total}
        for rec in result.rounds for est in rec.estimates
    ]
    pick = pl.DataFrame([{"base_key": key, "task": task, "strategy": result.strategy, "pick": result.pick,
                          "queries_spent": result.spent, "budget": result.budget, "exhaustive_queries": n_cands * n_queries,
                          "n_candidates": n_cands, "n_failed": len(result.failures), "seed": seed,
                          "searched_at": datetime.now(UTC)}])
    return pl.DataFrame(rounds, infer_schema_length=None), pick


@dg.asset(
    key=["core", "gem_search"], group_name=GROUP, partitions_def=BASE_MODELS, pool="gpu",
    deps=[gem_candidates, gem_queries], kinds={"pytorch", "duckdb", "python"}, op_tags={"hubscope/gpu": "true", **GPU_STEP_TAGS},
    description="Budgeted search over the pool: candidates answer task queries through the evaluator "
    "(stored answers reused, per-query outcomes in core.gem_outcomes, failures in core.gem_failures), "
    "per-round records in core.gem_rounds and each strategy's pick in core.gem_picks.",
)
def gem_search(context: dg.AssetExecutionContext, config: SearchConfig, warehouse: Warehouse, hub: HubResource) -> dg.MaterializeResult:
    key = context.partition_key
    cands_frame, task = load_search_inputs(warehouse, key, config.task)
    cands = cands_frame["repo_id"].to_list()
    queries = task.queries["query_id"].to_list()
    budget = max(1, round(config.queries_per_candidate * len(cands)))
    validate_search(cands, queries, budget)  # before any model is loaded
    unknown = set(config.strategies) - set(STRATEGIES)
    if unknown:
        raise ValueError(f"unknown strategies {sorted(unknown)}; expected any of {STRATEGIES}")
    seed = secrets.randbits(31) if config.seed is None else config.seed
    context.log.info(f"search seed {seed} (set 'seed: {seed}' in the run config to repeat this run)")
    order = [n for n in config.strategies if n not in UNEVALUATED] + [n for n in config.strategies if n in UNEVALUATED]
    # Imported here, not at the top: it brings torch (1.5 s), and every process that loads the code
    # location (each step's subprocess, the CLI, the webserver) would pay it for this one asset.
    from assets.gems.outcomes import EvaluationOracle

    oracle = EvaluationOracle(warehouse, task, dict(zip(cands, cands_frame["sha"], strict=True)), hub.endpoint, hub.token,
                              config.cache_dir, config.batch_size, resident_share=config.resident_share,
                              on_chunk=lambda m, n: context.log.debug(f"{m}: {n} answers stored"))
    downloads = dict(zip(cands, cands_frame["downloads"].fill_null(0), strict=True))
    picks, rounds = [], []
    try:
        failed: dict[str, str] = {}
        for name in order:
            result = run_strategy(name, cands, queries, oracle, budget, downloads, {**oracle.failures, **failed}, config, seed)
            failed.update(result.failures)
            r, p = result_frames(key, task.name, result, len(cands), len(queries), seed)
            rounds.append(r)
            picks.append(p)
            context.log.info(f"{name}: picked {result.pick} with {result.spent} queries ({len(result.failures)} failed)")
            for cand, reason in result.failures.items():
                if cand not in oracle.failures:  # not recorded by the evaluator: an unexpected error, retried next run
                    context.log.warning(f"{name}: {cand} failed: {reason}")
    finally:
        oracle.close()
    picks_frame = pl.concat(picks)
    rounds_frame = pl.concat([r for r in rounds if r.height], how="diagonal_relaxed") if any(r.height for r in rounds) else pl.DataFrame()
    warehouse.replace_many({"base_key": key, "task": task.name},
                           {"core.gem_rounds": rounds_frame, "core.gem_picks": picks_frame})
    return dg.MaterializeResult(metadata={
        "dagster/row_count": picks_frame.height, "computed_queries": oracle.computed, "model_loads": oracle.loads,
        "failed": len(oracle.failures), "device": oracle.device.type, "budget": budget, "seed": seed,
        "exhaustive_queries": len(cands) * len(queries), "preview": table_preview(picks_frame.drop("searched_at")),
    })


class LeaderboardConfig(dg.Config):
    task: str = "two_digit_addition"
    popular_share: float = Field(default=0.01, description="Top share by downloads counted as popular (at least one model).")
    top_share: float = Field(default=0.01, description="Top share by performance a hidden gem must be in (at least one model).")
    alpha: float = Field(default=0.05, description="Significance level of 'significantly better' (top share and vs. the best popular model).")


@dg.asset(
    key=["out", "gem_leaderboard"], group_name=GROUP, partitions_def=BASE_MODELS, pool="duckdb",
    deps=[gem_search], kinds={"duckdb", "python", "matplotlib"},
    description="Per base model and task: each evaluated candidate's accuracy with a Wilson interval, queries spent, "
    "rank by performance and by downloads, and the hidden-gem flag; plot of accuracy against downloads.",
)
def gem_leaderboard(context: dg.AssetExecutionContext, config: LeaderboardConfig, warehouse: Warehouse) -> dg.MaterializeResult:
    key = context.partition_key
    sql = warehouse_sql("gems_leaderboard_inputs.sql")
    with warehouse.get_connection() as con:  # the file reads its parameters from session variables
        con.execute("set variable base_key = ?", [key])
        con.execute("set variable task = ?", [config.task])
        cands, scores, failures, picks = (con.sql(sql[name]).pl() for name in ("candidates", "scores", "failures", "picks"))
        pairs = con.sql(warehouse_sql("gems_top_agreement.sql")["top_pairs"]).pl()
    board = build_leaderboard(cands, scores, failures, picks, popular_share=config.popular_share, top_share=config.top_share,
                              alpha=config.alpha)
    frame = board.with_columns(pl.lit(key).alias("base_key"), pl.lit(config.task).alias("task"))
    warehouse.replace("out.gem_leaderboard", {"base_key": key, "task": config.task}, frame)
    meta = {"dagster/row_count": frame.height, "hidden_gems": int(frame["hidden_gem"].sum()) if frame.height else 0,
            "preview": table_preview(frame.select("repo_id", "status", "accuracy", "ci_low", "ci_high", "queries",
                                                  "rank_performance", "rank_downloads", "downloads", "hidden_gem",
                                                  "gem_reason")),
            **top_agreement(pairs)}
    if frame.filter(pl.col("status") == "evaluated").height:
        meta["accuracy_vs_downloads"] = dg.MetadataValue.md(accuracy_vs_downloads(frame, f"{key} / {config.task}"))
        top = frame.filter(pl.col("rank_performance") == 1)
        meta["top_candidate"] = top["repo_id"][0]
    return dg.MaterializeResult(metadata=meta)


def warehouse_sql(name: str) -> dict[str, str]:
    """Named statements of a ``sql/queries`` file (``-- name: <name>`` headers)."""
    from orchestration.warehouse import SQL_DIR

    text = (SQL_DIR / "queries" / name).read_text()
    parts: dict[str, str] = {}
    for block in text.split("-- name: ")[1:]:
        label, _, body = block.partition("\n")
        parts[label.strip()] = body.strip()
    return parts


gems_search_job = dg.define_asset_job(
    "gem_search_job", selection=[gem_search], tags={"hubscope/gpu": "true"},
    description="The GPU evaluation alone, tagged so a run-level limit can keep one on the GPU at a time.",
)
