"""Throwaway servers for tests: a PostgreSQL from Debian's packages, started in seconds, gone afterwards,
and DuckLake warehouses whose catalog lives on it.

Used by the Dagster-on-PostgreSQL test (instance storage), the DuckLake warehouse tests (the lake's
catalog) and anything else that needs a real server without network access. The server listens on
127.0.0.1 at a free port with ``trust`` authentication, ``fsync=off`` (nothing it holds outlives the
test) and a private socket folder; as root it runs as ``nobody`` (PostgreSQL refuses root).

Fixtures (import them into a test module: ``from tests.services import lake, postgres``): ``postgres``
(one server per session), ``lake`` (an empty lake Warehouse per test); :func:`lake_env` gives the
environment variables that configure the same lake in a subprocess.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest

from orchestration.warehouse import Warehouse
from tests.ops.conftest import require_tool


@dataclass(frozen=True)
class Postgres:
    """A running server: connect as ``user`` (no password) to ``host``:``port``."""

    host: str
    port: int
    user: str

    def create_database(self, name: str) -> str:
        """Create database ``name`` and return its libpq connection string (``dbname=... host=...``)."""
        con = psycopg2.connect(host=self.host, port=self.port, user=self.user, dbname="postgres")
        try:
            con.autocommit = True
            con.cursor().execute(f'create database "{name}"')
        finally:
            con.close()
        return self.libpq(name)

    def libpq(self, dbname: str) -> str:
        """The key=value connection string libpq (and DuckDB's postgres extension) read."""
        return f"dbname={dbname} host={self.host} port={self.port} user={self.user}"

    def sqlalchemy_url(self, dbname: str) -> str:
        """The URL dagster-postgres reads (psycopg2 driver; the password is ignored under trust)."""
        return f"postgresql+psycopg2://{self.user}:unused@{self.host}:{self.port}/{dbname}"


def pg_bin(name: str) -> str:
    """A PostgreSQL server program (initdb, pg_ctl): on PATH or Debian's versioned folder; skips when absent."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    return require_tool(found, name, "postgresql")


def _as_server_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as `nobody`."""
    return ["runuser", "-u", "nobody", "--", *args] if os.geteuid() == 0 else args


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_server(user: str = "hubscope") -> Iterator[Postgres]:
    """Start a fresh PostgreSQL cluster, yield it, stop it (``immediate``) and delete its files.

    A port taken between choosing it and binding it (another test's server) is retried on a new one.
    """
    base = Path(tempfile.mkdtemp(prefix="hubscope-pg-"))
    base.chmod(0o755)
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "nobody")
        shutil.chown(sock, "nobody")
    pg_ctl = pg_bin("pg_ctl")
    started = False
    try:
        subprocess.run(_as_server_user([pg_bin("initdb"), "-D", str(data), "-U", user, "-A", "trust", "--no-sync"]),
                       check=True, capture_output=True, timeout=120)
        for attempt in range(3):
            port = free_port()
            result = subprocess.run(
                _as_server_user([pg_ctl, "-D", str(data), "-l", str(base / "server.log"), "-w", "-t", "60",
                                 "-o", f"-p {port} -h 127.0.0.1 -k {sock} -c fsync=off -c full_page_writes=off", "start"]),
                capture_output=True, text=True, timeout=90)
            if result.returncode == 0:
                started = True
                break
            if attempt == 2:
                log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
                raise RuntimeError(f"PostgreSQL did not start: {result.stderr}\n{log[-2000:]}")
        yield Postgres("127.0.0.1", port, user)
    finally:
        if started:
            subprocess.run(_as_server_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
                           capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One PostgreSQL server for the test session; each user creates its own database on it."""
    with postgres_server() as server:
        yield server


def lake_warehouse(server: Postgres, data_path: Path, name: str | None = None) -> Warehouse:
    """A Warehouse on a new, empty DuckLake: its catalog a fresh database on ``server``, its files under ``data_path``."""
    name = name or f"lake_{uuid.uuid4().hex[:12]}"
    return Warehouse(database=f"ducklake:postgres:{server.create_database(name)}", data_path=str(data_path))


def lake_env(warehouse: Warehouse) -> dict[str, str]:
    """The environment that configures ``warehouse`` (a lake) in another process: what a deployment sets."""
    return {"HUBSCOPE_WAREHOUSE": warehouse.target, "HUBSCOPE_LAKE_DATA_PATH": str(warehouse.data_path)}


@pytest.fixture
def lake(postgres: Postgres, tmp_path: Path) -> Warehouse:
    """An empty DuckLake warehouse (catalog on the session's PostgreSQL, Parquet files in the test's folder)."""
    return lake_warehouse(postgres, tmp_path / "lake")
