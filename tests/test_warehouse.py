"""The warehouse: schema from sql/, atomic partition writes, a recreated file gets its schema again, writers from
several processes queue (and a killed one never blocks), UTC timestamps, readable previews."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from orchestration.warehouse import (
    ROOT,
    Warehouse,
    WarehouseConfigError,
    WarehouseLocked,
    WriterLock,
    is_local_file,
    table_preview,
)


def test_a_warehouse_file_deleted_and_made_anew_in_the_same_process_gets_its_schema(tmp_path: Path) -> None:
    wh = Warehouse(database=str(tmp_path / "w.duckdb"))
    assert wh.query("select count(*) from raw.commits").item() == 0
    Path(wh.database).unlink()
    assert wh.query("select count(*) from raw.commits").item() == 0


def test_replace_is_atomic_and_matches_columns_by_name(warehouse: Warehouse) -> None:
    fam = {"family_key": ["f", "f"], "repo_id": ["a/x", "a/y"]}
    warehouse.replace("core.variants", {"family_key": "f"}, pl.DataFrame({"repo_id": fam["repo_id"], "family_key": fam["family_key"]}))
    with pytest.raises(Exception, match="(?i)primary key|duplicate|constraint"):  # a bad frame: nothing replaced
        warehouse.replace("core.variants", {"family_key": "f"}, pl.DataFrame({"family_key": ["f", "f"], "repo_id": ["a/z", "a/z"]}))
    assert sorted(warehouse.query("select repo_id from core.variants")["repo_id"]) == ["a/x", "a/y"]


def test_append_counts_only_the_rows_it_inserted(warehouse: Warehouse) -> None:
    assert warehouse.append("core.variants", pl.DataFrame({"family_key": ["f", "f"], "repo_id": ["a/x", "a/y"]})) == 2
    again = pl.DataFrame({"family_key": ["f", "f"], "repo_id": ["a/y", "a/z"]})  # a/y exists: skipped
    assert warehouse.append("core.variants", again) == 1
    assert warehouse.query("select count(*) from core.variants").item() == 3


def test_only_local_paths_get_the_file_shortcuts() -> None:
    assert is_local_file("data/hubscope.duckdb") and is_local_file("/abs/dir:x/w.duckdb")
    assert not is_local_file(":memory:") and not is_local_file("md:hubscope") and not is_local_file("s3://bucket/w.duckdb")


def test_query_returns_timestamps_in_utc_whatever_the_process_time_zone(tmp_path: Path) -> None:
    # 2024-03-10 10:00 UTC is 03:00 in Los Angeles (PDT, -07:00): a local-zone answer would say 03:00
    script = (
        "import sys; from orchestration.warehouse import Warehouse; import polars as pl, datetime as dt\n"
        "wh = Warehouse(database=sys.argv[1])\n"
        "t = wh.query(\"select timestamptz '2024-03-10 10:00:00+00' as t\")['t']\n"
        "print(t.dtype.time_zone, t[0].isoformat())\n"
    )
    env = dict(os.environ, TZ="America/Los_Angeles")
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "w.duckdb")], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["UTC", "2024-03-10T10:00:00+00:00"]


def test_a_second_process_waits_for_a_write_instead_of_failing(warehouse: Warehouse) -> None:
    warehouse.query("select 1")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from orchestration.warehouse import Warehouse\n"
         "with Warehouse(database=sys.argv[1]).transaction() as con:\n"
         "    con.execute(\"insert into core.variants values ('f', 'a/held')\"); print('holding', flush=True); time.sleep(4)\n",
         warehouse.database], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        warehouse.append("core.variants", pl.DataFrame({"family_key": ["f"], "repo_id": ["a/mine"]}))
        waited = time.monotonic() - started
    finally:
        holder.wait(timeout=60)
    assert holder.returncode == 0
    assert sorted(warehouse.query("select repo_id from core.variants")["repo_id"]) == ["a/held", "a/mine"]
    assert 1.0 < waited < 30, f"waited {waited:.1f} s: the other transaction held the file for about 4 s"


def test_a_writer_killed_holding_the_lock_releases_it(warehouse: Warehouse) -> None:
    warehouse.query("select 1")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from orchestration.warehouse import Warehouse\n"
         "with Warehouse(database=sys.argv[1]).transaction():\n    print('holding', flush=True); time.sleep(600)\n",
         warehouse.database], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    started = time.monotonic()
    assert warehouse.append("core.variants", pl.DataFrame({"family_key": ["f"], "repo_id": ["a/x"]})) == 1
    assert time.monotonic() - started < 10


def test_a_lock_held_too_long_fails_naming_its_holder(warehouse: Warehouse) -> None:
    warehouse.query("select 1")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from orchestration.warehouse import Warehouse\n"
         "with Warehouse(database=sys.argv[1]).transaction():\n    print('holding', flush=True); time.sleep(600)\n",
         warehouse.database], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(WarehouseLocked, match=f"another writer \\(pid {holder.pid} on .+\\) has held"):
            with WriterLock.for_database(warehouse.database).held(wait_s=0.5):
                pass
    finally:
        holder.kill()
        holder.wait()


def test_table_preview_is_a_table_with_whole_cells() -> None:
    long_repo = "cahya-wirawan/indonesian-language-models"
    frame = pl.DataFrame({"repo": [long_repo, "a/b"], "commits": [170, 2], "accuracy": [0.25, None], "ok": [True, False],
                          "at": [datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), None]})
    preview = table_preview(frame, rows=1)
    assert isinstance(preview, dg.TableMetadataValue)
    assert [(c.name, c.type) for c in preview.schema.columns] == [
        ("repo", "string"), ("commits", "int"), ("accuracy", "float"), ("ok", "bool"), ("at", "string")]
    assert [r.data for r in preview.records] == [
        {"repo": long_repo, "commits": 170, "accuracy": 0.25, "ok": True, "at": "2024-01-02 03:04:05+00:00"}]
    huge = table_preview(pl.DataFrame({"message": ["x" * 280_000]}))
    assert len(huge.records[0].data["message"]) == 300 and huge.records[0].data["message"].endswith("…")


def _as_storage_version(path: Path, version: int) -> None:
    """Rewrite a DuckDB file's header to claim storage ``version`` (duckdb 2.0 writes 69), keeping its checksum valid.

    The main header is a checksum (8 bytes) then the block: magic ``DUCK`` and the version as a little-endian
    uint64 at byte 12. DuckDB's checksum XORs ``word * 0xbf58476d1ce4e5b9`` over the block's 8-byte words, so
    the two words holding the version are swapped out of it and back in.
    """
    data = bytearray(path.read_bytes())

    def word(at: int) -> int:
        return int.from_bytes(data[at:at + 8], "little")

    def mix(value: int) -> int:
        return (value * 0xBF58476D1CE4E5B9) % 2**64

    checksum = word(0) ^ mix(word(8)) ^ mix(word(16))
    data[12:20] = version.to_bytes(8, "little")
    data[0:8] = (checksum ^ mix(word(8)) ^ mix(word(16))).to_bytes(8, "little")
    path.write_bytes(data)


def test_a_file_from_a_newer_duckdb_fails_naming_it_and_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "from-duckdb-2.duckdb"
    Warehouse(database=str(path)).query("select 1")
    _as_storage_version(path, 69)
    with pytest.raises(WarehouseConfigError) as error:
        Warehouse(database=str(path)).query("select 1", read_only=True)
    message = str(error.value)
    assert str(path) in message and "storage version 69" in message
    assert "materialize again" in message and "storage_version 'v1.4.0'" in message


def test_the_duckdb_shell_reads_the_file_the_library_writes(warehouse: Warehouse) -> None:
    warehouse.append("core.variants", pl.DataFrame({"family_key": ["f", "f"], "repo_id": ["a/x", "a/y"]}))
    shell = Path(sys.executable).with_name("duckdb")
    out = subprocess.run([str(shell), "-readonly", "-csv", warehouse.database, "-c", "select count(*) as n from variants"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.split() == ["n", "2"], out.stderr
