"""What happens upstream after a first ingest: rewritten history, new commits, odd dates and bytes.

Each test changes a repository of the ingest stage's own sample (as a push or the Hub's API would),
ingests again through the real clients, and compares with what ``git`` itself says of the
repository; the repository is put back afterwards.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from huggingface_hub import HfApi

from assets.ingest import history
from assets.ingest.gitlog import CHANGES, GitRemote, refresh_repo
from localapi.sample.build import SAMPLE_HUB_TOKEN
from orchestration.partitions import repo_key
from orchestration.warehouse import Warehouse

IDENTITY = {"GIT_AUTHOR_NAME": "Ana", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "Bot", "GIT_COMMITTER_EMAIL": "b@x"}


def bare(sample: Path, platform: str, repo: str) -> Path:
    return sample / "git" / platform / f"{repo}.git"


def git(repo: Path, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> str:
    return subprocess.run(["git", "--git-dir", str(repo), *args], capture_output=True, check=True, input=stdin,
                          env={"PATH": "/usr/bin:/bin", **(env or {})}).stdout.decode().strip()


@contextmanager
def restored(repo: Path) -> Iterator[str]:
    """Yield the branch's head; put it back afterwards (the sample is shared by the session's tests)."""
    head = git(repo, "rev-parse", "main")
    try:
        yield head
    finally:
        git(repo, "update-ref", "refs/heads/main", head)


def commit(repo: Path, parent: str, message: bytes, date: str | None = None, tree: str | None = None) -> str:
    """A commit on ``parent`` (same files unless ``tree``), dated ``date`` (git's ``@seconds +zone``) if given."""
    env = IDENTITY | ({"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else {})
    return git(repo, "commit-tree", tree or f"{parent}^{{tree}}", "-p", parent, "-F", "-", env=env, stdin=message)


def stored(env, repo: str) -> pl.DataFrame:
    return env.warehouse.query("select * from raw.commits where repo = ? order by sha", [repo])


def state(env, repo: str) -> dict:
    return env.warehouse.query("select * from raw.repo_state where repo = ?", [repo]).row(0, named=True)


# -- rewritten history (issue 12, item 6) -----------------------------------------------------------

def test_hub_super_squash_leaves_only_the_new_root_and_records_the_rewrite(fresh):
    family, repo_id = "acme-research__codegen-mini", "acme-research/codegen-mini-350m"
    repo = bare(fresh.sample, "hub", repo_id)
    assert fresh.ingest(family).success
    github_rows = stored(fresh, "acme-research/codegen-mini")
    with restored(repo):
        squashed = int(git(repo, "rev-list", "--count", "main"))
        assert squashed == 35  # the sample's history, as the issue found it
        HfApi(endpoint=fresh.api.hf_endpoint, token=SAMPLE_HUB_TOKEN).super_squash_history(repo_id, commit_message="squash")
        root = git(repo, "rev-parse", "main")
        assert fresh.ingest(family).success
    rows = stored(fresh, repo_id)
    assert rows["sha"].to_list() == [root] and rows["title"].to_list() == ["squash"]
    after = state(fresh, repo_id)
    assert (after["head_sha"], after["n_commits"], after["status"]) == (root, 1, "ok")
    assert after["dropped_commits"] == squashed and after["rewritten_at"] is not None
    assert stored(fresh, "acme-research/codegen-mini").equals(github_rows)  # the other repository untouched


def test_force_push_dropping_a_commit_removes_it(fresh):
    name = "indolab/indobert-lite"
    repo = bare(fresh.sample, "github", name)
    with restored(repo) as head:
        git(repo, "update-ref", "refs/heads/main", f"{head}^")  # git push --force origin HEAD^:main
        expected = set(git(repo, "rev-list", "main").split())
        assert fresh.ingest("indolab__indobert-lite").success
    rows = stored(fresh, name)
    assert set(rows["sha"]) == expected and head not in set(rows["sha"])
    after = state(fresh, name)
    assert (after["n_commits"], after["dropped_commits"]) == (len(expected), 1)


def test_a_rewrite_stays_recorded_after_later_refreshes(fresh):
    name = "indolab/indobert-lite"
    repo = bare(fresh.sample, "github", name)
    with restored(repo) as head:
        git(repo, "update-ref", "refs/heads/main", f"{head}^")
        assert fresh.ingest("indolab__indobert-lite").success
        first = state(fresh, name)
        new = commit(repo, f"{head}^", b"Fix eval seed")
        git(repo, "update-ref", "refs/heads/main", new)
        assert fresh.ingest("indolab__indobert-lite").success  # a plain new commit, no rewrite
    later = state(fresh, name)
    assert (later["rewritten_at"], later["dropped_commits"]) == (first["rewritten_at"], 1)
    assert later["n_commits"] == first["n_commits"] + 1


# -- incremental reads (issue 16) -------------------------------------------------------------------

def test_incremental_refresh_reads_only_commits_after_the_stored_head(fresh, tmp_path):
    name = "indolab/indobert-lite"
    repo = bare(fresh.sample, "github", name)
    mirror = tmp_path / "mirror.git"
    shutil.copytree(fresh.mirrors / "github" / f"{repo_key(name)}.git", mirror)
    remote = GitRemote.github(name, f"{fresh.api.github_git}/{name}.git", None)
    with restored(repo) as head:
        new = commit(repo, head, b"Fix eval seed")
        git(repo, "update-ref", "refs/heads/main", new)
        fresh.api.reset()
        got = refresh_repo(remote, mirror, head, datetime.now(UTC))
    assert [c["sha"] for c in got.commits] == [new] and not got.complete
    assert fresh.api.count() == 3  # the head check, then the fetch (ref advertisement and one pack)


def test_unchanged_refresh_opens_no_write_transaction(fresh):
    opened = []

    class CountingWarehouse(Warehouse):  # both ways a write can open a transaction
        def transaction(self):
            opened.append("transaction")
            return super().transaction()

        def run_transaction(self, work, what="write"):
            opened.append("run_transaction")
            return super().run_transaction(work, what)

    spy = CountingWarehouse(database=str(fresh.db))
    family = history.load_family(spy, "indolab__indobert-lite")
    res = fresh.resources()
    histories, errors = history.refresh_family(family, history.remotes(family, res["hub"], res["github"]),
                                               fresh.mirrors, datetime.now(UTC))
    assert not errors and {h.status for h in histories} == {"unchanged"}
    assert history.write_family(spy, family, histories, datetime.now(UTC)).added == 0
    assert opened == []


# -- a failure does not stick (issue 13, item 2) ----------------------------------------------------

def test_a_failure_is_cleared_by_the_next_success(fresh):
    family = "indolab__indobert-lite"
    fresh.api.inject(route="git.hub", status=500, times=-1)
    assert fresh.call_commits(family) is not None
    failed = fresh.warehouse.query("select repo, status from raw.repo_state where family_key = ? and platform = 'hub'", [family])
    assert set(failed["status"]) == {"failed"}
    fresh.api.reset()
    assert fresh.ingest(family).success
    after = fresh.warehouse.query("select repo, status, reason, n_commits from raw.repo_state where family_key = ?", [family])
    assert set(after["status"]) == {"ok"} and after["reason"].null_count() == after.height
    for repo, n in after.select("repo", "n_commits").iter_rows():
        platform = "github" if repo == "indolab/indobert-lite" else "hub"
        assert n == int(git(bare(fresh.sample, platform, repo), "rev-list", "--count", "main"))


# -- what a repository miner expects (issue 13) -----------------------------------------------------

def test_dates_before_2000_in_the_future_or_before_the_repository_are_flagged(fresh):
    name = "indolab/indobert-lite"
    repo = bare(fresh.sample, "github", name)
    created = fresh.warehouse.query("select created_at from raw.github_repos where full_name = ?", [name]).item()
    before_repo = int(created.timestamp()) - 3 * 86_400  # three days before GitHub's created_at
    with restored(repo) as head:
        epoch = commit(repo, head, b"Import", "@1 +0000")  # a zero clock: 1970-01-01
        future = commit(repo, epoch, b"Clock from 2100", "@4102444800 +0000")
        early = commit(repo, future, b"Before the repository", f"@{before_repo} +0000")
        git(repo, "update-ref", "refs/heads/main", early)
        assert fresh.ingest("indolab__indobert-lite").success
    flags = dict(fresh.warehouse.query("select sha, date_flag from raw.commits where repo = ? and date_flag is not null",
                                       [name]).iter_rows())
    assert flags == {epoch: "before_2000", future: "future", early: "before_repository"}


def test_committer_and_time_zones_are_stored_as_git_has_them(fresh):
    name = "indolab/indobert-lite"
    repo = bare(fresh.sample, "github", name)
    with restored(repo) as head:
        env = {"GIT_AUTHOR_NAME": "Ana", "GIT_AUTHOR_EMAIL": "ana@x", "GIT_AUTHOR_DATE": "@1700000000 +0530",
               "GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@github.com",
               "GIT_COMMITTER_DATE": "@1700003600 -0700"}
        sha = git(repo, "commit-tree", f"{head}^{{tree}}", "-p", head, "-m", "Merge via the web UI", env=env)
        git(repo, "update-ref", "refs/heads/main", sha)
        assert fresh.ingest("indolab__indobert-lite").success
    row = fresh.warehouse.query("select * from raw.commits where sha = ?", [sha]).row(0, named=True)
    assert (row["author_name"], row["author_email"], row["committer_name"], row["committer_email"]) == (
        "Ana", "ana@x", "GitHub", "noreply@github.com")
    assert (row["author_tz_offset"], row["committer_tz_offset"]) == (5 * 60 + 30, -7 * 60)
    assert row["authored_at"] == datetime.fromtimestamp(1_700_000_000, UTC)
    assert row["committed_at"] == datetime.fromtimestamp(1_700_003_600, UTC)
    # every stored commit agrees with git's own %ai/%ci offsets
    offsets = {}
    for line in git(repo, "log", "--format=%H %ai %ci", "main").splitlines():
        sha_, _d, _t, az, _d2, _t2, cz = line.split()
        offsets[sha_] = tuple((-1 if z[0] == "-" else 1) * (int(z[1:3]) * 60 + int(z[3:5])) for z in (az, cz))
    got = fresh.warehouse.query("select sha, author_tz_offset, committer_tz_offset from raw.commits where repo = ?", [name])
    assert {s: (a, c) for s, a, c in got.iter_rows() if s in offsets} == {s: v for s, v in offsets.items() if s != sha}


def test_windows_1252_messages_are_decoded(fresh):
    name = "indolab/indobert-lite"
    repo = bare(fresh.sample, "github", name)
    text = b"It\x92s fixed: \x93smart quotes\x94 \x96 \x80 5"
    with restored(repo) as head:
        tree = git(repo, "rev-parse", f"{head}^{{tree}}")
        raw = (f"tree {tree}\nparent {head}\nauthor A <a@x> 1700000000 +0000\ncommitter A <a@x> 1700000000 +0000\n\n"
               .encode() + text + b"\n")
        as_bytes = git(repo, "hash-object", "-t", "commit", "-w", "--stdin", stdin=raw)  # the bytes kept as they are
        reencoded = commit(repo, as_bytes, text + b" (again)\n")  # git's own commit-tree turns them into U+0092 etc.
        git(repo, "update-ref", "refs/heads/main", reencoded)
        assert fresh.ingest("indolab__indobert-lite").success
    titles = dict(fresh.warehouse.query("select sha, title from raw.commits where sha in (?, ?)", [as_bytes, reencoded]).iter_rows())
    expected = "It\u2019s fixed: \u201csmart quotes\u201d \u2013 \u20ac 5"
    assert titles == {as_bytes: expected, reencoded: expected + " (again)"}


def test_renames_and_copies_are_found_as_git_log_finds_them(fresh, tmp_path):
    name = "indolab/indobert-lite"
    repo = bare(fresh.sample, "github", name)
    work = tmp_path / "work"
    with restored(repo) as head:
        subprocess.run(["git", "clone", "-q", str(repo), str(work)], check=True)
        run = lambda *a: subprocess.run(["git", "-C", str(work), *a], check=True, env={"PATH": "/usr/bin:/bin", **IDENTITY})
        (work / "docs").mkdir(exist_ok=True)
        (work / "docs" / "long.md").write_text("".join(f"line {i} of a document long enough to compare\n" for i in range(40)))
        run("add", "-A")
        run("commit", "-q", "-m", "Add docs")
        run("mv", "docs/long.md", "docs/guide.md")  # a rename with a small edit: similarity below 100%
        with (work / "docs" / "guide.md").open("a") as f:
            f.write("one more line\n")
        shutil.copy(work / "README.md", work / "README.copy.md")  # an exact copy of a file left in place
        with (work / "README.md").open("a") as f:
            f.write("edited\n")  # -C considers modified files as copy sources
        run("add", "-A")
        run("commit", "-q", "-m", "Move docs")
        run("push", "-q", "origin", "HEAD:main")
        moved = git(repo, "rev-parse", "main")
        expected = git(repo, "show", "-M", "-C", "--name-status", "-z", "--format=", moved).split("\0")
        fresh.api.reset()
        assert fresh.ingest("indolab__indobert-lite").success
        requests = fresh.api.count("git.github")
    want, i = set(), 0
    while i < len(expected) and expected[i]:
        code = expected[i].strip()
        if code[0] in "RC":
            want.add((expected[i + 2], expected[i + 1], CHANGES[code[0]]))
            i += 3
        else:
            want.add((expected[i + 1], None, CHANGES[code[0]]))
            i += 2
    files = fresh.warehouse.query("select files from raw.commits where sha = ?", [moved]).item()
    assert {(f["path"], f["old_path"], f["change"]) for f in files} == want
    assert ("docs/guide.md", "docs/long.md", "renamed") in want and ("README.copy.md", "README.md", "copied") in want
    # the head check, the fetch (2), and one fetch of the blobs to compare (2): none per commit
    assert requests == 5
