"""The label store (assets/label/store.py) function by function, as the labelling assets rely on it:
which commits a partition reads and in what order, what the LLM cache returns and keeps, which rows
an LLM run writes when some commits got no answer, and the rules rows. Written from the module's
docstrings for the gaps mutation testing found (docs/mutation.md); every expectation is a row
written out by hand."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from assets.label.commit_text import commit_text
from assets.label.llm import Outcome
from assets.label.rules import label_commit
from assets.label.store import (
    CACHE_TABLE,
    LABEL_SCHEMA,
    LABEL_TABLE,
    cached_outcomes,
    commit_texts,
    label_with_cache,
    llm_label_rows,
    previous_labels,
    read_commits,
    rules_label_rows,
    store_outcomes,
)
from orchestration.warehouse import Warehouse
from tests.label.conftest import FAMILY, commit_row

OTHER = "other__family"


def _cache_rows(warehouse: Warehouse) -> list[dict]:
    return warehouse.query(
        f"select content_hash, model, prompt_version, category, confidence, rationale, prompt_tokens, "
        f"completion_tokens from {CACHE_TABLE} order by content_hash, model, prompt_version").to_dicts()


# -- reading a partition's commits ----------------------------------------------------------------

def test_read_commits_is_the_partitions_commits_in_platform_repo_time_order(warehouse, add_commits):
    # commit_row i is at 2020-07-01 + i hours, sha = i in hex; github rows are in cahya/indonesian-lm,
    # hub rows in cahya/bert-base-indonesian-522M
    add_commits([
        commit_row(5, "hub", "Upload b", ["b.bin"]),
        commit_row(3, "hub", "Upload a", ["a.bin"]),
        commit_row(4, "github", "later", ["x.py"]),
        commit_row(1, "github", "earlier", ["y.py"]),
        commit_row(2, "github", "no date", ["z.py"], committed_at=None),  # no time: after the dated ones
        commit_row(0, "github", "not ours", ["w.py"], family=OTHER),
    ])
    commits = read_commits(warehouse, FAMILY)
    assert commits.columns == ["family_key", "platform", "repo", "sha", "parents", "title", "message", "files",
                               "n_files"]
    assert commits["title"].to_list() == ["earlier", "later", "no date", "Upload a", "Upload b"]
    assert set(commits["family_key"]) == {FAMILY}
    assert commits.row(0, named=True)["files"][0]["path"] == "y.py"
    assert commits.row(0, named=True)["n_files"] == 1
    assert read_commits(warehouse, "nobody").is_empty()


def test_commit_texts_follow_the_row_order(warehouse, add_commits):
    add_commits([commit_row(1, "github", "first", ["a.py"]), commit_row(2, "github", "second", ["b.py"])])
    texts = commit_texts(read_commits(warehouse, FAMILY))
    assert [(t.title, t.paths) for t in texts] == [("first", ("a.py",)), ("second", ("b.py",))]


# -- the LLM cache -----------------------------------------------------------------------------------

def test_store_outcomes_keeps_only_answers_and_every_field(warehouse, tokyo):
    outcomes = {
        "h1": Outcome("bug_fix", None, 0.75, "fixes a crash", 12.5, 3.0),
        "h2": Outcome(None, "no valid answer"),  # a failure to answer: never cached
        "h3": Outcome("sharing", None, None, None),
    }
    assert store_outcomes(warehouse, "m", "p1", outcomes) == 2
    assert _cache_rows(warehouse) == [
        {"content_hash": "h1", "model": "m", "prompt_version": "p1", "category": "bug_fix", "confidence": 0.75,
         "rationale": "fixes a crash", "prompt_tokens": 12.5, "completion_tokens": 3.0},
        {"content_hash": "h3", "model": "m", "prompt_version": "p1", "category": "sharing", "confidence": None,
         "rationale": None, "prompt_tokens": 0.0, "completion_tokens": 0.0},
    ]
    stamped = warehouse.query(f"select labelled_at from {CACHE_TABLE}")["labelled_at"].to_list()
    assert all(abs(t - datetime.now(UTC)) < timedelta(minutes=5) for t in stamped)


def test_store_outcomes_keeps_an_existing_answer_and_counts_only_new_ones(warehouse):
    assert store_outcomes(warehouse, "m", "p1", {"h1": Outcome("bug_fix", None, 0.5, "first")}) == 1
    # the same key again: the stored answer stays; another prompt version is another key
    assert store_outcomes(warehouse, "m", "p1", {"h1": Outcome("sharing", None, 0.9, "second")}) == 0
    assert store_outcomes(warehouse, "m", "p2", {"h1": Outcome("sharing", None, 0.9, "second")}) == 1
    assert [(r["prompt_version"], r["category"], r["rationale"]) for r in _cache_rows(warehouse)] == [
        ("p1", "bug_fix", "first"), ("p2", "sharing", "second")]
    assert store_outcomes(warehouse, "m", "p1", {"h9": Outcome(None, "refused")}) == 0


def test_cached_outcomes_match_model_prompt_version_and_hash(warehouse):
    store_outcomes(warehouse, "m", "p1", {"h1": Outcome("bug_fix", None, 0.75, "why", 8.0, 2.0),
                                          "h2": Outcome("sharing", None, 0.5, None)})
    store_outcomes(warehouse, "other-model", "p1", {"h3": Outcome("bug_fix")})
    store_outcomes(warehouse, "m", "p0", {"h4": Outcome("bug_fix")})
    found = cached_outcomes(warehouse, "m", "p1", ["h1", "h3", "h4", "h9"])
    assert found == {"h1": Outcome("bug_fix", None, 0.75, "why", 8.0, 2.0)}
    assert found["h1"].status == "labelled"
    assert cached_outcomes(warehouse, "m", "p1", []) == {}


def test_cached_outcomes_read_missing_token_counts_as_zero(warehouse):
    # rows written by an older version may lack the token shares
    warehouse.append(CACHE_TABLE, pl.DataFrame([{
        "content_hash": "h1", "model": "m", "prompt_version": "p1", "category": "bug_fix", "confidence": None,
        "rationale": None, "prompt_tokens": None, "completion_tokens": None, "labelled_at": datetime.now(UTC)}],
        schema={"content_hash": pl.String, "model": pl.String, "prompt_version": pl.String, "category": pl.String,
                "confidence": pl.Float64, "rationale": pl.String, "prompt_tokens": pl.Float64,
                "completion_tokens": pl.Float64, "labelled_at": pl.Datetime("us", "UTC")}))
    assert cached_outcomes(warehouse, "m", "p1", ["h1"]) == {"h1": Outcome("bug_fix", None, None, None, 0.0, 0.0)}


class _Labeller:
    """A stand-in for LLMLabeller: answers each commit with a fixed category, in batches of two,
    handing each batch to ``on_batch`` as the real one does; records what it was asked."""

    def __init__(self, model: str = "m") -> None:
        self.model = model
        self.asked: list[str] = []

    def label(self, commits, on_batch=None):
        out = {}
        items = list(commits)
        for i in range(0, len(items), 2):
            batch = {h: Outcome("model_structure", None, 0.5, f"answer for {h}") for h in items[i:i + 2]}
            self.asked += list(batch)
            if on_batch is not None:
                on_batch(batch)
            out.update(batch)
        return out


def test_label_with_cache_asks_only_for_what_is_not_cached_and_caches_each_batch(warehouse):
    text = commit_text(commit_row(0, "github", "t", ["a.py"]))
    store_outcomes(warehouse, "m", "p1", {"h1": Outcome("bug_fix", None, 1.0, "cached")})
    store_outcomes(warehouse, "m", "p0", {"h2": Outcome("bug_fix", None, 1.0, "older prompt")})
    labeller = _Labeller()
    answers, hits = label_with_cache(warehouse, labeller, "p1", {"h1": text, "h2": text, "h3": text})
    assert hits == 1
    assert sorted(labeller.asked) == ["h2", "h3"]
    assert answers == {"h1": Outcome("bug_fix", None, 1.0, "cached"),
                       "h2": Outcome("model_structure", None, 0.5, "answer for h2"),
                       "h3": Outcome("model_structure", None, 0.5, "answer for h3")}
    # the new answers are in the cache under this model and prompt version
    assert set(cached_outcomes(warehouse, "m", "p1", ["h1", "h2", "h3"])) == {"h1", "h2", "h3"}
    # a second run is all cache hits and asks nothing
    again = _Labeller()
    assert label_with_cache(warehouse, again, "p1", {"h1": text, "h2": text, "h3": text})[1] == 3
    assert again.asked == []


# -- the partition's rows ------------------------------------------------------------------------

def _commits(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows).select("family_key", "platform", "repo", "sha", "parents", "title", "message",
                                     "files", "n_files")


@pytest.fixture
def tokyo(monkeypatch):
    """The process in a time zone 9 hours from UTC: a naive local "now" would be stored 9 hours off."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_llm_rows_take_the_answer_else_the_previous_row_else_nothing(tokyo):
    rows = [commit_row(1, "github", "Add GLUE evaluation script", ["eval.py"]),
            commit_row(2, "github", "Update README", ["README.md"]),
            commit_row(3, "hub", "Upload model", ["model.bin"]),
            commit_row(4, "hub", "Upload tokenizer", ["tokenizer.json"])]
    commits = _commits(rows)
    texts = commit_texts(commits)
    before = datetime(2025, 1, 1, tzinfo=UTC)
    previous = pl.DataFrame([
        # commit 2's earlier row: kept as it is, as no answer came this run
        {"family_key": FAMILY, "platform": "github", "repo": "cahya/indonesian-lm", "sha": rows[1]["sha"],
         "labeller": "llm:m", "prompt_version": "p0", "category": "external_documentation", "status": "labelled",
         "reason": None, "confidence": 0.4, "rationale": "old", "labelled_at": before, "content_hash": "old-hash"},
        # a row of the same sha in another repository is another commit
        {"family_key": FAMILY, "platform": "hub", "repo": "elsewhere/model", "sha": rows[2]["sha"],
         "labeller": "llm:m", "prompt_version": "p0", "category": "sharing", "status": "labelled",
         "reason": None, "confidence": 0.4, "rationale": "old", "labelled_at": before, "content_hash": "x"},
    ], schema=LABEL_SCHEMA)
    outcomes = {texts[0].content_hash: Outcome("validation_infrastructure", None, 0.9, "adds evaluation"),
                texts[3].content_hash: Outcome("sharing", None, 0.8, "tokenizer"),
                "unrelated": Outcome("bug_fix")}
    frame = llm_label_rows(commits, texts, outcomes, previous, "llm:m", "p1")
    assert frame.schema == pl.Schema(LABEL_SCHEMA)
    got = frame.to_dicts()
    assert len(got) == 3  # commit 3: no answer and no earlier row of its own, so no row; commit 4 answered
    answered, kept, last = got
    assert (last["sha"], last["category"]) == (rows[3]["sha"], "sharing")
    assert abs(answered.pop("labelled_at") - datetime.now(UTC)) < timedelta(minutes=5)
    assert answered == {
        "family_key": FAMILY, "platform": "github", "repo": "cahya/indonesian-lm", "sha": rows[0]["sha"],
        "labeller": "llm:m", "prompt_version": "p1", "category": "validation_infrastructure", "status": "labelled",
        "reason": None, "confidence": 0.9, "rationale": "adds evaluation", "content_hash": texts[0].content_hash}
    assert kept == previous.row(0, named=True)


def test_llm_rows_store_an_unlabelled_answer_with_its_reason():
    commits = _commits([commit_row(1, "hub", "Upload model", ["model.bin"])])
    texts = commit_texts(commits)
    frame = llm_label_rows(commits, texts, {texts[0].content_hash: Outcome(None, "answer not in the taxonomy")},
                           pl.DataFrame(schema=LABEL_SCHEMA), "llm:m", "p1")
    row = frame.row(0, named=True)
    assert (row["category"], row["status"], row["reason"]) == (None, "unlabelled", "answer not in the taxonomy")


def test_llm_rows_of_an_empty_partition_are_an_empty_typed_frame():
    empty = llm_label_rows(_commits([commit_row(1, "hub", "x", [])]).head(0), [], {},
                           pl.DataFrame(schema=LABEL_SCHEMA), "llm:m", "p1")
    assert empty.height == 0 and empty.schema == pl.Schema(LABEL_SCHEMA)


def test_previous_labels_are_one_labellers_rows_of_one_family(warehouse):
    at = datetime(2025, 1, 1, tzinfo=UTC)

    def row(family: str, labeller: str, sha: str) -> dict:
        return {"family_key": family, "platform": "github", "repo": "o/r", "sha": sha, "labeller": labeller,
                "prompt_version": "p", "category": "bug_fix", "status": "labelled", "reason": None,
                "confidence": 1.0, "rationale": None, "labelled_at": at, "content_hash": "h"}

    warehouse.append(LABEL_TABLE, pl.DataFrame([row(FAMILY, "llm:m", "a"), row(FAMILY, "rules", "b"),
                                                row(OTHER, "llm:m", "c"), row(FAMILY, "llm:m", "d")],
                                               schema=LABEL_SCHEMA))
    found = previous_labels(warehouse, FAMILY, "llm:m")
    assert found.columns == list(LABEL_SCHEMA)
    assert sorted(found["sha"].to_list()) == ["a", "d"]
    assert found.filter(pl.col("sha") == "a").row(0, named=True) == row(FAMILY, "llm:m", "a")


def test_rules_rows_label_every_commit_with_the_rules_answer(tokyo):
    rows = [commit_row(1, "github", "Pin transformers==4.30.2", ["requirements.txt"]),
            commit_row(2, "hub", "Update README.md", ["README.md"])]
    commits = _commits(rows)
    texts = commit_texts(commits)
    frame = rules_label_rows(commits, texts, "rules-v9")
    assert frame.schema == pl.Schema(LABEL_SCHEMA)
    got = frame.to_dicts()
    for row, text, out in zip(rows, texts, got, strict=True):
        expected = label_commit(text)
        assert abs(out.pop("labelled_at") - datetime.now(UTC)) < timedelta(minutes=5)
        assert out == {
            "family_key": FAMILY, "platform": row["platform"], "repo": row["repo"], "sha": row["sha"],
            "labeller": "rules", "prompt_version": "rules-v9", "category": expected.category, "status": "labelled",
            "reason": None, "confidence": expected.confidence, "rationale": expected.rationale,
            "content_hash": text.content_hash}
    # the rules' own answers for these two (assets/label/taxonomy.json): a pinned version, a README
    assert [r["category"] for r in got] == ["update_dependency", "external_documentation"]


def test_a_rules_partition_round_trips_through_the_warehouse(warehouse, add_commits):
    add_commits([commit_row(1, "github", "Pin transformers==4.30.2", ["requirements.txt"])])
    commits = read_commits(warehouse, FAMILY)
    frame = rules_label_rows(commits, commit_texts(commits), "rules-v9")
    warehouse.replace(LABEL_TABLE, {"family_key": FAMILY, "labeller": "rules"}, frame)
    assert previous_labels(warehouse, FAMILY, "rules")["category"].to_list() == ["update_dependency"]
