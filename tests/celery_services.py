"""Throwaway Redis and Celery workers for tests and the scale bench, always stopped afterwards.

Redis comes from Debian's ``redis-server`` package; workers are the ``celery`` command a deployment
runs (``celery -A orchestration.worker worker``). Each server and worker is started in its own
session (process group) and the whole group is stopped on exit, with SIGKILL after a grace period,
so a failing test leaves no prefork child or server behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import redis

from orchestration.executors import BROKER_ENV
from orchestration.partitions import FAMILIES
from orchestration.warehouse import ROOT, Warehouse
from tests.ops.conftest import require_tool
from tests.services import free_port

SAMPLE_FAMILIES = ("sparse-lab/sparse-t5", "acme-research/codegen-mini", "qwerty-ai/tinyqwerty",
                  "cahya-wirawan/indonesian-language-models", "indolab/indobert-lite", "void-lab/void-lm")
"""Small families of the bundled sample (up to a few hundred commits each) whose repositories are all
public, so a run needs no token; the scale test takes the first four."""

CELERY = str(Path(sys.executable).with_name("celery"))
"""The ``celery`` command of this environment (the one the project installs)."""


def stop_group(proc: subprocess.Popen, grace_s: float = 15.0) -> None:
    """SIGTERM the process group ``proc`` leads, SIGKILL whatever of it is left after ``grace_s``
    (a worker's warm shutdown waits for its running step; its prefork children share the group)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace_s)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _wait_until(ready, what: str, proc: subprocess.Popen, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready after {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


@contextmanager
def redis_server() -> Iterator[str]:
    """A fresh Redis on 127.0.0.1 (no persistence); yields its URL (database 0)."""
    binary = require_tool(shutil.which("redis-server"), "redis-server", "redis-server")
    base = Path(tempfile.mkdtemp(prefix="hubscope-redis-"))
    port = free_port()
    log = base / "redis.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(base), "--protected-mode", "yes"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_timeout=1)

        def pong() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        _wait_until(pong, "redis-server", proc, log, 30)
        yield url
    finally:
        stop_group(proc)
        shutil.rmtree(base, ignore_errors=True)


@dataclass(frozen=True)
class Worker:
    """A running worker: its Celery node name (``name@host``) and log file."""

    node: str
    log: Path


@contextmanager
def celery_workers(names_and_queues: Mapping[str, Sequence[str]], env: Mapping[str, str], log_dir: Path,
                   timeout_s: float = 180) -> Iterator[list[Worker]]:
    """Start one ``celery -A orchestration.worker worker`` per entry (name -> queues it takes), wait until
    every one says it is ready, yield them, stop them all.

    Each is a solo worker (one step at a time, in the worker process: what docs/deployment.md runs)
    that imports the code location before it says ready, so its first step does not pay for that.
    ``env`` must hold ``HUBSCOPE_CELERY_BROKER`` and whatever the code location reads (warehouse,
    endpoints, ``DAGSTER_PG_URL``).
    """
    if BROKER_ENV not in env:
        raise ValueError(f"the workers' environment needs {BROKER_ENV}")
    host = socket.gethostname()
    started: list[tuple[subprocess.Popen, Worker]] = []
    try:
        for name, queues in names_and_queues.items():
            log = log_dir / f"worker-{name}.log"
            worker = Worker(f"{name}@{host}", log)
            with log.open("w") as out:
                proc = subprocess.Popen(
                    [CELERY, "-A", "orchestration.worker", "worker", "-Q", ",".join(queues), "-n", worker.node,
                     "-P", "solo", "-I", "orchestration.definitions", "-l", "INFO", "--without-gossip", "--without-mingle"],
                    cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                )
            started.append((proc, worker))
        for proc, worker in started:
            _wait_until(lambda w=worker: f"{w.node} ready." in w.log.read_text(), f"worker {worker.node}", proc,
                        worker.log, timeout_s)
        yield [w for _, w in started]
    finally:
        for proc, _ in started:
            stop_group(proc)


@contextmanager
def started_run(env: Mapping[str, str], job: str, log: Path, partition: str | None = None) -> Iterator[subprocess.Popen]:
    """One run of ``job`` (for ``partition``), started as a user would from a terminal, in its own process
    group, which is stopped on the way out whatever happened (a run whose step waits for a worker that
    never came would otherwise wait for ever).

    With ``HUBSCOPE_CELERY_BROKER`` in ``env`` this process only orchestrates: every step goes to a worker.
    """
    tags = ["--tags", json.dumps({"dagster/partition": partition})] if partition else []
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster")), "job", "execute", "-m", "orchestration.definitions",
             "-j", job, *tags],
            cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        yield proc
    finally:
        stop_group(proc, grace_s=5)


def families_at_once(env: Mapping[str, str], families: Sequence[str], log_dir: Path,
                     timeout_s: float = 600) -> dict[str, tuple[int, str]]:
    """Start one ``family_job`` run per family at the same moment, wait for all; each family's exit status
    and output. Every run's process group is stopped on the way out, also when waiting fails or times out.
    """
    logs = {key: log_dir / f"run-{key}.log" for key in families}
    deadline = time.monotonic() + timeout_s
    with ExitStack() as stack:
        runs = {key: stack.enter_context(started_run(env, "family_job", logs[key], key)) for key in families}
        for proc in runs.values():
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    return {key: (proc.returncode, logs[key].read_text()) for key, proc in runs.items()}


def register_discovered(proc: subprocess.Popen, log: Path, warehouse: Warehouse, instance: dg.DagsterInstance,
                        timeout_s: float = 600) -> list[str]:
    """Wait for a ``discovery_job`` run, then add every family it wrote as a partition (what the discovery
    sensor does in a deployment); the family keys."""
    if proc.wait(timeout=timeout_s):
        raise RuntimeError(f"discovery failed:\n{log.read_text()[-4000:]}")
    keys = warehouse.query("select family_key from core.families order by 1", read_only=True)["family_key"].to_list()
    instance.add_dynamic_partitions(FAMILIES.name, keys)
    return keys


def celery_home(base_env: Mapping[str, str], dagster_home: Path, instance_yaml: str, pg_url: str,
                broker: str) -> dict[str, str]:
    """``base_env`` plus a Dagster instance on PostgreSQL (``instance_yaml``: the project's
    dagster-postgres.yaml, or dagster-ducklake.yaml on a lake, copied unmodified) and the broker: what every
    run process and worker of one deployment shares."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / instance_yaml, dagster_home / "dagster.yaml")
    return {**base_env, "DAGSTER_HOME": str(dagster_home), "DAGSTER_PG_URL": pg_url, BROKER_ENV: broker}
