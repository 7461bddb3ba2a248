"""The taxonomy's single source, Cohen's kappa against hand-computed values, the gold set and the check."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from assets.label.agreement import cohen_kappa, confusion_markdown
from assets.label.assets import kappa_meets_threshold, label_agreement
from assets.label.gold import load_gold
from assets.label import llm
from assets.label.llm import prompt_version, response_format, system_prompt
from assets.label.taxonomy import TAXONOMY_PATH, load_taxonomy, parse_taxonomy
from orchestration.resources import LLMResource


PAPER_CATEGORIES = {  # PAPERS.md section 1, as published
    "add dependency", "external documentation", "input data", "internal documentation", "model structure",
    "output data", "parameter tuning", "pipeline performance", "preprocessing", "project metadata",
    "remove dependency", "sharing", "training infrastructure", "update dependency", "validation infrastructure",
}
PAPER_OTHER_LABELS = {"bug fix", "unclear", "uncategorized", "add model"}


def test_taxonomy_is_the_papers_15_categories_and_its_4_other_labels(warehouse):
    tax = load_taxonomy()
    names = {c.name: c for c in tax.categories}
    assert set(names) == PAPER_CATEGORIES | PAPER_OTHER_LABELS and len(tax.categories) == 19
    assert {n for n, c in names.items() if c.is_category} == PAPER_CATEGORIES
    assert all(c.key == c.name.replace(" ", "_") for c in tax.categories)  # the sync stage's contract
    assert set(tax.category_keys) == {n.replace(" ", "_") for n in PAPER_CATEGORIES}
    stored = warehouse.query("select key, name, is_category from core.taxonomy order by position")
    assert stored["key"].to_list() == list(tax.keys)
    assert set(stored.filter(stored["is_category"])["name"]) == PAPER_CATEGORIES
    assert set(stored.filter(~stored["is_category"])["name"]) == PAPER_OTHER_LABELS


def test_taxonomy_read_by_prompt_schema_and_warehouse(warehouse):
    tax = load_taxonomy()
    assert response_format(tax)["json_schema"]["schema"]["properties"]["labels"]["items"]["properties"]["category"][
        "enum"
    ] == list(tax.keys)
    prompt = system_prompt(tax)
    assert all(f"- {c.key}: {c.definition}" in prompt for c in tax.categories)
    assert all(json.dumps(e, ensure_ascii=False) in prompt for c in tax.categories for e in c.examples)


def test_bad_taxonomy_file_is_a_clear_error():
    data = json.loads(TAXONOMY_PATH.read_text())
    data["categories"].append(dict(data["categories"][0]))
    with pytest.raises(ValueError, match="duplicate category keys"):
        parse_taxonomy(json.dumps(data))
    data = json.loads(TAXONOMY_PATH.read_text())
    data["fallback"]["hub"] = "docs"
    with pytest.raises(ValueError, match="fallback"):
        parse_taxonomy(json.dumps(data))
    data = json.loads(TAXONOMY_PATH.read_text())
    del data["fallback"]["merge"]
    with pytest.raises(ValueError, match="fallback must name a label for each of github, hub, merge"):
        parse_taxonomy(json.dumps(data))
    data = json.loads(TAXONOMY_PATH.read_text())
    data["categories"][0]["name"] = "Add dependency"
    with pytest.raises(ValueError, match="add_dependency: name must be the key with spaces, 'add dependency'"):
        parse_taxonomy(json.dumps(data))
    data = json.loads(TAXONOMY_PATH.read_text())
    del data["categories"][1]["is_category"]
    with pytest.raises(ValueError, match="external_documentation: is_category must be true or false, got None"):
        parse_taxonomy(json.dumps(data))


def _edited_taxonomy(edit) -> object:
    data = json.loads(TAXONOMY_PATH.read_text())
    edit(data)
    return parse_taxonomy(json.dumps(data))


def test_prompt_version_changes_exactly_when_what_is_sent_changes(monkeypatch):
    base = prompt_version(load_taxonomy())
    assert base.startswith("p-t2-")  # the taxonomy version leads: labels of t1 never share a cache key
    # never sent to the LLM: rules patterns, weights and the fallback block
    unsent = _edited_taxonomy(lambda d: d["categories"][0].update(message_patterns=["\\bnew\\b"], weight=2.0))
    assert prompt_version(unsent) == base
    assert prompt_version(_edited_taxonomy(lambda d: d["fallback"].update(hub="bug_fix"))) == base
    # sent: a definition, an example, the instructions, the response schema
    assert prompt_version(_edited_taxonomy(lambda d: d["categories"][0].update(definition="Other."))) != base
    assert prompt_version(_edited_taxonomy(lambda d: d["categories"][0]["examples"].append("x"))) != base
    with monkeypatch.context() as m:
        m.setattr(llm, "SYSTEM_PROMPT", llm.SYSTEM_PROMPT + " Be brief.")
        assert prompt_version(load_taxonomy()) != base
    with monkeypatch.context() as m:
        m.setattr(llm, "response_format", lambda tax: {"type": "json_object"})
        assert prompt_version(load_taxonomy()) != base


def test_kappa_hand_computed_two_classes():
    # 50 items: both yes 20, rater A yes/B no 5, A no/B yes 10, both no 15.
    # p_o = 35/50 = 0.7; p_e = (25*30 + 25*20) / 2500 = 0.5; kappa = 0.2 / 0.5 = 0.4
    gold = ["yes"] * 25 + ["no"] * 25
    pred = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(gold, pred) == pytest.approx(0.4)


def test_kappa_hand_computed_three_classes_and_abstentions():
    # p_o = 7/10; marginals gold A4 B3 C3, predicted A4 B3 C3: p_e = (16+9+9)/100 = 0.34
    # kappa = (0.7 - 0.34) / 0.66 = 6/11
    gold = list("AAAABBBCCC")
    pred = list("AAABBBCCCA")
    assert cohen_kappa(gold, pred) == pytest.approx(6 / 11)
    # an unlabelled answer is its own class: p_o = 1/2, p_e = 1/4, kappa = 1/3
    assert cohen_kappa(["A", "B"], ["A", None]) == pytest.approx(1 / 3)
    assert cohen_kappa(["A", "B"], ["B", "A"]) == pytest.approx(-1.0)
    assert cohen_kappa(["A", "A"], ["A", "A"]) == 1.0
    with pytest.raises(ValueError):
        cohen_kappa(["A"], [])


def test_confusion_matrix_counts_cells():
    table = confusion_markdown(list("AAB"), ["A", "B", None], ["A", "B"])
    lines = table.splitlines()
    assert lines[0] == "| gold \\ predicted | `A` | `B` | `(none)` |"
    assert lines[2] == "| `A` | 1 | 1 | . |" and lines[3] == "| `B` | . | . | 1 |"


def test_gold_set_covers_every_label_on_both_platforms():
    gold = load_gold()
    assert 150 <= gold.height <= 250
    pairs = set(zip(gold["category"], gold["platform"], strict=True))
    assert pairs == {(k, p) for k in load_taxonomy().keys for p in ("github", "hub")}  # 15 categories + 4 labels


def test_bad_gold_row_names_file_and_line(tmp_path: Path):
    bad = tmp_path / "gold.csv"
    bad.write_text("gold_id,platform,category,title,message,files\ng1,hub,external_documentation,Update README.md,,README.md\n"
                   "g2,gitlab,bug_fix,Fix,,\n")
    with pytest.raises(ValueError, match=r"gold.csv, line 3: platform 'gitlab'"):
        load_gold(bad)


def _materialize(instance, warehouse, llm, threshold):
    return dg.materialize(
        [label_agreement, kappa_meets_threshold],
        instance=instance,
        resources={"warehouse": warehouse, "llm": llm},
        run_config={"ops": {
            "core__label_agreement": {"config": {"max_retries": 0, "timeout_s": 5.0}},
            "core__label_agreement_kappa_meets_threshold": {"config": {"threshold": threshold}},
        }},
        raise_on_error=False,
    )


def test_agreement_check_passes_and_fails_on_the_threshold(instance, warehouse):
    result = _materialize(instance, warehouse, LLMResource(base_url=None), 0.5)
    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert check.passed
    assert "confusion rules github" in check.metadata and "confusion rules hub" in check.metadata
    kappas = warehouse.query("select count(*) n from core.gold_predictions where labeller = 'rules'")
    assert kappas["n"][0] == load_gold().height
    [check] = _materialize(instance, warehouse, LLMResource(base_url=None), 0.99).get_asset_check_evaluations()
    assert not check.passed and "below 0.99" in check.description


def test_agreement_includes_the_llm_when_configured(instance, warehouse, llm, api):
    result = _materialize(instance, warehouse, llm, 0.5)
    assert result.success
    labellers = set(warehouse.query("select distinct labeller from core.gold_predictions")["labeller"])
    assert labellers == {"rules", "llm:test-model"}
    requests = api.count("openai.chat")
    assert 0 < requests <= -(-load_gold().height // 20)
    api.reset()
    _materialize(instance, warehouse, llm, 0.5)
    assert api.count("openai") == 0


def test_agreement_fails_without_replacing_when_the_llm_is_down(instance, warehouse, llm, api):
    assert _materialize(instance, warehouse, LLMResource(base_url=None), 0.5).success
    api.inject(route="openai.chat", status=503, times=-1)
    failing = LLMResource(base_url=llm.base_url, model="down-model", api_key=llm.api_key)
    result = _materialize(instance, warehouse, failing, 0.5)
    assert not result.success
    labellers = set(warehouse.query("select distinct labeller from core.gold_predictions")["labeller"])
    assert labellers == {"rules"}


@pytest.mark.parametrize(("row", "problem"), [("g2,hub,bug_fix", "expected 6 fields, got fewer"),
                                              ("g2,hub,bug_fix,Fix,,,extra", "expected 6 fields, got more")])
def test_gold_row_with_missing_or_extra_fields_names_file_and_line(tmp_path: Path, row: str, problem: str):
    bad = tmp_path / "gold.csv"
    bad.write_text(f"gold_id,platform,category,title,message,files\n{row}\n")
    with pytest.raises(ValueError, match=rf"gold.csv, line 2: {problem}"):
        load_gold(bad)
