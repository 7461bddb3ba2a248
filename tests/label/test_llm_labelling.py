"""The LLM labelling asset against the local OpenAI-compatible server, through the real openai client."""

from __future__ import annotations

import time

import dagster as dg
import pytest

from assets.label.assets import LLMLabelConfig, labelled_commits, llm_labelled_commits
from orchestration.resources import LLMResource
from tests.label.conftest import FAMILY, SECRET, commit_row

FAST = {"max_retries": 1, "timeout_s": 5.0}


def run(warehouse, llm, **config):
    context = dg.build_asset_context(partition_key=FAMILY)
    result = llm_labelled_commits(context=context, config=LLMLabelConfig(**{**FAST, **config}), warehouse=warehouse, llm=llm)
    return {k: getattr(v, "value", v) for k, v in result.metadata.items()}


def llm_rows(warehouse, model="test-model"):
    return warehouse.query(
        "select * from core.labelled_commits where labeller = ? order by sha", [f"llm:{model}"]
    )


def test_batches_of_at_least_20_and_labels_preferred_by_the_view(warehouse, llm, api, add_commits, many_commits):
    add_commits(many_commits(60))
    labelled_commits(context=dg.build_asset_context(partition_key=FAMILY), warehouse=warehouse)
    meta = run(warehouse, llm)
    assert meta["requests"] == 3 == api.count("openai.chat")
    assert meta["commits_per_request"] >= 20
    assert meta["prompt_tokens"] > 0 and meta["completion_tokens"] > 0 and meta["tokens_per_new_commit"] > 0
    rows = llm_rows(warehouse)
    assert rows.height == 60 and set(rows["status"]) == {"labelled"}
    assert set(rows["prompt_version"]) == {rows["prompt_version"][0]} and rows["content_hash"].null_count() == 0
    view = warehouse.query("select labeller, count(*) n from core.commit_labels group by 1")
    assert view.rows() == [("llm:test-model", 60)]


def test_rerun_costs_zero_requests_and_a_new_commit_only_its_share(warehouse, llm, api, add_commits, many_commits):
    add_commits(many_commits(30))
    run(warehouse, llm)
    api.reset()
    meta = run(warehouse, llm)
    assert api.count("openai") == 0 and meta["requests"] == 0 and meta["cache_hits"] == 30
    add_commits(many_commits(1, start=30))
    meta = run(warehouse, llm)
    assert api.count("openai") == 1 and meta["cache_hits"] == 30
    assert llm_rows(warehouse).height == 31


def test_same_content_in_another_family_is_a_cache_hit(warehouse, llm, api, add_commits):
    add_commits([commit_row(1, "hub", "Update README.md", ["README.md"])])
    add_commits([commit_row(1, "hub", "Update README.md", ["README.md"], family="other")])
    run(warehouse, llm)
    api.reset()
    result = llm_labelled_commits(
        context=dg.build_asset_context(partition_key="other"), config=LLMLabelConfig(**FAST), warehouse=warehouse, llm=llm
    )
    assert api.count("openai") == 0 and result.metadata["cache_hits"] == 1


def test_429_with_retry_after_is_retried_by_the_client(warehouse, llm, api, add_commits, many_commits):
    add_commits(many_commits(5))
    api.inject(route="openai.chat", status=429, times=1, headers={"Retry-After": "1"})
    started = time.monotonic()
    meta = run(warehouse, llm)
    assert time.monotonic() - started >= 0.9  # waited as told
    assert api.count("openai") == 2 and meta["requests"] == 1  # one logical request, retried once
    assert llm_rows(warehouse).height == 5


@pytest.mark.parametrize(
    ("fault", "base_url", "expected"),
    [
        ({"status": 503, "times": -1}, None, "HTTP 503"),
        ({"delay": 1.5, "times": -1}, None, "timed out"),
        (None, "http://127.0.0.1:9/v1", "could not be reached"),
    ],
)
def test_endpoint_failure_fails_the_run_and_keeps_stored_labels(
    warehouse, llm, api, add_commits, many_commits, fault, base_url, expected
):
    add_commits(many_commits(10))
    run(warehouse, llm)  # 10 labels stored and cached
    add_commits(many_commits(5, start=10))
    if fault:
        api.inject(route="openai.chat", **fault)
    broken = LLMResource(base_url=base_url or llm.base_url, model=llm.model, api_key=SECRET)
    with pytest.raises(dg.Failure) as info:
        run(warehouse, broken, timeout_s=0.5, max_retries=0)
    message = str(info.value.description)
    assert expected in message and SECRET not in message and "5 commit(s)" in message
    assert SECRET not in str(info.value.metadata)
    rows = llm_rows(warehouse)
    assert rows.height == 10 and set(rows["status"]) == {"labelled"}  # nothing lost, nothing guessed
    api.reset()
    run(warehouse, llm)  # endpoint back: only the 5 new commits are asked
    assert api.count("openai") == 1 and llm_rows(warehouse).height == 15


def test_html_answer_is_an_endpoint_failure_not_a_label(warehouse, api, add_commits, many_commits):
    add_commits(many_commits(4))
    html = LLMResource(base_url=api.openai_base, model="proxy-html", api_key=SECRET)
    with pytest.raises(dg.Failure, match="not a chat completion"):
        run(warehouse, html)
    assert llm_rows(warehouse, "proxy-html").height == 0
    assert warehouse.query("select count(*) n from core.label_cache")["n"][0] == 0  # asked again next run


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        ("m-wrong-ids", "no label returned for this commit"),
        ("m-unknown-category", "unknown category 'documentation'"),
        ("m-prose", "answer is not JSON"),
        ("m-conflict", "conflicting categories"),
    ],
)
def test_invalid_answers_are_retried_once_stored_unlabelled_and_never_cached(
    warehouse, api, add_commits, many_commits, model, reason
):
    add_commits(many_commits(25))
    meta = run(warehouse, LLMResource(base_url=api.openai_base, model=model, api_key=SECRET))
    assert api.count("openai.chat") == 2 and meta["retried_commits"] == 25
    rows = llm_rows(warehouse, model)
    assert rows.height == 25 and set(rows["status"]) == {"unlabelled"} and rows["category"].null_count() == 25
    assert all(r.startswith("invalid answer twice") and reason in r for r in rows["reason"])
    assert warehouse.query("select count(*) n from core.label_cache")["n"][0] == 0  # a failure is not an answer
    api.reset()
    meta = run(warehouse, LLMResource(base_url=api.openai_base, model=model, api_key=SECRET))
    # the rerun asks again: one request for the 25 commits and one retry, as the first time
    assert api.count("openai.chat") == 2 and meta["cache_hits"] == 0


def test_too_few_answers_retry_only_the_missing_commits(warehouse, api, add_commits, many_commits):
    add_commits(many_commits(24))
    run(warehouse, LLMResource(base_url=api.openai_base, model="m-too-few", api_key=SECRET))
    rows = llm_rows(warehouse, "m-too-few")
    # first answer: 12 of 24; the retry asks the other 12 and gets 6; 6 stay unlabelled with the reason
    assert rows.filter(rows["status"] == "labelled").height == 18
    assert set(rows.filter(rows["status"] == "unlabelled")["reason"]) == {
        "invalid answer twice: no label returned for this commit"
    }


def test_flaky_and_fenced_answers_end_labelled(warehouse, api, add_commits, many_commits):
    add_commits(many_commits(20))
    for model, requests in (("m-flaky", 2), ("m-fenced", 1)):
        api.reset()
        run(warehouse, LLMResource(base_url=api.openai_base, model=model, api_key=SECRET))
        assert api.count("openai.chat") == requests
        assert set(llm_rows(warehouse, model)["status"]) == {"labelled"}


def test_caps_defer_commits_to_the_next_run(warehouse, llm, api, add_commits, many_commits):
    add_commits(many_commits(50))
    meta = run(warehouse, llm, max_new_commits=30)
    assert meta["deferred_by_caps"] == 20 and llm_rows(warehouse).height == 30
    meta = run(warehouse, llm, max_tokens=10)
    assert meta["requests"] == 0 and meta["deferred_by_caps"] == 20 and llm_rows(warehouse).height == 30
    meta = run(warehouse, llm)
    assert meta["cache_hits"] == 30 and llm_rows(warehouse).height == 50


def test_no_endpoint_means_no_llm_labels_and_no_requests(warehouse, api, add_commits, many_commits):
    add_commits(many_commits(3))
    meta = run(warehouse, LLMResource(base_url=None))
    assert meta["dagster/row_count"] == 0 and api.count() == 0


def test_secret_never_in_metadata_or_tables(warehouse, llm, add_commits, many_commits):
    add_commits(many_commits(5))
    meta = run(warehouse, llm)
    assert SECRET not in str(meta)
    for table in ("core.labelled_commits", "core.label_cache"):
        assert SECRET not in str(warehouse.query(f"select * from {table}").rows())


def test_concurrency_is_bounded(api, many_commits):
    from assets.label.commit_text import commit_text
    from assets.label.llm import LLMLabeller, LLMSettings, make_client

    texts = {t.content_hash: t for t in (commit_text(r) for r in many_commits(120))}
    settings = LLMSettings(batch_size=20, concurrency=2, max_retries=0, timeout_s=5)
    labeller = LLMLabeller(make_client(api.openai_base, SECRET, settings), "m", settings)
    api.inject(route="openai.chat", delay=0.3, times=-1)
    api.peak_in_flight = 0
    outcomes = labeller.label(texts)
    assert len(outcomes) == 120 and labeller.stats.requests == 6
    assert api.peak_in_flight == 2  # in parallel, but never more than the configured two


def test_endpoint_names_never_carry_credentials():
    from assets.label.llm import safe_url

    assert safe_url("https://user:pw@llm.example.org:8443/v1?key=abc#x") == "https://llm.example.org:8443/v1"
