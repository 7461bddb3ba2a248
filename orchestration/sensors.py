"""The discovery sensor: keeps discovery fresh and turns new families into partitions with a first run.

Each tick reads the family keys from ``core.families`` (a read-only connection that fails fast: if a
run is writing, the tick is skipped rather than waiting on the lock), adds the keys the instance does
not know as ``families`` dynamic partitions, and requests one ``ingest_job`` run for each. When
discovery has never run or is older than :data:`DISCOVERY_MAX_AGE`, it requests a discovery run (one
per day, deduplicated by run key); the new families it finds are picked up by the next tick.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb

from assets.ingest.assets import FAMILIES_KEY
from orchestration.jobs import discovery_job, ingest_job
from orchestration.lake import DATA_PATH_ENV, EXTENSIONS_ENV, is_lake
from orchestration.partitions import FAMILIES
from orchestration.warehouse import Warehouse, is_local_file

DISCOVERY_MAX_AGE = timedelta(days=1)


class WarehouseBusy(RuntimeError):
    """Another process holds the DuckDB file's lock."""


def read_family_keys(database: str) -> list[str]:
    """The keys in ``core.families``; empty when the warehouse or table does not exist yet.

    A DuckLake (``ducklake:postgres:...``) is read through the Warehouse, with its data path from the
    environment: a lake never blocks this read.
    """
    if isinstance(database, dg.EnvVar):  # the resource's value read outside a run (the CLI)
        database = database.get_value()
    if is_lake(database):
        lake = Warehouse(database=database, data_path=os.environ.get(DATA_PATH_ENV), extension_directory=os.environ.get(EXTENSIONS_ENV))
        return lake.query("select family_key from core.families order by 1", read_only=True)["family_key"].to_list()
    if is_local_file(database) and not Path(database).exists():
        return []
    try:
        con = duckdb.connect(database, read_only=True)
    except duckdb.IOException as exc:
        raise WarehouseBusy(str(exc)) from None
    try:
        return [row[0] for row in con.execute("select family_key from core.families order by 1").fetchall()]
    except duckdb.CatalogException:
        return []
    finally:
        con.close()


@dataclass(frozen=True)
class Tick:
    """What one sensor tick decides (pure, so it is tested without a daemon)."""

    new_keys: list[str]
    run_requests: list[dg.RunRequest] = field(default_factory=list)


def plan_tick(families: list[str], known: set[str], last_discovery: datetime | None, now: datetime) -> Tick:
    new = sorted(set(families) - known)
    stale = last_discovery is None or now - last_discovery > DISCOVERY_MAX_AGE
    requests = [dg.RunRequest(job_name=ingest_job.name, partition_key=k, run_key=f"first-{k}") for k in new]
    if stale:
        requests.insert(0, dg.RunRequest(job_name=discovery_job.name, run_key=f"discovery-{now:%Y-%m-%d}"))
    return Tick(new, requests)


@dg.sensor(
    jobs=[discovery_job, ingest_job],
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds newly discovered families as partitions and requests their first ingest; refreshes discovery daily.",
)
def family_discovery_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    try:
        families = read_family_keys(warehouse.database)
    except WarehouseBusy:
        return dg.SkipReason("the warehouse is being written; trying again next tick")
    event = context.instance.get_latest_materialization_event(FAMILIES_KEY)
    last = datetime.fromtimestamp(event.timestamp, UTC) if event else None
    tick = plan_tick(families, set(context.instance.get_dynamic_partitions(FAMILIES.name)), last, datetime.now(UTC))
    if not tick.run_requests:
        return dg.SkipReason(f"{len(families)} families, none new; discovery is fresh")
    return dg.SensorResult(
        run_requests=tick.run_requests,
        dynamic_partitions_requests=[FAMILIES.build_add_request(tick.new_keys)] if tick.new_keys else [],
    )


SENSORS = [family_discovery_sensor]
