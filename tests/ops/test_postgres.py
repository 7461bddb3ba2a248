"""The Dagster instance on PostgreSQL: a throwaway server from Debian's packages, the project's
dagster-postgres.yaml example as the instance config, and a real hubscope asset materialized into it."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psycopg2
import pytest

from assets.label.assets import label_agreement
from orchestration.resources import LLMResource
from orchestration.warehouse import ROOT, Warehouse
from tests.ops.conftest import require_tool


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    return require_tool(found, name, "postgresql")


def _as_server_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as `nobody`."""
    return ["runuser", "-u", "nobody", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="module")
def postgres() -> Iterator[dict[str, str]]:
    base = Path(tempfile.mkdtemp(prefix="hubscope-pg-"))
    base.chmod(0o755)
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "nobody")
        shutil.chown(sock, "nobody")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run(_as_server_user([_pg_bin("initdb"), "-D", str(data), "-U", "hubscope", "-A", "trust", "--no-sync"]),
                   check=True, capture_output=True, timeout=120)
    subprocess.run(_as_server_user([_pg_bin("pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w", "-t", "60",
                                    "-o", f"-p {port} -h 127.0.0.1 -k {sock} -c fsync=off", "start"]),
                   check=True, capture_output=True, timeout=90)
    try:
        con = psycopg2.connect(host="127.0.0.1", port=port, user="hubscope", dbname="postgres")
        con.autocommit = True
        con.cursor().execute("create database dagster")
        con.close()
        yield {"port": str(port), "DAGSTER_PG_URL": f"postgresql+psycopg2://hubscope:unused@127.0.0.1:{port}/dagster"}
    finally:
        subprocess.run(_as_server_user([_pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def test_runs_and_events_are_stored_in_postgresql(postgres: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DAGSTER_PG_URL", postgres["DAGSTER_PG_URL"])
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(ROOT / "dagster-postgres.yaml", home / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        result = dg.materialize(
            [label_agreement], instance=instance,
            resources={"warehouse": Warehouse(database=str(tmp_path / "hubscope.duckdb")), "llm": LLMResource()},
        )
        assert result.success
        run_id = result.run_id
        assert instance.get_latest_materialization_event(dg.AssetKey(["core", "label_agreement"])).run_id == run_id

    con = psycopg2.connect(host="127.0.0.1", port=int(postgres["port"]), user="hubscope", dbname="dagster")
    try:
        cur = con.cursor()
        cur.execute("select status from runs where run_id = %s", [run_id])
        assert cur.fetchone() == ("SUCCESS",)
        cur.execute("select count(*) from event_logs where run_id = %s and dagster_event_type = 'ASSET_MATERIALIZATION'", [run_id])
        assert cur.fetchone()[0] == 1
    finally:
        con.close()
    assert not list(home.rglob("*.db")), "nothing was written to SQLite in DAGSTER_HOME"
