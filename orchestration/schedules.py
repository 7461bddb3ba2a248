"""The daily refresh: one ``ingest_job`` run per known family.

``build_schedule_from_partitioned_job`` rejects dynamic partitions, so the schedule lists the
instance's ``families`` partitions itself. An unchanged family costs one request per repository and
rewrites nothing, so refreshing every family daily is cheap.
"""

from __future__ import annotations

import dagster as dg

from orchestration.jobs import ingest_job
from orchestration.partitions import FAMILIES


@dg.schedule(
    job=ingest_job,
    cron_schedule="0 4 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day at 04:00 UTC, fetch new commits of every known family.",
)
def daily_family_refresh(context: dg.ScheduleEvaluationContext):
    keys = context.instance.get_dynamic_partitions(FAMILIES.name)
    if not keys:
        return dg.SkipReason("no families yet: the discovery sensor adds them")
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return [dg.RunRequest(partition_key=key, run_key=f"refresh-{day}-{key}") for key in sorted(keys)]


SCHEDULES = [daily_family_refresh]
