"""The warehouse: schema from ``sql/``, transactional partition writes, short-lived connections.

Why not Dagster's DuckDB IO managers: their writes are DELETE-then-INSERT without a transaction and
the table shape is inferred from the first frame (see docs/architecture.md). hubscope owns its DDL in
``sql/ddl`` and every asset writes through :meth:`Warehouse.replace` / :meth:`Warehouse.append`,
each one transaction, so a crash mid-write leaves the previous rows in place.

Two backends behind the same methods, chosen by ``Warehouse.database`` alone: a DuckDB file (the
default) or a DuckLake (``ducklake:postgres:...``; ``orchestration/lake.py``, docs/ducklake.md).

On a file, connections are opened per read or write and closed at once: nothing holds the file lock
while it waits on the network, an LLM or a GPU. Writers queue on an inter-process lock file beside
the warehouse (:class:`WriterLock`), held only while a read-write connection is open. DuckDB itself
lets one process write and makes the others fail after a retry window; the lock turns that into a
fair wait of one transaction's length, so the steps that spend minutes on remote work (git, the Hub,
an LLM, a GPU) need no Dagster pool slot: their writes are serialised here, and a slow remote delays
nobody else's write. The lock is an ``flock``: the kernel drops it when its process dies, even by
``kill -9``.

On a lake, writers in different processes commit concurrently; a commit that conflicts with another
(DuckLake's optimistic concurrency) re-runs its whole transaction (:meth:`Warehouse.run_transaction`).
"""

from __future__ import annotations

import fcntl
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any, TypeVar

import dagster as dg
import duckdb
import polars as pl
from dagster._utils.backoff import backoff
from dagster_duckdb import DuckDBResource
from pydantic import Field

from orchestration import lake
from orchestration.lake import WarehouseConfigError
from orchestration.schema import ROOT, SQL_DIR, apply_schema, primary_key, sql_files, sync_lake

__all__ = ["ROOT", "SQL_DIR", "DEFAULT_DB", "Warehouse", "WarehouseConfigError", "WarehouseLocked", "WriterLock",
           "apply_schema", "insert_frame", "is_local_file", "sql_files", "table_preview"]

DEFAULT_DB = os.environ.get("HUBSCOPE_DB", str(ROOT / "data" / "hubscope.duckdb"))


def is_local_file(database: str) -> bool:
    """Whether ``database`` is a file path, not ``:memory:`` or a URL-style name (``md:hubscope``, ``s3://...``)."""
    return database != ":memory:" and not re.match(r"[a-z][a-z0-9+.-]*:", database, re.IGNORECASE)


WRITE_LOCK_WAIT_S = 600.0
"""How long a writer waits for another process's write before failing (naming that process).
Writes are single transactions of seconds; ten minutes means something is wrong, not busy."""


class WarehouseLocked(RuntimeError):
    """Another process held the warehouse's write lock past :data:`WRITE_LOCK_WAIT_S`."""


class WriterLock:
    """One writer process at a time per warehouse file, re-entrant within a process.

    Nested or concurrent connections inside one process share DuckDB's database instance (and so
    its one write lock), so they share this lock too: it is taken by the first and released by the
    last. Other processes wait for it. The holder's pid and host are written into the lock file so
    a waiter that gives up can name it.
    """

    _all: dict[str, WriterLock] = {}
    _all_guard = threading.Lock()

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".writer.lock")
        self._guard = threading.Lock()
        self._users = 0
        self._fd: int | None = None
        self._pid = os.getpid()

    @classmethod
    def for_database(cls, database: str) -> WriterLock:
        path = Path(database).resolve()
        with cls._all_guard:
            return cls._all.setdefault(str(path), cls(path))

    def holder(self) -> str:
        """Who holds the lock, as its holder wrote it ("pid 123 on host"), or "unknown"."""
        try:
            return self.path.read_text().strip() or "unknown"
        except OSError:
            return "unknown"

    @contextmanager
    def held(self, wait_s: float = WRITE_LOCK_WAIT_S) -> Iterator[None]:
        with self._guard:
            if self._pid != os.getpid():  # a forked child does not own its parent's lock
                self._users, self._fd, self._pid = 0, None, os.getpid()
            if self._users == 0:
                self._fd = self._acquire(wait_s)
            self._users += 1
        try:
            yield
        finally:
            with self._guard:
                self._users -= 1
                if self._users == 0 and self._fd is not None:
                    os.close(self._fd)  # closing the descriptor releases the flock
                    self._fd = None

    def _acquire(self, wait_s: float) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait_s
        delay = 0.02
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise WarehouseLocked(
                        f"warehouse {self.database}: another writer ({self.holder()}) "
                        f"has held {self.path.name} for over {wait_s:.0f} s"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        return fd


T = TypeVar("T")

_applied: set[str] = set()
_applied_lock = threading.Lock()


NEWER_FORMAT = re.compile(r"version number (\d+), but we can only read versions")


def _connect_file(database: str, read_only: bool, config: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``, except that a file written by a newer DuckDB (duckdb 2.0 writes storage version 69,
    which 1.4 cannot read) is an error naming the file and the two ways out, instead of bare version numbers."""
    try:
        return duckdb.connect(database, read_only=read_only, config=config)
    except duckdb.IOException as exc:
        found = NEWER_FORMAT.search(str(exc))
        if not found:
            raise
    raise WarehouseConfigError(
        f"warehouse {database} was written by a newer DuckDB (storage version {found[1]}) than this duckdb "
        f"{duckdb.__version__} can read. Either rebuild it: move the file away and materialize again (every table "
        f"is derived from the Hub, GitHub and sql/); or keep its data: with the DuckDB that wrote it, run "
        f"\"attach '{database}' as old (read_only); attach 'hubscope-v14.duckdb' as new (storage_version 'v1.4.0'); "
        f"copy from database old to new\" and point HUBSCOPE_DB at hubscope-v14.duckdb")


def _open_file(database: str, read_only: bool, config: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """Open a warehouse file, retried while another process holds DuckDB's lock on it (not when it is unreadable)."""
    return backoff(fn=_connect_file, retry_on=(RuntimeError, duckdb.IOException),
                   kwargs={"database": database, "read_only": read_only, "config": config}, max_retries=10)


class Warehouse(DuckDBResource):
    """hubscope's warehouse, with the schema applied on first use in each process.

    ``database`` picks the backend: a DuckDB file path (the default, ``HUBSCOPE_DB``), or
    ``ducklake:postgres:<libpq connection string>`` for a DuckLake whose catalog is in PostgreSQL and
    whose Parquet files live under ``data_path`` (``HUBSCOPE_WAREHOUSE`` and ``HUBSCOPE_LAKE_DATA_PATH``,
    docs/ducklake.md). Assets call the same methods on both.
    """

    database: str = Field(default=DEFAULT_DB, description="DuckDB file path, or ducklake:postgres:... (HUBSCOPE_WAREHOUSE).")
    data_path: str | None = Field(default=None, description="DuckLake only: where its Parquet files live (HUBSCOPE_LAKE_DATA_PATH).")
    extension_directory: str | None = Field(
        default=None, description="DuckLake only: folder of the ducklake/postgres extensions (HUBSCOPE_DUCKDB_EXTENSIONS); "
        "default: where the duckdb-ext-* wheels installed them.")

    @property
    def target(self) -> str:
        """``database`` resolved: bound as ``dg.EnvVar`` (so a password never shows in the UI), Dagster resolves
        it inside runs, and this resolves it where the resource is used directly (the CLI)."""
        return self.database.get_value() if isinstance(self.database, dg.EnvVar) else self.database

    @property
    def is_lake(self) -> bool:
        return lake.is_lake(self.target)

    @property
    def display_name(self) -> str:
        """The database as it may be shown in logs and errors (a catalog password redacted)."""
        return lake.redact(self.target)

    @contextmanager
    def get_connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:  # type: ignore[override]
        """A connection that is always closed, in the UTC time zone.

        File: a read-write connection first takes the :class:`WriterLock` (so writers queue instead of
        failing), then opens the file, retried while a reader in another process holds DuckDB's lock.
        Lake: a new connection (cursor) of this process's DuckDB with the lake attached (read-only if
        asked) and in use; writers do not queue: DuckLake lets them commit concurrently and reports
        conflicts, which :meth:`run_transaction` retries.
        """
        database = self.target
        local = is_local_file(database)
        if local:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            if not Path(database).exists():  # deleted and made anew in this process: schema again
                with _applied_lock:
                    _applied.discard(database)
        with WriterLock.for_database(database).held() if local and not read_only else nullcontext():
            if self.is_lake:
                con = lake.connect(database, self.data_path, read_only, self.extension_directory,
                                   dict(self.connection_config))
            else:
                con = _open_file(database, read_only, dict(self.connection_config))
            leaked: duckdb.Error | None = None
            try:
                # timestamptz columns come back in UTC, as the schema declares, whatever the process's TZ
                con.execute("set TimeZone = 'UTC'")
                if not read_only:
                    self._ensure_schema(con, database)
                yield con
            except duckdb.Error as exc:
                if lake.redact(str(exc)) == str(exc):
                    raise
                leaked = type(exc)(lake.redact(str(exc)))  # e.g. the postgres extension quoting the attach string
            finally:
                con.close()
            if leaked is not None:
                raise leaked  # outside the except block: the original does not ride along as __context__

    def _ensure_schema(self, con: duckdb.DuckDBPyConnection, database: str) -> None:
        with _applied_lock:
            if database in _applied and database != ":memory:":
                return
            if self.is_lake:
                changes = sync_lake(con)
                if changes:
                    dg.get_dagster_logger("hubscope.warehouse").info(
                        f"lake {self.display_name}: brought level with sql/ ({', '.join(changes)})")
            else:
                apply_schema(con)
            _applied.add(database)

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None, read_only: bool = False) -> pl.DataFrame:
        """Run one read and return it as a polars frame (the connection is closed before returning).

        ``read_only`` opens the warehouse without the write lock (it must exist and have its schema):
        on a file other readers may share it and a writer in another process waits for it; on a lake it
        reads the latest committed snapshot and blocks nobody.
        """
        with self.get_connection(read_only=read_only) as con:
            return con.sql(sql, params=params or None).pl()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection inside one transaction: committed on success, rolled back on any error.

        On a lake a commit conflict with another process is raised (the body cannot be re-run from
        here): writers that may run concurrently use :meth:`run_transaction`, which retries.
        """
        with self.get_connection() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def run_transaction(self, work: Callable[[duckdb.DuckDBPyConnection], T], what: str = "write") -> T:
        """``work(con)`` inside one transaction, committed on success; after a commit conflict with another
        writer (DuckLake's optimistic concurrency) the whole transaction is run again, bounded and with
        backoff (:func:`orchestration.lake.retry_conflicts`), each retry logged. ``work`` must only write
        through ``con``, so re-running it is safe."""
        def attempt() -> T:
            with self.get_connection() as con:
                return lake.in_transaction(con, work)
        return lake.retry_conflicts(attempt, f"{what} on {self.display_name}")

    def replace(self, table: str, where: Mapping[str, Any], frame: pl.DataFrame) -> int:
        """Replace the rows of ``table`` matching ``where`` (e.g. one partition) by ``frame``, atomically.

        Columns are matched by name, so the DDL's column order never matters; a column the DDL
        lacks is an error rather than a silent drop.
        """
        return self.replace_many(where, {table: frame})[table]

    def replace_many(self, where: Mapping[str, Any], frames: Mapping[str, pl.DataFrame]) -> dict[str, int]:
        """:meth:`replace` for several tables (e.g. one partition's rows and their details) in one transaction."""
        clause = " and ".join(f'"{col}" = ?' for col in where) or "true"

        def write(con: duckdb.DuckDBPyConnection) -> None:
            for table, frame in frames.items():
                con.execute(f"delete from {table} where {clause}", list(where.values()))
                insert_frame(con, table, frame)

        self.run_transaction(write, f"replace {', '.join(frames)} where {dict(where)}")
        return {table: frame.height for table, frame in frames.items()}

    def append(self, table: str, frame: pl.DataFrame) -> int:
        """Insert ``frame`` into ``table`` in one transaction (rows whose primary key exists are skipped)."""
        if frame.is_empty():
            return 0
        return self.run_transaction(lambda con: insert_frame(con, table, frame, on_conflict="do nothing"), f"append to {table}")


def _on_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``con``'s current database is a DuckLake (which has no keys to resolve conflicts on)."""
    return con.execute("select type from duckdb_databases() where database_name = current_database()").fetchone()[0] == "ducklake"


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, on_conflict: str = "") -> int:
    """Insert a frame into a table by column name inside the caller's transaction (empty: no-op).

    ``on_conflict="do nothing"`` skips rows whose primary key exists. A lake has no keys, so there
    the same is an anti-join on the key ``sql/ddl`` declares, and of rows sharing a key within the
    frame one is kept, as DuckDB's ON CONFLICT DO NOTHING does.
    Returns the number of rows inserted (skipped rows not counted).
    """
    if frame.is_empty():
        return 0
    if on_conflict not in ("", "do nothing"):
        raise ValueError(f"insert_frame: unsupported on_conflict {on_conflict!r}")
    con.register("_hubscope_frame", frame.to_arrow())
    try:
        source = "select * from _hubscope_frame"
        keyless = bool(on_conflict) and _on_lake(con)
        if keyless:
            key = primary_key(table)
            if not key:
                raise ValueError(f"insert_frame: {table} has no primary key in sql/ddl to skip existing rows by")
            cols = ", ".join(f'"{c}"' for c in key)
            match = " and ".join(f'f."{c}" = t."{c}"' for c in key)
            source = (f"select * from _hubscope_frame f where not exists (select 1 from {table} t where {match}) "
                      f"qualify row_number() over (partition by {cols}) = 1")
        conflict = " on conflict do nothing" if on_conflict and not keyless else ""
        return con.execute(f"insert into {table} by name {source}{conflict}").fetchone()[0]
    finally:
        # After a failed insert the transaction is aborted and unregister would raise, hiding the
        # real error (e.g. a constraint violation); the connection is closed right after anyway.
        with suppress(duckdb.Error):
            con.unregister("_hubscope_frame")


def table_preview(frame: pl.DataFrame, rows: int = 10) -> dg.MetadataValue:
    """The first ``rows`` rows as Dagster table metadata: the asset page shows a real table, each
    cell whole (Markdown previews wrapped long cells onto extra rows).

    Numbers and booleans keep their type; everything else (dates, lists, structs) is shown as text.
    """
    head = frame.head(rows)
    kinds = {name: _column_type(dtype) for name, dtype in head.schema.items()}
    records = [
        dg.TableRecord({name: _cell(value, kinds[name]) for name, value in row.items()})
        for row in head.iter_rows(named=True)
    ]
    schema = dg.TableSchema(columns=[dg.TableColumn(name, kind) for name, kind in kinds.items()])
    return dg.MetadataValue.table(records, schema=schema)


def _column_type(dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_integer():
        return "int"
    if dtype.is_float() or dtype.is_decimal():
        return "float"
    return "string"


PREVIEW_CELL_CHARS = 300
"""Longer texts (a 280 kB commit message) are cut, marked with an ellipsis, to keep metadata small."""


def _cell(value: Any, kind: str) -> str | int | float | bool | None:
    if value is None or kind == "bool":
        return value
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    text = str(value)
    return text if len(text) <= PREVIEW_CELL_CHARS else text[: PREVIEW_CELL_CHARS - 1] + "…"
