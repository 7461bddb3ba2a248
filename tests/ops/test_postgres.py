"""The Dagster instance on PostgreSQL: a throwaway server from Debian's packages, the project's
dagster-postgres.yaml example as the instance config, and a real hubscope asset materialized into it."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import psycopg2
import pytest

from assets.label.assets import label_agreement
from orchestration.resources import LLMResource
from orchestration.warehouse import ROOT, Warehouse
from tests.services import Postgres, postgres  # noqa: F401  (the fixture)


def test_runs_and_events_are_stored_in_postgresql(postgres: Postgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    postgres.create_database("dagster")
    monkeypatch.setenv("DAGSTER_PG_URL", postgres.sqlalchemy_url("dagster"))
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

    con = psycopg2.connect(host=postgres.host, port=postgres.port, user=postgres.user, dbname="dagster")
    try:
        cur = con.cursor()
        cur.execute("select status from runs where run_id = %s", [run_id])
        assert cur.fetchone() == ("SUCCESS",)
        cur.execute("select count(*) from event_logs where run_id = %s and dagster_event_type = 'ASSET_MATERIALIZATION'", [run_id])
        assert cur.fetchone()[0] == 1
    finally:
        con.close()
    assert not list(home.rglob("*.db")), "nothing was written to SQLite in DAGSTER_HOME"
