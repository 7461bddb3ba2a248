"""Runs whose process is gone: found, marked failed, and their pool slots freed.

A run that the CLI (or the demo) executes in its own process holds its steps' pool slots in the
instance's storage. If that process dies without cleaning up (``kill -9``, an OOM kill, a closed
laptop), the run stays STARTED for ever and keeps its ``duckdb`` slot: every later step in that
pool waits behind it. Dagster's run monitoring cannot see such a run (it only watches workers its
run launcher started), and marking the run failed does not free the slot.

So every run the CLI starts is tagged with its process: host, pid and the process's start time
(a pid reused by another program is not mistaken for the run). :func:`free_dead_runs` marks the
runs of this host whose process is gone as failed and frees their slots. It runs at the start of
every ``hubscope`` command that touches the instance, and every minute in the daemon (the
``hubscope_dead_runs`` sensor) while ``hubscope ui`` is open.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import dagster as dg

HOST_TAG = "hubscope/host"
PID_TAG = "hubscope/pid"
STARTED_TAG = "hubscope/process_started"
LIVE_STATUSES = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def _process_started(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux ``/proc``), None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22; the command name before ")" may hold spaces


def process_tags() -> dict[str, str]:
    """Tags naming this process, for every run it executes in-process."""
    pid = os.getpid()
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(pid), STARTED_TAG: _process_started(pid) or ""}


def process_alive(pid: int, started: str) -> bool:
    """Whether the process ``pid`` that started at ``started`` (from :func:`process_tags`) still runs."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        pass
    now = _process_started(pid)
    return not (started and now and now != started)


def free_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark this host's in-process runs whose process is gone as failed and free their pool slots.

    Returns the ids of the runs it cleaned up. Runs of other hosts are left alone (their processes
    cannot be checked from here), and so are runs without the process tags (started by the UI or
    the daemon: their run launcher owns them).
    """
    host = socket.gethostname()
    cleaned = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=LIVE_STATUSES, tags={HOST_TAG: host})):
        pid = run.tags.get(PID_TAG, "")
        if not pid.isdigit() or process_alive(int(pid), run.tags.get(STARTED_TAG, "")):
            continue
        instance.report_run_failed(run, message=f"the process that ran this run (pid {pid} on {host}) is gone "
                                   "(killed or crashed); its pool slots were freed")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        cleaned.append(run.run_id)
    return cleaned


@dg.sensor(
    name="hubscope_dead_runs",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every minute: runs started by the hubscope CLI on this host whose process is gone (kill -9, "
    "OOM, crash) are marked failed and their pool slots freed, so they never block later writing runs.",
)
def dead_runs_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    cleaned = free_dead_runs(context.instance)
    if cleaned:
        context.log.warning(f"marked {len(cleaned)} run(s) whose process is gone as failed: {', '.join(cleaned)}")
        return dg.SkipReason(f"freed the pool slots of {len(cleaned)} dead run(s): {', '.join(cleaned)}")
    return dg.SkipReason("no dead CLI runs")
