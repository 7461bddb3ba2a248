"""Tests written for issue 16's mutations that no earlier test killed (see docs/mutation.md,
"The issue's 14 mutations"). Each expectation is derived by hand from the behaviour the issue names."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime

import polars as pl

from assets.ingest import history
from assets.ingest.history import STATE_SCHEMA, FamilyRepos, RepoHistory
from orchestration.warehouse import Warehouse

AT = datetime(2024, 1, 1, tzinfo=UTC)
WRITES: list[str] = []  # what the spy warehouse saw opened for writing


class SpyWarehouse(Warehouse):
    """A warehouse that records every way of opening it for writing."""

    @contextmanager
    def get_connection(self, read_only: bool = False):  # type: ignore[override]
        if not read_only:
            WRITES.append("read-write connection")
        with super().get_connection(read_only=read_only) as con:
            yield con

    def run_transaction(self, work, what: str = "write"):  # type: ignore[override]
        WRITES.append(f"run_transaction({what})")
        return super().run_transaction(work, what)


def _commit(platform: str, repo: str, sha: str) -> dict:
    return {"platform": platform, "repo": repo, "sha": sha, "parents": [], "authored_at": AT, "committed_at": AT,
            "fetched_at": AT, "files": [], "n_files": 0, "title": sha, "message": sha}


# -- mutation 2: assets/ingest/history.py write_family without its "unchanged, write nothing" shortcut --

def test_write_family_opens_nothing_for_writing_when_every_repository_is_unchanged(tmp_path):
    """The family was written once (heads g1 and h1); a refresh that finds both heads unchanged must not
    open the warehouse for writing at all (issue 13/16: no needless rewrites), and says it added and
    dropped nothing."""
    database = str(tmp_path / "hubscope.duckdb")
    plain = Warehouse(database=database)
    family = FamilyRepos("f", "o/r", ["o/m"], pl.DataFrame(schema=STATE_SCHEMA))
    first = [RepoHistory("github", "o/r", "ok", "g1", commits=[_commit("github", "o/r", "g1")], complete=True),
             RepoHistory("hub", "o/m", "ok", "h1", commits=[_commit("hub", "o/m", "h1")], complete=True)]
    assert history.write_family(plain, family, first, AT).added == 2
    stored = plain.query("select * from raw.repo_state")
    before = plain.query("select * from raw.repo_state order by all")

    spy = SpyWarehouse(database=database)
    family = FamilyRepos("f", "o/r", ["o/m"], stored)
    unchanged = [RepoHistory("github", "o/r", "unchanged", "g1"), RepoHistory("hub", "o/m", "unchanged", "h1")]
    WRITES.clear()
    result = history.write_family(spy, family, unchanged, datetime(2025, 1, 1, tzinfo=UTC))
    assert WRITES == []
    assert result == history.WriteResult(0, {})
    assert plain.query("select * from raw.repo_state order by all").equals(before)
