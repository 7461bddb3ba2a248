"""``hubscope demo``: the whole pipeline offline, on the bundled sample, into the project's own files.

1. builds the sample into ``data/localapi`` (reused when current) and starts the local API server
   in-process; points the real clients at it (``HF_ENDPOINT``, ``GITHUB_API_URL``,
   ``GITHUB_SERVER_URL``);
2. uses ``data/dagster_home`` as ``DAGSTER_HOME`` (with the project's ``dagster.yaml``), so the runs
   show in ``make ui`` afterwards;
3. materializes discovery, adds the family partitions, then every asset partitioned by ``families``
   for each family (selected from the asset graph, so later stages' assets join without edits here),
   then every unpartitioned asset downstream of those;
4. runs :data:`EXTRA_STEPS` (other stages add theirs with one line) and prints a summary.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from orchestration.warehouse import ROOT


@dataclass
class DemoContext:
    """What an extra step gets: the instance, the code location, the server and the warehouse path."""

    instance: dg.DagsterInstance
    defs: dg.Definitions
    api: object  # localapi.server.LocalAPI
    database: str


EXTRA_STEPS: list[Callable[[DemoContext], str | None]] = []
"""Hooks run after the family assets, in order; each may return a line for the summary."""


def _prepare_environment(data: Path) -> Path:
    home = data / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _run(defs: dg.Definitions, name: str, selection: dg.AssetSelection, instance: dg.DagsterInstance,
         partition_key: str | None = None) -> bool:
    job = dg.define_asset_job(name, selection=selection)
    resolved = dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def(name)
    result = resolved.execute_in_process(instance=instance, partition_key=partition_key, raise_on_error=False)
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        print(f"  ! {name}{f' [{partition_key}]' if partition_key else ''} failed in {', '.join(failed)}")
    return result.success


def run_demo(data: Path | None = None) -> int:
    """Run the offline demo; returns a process exit code (0 when every step succeeded)."""
    from localapi.sample import build_sample
    from localapi.server import LocalAPI

    started = time.time()
    data = Path(data or ROOT / "data")
    sample = build_sample(data / "localapi")
    api = LocalAPI(sample)
    api.start()
    try:
        os.environ.update(HF_ENDPOINT=api.hf_endpoint, GITHUB_API_URL=api.github_api, GITHUB_SERVER_URL=api.github_git)
        os.environ.setdefault("HUBSCOPE_DB", str(data / "hubscope.duckdb"))
        os.environ.setdefault("HUBSCOPE_GIT_CACHE", str(data / "git"))
        _prepare_environment(data)
        # imported only now: the code location reads the endpoints from the environment at load time
        from assets.ingest.assets import DISCOVERY_KEYS
        from orchestration.definitions import defs
        from orchestration.partitions import FAMILIES

        database = os.environ["HUBSCOPE_DB"]
        print(f"local API on the bundled sample at {api.base_url}")
        ok = True
        with dg.DagsterInstance.get() as instance:
            print("discovering model families ...")
            ok &= _run(defs, "demo_discovery", dg.AssetSelection.assets(*DISCOVERY_KEYS), instance)
            families = _family_keys(database)
            instance.add_dynamic_partitions(FAMILIES.name, families)
            graph = defs.resolve_asset_graph()
            per_family = [k for k in graph.get_all_asset_keys() if graph.get(k).partitions_def == FAMILIES]
            for key in families:
                print(f"family {key}: {len(per_family)} assets ...")
                ok &= _run(defs, "demo_family", dg.AssetSelection.assets(*per_family), instance, key)
            after = [k for k in dg.AssetSelection.assets(*per_family).downstream().resolve(graph)
                     if graph.get(k).partitions_def is None]
            if after:
                print(f"study tables: {len(after)} assets ...")
                ok &= _run(defs, "demo_study", dg.AssetSelection.assets(*after), instance)
            extra = [line for step in EXTRA_STEPS if (line := step(DemoContext(instance, defs, api, database)))]
        _summary(database, time.time() - started, extra)
        return 0 if ok else 1
    finally:
        api.stop()


def _family_keys(database: str) -> list[str]:
    from orchestration.warehouse import Warehouse

    return Warehouse(database=database).query("select family_key from core.families order by 1")["family_key"].to_list()


def _summary(database: str, seconds: float, extra: list[str]) -> None:
    from orchestration.warehouse import Warehouse

    wh = Warehouse(database=database)
    fams = wh.query("select count(*) as n, sum(n_variants)::int as v from core.families").row(0, named=True)
    commits = wh.query("select platform, count(*) as n from raw.commits group by 1 order by 1")
    states = wh.query("select status, count(*) as n from raw.repo_state group by 1 order by 1")
    print()
    print(f"hubscope demo finished in {seconds:.0f} s")
    print(f"  families: {fams['n']}  Hub variants: {fams['v']}")
    print("  commits: " + ", ".join(f"{p} {n:,}" for p, n in commits.iter_rows()))
    print("  repositories: " + ", ".join(f"{s} {n}" for s, n in states.iter_rows()))
    for line in extra:
        print(f"  {line}")
    print(f"  warehouse: {database}")
    print("  explore: `make ui` (Dagster UI with these runs), or duckdb -readonly on a copy of the file")
