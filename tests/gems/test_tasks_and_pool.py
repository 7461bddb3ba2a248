"""Tasks (local files and Hub datasets through the real client) and pool discovery from the model tree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from huggingface_hub import HfApi

from assets.gems.pool import PoolFilters, apply_filters, walk_tree
from assets.gems.tasks import SHIPPED_TASK, load_hub_task, load_task_file, score
from localapi.server import LocalAPI


def test_shipped_task_has_stable_ids_independent_of_row_order(tmp_path: Path) -> None:
    task = load_task_file(SHIPPED_TASK, "add", "numeric")
    assert task.queries.height == 1000 and task.queries["query_id"].n_unique() == 1000
    shuffled = tmp_path / "shuffled.jsonl"
    lines = SHIPPED_TASK.read_text().splitlines()
    shuffled.write_text("\n".join(reversed(lines)) + "\n")
    again = load_task_file(shuffled, "add", "numeric")
    assert dict(zip(task.queries["prompt"], task.queries["query_id"])) == dict(zip(again.queries["prompt"], again.queries["query_id"]))


def test_parquet_with_ids_and_choices(tmp_path: Path) -> None:
    path = tmp_path / "mc.parquet"
    pl.DataFrame({"id": ["q1", "q2"], "prompt": ["2+2=", "3+3="], "reference": ["4", "6"],
                  "choices": [["3", "4"], ["6", "7"]]}).write_parquet(path)
    task = load_task_file(path, "mc", "choice")
    assert task.queries["query_id"].to_list() == ["q1", "q2"]


@pytest.mark.parametrize("content,message", [
    ('{"prompt": "1+1="}\n', "lacks column"),
    ("not json\n", "is not valid"),
    ("", "has no queries"),
])
def test_bad_task_files_name_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as err:
        load_task_file(path, "bad", "exact")
    assert "bad" in str(err.value)


@pytest.mark.parametrize("lines,message", [
    (['{"prompt": "1+1=", "reference": "2"}', '{"prompt": null, "reference": "3"}'], "line 2: 'prompt' is missing or null"),
    (['{"prompt": "1+1=", "reference": null}'], "line 1: 'reference' is missing or null"),
    (['{"prompt": "1+1=", "reference": "2"}', "", '{"prompt": "Q", "reference": "A", "choices": "A, B"}'],
     "line 3: 'choices' must be a list of strings, got 'A, B'"),
    (['{"prompt": "Q", "reference": "C", "choices": ["A", "B"]}'], "line 1: reference 'C' is not one of its choices"),
    (['{"prompt": "1+1=", "reference": "2"}', '{"prompt": "2+2=", "reference": "4"'], "line 2: Expecting ',' delimiter"),
    (['["1+1=", "2"]'], "line 1: expected a JSON object, got list"),
])
def test_bad_rows_are_rejected_naming_the_file_line_and_problem(tmp_path: Path, lines: list[str], message: str) -> None:
    path = tmp_path / "task.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError) as err:
        load_task_file(path, "t", "choice")
    assert str(path) in str(err.value) and message in str(err.value)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes("\ufeff".encode() + b'{"prompt": "1+1=", "reference": "2"}\n{"prompt": "2+2=", "reference": 4}\n')
    task = load_task_file(path, "t", "numeric")
    assert task.queries["prompt"].to_list() == ["1+1=", "2+2="] and task.queries["reference"].to_list() == ["2", "4"]


def test_scorers() -> None:
    assert score("numeric", " 82<eos>", "82") and not score("numeric", "821", "82") and not score("numeric", "", "82")
    assert score("exact", "  Paris. ", "paris") and not score("exact", "Lyon", "paris")


def test_task_from_a_hub_dataset_through_the_real_client(family_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "hub" / "datasets" / "hubscope" / "adder-eval" / "files" / "data").mkdir(parents=True)
    shutil.copy(SHIPPED_TASK, data / "hub" / "datasets" / "hubscope" / "adder-eval" / "files" / "data" / "test.jsonl")
    with LocalAPI(data) as api:
        info = HfApi(endpoint=api.hf_endpoint, token=False).dataset_info("hubscope/adder-eval")
        assert [s.rfilename for s in info.siblings] == ["data/test.jsonl"]
        task = load_hub_task("hubscope/adder-eval", "data/test.jsonl", "add", "numeric", endpoint=api.hf_endpoint)
        assert task.queries.height == 1000
        assert api.count("hub_files.dataset_resolve") >= 1


def _add_model(data: Path, repo_id: str, parent: str, relation: str, **extra) -> None:
    folder = data / "hub" / "models" / repo_id
    folder.mkdir(parents=True)
    base = json.loads((data / "hub" / "models" / parent / "info.json").read_text())
    info = {**base, "id": repo_id, "modelId": repo_id, "downloads": 5,
            "tags": ["transformers", f"base_model:{parent}", f"base_model:{relation}:{parent}"],
            "cardData": {"base_model": parent, "license": "mit"}, **extra}
    (folder / "info.json").write_text(json.dumps(info))


def test_pool_walks_the_tree_recursively_and_filters_by_configuration(family_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(family_dir / "hub" / "models", data / "hub" / "models", ignore=shutil.ignore_patterns("files"))
    _add_model(data, "qq/tiny-adder-int4", "hubscope/tiny-adder", "quantized")
    _add_model(data, "gg/tiny-adder-gated", "hubscope/tiny-adder", "finetune", gated="manual")
    _add_model(data, "xx/tiny-adder-llama", "carol/tiny-adder-pro", "finetune", config={"architectures": ["LlamaForCausalLM"]})
    with LocalAPI(data) as api:
        rows = walk_tree(HfApi(endpoint=api.hf_endpoint, token=False), "hubscope/tiny-adder")
    by_id = {r["repo_id"]: r for r in rows}
    assert rows[0]["repo_id"] == "hubscope/tiny-adder" and rows[0]["relation"] == "base"
    assert by_id["erin/tiny-adder-sft-v2"]["depth"] == 2 and by_id["erin/tiny-adder-sft-v2"]["parent"] == "bob/tiny-adder-math"
    assert by_id["xx/tiny-adder-llama"]["depth"] == 2
    assert by_id["qq/tiny-adder-int4"]["relation"] == "quantized"
    assert by_id["carol/tiny-adder-pro"]["downloads"] == 37 and by_id["carol/tiny-adder-pro"]["parameters"] > 0
    verdict = {r["repo_id"]: r["excluded_reason"] for r in apply_filters(rows, PoolFilters())}
    assert verdict["qq/tiny-adder-int4"] == "quantized"
    assert verdict["gg/tiny-adder-gated"].startswith("gated")
    assert "architecture" in verdict["xx/tiny-adder-llama"]
    assert verdict["carol/tiny-adder-pro"] is None
    relaxed = {r["repo_id"]: r["included"] for r in apply_filters(rows, PoolFilters(exclude_quantized=False, exclude_gated=False, same_architecture=False))}
    assert all(relaxed.values())
    strict = {r["repo_id"]: r["included"] for r in apply_filters(rows, PoolFilters(min_card_fields=5))}
    assert not strict["carol/tiny-adder-pro"]


def test_publishing_the_family_again_is_a_cached_no_op(family_dir: Path) -> None:
    from assets.gems.tiny_family import publish_tiny_family
    from tests.gems.conftest import TEST_FAMILY

    info = family_dir / "hub" / "models" / "carol" / "tiny-adder-pro" / "info.json"
    before = (info.read_text(), info.stat().st_mtime_ns)
    ids = publish_tiny_family(family_dir, family=TEST_FAMILY)
    assert (info.read_text(), info.stat().st_mtime_ns) == before
    assert ids[0] == "hubscope/tiny-adder" and "oscar/tiny-adder-empty" in ids
    tags = json.loads((family_dir / "hub" / "models" / "erin" / "tiny-adder-sft-v2" / "info.json").read_text())["tags"]
    assert "base_model:finetune:bob/tiny-adder-math" in tags
