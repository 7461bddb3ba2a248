"""Every bad input of issue 2 gets a defined outcome: retried, skipped with a reason, or a failed step naming the repo."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from assets.ingest import gitlog, history
from assets.ingest.gitlog import GitRemote, RepoHistory, refresh_repo
from assets.ingest.remote import RateLimited, TransientError
from localapi.sample.build import SAMPLE_HUB_TOKEN

OTHER = "new-org__legacy-gpt"


def _states(env, family: str) -> dict[tuple[str, str], dict]:
    rows = env.warehouse.query("select * from raw.repo_state where family_key = ?", [family]).to_dicts()
    return {(r["platform"], r["repo"]): r for r in rows}


def _run_text(env, result) -> str:
    return "\n".join(str(e) for e in env.instance.all_logs(result.run_id))


def test_gated_repo_is_skipped_with_a_reason_and_read_with_a_token(fresh):
    result = fresh.ingest("glotta-nlp__glotta")
    assert result.success
    gated = _states(fresh, "glotta-nlp__glotta")[("hub", "glotta-nlp/glotta-70b")]
    assert gated["status"] == "skipped" and "HF_TOKEN" in gated["reason"]
    assert _states(fresh, "glotta-nlp__glotta")[("hub", "glotta-nlp/glotta-7b")]["status"] == "ok"
    with_token = fresh.ingest("glotta-nlp__glotta", hub_token=SAMPLE_HUB_TOKEN)
    assert with_token.success
    assert _states(fresh, "glotta-nlp__glotta")[("hub", "glotta-nlp/glotta-70b")]["status"] == "ok"
    # the token is in no table, log, metadata or mirror config
    assert SAMPLE_HUB_TOKEN not in _run_text(fresh, with_token)
    assert SAMPLE_HUB_TOKEN not in str(fresh.warehouse.query("select * from raw.repo_state").rows())
    assert not any(SAMPLE_HUB_TOKEN in p.read_text(errors="replace") for p in fresh.mirrors.rglob("config"))


def test_a_wrong_token_never_leaks_into_reasons_or_logs(fresh):
    secret = "hf_wrong_but_secret_0123456789"
    result = fresh.ingest("glotta-nlp__glotta", hub_token=secret)
    assert result.success
    reason = _states(fresh, "glotta-nlp__glotta")[("hub", "glotta-nlp/glotta-70b")]["reason"]
    assert "HF_TOKEN" in reason and secret not in reason and secret not in _run_text(fresh, result)


def test_token_reaches_git_through_the_environment_not_argv(fresh, tmp_path, monkeypatch):
    calls = []
    real_run = subprocess.run
    monkeypatch.setattr(gitlog.subprocess, "run", lambda cmd, **kw: calls.append((cmd, kw.get("env"))) or real_run(cmd, **kw))
    remote = GitRemote.hub("glotta-nlp/glotta-70b", f"{fresh.api.hf_endpoint}/glotta-nlp/glotta-70b", SAMPLE_HUB_TOKEN)
    assert refresh_repo(remote, tmp_path / "m.git", None, datetime.now(UTC)).status == "ok"
    git_calls = [(cmd, env) for cmd, env in calls if cmd[0] == "git"]  # the server's own git runs too
    assert git_calls and all(SAMPLE_HUB_TOKEN not in " ".join(cmd) for cmd, _ in git_calls)
    assert all(SAMPLE_HUB_TOKEN in env["GIT_CONFIG_VALUE_0"] for _, env in git_calls)


def test_empty_repository_is_recorded_as_empty(fresh):
    assert fresh.ingest("void-lab__void-lm").success
    states = _states(fresh, "void-lab__void-lm")
    assert states[("github", "void-lab/void-lm")]["status"] == "empty"
    assert states[("hub", "void-lab/void-lm-small")]["status"] == "ok"


def test_repository_gone_since_discovery_is_recorded_and_the_rest_ingested(fresh):
    with fresh.warehouse.get_connection() as con:
        con.execute("insert into core.variants values ('sparse-lab__sparse-t5', 'sparse-lab/deleted-model')")
    assert fresh.ingest("sparse-lab__sparse-t5").success
    states = _states(fresh, "sparse-lab__sparse-t5")
    assert states[("hub", "sparse-lab/deleted-model")]["status"] == "failed"
    assert "not found" in states[("hub", "sparse-lab/deleted-model")]["reason"]
    assert states[("hub", "sparse-lab/sparse-t5-base")]["n_commits"] > 0


def test_server_errors_twice_then_success_is_retried(fresh):
    fresh.api.inject(route="git.github.info_refs", status=500, times=2)
    assert fresh.ingest("acme-research__codegen-mini").success
    assert sum(1 for s in fresh.api.log if s.status == 500) == 2
    assert _states(fresh, "acme-research__codegen-mini")[("github", "acme-research/codegen-mini")]["status"] == "ok"


def test_persistent_failure_fails_the_step_naming_the_repo_and_keeps_the_rest(fresh):
    other = fresh.warehouse.query("select * from raw.commits where family_key = ? order by sha", [OTHER])
    fresh.api.inject(route="git.hub.upload_pack", status=500, times=-1)
    error = fresh.call_commits("sparse-lab__sparse-t5")  # direct call: the retry policy would wait minutes
    assert isinstance(error, dg.Failure) and "sparse-lab/sparse-t5-base" in str(error)
    states = _states(fresh, "sparse-lab__sparse-t5")
    assert states[("github", "sparse-lab/sparse-t5")]["status"] == "ok"  # what worked is stored
    assert states[("hub", "sparse-lab/sparse-t5-base")]["status"] == "failed"
    assert fresh.warehouse.query("select * from raw.commits where family_key = ? order by sha", [OTHER]).equals(other)
    fresh.api.reset()
    assert fresh.ingest("sparse-lab__sparse-t5").success  # the retry completes it
    assert _states(fresh, "sparse-lab__sparse-t5")[("hub", "sparse-lab/sparse-t5-base")]["status"] == "ok"


def test_rate_limited_git_fails_the_step_with_a_clear_message_and_writes_nothing(fresh):
    before = fresh.warehouse.query("select count(*) from raw.commits").item()
    fresh.api.inject(route="git.github.info_refs", status=429, times=1, headers={"Retry-After": "3600"})
    error = fresh.call_commits("qwerty-ai__tinyqwerty")
    assert isinstance(error, dg.RetryRequested)  # after the reset, not on the retry policy's clock
    cause = error.__cause__
    assert isinstance(cause, RateLimited) and "rate limit" in str(cause) and "qwerty-ai/tinyqwerty" in str(cause)
    assert fresh.warehouse.query("select count(*) from raw.commits").item() == before


def test_discovery_survives_truncated_bodies_and_server_errors(fresh):
    families = fresh.warehouse.query("select * exclude (first_seen) from core.families order by all")
    fresh.api.inject(route="hub.list_models", truncate=True, times=1)
    fresh.api.inject(route="github.contributors", status=502, times=2)
    assert fresh.discover().success
    assert fresh.warehouse.query("select * exclude (first_seen) from core.families order by all").equals(families)


def test_failed_discovery_keeps_the_previous_tables(fresh):
    before = fresh.warehouse.query("select * from raw.hub_models order by repo_id")
    fresh.api.inject(route="github.repo", status=500, times=-1)
    error = fresh.call_discovery()
    assert isinstance(error, TransientError) and "GitHub repository" in str(error)
    assert fresh.warehouse.query("select * from raw.hub_models order by repo_id").equals(before)


def test_write_interrupted_mid_partition_leaves_previous_rows(fresh):
    family = history.load_family(fresh.warehouse, OTHER)
    before = fresh.warehouse.query("select * from raw.commits order by all")
    states = fresh.warehouse.query("select * from raw.repo_state order by all")
    good = {"platform": "github", "repo": family.github_repo, "sha": "f" * 40, "parents": [], "author_name": "a",
            "author_email": "a@x", "authored_at": datetime.now(UTC), "committed_at": datetime.now(UTC), "title": "t",
            "message": "t", "files": [], "n_files": 0, "fetched_at": datetime.now(UTC)}
    broken = {**good, "sha": "e" * 40, "platform": "gitlab"}  # violates the table's check, after a valid row
    histories = [RepoHistory("github", family.github_repo, "ok", head_sha="f" * 40, commits=[good, broken])]
    with pytest.raises(Exception, match="(?i)constraint"):
        history.write_family(fresh.warehouse, family, histories, datetime.now(UTC))
    assert fresh.warehouse.query("select * from raw.commits order by all").equals(before)
    assert fresh.warehouse.query("select * from raw.repo_state order by all").equals(states)


def test_unknown_family_is_a_clear_error(fresh):
    result = fresh.ingest("nobody__nothing")
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "nobody__nothing" in str(failure.event_specific_data.error) and "discovery" in str(failure.event_specific_data.error)


def test_tens_of_thousands_of_commits_in_two_requests(fresh, tmp_path: Path):
    n = 20_000
    repo = fresh.sample / "git" / "github" / "big-lab" / "huge.git"
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", str(repo)], check=True)
    subprocess.run(["git", "--git-dir", str(repo), "config", "uploadpack.allowFilter", "true"], check=True)
    start = int((datetime(2020, 1, 1, tzinfo=UTC)).timestamp())
    stream = "".join(
        f"commit refs/heads/main\ncommitter Bot <b@x> {start + i * 600} +0000\ndata 12\nstep {i:07d}\n"
        f"M 100644 inline logs/step.txt\ndata 8\n{i:07d}\n\n"
        for i in range(n)
    )
    subprocess.run(["git", "--git-dir", str(repo), "fast-import", "--quiet"], input=stream.encode(), check=True)
    fresh.api.reset()
    t = time.time()
    remote = GitRemote.github("big-lab/huge", f"{fresh.api.github_git}/big-lab/huge.git", None)
    got = refresh_repo(remote, tmp_path / "huge.git", None, datetime.now(UTC))
    assert got.status == "ok" and len(got.commits) == n and len({c["sha"] for c in got.commits}) == n
    assert fresh.api.count() == 2 and time.time() - t < 30
    assert got.commits[-1]["committed_at"] == datetime.fromtimestamp(start, UTC)
    assert got.commits[0]["committed_at"] - got.commits[-1]["committed_at"] == timedelta(seconds=600 * (n - 1))


def test_github_rate_limit_far_from_reset_fails_discovery_clearly(fresh):
    before = fresh.warehouse.query("select * from raw.github_repos order by full_name")
    reset = str(int(time.time()) + 3600)
    fresh.api.inject(route="github.repo", status=403, times=1, body={"message": "API rate limit exceeded for 127.0.0.1."},
                     headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Limit": "60", "X-RateLimit-Reset": reset})
    error = fresh.call_discovery()
    assert isinstance(error, dg.RetryRequested) and 3500 < error.seconds_to_wait <= 3601
    cause = error.__cause__
    assert isinstance(cause, RateLimited) and "resets in" in str(cause) and "GITHUB_TOKEN" in str(cause)
    assert fresh.warehouse.query("select * from raw.github_repos order by full_name").equals(before)


def test_hub_rate_limit_near_its_reset_is_waited_for(fresh):
    fresh.api.inject(route="hub.list_models", status=429, times=1, headers={"Retry-After": "1"})
    assert fresh.call_discovery() is None
    assert [s.status for s in fresh.api.log if s.route == "hub.list_models"][:2] == [429, 200]
