"""The analysts' read-only copy of the warehouse, refreshed after every successful run.

DuckDB allows one writer process per file, and a reader holding the live file open blocks every
run that wants to write (and vice versa). Analysts therefore never open the live file: after each
successful run a sensor copies the committed state into a fresh file and swaps it in with an atomic
rename. A reader with the old copy open keeps reading it (the rename does not touch open files);
the next ``duckdb`` started sees the new one. Each partition is written in one transaction, so a
copy holds whole partitions only.

The library and the ``duckdb`` command-line shell (the ``duckdb-cli`` package) are the same DuckDB
release (1.4.4), so the copy is a plain DuckDB file in the library's default format::

    .venv/bin/duckdb -readonly data/hubscope-read.duckdb -c "select * from families"

A DuckLake warehouse needs none of this: readers never block its writers, and analysts attach it
read-only at its latest snapshot or an earlier one (docs/ducklake.md); the sensor skips there.

From Python, :func:`open_snapshot`: a plain ``duckdb.connect(path)`` in a process that still has
the old copy open returns that old copy (DuckDB shares one open database per path and process).

A refresh killed half-way leaves its temporary file behind; the next refresh deletes the ones
whose process is gone.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from graphlib import TopologicalSorter
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.lake import is_lake
from orchestration.warehouse import Warehouse

LAKE_READERS = "readers never block its writers; analysts attach it read-only (docs/ducklake.md)"

LOCK_WAIT_S = 45.0
"""How long a refresh waits for a writer to release the live file before giving up (next run retries)."""


@dataclass(frozen=True)
class SnapshotInfo:
    path: Path
    tables: int
    seconds: float


def snapshot_path(database: str | os.PathLike[str]) -> Path:
    """Where the read-only copy of ``database`` lives: ``HUBSCOPE_READ_DB`` or ``<name>-read.duckdb`` beside it."""
    configured = os.environ.get("HUBSCOPE_READ_DB")
    if configured:
        return Path(configured)
    live = Path(database)
    return live.with_name(f"{live.stem}-read{live.suffix or '.duckdb'}")


def open_snapshot(path: str | os.PathLike[str] | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the newest snapshot (default: the one of ``HUBSCOPE_DB``), even in
    a process that has an older copy open: it is attached into a fresh in-memory database instead
    of going through DuckDB's per-process cache of open files."""
    from orchestration.warehouse import DEFAULT_DB

    target = Path(path) if path else snapshot_path(os.environ.get("HUBSCOPE_DB", DEFAULT_DB))
    if not target.exists():
        raise FileNotFoundError(f"snapshot {target} does not exist yet: run `hubscope snapshot` or materialize something")
    con = duckdb.connect()
    con.execute(f"attach {_quote(target)} as snapshot (read_only)")
    con.execute("use snapshot")
    return con


def remove_orphans(target: Path) -> list[Path]:
    """Delete temporary copies (and their WAL files) left beside ``target`` by refreshes whose process is gone."""
    removed = []
    for tmp in target.parent.glob(f".{target.name}.*.tmp*"):
        pid = tmp.name[len(target.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _attach_live(con: duckdb.DuckDBPyConnection, live: Path, wait_s: float) -> None:
    """Attach the live file read-only, waiting (bounded) while a run holds the write lock."""
    deadline = time.monotonic() + wait_s
    delay = 0.1
    while True:
        try:
            con.execute(f"attach {_quote(live)} as live (read_only)")
            return
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def _copy_parents_first(con: duckdb.DuckDBPyConnection) -> None:
    """Copy ``live`` into ``snap``: schema, views and constraints, then each table's rows, referenced first.

    DuckDB 1.4's ``COPY FROM DATABASE`` fills tables in name order and so fails on a foreign key
    whose table sorts before the one it references (``core.commit_labels`` before ``core.taxonomy``);
    the schema part alone works, and the rows are then inserted in foreign-key order.
    """
    con.execute("copy from database live to snap (schema)")
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = 'live'"
    ).fetchall()
    order = TopologicalSorter({table: set() for table in tables})
    for schema, table, parent in con.execute(
        "select schema_name, table_name, referenced_table from duckdb_constraints() "
        "where database_name = 'live' and constraint_type = 'FOREIGN KEY'"
    ).fetchall():
        order.add((schema, table), (schema, parent))  # DuckDB allows foreign keys within one schema only
    for schema, table in order.static_order():
        con.execute(f'insert into snap."{schema}"."{table}" select * from live."{schema}"."{table}"')


def refresh_snapshot(database: str | os.PathLike[str], target: Path | None = None, wait_s: float = LOCK_WAIT_S) -> SnapshotInfo:
    """Copy the committed state of ``database`` into ``target`` and swap it in atomically.

    The live file is held (read-only) only while copying; the copy is built in a temporary file
    beside the target and renamed over it, so a reader never sees a half-built snapshot. A
    ``main.snapshot_info`` table records when and from where the copy was made. A lake has no file to
    copy: that is a ``ValueError`` saying how analysts read it instead.
    """
    if isinstance(database, dg.EnvVar):  # the resource's value read outside a run (the CLI)
        database = database.get_value()
    if is_lake(str(database)):
        raise ValueError(f"no snapshot file is needed on a DuckLake: {LAKE_READERS}")
    live = Path(database)
    if not live.exists():
        raise FileNotFoundError(f"warehouse {live} does not exist yet: materialize something first")
    target = target or snapshot_path(live)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_orphans(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    started = time.perf_counter()
    con = duckdb.connect()
    try:
        _attach_live(con, live, wait_s)
        con.execute(f"attach {_quote(tmp)} as snap")
        _copy_parents_first(con)
        con.execute("detach live")  # release the live file before anything else
        (tables,) = con.execute("select count(*) from duckdb_tables() where database_name = 'snap'").fetchone()
        con.execute(
            "create or replace table snap.main.snapshot_info as "
            "select ?::timestamptz as refreshed_at, ? as source, ?::int as tables",
            [datetime.now(UTC), str(live), tables],
        )
        con.execute("detach snap")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, target)
    return SnapshotInfo(target, int(tables), time.perf_counter() - started)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="hubscope_read_snapshot",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=15,
    description="After each successful run, copies the warehouse file to the analysts' read-only file "
    "(data/hubscope-read.duckdb by default) and swaps it in atomically: `duckdb -readonly` on that "
    "file never blocks a run and never sees a half-written partition. Does nothing on a DuckLake.",
)
def read_snapshot_sensor(context: dg.RunStatusSensorContext, warehouse: Warehouse) -> dg.SkipReason:
    if warehouse.is_lake:
        return dg.SkipReason(f"snapshot not needed on a DuckLake: {LAKE_READERS}")
    try:
        info = refresh_snapshot(warehouse.database)
    except (FileNotFoundError, duckdb.IOException) as exc:
        return dg.SkipReason(f"snapshot not refreshed after run {context.dagster_run.run_id}: {exc}")
    context.log.info(f"snapshot {info.path}: {info.tables} tables in {info.seconds:.2f}s")
    return dg.SkipReason(
        f"refreshed {info.path} ({info.tables} tables, {info.seconds:.2f}s) after run {context.dagster_run.run_id}"
    )
