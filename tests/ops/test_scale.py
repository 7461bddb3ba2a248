"""Several families at once on Celery workers into one DuckLake: real PostgreSQL, Redis and two ``celery`` workers.

Discovery runs first (``discovery_job``, on the workers too); then one ``family_job`` run per family is started at the
same moment with ``dagster job execute``, each run sending its steps to the workers through Redis, all
writing one DuckLake warehouse (catalog in PostgreSQL beside the Dagster instance, Parquet files in the
test's folder). Expected row counts come from the local server's sample itself (``git
rev-list`` on its bare repositories), not from hubscope or an earlier run. While the runs write, a
reader polls the warehouse and must only ever see a family's partition absent or whole.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest

from localapi.sample.specs import SAMPLE, FamilySpec
from orchestration.executors import BROKER_ENV
from orchestration.partitions import repo_key
from orchestration.warehouse import Warehouse
from tests.celery_services import (SAMPLE_FAMILIES, celery_home, celery_workers, families_at_once, redis_server,
                                   register_discovered, started_run)
from tests.ops.conftest import home_env
from tests.services import Postgres, lake, lake_env, postgres  # noqa: F401  (fixtures)

FAMILIES = SAMPLE_FAMILIES[:4]

ESCAPED = (dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.STEP_UP_FOR_RETRY, dg.DagsterEventType.RUN_FAILURE)
"""Events that mean an error left a step: a lock or write conflict handled inside the warehouse shows none."""


def _spec(github: str) -> FamilySpec:
    return next(f for f in SAMPLE.families if f.github.full_name == github)


def _rev_count(bare: Path) -> int:
    """Commits on a bare repository's default branch, as git counts them (0 for an empty repository)."""
    out = subprocess.run(["git", "-C", str(bare), "rev-list", "--count", "HEAD"], capture_output=True, text=True)
    return int(out.stdout) if out.returncode == 0 else 0


@dataclass(frozen=True)
class Expected:
    """One family's rows, counted from the sample's git repositories."""

    family_key: str
    commits: int
    variants: int


def expected_rows(sample: Path, github: str) -> Expected:
    spec = _spec(github)
    hub = [_rev_count(sample / "git" / "hub" / f"{m.repo_id}.git") for m in spec.hub]
    gh = _rev_count(sample / "git" / "github" / f"{github}.git")
    return Expected(repo_key(github), gh + sum(hub), sum(1 for n in hub if n))


def absent_or_whole(exp: Expected) -> set[tuple[int, int, int]]:
    """What a reader may see of a family while it is written: each table's partition absent or whole, and the
    rules labels and the sync measures (siblings, both computed from the commits, in either order, even at
    once on two workers) only once every commit is stored."""
    return {(commits, labels, variants) for commits in (0, exp.commits) for labels in (0, exp.commits)
            for variants in (0, exp.variants) if commits or not (labels or variants)}


@dataclass
class Reader:
    """Polls per-family row counts while the runs write; keeps every distinct observation."""

    warehouse: Warehouse
    seen: dict[str, set[tuple[int, int, int]]] = field(default_factory=dict)
    polls: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def poll(self) -> None:
        frame = self.warehouse.query(
            "select f.family_key, "
            "(select count(*) from raw.commits c where c.family_key = f.family_key)::int as commits, "
            "(select count(*) from core.labelled_commits l where l.family_key = f.family_key and l.labeller = 'rules')::int as labels, "
            "(select count(*) from core.sync_variants v where v.family_key = f.family_key)::int as variants "
            "from core.families f", read_only=True)
        for key, commits, labels, variants in frame.iter_rows():
            self.seen.setdefault(key, set()).add((commits, labels, variants))
        self.polls += 1

    def run(self) -> None:
        while not self.stop.is_set():
            self.poll()
            self.stop.wait(0.3)


@pytest.fixture
def services(postgres: Postgres, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The instance's database on the session's PostgreSQL, and a fresh Redis: the workers' environment."""
    name = f"dagster_scale_{tmp_path.name[-12:].replace('-', '_')}"
    postgres.create_database(name)
    with redis_server() as broker:
        yield {"DAGSTER_PG_URL": postgres.sqlalchemy_url(name), BROKER_ENV: broker}


def test_four_families_at_once_on_two_workers_into_one_lake(local_api, services: dict[str, str], lake: Warehouse,
                                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    started = time.monotonic()
    monkeypatch.setenv("DAGSTER_PG_URL", services["DAGSTER_PG_URL"])  # this process reads the instance too
    env = celery_home({**home_env(local_api, tmp_path), **lake_env(lake)}, tmp_path / "dagster_home",
                      "dagster-ducklake.yaml", services["DAGSTER_PG_URL"], services[BROKER_ENV])
    expected = {e.family_key: e for e in (expected_rows(local_api.data_dir, f) for f in FAMILIES)}
    assert all(e.commits for e in expected.values())

    discovery_log = tmp_path / "run-discovery.log"
    with (started_run(env, "discovery_job", discovery_log) as discovery,  # its step waits in Redis for a worker
          celery_workers({"cpu1": ["default"], "cpu2": ["default"]}, env, tmp_path) as workers):
        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            assert set(expected) <= set(register_discovered(discovery, discovery_log, lake, instance))
        print(f"workers ready and discovery done at {time.monotonic() - started:.0f} s")
        reader = Reader(lake)
        watcher = threading.Thread(target=reader.run, daemon=True)
        watcher.start()
        try:
            runs = families_at_once(env, list(expected), tmp_path)
        finally:
            reader.stop.set()
            watcher.join()
        worker_logs = {w.node: w.log.read_text() for w in workers}
    print(f"scale test: {len(expected)} families on 2 workers into one lake in {time.monotonic() - started:.0f} s "
          f"({reader.polls} reads during the writes)")

    for key, (returncode, output) in runs.items():
        assert returncode == 0, f"{key}:\n{output[-4000:]}"
    for node, text in worker_logs.items():  # Celery logs a task that raised at ERROR level
        assert "ERROR/" not in text, f"{node}:\n{text[-4000:]}"

    final = Reader(lake)
    final.poll()
    rows = lake.query(
        "select family_key, count(*)::int as n, count(distinct (platform, repo, sha))::int as distinct_n "
        "from raw.commits group by 1", read_only=True)
    stored = {k: (n, d) for k, n, d in rows.iter_rows()}
    for key, exp in expected.items():
        whole = (exp.commits, exp.commits, exp.variants)
        assert final.seen[key] == {whole}, f"{key}: final rows {final.seen[key]}, expected {whole}"
        assert stored[key] == (exp.commits, exp.commits), f"{key}: duplicated commits {stored[key]}"
        partial = reader.seen.get(key, set()) - absent_or_whole(exp)
        assert not partial, f"{key}: a reader saw partial partitions {partial} during the writes"
    assert reader.polls >= 3, "the reader ran during the writes"

    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        records = [r for r in instance.get_run_records() if r.dagster_run.tags.get("dagster/partition") in expected]
        assert sorted((r.dagster_run.tags["dagster/partition"], r.dagster_run.status) for r in records) == sorted(
            (key, dg.DagsterRunStatus.SUCCESS) for key in expected)
        used = set()
        for record in records:
            for entry in instance.all_logs(record.dagster_run.run_id):
                event = entry.dagster_event
                assert entry.level < logging.ERROR and not (event and event.event_type in ESCAPED), (
                    f"{record.dagster_run.tags['dagster/partition']}: {entry.user_message or event}")
                if event and event.event_type == dg.DagsterEventType.ENGINE_EVENT:
                    meta = event.engine_event_data.metadata or {}
                    if "Celery worker" in meta:
                        used.add(meta["Celery worker"].value)
    assert used == {w.node for w in workers}, f"steps ran on {used}: both workers take work"
