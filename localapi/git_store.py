"""Read the sample's bare git repositories for the REST routes (Hub and GitHub commit listings).

The REST routes derive their answers from the same repositories that ``git_http`` serves, so the
two views of a history can never disagree. Text fields are decoded as UTF-8 and, when that fails,
as Latin-1 (git stores messages as bytes; old repositories hold Latin-1 without an encoding header).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assets.ingest.gitlog import decode  # the same decoding as the ingest stage's reader

_FIELDS = "%H%x00%P%x00%an%x00%ae%x00%at%x00%cn%x00%ce%x00%ct%x00%B"


@dataclass(frozen=True)
class GitCommit:
    sha: str
    parents: list[str]
    author_name: str
    author_email: str
    authored_at: datetime
    committer_name: str
    committer_email: str
    committed_at: datetime
    message: str

    @property
    def title(self) -> str:
        return self.message.split("\n", 1)[0]


def _git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(git_dir), *args], capture_output=True, check=True).stdout


def rev_parse(git_dir: Path, rev: str) -> str | None:
    """The sha ``rev`` names, or None when the repository is empty or the revision unknown."""
    proc = subprocess.run(
        ["git", "--git-dir", str(git_dir), "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    return proc.stdout.strip() or None


def count(git_dir: Path, rev: str, since: datetime | None = None) -> int:
    args = ["rev-list", "--count", rev] + ([f"--since={int(since.timestamp())}"] if since else [])
    return int(_git(git_dir, *args) or 0)


def log(git_dir: Path, rev: str, skip: int = 0, limit: int = 30, since: datetime | None = None,
        until: datetime | None = None) -> list[GitCommit]:
    """One page of history, newest first (``git log`` order)."""
    args = ["log", f"--format={_FIELDS}%x1e", f"--skip={skip}", f"--max-count={limit}", rev]
    if since:
        args.append(f"--since={int(since.timestamp())}")
    if until:
        args.append(f"--until={int(until.timestamp())}")
    out = []
    for record in _git(git_dir, *args).split(b"\x1e"):
        record = record.lstrip(b"\n")
        if not record:
            continue
        f = record.split(b"\x00", 8)
        out.append(
            GitCommit(
                sha=f[0].decode(),
                parents=f[1].decode().split(),
                author_name=decode(f[2]),
                author_email=decode(f[3]),
                authored_at=datetime.fromtimestamp(int(f[4]), UTC),
                committer_name=decode(f[5]),
                committer_email=decode(f[6]),
                committed_at=datetime.fromtimestamp(int(f[7]), UTC),
                message=decode(f[8]).rstrip("\n"),
            )
        )
    return out


def files_changed(git_dir: Path, sha: str) -> list[dict]:
    """Files of one commit in GitHub's shape (filename, status, additions, deletions, changes)."""
    status_names = {"A": "added", "M": "modified", "D": "removed", "R": "renamed", "C": "copied", "T": "changed"}
    statuses = _git(git_dir, "show", "--no-renames", "--format=", "--name-status", "-z", sha).split(b"\x00")
    numstat = _git(git_dir, "show", "--no-renames", "--format=", "--numstat", "-z", sha).split(b"\x00")
    lines: dict[str, tuple[int, int]] = {}
    for item in numstat:
        parts = item.strip(b"\n").split(b"\t")
        if len(parts) == 3:
            add, dele = (int(x) if x.isdigit() else 0 for x in parts[:2])
            lines[decode(parts[2])] = (add, dele)
    files = []
    it = iter(s for s in statuses if s.strip(b"\n"))
    for code in it:
        path = decode(next(it))
        add, dele = lines.get(path, (0, 0))
        status = status_names.get(code.strip(b"\n").decode()[:1], "modified")
        files.append({"filename": path, "status": status, "additions": add, "deletions": dele, "changes": add + dele})
    return files


def squash(git_dir: Path, branch: str, message: str) -> str | None:
    """Replace ``branch`` by one root commit holding its current tree (the Hub's super-squash); the new sha."""
    tree = rev_parse(git_dir, f"refs/heads/{branch}")
    if tree is None:
        return None
    env = {"GIT_AUTHOR_NAME": "system", "GIT_AUTHOR_EMAIL": "system@huggingface.co",
           "GIT_COMMITTER_NAME": "system", "GIT_COMMITTER_EMAIL": "system@huggingface.co", "PATH": "/usr/bin:/bin"}
    sha = subprocess.run(["git", "--git-dir", str(git_dir), "commit-tree", f"{tree}^{{tree}}", "-m", message],
                         capture_output=True, text=True, check=True, env=env).stdout.strip()
    _git(git_dir, "update-ref", f"refs/heads/{branch}", sha)
    return sha


def tree_paths(git_dir: Path, rev: str) -> list[str]:
    """Every file path at ``rev`` (for the Hub's ``siblings``)."""
    return [decode(p) for p in _git(git_dir, "ls-tree", "-r", "-z", "--name-only", rev).split(b"\x00") if p]
