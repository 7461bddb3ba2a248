"""One family's commit histories: which repositories, what is already stored, what to write.

The asset reads the family's repositories and their stored heads (``raw.repo_state``), closes the
connection, refreshes every repository over git (:mod:`assets.ingest.gitlog`), then writes in one
transaction: new commits appended (rows already stored are kept, never rewritten), commits no longer
on a repository's default branch removed, the family's ``raw.repo_state`` rows replaced.

Rewritten upstream history (a force-push, the Hub's super-squash) follows one rule: ``raw.commits``
holds the commits reachable from each repository's default branch, no others. When a refresh read a
repository's whole history (``RepoHistory.complete``), the stored commits of that repository that are
not in it are deleted, and the rewrite is recorded in ``raw.repo_state`` (``rewritten_at``,
``dropped_commits``), so ``n_commits`` always equals ``git rev-list --count HEAD`` upstream.

Commit dates are checked, not trusted: ``raw.commits.date_flag`` is ``future`` (after the fetch, one
day of clock skew allowed), ``before_2000`` (no git history predates 2000: a zero or broken clock) or
``before_repository`` (committed over a day before the repository was created on the platform:
imported histories are flagged too, so it is a flag for analyses to decide on, never a deletion).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from assets.ingest.gitlog import GitRemote, RepoHistory, refresh_repo
from assets.ingest.links import check_repo_name
from assets.ingest.remote import RateLimited, TransientError
from orchestration.partitions import FAMILIES, repo_key
from orchestration.resources import GitHubResource, HubResource
from orchestration.warehouse import Warehouse, insert_frame

FILE = pl.Struct({"path": pl.String, "change": pl.String, "additions": pl.Int32, "deletions": pl.Int32,
                  "old_path": pl.String})
COMMITS_SCHEMA = {
    "family_key": pl.String, "platform": pl.String, "repo": pl.String, "sha": pl.String,
    "parents": pl.List(pl.String), "author_name": pl.String, "author_email": pl.String,
    "authored_at": pl.Datetime("us", "UTC"), "author_tz_offset": pl.Int16, "committer_name": pl.String,
    "committer_email": pl.String, "committed_at": pl.Datetime("us", "UTC"), "committer_tz_offset": pl.Int16,
    "title": pl.String, "message": pl.String, "files": pl.List(FILE), "n_files": pl.Int32,
    "date_flag": pl.String, "fetched_at": pl.Datetime("us", "UTC"),
}
STATE_SCHEMA = {
    "family_key": pl.String, "platform": pl.String, "repo": pl.String, "head_sha": pl.String,
    "n_commits": pl.Int32, "status": pl.String, "reason": pl.String, "checked_at": pl.Datetime("us", "UTC"),
    "rewritten_at": pl.Datetime("us", "UTC"), "dropped_commits": pl.Int32,
}
EARLIEST_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=UTC)
"""Commits dated before this are flagged ``before_2000`` (git appeared in 2005; imports reach the 1990s rarely)."""
CLOCK_SKEW = timedelta(days=1)
"""Tolerance of the ``future`` and ``before_repository`` flags."""


@dataclass(frozen=True)
class FamilyRepos:
    """A family's repositories and what the warehouse knows of each."""

    family_key: str
    github_repo: str
    hub_repos: list[str]
    states: pl.DataFrame  # raw.repo_state rows of the family
    created: dict[tuple[str, str], datetime] = field(default_factory=dict)  # (platform, repo) -> created on the platform

    def stored(self, platform: str, repo: str) -> dict | None:
        rows = self.states.filter((pl.col("platform") == platform) & (pl.col("repo") == repo)).to_dicts()
        return rows[0] if rows else None

    def known_head(self, platform: str, repo: str) -> str | None:
        row = self.stored(platform, repo)
        return row["head_sha"] if row else None

    def unchanged(self, h: RepoHistory) -> bool:
        """Nothing to write: the same head as a stored success, or the same refusal (empty, gated,
        missing) as last time. The same head after a failure is a success to record, not "unchanged"."""
        row = self.stored(h.platform, h.repo)
        if h.status == "unchanged":
            return row is not None and row["status"] == "ok"
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
    created = warehouse.query(
        "select 'github' as platform, full_name as repo, created_at from raw.github_repos where family_key = ? "
        "union all select 'hub', m.repo_id, m.created_at from raw.hub_models m "
        "join core.variants v on v.repo_id = m.repo_id and v.family_key = ?", [family_key, family_key])
    return FamilyRepos(family_key, fam["github_repo"][0], hub["repo_id"].to_list(), states,
                       {(p, r): c for p, r, c in created.iter_rows() if c is not None})


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
        try:  # a name against the platform's rules never reaches a URL (nor the host's credentials)
            check_repo_name(remote.platform, remote.repo)
        except ValueError as exc:
            errors.append(str(exc))
            histories.append(RepoHistory(remote.platform, remote.repo, "failed", reason=str(exc)))
            continue
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


def date_flag(commit: dict, created: datetime | None) -> str | None:
    """Why a commit's dates are implausible (see the module's docstring), or None."""
    times = [t for t in (commit.get("authored_at"), commit.get("committed_at")) if t is not None]
    if any(t > commit["fetched_at"] + CLOCK_SKEW for t in times):
        return "future"
    if any(t < EARLIEST_PLAUSIBLE for t in times):
        return "before_2000"
    if created is not None and commit.get("committed_at") is not None and commit["committed_at"] < created - CLOCK_SKEW:
        return "before_repository"
    return None


def commit_frame(family: FamilyRepos, histories: list[RepoHistory]) -> pl.DataFrame:
    rows = [
        {"family_key": family.family_key, **c, "date_flag": date_flag(c, family.created.get((h.platform, h.repo)))}
        for h in histories for c in h.commits
    ]
    return pl.DataFrame(rows, schema=COMMITS_SCHEMA)


def state_frame(family: FamilyRepos, histories: list[RepoHistory], stored_counts: dict[tuple[str, str], int],
                dropped: dict[tuple[str, str], int], at: datetime) -> pl.DataFrame:
    """The family's ``raw.repo_state`` after this run (unchanged repositories keep their row as is).

    Rows of repositories no longer among the family's remotes (a renamed or removed variant) are dropped.
    A head seen again after a failure is recorded as ``ok``. ``rewritten_at``/``dropped_commits`` say
    when history was last rewritten upstream and how many stored commits that removed.
    """
    kept = {(h.platform, h.repo) for h in histories if family.unchanged(h)}
    rows = [r for r in family.states.to_dicts() if (r["platform"], r["repo"]) in kept]
    for h in histories:
        if family.unchanged(h):
            continue
        key = (h.platform, h.repo)
        before = family.stored(*key) or {}
        rewrite = (at, dropped[key]) if dropped.get(key) else (before.get("rewritten_at"), before.get("dropped_commits"))
        rows.append({
            "family_key": family.family_key, "platform": h.platform, "repo": h.repo, "head_sha": h.head_sha,
            "n_commits": stored_counts.get(key, 0), "status": "ok" if h.status == "unchanged" else h.status,
            "reason": h.reason, "checked_at": at, "rewritten_at": rewrite[0], "dropped_commits": rewrite[1],
        })
    return pl.DataFrame(rows, schema=STATE_SCHEMA)


def write_family(warehouse: Warehouse, family: FamilyRepos, histories: list[RepoHistory], at: datetime) -> WriteResult:
    """In one transaction: append new commits, remove the ones no longer on a default branch (see the
    module's docstring) and those of repositories no longer among the family's remotes, replace the
    family's repo states. An unchanged refresh opens no transaction at all."""
    current = {(h.platform, h.repo) for h in histories}
    stale_states = set(family.states.select("platform", "repo").iter_rows()) - current
    if not stale_states and all(family.unchanged(h) for h in histories):
        return WriteResult(0, {})  # an unchanged refresh rewrites nothing
    new = commit_frame(family, histories)

    def write(con: duckdb.DuckDBPyConnection) -> tuple[int, dict[tuple[str, str], int]]:
        added = insert_frame(con, "raw.commits", new, on_conflict="do nothing")
        dropped = {}
        for h in histories:
            if h.complete:
                shas = [c["sha"] for c in h.commits]
                dropped[(h.platform, h.repo)] = con.execute(
                    "delete from raw.commits where family_key = ? and platform = ? and repo = ? and not list_contains(?, sha)",
                    [family.family_key, h.platform, h.repo, shas]).fetchone()[0]
        counts = con.execute(
            "select platform, repo, count(*)::int from raw.commits where family_key = ? group by all", [family.family_key]
        ).fetchall()
        stored = {(p, r): n for p, r, n in counts}
        for platform, repo in sorted(set(stored) - current):
            con.execute("delete from raw.commits where family_key = ? and platform = ? and repo = ?",
                        [family.family_key, platform, repo])
        con.execute("delete from raw.repo_state where family_key = ?", [family.family_key])
        insert_frame(con, "raw.repo_state", state_frame(family, histories, stored, dropped, at))
        return added, dropped

    # run_transaction: on a DuckLake a commit conflicting with another family's write re-runs it all
    added, dropped = warehouse.run_transaction(write, f"commits of {family.family_key}")
    return WriteResult(added, {k: n for k, n in dropped.items() if n})


@dataclass(frozen=True)
class WriteResult:
    """What :func:`write_family` changed: commits appended, and commits removed per rewritten repository."""

    added: int
    dropped: dict[tuple[str, str], int]
