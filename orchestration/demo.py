"""``hubscope demo``: the whole pipeline offline, on the bundled sample, into the project's own files.

1. builds the sample into ``data/localapi`` (reused when current) and starts the local API server
   in-process; points the real clients at it (``HF_ENDPOINT``, ``GITHUB_API_URL``,
   ``GITHUB_SERVER_URL``, ``OPENAI_BASE_URL``), so nothing reaches a real service or spends tokens;
2. uses the instance in ``DAGSTER_HOME`` (default ``data/dagster_home``, given the project's
   ``dagster.yaml`` when it has none), so the runs show in ``make ui`` afterwards;
3. materializes discovery, adds the family partitions, then what ``hubscope backfill`` runs by
   default: every asset partitioned by ``families`` except those tagged ``hubscope/cost: llm``, for
   each family, then the unpartitioned assets downstream of those;
4. runs :data:`EXTRA_STEPS` (label agreement with the gold set; the gems stage's tiny model family)
   and prints a summary;
5. leaves the instance in offline mode (orchestration/mode.py), so the README's next commands keep
   using the sample instead of the real services, and say so.

The local server's OpenAI API answers with the rules labeller; the model name sent and shown is
``local-standin-rules`` so no summary or table presents it as a real LLM.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from orchestration.dead_runs import free_dead_runs
from orchestration.mode import offline_env, set_mode
from orchestration.runner import execute, plan_selection, prepare_home, register_families, run_plan
from orchestration.snapshot import refresh_snapshot
from orchestration.warehouse import ROOT


@dataclass
class DemoContext:
    """What an extra step gets: the instance, the code location, the server and the warehouse path."""

    instance: dg.DagsterInstance
    defs: dg.Definitions
    api: object  # localapi.server.LocalAPI
    database: str
    failures: list[str] = field(default_factory=list)

    def run(self, name: str, selection: dg.AssetSelection, partition_key: str | None = None,
            config: dict | None = None, tags: dict[str, str] | None = None) -> bool:
        """Materialize ``selection`` in-process into the demo's instance, with progress; a failure is recorded as ``name``."""
        keys = selection.resolve(self.defs.resolve_asset_graph())
        ok = execute(self.defs, self.instance, keys, partition_key, tags={"hubscope/trigger": "demo", **(tags or {})}, config=config)
        if not ok:
            self.failures.append(name)
        return ok


def _agreement_step(ctx: DemoContext) -> str | None:
    """The labelling stage's agreement with the shipped gold set (rules, and the LLM labeller via the local server), with its check."""
    from assets.label.assets import kappa_table
    from orchestration.warehouse import Warehouse

    print("labels: agreement with the gold set ...")
    if not ctx.run("demo_agreement", dg.AssetSelection.assets(["core", "label_agreement"])):
        return "label agreement: FAILED (see the run logs)"
    kappas = kappa_table(Warehouse(database=ctx.database).query("select * from core.gold_predictions"))
    return "label agreement (Cohen's kappa vs gold): " + ", ".join(
        f"{r['labeller']} on {r['platform']} {r['kappa']:.2f}" for r in kappas.iter_rows(named=True))


def _gems_step(ctx: DemoContext) -> str | None:
    """The hidden-gems stage: publish the tiny GPT-2 family, search it, build its leaderboard."""
    from assets.gems.demo import demo_step

    return demo_step(ctx)


EXTRA_STEPS: list[Callable[[DemoContext], str | None]] = [_agreement_step, _gems_step]
"""Steps run after the family assets, in order; each may return a line for the summary."""


def run_demo(data: Path | None = None, steps: Sequence[Callable[[DemoContext], str | None]] = EXTRA_STEPS) -> int:
    """Run the offline demo; returns a process exit code (0 when every step succeeded)."""
    from localapi.sample import build_sample
    from localapi.server import LocalAPI

    started = time.time()
    data = Path(data or ROOT / "data")
    sample = build_sample(data / "localapi")
    api = LocalAPI(sample)
    api.start()
    try:
        os.environ.update(offline_env(api))  # the LLM is named local-standin-rules: it answers with the rules
        os.environ.setdefault("HUBSCOPE_DB", str(data / "hubscope.duckdb"))
        os.environ.setdefault("HUBSCOPE_GIT_CACHE", str(data / "git"))
        home = prepare_home()
        from assets.ingest.assets import DISCOVERY_KEYS
        from orchestration.definitions import build_definitions
        from orchestration.partitions import FAMILIES
        from orchestration.resources import default_resources

        defs = build_definitions(default_resources())  # resources read the endpoints set just above

        database = os.environ["HUBSCOPE_DB"]
        print(f"local API on the bundled sample at {api.base_url}")
        with dg.DagsterInstance.get() as instance:
            free_dead_runs(instance)  # a demo killed earlier must not block this one
            ctx = DemoContext(instance, defs, api, database)
            print("discovering model families ...")
            ctx.run("demo_discovery", dg.AssetSelection.assets(*DISCOVERY_KEYS))
            register_families(instance, database)
            families = sorted(instance.get_dynamic_partitions(FAMILIES.name))
            plan = plan_selection(defs, None, FAMILIES, families)
            print(f"{len(families)} families: {len(plan.partitioned)} assets each (none that spends LLM tokens), "
                  f"then {len(plan.unpartitioned)} study tables ...")
            ctx.failures += run_plan(defs, instance, plan)
            extra = [line for step in steps if (line := step(ctx))]
        snapshot = refresh_snapshot(database).path
        set_mode(home, offline=True, sample=sample)
        _summary(database, snapshot, time.time() - started, extra)
        return 1 if ctx.failures else 0
    finally:
        api.stop()


def _summary(database: str, snapshot: Path, seconds: float, extra: list[str]) -> None:
    from orchestration.warehouse import Warehouse

    wh = Warehouse(database=database)
    fams = wh.query("select count(*) as n, sum(n_variants)::int as v from core.families").row(0, named=True)
    commits = wh.query("select platform, count(*) as n from raw.commits group by 1 order by 1")
    states = wh.query("select status, count(*) as n from raw.repo_state group by 1 order by 1")
    labels = wh.query("select labeller, count(*) as n from core.labelled_commits where status = 'labelled' group by 1")
    patterns = wh.query("select coalesce(pattern, 'excluded') as p, count(*) as n from core.sync_families group by 1 order by 2 desc, 1")
    print()
    print(f"hubscope demo finished in {seconds:.0f} s")
    print(f"  families: {fams['n']}  Hub variants: {fams['v']}")
    print("  commits: " + ", ".join(f"{p} {n:,}" for p, n in commits.iter_rows()))
    print("  repositories: " + ", ".join(f"{s} {n}" for s, n in states.iter_rows()))
    print("  labels: " + (", ".join(f"{lb} {n:,}" for lb, n in labels.iter_rows()) or "none"))
    print("  sync patterns (families): " + (", ".join(f"{p} {n}" for p, n in patterns.iter_rows()) or "none"))
    for line in extra:
        print(f"  {line}")
    print(f"  warehouse: {database}")
    print("  mode: offline (the next hubscope commands serve this sample too; `hubscope mode online` for the real services)")
    print("  open the UI: make ui   (then http://127.0.0.1:3000)")
    print(f"  query it:    .venv/bin/duckdb -readonly {snapshot}   (a snapshot; never blocks a run)")
