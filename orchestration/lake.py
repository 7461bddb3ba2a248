"""The DuckLake backend of the warehouse: a catalog in PostgreSQL, the data as Parquet files under a data path.

Chosen by configuration alone: ``HUBSCOPE_WAREHOUSE=ducklake:postgres:dbname=... host=...`` and
``HUBSCOPE_LAKE_DATA_PATH`` (a folder here, ``s3://...`` in production); see docs/ducklake.md. Every
asset writes through the same :class:`~orchestration.warehouse.Warehouse` methods as on the file.

What differs from the file, and is handled here:

- **Extensions offline.** DuckDB cannot download ``ducklake``/``postgres`` here; the ``team`` extra
  installs them as wheels (``duckdb-ext-ducklake``, ``duckdb-ext-postgres``) and we load them from
  that folder with auto-install off. A missing wheel is an error naming the package.
- **Schema.** DuckLake refuses primary keys, unique, foreign key and check constraints, so the lake's
  tables are made by reflection: ``sql/ddl`` is applied to a private in-memory database and each of
  its tables is created on the lake from ``duckdb_columns()`` (names, types, NOT NULL, which DuckLake
  does enforce). Rows the DDL seeds (the taxonomy, the pattern catalogs) and ``sql/views`` follow.
  The constraints become blocking asset checks (``orchestration/constraints.py``). Nothing is written
  when the lake already matches, so a process start makes no snapshot.
- **Concurrency.** Several processes write at once; DuckLake detects conflicting commits (e.g. two
  deletes from one Parquet file) and :func:`retry_conflicts` re-runs the whole transaction.
- **Secrets.** The attach string may hold ``password=...``; :func:`redact` removes it from every
  error this module raises (prefer ``PGPASSWORD`` or ``~/.pgpass``, which libpq reads).
"""

from __future__ import annotations

import importlib.metadata
import os
import random
import re
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TypeVar

import dagster as dg
import duckdb

LAKE_PREFIX = "ducklake:"
LAKE_ALIAS = "lake"
"""The name the lake is attached under in hubscope's connections (``use lake`` follows)."""

WAREHOUSE_ENV = "HUBSCOPE_WAREHOUSE"
DATA_PATH_ENV = "HUBSCOPE_LAKE_DATA_PATH"
EXTENSIONS_ENV = "HUBSCOPE_DUCKDB_EXTENSIONS"
EXTENSION_PACKAGES = {"ducklake": "duckdb-ext-ducklake", "postgres_scanner": "duckdb-ext-postgres"}
"""The extensions a lake needs, by file name, and the wheel that installs each (the ``team`` extra)."""
REMOTE_EXTENSION_PACKAGES = {"httpfs": "duckdb-ext-httpfs"}
"""Also needed when the data path is object storage (``s3://``, ``gs://``, ``https://``...): not in the
``team`` extra, since only a production deployment has object storage."""

INIT_RETRIES = 5
"""Attaches retried while another process initialises a new lake's catalog (about 3 s in all)."""

CONFLICT_RETRIES = 8
"""Re-runs of a transaction after a commit conflict: with the backoff below, about 15 s in all."""

T = TypeVar("T")


class WarehouseConfigError(ValueError):
    """The warehouse configuration cannot work (missing wheel, unreachable catalog, no data path, a file from a
    newer DuckDB). A ValueError, so the CLI reports it as a bad setting, and no connection retry waits on it."""


def is_lake(database: str) -> bool:
    return database.startswith(LAKE_PREFIX)


_SECRET = re.compile(r"(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)|(://[^:/@\s]+:)([^@\s]+)(@)")


def redact(text: str) -> str:
    """``text`` with libpq passwords (``password=...``) and URL passwords (``user:...@``) replaced by ``***``."""
    return _SECRET.sub(lambda m: f"{m[1]}***" if m[1] else f"{m[3]}***{m[5]}", text)


def extension_directory(configured: str | None = None, packages: dict[str, str] = EXTENSION_PACKAGES) -> Path:
    """Where DuckDB loads the lake's extensions (``packages``: file name -> wheel) from: ``configured``
    (``HUBSCOPE_DUCKDB_EXTENSIONS``), else the folder the ``duckdb-ext-*`` wheels install into.
    Raises naming what is missing."""
    platform = duckdb.execute("pragma platform").fetchone()[0]
    version = f"v{duckdb.__version__}"
    if configured:
        folder = Path(configured)
    else:
        try:
            folder = Path(importlib.metadata.distribution("duckdb-ext-ducklake").locate_file("duckdb_ext/extensions"))
        except importlib.metadata.PackageNotFoundError:
            folder = None
    missing = [pkg for name, pkg in packages.items()
               if folder is None or not (folder / version / platform / f"{name}.duckdb_extension").is_file()]
    if missing:
        where = f"{EXTENSIONS_ENV}={configured}" if configured else "the installed packages"
        install = " ".join(f"'{package}=={duckdb.__version__}.*'" for package in missing)
        raise WarehouseConfigError(
            f"the DuckLake warehouse needs the DuckDB extensions of {', '.join(missing)} for duckdb {duckdb.__version__} "
            f"({platform}), not found in {where}: pip install {install} "
            f"(the first two come with 'hubscope[team]'), or point {EXTENSIONS_ENV} at a folder holding "
            f"{version}/{platform}/<name>.duckdb_extension")
    return folder


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _attach(database: str, data_path: str | None, read_only: bool, extensions: str | None,
            config: tuple[tuple[str, object], ...]) -> duckdb.DuckDBPyConnection:
    if not data_path:
        raise WarehouseConfigError(
            f"{DATA_PATH_ENV} is not set: the DuckLake warehouse {redact(database)} needs the folder or object-store "
            "prefix where its Parquet files live (the same for every process)")
    remote = "://" in data_path
    packages = {**EXTENSION_PACKAGES, **(REMOTE_EXTENSION_PACKAGES if remote else {})}
    folder = extension_directory(extensions, packages)
    if not read_only and not remote:
        Path(data_path).mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={**dict(config), "extension_directory": str(folder),
                                 "autoinstall_known_extensions": False, "autoload_known_extensions": False})
    options = ("read_only, " if read_only else "") + f"data_path {_quote(data_path)}"
    statements = [f"load {name}" for name in packages]  # object storage credentials: a persistent DuckDB secret
    for attempt in range(INIT_RETRIES + 1):
        failure = None
        try:
            for statement in [*statements, f"attach {_quote(database)} as {LAKE_ALIAS} ({options})"]:
                con.execute(statement)
        except duckdb.Error as exc:
            failure = redact(str(exc))
        if failure is None:
            return con
        if "Failed to initialize DuckLake" not in failure or attempt == INIT_RETRIES:
            break
        # processes attaching a new, empty catalog at once race to create its tables: the losers wait and
        # find it made (measured: of 5 processes attaching an empty catalog at once, 2 failed without this)
        statements = []
        time.sleep(0.2 * (attempt + 1))
    con.close()
    # raised outside the except block: the original error (its message holds the attach string, password
    # included) must not travel along as __context__ into Dagster's error reports
    raise WarehouseConfigError(
        f"cannot attach the DuckLake warehouse {redact(database)} ({WAREHOUSE_ENV}) with data path {data_path} "
        f"({DATA_PATH_ENV}): {failure}")


_instances: dict[tuple, duckdb.DuckDBPyConnection] = {}
_instances_lock = threading.Lock()


def connect(database: str, data_path: str | None, read_only: bool, extensions: str | None = None,
            config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """A new connection (close it when done) to the lake, attached as ``lake`` and in use; ``read_only``:
    attached READ_ONLY. Every failure names the setting to fix, with any password redacted.

    Loading the two extensions takes about a second, so each process keeps one in-memory DuckDB per
    lake and mode and hands out cursors of it: each is its own connection with its own transactions,
    and each transaction reads the lake's latest snapshot (commits of other processes included).
    Nothing is locked while a cursor is idle, unlike a file.
    """
    key = (os.getpid(), database, data_path, read_only, extensions, tuple(sorted((config or {}).items())))
    with _instances_lock:
        if key not in _instances:
            _instances[key] = _attach(*key[1:])
        cursor = _instances[key].cursor()
    cursor.execute(f"use {LAKE_ALIAS}")
    return cursor


def is_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` is a commit conflict that re-running the transaction can resolve."""
    return isinstance(exc, duckdb.TransactionException) and "conflict" in str(exc).lower()


def in_transaction(con: duckdb.DuckDBPyConnection, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """``work(con)`` between BEGIN and COMMIT, rolled back on any error (a failed COMMIT has already ended it)."""
    con.execute("BEGIN TRANSACTION")
    try:
        result = work(con)
        con.execute("COMMIT")
    except BaseException:
        with suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    return result


def retry_conflicts(work: Callable[[], T], what: str, retries: int = CONFLICT_RETRIES) -> T:
    """Run ``work`` (a whole transaction), re-running it after a commit conflict, at most ``retries``
    times with jittered exponential backoff (0.05 s doubling, capped at 2 s); each retry is logged."""
    log = dg.get_dagster_logger("hubscope.warehouse")
    for attempt in range(retries + 1):
        try:
            return work()
        except duckdb.Error as exc:
            if not is_conflict(exc) or attempt == retries:
                raise
            delay = min(0.05 * 2**attempt, 2.0) * random.uniform(0.5, 1.5)
            reason = redact(str(exc)).splitlines()[-1]
            log.warning(f"{what}: commit conflict, retry {attempt + 1}/{retries} in {delay:.2f} s ({reason})")
            time.sleep(delay)
    raise AssertionError("unreachable")
