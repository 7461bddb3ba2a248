"""The command line a user runs: materialize a family with progress, add a family, backfill, bad input."""

from __future__ import annotations

import functools
import subprocess
import sys

import dagster as dg
import duckdb
import pytest

from orchestration import cli, snapshot
from orchestration.definitions import defs
from orchestration.partitions import FAMILIES
from orchestration.resources import GitHubResource, HubResource
from orchestration.runner import add_family, plan_selection, resolve_partition_keys
from orchestration.warehouse import Warehouse
from tests.ops.conftest import FAMILY, Home


def test_materialize_a_family_shows_progress_and_lands_in_the_instance_and_snapshot(cli_home: Home):
    out = cli_home.outputs["family"]
    assert f"[1/1] {FAMILY}" in out
    for line in ("started raw__commits", "materialized raw/commits", "materialized core/labelled_commits",
                 "check every_commit_labelled: passed", "materialized out/sync_rq2_patterns"):
        assert line in out, f"progress line {line!r} missing:\n{out}"
    families = Warehouse(database=str(cli_home.database)).query("select count(*) from core.families").item()
    assert families >= 7 and f"{families} new family partition(s)" in cli_home.outputs["discovery"]

    with cli_home.instance() as instance:
        assert FAMILY in instance.get_dynamic_partitions(FAMILIES.name)
        event = instance.get_latest_materialization_event(dg.AssetKey(["core", "labelled_commits"]))
        assert event and event.dagster_event.partition == FAMILY
    con = duckdb.connect(str(cli_home.root / "hubscope-read.duckdb"), read_only=True)
    try:
        labelled = con.execute("select count(*) from commits_with_labels where family_key = ? and category is not null",
                               [FAMILY]).fetchone()[0]
        total = con.execute("select count(*) from commits where family_key = ?", [FAMILY]).fetchone()[0]
    finally:
        con.close()
    assert total > 100 and labelled == total


def test_unknown_family_and_bad_selection_get_clear_errors(cli_home: Home, instance: dg.DagsterInstance):
    unknown = cli_home.cli("materialize", "--family", "nobody/nothing")
    assert unknown.returncode == 2 and "'nobody/nothing' is unknown" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    with pytest.raises(ValueError, match="matches no asset"):
        plan_selection(defs, "key:no/such_asset", None, [])
    with pytest.raises(ValueError, match="give --family"):
        plan_selection(defs, "group:label", None, [])
    with pytest.raises(ValueError, match="no families partitions in this instance yet"):
        resolve_partition_keys(instance, FAMILIES, [], all_keys=True)


def test_default_plan_runs_family_assets_then_study_tables_and_never_llm():
    plan = plan_selection(defs, None, FAMILIES, ["f"])
    names = {k.to_user_string() for k in plan.partitioned}
    graph = defs.resolve_asset_graph()
    sync_per_family = {n.key.to_user_string() for n in graph.asset_nodes if n.group_name == "sync" and n.partitions_def == FAMILIES}
    assert {"raw/commits", "core/labelled_commits"} <= names and sync_per_family and sync_per_family <= names
    assert "core/llm_labelled_commits" not in names
    study = {n.key.to_user_string() for n in graph.asset_nodes if n.key.path[0] == "out" and n.group_name == "sync"}
    assert study and study <= {k.to_user_string() for k in plan.unpartitioned}, "the study tables follow the families"
    assert not plan.first
    explicit = plan_selection(defs, "tag:hubscope/cost=llm", FAMILIES, ["f"])  # asked for by name: allowed
    assert "core/llm_labelled_commits" in {k.to_user_string() for k in explicit.partitioned}


def test_add_family_registers_partition_and_rows_and_rejects_bad_names(warehouse: Warehouse, instance: dg.DagsterInstance):
    family = add_family(warehouse, instance, "Some-Org/Odd.Model_v2", ["some-org/odd-model-7b", "some-org/odd-model-7b"])
    assert family.hub_variants == ("some-org/odd-model-7b",)
    assert instance.has_dynamic_partition(FAMILIES.name, family.family_key)
    assert warehouse.query("select github_repo from core.families where family_key = ?", [family.family_key]).item() == "Some-Org/Odd.Model_v2"
    assert warehouse.query("select count(*) from core.manual_families").item() == 1
    before = warehouse.query("select * from core.families")
    # names follow GitHub's and the Hub's own rules (assets.ingest.links.check_repo_name, shared with ingest)
    for repo, hub, message in [("not-a-repo", ["a/b"], "'not-a-repo' is not a valid owner/repo name"),
                               ("a/b c", ["a/b"], "'a/b c' is not a valid owner/repo name"),
                               ("a/b/c", ["a/b"], "'a/b/c' is not a valid owner/repo name"),
                               ("../etc", ["a/b"], "GitHub repository '../etc' is not a valid"),
                               ("a/b", ["../passwd"], "Hub model id '../passwd' is not valid"),
                               ("a/b", ["a--b/c"], "Hub model id 'a--b/c' is not valid"),
                               ("a/b", [], "at least one Hub variant")]:
        with pytest.raises(ValueError, match=message):
            add_family(warehouse, instance, repo, hub)
    assert warehouse.query("select * from core.families").equals(before), "a rejected family changes nothing"


def test_add_family_asks_both_platforms_that_the_repositories_exist(local_api, warehouse: Warehouse, instance: dg.DagsterInstance,
                                                                    cli_home: Home):
    hub = HubResource(endpoint=local_api.hf_endpoint)
    github = GitHubResource(api_url=local_api.github_api, server_url=local_api.github_git, seconds_between_requests=0)
    # the sample's small-lab/tiny-bert is a Hub model with no GitHub repository of that name
    with pytest.raises(ValueError, match=f"GitHub repository 'small-lab/tiny-bert' does not exist at {local_api.github_api}"):
        add_family(warehouse, instance, "small-lab/tiny-bert", ["small-lab/tiny-bert"], hub=hub, github=github)
    with pytest.raises(ValueError, match=f"Hub model 'indolab/no-such-model' does not exist at {local_api.hf_endpoint}"):
        add_family(warehouse, instance, "indolab/indobert-lite", ["indolab/indobert-lite-base", "indolab/no-such-model"], hub=hub, github=github)
    assert warehouse.query("select count(*) from core.families").item() == 0, "nothing written for a missing repository"
    family = add_family(warehouse, instance, "indolab/indobert-lite", ["indolab/indobert-lite-base"], hub=hub, github=github)
    assert family.family_key == "indolab__indobert-lite"

    refused = cli_home.cli("add-family", "small-lab/tiny-bert", "--hub", "small-lab/tiny-bert")
    assert refused.returncode == 2 and "GitHub repository 'small-lab/tiny-bert' does not exist" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr


def test_backfill_runs_every_known_family(cli_home: Home):
    # rules labels for every known family (most have no commits yet: their runs succeed with nothing to label)
    families = Warehouse(database=str(cli_home.database)).query("select count(*) from core.families").item()
    result = cli_home.cli("backfill", "--select", "key:core/labelled_commits")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"[{families}/{families}]" in result.stdout


def test_every_materialization_reports_row_count_and_preview(cli_home: Home):
    with cli_home.instance() as instance:
        keys = instance.get_asset_keys()
        assert len(keys) >= 10
        lacking = []
        for key in keys:
            event = instance.get_latest_materialization_event(key)
            metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
            rows = metadata.get("dagster/row_count")
            if event and (rows is None or (rows.value and "preview" not in metadata)):
                lacking.append(key.to_user_string())
    # an empty partition (e.g. a family with no commits yet) has nothing to preview
    assert not lacking, f"materializations without dagster/row_count, or rows without a preview: {lacking}"


def test_backfill_takes_its_partition_set_from_the_selection(cli_home: Home):
    # gems assets are partitioned by base model: no --base-model needed, and none is known in this home yet
    result = cli_home.cli("backfill", "--select", "key:out/gem_leaderboard")
    assert result.returncode == 2 and "no base_models partitions in this instance yet" in result.stderr, result.stderr
    with pytest.raises(ValueError, match="give --base-model KEY$"):  # materialize has no --all to point at
        plan_selection(defs, "key:out/gem_leaderboard", None, [])


def test_a_snapshot_blocked_by_a_writer_is_reported_not_raised(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, capsys):
    warehouse.query("select 1")  # the file exists, with its schema
    writer = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('open', flush=True); time.sleep(600)", warehouse.database], stdout=subprocess.PIPE, text=True)
    monkeypatch.setattr(snapshot, "refresh_snapshot", functools.partial(snapshot.refresh_snapshot, wait_s=0.5))
    try:
        assert writer.stdout.readline().strip() == "open"
        assert cli._snapshot(warehouse.database) is False
    finally:
        writer.kill()
        writer.wait()
    assert "warehouse busy: snapshot not refreshed" in capsys.readouterr().err
