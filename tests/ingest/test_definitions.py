"""The code location loads and the ingest stage's part of the asset graph is what other stages build on."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from orchestration.definitions import defs
from orchestration.partitions import FAMILIES
from orchestration.schedules import daily_family_refresh

INGEST_GRAPH = {
    # key: (upstream keys, partitions, pool): no pool, the remote work must not hold the writers' slot
    # (issue 12 item 3); writes queue on the warehouse's write lock instead
    "raw/hub_models": (set(), None, None),
    "raw/github_repos": ({"raw/hub_models"}, None, None),
    "core/families": ({"raw/hub_models", "raw/github_repos"}, None, None),
    "core/variants": ({"raw/hub_models", "raw/github_repos"}, None, None),
    "raw/commits": ({"core/families", "core/variants"}, "families", None),
}


def test_ingest_asset_graph_snapshot():
    graph = defs.resolve_asset_graph()
    found = {}
    for name in INGEST_GRAPH:
        key = dg.AssetKey(name.split("/"))
        node = graph.get(key)
        assets_def = defs.resolve_assets_def(key)
        partitions = node.partitions_def.name if isinstance(node.partitions_def, dg.DynamicPartitionsDefinition) else node.partitions_def
        (pool,) = {op.pool for op in assets_def.node_def.iterate_op_defs()}
        found[name] = ({p.to_user_string() for p in node.parent_keys}, partitions, pool)
        assert node.group_name == "ingest" and assets_def.descriptions_by_key[key]
    assert found == INGEST_GRAPH


def test_later_stages_read_commits_per_family():
    graph = defs.resolve_asset_graph()
    commits = dg.AssetKey(["raw", "commits"])
    for key in graph.get(commits).child_keys:
        assert graph.get(key).partitions_def in (FAMILIES, None)


def test_automation_is_on_by_default_and_targets_ingest_jobs():
    sensor = defs.resolve_sensor_def("family_discovery_sensor")
    schedule = defs.resolve_schedule_def("daily_family_refresh")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert {j.name for j in sensor.jobs} == {"discovery_job", "ingest_job"}
    ingest = defs.resolve_job_def("ingest_job")
    assert ingest.tags.get("hubscope/warehouse") == "write"
    assert ingest.partitions_def == FAMILIES


def test_daily_schedule_requests_one_run_per_known_family(instance):
    instance.add_dynamic_partitions(FAMILIES.name, ["b__y", "a__x"])
    ctx = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 3, 1, 4, tzinfo=UTC))
    requests = daily_family_refresh(ctx)
    assert [(r.partition_key, r.run_key) for r in requests] == [("a__x", "refresh-2026-03-01-a__x"), ("b__y", "refresh-2026-03-01-b__y")]
