"""The DuckDB warehouse: schema from ``sql/``, transactional partition writes, short-lived connections.

Why not Dagster's DuckDB IO managers: under duckdb 2.0 their reads fail, their writes are
DELETE-then-INSERT without a transaction, and the table shape is inferred from the first frame
(see docs/architecture.md). hubscope owns its DDL in ``sql/ddl`` and every asset writes through
:meth:`Warehouse.replace` / :meth:`Warehouse.append`, each one transaction, so a crash mid-write
leaves the previous rows in place.

Connections are opened per read or write and closed at once: nothing holds the file lock while it
waits on the network, an LLM or a GPU.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
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
        """A connection that is always closed, retried while another process holds the lock."""
        if is_local_file(self.database):
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
            if not Path(self.database).exists():  # deleted and made anew in this process: schema again
                with _applied_lock:
                    _applied.discard(self.database)
        con = backoff(
            fn=duckdb.connect,
            retry_on=(RuntimeError, duckdb.IOException),
            kwargs={"database": self.database, "read_only": read_only, "config": dict(self.connection_config)},
            max_retries=10,
        )
        try:
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
    """A markdown preview of a frame for asset metadata (the UI renders it as a table)."""
    with pl.Config(
        tbl_formatting="MARKDOWN",
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=True,
        tbl_rows=rows,
        tbl_cols=-1,
        fmt_str_lengths=60,
    ):
        return dg.MetadataValue.md(str(frame.head(rows)))
