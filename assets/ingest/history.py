"""One family's commit histories: which repositories, what is already stored, what to write.

The asset reads the family's repositories and their stored heads (``raw.repo_state``), closes the
connection, refreshes every repository over git (:mod:`assets.ingest.gitlog`), then writes: new
commits appended (rows already stored are kept, never rewritten) and, after them, the family's
``raw.repo_state`` rows replaced. If the process dies between the two writes, the old heads make the
next run fetch again and the append skips what is already there, so the outcome is the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from assets.ingest.gitlog import GitRemote, RepoHistory, refresh_repo
from assets.ingest.remote import RateLimited, TransientError
from orchestration.partitions import FAMILIES, repo_key
from orchestration.resources import GitHubResource, HubResource
from orchestration.warehouse import Warehouse, insert_frame

FILE = pl.Struct({"path": pl.String, "change": pl.String, "additions": pl.Int32, "deletions": pl.Int32})
COMMITS_SCHEMA = {
    "family_key": pl.String, "platform": pl.String, "repo": pl.String, "sha": pl.String,
    "parents": pl.List(pl.String), "author_name": pl.String, "author_email": pl.String,
    "authored_at": pl.Datetime("us", "UTC"), "committed_at": pl.Datetime("us", "UTC"), "title": pl.String,
    "message": pl.String, "files": pl.List(FILE), "n_files": pl.Int32, "fetched_at": pl.Datetime("us", "UTC"),
}
STATE_SCHEMA = {
    "family_key": pl.String, "platform": pl.String, "repo": pl.String, "head_sha": pl.String,
    "n_commits": pl.Int32, "status": pl.String, "reason": pl.String, "checked_at": pl.Datetime("us", "UTC"),
}


@dataclass(frozen=True)
class FamilyRepos:
    """A family's repositories and what the warehouse knows of each."""

    family_key: str
    github_repo: str
    hub_repos: list[str]
    states: pl.DataFrame  # raw.repo_state rows of the family

    def stored(self, platform: str, repo: str) -> dict | None:
        rows = self.states.filter((pl.col("platform") == platform) & (pl.col("repo") == repo)).to_dicts()
        return rows[0] if rows else None

    def known_head(self, platform: str, repo: str) -> str | None:
        row = self.stored(platform, repo)
        return row["head_sha"] if row else None

    def unchanged(self, h: RepoHistory) -> bool:
        """Nothing new: the same head, or the same refusal (empty, gated, missing) as last time."""
        if h.status == "unchanged":
            return True
        row = self.stored(h.platform, h.repo)
        return not h.commits and row is not None and (row["status"], row["reason"], row["head_sha"]) == (h.status, h.reason, h.head_sha)


def load_family(warehouse: Warehouse, family_key: str) -> FamilyRepos:
    """Read the family's repositories (one short connection); a clear error if discovery lacks it."""
    fam = warehouse.query("select github_repo from core.families where family_key = ?", [family_key])
    if fam.is_empty():
        raise ValueError(
            f"family {family_key!r} is not in core.families: discovery no longer finds it (or has not run yet). "
            "Materialize discovery; if the family is gone for good, register it with `hubscope add-family` "
            f"or delete its partition (DagsterInstance.delete_dynamic_partition({FAMILIES.name!r}, {family_key!r}))"
        )
    hub = warehouse.query("select repo_id from core.variants where family_key = ? order by repo_id", [family_key])
    states = warehouse.query("select * from raw.repo_state where family_key = ?", [family_key])
    return FamilyRepos(family_key, fam["github_repo"][0], hub["repo_id"].to_list(), states)


def remotes(family: FamilyRepos, hub: HubResource, github: GitHubResource) -> list[GitRemote]:
    return [
        GitRemote.github(family.github_repo, github.git_url(family.github_repo), github.token),
        *(GitRemote.hub(r, hub.git_url(r), hub.token) for r in family.hub_repos),
    ]


def refresh_family(family: FamilyRepos, remotes_: list[GitRemote], mirror_root: Path, at: datetime
                   ) -> tuple[list[RepoHistory], list[str]]:
    """Refresh every repository; returns the histories and the errors of those to retry later.

    A rate limit stops the family at once (the rest would fail too); other transient failures are
    recorded as ``failed`` with the error (keeping the stored head) so the repositories that worked
    are still written.
    """
    histories, errors = [], []
    for remote in remotes_:
        mirror = mirror_root / remote.platform / f"{repo_key(remote.repo)}.git"
        known = family.known_head(remote.platform, remote.repo)
        try:
            histories.append(refresh_repo(remote, mirror, known, at))
        except RateLimited:
            raise
        except TransientError as exc:
            errors.append(str(exc))
            histories.append(RepoHistory(remote.platform, remote.repo, "failed", head_sha=known, reason=str(exc)[:1000]))
    return histories, errors


def commit_frame(family_key: str, histories: list[RepoHistory]) -> pl.DataFrame:
    rows = [{"family_key": family_key, **c} for h in histories for c in h.commits]
    return pl.DataFrame(rows, schema=COMMITS_SCHEMA)


def state_frame(family: FamilyRepos, histories: list[RepoHistory], stored_counts: dict[tuple[str, str], int],
                at: datetime) -> pl.DataFrame:
    """The family's ``raw.repo_state`` after this run (unchanged repositories keep their row as is).

    Rows of repositories no longer among the family's remotes (a renamed or removed variant) are dropped.
    """
    kept = {(h.platform, h.repo) for h in histories if family.unchanged(h)}
    rows = [r for r in family.states.to_dicts() if (r["platform"], r["repo"]) in kept]
    for h in histories:
        if family.unchanged(h):
            continue
        rows.append({
            "family_key": family.family_key, "platform": h.platform, "repo": h.repo, "head_sha": h.head_sha,
            "n_commits": stored_counts.get((h.platform, h.repo), 0), "status": h.status, "reason": h.reason,
            "checked_at": at,
        })
    return pl.DataFrame(rows, schema=STATE_SCHEMA)


def write_family(warehouse: Warehouse, family: FamilyRepos, histories: list[RepoHistory], at: datetime) -> int:
    """Append new commits, then in one transaction replace the family's repo states and drop the
    commits of repositories no longer among its remotes; returns the commits appended."""
    current = {(h.platform, h.repo) for h in histories}
    stale_states = set(family.states.select("platform", "repo").iter_rows()) - current
    if not stale_states and all(family.unchanged(h) for h in histories):
        return 0  # an unchanged refresh rewrites nothing
    new = commit_frame(family.family_key, histories)
    added = warehouse.append("raw.commits", new)
    counts = warehouse.query(
        "select platform, repo, count(*)::int as n from raw.commits where family_key = ? group by all",
        [family.family_key],
    )
    stored = {(r["platform"], r["repo"]): r["n"] for r in counts.to_dicts()}
    states = state_frame(family, histories, stored, at)
    with warehouse.transaction() as con:
        for platform, repo in sorted(set(stored) - current):
            con.execute("delete from raw.commits where family_key = ? and platform = ? and repo = ?",
                        [family.family_key, platform, repo])
        con.execute("delete from raw.repo_state where family_key = ?", [family.family_key])
        insert_frame(con, "raw.repo_state", states)
    return added
