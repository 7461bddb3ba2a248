"""The code location: every stage's assets and checks, plus resources, sensors, schedules and jobs."""

from __future__ import annotations

import dagster as dg

from orchestration.resources import default_resources

defs = dg.Definitions.merge(
    dg.Definitions(resources=default_resources()),
)
