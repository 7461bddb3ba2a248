"""raw/commits against the local server: what git holds arrives intact, and refreshes are incremental."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from assets.ingest.gitlog import MAX_MESSAGE_CHARS
from tests.ingest.conftest import TWO_FAMILIES


def git(sample: Path, platform: str, repo: str, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(sample / "git" / platform / f"{repo}.git"), *args],
                          capture_output=True, text=True, check=True).stdout


def test_every_commit_of_both_platforms_arrives(ingested):
    stored = ingested.warehouse.query(
        "select family_key, platform, repo, count(*)::int as n from raw.commits group by all order by all")
    assert set(stored["family_key"]) == set(TWO_FAMILIES) and set(stored["platform"]) == {"github", "hub"}
    expected = ingested.warehouse.query("select family_key, github_repo from core.families").rows()
    variants = ingested.warehouse.query("select family_key, repo_id from core.variants").rows()
    for family, platform, repo, n in stored.iter_rows():
        assert n == int(git(ingested.sample, platform, repo, "rev-list", "--count", "main"))
    assert {(f, r) for f, r in variants if f in TWO_FAMILIES} == {(f, r) for f, p, r, _ in stored.iter_rows() if p == "hub"}
    assert {(f, r) for f, r in expected if f in TWO_FAMILIES} == {(f, r) for f, p, r, _ in stored.iter_rows() if p == "github"}


def test_commit_fields_match_git(ingested):
    sample = ingested.sample
    sha, parents, at, ct, email = git(sample, "github", "indolab/indobert-lite", "log", "-1", "--skip=100",
                                      "--format=%H|%P|%at|%ct|%ae", "main").strip().split("|")
    row = ingested.warehouse.query("select * from raw.commits where sha = ?", [sha]).row(0, named=True)
    assert row["parents"] == parents.split() and row["author_email"] == email
    assert row["authored_at"] == datetime.fromtimestamp(int(at), UTC) and row["committed_at"].utcoffset().total_seconds() == 0
    changed = git(sample, "github", "indolab/indobert-lite", "show", "--no-renames", "--name-only", "--format=", sha).split()
    assert sorted(f["path"] for f in row["files"]) == sorted(changed) and row["n_files"] == len(changed)
    assert all(f["additions"] is None for f in row["files"])  # git without blobs has no line counts
    first = ingested.warehouse.query(
        "select files from raw.commits where repo = 'indolab/indobert-lite' and len(parents) = 0").item()
    assert {(f["path"], f["change"]) for f in first} == {(p, "added") for p in ("README.md", ".gitignore", "LICENSE")}


def test_non_utf8_and_huge_messages_are_kept_readable(ingested):
    titles = ingested.warehouse.query("select title, message from raw.commits where repo = 'indolab/indobert-lite'")
    assert "Fix tokenizer for caf\xe9 na\xefve text (\xa9 data)" in titles["title"].to_list()  # Latin-1 decoded
    huge = titles.filter(pl.col("title") == "Add training log of the 7b run")["message"].item()
    assert len(huge) < MAX_MESSAGE_CHARS + 100 and "message cut" in huge


def test_unchanged_refresh_costs_one_request_per_repository_and_rewrites_nothing(fresh):
    snapshot = "select * from raw.commits order by family_key, platform, repo, sha"
    before, states = fresh.warehouse.query(snapshot), fresh.warehouse.query("select * from raw.repo_state order by all")
    fresh.api.reset()
    for key in TWO_FAMILIES:
        assert fresh.ingest(key).success
    repos = states.height
    assert fresh.api.count() <= repos and fresh.api.count("git") == fresh.api.count()
    assert fresh.warehouse.query(snapshot).equals(before)
    assert fresh.warehouse.query("select * from raw.repo_state order by all").equals(states)


def test_new_commits_are_appended_without_refetching(fresh):
    repo = fresh.sample / "git" / "github" / "indolab" / "indobert-lite.git"
    old_head = git(fresh.sample, "github", "indolab/indobert-lite", "rev-parse", "main").strip()
    tree = git(fresh.sample, "github", "indolab/indobert-lite", "rev-parse", "main^{tree}").strip()
    env = {"GIT_AUTHOR_NAME": "Ana", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "Ana", "GIT_COMMITTER_EMAIL": "a@x"}
    new = subprocess.run(["git", "--git-dir", str(repo), "commit-tree", tree, "-p", old_head, "-m", "Fix eval seed"],
                         capture_output=True, text=True, check=True, env=env).stdout.strip()
    before = fresh.warehouse.query("select sha, fetched_at from raw.commits order by sha")
    subprocess.run(["git", "--git-dir", str(repo), "update-ref", "refs/heads/main", new], check=True)
    try:
        fresh.api.reset()
        assert fresh.ingest("indolab__indobert-lite").success
        repos = fresh.warehouse.query("select count(*) from raw.repo_state where family_key = 'indolab__indobert-lite'").item()
        assert fresh.api.count() <= repos + 2  # one check per repository, plus the fetch of the changed one
    finally:
        subprocess.run(["git", "--git-dir", str(repo), "update-ref", "refs/heads/main", old_head], check=True)
    after = fresh.warehouse.query("select sha, fetched_at from raw.commits order by sha")
    assert after.height == before.height + 1
    assert after.filter(pl.col("sha") != new).equals(before)  # old rows untouched
    state = fresh.warehouse.query("select head_sha, n_commits from raw.repo_state where repo = 'indolab/indobert-lite'").row(0)
    assert state == (new, int(git(fresh.sample, "github", "indolab/indobert-lite", "rev-list", "--count", "main")) + 1)
