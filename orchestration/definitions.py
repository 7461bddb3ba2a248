"""The code location: every stage's assets and checks, plus resources, sensors, schedules and jobs."""

from __future__ import annotations

import dagster as dg

# Stage modules, not their ``defs`` objects: Dagster refuses more than one Definitions at module scope.
from assets.gems import definitions as gems
from assets.ingest import definitions as ingest
from assets.label import definitions as label
from assets.sync import definitions as sync
from orchestration.constraints import with_constraint_checks
from orchestration.dead_runs import dead_runs_sensor
from orchestration.executors import executor_from_env
from orchestration.jobs import JOBS
from orchestration.policies import with_policies
from orchestration.resources import default_resources
from orchestration.schedules import SCHEDULES
from orchestration.sensors import SENSORS
from orchestration.snapshot import read_snapshot_sensor


def build_definitions(resources: dict[str, dg.ConfigurableResource]) -> dg.Definitions:
    """The whole code location over the given resources (the demo and tests pass their own endpoints).

    Owners, tags and automation conditions of every stage's assets are set in one place: policies.py;
    only the gems evaluation carries a Celery queue tag (queues.py); sql/ddl's constraints become blocking checks of
    the assets that write each table in constraints.py. The executor is Dagster's default unless
    ``HUBSCOPE_CELERY_BROKER`` selects Celery workers (executors.py).
    """
    return with_policies(with_constraint_checks(dg.Definitions.merge(
        ingest.defs,
        label.defs,
        sync.defs,
        gems.defs,
        dg.Definitions(resources=resources),
        dg.Definitions(jobs=JOBS, schedules=SCHEDULES, sensors=[*SENSORS, read_snapshot_sensor, dead_runs_sensor],
                       executor=executor_from_env()),
    )))


defs = build_definitions(default_resources())
