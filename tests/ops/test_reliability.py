"""What a crash, a signal, a slow remote or a busy warehouse does to later runs (issue 12, issue 16).

Real processes: the CLI runs as a user runs it, is killed with SIGKILL or SIGTERM, and the rerun
is timed. The slot and lock states are read from the instance and the warehouse, not from the CLI.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable

import dagster as dg
import duckdb
import pytest

from orchestration.dead_runs import HOST_TAG, PID_TAG, STARTED_TAG, dead_runs_sensor, process_tags
from orchestration.sensors import family_discovery_sensor
from orchestration.warehouse import ROOT, Warehouse, WriterLock
from tests.ops.conftest import FAMILY, Home


def _wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _start(home: Home, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "orchestration.cli", *args], cwd=ROOT, env=home.env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _claims(home: Home, pool: str = "duckdb") -> list[str]:
    with home.instance() as instance:
        return [slot.run_id for slot in instance.event_log_storage.get_concurrency_info(pool).claimed_slots]


def _run_status(home: Home, run_id: str) -> dg.DagsterRunStatus:
    with home.instance() as instance:
        return instance.get_run_by_id(run_id).status


def test_a_cli_run_killed_with_sigkill_never_blocks_the_next_run(cli_home: Home):
    # The test holds the warehouse's write lock, so the run's first pool step (rules labels, pool
    # duckdb) claims its slot and then waits: it is killed holding the slot, as a crash would.
    command = ("materialize", "--family", FAMILY, "--select", "key:core/labelled_commits")
    with WriterLock.for_database(str(cli_home.database)).held():
        victim = _start(cli_home, *command)
        (dead_run,) = _wait_for(lambda: _claims(cli_home), 120, "the run to claim its duckdb slot")
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
    assert _claims(cli_home) == [dead_run], "a killed process cannot free its own slot"

    started = time.monotonic()
    rerun = cli_home.cli(*command, timeout=240)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"freed the pool slots of 1 run(s) whose process is gone (marked failed): {dead_run[:8]}" in rerun.stdout
    assert "materialized core/labelled_commits" in rerun.stdout
    assert time.monotonic() - started < 200
    assert _run_status(cli_home, dead_run) == dg.DagsterRunStatus.FAILURE
    assert _claims(cli_home) == []


def test_sigterm_while_waiting_for_the_pool_cancels_the_run_and_frees_its_claim(cli_home: Home):
    with cli_home.instance() as instance:
        storage = instance.event_log_storage
        storage.claim_concurrency_slot("duckdb", "someone-else", "their_step")  # the pool's one slot, taken
        try:
            waiting = _start(cli_home, "materialize", "--family", FAMILY, "--select", "key:core/labelled_commits")
            lines: list[str] = []
            _wait_for(lambda: lines.append(waiting.stdout.readline()) or "waits for the duckdb pool" in lines[-1], 120,
                      "the progress line saying the step waits for the pool")
            assert "held by run someone" in lines[-1], lines[-1]
            run_id = next(r.run_id for r in instance.get_runs(filters=dg.RunsFilter(tags={"hubscope/pid": str(waiting.pid)})))
            waiting.send_signal(signal.SIGTERM)
            assert waiting.wait(timeout=60) == 130, "SIGTERM ends the command"
            rest = waiting.stdout.read()
        finally:
            storage.free_concurrency_slots_for_run("someone-else")
        assert f"interrupted; run {run_id[:8]} marked canceled" in rest
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.CANCELED
        assert run_id not in storage.get_concurrency_run_ids()


def test_a_slow_remote_in_one_family_does_not_delay_another_familys_write(cli_home: Home, local_api):
    # Neither family is ingested yet, so both runs write commits. The first family's first git
    # request is held for a minute; the second family must finish its write meanwhile.
    local_api.reset()
    delay = 60.0
    fault = local_api.inject(route="git.github.info_refs", delay=delay, times=1)
    slow = _start(cli_home, "materialize", "--family", "glotta-nlp__glotta", "--select", "key:raw/commits")
    try:
        _wait_for(lambda: fault.times == 0, 90, "the slow family's first git request")
        started = time.monotonic()
        fast = cli_home.cli("materialize", "--family", "sparse-lab__sparse-t5", "--select", "key:raw/commits", timeout=delay)
        took = time.monotonic() - started
        assert fast.returncode == 0, fast.stdout + fast.stderr
        assert slow.poll() is None, "the slow family is still waiting on its remote"
    finally:
        local_api.reset()  # releases the held answer: the slow family goes on and finishes its write
        slow.wait(timeout=delay + 120)
    assert slow.returncode == 0, slow.stdout.read()
    written = Warehouse(database=str(cli_home.database)).query(
        "select family_key, count(*) as n from raw.commits where family_key in ('glotta-nlp__glotta', 'sparse-lab__sparse-t5') group by 1")
    assert dict(written.rows()).keys() == {"glotta-nlp__glotta", "sparse-lab__sparse-t5"}
    assert took < delay, f"the second family took {took:.0f} s, as long as the other's slow remote"


def test_the_discovery_sensor_skips_its_tick_while_a_run_writes_the_warehouse(warehouse: Warehouse, instance: dg.DagsterInstance):
    warehouse.query("select 1")  # the file exists, with its schema
    writer = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('open', flush=True); time.sleep(600)", warehouse.database], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "open"
        with pytest.raises(duckdb.IOException):  # what the sensor meets: DuckDB's lock, held by the writer
            duckdb.connect(warehouse.database, read_only=True)
        result = family_discovery_sensor(dg.build_sensor_context(instance=instance), warehouse=warehouse)
    finally:
        writer.kill()
        writer.wait()
    assert isinstance(result, dg.SkipReason) and "being written" in result.skip_message
    assert instance.get_dynamic_partitions("families") == [], "a skipped tick adds nothing"
    assert os.path.exists(warehouse.database)


def test_the_daemon_sensor_frees_a_dead_cli_run_and_leaves_live_and_foreign_ones(instance: dg.DagsterInstance):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid whose process has ended
    runs = {}
    for name, tags in {
        "dead": {HOST_TAG: socket.gethostname(), PID_TAG: str(gone.pid), STARTED_TAG: ""},
        "alive": process_tags(),  # this very process
        "other_host": {HOST_TAG: "another-machine", PID_TAG: str(gone.pid), STARTED_TAG: ""},
    }.items():
        run = instance.create_run_for_job(dg.GraphDefinition(name=f"job_{name}").to_job(), tags=tags)
        instance.handle_run_event(run.run_id, dg.DagsterEvent(dg.DagsterEventType.RUN_START.value, job_name=run.job_name))
        instance.event_log_storage.set_concurrency_slots("duckdb", 3)
        assert instance.event_log_storage.claim_concurrency_slot("duckdb", run.run_id, "step").is_claimed
        runs[name] = run.run_id

    result = dead_runs_sensor(dg.build_sensor_context(instance=instance))

    assert runs["dead"] in result.skip_message
    status = {name: instance.get_run_by_id(run_id).status for name, run_id in runs.items()}
    assert status == {"dead": dg.DagsterRunStatus.FAILURE, "alive": dg.DagsterRunStatus.STARTED,
                      "other_host": dg.DagsterRunStatus.STARTED}
    held = {slot.run_id for slot in instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots}
    assert held == {runs["alive"], runs["other_host"]}
