"""The DuckDB warehouse: schema from ``sql/``, transactional partition writes, short-lived connections.

Why not Dagster's DuckDB IO managers: under duckdb 2.0 their reads fail, their writes are
DELETE-then-INSERT without a transaction, and the table shape is inferred from the first frame
(see docs/architecture.md). hubscope owns its DDL in ``sql/ddl`` and every asset writes through
:meth:`Warehouse.replace` / :meth:`Warehouse.append`, each one transaction, so a crash mid-write
leaves the previous rows in place.

Connections are opened per read or write and closed at once: nothing holds the file lock while it
waits on the network, an LLM or a GPU.

Writers queue on an inter-process lock file beside the warehouse (:class:`WriterLock`), held only
while a read-write connection is open. DuckDB itself lets one process write and makes the others
fail after a retry window; the lock turns that into a fair wait of one transaction's length, so the
steps that spend minutes on remote work (git, the Hub, an LLM, a GPU) need no Dagster pool slot:
their writes are serialised here, and a slow remote delays nobody else's write. The lock is an
``flock``: the kernel drops it when its process dies, even by ``kill -9``.
"""

from __future__ import annotations

import fcntl
import os
import re
import socket
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import polars as pl
from dagster._utils.backoff import backoff
from dagster_duckdb import DuckDBResource
from pydantic import Field

ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = ROOT / "sql"
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


_applied: set[str] = set()
_applied_lock = threading.Lock()


def sql_files(folder: str) -> list[Path]:
    """The ``.sql`` files of one ``sql/`` sub-folder, in the order they must run."""
    return sorted((SQL_DIR / folder).glob("*.sql"))


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every schema, table and view from ``sql/ddl`` then ``sql/views`` (idempotent).

    Relative file paths in the DDL (e.g. ``read_json('assets/label/taxonomy.json')``) resolve
    against the project root, whatever the process's working directory.
    """
    con.execute(f"set file_search_path = '{ROOT.as_posix()}'")
    try:
        for path in [*sql_files("ddl"), *sql_files("views")]:
            con.execute(path.read_text())
    finally:
        con.execute("reset file_search_path")


class Warehouse(DuckDBResource):
    """hubscope's DuckDB file, with the schema applied on first use in each process."""

    database: str = Field(default=DEFAULT_DB, description="Path of the DuckDB warehouse file.")

    @contextmanager
    def get_connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:  # type: ignore[override]
        """A connection that is always closed, in the UTC time zone.

        A read-write connection first takes the :class:`WriterLock` (so writers queue instead of
        failing), then opens the file, retried while a reader in another process holds DuckDB's lock.
        """
        local = is_local_file(self.database)
        if local:
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
            if not Path(self.database).exists():  # deleted and made anew in this process: schema again
                with _applied_lock:
                    _applied.discard(self.database)
        with WriterLock.for_database(self.database).held() if local and not read_only else nullcontext():
            con = backoff(
                fn=duckdb.connect,
                retry_on=(RuntimeError, duckdb.IOException),
                kwargs={"database": self.database, "read_only": read_only, "config": dict(self.connection_config)},
                max_retries=10,
            )
            try:
                # timestamptz columns come back in UTC, as the schema declares, whatever the process's TZ
                con.execute("set TimeZone = 'UTC'")
                if not read_only:
                    self._ensure_schema(con)
                yield con
            finally:
                con.close()

    def _ensure_schema(self, con: duckdb.DuckDBPyConnection) -> None:
        with _applied_lock:
            if self.database in _applied and self.database != ":memory:":
                return
            apply_schema(con)
            _applied.add(self.database)

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None, read_only: bool = False) -> pl.DataFrame:
        """Run one read and return it as a polars frame (the connection is closed before returning).

        ``read_only`` opens the file without the write lock (it must exist and have its schema):
        other readers may share it, a writer in another process waits for it.
        """
        with self.get_connection(read_only=read_only) as con:
            return con.sql(sql, params=params or None).pl()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection inside one transaction: committed on success, rolled back on any error."""
        with self.get_connection() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def replace(self, table: str, where: Mapping[str, Any], frame: pl.DataFrame) -> int:
        """Replace the rows of ``table`` matching ``where`` (e.g. one partition) by ``frame``, atomically.

        Columns are matched by name, so the DDL's column order never matters; a column the DDL
        lacks is an error rather than a silent drop.
        """
        return self.replace_many(where, {table: frame})[table]

    def replace_many(self, where: Mapping[str, Any], frames: Mapping[str, pl.DataFrame]) -> dict[str, int]:
        """:meth:`replace` for several tables (e.g. one partition's rows and their details) in one transaction."""
        clause = " and ".join(f'"{col}" = ?' for col in where) or "true"
        with self.transaction() as con:
            for table, frame in frames.items():
                con.execute(f"delete from {table} where {clause}", list(where.values()))
                insert_frame(con, table, frame)
        return {table: frame.height for table, frame in frames.items()}

    def append(self, table: str, frame: pl.DataFrame) -> int:
        """Insert ``frame`` into ``table`` in one transaction (rows whose primary key exists are skipped)."""
        if frame.is_empty():
            return 0
        with self.transaction() as con:
            return insert_frame(con, table, frame, on_conflict="do nothing")


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, on_conflict: str = "") -> int:
    """Insert a frame into a table by column name inside the caller's transaction (empty: no-op).

    Returns the number of rows DuckDB inserted (rows skipped by ``on_conflict do nothing`` not counted).
    """
    if frame.is_empty():
        return 0
    con.register("_hubscope_frame", frame.to_arrow())
    try:
        conflict = f" on conflict {on_conflict}" if on_conflict else ""
        return con.execute(f"insert into {table} by name select * from _hubscope_frame{conflict}").fetchone()[0]
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
