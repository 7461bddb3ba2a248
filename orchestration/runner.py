"""Running selections from a terminal: the instance home, per-family runs, backfills, progress lines.

Runs execute in this process against the instance in ``DAGSTER_HOME`` (``data/dagster_home`` by
default), so they appear in the UI's run list and asset pages exactly like runs launched there, and
the ``duckdb`` pool still serialises warehouse steps against a running ``dagster dev``. A thread
follows the run's event log and prints one line per step start, finish, materialization, check and
log message, what a blocked step waits for, and every 10 s of a long step how long it has run and
how long it took last time, so a long run never looks stuck.

Each run is tagged with this process (``orchestration/dead_runs.py``), so a run whose process is
killed is found and its pool slots freed instead of blocking every later run. An interrupted run
(Ctrl-C, SIGTERM) is marked canceled and its slots freed before the command exits.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import dagster as dg
import polars as pl
from dagster._utils.interrupts import check_captured_interrupt

from assets.ingest.links import check_repo_name
from orchestration.dead_runs import process_tags
from orchestration.partitions import FAMILIES, repo_key
from orchestration.policies import COST_TAG
from orchestration.resources import GitHubResource, HubResource
from orchestration.warehouse import ROOT, Warehouse

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
"""Dagster's console logger prints every event at DEBUG; the progress lines replace it."""

HEARTBEAT_S = 10.0
"""A step running this long without a progress line gets one: elapsed, and time left from its last run."""


def prepare_home(home: Path | None = None) -> Path:
    """Point ``DAGSTER_HOME`` at ``home`` (default: ``$DAGSTER_HOME`` or ``data/dagster_home``).

    The project's ``dagster.yaml`` (pools, run limits) is copied in when the folder has none, so a
    hand-edited instance config (e.g. PostgreSQL storage, docs/deployment.md) is never overwritten.
    """
    home = Path(home or os.environ.get("DAGSTER_HOME") or ROOT / "data" / "dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copyfile(ROOT / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


# ---------------------------------------------------------------------------------------------------
# Adding a family by hand


@dataclass(frozen=True)
class ManualFamily:
    family_key: str
    github_repo: str
    hub_variants: tuple[str, ...]


def check_repositories_exist(github_repo: str, hub_variants: Sequence[str], hub: HubResource, github: GitHubResource) -> None:
    """Ask GitHub and the Hub (the real clients, at the configured endpoints) that every repository exists.

    A gated or private Hub model exists (its commits need ``HF_TOKEN``); a missing one is refused,
    naming the platform, the id and the endpoint asked.
    """
    from github import GithubException, UnknownObjectException
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    try:
        github.client().get_repo(github_repo)  # not lazy: asks the API now
    except UnknownObjectException:
        raise ValueError(f"GitHub repository {github_repo!r} does not exist at {github.api_url}") from None
    except GithubException as exc:
        raise ValueError(f"GitHub repository {github_repo!r}: {github.api_url} answered {exc.status}") from None
    api = hub.api()
    for repo_id in hub_variants:
        try:
            api.model_info(repo_id)
        except GatedRepoError:
            continue
        except RepositoryNotFoundError:
            raise ValueError(f"Hub model {repo_id!r} does not exist at {hub.endpoint}") from None


def add_family(warehouse: Warehouse, instance: dg.DagsterInstance, github_repo: str, hub_variants: Sequence[str],
               hub: HubResource | None = None, github: GitHubResource | None = None) -> ManualFamily:
    """Register a family that discovery did not find (e.g. under the download threshold).

    Names are checked against each platform's rules, then, given the ``hub`` and ``github``
    resources, every repository is asked for on its platform: a typo fails here, naming it,
    instead of as a failed ingest later. Writes ``core.manual_families`` (kept across discovery
    runs), the family and its variants into ``core.families``/``core.variants`` in one
    transaction, and adds the ``families`` partition. Existing rows of the family are replaced;
    other families are untouched.
    """
    repo = check_repo_name("github", github_repo.strip())
    variants = tuple(dict.fromkeys(check_repo_name("hub", v.strip()) for v in hub_variants))
    if not variants:
        raise ValueError(f"family {repo!r} needs at least one Hub variant (--hub owner/model)")
    if hub is not None and github is not None:
        check_repositories_exist(repo, variants, hub, github)
    key = repo_key(repo)
    at = datetime.now(UTC)
    manual = pl.DataFrame({"family_key": [key], "github_repo": [repo], "hub_variants": [list(variants)], "added_at": [at]})
    family = pl.DataFrame(
        {"family_key": [key], "github_repo": [repo], "n_variants": [len(variants)], "downloads": [None], "first_seen": [at]},
        schema_overrides={"downloads": pl.Int64},
    )
    rows = pl.DataFrame({"family_key": [key] * len(variants), "repo_id": list(variants)})
    warehouse.replace_many({"family_key": key}, {"core.manual_families": manual, "core.families": family, "core.variants": rows})
    if not instance.has_dynamic_partition(FAMILIES.name, key):
        instance.add_dynamic_partitions(FAMILIES.name, [key])
    return ManualFamily(key, repo, variants)


def register_families(instance: dg.DagsterInstance, database: str) -> list[str]:
    """Add the families in ``core.families`` that the instance lacks as partitions (what the discovery sensor does)."""
    from orchestration.sensors import read_family_keys

    new = sorted(set(read_family_keys(database)) - set(instance.get_dynamic_partitions(FAMILIES.name)))
    if new:
        instance.add_dynamic_partitions(FAMILIES.name, new)
    return new


# ---------------------------------------------------------------------------------------------------
# Selections and runs


@dataclass
class Plan:
    """What one command will run: per-partition assets for each key, then unpartitioned ones once."""

    partitioned: list[dg.AssetKey]
    partition_keys: list[str]
    unpartitioned: list[dg.AssetKey]
    partitions_def: dg.DynamicPartitionsDefinition | None = None
    first: list[dg.AssetKey] = field(default_factory=list)
    """Unpartitioned assets upstream of the partitioned ones (e.g. discovery): run before them."""


def plan_selection(
    defs: dg.Definitions, selection: str | None, partitions: dg.DynamicPartitionsDefinition | None, keys: Sequence[str]
) -> Plan:
    """Split a selection into the assets of ``partitions`` (run per key) and unpartitioned ones.

    Without ``selection``: every asset of the partition set that does not spend LLM tokens, plus
    the unpartitioned assets downstream of them (the study tables). An explicit selection is taken
    as written (LLM assets included), in Dagster's selection syntax (``group:label``,
    ``key:core/sync_families+``, ``tag:hubscope/cost=llm``).
    """
    graph = defs.resolve_asset_graph()
    if selection:
        chosen = _resolve(graph, selection)
    else:
        if partitions is None:
            raise ValueError("give --select, or --family/--base-model to run everything for those partitions")
        own = {n.key for n in graph.asset_nodes if n.partitions_def == partitions and n.tags.get(COST_TAG) != "llm"}
        down = dg.AssetSelection.assets(*own).downstream().resolve(graph) if own else set()
        chosen = own | {k for k in down if graph.get(k).partitions_def is None and graph.get(k).tags.get(COST_TAG) != "llm"}
    chosen = _with_execution_sets(graph, chosen)
    part = sorted((k for k in chosen if graph.get(k).partitions_def is not None), key=lambda k: k.to_user_string())
    other = sorted((k for k in chosen if graph.get(k).partitions_def is None), key=lambda k: k.to_user_string())
    defs_of = {graph.get(k).partitions_def for k in part}
    if len(defs_of) > 1:
        raise ValueError(f"selection {selection!r} mixes partition sets ({', '.join(sorted(d.name for d in defs_of))}): run them separately")
    if part:
        wanted = next(iter(defs_of))
        if partitions is None or partitions != wanted:
            flag = "--family" if wanted == FAMILIES else "--base-model"
            raise ValueError(f"selection {selection!r} is partitioned by {wanted.name}: give {flag} KEY")
        if not keys:
            raise ValueError(f"no {wanted.name} partition given")
    upstream = dg.AssetSelection.assets(*part).upstream().resolve(graph) if part else set()
    first = [k for k in other if k in upstream]
    return Plan(part, list(keys) if part else [], [k for k in other if k not in upstream], partitions, first)


def _resolve(graph, selection: str) -> set[dg.AssetKey]:
    try:
        with warnings.catch_warnings():  # the string parser passes a beta parameter on every `group:`/`tag:`
            warnings.simplefilter("ignore", dg.BetaWarning)
            chosen = dg.AssetSelection.from_string(selection).resolve(graph)
    except Exception as exc:  # the parser raises several types; name the input either way
        raise ValueError(f"cannot read asset selection {selection!r}: {exc}") from None
    if not chosen:
        raise ValueError(f"asset selection {selection!r} matches no asset")
    return chosen


def _with_execution_sets(graph, keys: set[dg.AssetKey]) -> set[dg.AssetKey]:
    """Assets computed together (a multi-asset that cannot be split) run together."""
    return {k for key in keys for k in graph.get_execution_set_asset_and_check_keys(key) if isinstance(k, dg.AssetKey)}


def partitions_of(defs: dg.Definitions, selection: str) -> dg.DynamicPartitionsDefinition | None:
    """The one partition set of the assets ``selection`` names (what a backfill of it runs over);
    None when they are unpartitioned or mix sets (:func:`plan_selection` then says which)."""
    graph = defs.resolve_asset_graph()
    found = {graph.get(k).partitions_def for k in _with_execution_sets(graph, _resolve(graph, selection))} - {None}
    return next(iter(found)) if len(found) == 1 else None


def resolve_partition_keys(instance: dg.DagsterInstance, partitions: dg.DynamicPartitionsDefinition, keys: Sequence[str], all_keys: bool) -> list[str]:
    """The partition keys to run: every known key with ``all_keys``, else the given ones (names or keys), checked."""
    known = instance.get_dynamic_partitions(partitions.name)
    if all_keys:
        if not known:
            raise ValueError(f"no {partitions.name} partitions in this instance yet (run discovery or add-family)")
        return sorted(known)
    out = []
    for given in keys:
        key = given if given in known else repo_key(given) if "/" in given else given
        if key not in known:
            hint = ", ".join(sorted(known)[:8]) or "none yet"
            raise ValueError(f"{partitions.name} partition {given!r} is unknown in this instance (known: {hint})")
        out.append(key)
    return out


class StepTimes:
    """How long each step took the last time it succeeded from the CLI, per partition, kept in
    ``$DAGSTER_HOME/hubscope-step-times.json``: the "time left" of the progress lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.seconds: dict[str, float] = json.loads(path.read_text())
        except (OSError, ValueError):
            self.seconds = {}

    def last(self, step: str, partition: str | None) -> float | None:
        return self.seconds.get(f"{step}@{partition}") or self.seconds.get(step)

    def record(self, step: str, partition: str | None, seconds: float) -> None:
        self.seconds[step] = self.seconds[f"{step}@{partition}"] = round(seconds, 1)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        try:  # best effort: another command writing at the same moment only loses one estimate
            tmp.write_text(json.dumps(self.seconds, indent=0, sort_keys=True))
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)


@dataclass
class Progress:
    """Prints a run's events as they land in the instance's event log, and a heartbeat for long steps."""

    instance: dg.DagsterInstance
    run_id: str
    label: str
    out: TextIO = sys.stdout
    steps_total: int = 0
    partition: str | None = None
    times: StepTimes | None = None
    started: float = field(default_factory=time.monotonic)
    _seen: int = 0
    _steps_done: int = 0
    _running: dict[str, float] = field(default_factory=dict)
    _last_line: float = field(default_factory=time.monotonic)

    def _line(self, text: str) -> None:
        print(f"  [{time.monotonic() - self.started:6.1f}s] {self.label}: {text}", file=self.out, flush=True)
        self._last_line = time.monotonic()

    def _of(self) -> str:
        return f"{self._steps_done}/{self.steps_total}" if self.steps_total else str(self._steps_done)

    def poll(self) -> None:
        records = self.instance.all_logs(self.run_id)
        for entry in records[self._seen:]:
            event = entry.dagster_event
            if event is None:
                if entry.level >= 20 and entry.user_message:
                    self._line(f"{entry.step_key or 'run'}: {entry.user_message}")
                continue
            kind = event.event_type
            if kind == dg.DagsterEventType.STEP_START:
                self._running[event.step_key] = time.monotonic()
                self._line(f"started {event.step_key} (step {self._steps_done + 1} of {self.steps_total or '?'})")
            elif kind == dg.DagsterEventType.STEP_SUCCESS:
                self._steps_done += 1
                began = self._running.pop(event.step_key, None)
                if began is not None and self.times is not None:
                    self.times.record(event.step_key, self.partition, time.monotonic() - began)
                self._line(f"done {event.step_key} ({self._of()} steps done)")
            elif kind == dg.DagsterEventType.STEP_FAILURE:
                self._running.pop(event.step_key, None)
                data = event.step_failure_data
                failure = data.user_failure_data if data else None  # a dg.Failure: its own words, no class path
                error = data.error if data else None
                reason = failure.description if failure and failure.description else error.message.strip() if error else ""
                self._line(f"FAILED {event.step_key}: {reason}")
            elif kind == dg.DagsterEventType.STEP_UP_FOR_RETRY:
                data = event.event_specific_data
                error = data.error if data else None
                wait = f" in {data.seconds_to_wait:.0f} s" if data and data.seconds_to_wait else ""
                reason = error.message.strip().splitlines()[0] if error and error.message.strip() else "no reason given"
                self._line(f"retrying {event.step_key}{wait} after: {reason}")
            elif kind == dg.DagsterEventType.ENGINE_EVENT and event.event_specific_data and "pool" in (event.event_specific_data.metadata or {}):
                pool = event.event_specific_data.metadata["pool"].value
                self._line(f"{event.step_key} waits for the {pool} pool ({self._holders(pool)})")
            elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
                mat = event.step_materialization_data.materialization
                rows = mat.metadata.get("dagster/row_count")
                count = f", {rows.value} rows" if rows is not None else ""
                self._line(f"materialized {mat.asset_key.to_user_string()}{count}")
            elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
                check = event.event_specific_data
                self._line(f"check {check.check_name}: {'passed' if check.passed else 'FAILED'}")
        self._seen = len(records)
        self._heartbeat()

    def _holders(self, pool: str) -> str:
        claimed = self.instance.event_log_storage.get_concurrency_info(pool).claimed_slots
        held = ", ".join(f"run {c.run_id[:8]} step {c.step_key}" for c in claimed if c.run_id != self.run_id)
        return f"held by {held}" if held else "a slot is being freed"

    def _heartbeat(self) -> None:
        now = time.monotonic()
        if not self._running or now - self._last_line < HEARTBEAT_S:
            return
        step, began = min(self._running.items(), key=lambda item: item[1])
        ran = now - began
        last = self.times.last(step, self.partition) if self.times else None
        if last is None:
            eta = "no earlier run to estimate the time left"
        elif last > ran:
            eta = f"about {last - ran:.0f} s left (took {last:.0f} s last time)"
        else:
            eta = f"longer than last time ({last:.0f} s)"
        self._line(f"still running {step}: {ran:.0f} s so far, {eta}; {self._of()} steps done")


def execute(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    assets: Iterable[dg.AssetKey],
    partition_key: str | None = None,
    tags: dict[str, str] | None = None,
    config: dict | None = None,
    out: TextIO = sys.stdout,
) -> bool:
    """Run ``assets`` (one partition or none) in this process, printing progress; True on success.

    ``tags`` are added to the run's; ``config`` is run config (e.g. ``{"ops": {...}}``). If the
    command is interrupted (Ctrl-C, SIGTERM) the run is marked canceled and its pool slots freed,
    so it never holds a slot after this process has gone.
    """
    keys = list(assets)
    name = "hubscope_cli"
    job = dg.define_asset_job(name, selection=dg.AssetSelection.assets(*keys))
    resolved = dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def(name)
    run_id = str(uuid.uuid4())
    label = partition_key or "unpartitioned"
    home = os.environ.get("DAGSTER_HOME")
    times = StepTimes(Path(home) / "hubscope-step-times.json") if home else None
    progress = Progress(instance, run_id, label, out, steps_total=len(resolved.graph.node_dict),
                        partition=partition_key, times=times)
    done = threading.Event()

    def follow() -> None:
        while not done.wait(0.5):
            progress.poll()
            # Dagster turns SIGINT/SIGTERM into a flag while it runs a plan, and its in-process
            # executor never reads that flag while a step waits for a pool slot or a retry: the
            # command would ignore Ctrl-C for ever. Seen here, the run is ended and the process exits.
            if check_captured_interrupt():
                _end_interrupted(instance, run_id)
                print(f"hubscope: interrupted; run {run_id[:8]} marked canceled and its pool slots freed",
                      file=sys.stderr, flush=True)
                os._exit(130)

    watcher = threading.Thread(target=follow, daemon=True)
    watcher.start()
    try:
        result = resolved.execute_in_process(
            instance=instance, partition_key=partition_key, raise_on_error=False, run_id=run_id,
            run_config={**QUIET, **(config or {})},
            tags={"hubscope/warehouse": "write", "hubscope/trigger": "cli", **process_tags(), **(tags or {})},
        )
    except BaseException:
        _end_interrupted(instance, run_id)
        raise
    finally:
        done.set()
        watcher.join()
        progress.poll()
    status = "ok" if result.success else "FAILED"
    print(f"  {label}: run {run_id[:8]} {status} in {time.monotonic() - progress.started:.1f}s", file=out, flush=True)
    return result.success


def _end_interrupted(instance: dg.DagsterInstance, run_id: str) -> None:
    """Mark a run this process was executing as canceled, unless it ended, and free its pool slots."""
    run = instance.get_run_by_id(run_id)
    if run is not None and not run.is_finished:
        instance.report_run_canceled(run, message="the hubscope command running it was interrupted")
    instance.event_log_storage.free_concurrency_slots_for_run(run_id)


def run_plan(defs: dg.Definitions, instance: dg.DagsterInstance, plan: Plan, out: TextIO = sys.stdout) -> list[str]:
    """Run a plan: upstream unpartitioned assets, each partition in turn (a failure does not stop the
    others), then the unpartitioned assets downstream.

    Returns the labels of the runs that failed (empty: everything succeeded). When a partition
    failed, the unpartitioned assets downstream (the study tables) are not run: they would publish
    a failed partition's stale rows as if fresh. The message says how to run them anyway.
    """
    failed: list[str] = []
    if plan.first:
        print(f"[first] {', '.join(k.to_user_string() for k in plan.first)}", file=out, flush=True)
        if not execute(defs, instance, plan.first, None, out=out):
            return ["upstream (nothing after it was run)"]
    total = len(plan.partition_keys)
    for i, key in enumerate(plan.partition_keys, 1):
        print(f"[{i}/{total}] {key}: {', '.join(k.to_user_string() for k in plan.partitioned)}", file=out, flush=True)
        if not execute(defs, instance, plan.partitioned, key, out=out):
            failed.append(key)
    if plan.unpartitioned and failed:
        names = [k.to_user_string() for k in plan.unpartitioned]
        selection = " or ".join(f'key:"{n}"' for n in names)
        print(f"[skipped] {', '.join(names)}: not refreshed, because {', '.join(failed)} failed (they keep their "
              f"previous rows); once fixed rerun this command, or publish them anyway with "
              f"hubscope materialize --select '{selection}'", file=out, flush=True)
        failed.append("study tables (skipped)")
    elif plan.unpartitioned:
        print(f"[then] {', '.join(k.to_user_string() for k in plan.unpartitioned)}", file=out, flush=True)
        if not execute(defs, instance, plan.unpartitioned, None, out=out):
            failed.append("unpartitioned")
    return failed
