"""Commit histories over git smart HTTP: a blobless mirror per repository, read with ``git log``.

Why git and not the REST APIs: the Hub's commit API gives no changed files and GitHub's needs one
request per commit for them, while a partial clone (``--filter=blob:none``: commits and trees, no file
contents) brings a whole history with its file lists in two requests (protocol v0: the ref
advertisement, then one pack). Both platforms serve git over HTTPS.

- The mirror lives at ``<mirror_root>/<platform>/<partition-safe repo key>.git`` and is kept between
  runs; only the default branch (the remote's ``HEAD``) is followed, into ``refs/hubscope/head``.
- An unchanged refresh is one request of a few hundred bytes: a protocol v2 ``ls-refs`` for ``HEAD``
  only (:func:`remote_head`; no branches, tags or ``refs/pull/*``), compared with the head stored in
  ``raw.repo_state``. A changed repository is fetched (only the missing objects travel) and only
  commits after the stored head are read.
- Rewritten history (a force-push, the Hub's super-squash): when the stored head is no longer an
  ancestor of the new head, the whole history reachable from the new head is read and marked
  ``complete``; the writer then removes the stored commits that are not in it (``history``).
- Changed files come from ``--name-status`` in the same pass (merges against their first parent, as
  GitHub shows them), with GitHub's status names. Renames and copies are found as ``git log -M -C``
  finds them, which needs the contents of the files involved: before the log, the blobs of the
  commits that could hold one (a file added and another deleted or modified) are fetched in one
  request, so git never fetches them one commit at a time. Line counts would need every blob, so
  ``additions``/``deletions`` are NULL: documented, not guessed.
- Messages are decoded as UTF-8, else Latin-1, then C1 control characters as Windows-1252 (what
  "Latin-1" text from Windows tools really is: ``It’s``, not ``It\x92s``); never fails, never drops bytes; a message
  longer than :data:`MAX_MESSAGE_CHARS` is cut with a marker saying how long it was.
- Credentials reach git only through ``GIT_CONFIG_COUNT/KEY/VALUE`` (an ``http.<url>.extraHeader``
  for that host): a token, or a user and password written in the server URL, which is stripped from
  the URL so it is never in argv, in a mirror's config or in an error; scrubbed from every error.
- Every network git call gives up on a stalled transfer (``http.lowSpeedLimit``/``lowSpeedTime``)
  and, as a last resort, after :data:`GIT_TIMEOUT_S`.
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
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx2

from assets.ingest.remote import RateLimited, TransientError, call, scrub

MAX_MESSAGE_CHARS = 65_536
MAX_TITLE_CHARS = 500
HEAD_REF = "refs/hubscope/head"
LOW_SPEED_BYTES = 1000
"""A network git call slower than this many bytes a second ..."""
LOW_SPEED_S = int(os.environ.get("HUBSCOPE_GIT_LOW_SPEED_S", "60"))
"""... for this many seconds is abandoned (a transient failure, retried): a stalled server cannot
hold the step, and the warehouse's writer lock, for ever."""
GIT_TIMEOUT_S = float(os.environ.get("HUBSCOPE_GIT_TIMEOUT_S", "3600"))
"""Backstop for any one git process (a trickle just over the low-speed limit)."""
_FORMAT = "%x1e%H%x00%P%x00%an%x00%ae%x00%ad%x00%cn%x00%ce%x00%cd%x00%B"
_SHA = re.compile(rb"^\x1e[0-9a-f]{40}$")
_TRACE = re.compile(r"^\d\d:\d\d:\d\d\.\d+ \S+:\d+ ")
_RETRY_AFTER = re.compile(r"<= Recv header: Retry-After: (\d+)", re.IGNORECASE)
CHANGES = {"A": "added", "M": "modified", "D": "removed", "T": "changed", "R": "renamed", "C": "copied"}
"""git's status letters as GitHub names them in a commit's ``files`` (``changed``: the file type changed)."""


class GitError(RuntimeError):
    """A git command failed; ``kind`` is not_found, auth, rate, empty or transient.

    ``retry_after_s``: the server's ``Retry-After`` on a 429, when it sent one.
    """

    def __init__(self, kind: str, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after_s = retry_after_s


def _without_credentials(url: str) -> tuple[str, str | None]:
    """``url`` without ``user:password@``, and those credentials as a Basic auth value (or None)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    user_pass = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
    return urlunsplit(parts._replace(netloc=netloc)), base64.b64encode(user_pass.encode()).decode()


@dataclass(frozen=True)
class GitRemote:
    """One repository to mirror. ``url`` carries no credentials; ``auth_header`` is a full header line, or None."""

    platform: str  # "hub" | "github"
    repo: str  # "owner/repo" or the model id, as stored in the warehouse
    url: str
    auth_header: str | None = field(default=None, repr=False)

    @classmethod
    def hub(cls, repo_id: str, url: str, token: str | None) -> GitRemote:
        clean, basic = _without_credentials(url)
        header = f"Authorization: Bearer {token}" if token else (f"Authorization: Basic {basic}" if basic else None)
        return cls("hub", repo_id, clean, header)

    @classmethod
    def github(cls, full_name: str, url: str, token: str | None) -> GitRemote:
        clean, basic = _without_credentials(url)
        if token:
            basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        return cls("github", full_name, clean, f"Authorization: Basic {basic}" if basic else None)

    def env(self) -> dict[str, str]:
        """git's environment: no prompts, no user or system config, credentials and low-speed limits as config."""
        env = {
            **os.environ,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "LC_ALL": "C",
        }
        config: list[tuple[str, str]] = []
        if self.auth_header:
            parts = urlsplit(self.url)
            config.append((f"http.{parts.scheme}://{parts.netloc}/.extraHeader", self.auth_header))
        config += [("http.lowSpeedLimit", str(LOW_SPEED_BYTES)), ("http.lowSpeedTime", str(LOW_SPEED_S))]
        env["GIT_CONFIG_COUNT"] = str(len(config))
        for i, (key, value) in enumerate(config):
            env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"] = key, value
        return env

    def secrets(self) -> list[str]:
        if not self.auth_header:
            return []
        value = self.auth_header.split(None, 2)[-1]
        return [value, *([base64.b64decode(value).decode().split(":", 1)[1]] if " Basic " in self.auth_header else [])]


@dataclass
class RepoHistory:
    """What one refresh of one repository found.

    ``complete``: ``commits`` is the whole history reachable from ``head_sha`` (first read, or the
    stored head is gone from it), so stored commits not among them are no longer on the default branch.
    """

    platform: str
    repo: str
    status: str  # ok | unchanged | empty | skipped | failed
    head_sha: str | None = None
    reason: str | None = None
    commits: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = False


def command_text(args: tuple[str, ...] | list[str]) -> str:
    """The git command a user would type: ``-c key=value`` options left out (they hold no command)."""
    shown, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg == "-c":
            skip = True
        else:
            shown.append(arg)
    return "git " + " ".join(shown)


def git(remote: GitRemote, *args: str, git_dir: Path | None = None, stdin: bytes | None = None) -> bytes:
    """Run git for ``remote``; failures become :class:`GitError` with a scrubbed, classified message.

    Response headers are traced (``GIT_TRACE_CURL``, no data) so a 429's ``Retry-After`` can be read;
    the message names the command and keeps git's own error lines, not the trace.
    """
    cmd = ["git", *(["--git-dir", str(git_dir)] if git_dir else []), *args]
    env = remote.env() | {"GIT_TRACE_CURL": "1", "GIT_TRACE_CURL_NO_DATA": "1"}
    try:
        proc = subprocess.run(cmd, capture_output=True, env=env, input=stdin, timeout=GIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise GitError("transient", f"{command_text(args)} ({remote.platform} repository {remote.repo}) "
                       f"gave no result in {GIT_TIMEOUT_S:.0f}s") from None
    if proc.returncode == 0:
        return proc.stdout
    lines = proc.stderr.decode("utf-8", "replace").splitlines()
    err = scrub("\n".join(line for line in lines if not _TRACE.match(line)), remote.secrets()).strip()
    retry = [float(m.group(1)) for line in lines if (m := _RETRY_AFTER.search(line))]
    what = scrub(command_text(args), remote.secrets())[:300]
    raise GitError(_classify(err), f"{what} ({remote.platform} repository {remote.repo}) failed: {err[-400:]}",
                   retry[-1] if retry else None)


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
    """The remote's default-branch head in one small request; None if the repository is empty.

    A protocol v2 ``ls-refs`` asking for ``HEAD`` only, POSTed straight to ``git-upload-pack``
    (protocol v2 is stateless over HTTP, so the capability advertisement git would GET first is not
    needed): the answer is one line whatever the number of branches, tags and ``refs/pull/*``, where
    ``git ls-remote`` over protocol v0 downloads every advertised ref. A server that does not answer
    in protocol v2 (or redirects) is asked with ``git ls-remote`` instead.
    """
    return _retrying(remote, "head check", lambda: _ls_refs_head(remote))


def _pkt(line: str) -> bytes:
    data = line.encode()
    return f"{len(data) + 4:04x}".encode() + data


_LS_REFS_HEAD = _pkt("command=ls-refs\n") + b"0001" + _pkt("symrefs\n") + _pkt("ref-prefix HEAD\n") + b"0000"


def _ls_refs_head(remote: GitRemote) -> str | None:
    url = f"{remote.url.rstrip('/')}/git-upload-pack"
    what = f"POST {url} (git protocol v2 ls-refs HEAD) ({remote.platform} repository {remote.repo})"
    headers = {"Content-Type": "application/x-git-upload-pack-request", "Accept": "application/x-git-upload-pack-result",
               "Git-Protocol": "version=2"}
    if remote.auth_header:
        name, _, value = remote.auth_header.partition(": ")
        headers[name] = value
    try:
        resp = httpx2.post(url, content=_LS_REFS_HEAD, headers=headers, timeout=LOW_SPEED_S)
    except httpx2.TimeoutException:
        raise GitError("transient", f"{what} failed: no answer in {LOW_SPEED_S}s (too slow)") from None
    except httpx2.TransportError as exc:
        raise GitError("transient", scrub(f"{what} failed: {type(exc).__name__}: {exc}", remote.secrets())) from None
    status = resp.status_code
    if status == 429:
        wait = resp.headers.get("retry-after", "")
        raise GitError("rate", f"{what} failed: HTTP 429", float(wait) if wait.isdigit() else None)
    if status == 404:
        raise GitError("not_found", f"{what} failed: HTTP 404")
    if status in (401, 403):
        raise GitError("auth", f"{what} failed: HTTP {status}")
    if status >= 500:
        raise GitError("transient", f"{what} failed: HTTP {status}")
    lines = _pkt_lines(resp.content) if status == 200 and resp.headers.get("content-type", "").startswith(
        "application/x-git-upload-pack-result") else None
    if lines is None:  # not a protocol v2 answer: ask git itself, over protocol v0
        out = git(remote, "-c", "protocol.version=0", "ls-remote", remote.url, "HEAD")
        lines = out.decode().splitlines()
    heads = [line.split()[0] for line in lines if line.split()[1:2] == ["HEAD"]]
    return heads[0] if heads else None


def _pkt_lines(body: bytes) -> list[str] | None:
    """The text lines of a pkt-line answer ending in a flush packet, or None when it is not one."""
    lines, i = [], 0
    while i + 4 <= len(body):
        try:
            size = int(body[i:i + 4], 16)
        except ValueError:
            return None
        if size == 0:
            return lines
        if size < 4 or body[i + 4:i + 7] == b"ERR":
            return None
        lines.append(body[i + 4:i + size].decode("utf-8", "replace").rstrip("\n"))
        i += size
    return None


def fetch_mirror(remote: GitRemote, mirror: Path) -> str | None:
    """Create or update the blobless mirror (two requests); returns the fetched head, None if empty."""
    if not (mirror / "HEAD").exists():
        mirror.parent.mkdir(parents=True, exist_ok=True)
        git(remote, "init", "--quiet", "--bare", str(mirror))
        for key, value in (("remote.origin.promisor", "true"), ("remote.origin.partialclonefilter", "blob:none"),
                           ("core.logallrefupdates", "false"), ("gc.auto", "0")):
            git(remote, "config", key, value, git_dir=mirror)
    git(remote, "config", "remote.origin.url", remote.url, git_dir=mirror)  # also replaces a URL an older version stored
    try:
        _retrying(remote, "fetch", lambda: git(
            remote, "-c", "protocol.version=0", "fetch", "--quiet", "--no-tags", "--filter=blob:none",
            "origin", f"+HEAD:{HEAD_REF}", git_dir=mirror))
    except GitError as exc:
        if exc.kind == "empty":
            return None
        raise
    return git(remote, "rev-parse", HEAD_REF, git_dir=mirror).decode().strip()


def is_ancestor(remote: GitRemote, mirror: Path, old: str, new: str) -> bool:
    """Whether ``old`` is in ``new``'s history (False too when the mirror no longer holds ``old``)."""
    try:
        git(remote, "merge-base", "--is-ancestor", old, new, git_dir=mirror)
        return True
    except GitError:
        return False


def read_log(remote: GitRemote, mirror: Path, head: str, since: str | None, fetched_at: datetime) -> list[dict[str, Any]]:
    """Rows for ``raw.commits``: every commit reachable from ``head`` and not from ``since`` (None: all)."""
    revs = [head, *([f"^{since}"] if since else [])]
    _prefetch_rename_blobs(remote, mirror, revs)
    out = git(remote, "log", "-z", "-M", "-C", "--diff-merges=first-parent", "--name-status", "--date=raw",
              f"--format={_FORMAT}", *revs, "--", git_dir=mirror)
    return parse_log(out, remote.platform, remote.repo, fetched_at)


def _prefetch_rename_blobs(remote: GitRemote, mirror: Path, revs: list[str]) -> None:
    """Fetch, in one request, the blobs ``-M -C`` compares and the mirror lacks.

    git looks for renames and copies only among the files a commit adds (destinations) and the ones
    it deletes or modifies (sources), so only commits with both need contents; without this, git
    would fetch them itself, one request per commit.
    """
    out = git(remote, "log", "-z", "--no-renames", "--diff-merges=first-parent", "--raw", "--no-abbrev", "--format=%x1e%H",
              *revs, "--", git_dir=mirror)
    wanted: set[str] = set()
    for commit in out.split(b"\x1e")[1:]:
        added, sources = [], []
        for entry in commit.split(b"\x00"):
            fields = entry.strip(b"\n").split()
            if len(fields) == 5 and fields[0].startswith(b":"):
                old, new, code = fields[2].decode(), fields[3].decode(), fields[4][:1]
                if code == b"A":
                    added.append(new)
                elif code in (b"D", b"M"):
                    sources.append(old)
        if added and sources:
            wanted.update(added + sources)
    if not wanted:
        return
    # the objects the mirror holds (listing local storage never fetches): a source's blob may have come
    # with an earlier read, or be outside this read's range (the parent's version of a modified file)
    present = git(remote, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)", git_dir=mirror)
    missing = sorted(wanted - set(present.decode().split()))
    if missing:
        _retrying(remote, "fetch blobs", lambda: git(
            remote, "-c", "protocol.version=2", "-c", "fetch.negotiationAlgorithm=noop", "fetch", "--quiet",
            "--no-tags", "--no-write-fetch-head", "--recurse-submodules=no", "--filter=blob:none", "--stdin",
            "origin", git_dir=mirror, stdin="\n".join(missing).encode() + b"\n"))


def _when(raw: bytes) -> tuple[datetime, int]:
    """``--date=raw`` (``1700000000 +0130``) as a UTC time and the zone's offset in minutes."""
    seconds, _, zone = raw.decode().partition(" ")
    sign = -1 if zone.startswith("-") else 1
    offset = sign * (int(zone[1:3] or 0) * 60 + int(zone[3:5] or 0)) if zone else 0
    return datetime.fromtimestamp(int(seconds), UTC), offset


def parse_log(out: bytes, platform: str, repo: str, fetched_at: datetime) -> list[dict[str, Any]]:
    """Parse ``git log -z --name-status --date=raw --format=_FORMAT`` output (fields and paths NUL-separated)."""
    tokens = out.split(b"\x00")
    rows: list[dict[str, Any]] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i].lstrip(b"\n")
        if not _SHA.match(tok):
            i += 1
            continue
        sha, parents, an, ae, ad, cn, ce, cd, body = tok[1:], *tokens[i + 1 : i + 9]
        i += 9
        files = []
        while i + 1 < len(tokens) and not _SHA.match(tokens[i].lstrip(b"\n")):
            code = tokens[i].strip(b"\n").decode("ascii", "replace")
            if not code:
                i += 1
                continue
            old = None
            if code[:1] in ("R", "C"):  # a rename or copy names its source, then its destination
                old, i = decode(tokens[i + 1]), i + 1
            files.append({"path": decode(tokens[i + 1]), "old_path": old, "change": CHANGES.get(code[:1], "modified"),
                          "additions": None, "deletions": None})
            i += 2
        message = decode(body).rstrip("\n")
        if len(message) > MAX_MESSAGE_CHARS:
            message = f"{message[:MAX_MESSAGE_CHARS]}\n[hubscope: message cut, {len(message)} characters in all]"
        authored_at, author_tz = _when(ad)
        committed_at, committer_tz = _when(cd)
        rows.append({
            "platform": platform,
            "repo": repo,
            "sha": sha.decode(),
            "parents": parents.decode().split(),
            "author_name": decode(an),
            "author_email": decode(ae),
            "authored_at": authored_at,
            "author_tz_offset": author_tz,
            "committer_name": decode(cn),
            "committer_email": decode(ce),
            "committed_at": committed_at,
            "committer_tz_offset": committer_tz,
            "title": message.split("\n", 1)[0][:MAX_TITLE_CHARS],
            "message": message,
            "files": files,
            "n_files": len(files),
            "fetched_at": fetched_at,
        })
    return rows


def decode(raw: bytes) -> str:
    """UTF-8 when valid, else Latin-1 (never fails, never drops a byte); then C1 control characters read
    as Windows-1252, which is what they are in practice: ``It\x92s`` is ``It’s``. Both spellings occur:
    raw 0x92 bytes, and U+0092 written by git itself when it re-encoded such a message to UTF-8."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.translate(_C1_AS_CP1252)


_C1_AS_CP1252 = {b: bytes([b]).decode("cp1252") for b in range(0x80, 0xA0) if bytes([b]).decode("cp1252", "ignore")}
"""C1 controls (U+0080-U+009F) to the Windows-1252 characters of the same byte; the five bytes that
code page leaves undefined stay as they are."""


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
        since = known_head if known_head and known_head != head and is_ancestor(remote, mirror, known_head, head) else None
        result.complete = since is None
        result.commits = read_log(remote, mirror, head, since, fetched_at)
    except GitError as exc:
        if exc.kind == "rate":
            wait = exc.retry_after_s
            left = f"resets in {wait:.0f}s" if wait is not None else "no Retry-After given"
            raise RateLimited(f"{remote.platform}:{remote.repo}: rate limited by the git server ({left}): {exc}", wait) from None
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
