"""SQL asset checks: per-partition where partitioned, in the duckdb pool, reading without the write lock."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import dagster as dg
import polars as pl

from assets.ingest.assets import COMMITS
from assets.ingest.checks import no_duplicate_commits
from orchestration.definitions import defs
from orchestration.partitions import FAMILIES
from orchestration.warehouse import Warehouse
from tests.check_runs import partition_check_passes


def _commits(family: str, repo: str, shas: list[str]) -> pl.DataFrame:
    n = len(shas)
    return pl.DataFrame({"family_key": [family] * n, "platform": ["github"] * n, "repo": [repo] * n, "sha": shas,
                         "fetched_at": [datetime(2026, 1, 1, tzinfo=UTC)] * n})


def _check_passes(warehouse: Warehouse, instance: dg.DagsterInstance, family: str) -> bool:
    return partition_check_passes(no_duplicate_commits, COMMITS, FAMILIES, warehouse, instance, family)


def test_duplicate_commits_fail_only_their_own_family(warehouse: Warehouse, instance: dg.DagsterInstance):
    instance.add_dynamic_partitions(FAMILIES.name, ["a__renamed", "b__clean"])
    warehouse.append("raw.commits", _commits("a__renamed", "a/old-name", ["s1", "s2"]))
    warehouse.append("raw.commits", _commits("a__renamed", "a/new-name", ["s1", "s2"]))
    warehouse.append("raw.commits", _commits("b__clean", "b/clean", ["s3"]))
    assert not _check_passes(warehouse, instance, "a__renamed")
    assert _check_passes(warehouse, instance, "b__clean")


def test_every_check_that_reads_the_warehouse_runs_in_the_duckdb_pool():
    readers = [c for c in defs.asset_checks or [] if "warehouse" in c.required_resource_keys]
    names = {c.node_def.name for c in readers}
    # one per stage at least: ingest's duplicate check, label's, sync's, the gems budget
    assert {"raw__commits_no_duplicate_commits", "core__labelled_commits_every_commit_labelled",
            "core__gem_search_search_within_budget"} <= names and any("sync" in n for n in names), names
    assert {c.node_def.name: c.node_def.pool for c in readers} == {name: "duckdb" for name in names}


def test_a_check_reads_while_another_process_reads_the_warehouse(warehouse: Warehouse, instance: dg.DagsterInstance):
    """A check's read-only connection shares the file with other readers (the snapshot, the sensor)."""
    instance.add_dynamic_partitions(FAMILIES.name, ["b__clean"])
    warehouse.append("raw.commits", _commits("b__clean", "b/clean", ["s3"]))
    reader = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
                               "print('open', flush=True); time.sleep(600)", warehouse.database], stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "open"
        assert _check_passes(warehouse, instance, "b__clean")
    finally:
        reader.kill()
        reader.wait()
