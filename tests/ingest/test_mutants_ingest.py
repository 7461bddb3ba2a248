"""The ingest stage's git side (assets/ingest/gitlog.py) and its incremental state (history.py),
function by function, for the gaps mutation testing found (docs/mutation.md). The end-to-end tests
of tests/ingest run the real clients against the local server; these pin the rules those runs
leave implicit, each checked against values worked out by hand: the credential headers and git's
environment, git's errors and their kinds, the protocol v2 head check, ``git log`` parsing on a
repository made here, the refresh decisions, the date flags at their boundaries, and the rows of
``raw.repo_state``. Fast: no server, one small local repository."""

from __future__ import annotations

import base64
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import polars as pl
import pytest

from assets.ingest import gitlog, history
from assets.ingest.gitlog import (
    CHANGES,
    GitError,
    GitRemote,
    RepoHistory,
    _classify,
    _ls_refs_head,
    _pkt,
    _pkt_lines,
    _when,
    _without_credentials,
    command_text,
    decode,
    parse_log,
    read_log,
    refresh_repo,
)
from assets.ingest.history import (
    CLOCK_SKEW,
    EARLIEST_PLAUSIBLE,
    STATE_SCHEMA,
    FamilyRepos,
    date_flag,
    load_family,
    refresh_family,
    state_frame,
)
from assets.ingest.remote import RateLimited, TransientError
from orchestration.warehouse import Warehouse


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# -- credentials and git's environment ----------------------------------------------------------------

def test_credentials_in_a_url_move_into_a_basic_header():
    url, basic = _without_credentials("https://us%40er:pa%3Ass@git.example:8443/o/r.git")
    assert url == "https://git.example:8443/o/r.git"
    assert base64.b64decode(basic).decode() == "us@er:pa:ss"  # unquoted, the password keeps its ':'
    assert _without_credentials("https://git.example/o/r") == ("https://git.example/o/r", None)
    url, basic = _without_credentials("https://onlyuser@git.example/o/r")
    assert (url, base64.b64decode(basic).decode()) == ("https://git.example/o/r", "onlyuser:")


def test_hub_remote_prefers_the_token_then_the_urls_credentials():
    with_token = GitRemote.hub("o/m", "https://u:p@hub.example/o/m", "hf_TOKEN")
    assert (with_token.platform, with_token.repo, with_token.url) == ("hub", "o/m", "https://hub.example/o/m")
    assert with_token.auth_header == "Authorization: Bearer hf_TOKEN"
    assert GitRemote.hub("o/m", "https://u:p@hub.example/o/m", None).auth_header == f"Authorization: Basic {b64('u:p')}"
    assert GitRemote.hub("o/m", "https://hub.example/o/m", None).auth_header is None
    assert GitRemote.hub("o/m", "https://hub.example/o/m", "").auth_header is None
    assert "hf_TOKEN" not in repr(with_token)


def test_github_remote_sends_the_token_as_an_access_token_basic_header():
    remote = GitRemote.github("o/r", "https://u:p@github.example/o/r.git", "ghp_TOKEN")
    assert (remote.platform, remote.repo, remote.url) == ("github", "o/r", "https://github.example/o/r.git")
    assert remote.auth_header == f"Authorization: Basic {b64('x-access-token:ghp_TOKEN')}"
    assert GitRemote.github("o/r", "https://u:p@github.example/o/r", None).auth_header == (
        f"Authorization: Basic {b64('u:p')}")
    assert GitRemote.github("o/r", "https://github.example/o/r", None).auth_header is None


def test_git_environment_carries_no_prompt_no_user_config_and_the_header_for_that_host(monkeypatch):
    monkeypatch.setenv("HUBSCOPE_TEST_MARKER", "kept")
    env = GitRemote.hub("o/m", "http://hub.example:8080/o/m", "T0KEN").env()
    assert env["HUBSCOPE_TEST_MARKER"] == "kept"
    assert (env["GIT_TERMINAL_PROMPT"], env["GIT_CONFIG_NOSYSTEM"], env["GIT_CONFIG_GLOBAL"], env["LC_ALL"]) == (
        "0", "1", os.devnull, "C")
    assert env["GIT_CONFIG_COUNT"] == "3"
    config = [(env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"]) for i in range(3)]
    assert config == [("http.http://hub.example:8080/.extraHeader", "Authorization: Bearer T0KEN"),
                      ("http.lowSpeedLimit", "1000"), ("http.lowSpeedTime", str(gitlog.LOW_SPEED_S))]
    anonymous = GitRemote.hub("o/m", "http://hub.example/o/m", None).env()
    assert anonymous["GIT_CONFIG_COUNT"] == "2"
    assert (anonymous["GIT_CONFIG_KEY_0"], anonymous["GIT_CONFIG_KEY_1"]) == ("http.lowSpeedLimit", "http.lowSpeedTime")
    assert "GIT_CONFIG_KEY_2" not in anonymous


def test_secrets_are_the_header_value_and_a_basic_password():
    assert GitRemote.hub("o/m", "https://h/o/m", "hf_TOKEN").secrets() == ["hf_TOKEN"]
    assert GitRemote.github("o/r", "https://h/o/r", "ghp_T").secrets() == [b64("x-access-token:ghp_T"), "ghp_T"]
    assert GitRemote.hub("o/m", "https://u:pass:word@h/o/m", None).secrets() == [b64("u:pass:word"), "pass:word"]
    assert GitRemote.hub("o/m", "https://h/o/m", None).secrets() == []


def test_command_text_leaves_out_config_options():
    assert command_text(["-c", "protocol.version=0", "fetch", "--quiet", "-c", "a=b", "origin"]) == (
        "git fetch --quiet origin")
    assert command_text(("log",)) == "git log"


# -- git's errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("stderr", "kind"), [
    ("fatal: couldn't find remote ref HEAD", "empty"),
    ("fatal: unable to access 'x': The requested URL returned error: 404", "not_found"),
    ("remote: Repository not found.", "not_found"),
    ("fatal: 'x' does not appear to be a git repository", "not_found"),
    ("The requested URL returned error: 429", "rate"),
    ("The requested URL returned error: 401", "auth"),
    ("The requested URL returned error: 403", "auth"),
    ("fatal: could not read Username for 'https://h': terminal prompts disabled", "auth"),
    ("remote: Authentication failed for 'https://h/'", "auth"),
    ("The requested URL returned error: 502", "transient"),
    ("Connection reset by peer", "transient"),
])
def test_git_errors_are_classified_by_their_text(stderr: str, kind: str):
    assert _classify(stderr) == kind
    assert _classify(stderr.upper()) == kind


def _fake_run(monkeypatch, returncode: int, stderr: bytes, stdout: bytes = b"") -> list[dict]:
    calls: list[dict] = []

    def run(cmd, **kwargs):
        calls.append({"cmd": cmd, **kwargs})
        return subprocess.CompletedProcess(cmd, returncode, stdout, stderr)

    monkeypatch.setattr(gitlog.subprocess, "run", run)
    return calls


def test_a_failed_git_names_the_command_keeps_its_error_lines_and_reads_retry_after(monkeypatch):
    remote = GitRemote.hub("o/m", "https://h/o/m", "SECRET-TOKEN")
    stderr = (b"12:00:00.123456 http.c:700 <= Recv header: Retry-After: 30\n"
              b"12:00:01.000001 http.c:700 <= Recv header: retry-after: 45\n"
              b"fatal: unable to access 'https://h/o/m/': The requested URL returned error: 429\n")
    calls = _fake_run(monkeypatch, 128, stderr)
    with pytest.raises(GitError) as info:
        gitlog.git(remote, "-c", "protocol.version=0", "fetch", "SECRET-TOKEN", git_dir=Path("/m.git"))
    error = info.value
    assert (error.kind, error.retry_after_s) == ("rate", 45.0)
    assert str(error) == ("git fetch *** (hub repository o/m) failed: fatal: unable to access 'https://h/o/m/': "
                          "The requested URL returned error: 429")
    call = calls[0]
    assert call["cmd"] == ["git", "--git-dir", "/m.git", "-c", "protocol.version=0", "fetch", "SECRET-TOKEN"]
    assert (call["env"]["GIT_TRACE_CURL"], call["env"]["GIT_TRACE_CURL_NO_DATA"]) == ("1", "1")
    assert call["env"]["GIT_CONFIG_VALUE_0"] == "Authorization: Bearer SECRET-TOKEN"
    assert call["timeout"] == gitlog.GIT_TIMEOUT_S and call["capture_output"] is True


def test_a_failed_git_keeps_the_last_400_characters_and_no_retry_after_without_one(monkeypatch):
    remote = GitRemote.hub("o/m", "https://h/o/m", None)
    _fake_run(monkeypatch, 1, ("x" * 500 + "END").encode())
    with pytest.raises(GitError) as info:
        gitlog.git(remote, "status")
    assert info.value.retry_after_s is None and info.value.kind == "transient"
    assert str(info.value) == "git status (hub repository o/m) failed: " + ("x" * 397 + "END")


def test_a_git_error_that_is_not_utf8_is_still_reported(monkeypatch):
    _fake_run(monkeypatch, 128, b"fatal: caf\xe9 not found\n")
    with pytest.raises(GitError) as info:
        gitlog.git(GitRemote.hub("o/m", "https://h/o/m", None), "fetch")
    assert str(info.value) == "git fetch (hub repository o/m) failed: fatal: caf\ufffd not found"
    assert info.value.kind == "not_found"


def test_git_returns_its_output_and_passes_stdin(monkeypatch):
    calls = _fake_run(monkeypatch, 0, b"", stdout=b"out")
    assert gitlog.git(GitRemote.hub("o/m", "https://h/o/m", None), "cat-file", stdin=b"in") == b"out"
    assert calls[0]["cmd"] == ["git", "cat-file"] and calls[0]["input"] == b"in"


def test_a_git_that_never_ends_is_a_transient_failure_naming_the_command(monkeypatch):
    def run(cmd, **kwargs):
        raise subprocess.TimeoutExpired(cmd, kwargs["timeout"])

    monkeypatch.setattr(gitlog.subprocess, "run", run)
    monkeypatch.setattr(gitlog, "GIT_TIMEOUT_S", 12.4)
    with pytest.raises(GitError) as info:
        gitlog.git(GitRemote.github("o/r", "https://h/o/r", None), "-c", "a=b", "fetch", "origin")
    assert info.value.kind == "transient"
    assert str(info.value) == "git fetch origin (github repository o/r) gave no result in 12s"


# -- the protocol v2 head check ----------------------------------------------------------------------

def test_pkt_lines_are_length_prefixed_in_hex():
    assert _pkt("command=ls-refs\n") == b"0014command=ls-refs\n"
    assert gitlog._LS_REFS_HEAD == (b"0014command=ls-refs\n" b"0001" b"000csymrefs\n" b"0014ref-prefix HEAD\n"
                                    b"0000")


def test_pkt_answers_are_read_up_to_the_flush_packet():
    sha = "a" * 40
    body = _pkt(f"{sha} HEAD symref-target:refs/heads/main\n") + _pkt("second") + b"0000" + b"ignored"
    assert _pkt_lines(body) == [f"{sha} HEAD symref-target:refs/heads/main", "second"]
    assert _pkt_lines(b"0000") == []
    assert _pkt_lines(_pkt("no flush")) is None  # cut short
    assert _pkt_lines(b"") is None
    assert _pkt_lines(b"<htm") is None  # not hex: an HTML page
    assert _pkt_lines(b"0001" + b"0000") is None  # a delimiter is no answer line
    assert _pkt_lines(b"0003" + b"0000") is None
    assert _pkt_lines(_pkt("ERR access denied") + b"0000") is None
    assert _pkt_lines(b"0004" + b"0000") == [""]  # the smallest line: empty


class _Post:
    """httpx2.post replaced: records the request, answers with the given response (or raises)."""

    def __init__(self, response: httpx2.Response | Exception) -> None:
        self.response, self.requests = response, []

    def __call__(self, url, content, headers, timeout):
        self.requests.append({"url": url, "content": content, "headers": headers, "timeout": timeout})
        if isinstance(self.response, Exception):
            raise self.response
        return self.response


V2 = {"content-type": "application/x-git-upload-pack-result"}


def test_the_head_check_posts_one_ls_refs_and_reads_head(monkeypatch):
    sha = "b" * 40
    post = _Post(httpx2.Response(200, headers=V2, content=_pkt(f"{sha} HEAD symref-target:refs/heads/main\n")
                                 + b"0000"))
    monkeypatch.setattr(gitlog.httpx2, "post", post)
    remote = GitRemote.hub("o/m", "https://hub.example/o/m/", "T0KEN")
    assert _ls_refs_head(remote) == sha
    request = post.requests[0]
    assert request["url"] == "https://hub.example/o/m/git-upload-pack"
    assert request["content"] == gitlog._LS_REFS_HEAD
    assert request["headers"] == {"Content-Type": "application/x-git-upload-pack-request",
                                  "Accept": "application/x-git-upload-pack-result", "Git-Protocol": "version=2",
                                  "Authorization": "Bearer T0KEN"}
    assert request["timeout"] == gitlog.LOW_SPEED_S
    anonymous = GitRemote.hub("o/m", "https://hub.example/o/m", None)
    assert _ls_refs_head(anonymous) == sha
    assert "Authorization" not in post.requests[1]["headers"]


def test_an_empty_repository_has_no_head(monkeypatch):
    monkeypatch.setattr(gitlog.httpx2, "post", _Post(httpx2.Response(200, headers=V2, content=b"0000")))
    assert _ls_refs_head(GitRemote.hub("o/m", "https://h/o/m", None)) is None
    other = _pkt(f"{'c' * 40} refs/heads/main\n") + b"0000"
    monkeypatch.setattr(gitlog.httpx2, "post", _Post(httpx2.Response(200, headers=V2, content=other)))
    assert _ls_refs_head(GitRemote.hub("o/m", "https://h/o/m", None)) is None


@pytest.mark.parametrize(("status", "headers", "kind", "wait", "text"), [
    (429, {"retry-after": "7"}, "rate", 7.0, "HTTP 429"),
    (429, {"retry-after": "soon"}, "rate", None, "HTTP 429"),
    (429, {}, "rate", None, "HTTP 429"),
    (404, {}, "not_found", None, "HTTP 404"),
    (401, {}, "auth", None, "HTTP 401"),
    (403, {}, "auth", None, "HTTP 403"),
    (500, {}, "transient", None, "HTTP 500"),
    (503, {}, "transient", None, "HTTP 503"),
])
def test_the_head_checks_http_errors_have_their_kind(monkeypatch, status, headers, kind, wait, text):
    monkeypatch.setattr(gitlog.httpx2, "post", _Post(httpx2.Response(status, headers=headers, content=b"")))
    with pytest.raises(GitError) as info:
        _ls_refs_head(GitRemote.hub("o/m", "https://h/o/m", None))
    assert (info.value.kind, info.value.retry_after_s) == (kind, wait)
    assert str(info.value) == (f"POST https://h/o/m/git-upload-pack (git protocol v2 ls-refs HEAD) "
                               f"(hub repository o/m) failed: {text}")


def test_the_head_check_times_out_and_fails_transiently_without_leaking(monkeypatch):
    monkeypatch.setattr(gitlog.httpx2, "post", _Post(httpx2.ReadTimeout("slow")))
    with pytest.raises(GitError, match=rf"failed: no answer in {gitlog.LOW_SPEED_S}s \(too slow\)$") as info:
        _ls_refs_head(GitRemote.hub("o/m", "https://h/o/m", None))
    assert info.value.kind == "transient"
    monkeypatch.setattr(gitlog.httpx2, "post", _Post(httpx2.ConnectError("refused for T0KEN")))
    with pytest.raises(GitError) as info:
        _ls_refs_head(GitRemote.hub("o/m", "https://h/o/m", "T0KEN"))
    assert info.value.kind == "transient"
    assert str(info.value).endswith("(hub repository o/m) failed: ConnectError: refused for ***")


def test_a_server_without_protocol_v2_is_asked_with_ls_remote(monkeypatch):
    sha = "d" * 40
    asked = []

    def git(remote, *args, **kwargs):
        asked.append(args)
        return f"{sha}\tHEAD\n{'e' * 40}\trefs/heads/main\n".encode()

    monkeypatch.setattr(gitlog, "git", git)
    remote = GitRemote.hub("o/m", "https://h/o/m", None)
    for response in (httpx2.Response(200, headers={"content-type": "text/html"}, content=b"<html>"),
                     httpx2.Response(200, headers=V2, content=b"not pkt"),
                     httpx2.Response(200, content=_pkt(f"{'f' * 40} HEAD\n") + b"0000"),  # no content type
                     httpx2.Response(302, headers=V2, content=b"0000")):
        monkeypatch.setattr(gitlog.httpx2, "post", _Post(response))
        assert _ls_refs_head(remote) == sha
    assert asked == [("-c", "protocol.version=0", "ls-remote", "https://h/o/m", "HEAD")] * 4


def test_the_head_check_retries_transient_failures(monkeypatch):
    from assets.ingest import remote as remote_module

    monkeypatch.setattr(remote_module, "BACKOFF_S", 0.0)
    answers = [GitError("transient", "blip"), GitError("transient", "blip"), "a" * 40]

    def head(remote):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(gitlog, "_ls_refs_head", head)
    assert gitlog.remote_head(GitRemote.hub("o/m", "https://h/o/m", None)) == "a" * 40
    answers[:] = [GitError("transient", "blip")] * 3
    with pytest.raises(TransientError, match=r"^head check hub:o/m: failed 3 times, last: ConnectionError: blip"):
        gitlog.remote_head(GitRemote.hub("o/m", "https://h/o/m", None))
    # a refusal is not retried: it is raised as the GitError it is
    answers[:] = [GitError("auth", "no"), "b" * 40]
    with pytest.raises(GitError, match="no"):
        gitlog.remote_head(GitRemote.hub("o/m", "https://h/o/m", None))
    assert answers == ["b" * 40]


# -- reading git log ------------------------------------------------------------------------------------

def test_raw_dates_are_utc_and_the_offset_in_minutes():
    assert _when(b"1700000000 +0130") == (datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC), 90)
    assert _when(b"1700000000 -0800") == (datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC), -480)
    assert _when(b"0 -0030") == (datetime(1970, 1, 1, tzinfo=UTC), -30)
    assert _when(b"86400 +1345") == (datetime(1970, 1, 2, tzinfo=UTC), 825)
    assert _when(b"86400") == (datetime(1970, 1, 2, tzinfo=UTC), 0)


def test_messages_are_utf8_else_latin1_with_windows_1252_punctuation():
    assert decode("café – ok".encode()) == "café – ok"
    assert decode(b"caf\xe9") == "café"  # not UTF-8: Latin-1
    assert decode(b"It\x92s \x93quoted\x94") == "It’s “quoted”"  # raw Windows-1252 bytes
    assert decode("It\u0092s".encode()) == "It’s"  # U+0092 as git re-encoded it
    assert decode(b"\x81\x8d\x8f\x90\x9d") == "\x81\x8d\x8f\x90\x9d"  # undefined in Windows-1252: kept
    assert decode(b"\x80\x9f") == "€Ÿ"  # the first and last C1 byte code page 1252 defines


def _repo(tmp_path: Path) -> tuple[Path, list[str]]:
    """A repository of three commits with fixed identities and dates; returns its git dir and shas."""
    work = tmp_path / "work"
    work.mkdir()

    def run(*args: str, date: str = "1700000000 +0130", stdin: bytes | None = None) -> str:
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1",
               "GIT_AUTHOR_NAME": "Ana Núñez", "GIT_AUTHOR_EMAIL": "ana@example.org", "GIT_AUTHOR_DATE": date,
               "GIT_COMMITTER_NAME": "Bot", "GIT_COMMITTER_EMAIL": "bot@example.org",
               "GIT_COMMITTER_DATE": "1700003600 -0800"}
        return subprocess.run(["git", *args], cwd=work, env=env, capture_output=True, check=True,
                              input=stdin).stdout.decode().strip()

    run("init", "--quiet", "-b", "main")
    (work / "keep.txt").write_text("a file long enough for git to see it as the same content when renamed\n" * 5)
    (work / "b.txt").write_text("b\n")
    run("add", ".")
    run("commit", "--quiet", "-F", "-", stdin=b"First commit\n\nwith a body\n")
    run("mv", "keep.txt", "moved.txt")
    (work / "b.txt").write_text("b2\n")
    (work / "new.txt").write_text("new\n")
    run("add", "-A")
    run("commit", "--quiet", "-m", "Rename keep\n", date="1700007200 -0000")
    run("rm", "--quiet", "b.txt")
    run("commit", "--quiet", "-F", "-", stdin=b"Caf\xe9 \x92quoted\x92", date="1700010800 +0530")
    shas = run("rev-list", "--reverse", "main").split()
    return work / ".git", shas


def test_read_log_gives_every_field_of_each_commit_as_git_has_it(tmp_path: Path):
    git_dir, (first, second, third) = _repo(tmp_path)
    remote = GitRemote.github("o/r", "https://h/o/r", None)
    fetched = datetime(2024, 1, 1, tzinfo=UTC)
    rows = read_log(remote, git_dir, third, None, fetched)
    assert [r["sha"] for r in rows] == [third, second, first]  # newest first, as git log walks
    newest, middle, oldest = rows
    assert oldest == {
        "platform": "github", "repo": "o/r", "sha": first, "parents": [],
        "author_name": "Ana Núñez", "author_email": "ana@example.org",
        "authored_at": datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC), "author_tz_offset": 90,
        "committer_name": "Bot", "committer_email": "bot@example.org",
        "committed_at": datetime(2023, 11, 14, 23, 13, 20, tzinfo=UTC), "committer_tz_offset": -480,
        "title": "First commit", "message": "First commit\n\nwith a body",
        "files": [{"path": "b.txt", "old_path": None, "change": "added", "additions": None, "deletions": None},
                  {"path": "keep.txt", "old_path": None, "change": "added", "additions": None, "deletions": None}],
        "n_files": 2, "fetched_at": fetched,
    }
    assert middle["parents"] == [first]
    assert (middle["title"], middle["message"], middle["author_tz_offset"]) == ("Rename keep", "Rename keep", 0)
    assert sorted((f["change"], f["path"], f["old_path"]) for f in middle["files"]) == [
        ("added", "new.txt", None), ("modified", "b.txt", None), ("renamed", "moved.txt", "keep.txt")]
    assert middle["n_files"] == 3
    assert (newest["message"], newest["author_tz_offset"]) == ("Café ’quoted’", 330)
    assert newest["files"] == [{"path": "b.txt", "old_path": None, "change": "removed", "additions": None,
                                "deletions": None}]
    # only what is after a stored head
    assert [r["sha"] for r in read_log(remote, git_dir, third, first, fetched)] == [third, second]


def test_long_messages_and_titles_are_cut_with_a_marker(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(gitlog, "MAX_MESSAGE_CHARS", 12)
    monkeypatch.setattr(gitlog, "MAX_TITLE_CHARS", 5)
    git_dir, shas = _repo(tmp_path)
    rows = read_log(GitRemote.github("o/r", "https://h/o/r", None), git_dir, shas[0], None, datetime.now(UTC))
    # "First commit\n\nwith a body" is 25 characters; the first 12 are kept
    assert rows[0]["message"] == "First commit\n[hubscope: message cut, 25 characters in all]"
    assert rows[0]["title"] == "First"
    monkeypatch.setattr(gitlog, "MAX_MESSAGE_CHARS", 25)  # exactly the length: kept whole
    rows = read_log(GitRemote.github("o/r", "https://h/o/r", None), git_dir, shas[0], None, datetime.now(UTC))
    assert rows[0]["message"] == "First commit\n\nwith a body"


def test_parse_log_reads_git_status_letters_as_github_names_them():
    assert CHANGES == {"A": "added", "M": "modified", "D": "removed", "T": "changed", "R": "renamed",
                       "C": "copied"}
    sha, parent = "1" * 40, "2" * 40
    out = (b"\x1e" + sha.encode() + b"\x00" + f"{parent} {'3' * 40}".encode() + b"\x00an\x00ae\x00"
           b"1700000000 +0000\x00cn\x00ce\x001700000000 +0000\x00Merge\n\n\x00"
           b"\nC075\x00src.py\x00copy.py\x00T\x00link\x00X\x00odd\x00R100\x00a\x00b\x00")
    (row,) = parse_log(out, "hub", "o/m", datetime(2024, 1, 1, tzinfo=UTC))
    assert row["parents"] == [parent, "3" * 40]
    assert row["message"] == "Merge"
    assert [(f["change"], f["path"], f["old_path"]) for f in row["files"]] == [
        ("copied", "copy.py", "src.py"), ("changed", "link", None), ("modified", "odd", None),
        ("renamed", "b", "a")]
    assert parse_log(b"", "hub", "o/m", datetime.now(UTC)) == []


# -- one repository's refresh -------------------------------------------------------------------------

class _Git:
    """The network steps of refresh_repo replaced: the remote's head, the fetched head, ancestry."""

    def __init__(self, monkeypatch, remote_head="new", fetched="new", ancestor=True, error=None, where="fetch"):
        self.calls: list[tuple] = []

        def fail(step: str) -> None:
            if error is not None and where == step:
                raise error

        def head(remote):
            self.calls.append(("head",))
            fail("head")
            return remote_head

        def fetch(remote, mirror):
            self.calls.append(("fetch", mirror))
            fail("fetch")
            return fetched

        def is_ancestor(remote, mirror, old, new):
            self.calls.append(("ancestor", old, new))
            return ancestor

        def read_log(remote, mirror, head_, since, fetched_at):
            self.calls.append(("log", head_, since))
            return [{"sha": head_}]

        for name, fn in (("remote_head", head), ("fetch_mirror", fetch), ("is_ancestor", is_ancestor),
                         ("read_log", read_log)):
            monkeypatch.setattr(gitlog, name, fn)


AT = datetime(2024, 5, 1, tzinfo=UTC)
HUB = GitRemote.hub("o/m", "https://hub.example/o/m", None)
GITHUB = GitRemote.github("o/r", "https://github.example/o/r", None)


def test_an_unchanged_head_costs_only_the_head_check(monkeypatch, tmp_path):
    git = _Git(monkeypatch, remote_head="old")
    result = refresh_repo(HUB, tmp_path, "old", AT)
    assert (result.status, result.head_sha, result.commits, result.complete) == ("unchanged", "old", [], False)
    assert git.calls == [("head",)]


def test_a_new_head_after_the_stored_one_reads_only_the_new_commits(monkeypatch, tmp_path):
    git = _Git(monkeypatch, ancestor=True)
    result = refresh_repo(HUB, tmp_path / "m.git", "old", AT)
    assert (result.status, result.head_sha, result.complete) == ("ok", "new", False)
    assert result.commits == [{"sha": "new"}]
    assert git.calls == [("head",), ("fetch", tmp_path / "m.git"), ("ancestor", "old", "new"), ("log", "new", "old")]


def test_a_rewritten_history_is_read_whole_and_marked_complete(monkeypatch, tmp_path):
    git = _Git(monkeypatch, ancestor=False)
    result = refresh_repo(HUB, tmp_path, "old", AT)
    assert (result.status, result.head_sha, result.complete) == ("ok", "new", True)
    assert git.calls[-1] == ("log", "new", None)


def test_a_first_read_skips_the_head_check_and_is_complete(monkeypatch, tmp_path):
    git = _Git(monkeypatch)
    result = refresh_repo(HUB, tmp_path, None, AT)
    assert (result.status, result.head_sha, result.complete) == ("ok", "new", True)
    assert git.calls == [("fetch", tmp_path), ("log", "new", None)]


def test_a_head_that_moved_back_to_the_stored_one_is_read_whole(monkeypatch, tmp_path):
    # the head check saw another head, the fetch found the stored one again: nothing is "after" it
    git = _Git(monkeypatch, remote_head="other", fetched="old")
    result = refresh_repo(HUB, tmp_path, "old", AT)
    assert (result.status, result.head_sha, result.complete) == ("ok", "old", True)
    assert ("log", "old", None) in git.calls and not any(c[0] == "ancestor" for c in git.calls)


def test_an_empty_repository_is_a_status_not_an_error(monkeypatch, tmp_path):
    _Git(monkeypatch, fetched=None)
    result = refresh_repo(HUB, tmp_path, None, AT)
    assert (result.status, result.reason, result.head_sha) == ("empty", "the repository has no commits", None)
    _Git(monkeypatch, error=GitError("empty", "couldn't find remote ref"))
    result = refresh_repo(HUB, tmp_path, None, AT)
    assert (result.status, result.reason) == ("empty", "the repository has no commits")


@pytest.mark.parametrize(("remote", "status", "reason"), [
    (HUB, "skipped", "gated or private: needs HF_TOKEN with access (accept the terms on the platform)"),
    (GITHUB, "skipped", "gated or private: needs GITHUB_TOKEN with access (accept the terms on the platform)"),
])
def test_a_refused_repository_is_skipped_naming_the_token(monkeypatch, tmp_path, remote, status, reason):
    _Git(monkeypatch, error=GitError("auth", "HTTP 401"))
    result = refresh_repo(remote, tmp_path, None, AT)
    assert (result.status, result.reason, result.platform, result.repo) == (status, reason, remote.platform,
                                                                           remote.repo)


def test_a_missing_repository_fails_naming_its_url(monkeypatch, tmp_path):
    _Git(monkeypatch, error=GitError("not_found", "HTTP 404"), where="head")
    result = refresh_repo(HUB, tmp_path, "old", AT)
    assert (result.status, result.reason) == ("failed", "repository not found at https://hub.example/o/m")


def test_a_rate_limit_stops_with_the_servers_wait(monkeypatch, tmp_path):
    _Git(monkeypatch, error=GitError("rate", "HTTP 429", 42.4))
    with pytest.raises(RateLimited) as info:
        refresh_repo(HUB, tmp_path, None, AT)
    assert info.value.wait_s == 42.4
    assert str(info.value) == "hub:o/m: rate limited by the git server (resets in 42s): HTTP 429"
    _Git(monkeypatch, error=GitError("rate", "HTTP 429"))
    with pytest.raises(RateLimited, match=r"\(no Retry-After given\)") as info:
        refresh_repo(HUB, tmp_path, None, AT)
    assert info.value.wait_s is None


def test_other_git_failures_are_transient_errors_for_a_retry(monkeypatch, tmp_path):
    _Git(monkeypatch, error=GitError("transient", "git fetch failed: reset"))
    with pytest.raises(TransientError, match=r"^git fetch failed: reset$"):
        refresh_repo(HUB, tmp_path, None, AT)


# -- date flags ---------------------------------------------------------------------------------------

FETCHED = datetime(2024, 1, 10, tzinfo=UTC)


def _commit(authored: datetime | None = None, committed: datetime | None = None) -> dict:
    return {"authored_at": authored, "committed_at": committed, "fetched_at": FETCHED}


def test_future_dates_allow_one_day_of_clock_skew():
    assert CLOCK_SKEW == timedelta(days=1)
    edge = FETCHED + timedelta(days=1)
    assert date_flag(_commit(edge, edge), None) is None
    assert date_flag(_commit(edge + timedelta(microseconds=1), edge), None) == "future"
    assert date_flag(_commit(None, edge + timedelta(seconds=1)), None) == "future"
    assert date_flag(_commit(None, None), datetime(2030, 1, 1, tzinfo=UTC)) is None


def test_dates_before_2000_are_flagged_from_either_time():
    assert EARLIEST_PLAUSIBLE == datetime(2000, 1, 1, tzinfo=UTC)
    ok = datetime(2020, 1, 1, tzinfo=UTC)
    assert date_flag(_commit(EARLIEST_PLAUSIBLE, EARLIEST_PLAUSIBLE), None) is None
    before = EARLIEST_PLAUSIBLE - timedelta(microseconds=1)
    assert date_flag(_commit(before, ok), None) == "before_2000"
    assert date_flag(_commit(ok, before), None) == "before_2000"
    # a future time is named first
    assert date_flag(_commit(before, FETCHED + timedelta(days=2)), None) == "future"


def test_commits_over_a_day_before_the_repository_are_flagged_by_commit_time():
    created = datetime(2022, 6, 1, tzinfo=UTC)
    edge = created - timedelta(days=1)
    assert date_flag(_commit(None, edge), created) is None
    assert date_flag(_commit(None, edge - timedelta(microseconds=1)), created) == "before_repository"
    # the author's time does not count (a rebased or imported commit keeps its author date)
    assert date_flag(_commit(datetime(2010, 1, 1, tzinfo=UTC), created), created) is None
    assert date_flag(_commit(datetime(2010, 1, 1, tzinfo=UTC), None), created) is None
    assert date_flag(_commit(None, datetime(2010, 1, 1, tzinfo=UTC)), None) is None


# -- the family's stored state -----------------------------------------------------------------------

def _states(*rows: dict) -> pl.DataFrame:
    base = {"family_key": "f", "reason": None, "checked_at": AT, "rewritten_at": None, "dropped_commits": None,
            "n_commits": 1}
    return pl.DataFrame([base | r for r in rows], schema=STATE_SCHEMA)


def _family(*rows: dict) -> FamilyRepos:
    return FamilyRepos("f", "o/r", ["o/m"], _states(*rows) if rows else pl.DataFrame(schema=STATE_SCHEMA))


def test_stored_state_is_found_by_platform_and_repo():
    family = _family({"platform": "github", "repo": "o/r", "head_sha": "g", "status": "ok"},
                     {"platform": "hub", "repo": "o/r", "head_sha": "h", "status": "ok"})
    assert family.known_head("github", "o/r") == "g"
    assert family.known_head("hub", "o/r") == "h"
    assert family.known_head("hub", "o/m") is None
    assert family.stored("github", "o/m") is None


def test_unchanged_means_the_same_head_as_a_success_or_the_same_refusal():
    ok = _family({"platform": "hub", "repo": "o/m", "head_sha": "h", "status": "ok"})
    failed = _family({"platform": "hub", "repo": "o/m", "head_sha": "h", "status": "failed", "reason": "x"})
    assert ok.unchanged(RepoHistory("hub", "o/m", "unchanged", "h"))
    assert not failed.unchanged(RepoHistory("hub", "o/m", "unchanged", "h"))  # a success to record
    assert not _family().unchanged(RepoHistory("hub", "o/m", "unchanged", "h"))
    skipped = _family({"platform": "hub", "repo": "o/m", "head_sha": None, "status": "skipped", "reason": "gated"})
    assert skipped.unchanged(RepoHistory("hub", "o/m", "skipped", None, "gated"))
    assert not skipped.unchanged(RepoHistory("hub", "o/m", "skipped", None, "another reason"))
    assert not skipped.unchanged(RepoHistory("hub", "o/m", "failed", None, "gated"))
    assert not skipped.unchanged(RepoHistory("hub", "o/m", "skipped", "h2", "gated"))
    assert not _family().unchanged(RepoHistory("hub", "o/m", "skipped", None, "gated"))
    assert not ok.unchanged(RepoHistory("hub", "o/m", "ok", "h", commits=[{"sha": "x"}]))


def test_state_rows_after_a_refresh():
    rewritten_before = datetime(2023, 1, 1, tzinfo=UTC)
    family = _family(
        {"platform": "github", "repo": "o/r", "head_sha": "g", "status": "ok", "n_commits": 7},  # unchanged
        {"platform": "hub", "repo": "o/m", "head_sha": "h", "status": "failed", "reason": "blip",
         "rewritten_at": rewritten_before, "dropped_commits": 2},  # seen again: ok, rewrite kept
        {"platform": "hub", "repo": "o/gone", "head_sha": "x", "status": "ok"},  # no longer a remote
        {"platform": "hub", "repo": "o/squashed", "head_sha": "s", "status": "ok"},
    )
    histories = [RepoHistory("github", "o/r", "unchanged", "g"),
                 RepoHistory("hub", "o/m", "unchanged", "h"),
                 RepoHistory("hub", "o/squashed", "ok", "s2", commits=[{"sha": "s2"}], complete=True),
                 RepoHistory("hub", "o/new", "empty", None, "the repository has no commits")]
    rows = state_frame(family, histories, {("hub", "o/m"): 4, ("hub", "o/squashed"): 1},
                       {("hub", "o/squashed"): 3, ("hub", "o/m"): 0}, AT).sort("repo").to_dicts()
    assert [(r["repo"], r["head_sha"], r["n_commits"], r["status"], r["reason"], r["checked_at"],
             r["rewritten_at"], r["dropped_commits"]) for r in rows] == [
        ("o/m", "h", 4, "ok", None, AT, rewritten_before, 2),
        ("o/new", None, 0, "empty", "the repository has no commits", AT, None, None),
        ("o/r", "g", 7, "ok", None, AT, None, None),
        ("o/squashed", "s2", 1, "ok", None, AT, AT, 3),
    ]
    assert all(r["family_key"] == "f" for r in rows)


# -- a family's refresh ----------------------------------------------------------------------------------

def test_refresh_family_checks_names_passes_the_stored_head_and_records_transient_failures(monkeypatch,
                                                                                          tmp_path):
    family = FamilyRepos("f", "o/r", ["o/M1", "o/m2"], _states(
        {"platform": "hub", "repo": "o/M1", "head_sha": "h1", "status": "ok"},
        {"platform": "hub", "repo": "o/m2", "head_sha": "h2", "status": "ok"}))
    seen = []

    def refresh(remote, mirror, known, at):
        seen.append((remote.platform, remote.repo, mirror, known, at))
        if remote.repo == "o/m2":
            raise TransientError("boom " + "x" * 2000)
        return RepoHistory(remote.platform, remote.repo, "ok", "new")

    monkeypatch.setattr(history, "refresh_repo", refresh)
    remotes = [GitRemote.github("bad name/../x", "https://g/x", None), GitRemote.github("o/r", "https://g/o/r", None),
               GitRemote.hub("o/M1", "https://h/o/M1", None), GitRemote.hub("o/m2", "https://h/o/m2", None)]
    histories, errors = refresh_family(family, remotes, tmp_path, AT)
    assert seen == [("github", "o/r", tmp_path / "github" / "o__r.git", None, AT),
                    ("hub", "o/M1", tmp_path / "hub" / f"{history.repo_key('o/M1')}.git", "h1", AT),
                    ("hub", "o/m2", tmp_path / "hub" / "o__m2.git", "h2", AT)]
    bad, ok_github, ok_hub, failed = histories
    assert (bad.status, bad.head_sha) == ("failed", None) and "'bad name/../x'" in bad.reason
    assert (ok_github.status, ok_hub.status) == ("ok", "ok")
    assert (failed.platform, failed.repo, failed.status, failed.head_sha, failed.reason) == (
        "hub", "o/m2", "failed", "h2", ("boom " + "x" * 2000)[:1000])
    assert (bad.platform, bad.repo) == ("github", "bad name/../x")
    assert errors == [bad.reason, "boom " + "x" * 2000]


def test_refresh_family_stops_at_a_rate_limit(monkeypatch, tmp_path):
    def refresh(remote, mirror, known, at):
        raise RateLimited("slow down", 60)

    monkeypatch.setattr(history, "refresh_repo", refresh)
    with pytest.raises(RateLimited, match="slow down"):
        refresh_family(_family(), [GitRemote.hub("o/m", "https://h/o/m", None)], tmp_path, AT)


def test_load_family_reads_repositories_states_and_creation_times(warehouse: Warehouse):
    with pytest.raises(ValueError, match=r"family 'f' is not in core.families.*"
                                         r"delete_dynamic_partition\('families', 'f'\)"):
        load_family(warehouse, "f")
    created = datetime(2021, 1, 1, tzinfo=UTC)
    warehouse.append("core.families", pl.DataFrame([{"family_key": "f", "github_repo": "o/r", "n_variants": 2,
                                                      "first_seen": AT}]))
    warehouse.append("core.variants", pl.DataFrame({"family_key": ["f", "f", "g"], "repo_id": ["o/z", "o/a", "o/q"]}))
    warehouse.append("raw.repo_state", _states({"platform": "hub", "repo": "o/a", "head_sha": "h", "status": "ok"}))
    warehouse.append("raw.hub_models", pl.DataFrame({"repo_id": ["o/a", "o/z", "o/q"],
                                                     "created_at": [created, None, created],
                                                     "discovered_at": [AT] * 3}))
    warehouse.append("raw.github_repos", pl.DataFrame({"full_name": ["o/r", "x/y"], "family_key": ["f", "g"],
                                                       "created_at": [AT, AT], "fetched_at": [AT, AT]}))
    family = load_family(warehouse, "f")
    assert (family.family_key, family.github_repo, family.hub_repos) == ("f", "o/r", ["o/a", "o/z"])
    assert family.known_head("hub", "o/a") == "h"
    # o/q is another family's variant; o/z has no creation time
    assert family.created == {("hub", "o/a"): created, ("github", "o/r"): AT}


# -- the mirror, over a local remote -------------------------------------------------------------------

def _served(tmp_path: Path) -> tuple[Path, list[str]]:
    """The three-commit repository of _repo, served to partial clones (file:// honours blob:none)."""
    git_dir, shas = _repo(tmp_path)
    subprocess.run(["git", "--git-dir", str(git_dir), "config", "uploadpack.allowfilter", "true"], check=True)
    subprocess.run(["git", "--git-dir", str(git_dir), "config", "uploadpack.allowAnySHA1InWant", "true"], check=True)
    return git_dir, shas


def _mirror_git(mirror: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(mirror), *args], capture_output=True, text=True).stdout.strip()


def test_a_blobless_mirror_is_made_then_updated_and_followed_to_the_remote_head(tmp_path: Path):
    served, shas = _served(tmp_path)
    remote = GitRemote.github("o/r", f"file://{served}", None)
    mirror = tmp_path / "mirrors" / "github" / "o__r.git"  # its parent folders do not exist yet
    assert gitlog.fetch_mirror(remote, mirror) == shas[-1]
    assert _mirror_git(mirror, "rev-parse", gitlog.HEAD_REF) == shas[-1]
    assert [_mirror_git(mirror, "config", key) for key in (
        "remote.origin.promisor", "remote.origin.partialclonefilter", "core.logallrefupdates", "gc.auto",
        "remote.origin.url")] == ["true", "blob:none", "false", "0", f"file://{served}"]
    assert _mirror_git(mirror, "config", "core.bare") == "true"
    assert gitlog.is_ancestor(remote, mirror, shas[0], shas[-1])
    assert not gitlog.is_ancestor(remote, mirror, shas[-1], shas[0])
    assert not gitlog.is_ancestor(remote, mirror, "0" * 40, shas[-1])  # not in the mirror
    # a moved URL (an older version's, or a renamed repository) is replaced, and the new head followed
    subprocess.run(["git", "--git-dir", str(served), "update-ref", "refs/heads/main", shas[1]], check=True)
    moved = GitRemote.github("o/r", f"file://{served}/", None)
    assert gitlog.fetch_mirror(moved, mirror) == shas[1]
    assert _mirror_git(mirror, "config", "remote.origin.url") == f"file://{served}/"


def test_an_incremental_refresh_through_the_mirror_reads_only_the_new_commits(tmp_path: Path, monkeypatch):
    served, shas = _served(tmp_path)
    remote = GitRemote.github("o/r", f"file://{served}", None)
    monkeypatch.setattr(gitlog, "remote_head", lambda r: shas[-1])  # the HTTP head check has no file:// form
    result = refresh_repo(remote, tmp_path / "m.git", shas[0], AT)
    assert (result.status, result.head_sha, result.complete) == ("ok", shas[-1], False)
    assert [c["sha"] for c in result.commits] == [shas[2], shas[1]]
    # a stored head the remote no longer has: the whole history, complete
    result = refresh_repo(remote, tmp_path / "m.git", "f" * 40, AT)
    assert (result.complete, len(result.commits)) == (True, 3)


def test_an_empty_remote_gives_no_head(tmp_path: Path):
    empty = tmp_path / "empty.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(empty)], check=True)
    remote = GitRemote.hub("o/m", f"file://{empty}", None)
    assert gitlog.fetch_mirror(remote, tmp_path / "m.git") is None
    result = refresh_repo(remote, tmp_path / "m2.git", None, AT)
    assert (result.status, result.reason, result.commits) == ("empty", "the repository has no commits", [])


def test_a_refresh_from_a_partial_clone_fetches_the_blobs_renames_need(tmp_path: Path):
    served, shas = _served(tmp_path)
    remote = GitRemote.github("o/r", f"file://{served}", None)
    result = refresh_repo(remote, tmp_path / "m.git", None, AT)
    assert (result.status, result.head_sha, result.complete) == ("ok", shas[-1], True)
    middle = next(c for c in result.commits if c["sha"] == shas[1])
    # the rename is found although the mirror was cloned without file contents
    assert ("renamed", "moved.txt", "keep.txt") in [(f["change"], f["path"], f["old_path"]) for f in middle["files"]]
    assert [c["sha"] for c in result.commits] == shas[::-1]


# -- what a family's refresh writes ---------------------------------------------------------------------

def test_commit_rows_carry_the_family_and_a_date_flag_per_repository():
    created = datetime(2023, 11, 20, tzinfo=UTC)
    family = FamilyRepos("f", "o/r", ["o/m"], pl.DataFrame(schema=STATE_SCHEMA), {("hub", "o/m"): created})
    at = datetime(2023, 11, 14, 22, 0, tzinfo=UTC)
    commit = {"sha": "a", "authored_at": at, "committed_at": at, "fetched_at": datetime(2024, 1, 1, tzinfo=UTC),
              "parents": [], "files": [], "n_files": 0}
    frame = history.commit_frame(family, [RepoHistory("github", "o/r", "ok", commits=[dict(commit, platform="github",
                                                                                          repo="o/r")]),
                                          RepoHistory("hub", "o/m", "ok", commits=[dict(commit, platform="hub",
                                                                                       repo="o/m")])])
    assert frame.select("family_key", "platform", "date_flag").rows() == [
        ("f", "github", None), ("f", "hub", "before_repository")]  # 6 days before o/m was created
    assert frame.schema == pl.Schema(history.COMMITS_SCHEMA)


def test_remotes_are_the_github_repository_then_each_variant_with_their_tokens():
    from orchestration.resources import GitHubResource, HubResource

    family = FamilyRepos("f", "o/r", ["o/m1", "o/m2"], pl.DataFrame(schema=STATE_SCHEMA))
    found = history.remotes(family, HubResource(endpoint="https://hub.example/", token="hf_T"),
                            GitHubResource(server_url="https://git.example", token=None))
    assert [(r.platform, r.repo, r.url, r.auth_header) for r in found] == [
        ("github", "o/r", "https://git.example/o/r.git", None),
        ("hub", "o/m1", "https://hub.example/o/m1", "Authorization: Bearer hf_T"),
        ("hub", "o/m2", "https://hub.example/o/m2", "Authorization: Bearer hf_T")]


def _commit_row(platform: str, repo: str, sha: str) -> dict:
    return {"platform": platform, "repo": repo, "sha": sha, "parents": [], "authored_at": AT, "committed_at": AT,
            "fetched_at": AT, "files": [], "n_files": 0, "title": sha, "message": sha}


def test_write_family_appends_drops_what_a_complete_history_lacks_and_replaces_the_states(warehouse: Warehouse):
    family = FamilyRepos("f", "o/r", ["o/m"], pl.DataFrame(schema=STATE_SCHEMA))
    first = [RepoHistory("github", "o/r", "ok", "g2", commits=[_commit_row("github", "o/r", s) for s in ("g1", "g2")],
                         complete=True),
             RepoHistory("hub", "o/m", "ok", "h1", commits=[_commit_row("hub", "o/m", "h1")], complete=True),
             RepoHistory("hub", "o/old", "ok", "x", commits=[_commit_row("hub", "o/old", "x")], complete=True)]
    result = history.write_family(warehouse, family, first, AT)
    assert (result.added, result.dropped) == (4, {})
    states = warehouse.query("select platform, repo, head_sha, n_commits, status from raw.repo_state order by all")
    assert states.rows() == [("github", "o/r", "g2", 2, "ok"), ("hub", "o/m", "h1", 1, "ok"),
                             ("hub", "o/old", "x", 1, "ok")]
    # next run: GitHub rewritten (g2 replaced by g3, read whole), the Hub variant gets a commit on top
    # (not complete: nothing dropped), o/old is no longer a remote of the family
    family = FamilyRepos("f", "o/r", ["o/m"], warehouse.query("select * from raw.repo_state"))
    later = datetime(2024, 6, 1, tzinfo=UTC)
    second = [RepoHistory("github", "o/r", "ok", "g3", commits=[_commit_row("github", "o/r", s) for s in ("g1", "g3")],
                          complete=True),
              RepoHistory("hub", "o/m", "ok", "h2", commits=[_commit_row("hub", "o/m", "h2")])]
    result = history.write_family(warehouse, family, second, later)
    assert (result.added, result.dropped) == (2, {("github", "o/r"): 1})
    commits = warehouse.query("select platform, repo, sha from raw.commits order by all").rows()
    assert commits == [("github", "o/r", "g1"), ("github", "o/r", "g3"), ("hub", "o/m", "h1"), ("hub", "o/m", "h2")]
    states = warehouse.query("select repo, head_sha, n_commits, rewritten_at, dropped_commits from raw.repo_state "
                             "order by all").rows()
    assert states == [("o/m", "h2", 2, None, None), ("o/r", "g3", 2, later, 1)]
    # an unchanged refresh writes nothing
    family = FamilyRepos("f", "o/r", ["o/m"], warehouse.query("select * from raw.repo_state"))
    unchanged = [RepoHistory("github", "o/r", "unchanged", "g3"), RepoHistory("hub", "o/m", "unchanged", "h2")]
    assert history.write_family(warehouse, family, unchanged, datetime(2025, 1, 1, tzinfo=UTC)) == (
        history.WriteResult(0, {}))
    assert warehouse.query("select max(checked_at) as t from raw.repo_state")["t"].item() == later
    # the variant left the family while nothing else changed: its commits and state still go
    family = FamilyRepos("f", "o/r", [], warehouse.query("select * from raw.repo_state"))
    assert history.write_family(warehouse, family, unchanged[:1], datetime(2025, 1, 1, tzinfo=UTC)) == (
        history.WriteResult(0, {}))
    assert warehouse.query("select distinct repo from raw.commits").rows() == [("o/r",)]
    assert warehouse.query("select repo, checked_at from raw.repo_state").rows() == [("o/r", later)]
