"""The README's first command: the offline demo ends with a populated warehouse and a summary."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.demo import EXTRA_STEPS, run_demo
from orchestration.mode import offline_sample
from orchestration.policies import COST_TAG
from orchestration.warehouse import ROOT, Warehouse

DEMO_ENV = ("HF_ENDPOINT", "GITHUB_API_URL", "GITHUB_SERVER_URL", "OPENAI_BASE_URL", "HUBSCOPE_DB", "HUBSCOPE_GIT_CACHE",
            "DAGSTER_HOME", "HUBSCOPE_LLM_MODEL")
LLM_KEYS = {n.key for n in defs.resolve_asset_graph().asset_nodes if n.tags.get(COST_TAG) == "llm"}


def test_offline_demo_fills_every_stage_and_prints_the_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    for name in DEMO_ENV:  # the demo points the process at its server and instance: restore them afterwards
        monkeypatch.setenv(name, "unset-by-test")
    monkeypatch.setenv("HUBSCOPE_DB", str(tmp_path / "hubscope.duckdb"))
    monkeypatch.setenv("HUBSCOPE_GIT_CACHE", str(tmp_path / "git"))
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # a user's paid API: the demo must never call it
    monkeypatch.setenv("HUBSCOPE_LLM_MODEL", "gpt-4o-mini")  # nor name the local stand-in after it
    home = tmp_path / "dagster_home"
    home.mkdir()
    hand_edited = (ROOT / "dagster.yaml").read_text() + "\n# hand-edited: kept\n"
    (home / "dagster.yaml").write_text(hand_edited)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    agreement = [step for step in EXTRA_STEPS if step.__name__ == "_agreement_step"]  # gems: tests/gems

    assert run_demo(tmp_path, steps=agreement) == 0

    out = capsys.readouterr().out
    wh = Warehouse(database=str(tmp_path / "hubscope.duckdb"))
    per_platform = dict(wh.query("select platform, count(*) from raw.commits group by 1").rows())
    assert set(per_platform) == {"github", "hub"} and min(per_platform.values()) > 0
    assert f"github {per_platform['github']:,}" in out and f"hub {per_platform['hub']:,}" in out
    unlabelled = wh.query("select count(*) from raw.commits c anti join core.commit_labels l "
                          "using (family_key, platform, repo, sha)").item()
    assert unlabelled == 0, "every commit of every sample family has a label"
    classified = wh.query("select count(*) from core.sync_families where status = 'ok'").item()
    assert classified > 0 and wh.query("select sum(n_families) from out.sync_rq2_patterns").item() == classified
    assert "rules on github" in out and "rules on hub" in out  # the agreement step ran and reported kappa
    # the local server answers with the rules: it is named as the stand-in it is, never as a real model
    assert "llm:local-standin-rules on github" in out and "gpt-4o-mini" not in out
    assert set(wh.query("select distinct labeller from core.gold_predictions")["labeller"]) == {"rules", "llm:local-standin-rules"}
    # the README's next commands keep using the sample: the instance is left in offline mode
    assert offline_sample(home) == (tmp_path / "localapi").resolve() and "mode: offline" in out
    assert (tmp_path / "hubscope-read.duckdb").is_file() and "hubscope-read.duckdb" in out
    assert (home / "dagster.yaml").read_text() == hand_edited  # `make ui` opens this instance, config untouched
    with dg.DagsterInstance.from_config(str(home)) as instance:
        spent = [k.to_user_string() for k in instance.get_asset_keys() if k in LLM_KEYS]
    assert spent == ["core/label_agreement"], "only the gold-set agreement asks an LLM, and only the local server"
