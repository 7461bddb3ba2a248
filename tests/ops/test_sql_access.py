"""SQL without lock fights: public views, and the read-only snapshot analysts open with the duckdb shell."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from orchestration.snapshot import open_snapshot, read_snapshot_sensor, refresh_snapshot, snapshot_path
from orchestration.warehouse import SQL_DIR, Warehouse
from tests.services import lake, postgres  # noqa: F401  (fixtures)

DUCKDB_SHELL = Path(sys.executable).with_name("duckdb")
PUBLIC = SQL_DIR / "views" / "900_public.sql"


def public_views() -> dict[str, str]:
    """Public view name -> the table it exposes (single-table views only)."""
    return dict(re.findall(r"create or replace view main\.(\w+) as select \* from (\w+\.\w+);", PUBLIC.read_text()))


@pytest.fixture(params=["file", "lake"])
def either_warehouse(request: pytest.FixtureRequest) -> Warehouse:
    """The file warehouse, then a DuckLake one: the public views are the same SQL on both."""
    return request.getfixturevalue("warehouse" if request.param == "file" else "lake")


def test_every_table_users_query_has_a_public_view_that_answers(either_warehouse: Warehouse):
    warehouse = either_warehouse
    tables = warehouse.query(
        "select schema_name || '.' || table_name as t from duckdb_tables() "
        "where database_name = current_database() and schema_name in ('raw', 'core', 'out')")["t"].to_list()
    exposed = set(public_views().values())
    # The study's tables and the contracts between stages are what users query.
    wanted = {t for t in tables if t.startswith("out.")} | {"raw.commits", "core.families", "core.variants", "core.sync_families"}
    missing = sorted(wanted - exposed)
    assert not missing, f"tables without a public view in {PUBLIC.name}: {missing}"
    inner_views = warehouse.query(
        "select schema_name || '.' || view_name as v from duckdb_views() "
        "where database_name = current_database() and schema_name in ('raw', 'core', 'out')")["v"].to_list()
    assert exposed <= set(tables) | set(inner_views), "a public view names a table that is gone"
    for view in [*public_views(), "commits_with_labels"]:
        warehouse.query(f"select * from main.{view} limit 0")  # binds: every column it names exists
    comments = warehouse.query("select view_name from duckdb_views() where database_name = current_database() "
                               "and schema_name = 'main' and comment is null and not internal")
    assert comments.is_empty(), f"public views without a comment: {comments['view_name'].to_list()}"


def _family_rows(n: int) -> pl.DataFrame:
    return pl.DataFrame(
        {"family_key": [f"f{i}" for i in range(n)], "github_repo": [f"o/r{i}" for i in range(n)], "n_variants": [1] * n}
    ).with_columns(first_seen=pl.lit("2026-01-01T00:00:00Z").str.to_datetime(time_zone="UTC"))


def test_snapshot_opens_in_the_duckdb_shell_while_the_live_file_is_written(warehouse: Warehouse, tmp_path: Path):
    warehouse.replace("core.families", {}, _family_rows(3))
    info = refresh_snapshot(warehouse.database)
    assert info.path == snapshot_path(warehouse.database) and info.path.name == "hubscope-read.duckdb"

    # An analyst holds the snapshot open in the documented shell ...
    shell = subprocess.Popen([str(DUCKDB_SHELL), "-readonly", str(info.path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        shell.stdin.write("select count(*) as n from families;\n")
        shell.stdin.flush()
        time.sleep(0.5)
        # ... while a run writes the live file and the next snapshot is swapped in: neither waits.
        started = time.monotonic()
        warehouse.replace("core.families", {}, _family_rows(5))
        refresh_snapshot(warehouse.database)
        assert time.monotonic() - started < 5
        out, err = shell.communicate("select count(*) as n from families;\n.quit\n", timeout=20)
    finally:
        if shell.poll() is None:
            shell.kill()
    assert "3" in out and not err.strip(), (out, err)  # the open session keeps its consistent copy
    fresh = subprocess.run([str(DUCKDB_SHELL), "-readonly", "-csv", str(info.path), "-c", "select count(*) as n from families"],
                           capture_output=True, text=True, timeout=20)
    assert fresh.returncode == 0 and fresh.stdout.split() == ["n", "5"], fresh.stderr


def test_snapshot_never_copies_while_a_writer_holds_the_file(warehouse: Warehouse):
    warehouse.replace("core.families", {}, _family_rows(2))
    first = refresh_snapshot(warehouse.database)
    before = first.path.read_bytes()
    # a run (another process) holds the live file with an uncommitted partition write
    writer = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time\n"
        f"con = duckdb.connect({warehouse.database!r})\n"
        "con.execute('begin transaction'); con.execute(\"delete from core.families where family_key = 'f0'\")\n"
        "print('holding', flush=True); time.sleep(30)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "holding"
        with pytest.raises(duckdb.IOException):
            refresh_snapshot(warehouse.database, wait_s=0.5)
        assert first.path.read_bytes() == before, "a refused refresh leaves the previous snapshot in place"
        assert not list(first.path.parent.glob(".*.tmp")), "no temporary file left behind"
    finally:
        writer.kill()
        writer.wait()
    after = refresh_snapshot(warehouse.database)
    con = duckdb.connect(str(after.path), read_only=True)
    try:
        assert con.execute("select count(*) from families").fetchone() == (2,), "the uncommitted delete is not in the copy"
    finally:
        con.close()


def test_snapshot_of_a_missing_warehouse_names_it(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="nothing.duckdb"):
        refresh_snapshot(tmp_path / "nothing.duckdb")


def test_the_run_status_sensor_refreshes_the_snapshot_after_a_successful_run(warehouse: Warehouse, instance: dg.DagsterInstance):
    @dg.asset
    def tiny() -> None: ...

    warehouse.replace("core.families", {}, _family_rows(4))
    result = dg.materialize([tiny], instance=instance)
    context = dg.build_run_status_sensor_context(
        sensor_name=read_snapshot_sensor.name, dagster_instance=instance, dagster_run=result.dagster_run,
        dagster_event=result.get_run_success_event(), resources={"warehouse": warehouse},
    )
    outcome = read_snapshot_sensor(context)
    assert "refreshed" in str(outcome.skip_message)
    con = duckdb.connect(str(snapshot_path(warehouse.database)), read_only=True)
    try:
        assert con.execute("select count(*) from families").fetchone() == (4,)
    finally:
        con.close()


def test_a_refresh_killed_half_way_leaves_no_temporary_file_after_the_next(warehouse: Warehouse, tmp_path: Path):
    warehouse.query("select 1")
    target = tmp_path / "read.duckdb"
    # a refresh SIGKILLed while copying: its process is gone, its temporary copy and WAL stay
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphans = [tmp_path / f".read.duckdb.{dead.pid}.tmp", tmp_path / f".read.duckdb.{dead.pid}.tmp.wal"]
    for orphan in orphans:
        orphan.write_bytes(b"half a copy")
    # a refresh still running in another process keeps its file
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    busy = tmp_path / f".read.duckdb.{live.pid}.tmp"
    busy.write_bytes(b"being written")
    try:
        refresh_snapshot(warehouse.database, target)
        leftovers = sorted(p.name for p in tmp_path.glob(".read.duckdb.*"))
    finally:
        live.kill()
        live.wait()
    assert leftovers == [busy.name]
    assert target.is_file()


def test_a_new_connection_in_the_same_process_sees_the_refreshed_snapshot(warehouse: Warehouse, tmp_path: Path):
    target = tmp_path / "read.duckdb"
    warehouse.append("core.variants", pl.DataFrame({"family_key": ["f"], "repo_id": ["a/x"]}))
    refresh_snapshot(warehouse.database, target)
    older = open_snapshot(target)  # e.g. a notebook that keeps its connection open
    warehouse.append("core.variants", pl.DataFrame({"family_key": ["f"], "repo_id": ["a/y"]}))
    refresh_snapshot(warehouse.database, target)
    newer = open_snapshot(target)
    try:
        assert older.execute("select count(*) from variants").fetchone() == (1,), "an open connection keeps its copy"
        assert newer.execute("select count(*) from variants").fetchone() == (2,)
    finally:
        older.close()
        newer.close()


def test_snapshot_copies_rows_that_reference_a_table_sorting_after_them(warehouse: Warehouse):
    """core.gold_labels references core.taxonomy ("g" sorts before "t"): DuckDB 1.4's plain
    COPY FROM DATABASE fills tables in name order and failed on exactly this, on every real warehouse."""
    warehouse.append("core.gold_labels", pl.DataFrame(
        {"gold_id": ["g1"], "platform": ["hub"], "title": ["Add pooler weights"], "category": ["model_structure"]}))
    info = refresh_snapshot(warehouse.database)
    con = duckdb.connect(str(info.path), read_only=True)
    try:
        assert con.sql("select gold_id, category from core.gold_labels").fetchall() == [("g1", "model_structure")]
        live_taxonomy = warehouse.query("select count(*) as n from core.taxonomy")["n"][0]
        assert con.sql("select count(*) from core.taxonomy").fetchone()[0] == live_taxonomy > 0
        # the snapshot keeps the schema's constraints: it is the same schema, not a loose copy of rows
        assert con.sql("select count(*) from duckdb_constraints() where table_name = 'gold_labels' "
                       "and constraint_type = 'FOREIGN KEY'").fetchone()[0] == 1
    finally:
        con.close()
