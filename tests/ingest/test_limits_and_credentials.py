"""Issue 12 against the local server's routes: stalled servers, hostile names, credentials in URLs, git's errors."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import dagster as dg
import httpx

from assets.ingest import gitlog, remote
from assets.ingest.remote import TransientError

FAMILY = "indolab__indobert-lite"  # ingested by the session fixture: the next run starts with a head check


def _states(env, family: str) -> dict[str, dict]:
    return {r["repo"]: r for r in env.warehouse.query("select * from raw.repo_state where family_key = ?", [family]).to_dicts()}


def _run_text(env, result) -> str:
    return "\n".join(str(e) for e in env.instance.all_logs(result.run_id))


# -- item 3: every remote call has a timeout -------------------------------------------------------

def test_a_stalled_git_server_fails_the_repository_in_seconds_and_keeps_the_rest(fresh, monkeypatch):
    monkeypatch.setattr(gitlog, "LOW_SPEED_S", 1)
    fresh.api.inject(route="git.github", delay=30, times=-1)  # answers nothing for 30 s
    t = time.monotonic()
    error = fresh.call_commits(FAMILY)
    elapsed = time.monotonic() - t
    assert isinstance(error, dg.Failure) and "indolab/indobert-lite" in str(error) and "too slow" in str(error)
    assert elapsed < 10  # three tries of about 1 s and two backoffs, not 3 x 30 s
    states = _states(fresh, FAMILY)
    assert states["indolab/indobert-lite"]["status"] == "failed"
    assert {states[r]["status"] for r in states if r != "indolab/indobert-lite"} == {"ok"}


def test_a_stalled_hub_api_fails_discovery_in_seconds_and_keeps_the_tables(fresh, monkeypatch):
    monkeypatch.setattr(remote, "REST_TIMEOUT_S", 0.5)
    # the README fetch: huggingface_hub's own listing retries timeouts 5 times with backoff before hubscope's
    # retries, which makes the same point in a minute and a half
    before = fresh.warehouse.query("select * from raw.hub_models order by repo_id")
    fresh.api.inject(route="hub_files.resolve", delay=20, times=-1)
    t = time.monotonic()
    error = fresh.call_discovery()
    assert isinstance(error, TransientError) and "README" in str(error) and "ReadTimeout" in str(error)
    assert time.monotonic() - t < 10  # three tries of 0.5 s and two backoffs, not 3 x 20 s
    assert fresh.warehouse.query("select * from raw.hub_models order by repo_id").equals(before)


# -- item 7: names follow the platforms' rules; requests stay under the configured prefixes ---------

def test_hostile_names_in_the_warehouse_are_rejected_naming_them_and_send_nothing(fresh):
    at = datetime.now(UTC)
    with fresh.warehouse.transaction() as con:  # what `add-family ../etc --hub ../passwd` wrote before the fix
        con.execute("insert into core.families values ('evil', '../etc', 2, null, ?)", [at])
        con.execute("insert into core.variants values ('evil', '../passwd'), ('evil', 'acme-research/codegen-mini-350m')")
    fresh.api.reset()
    error = fresh.call_commits("evil")
    assert isinstance(error, dg.Failure) and "'../etc'" in str(error) and "'../passwd'" in str(error)
    states = _states(fresh, "evil")
    assert states["../etc"]["status"] == "failed" and "'../etc'" in states["../etc"]["reason"]
    assert states["../passwd"]["status"] == "failed" and "'../passwd'" in states["../passwd"]["reason"]
    assert states["acme-research/codegen-mini-350m"]["status"] == "ok"  # the valid variant is still ingested
    assert fresh.api.log and all(s.route.startswith("git.hub.") for s in fresh.api.log)  # nothing else was asked
    assert all(s.path.startswith("/hf/acme-research/codegen-mini-350m") for s in fresh.api.log)


# -- item 8: a password in GITHUB_SERVER_URL -------------------------------------------------------

def test_a_password_in_the_git_server_url_reaches_the_server_but_no_file(fresh):
    password = "s3cret-Pa55word"
    parts = urlsplit(fresh.api.github_git)
    server_url = f"{parts.scheme}://ci-bot:{password}@{parts.netloc}{parts.path}"
    family = "acme-research__codegen-mini"  # not mirrored yet: a clone, then git writes the mirror's config
    result = fresh.ingest(family, github_server_url=server_url)
    assert result.success
    github = [s for s in fresh.api.log if s.route.startswith("git.github.")]
    assert github and all(s.user == "ci-bot" for s in github)  # the credentials were sent ...
    for path in fresh.mirrors.rglob("*"):  # ... and written nowhere: config, FETCH_HEAD, logs, packs
        assert not path.is_file() or password.encode() not in path.read_bytes(), path
    assert password not in _run_text(fresh, result)
    stored = str(fresh.warehouse.query("select * from raw.repo_state where family_key = ?", [family]).rows())
    assert password not in stored


# -- lower severity: git's errors name the command ------------------------------------------------

def test_git_errors_name_the_real_command(fresh):
    family = "acme-research__codegen-mini"  # not mirrored yet: its first git call is the fetch
    fresh.api.inject(route="git.github.info_refs", status=500, times=-1)
    error = fresh.call_commits(family)
    assert isinstance(error, dg.Failure)
    reason = _states(fresh, family)["acme-research/codegen-mini"]["reason"]
    assert "git fetch --quiet --no-tags --filter=blob:none origin +HEAD:refs/hubscope/head" in reason
    assert "git -c" not in reason and "error: 500" in reason


def test_a_long_git_retry_after_is_said_in_the_step_log(fresh, capfd):
    fresh.api.inject(route="git.github", status=429, times=1, headers={"Retry-After": "2700"})
    error = fresh.call_commits(FAMILY)  # (a materialization would wait the 45 minutes)
    assert isinstance(error, dg.RetryRequested) and error.seconds_to_wait == 2700
    assert "retrying this step in 2700s (as the platform asked)" in capfd.readouterr().err


# -- issue 13: the 1-request head check asks for the default branch only ---------------------------

def test_the_head_check_is_one_small_request_whatever_the_number_of_refs(fresh):
    repo = fresh.sample / "git" / "github" / "indolab" / "indobert-lite.git"
    head = subprocess.run(["git", "--git-dir", str(repo), "rev-parse", "main"], capture_output=True, text=True,
                          check=True).stdout.strip()
    refs = "".join(f"create refs/pull/{n}/head {head}\n" for n in range(1, 401))  # 400 pull requests
    subprocess.run(["git", "--git-dir", str(repo), "update-ref", "--stdin"], input=refs.encode(), check=True)
    try:
        advertised = httpx.get(f"{fresh.api.github_git}/indolab/indobert-lite.git/info/refs?service=git-upload-pack")
        assert len(advertised.content) > 400 * 55  # what `git ls-remote` over protocol v0 downloads: every ref
        fresh.api.reset()
        assert fresh.ingest(FAMILY).success
    finally:
        drop = "".join(f"delete refs/pull/{n}/head\n" for n in range(1, 401))
        subprocess.run(["git", "--git-dir", str(repo), "update-ref", "--stdin"], input=drop.encode(), check=True)
    github = [s for s in fresh.api.log if s.route.startswith("git.github.")]
    assert len(github) == 1 and github[0].size < 200  # one line: the head, not 400 pull requests
