"""Benchmark: the sync study at the paper's scale (arXiv:2508.10157: 325 families, 904 variants, 155,200 commits).

Builds a synthetic warehouse (not timed), then times what a full refresh does: read every
family's commits, classify every family (assets/sync/classify.py, vectorised over all families: the
whole, early and late history, periods, variants, hand-offs), write the four tables in one
transaction, and fill every out.sync_* table from sql/queries plus the scipy tests. Prints the
seconds of each step and their ratio to the 5 s target.

    .venv/bin/python bench/sync.py [--db /tmp/sync_bench.duckdb]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assets.sync.assets import FAMILY_TABLES, refresh_study  # noqa: E402
from assets.sync.classify import ClassifyOptions, classify  # noqa: E402
from orchestration.warehouse import Warehouse  # noqa: E402

N_FAMILIES, N_VARIANTS, N_COMMITS = 325, 904, 155_200
TARGET_S = 5.0
CATEGORIES = ["model_structure", "training_infrastructure", "preprocessing", "input_data", "output_data",
              "external_documentation", "sharing", "update_dependency", "bug_fix"]


def synthetic(warehouse: Warehouse, seed: int = 7) -> None:
    """Families with a GitHub activity window each, variants with windows shifted by a random lag."""
    rng = np.random.default_rng(seed)
    now = datetime(2025, 6, 1, tzinfo=UTC)
    base = np.datetime64("2019-01-01T00:00:00", "us")
    families = [f"fam{i:03d}" for i in range(N_FAMILIES)]
    owner = np.concatenate([np.arange(N_FAMILIES), rng.integers(0, N_FAMILIES, N_VARIANTS - N_FAMILIES)])
    variants = pl.DataFrame({"family_key": [families[i] for i in owner],
                             "repo_id": [f"org{i % 97}/model-{i}" for i in range(N_VARIANTS)]})
    # bursty activity, as in real repositories: commits cluster in a few sessions a few days wide
    start = rng.uniform(0, 1500, N_FAMILIES)
    span = rng.uniform(30, 900, N_FAMILIES)
    gh_sessions = start[:, None] + rng.uniform(0, 1, (N_FAMILIES, 8)) * span[:, None]
    n_github = N_COMMITS * 2 // 5
    gh_family = rng.integers(0, N_FAMILIES, n_github)
    gh_days = gh_sessions[gh_family, rng.integers(0, 8, n_github)] + rng.normal(0, 1.5, n_github)
    n_hub = N_COMMITS - n_github
    hub_variant = rng.integers(0, N_VARIANTS, n_hub)
    fam_of_variant = owner[hub_variant]
    lag = rng.exponential(20, N_VARIANTS) * rng.choice([1, -0.3], N_VARIANTS)
    stretch = rng.uniform(0.1, 2.0, N_VARIANTS)
    hub_sessions = (start[owner][:, None] + lag[:, None]
                    + rng.uniform(0, 1, (N_VARIANTS, 4)) * (span[owner] * stretch)[:, None])
    hub_days = hub_sessions[hub_variant, rng.integers(0, 4, n_hub)] + rng.normal(0, 1.0, n_hub)

    def frame(platform: str, family_idx: np.ndarray, repos: list[str], days: np.ndarray) -> pl.DataFrame:
        at = base + (days * 86_400_000_000).astype("timedelta64[us]")
        return pl.DataFrame({
            "family_key": [families[i] for i in family_idx], "platform": platform, "repo": repos,
            "sha": [f"{platform[0]}{i:07d}" for i in range(len(days))],
            "author_name": [f"dev{i % 50}" for i in family_idx],
            "committed_at": pl.Series(at).dt.replace_time_zone("UTC"), "fetched_at": now,
        }).with_columns(pl.col("committed_at").alias("authored_at"))

    commits = pl.concat([
        frame("github", gh_family, [f"{families[i]}/code" for i in gh_family], gh_days),
        frame("hub", fam_of_variant, [variants["repo_id"][int(i)] for i in hub_variant], hub_days),
    ])
    labels = commits.select("family_key", "platform", "repo", "sha").with_columns(
        pl.Series("category", rng.choice(CATEGORIES, commits.height)), pl.lit("rules").alias("labeller"),
        pl.lit("labelled").alias("status"), pl.lit(now).alias("labelled_at"),
    )
    fam = pl.DataFrame({"family_key": families, "github_repo": [f"{f}/code" for f in families]}).join(
        variants.group_by("family_key").agg(pl.len().cast(pl.Int32).alias("n_variants")), on="family_key"
    ).with_columns(pl.lit(now).alias("first_seen"))
    warehouse.append("core.families", fam)
    warehouse.append("core.variants", variants)
    warehouse.append("raw.commits", commits)
    warehouse.append("core.labelled_commits", labels)
    warehouse.append("raw.github_repos", fam.select(
        pl.col("github_repo").alias("full_name"), "family_key",
        pl.Series("contributors", rng.integers(1, 60, N_FAMILIES)), pl.lit(now).alias("fetched_at")))
    warehouse.append("raw.hub_models", variants.select(
        "repo_id", "family_key", pl.lit(now).alias("discovered_at"),
        (pl.lit(now) - pl.duration(days=pl.Series(rng.integers(30, 2000, N_VARIANTS)))).alias("created_at")))


def run(warehouse: Warehouse) -> dict[str, float]:
    """Seconds of each step of a full refresh."""
    timings: dict[str, float] = {}
    t = time.perf_counter()
    commits = warehouse.query("select family_key, platform, repo, sha, authored_at, committed_at, fetched_at "
                              "from raw.commits")
    timings["read inputs"] = time.perf_counter() - t
    t = time.perf_counter()
    result = classify(commits, ClassifyOptions(), datetime.now(UTC))
    timings["classify"] = time.perf_counter() - t
    t = time.perf_counter()
    families = result.families.with_columns(pl.lit(datetime.now(UTC)).alias("computed_at"))
    warehouse.replace_many({}, dict(zip(FAMILY_TABLES, (families, result.variants, result.periods, result.handoffs),
                                        strict=True)))
    timings["write families"] = time.perf_counter() - t
    t = time.perf_counter()
    refresh_study(warehouse)
    timings["study tables"] = time.perf_counter() - t
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="warehouse file to build (default: a temporary file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = Warehouse(database=args.db or str(Path(tmp) / "bench.duckdb"))
        t = time.perf_counter()
        synthetic(warehouse)
        print(f"synthetic warehouse: {N_FAMILIES} families, {N_VARIANTS} variants, {N_COMMITS} commits "
              f"(built in {time.perf_counter() - t:.1f} s, not counted)")
        timings = run(warehouse)
        total = sum(timings.values())
        for step, seconds in timings.items():
            print(f"  {step:<14} {seconds:6.2f} s")
        print(f"total {total:.2f} s = {total / TARGET_S:.2f} x the {TARGET_S:.0f} s target")
        n = warehouse.query("select count(*) as families, count(pattern) as classified from core.sync_families").row(0)
        print(f"families {n[0]}, classified {n[1]}")
        print(warehouse.query("select pattern, n_families, round(share, 3) as share from out.sync_rq2_patterns "
                              "order by position"))


if __name__ == "__main__":
    main()
