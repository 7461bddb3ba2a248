"""Label-stage fixtures: commits in raw.commits, the local OpenAI-compatible server, the llm resource."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from localapi import openai_api
from localapi.server import LocalAPI
from orchestration.resources import LLMResource
from orchestration.warehouse import Warehouse

SECRET = "sk-test-DO-NOT-LEAK-1234"
FAMILY = "cahya__indonesian-lm"

COMMIT_SCHEMA = {
    "family_key": pl.String, "platform": pl.String, "repo": pl.String, "sha": pl.String,
    "parents": pl.List(pl.String), "author_name": pl.String, "author_email": pl.String,
    "authored_at": pl.Datetime("us", "UTC"), "committed_at": pl.Datetime("us", "UTC"),
    "title": pl.String, "message": pl.String,
    "files": pl.List(pl.Struct({"path": pl.String, "change": pl.String, "additions": pl.Int32, "deletions": pl.Int32})),
    "n_files": pl.Int32, "fetched_at": pl.Datetime("us", "UTC"),
}

SAMPLE = [
    ("github", "Add rotary position embeddings to attention", ["model/attention.py"]),
    ("github", "Pin transformers==4.30.2", ["requirements.txt"]),
    ("github", "Add GLUE evaluation script", ["eval_glue.py"]),
    ("hub", "Upload folder using huggingface_hub", ["model.safetensors", "config.json"]),
    ("hub", "Update README.md", ["README.md"]),
    ("hub", "Upload tokenizer", ["tokenizer.json", "special_tokens_map.json"]),
]


def commit_row(i: int, platform: str, title: str, paths: list[str], family: str = FAMILY, **extra: Any) -> dict:
    at = datetime(2020, 7, 1, tzinfo=UTC) + timedelta(hours=i)
    row = {
        "family_key": family, "platform": platform,
        "repo": "cahya/indonesian-lm" if platform == "github" else "cahya/bert-base-indonesian-522M",
        "sha": f"{i:040x}", "parents": [f"{i - 1:040x}"] if i else [], "author_name": "cahya",
        "author_email": "c@example.org", "authored_at": at, "committed_at": at, "title": title,
        "message": title, "files": [{"path": p, "change": "M", "additions": 1, "deletions": 0} for p in paths],
        "n_files": len(paths), "fetched_at": at,
    }
    row.update(extra)
    return row


@pytest.fixture
def add_commits(warehouse: Warehouse) -> Callable[[list[dict]], int]:
    """Insert rows into raw.commits (what the ingest stage would have stored)."""

    def add(rows: list[dict]) -> int:
        return warehouse.append("raw.commits", pl.DataFrame(rows, schema=COMMIT_SCHEMA))

    return add


@pytest.fixture
def many_commits() -> Callable[[int, int], list[dict]]:
    """``n`` distinct realistic commits starting at index ``start``."""

    def make(n: int, start: int = 0) -> list[dict]:
        return [
            commit_row(start + i, p, f"{t} (#{start + i})", paths)
            for i, (p, t, paths) in ((i, SAMPLE[i % len(SAMPLE)]) for i in range(n))
        ]

    return make


@pytest.fixture
def api(tmp_path: Path) -> Iterator[LocalAPI]:
    """The local server with only the OpenAI-compatible route."""
    server = LocalAPI(tmp_path / "api", [openai_api.router(tmp_path / "api")])
    server.start()
    yield server
    server.stop()


@pytest.fixture
def llm(api: LocalAPI) -> LLMResource:
    return LLMResource(base_url=api.openai_base, model="test-model", api_key=SECRET)
