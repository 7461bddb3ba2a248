"""The DuckLake warehouse: the same DDL and the same Warehouse calls as the file, a catalog in a throwaway
PostgreSQL, concurrent writers in separate processes, the DDL's constraints as blocking checks on both
backends, and the analysts' `duckdb` shell reading it read-only, at the latest and at an earlier version."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config

from assets.label.assets import label_agreement
from orchestration.constraints import constraint_checks
from orchestration.lake import WarehouseConfigError
from orchestration.partitions import FAMILIES
from orchestration.resources import LLMResource, warehouse_from_env
from orchestration.sensors import read_family_keys
from orchestration.snapshot import read_snapshot_sensor
from orchestration.warehouse import ROOT, Warehouse
from tests.services import Postgres, lake, lake_env, lake_warehouse, postgres  # noqa: F401  (fixtures)

DUCKDB_SHELL = Path(sys.executable).with_name("duckdb")
EXTENSIONS = ROOT / ".venv/lib/python3.11/site-packages/duckdb_ext/extensions"
AT = "2026-01-01T00:00:00Z"


def families(keys: list[str], repo: str = "o/r") -> pl.DataFrame:
    return pl.DataFrame({"family_key": keys, "github_repo": [repo] * len(keys), "n_variants": [1] * len(keys)}).with_columns(
        first_seen=pl.lit(AT).str.to_datetime(time_zone="UTC"))


def variants(family: str, repos: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"family_key": [family] * len(repos), "repo_id": repos})


def test_the_lake_is_made_from_the_same_ddl_without_its_constraints(lake: Warehouse):
    assert lake.is_lake
    columns = lake.query("select column_name, data_type, is_nullable from duckdb_columns() "
                         "where database_name = 'lake' and schema_name = 'raw' and table_name = 'commits'")
    by_name = {r["column_name"]: r for r in columns.iter_rows(named=True)}
    # declared in sql/ddl/010_ingest.sql: the key columns NOT NULL, a column and a struct field added by ALTER
    assert by_name["sha"]["is_nullable"] is False and by_name["title"]["is_nullable"] is True
    assert by_name["author_tz_offset"]["data_type"] == "SMALLINT"
    assert by_name["files"]["data_type"].endswith("old_path VARCHAR)[]")
    assert lake.query("select count(*) from duckdb_constraints() where database_name = 'lake' "
                      "and constraint_type <> 'NOT NULL'").item() == 0
    # rows the DDL seeds: taxonomy.json has 19 labels, 15 of them categories; the views answer
    assert lake.query("select count(*), count(*) filter (where is_category) from main.taxonomy").row(0) == (19, 15)
    assert lake.query("select count(*) from main.commits_with_labels").item() == 0
    with pytest.raises(duckdb.ConstraintException):  # NOT NULL is the one constraint DuckLake enforces
        lake.replace("core.families", {}, families(["f"]).with_columns(github_repo=pl.lit(None, pl.String)))


def test_replace_on_the_lake_is_one_transaction(lake: Warehouse):
    lake.replace_many({"family_key": "f"}, {"core.families": families(["f"]), "core.variants": variants("f", ["a/x", "a/y"])})
    # the second table's frame has a column the DDL lacks: the whole write fails after the first table was replaced
    with pytest.raises(duckdb.BinderException):
        lake.replace_many({"family_key": "f"}, {"core.families": families(["f"], repo="o/new"),
                                                "core.variants": variants("f", ["a/z"]).with_columns(bogus=pl.lit(1))})
    assert lake.query("select github_repo from core.families").to_series().to_list() == ["o/r"]
    assert sorted(lake.query("select repo_id from core.variants")["repo_id"]) == ["a/x", "a/y"]


def test_append_on_the_lake_skips_rows_whose_key_exists(lake: Warehouse):
    assert lake.append("core.variants", variants("f", ["a/x", "a/y", "a/x"])) == 2  # a/x twice in one frame: once
    assert lake.append("core.variants", variants("f", ["a/y", "a/z"])) == 1
    assert sorted(lake.query("select repo_id from core.variants")["repo_id"]) == ["a/x", "a/y", "a/z"]


WRITER = """
import os, sys, time
from pathlib import Path
import polars as pl
from orchestration.warehouse import Warehouse, insert_frame

family, rounds, start = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
wh = Warehouse(database=os.environ["HUBSCOPE_WAREHOUSE"], data_path=os.environ["HUBSCOPE_LAKE_DATA_PATH"])
wh.query("select 1")  # attaches the lake and finds its schema level
print("ready", flush=True)
def frame(generation):  # generation g: g + 1 rows, all naming g
    return pl.DataFrame({"family_key": [family] * (generation + 1), "repo_id": [f"g{generation}/r{i}" for i in range(generation + 1)]})
def first(con):  # every writer deletes from the one seed file and waits: all but one commit conflicts
    con.execute("delete from core.variants where family_key = ?", [family])
    insert_frame(con, "core.variants", frame(1))
    time.sleep(0.5)
while not start.exists():
    time.sleep(0.01)
wh.run_transaction(first, f"first write of {family}")
for generation in range(2, rounds + 1):
    wh.replace("core.variants", {"family_key": family}, frame(generation))
"""


def test_writers_in_separate_processes_all_land_and_readers_see_whole_partitions(lake: Warehouse, tmp_path: Path):
    keys, rounds = ["f0", "f1", "f2"], 3
    # one seed write holding every family: their first deletes all touch that one Parquet file
    lake.append("core.variants", pl.concat([variants(k, ["g0/r0"]) for k in keys]))
    snapshots = "select count(*) from lake.snapshots()"
    before = lake.query(snapshots).item()
    start = tmp_path / "go"
    env = {**os.environ, **lake_env(lake)}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, key, str(rounds), str(start)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for key in keys]
    seen: set[tuple[str, int]] = set()
    try:
        assert [w.stdout.readline().strip() for w in writers] == ["ready"] * len(keys)
        assert lake.query(snapshots).item() == before, "new processes found the lake level: no schema snapshot"
        start.touch()
        while any(w.poll() is None for w in writers):
            rows = lake.query("select family_key, repo_id from core.variants", read_only=True)
            for (family,), group in rows.group_by("family_key"):
                generations = {r.split("/")[0] for r in group["repo_id"]}
                assert len(generations) == 1, f"{family}: rows of two writes at once {sorted(group['repo_id'])}"
                g = int(generations.pop()[1:])
                assert group.height == g + 1, f"{family}: half of write {g} visible ({group.height} rows)"
                seen.add((family, g))
            time.sleep(0.05)  # leave the two cores to the writers between reads
        outputs = [w.communicate(timeout=60) for w in writers]
    finally:
        for w in writers:
            w.kill()
    assert all(w.returncode == 0 for w in writers), [err[-2000:] for _, err in outputs]
    final = lake.query("select family_key, count(*) as n, count(distinct repo_id) as d, min(repo_id) as r "
                       "from core.variants group by 1 order by 1")
    assert final.rows() == [(k, rounds + 1, rounds + 1, f"g{rounds}/r0") for k in keys]  # none lost, none doubled
    retries = sum(err.count("commit conflict, retry") for _, err in outputs)
    assert retries >= len(keys) - 1, "all but the first writer's first commit conflicted and were re-run"
    assert len({g for _, g in seen}) > 1, "the reader ran during the writes"


# --- constraints as blocking checks, on both backends ------------------------------------------------

def _planting(key: list[str], write, partitions_def: dg.PartitionsDefinition | None = None) -> dg.AssetsDefinition:
    @dg.asset(key=key, partitions_def=partitions_def)
    def _asset(context, warehouse: Warehouse) -> None:  # noqa: ANN001 (Dagster reads the hint)
        write(warehouse, context.partition_key if partitions_def else None)

    return _asset


def _evaluations(asset: dg.AssetsDefinition, warehouse: Warehouse, **kwargs) -> dict[str, bool]:
    checks = constraint_checks([(asset.key, asset.partitions_def)])
    result = dg.materialize([asset, *checks], resources={"warehouse": warehouse}, raise_on_error=False, **kwargs)
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def test_a_duplicate_key_fails_the_blocking_check_on_the_lake_and_the_file_refuses_it(lake: Warehouse, tmp_path: Path):
    def plant(warehouse: Warehouse, _):
        warehouse.replace("core.variants", {}, variants("f", ["a/x", "a/x", "a/y"]))

    assert _evaluations(_planting(["core", "variants"], plant), lake) == {"core_variants_primary_key": False}
    duplicated = lake.query("select repo_id, count(*) as n from core.variants group by 1 having n > 1")
    assert duplicated.rows() == [("a/x", 2)]

    def clean(warehouse: Warehouse, _):
        warehouse.replace("core.variants", {}, variants("f", ["a/x", "a/y"]))

    assert _evaluations(_planting(["core", "variants"], clean), lake) == {"core_variants_primary_key": True}
    file = Warehouse(database=str(tmp_path / "w.duckdb"))
    with pytest.raises(duckdb.ConstraintException):
        plant(file, None)
    assert _evaluations(_planting(["core", "variants"], clean), file) == {"core_variants_primary_key": True}


def _labels(family: str, category: str | None, status: str = "labelled") -> pl.DataFrame:
    return pl.DataFrame({"family_key": [family], "platform": ["github"], "repo": ["o/r"], "sha": ["s1"],
                         "labeller": ["rules"], "category": [category], "status": [status]}).with_columns(
        labelled_at=pl.lit(AT).str.to_datetime(time_zone="UTC"))


LABEL_CHECKS = {"core_labelled_commits_primary_key", "core_labelled_commits_foreign_key_category",
                "core_labelled_commits_check_platform", "core_labelled_commits_check_status",
                "core_labelled_commits_check_status_category"}


def test_an_orphan_foreign_key_fails_its_partition_only(lake: Warehouse, instance: dg.DagsterInstance, tmp_path: Path):
    instance.add_dynamic_partitions(FAMILIES.name, ["good", "bad"])

    def plant(warehouse: Warehouse, family: str):
        # 'no_such_label' is not in core.taxonomy; 'bug_fix' is (assets/label/taxonomy.json)
        category = "no_such_label" if family == "bad" else "bug_fix"
        warehouse.replace("core.labelled_commits", {"family_key": family}, _labels(family, category))

    asset = _planting(["core", "labelled_commits"], plant, FAMILIES)
    bad = _evaluations(asset, lake, instance=instance, partition_key="bad")
    assert {name for name, passed in bad.items() if not passed} == {"core_labelled_commits_foreign_key_category"}
    good = _evaluations(asset, lake, instance=instance, partition_key="good")
    assert set(good) == LABEL_CHECKS and all(good.values()), "the orphan in 'bad' does not fail 'good'"

    with pytest.raises(duckdb.ConstraintException):  # the file refuses the orphan outright
        plant(Warehouse(database=str(tmp_path / "w.duckdb")), "bad")


def test_a_failed_check_constraint_fails_on_the_lake_and_null_passes_as_in_sql(lake: Warehouse, instance: dg.DagsterInstance,
                                                                              tmp_path: Path):
    instance.add_dynamic_partitions(FAMILIES.name, ["f"])

    def plant(warehouse: Warehouse, family: str):  # labelled without a category: CHECK ((status = 'labelled') = ...)
        warehouse.replace("core.labelled_commits", {"family_key": family}, _labels(family, None))

    result = _evaluations(_planting(["core", "labelled_commits"], plant, FAMILIES), lake, instance=instance, partition_key="f")
    assert {name for name, passed in result.items() if not passed} == {"core_labelled_commits_check_status_category"}

    def excluded(warehouse: Warehouse, family: str):  # an excluded family: lag, sync type, intensity, code all NULL
        warehouse.replace("core.sync_families", {"family_key": family}, pl.DataFrame(
            {"family_key": [family], "status": ["excluded"], "reason": ["one platform only"], "n_variants": [0],
             "n_github_commits": [3], "n_hub_commits": [0], "n_dropped": [0]}).with_columns(
            computed_at=pl.lit(AT).str.to_datetime(time_zone="UTC")))

    excluded(Warehouse(database=str(tmp_path / "w.duckdb")), "f")  # the file's CHECKs let NULL pass
    result = _evaluations(_planting(["core", "sync_families"], excluded, FAMILIES), lake, instance=instance, partition_key="f")
    assert "core_sync_families_check_lag" in result and all(result.values()), result


def test_every_constrained_table_an_asset_writes_is_checked_in_the_code_location():
    from orchestration.definitions import defs

    checks = defs.resolve_asset_graph().asset_check_keys  # definitions.py applies with_constraint_checks
    names = {(k.asset_key.to_user_string(), k.name) for k in checks}
    # from sql/ddl by hand: raw.commits' key and platform check, and what core/sync_families writes beside its table
    assert {("raw/commits", "raw_commits_primary_key"), ("raw/commits", "raw_commits_check_platform"),
            ("raw/commits", "raw_repo_state_primary_key"), ("core/sync_families", "core_sync_handoffs_check_days"),
            ("core/llm_labelled_commits", "core_label_cache_foreign_key_category")} <= names


def test_a_real_asset_materializes_into_the_lake_and_passes_its_checks(lake: Warehouse):
    with (ROOT / "assets/label/gold.csv").open(newline="") as f:
        gold = list(csv.DictReader(f))
    checks = constraint_checks([(label_agreement.key, None)])
    result = dg.materialize([label_agreement, *checks], resources={"warehouse": lake, "llm": LLMResource()})
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert evaluations and all(e.passed for e in evaluations)
    assert lake.query("select count(*) from core.gold_labels").item() == len(gold)
    assert lake.query("select count(*) from core.gold_predictions where labeller = 'rules'").item() == len(gold)


# --- analysts: the duckdb shell, read-only, with time travel ----------------------------------------

def _shell(warehouse: Warehouse, sql: str) -> subprocess.CompletedProcess[str]:
    """The commands docs/ducklake.md gives analysts, then ``sql``, in the duckdb-cli shell."""
    setup = (f"SET extension_directory='{EXTENSIONS}'; SET autoinstall_known_extensions=false; LOAD ducklake; "
             f"LOAD postgres; ATTACH '{warehouse.target}' AS lake (READ_ONLY, DATA_PATH '{warehouse.data_path}'); ")
    return subprocess.run([str(DUCKDB_SHELL), "-csv", "-c", setup + sql], capture_output=True, text=True, timeout=60)


def test_the_duckdb_shell_reads_the_lake_read_only_and_travels_back(lake: Warehouse):
    lake.replace("core.families", {}, families(["f0", "f1", "f2"]))
    version = lake.query("select max(snapshot_id) from lake.snapshots()").item()
    lake.replace("core.families", {}, families(["f0", "f1", "f2", "f3", "f4"]))
    now = _shell(lake, "select count(*) as n from lake.families;")
    assert now.returncode == 0 and now.stdout.split() == ["n", "5"], now.stderr
    then = _shell(lake, f"select count(*) as n from lake.core.families AT (VERSION => {version});")
    assert then.returncode == 0 and then.stdout.split() == ["n", "3"], then.stderr
    history = _shell(lake, "select count(*) > 0 as ok from lake.snapshots();")
    assert history.stdout.split() == ["ok", "true"], history.stderr
    refused = _shell(lake, "delete from lake.core.families;")
    assert refused.returncode != 0 and "read-only" in refused.stderr.lower()


def test_the_discovery_sensor_and_the_cli_read_family_keys_from_the_lake(lake: Warehouse, monkeypatch: pytest.MonkeyPatch):
    lake.replace("core.families", {}, families(["b", "a"]))
    for name, value in lake_env(lake).items():
        monkeypatch.setenv(name, value)
    assert read_family_keys(lake.target) == ["a", "b"]  # the sensor: its resource resolved
    assert read_family_keys(warehouse_from_env().database) == ["a", "b"]  # the CLI: the EnvVar-bound value


def test_the_snapshot_sensor_does_nothing_on_a_lake(lake: Warehouse, instance: dg.DagsterInstance, tmp_path: Path):
    @dg.asset
    def tiny() -> None: ...

    result = dg.materialize([tiny], instance=instance)
    context = dg.build_run_status_sensor_context(
        sensor_name=read_snapshot_sensor.name, dagster_instance=instance, dagster_run=result.dagster_run,
        dagster_event=result.get_run_success_event(), resources={"warehouse": lake})
    assert "not needed" in str(read_snapshot_sensor(context).skip_message)
    assert not list(tmp_path.rglob("*.duckdb"))


# --- configuration errors name the setting and never the password -------------------------------------

def test_a_lake_without_a_data_path_names_the_setting(postgres: Postgres, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HUBSCOPE_WAREHOUSE", f"ducklake:postgres:{postgres.libpq('nowhere')}")
    monkeypatch.delenv("HUBSCOPE_LAKE_DATA_PATH", raising=False)
    with pytest.raises(WarehouseConfigError, match="HUBSCOPE_LAKE_DATA_PATH is not set"):
        warehouse_from_env().query("select 1")


def test_missing_extension_wheels_are_named(tmp_path: Path):
    wh = Warehouse(database="ducklake:postgres:dbname=x", data_path=str(tmp_path), extension_directory=str(tmp_path))
    with pytest.raises(WarehouseConfigError, match="duckdb-ext-ducklake, duckdb-ext-postgres.*HUBSCOPE_DUCKDB_EXTENSIONS"):
        wh.query("select 1")


def test_object_storage_without_the_httpfs_wheel_is_named(postgres: Postgres, tmp_path: Path):
    wh = Warehouse(database=f"ducklake:postgres:{postgres.libpq('nowhere')}", data_path="s3://bucket/lake/")
    with pytest.raises(WarehouseConfigError, match="DuckDB extensions of duckdb-ext-httpfs .*'duckdb-ext-httpfs==1.4.4.*'"):
        wh.query("select 1")


def test_an_unreachable_catalog_is_named_without_its_password(tmp_path: Path):
    from tests.services import free_port

    secret = "s3cr3t-pw"
    wh = Warehouse(database=f"ducklake:postgres:dbname=lake host=127.0.0.1 port={free_port()} user=u password={secret}",
                   data_path=str(tmp_path))
    with pytest.raises(WarehouseConfigError) as error:
        wh.query("select 1")
    message = str(error.value) + "".join(map(str, [error.value.__cause__, error.value.__context__]))
    assert "HUBSCOPE_WAREHOUSE" in message and "password=***" in message
    assert secret not in message and secret not in wh.display_name


def test_the_lake_instance_config_lifts_the_duckdb_pool_and_differs_only_in_its_limits(tmp_path: Path,
                                                                                        monkeypatch: pytest.MonkeyPatch):
    lake_config = yaml.safe_load((ROOT / "dagster-ducklake.yaml").read_text())
    team_config = yaml.safe_load((ROOT / "dagster-postgres.yaml").read_text())
    assert {k: v for k, v in lake_config.items() if k != "concurrency"} == {
        k: v for k, v in team_config.items() if k != "concurrency"}
    monkeypatch.setenv("DAGSTER_PG_URL", "postgresql+psycopg2://u:unused@127.0.0.1:1/dagster")
    shutil.copyfile(ROOT / "dagster-ducklake.yaml", tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))  # Dagster's own validation of the file
    assert config["concurrency"]["pools"]["default_limit"] > 1, "family partitions write to the lake concurrently"
    limits = {(t["key"], t["value"]): t["limit"] for t in config["concurrency"]["runs"]["tag_concurrency_limits"]}
    assert limits[("hubscope/gpu", "true")] == 1 and limits[("hubscope/warehouse", "write")] > 2
