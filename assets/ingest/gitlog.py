"""Commit histories over git smart HTTP: a blobless mirror per repository, read with ``git log``.

Why git and not the REST APIs: the Hub's commit API gives no changed files and GitHub's needs one
request per commit for them, while a partial clone (``--filter=blob:none``: commits and trees, no file
contents) brings a whole history with its file lists in two requests (protocol v0: the ref
advertisement, then one pack). Both platforms serve git over HTTPS.

- The mirror lives at ``<mirror_root>/<platform>/<partition-safe repo key>.git`` and is kept between
  runs; only the default branch (the remote's ``HEAD``) is followed, into ``refs/hubscope/head``.
- An unchanged refresh is one request: ``git -c protocol.version=0 ls-remote`` (a single GET of the
  ref advertisement) compared with the head stored in ``raw.repo_state``. A changed repository is
  fetched (only the missing objects travel) and only commits after the stored head are read.
- Changed files come from ``--name-status`` in the same pass (merges against their first parent, as
  GitHub shows them; no rename detection, which would need file contents). Line counts would need
  the blobs, so ``additions``/``deletions`` are NULL: documented, not guessed.
- Messages are decoded as UTF-8, else Latin-1 (never fails, never drops bytes); a message longer than
  :data:`MAX_MESSAGE_CHARS` is cut with a marker saying how long it was.
- A token reaches git only through ``GIT_CONFIG_COUNT/KEY/VALUE`` (an ``http.<url>.extraHeader`` for
  that host), never argv or URLs, and is scrubbed from every error.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from assets.ingest.remote import RateLimited, TransientError, call, scrub

MAX_MESSAGE_CHARS = 65_536
MAX_TITLE_CHARS = 500
HEAD_REF = "refs/hubscope/head"
_FORMAT = "%x1e%H%x00%P%x00%an%x00%ae%x00%at%x00%ct%x00%B"
_SHA = re.compile(rb"^\x1e[0-9a-f]{40}$")
_CHANGES = {"A": "added", "M": "modified", "D": "removed", "T": "type_changed", "R": "renamed", "C": "copied"}


class GitError(RuntimeError):
    """A git command failed; ``kind`` is not_found, auth, rate, empty or transient."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class GitRemote:
    """One repository to mirror. ``auth_header`` is a full header line, or None for anonymous."""

    platform: str  # "hub" | "github"
    repo: str  # "owner/repo" or the model id, as stored in the warehouse
    url: str
    auth_header: str | None = field(default=None, repr=False)

    @classmethod
    def hub(cls, repo_id: str, url: str, token: str | None) -> GitRemote:
        return cls("hub", repo_id, url, f"Authorization: Bearer {token}" if token else None)

    @classmethod
    def github(cls, full_name: str, url: str, token: str | None) -> GitRemote:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode() if token else None
        return cls("github", full_name, url, f"Authorization: Basic {basic}" if basic else None)

    def env(self) -> dict[str, str]:
        """git's environment: no prompts, no user or system config, the token as a config entry."""
        env = {
            **os.environ,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "LC_ALL": "C",
        }
        if self.auth_header:
            parts = urlsplit(self.url)
            env |= {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": f"http.{parts.scheme}://{parts.netloc}/.extraHeader",
                "GIT_CONFIG_VALUE_0": self.auth_header,
            }
        return env

    def secrets(self) -> list[str]:
        if not self.auth_header:
            return []
        value = self.auth_header.split(None, 2)[-1]
        return [value, *([base64.b64decode(value).decode().split(":", 1)[1]] if " Basic " in self.auth_header else [])]


@dataclass
class RepoHistory:
    """What one refresh of one repository found."""

    platform: str
    repo: str
    status: str  # ok | unchanged | empty | skipped | failed
    head_sha: str | None = None
    reason: str | None = None
    commits: list[dict[str, Any]] = field(default_factory=list)


def git(remote: GitRemote, *args: str, git_dir: Path | None = None) -> bytes:
    """Run git for ``remote``; failures become :class:`GitError` with a scrubbed, classified message."""
    cmd = ["git", *(["--git-dir", str(git_dir)] if git_dir else []), *args]
    proc = subprocess.run(cmd, capture_output=True, env=remote.env())
    if proc.returncode == 0:
        return proc.stdout
    err = scrub(proc.stderr.decode("utf-8", "replace"), remote.secrets()).strip()
    raise GitError(_classify(err), f"git {args[0]} of {remote.platform} repository {remote.repo} failed: {err[-400:]}")


def _classify(stderr: str) -> str:
    low = stderr.lower()
    if "couldn't find remote ref" in low:
        return "empty"
    if "error: 404" in low or "not found" in low or "does not appear to be a git repository" in low:
        return "not_found"
    if "error: 429" in low:
        return "rate"
    if "error: 401" in low or "error: 403" in low or "could not read username" in low or "authentication failed" in low:
        return "auth"
    return "transient"


def _retrying(remote: GitRemote, what: str, fn):
    """Run a network git call through :func:`remote.call`: transient failures are retried."""

    def attempt():
        try:
            return fn()
        except GitError as exc:
            if exc.kind == "transient":
                raise ConnectionError(str(exc)) from None
            raise

    return call(attempt, f"{what} {remote.platform}:{remote.repo}", secrets=remote.secrets())


def remote_head(remote: GitRemote) -> str | None:
    """The remote's default-branch head in one request (protocol v0 ref advertisement); None if empty."""
    out = _retrying(remote, "ls-remote", lambda: git(remote, "-c", "protocol.version=0", "ls-remote", remote.url, "HEAD"))
    line = out.decode().split("\n", 1)[0]
    return line.split("\t", 1)[0] if line else None


def fetch_mirror(remote: GitRemote, mirror: Path) -> str | None:
    """Create or update the blobless mirror (two requests); returns the fetched head, None if empty."""
    if not (mirror / "HEAD").exists():
        mirror.parent.mkdir(parents=True, exist_ok=True)
        git(remote, "init", "--quiet", "--bare", str(mirror))
        for key, value in (("remote.origin.promisor", "true"), ("remote.origin.partialclonefilter", "blob:none"),
                           ("core.logallrefupdates", "false"), ("gc.auto", "0")):
            git(remote, "config", key, value, git_dir=mirror)
    git(remote, "config", "remote.origin.url", remote.url, git_dir=mirror)
    try:
        _retrying(remote, "fetch", lambda: git(
            remote, "-c", "protocol.version=0", "fetch", "--quiet", "--no-tags", "--filter=blob:none",
            "origin", f"+HEAD:{HEAD_REF}", git_dir=mirror))
    except GitError as exc:
        if exc.kind == "empty":
            return None
        raise
    return git(remote, "rev-parse", HEAD_REF, git_dir=mirror).decode().strip()


def read_log(remote: GitRemote, mirror: Path, head: str, known_head: str | None, fetched_at: datetime) -> list[dict[str, Any]]:
    """Rows for ``raw.commits``: every commit reachable from ``head`` and not from ``known_head``."""
    revs = [head]
    if known_head and known_head != head and _has_commit(remote, mirror, known_head):
        revs.append(f"^{known_head}")
    out = git(remote, "log", "-z", "--no-renames", "--diff-merges=first-parent", "--name-status",
              f"--format={_FORMAT}", *revs, "--", git_dir=mirror)
    return parse_log(out, remote.platform, remote.repo, fetched_at)


def _has_commit(remote: GitRemote, mirror: Path, sha: str) -> bool:
    try:
        git(remote, "cat-file", "-e", f"{sha}^{{commit}}", git_dir=mirror)
        return True
    except GitError:
        return False


def parse_log(out: bytes, platform: str, repo: str, fetched_at: datetime) -> list[dict[str, Any]]:
    """Parse ``git log -z --name-status --format=_FORMAT`` output (fields and paths NUL-separated)."""
    tokens = out.split(b"\x00")
    rows: list[dict[str, Any]] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i].lstrip(b"\n")
        if not _SHA.match(tok):
            i += 1
            continue
        sha, parents, an, ae, at, ct, body = tok[1:], *tokens[i + 1 : i + 7]
        i += 7
        files = []
        while i + 1 < len(tokens) and not _SHA.match(tokens[i].lstrip(b"\n")):
            code = tokens[i].strip(b"\n").decode("ascii", "replace")
            if not code:
                i += 1
                continue
            files.append({"path": decode(tokens[i + 1]), "change": _CHANGES.get(code[:1], "modified"),
                          "additions": None, "deletions": None})
            i += 2
        message = decode(body).rstrip("\n")
        if len(message) > MAX_MESSAGE_CHARS:
            message = f"{message[:MAX_MESSAGE_CHARS]}\n[hubscope: message cut, {len(message)} characters in all]"
        rows.append({
            "platform": platform,
            "repo": repo,
            "sha": sha.decode(),
            "parents": parents.decode().split(),
            "author_name": decode(an),
            "author_email": decode(ae),
            "authored_at": datetime.fromtimestamp(int(at), UTC),
            "committed_at": datetime.fromtimestamp(int(ct), UTC),
            "title": message.split("\n", 1)[0][:MAX_TITLE_CHARS],
            "message": message,
            "files": files,
            "n_files": len(files),
            "fetched_at": fetched_at,
        })
    return rows


def decode(raw: bytes) -> str:
    """UTF-8 when valid, else Latin-1: git keeps messages as bytes and old repositories hold Latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def refresh_repo(remote: GitRemote, mirror: Path, known_head: str | None, fetched_at: datetime) -> RepoHistory:
    """One repository's new history; platform refusals become a status with a reason, not an exception.

    Raises :class:`TransientError` / :class:`RateLimited` when the caller should fail and retry later.
    """
    result = RepoHistory(remote.platform, remote.repo, "ok")
    try:
        if known_head:
            head = remote_head(remote)
            if head == known_head:
                result.status, result.head_sha = "unchanged", head
                return result
        head = fetch_mirror(remote, mirror)
        if head is None:
            result.status, result.reason = "empty", "the repository has no commits"
            return result
        result.head_sha = head
        result.commits = read_log(remote, mirror, head, known_head, fetched_at)
    except GitError as exc:
        if exc.kind == "rate":
            raise RateLimited(f"{remote.platform}:{remote.repo}: rate limited by the git server ({exc})") from None
        if exc.kind == "not_found":
            result.status, result.reason = "failed", f"repository not found at {remote.url}"
        elif exc.kind == "auth":
            result.status = "skipped"
            token = "HF_TOKEN" if remote.platform == "hub" else "GITHUB_TOKEN"
            result.reason = f"gated or private: needs {token} with access (accept the terms on the platform)"
        elif exc.kind == "empty":
            result.status, result.reason = "empty", "the repository has no commits"
        else:
            raise TransientError(str(exc)) from None
    return result
