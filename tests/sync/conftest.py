"""Sync-stage fixtures: hand-built commit timelines and a small warehouse with three families."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from assets.sync.pairs import compute_pairs
from assets.sync.thresholds import SyncThresholds
from orchestration.warehouse import Warehouse

T0 = datetime(2020, 7, 1, 12, 0, tzinfo=UTC)
NOW = datetime(2024, 1, 1, tzinfo=UTC)
GH = "owner/model-code"


def commit_rows(family: str, platform: str, repo: str, days: Sequence[float], *, prefix: str = "") -> list[dict]:
    """raw.commits rows at ``T0 + day`` for each day offset."""
    return [
        dict(family_key=family, platform=platform, repo=repo, sha=f"{prefix}{platform}{i}",
             authored_at=T0 + timedelta(days=d), committed_at=T0 + timedelta(days=d), fetched_at=NOW)
        for i, d in enumerate(days)
    ]


def commits_frame(rows: list[dict]) -> pl.DataFrame:
    schema = {"family_key": pl.String, "platform": pl.String, "repo": pl.String, "sha": pl.String,
              "authored_at": pl.Datetime("us", "UTC"), "committed_at": pl.Datetime("us", "UTC"),
              "fetched_at": pl.Datetime("us", "UTC")}
    return pl.DataFrame(rows, schema=schema)


EMPTY_LABELS = pl.DataFrame(schema={c: pl.String for c in ["family_key", "platform", "repo", "sha", "category"]})


@pytest.fixture
def classify() -> Callable[..., dict]:
    """Classify one pair from GitHub and Hub day offsets; returns its core.sync_pairs row as a dict."""

    def run(gh_days: Sequence[float], hub_days: Sequence[float], thresholds: SyncThresholds | None = None) -> dict:
        rows = commit_rows("f", "github", GH, gh_days) + commit_rows("f", "hub", "org/variant", hub_days)
        pairs = pl.DataFrame({"family_key": ["f"], "github_repo": [GH], "hub_repo": ["org/variant"]})
        out, _ = compute_pairs(pairs, commits_frame(rows), EMPTY_LABELS, thresholds or SyncThresholds(), NOW)
        return out.row(0, named=True)

    return run


def _labels(rows: list[dict], categories: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame([
        dict(family_key=r["family_key"], platform=r["platform"], repo=r["repo"], sha=r["sha"], labeller="rules",
             category=categories[r["platform"]] if r["sha"].endswith("0") else categories[r["platform"] + "2"],
             status="labelled", labelled_at=NOW)
        for r in rows
    ])


def fill_sync_warehouse(warehouse: Warehouse) -> Warehouse:
    """Three families: one in lockstep, one dispersed with two variants, one whose variant has no Hub commits."""
    families = {
        "alpha": ("alpha/code", {"alpha/bert": [0, 10, 20, 30]}, [0, 10, 20, 30]),
        "beta": ("beta/code", {"beta/gpt": [60, 160], "beta/gpt-large": [300, 320]}, [0, 50, 100]),
        "gamma": ("gamma/code", {"gamma/t5": []}, [0, 5]),
    }
    rows: list[dict] = []
    for key, (repo, variants, gh_days) in families.items():
        rows += commit_rows(key, "github", repo, gh_days, prefix=key)
        for variant, days in variants.items():
            rows += commit_rows(key, "hub", variant, days, prefix=variant)
    commits = commits_frame(rows)
    categories = {"github": "model_structure", "github2": "code_quality",
                  "hub": "external_documentation", "hub2": "model_structure"}
    warehouse.append("raw.commits", commits)
    warehouse.append("core.labelled_commits", _labels(rows, categories))
    warehouse.append("core.families", pl.DataFrame([
        dict(family_key=k, github_repo=repo, n_variants=len(v), first_seen=NOW) for k, (repo, v, _) in families.items()
    ]))
    warehouse.append("core.variants", pl.DataFrame([
        dict(family_key=k, repo_id=variant) for k, (_, v, _) in families.items() for variant in v
    ]))
    warehouse.append("raw.github_repos", pl.DataFrame([
        dict(full_name=repo, family_key=k, contributors=c, created_at=T0, fetched_at=NOW)
        for (k, (repo, _, _)), c in zip(families.items(), [1, 5, 40], strict=True)
    ]))
    warehouse.append("raw.hub_models", pl.DataFrame([
        dict(repo_id=variant, family_key=k, github_repo=repo, created_at=T0 + timedelta(days=i * 400), discovered_at=NOW)
        for i, (k, (repo, v, _)) in enumerate(families.items()) for variant in v
    ]))
    return warehouse


@pytest.fixture
def sync_warehouse(warehouse: Warehouse) -> Warehouse:
    """A fresh warehouse holding :func:`fill_sync_warehouse`'s three families."""
    return fill_sync_warehouse(warehouse)
