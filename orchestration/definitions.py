"""The code location: every stage's assets and checks, plus resources, sensors, schedules and jobs."""

from __future__ import annotations

import dagster as dg

from assets.gems.definitions import defs as gems_defs
from assets.ingest.definitions import defs as ingest_defs
from assets.label.definitions import defs as label_defs
from assets.sync.definitions import defs as sync_defs
from orchestration.resources import default_resources

defs = dg.Definitions.merge(
    ingest_defs,
    label_defs,
    sync_defs,
    gems_defs,
    dg.Definitions(resources=default_resources()),
)
