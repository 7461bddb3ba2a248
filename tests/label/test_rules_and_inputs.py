"""The rules labeller, the bounded commit view, and the rules asset on bad inputs."""

from __future__ import annotations

import json
import time

import dagster as dg
import polars as pl

from assets.label.assets import labelled_commits
from assets.label.commit_text import MAX_MESSAGE_CHARS, MAX_PATHS, commit_text
from assets.label.rules import label_commit
from assets.label.taxonomy import TAXONOMY_PATH, parse_taxonomy
from tests.label.conftest import FAMILY, commit_row


def label(platform: str, title: str, paths: list[str] | None = None, message: str | None = None, parents=None):
    row = {"platform": platform, "title": title, "message": message, "files": paths or [], "parents": parents}
    return label_commit(commit_text(row))


def test_paths_decide_when_the_message_is_generic_or_not_english():
    # a weight upload is output data (Castano et al.), a tokenizer upload preprocessing
    assert label("hub", "Upload folder using huggingface_hub", ["model.safetensors"]).category == "output_data"
    assert label("hub", "Upload folder using huggingface_hub", ["tokenizer.json", "vocab.txt"]).category == "preprocessing"
    assert label("github", "更新", ["requirements.txt"]).category == "update_dependency"
    assert label("hub", "Update", [".gitattributes"]).category == "project_metadata"


def test_no_signal_falls_back_to_unclear_with_zero_confidence():
    """Nothing to read at all: the fallback is `unclear` (left out of shares), not a guessed category."""
    for platform in ("github", "hub"):
        lab = label(platform, "", [], "")
        assert (lab.category, lab.confidence) == ("unclear", 0.0)
        assert "no rule matched" in lab.rationale


def test_a_fix_of_a_named_artefact_takes_its_category_a_bare_fix_is_bug_fix():
    assert label("github", "Fix tokenizer padding", []).category == "preprocessing"
    assert label("hub", "Fix loading error", []).category == "bug_fix"


def test_merges_are_judged_by_what_they_merge():
    merged = label("github", "Merge pull request #12 from org/fix-tokenizer-padding", parents=["a", "b"])
    assert merged.category == "preprocessing"
    bare = label("github", "Merge branch 'main' of github.com:org/repo", parents=["a", "b"])
    assert bare.category == "project_metadata" and "merge" in bare.rationale
    remote = commit_text({"platform": "github", "title": "Merge remote-tracking branch 'origin/fix-tokenizer'",
                          "parents": ["a", "b"]})
    assert remote.text == "fix tokenizer" and label_commit(remote).category == "preprocessing"


def test_the_merge_fallback_is_read_from_the_taxonomy():
    data = json.loads(TAXONOMY_PATH.read_text())
    data["fallback"]["merge"] = "uncategorized"
    bare = commit_text({"platform": "github", "title": "Merge branch 'main'", "parents": ["a", "b"]})
    assert label_commit(bare, parse_taxonomy(json.dumps(data))).category == "uncategorized"


def test_rules_read_exactly_what_the_llm_is_shown():
    """Text past MAX_MESSAGE_CHARS (outside the content hash) and paths past MAX_PATHS (only counted
    for the LLM) are unseen by both labellers."""
    short = {"platform": "github", "title": "Update", "message": "x " * (MAX_MESSAGE_CHARS // 2),
             "files": [f"src/f{i}.txt" for i in range(MAX_PATHS)]}
    long_text = dict(short, message=short["message"] + "fix the tokenizer")
    assert commit_text(long_text).content_hash == commit_text(short).content_hash
    more_paths = dict(short, files=[*short["files"], "requirements.txt"])
    for variant in (long_text, more_paths):
        assert label_commit(commit_text(variant)) == label_commit(commit_text(short))


def test_huge_inputs_are_bounded_and_fast():
    paths = [f"src/module_{i}/file_{i}.py" for i in range(5000)] + ["README.md"]
    huge = commit_text({"platform": "github", "title": "Vendor everything", "message": "x" * 1_000_000,
                        "files": paths, "parents": ["a"]})
    item = huge.prompt_item("c00")
    assert len(item["files"]) == MAX_PATHS and item["files_total"] == 5001 and item["files_by_extension"]["py"] == 5000
    assert len(json.dumps(item)) < MAX_MESSAGE_CHARS + 4000
    started = time.perf_counter()
    assert label_commit(huge).category
    assert time.perf_counter() - started < 1.0


def test_content_hash_follows_what_the_labeller_sees():
    a = commit_text({"platform": "hub", "title": "Update README.md", "files": ["README.md"]})
    b = commit_text({"platform": "hub", "title": "Update README.md", "files": ["README.md"]})
    c = commit_text({"platform": "hub", "title": "Update README.md", "files": ["config.json"]})
    assert a.content_hash == b.content_hash != c.content_hash


def test_rules_asset_labels_every_commit_including_bad_ones(warehouse, add_commits):
    rows = [
        commit_row(0, "github", "", [], message=""),
        commit_row(1, "github", "Merge branch 'dev'", [], parents=["a" * 40, "b" * 40]),
        commit_row(2, "hub", "Upload folder using huggingface_hub", ["model.safetensors"], author_name="bot"),
        commit_row(3, "github", "Refactor", [f"f{i}.py" for i in range(3000)]),
        commit_row(4, "hub", "Mise à jour du README", ["README.md"], message="Mise à jour " * 100_000),
        commit_row(5, "github", None, [], message=None, files=None, n_files=None),
    ]
    add_commits(rows)
    result = labelled_commits(context=dg.build_asset_context(partition_key=FAMILY), warehouse=warehouse)
    stored = warehouse.query("select * from core.labelled_commits where labeller = 'rules' order by sha")
    assert result.metadata["dagster/row_count"] == 6 == stored.height
    assert stored["category"].null_count() == 0 and set(stored["status"]) == {"labelled"}
    assert warehouse.query("select count(*) n from core.commit_labels")["n"][0] == 6


def test_rules_asset_keeps_labels_when_upstream_is_empty(warehouse, add_commits):
    add_commits([commit_row(0, "hub", "Update README.md", ["README.md"])])
    context = dg.build_asset_context(partition_key=FAMILY)
    labelled_commits(context=context, warehouse=warehouse)
    result = labelled_commits(context=dg.build_asset_context(partition_key="empty-family"), warehouse=warehouse)
    assert result.metadata["dagster/row_count"] == 0
    assert warehouse.query("select count(*) n from core.labelled_commits")["n"][0] == 1


def test_unknown_category_is_refused_by_the_warehouse(warehouse):
    bad = pl.DataFrame({"family_key": ["f"], "platform": ["hub"], "repo": ["r"], "sha": ["s"], "labeller": ["rules"],
                        "category": ["documentation"], "status": ["labelled"]}).with_columns(
        labelled_at=pl.lit("2024-01-01").str.to_datetime().dt.replace_time_zone("UTC"))
    try:
        warehouse.append("core.labelled_commits", bad)
    except Exception as exc:  # duckdb.ConstraintException
        assert "foreign key" in str(exc).lower()
    else:
        raise AssertionError("a category outside the taxonomy was stored")


def test_materialized_partition_passes_the_coverage_check(instance, warehouse, add_commits, many_commits):
    from assets.label.assets import every_commit_labelled

    instance.add_dynamic_partitions("families", [FAMILY])
    add_commits(many_commits(8))
    result = dg.materialize([labelled_commits, every_commit_labelled], partition_key=FAMILY, instance=instance,
                            resources={"warehouse": warehouse})
    [check] = result.get_asset_check_evaluations()
    assert result.success and check.passed and check.metadata["missing"].value == 0
    add_commits(many_commits(2, start=8))  # ingest added commits the labels have not seen yet
    direct = every_commit_labelled(dg.build_asset_check_context(), warehouse=warehouse)
    assert not direct.passed and direct.metadata["missing"].value == 2
