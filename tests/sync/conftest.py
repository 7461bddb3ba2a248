"""Sync-stage fixtures: hand-built commit timelines, one helper to classify them, a small warehouse."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import polars as pl

from assets.sync.classify import Classified, ClassifyOptions, classify

T0 = datetime(2020, 7, 1, 12, 0, tzinfo=UTC)
"""Day 0 of every hand-built timeline: noon UTC, so Hub times cut to the day fall half a day earlier."""
NOW = datetime(2024, 1, 1, tzinfo=UTC)


def commit_rows(family: str, platform: str, repo: str, days: Sequence[float], *, prefix: str = "",
                author: str | None = None) -> list[dict]:
    """raw.commits rows at ``T0 + day`` for each day offset."""
    return [
        dict(family_key=family, platform=platform, repo=repo, sha=f"{prefix}{platform}{i}",
             author_name=author, author_email=f"{author}@example.org" if author else None,
             authored_at=T0 + timedelta(days=d), committed_at=T0 + timedelta(days=d), fetched_at=NOW)
        for i, d in enumerate(days)
    ]


def commits_frame(rows: list[dict]) -> pl.DataFrame:
    schema = {"family_key": pl.String, "platform": pl.String, "repo": pl.String, "sha": pl.String,
              "author_name": pl.String, "author_email": pl.String,
              "authored_at": pl.Datetime("us", "UTC"), "committed_at": pl.Datetime("us", "UTC"),
              "fetched_at": pl.Datetime("us", "UTC")}
    return pl.DataFrame(rows, schema=schema)


def family(github_days: Sequence[float], variants: dict[str, Sequence[float]], *, key: str = "f",
           options: ClassifyOptions | None = None) -> Classified:
    """Classify one family from its GitHub day offsets and each variant's (in fortnights x 14 + day)."""
    rows = commit_rows(key, "github", "org/code", github_days)
    for name, days in variants.items():
        rows += commit_rows(key, "hub", name, days, prefix=name)
    return classify(commits_frame(rows), options or ClassifyOptions(), NOW)


def verdict(github_days: Sequence[float], variants: dict[str, Sequence[float]], **kw: object) -> dict:
    """The family's core.sync_families row as a dict."""
    return family(github_days, variants, **kw).families.row(0, named=True)


def fortnights(*periods: int, day: float = 1) -> list[float]:
    """Day offsets inside the given fortnights (``day`` days into each)."""
    return [14 * p + day for p in periods]
