"""Policies users rely on: every asset is documented and owned, LLM spending never runs by itself,
new commits flow through labels into the study tables, and automation is on by default."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.partitions import FAMILIES
from orchestration.policies import AUTOMATION_TAG, COST_TAG

GRAPH = defs.resolve_asset_graph()
NODES = list(GRAPH.asset_nodes)
STAGES = {"ingest", "label", "sync", "gems"}
RAW_COMMITS = dg.AssetKey(["raw", "commits"])


def test_every_asset_has_description_stage_group_kinds_owner_and_policy():
    assert NODES, "the code location has no assets"
    gaps = [
        n.key.to_user_string() for n in NODES
        if not (n.description and n.group_name in STAGES and n.kinds and n.owners and n.tags.get(AUTOMATION_TAG))
    ]
    assert not gaps, f"assets missing description/group/kinds/owners/policy: {gaps}"


def test_assets_that_spend_llm_tokens_are_never_automated():
    llm = [n for n in NODES if n.tags.get(COST_TAG) == "llm"]
    assert llm, "the label stage marks its LLM assets with hubscope/cost=llm"
    assert all(n.automation_condition is None for n in llm)


def test_gpu_evaluation_runs_on_demand_and_the_leaderboard_follows_it():
    gpu = [n for n in NODES if "pytorch" in n.kinds]
    assert gpu and all(n.automation_condition is None for n in gpu)
    leaderboard = GRAPH.get(dg.AssetKey(["out", "gem_leaderboard"]))
    assert leaderboard.automation_condition is not None


def test_sensors_and_schedules_are_running_by_default():
    repo = defs.get_repository_def()
    names = {s.name for s in repo.sensor_defs}
    assert {"hubscope_automation", "hubscope_read_snapshot", "family_discovery_sensor"} <= names
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in repo.sensor_defs)
    assert repo.schedule_defs and all(s.default_status == dg.DefaultScheduleStatus.RUNNING for s in repo.schedule_defs)


def test_asset_checks_guard_what_users_rely_on():
    checked = {key.asset_key.to_user_string() for key in GRAPH.asset_check_keys}
    assert "core/labelled_commits" in checked  # every commit labelled (label stage)
    assert "core/label_agreement" in checked  # agreement above threshold (label stage)


def _requested(result: dg.EvaluateAutomationConditionsResult) -> dict[str, set[str | None]]:
    return {
        n.key.to_user_string(): set(result.get_requested_partitions(n.key))
        for n in NODES if result.get_num_requested(n.key)
    }


@pytest.fixture
def family_instance(instance: dg.DagsterInstance) -> dg.DagsterInstance:
    """Discovery has run (its tables exist) and found two families; no commits yet."""
    instance.add_dynamic_partitions(FAMILIES.name, ["fam-a", "fam-b"])
    for node in NODES:
        if node.group_name == "ingest" and node.partitions_def is None:
            instance.report_runless_asset_event(dg.AssetMaterialization(node.key))
    return instance


def test_new_commits_flow_to_rules_labels_and_sync_then_study_tables(family_instance: dg.DagsterInstance):
    first = dg.evaluate_automation_conditions(defs=defs, instance=family_instance)
    assert not _requested(first), "nothing runs before any commits arrive"

    family_instance.report_runless_asset_event(dg.AssetMaterialization(RAW_COMMITS, partition="fam-a"))
    second = dg.evaluate_automation_conditions(defs=defs, instance=family_instance, cursor=first.cursor)
    requested = _requested(second)
    # one run for the family: its rules labels and its synchronization
    assert requested.get("core/labelled_commits") == {"fam-a"}
    assert requested.get("core/sync_families") == {"fam-a"}
    assert "core/llm_labelled_commits" not in requested  # new commits never spend tokens by themselves
    assert not any(k.startswith("out/") for k in requested), "study tables wait for the family's labels and sync"

    for key in ("labelled_commits", "sync_families"):
        family_instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey(["core", key]), partition="fam-a"))
    third = dg.evaluate_automation_conditions(defs=defs, instance=family_instance, cursor=second.cursor)
    study = set(_requested(third))
    # fam-b has no data yet: the study tables still follow fam-a instead of waiting for every family
    assert {"out/sync_rq1_shares", "out/sync_rq2_patterns"} <= study
    assert not study & {"core/labelled_commits", "core/sync_families"}, "handled updates are not requested twice"
    assert not any(k.startswith(("out/gem", "core/gem")) for k in study)


def test_study_tables_follow_llm_labels_when_they_land_but_never_wait_for_them(family_instance: dg.DagsterInstance):
    """The commit-category tables read LLM labels where they exist (core.commit_labels), so they
    depend on them; LLM labels run on demand only, so their absence must not hold the tables back."""
    shares, llm = dg.AssetKey(["out", "sync_rq1_shares"]), dg.AssetKey(["core", "llm_labelled_commits"])
    assert llm in GRAPH.get(shares).parent_keys
    first = dg.evaluate_automation_conditions(defs=defs, instance=family_instance)
    for key in (RAW_COMMITS, dg.AssetKey(["core", "labelled_commits"]), dg.AssetKey(["core", "sync_families"])):
        family_instance.report_runless_asset_event(dg.AssetMaterialization(key, partition="fam-a"))
    second = dg.evaluate_automation_conditions(defs=defs, instance=family_instance, cursor=first.cursor)
    done = set(_requested(second))
    assert "out/sync_rq1_shares" in done, "rules labels are enough: the LLM labels are not waited for"
    for key in done:
        family_instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey.from_user_string(key)))
    third = dg.evaluate_automation_conditions(defs=defs, instance=family_instance, cursor=second.cursor)
    assert "out/sync_rq1_shares" not in _requested(third)

    family_instance.report_runless_asset_event(dg.AssetMaterialization(llm, partition="fam-a"))  # asked for by a user
    fourth = dg.evaluate_automation_conditions(defs=defs, instance=family_instance, cursor=third.cursor)
    assert "out/sync_rq1_shares" in _requested(fourth)
