"""The ``hubscope`` command: the demo, and day-to-day operations from a terminal.

    hubscope demo                                   offline demo (local API server, sample data)
    hubscope ui [--offline] [--port 3000]           the Dagster UI + daemon on data/dagster_home
    hubscope add-family OWNER/REPO --hub ID [...]   register a family discovery did not find
    hubscope materialize --family KEY [--select S]  run a selection for one or more families
    hubscope backfill [--select S] [--all]          every family (or base model), one run each
    hubscope snapshot                               refresh the analysts' read-only copy now
    hubscope mode [offline|online]                  show or switch the services every command uses

Runs use the instance in ``DAGSTER_HOME`` (default ``data/dagster_home``) so they show in the UI,
and print progress as steps start, finish and materialize. After ``hubscope demo`` the instance is
in offline mode: every command serves the bundled sample locally and says so. See docs/operations.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from orchestration.warehouse import ROOT


def _add_run_args(p: argparse.ArgumentParser, many: bool) -> None:
    p.add_argument("--select", help="Dagster asset selection, e.g. 'group:label', 'key:core/sync_families+' "
                   "(default: every family asset except LLM ones, then the study tables downstream)")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--family", action="append", default=[], metavar="KEY", help="family key or owner/repo (repeatable)")
    target.add_argument("--base-model", action="append", default=[], metavar="KEY", help="base model partition (gems)")
    if many:
        p.add_argument("--all", action="store_true", help="every partition the instance knows (default for backfill)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hubscope", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="offline demo: local API server, sample data, every stage materialized")

    ui = sub.add_parser("ui", help="start `dagster dev` (UI + daemon: sensors, schedules, automation) on data/dagster_home")
    ui.add_argument("--offline", action="store_true", help="also serve the demo's sample (data/localapi) and point the clients at it")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)

    add = sub.add_parser("add-family", help="register a family by hand and add its partition")
    add.add_argument("github_repo", help="upstream GitHub repository, owner/repo")
    add.add_argument("--hub", action="append", default=[], required=True, metavar="ID", help="Hub model id of a variant (repeatable)")
    add.add_argument("--materialize", action="store_true", help="then run the family's assets at once")

    mat = sub.add_parser("materialize", help="run a selection for given families or base models, with progress")
    _add_run_args(mat, many=False)
    back = sub.add_parser("backfill", help="run a selection for every known family (or base model), one run per partition")
    _add_run_args(back, many=True)
    sub.add_parser("snapshot", help="refresh the read-only copy analysts query (data/hubscope-read.duckdb)")
    mode = sub.add_parser("mode", help="show or switch offline mode (the bundled sample, served locally) for this instance")
    mode.add_argument("set", nargs="?", choices=["offline", "online"])
    return parser


@contextmanager
def _session() -> Iterator[tuple[object, object]]:
    """The instance and the code location, in the instance's mode; dead runs cleaned up first.

    In offline mode the local API server runs for the whole command. The code location is
    imported only once the server's endpoints are in the environment: its resources read them.
    """
    import dagster as dg

    from orchestration.dead_runs import free_dead_runs
    from orchestration.mode import describe, local_services, offline_sample
    from orchestration.runner import prepare_home

    sample = offline_sample(prepare_home())
    with local_services(sample) if sample else nullcontext() as api:
        print(describe(sample is not None, api.base_url if api else ""), flush=True)
        with dg.DagsterInstance.get() as instance:
            freed = free_dead_runs(instance)
            if freed:
                print(f"freed the pool slots of {len(freed)} run(s) whose process is gone (marked failed): "
                      f"{', '.join(r[:8] for r in freed)}", flush=True)
            from orchestration.definitions import defs

            yield instance, defs


def _remote_endpoints(defs, assets) -> list[tuple[str, str]]:
    """The configured endpoints the given assets call (by the resources they require), to check first."""
    needed = set().union(*(defs.resolve_assets_def(key).required_resource_keys for key in assets)) if assets else set()
    res = defs.resources
    endpoints = []
    if "hub" in needed:
        endpoints.append(("HF_ENDPOINT", res["hub"].endpoint))
    if "github" in needed:
        endpoints += [("GITHUB_API_URL", res["github"].api_url), ("GITHUB_SERVER_URL", res["github"].server_url)]
    if "llm" in needed and res["llm"].configured:
        endpoints.append(("OPENAI_BASE_URL", res["llm"].base_url))
    return endpoints


def _run(args: argparse.Namespace, instance, defs) -> int:
    from orchestration.mode import check_reachable
    from orchestration.partitions import BASE_MODELS, FAMILIES
    from orchestration.runner import partitions_of, plan_selection, register_families, resolve_partition_keys, run_plan
    from orchestration.sensors import WarehouseBusy

    given = args.base_model or args.family
    partitions = BASE_MODELS if args.base_model else FAMILIES if args.family else None
    if partitions is None and args.command == "backfill":
        partitions = partitions_of(defs, args.select) if args.select else FAMILIES
    every = args.command == "backfill" and (getattr(args, "all", False) or not given)
    keys = resolve_partition_keys(instance, partitions, given, every) if partitions else []
    plan = plan_selection(defs, args.select, partitions, keys)
    check_reachable(_remote_endpoints(defs, [*plan.first, *plan.partitioned, *plan.unpartitioned]))
    failed = run_plan(defs, instance, plan)
    database = defs.resources["warehouse"].database
    try:
        added = register_families(instance, database)
    except WarehouseBusy as exc:
        added = []
        print(f"warehouse busy: new families not registered (the discovery sensor will): {exc}", file=sys.stderr)
    if added:
        print(f"{len(added)} new family partition(s): {', '.join(added)}")
    if failed:
        print(f"snapshot for SQL not refreshed: it would publish the failed runs' stale rows as fresh", file=sys.stderr)
        print(f"{len(failed)} run(s) failed: {', '.join(failed)}; see the UI's Runs page (hubscope ui)", file=sys.stderr)
        return 1
    if Path(database).exists():
        _snapshot(database)
    return 0


def _snapshot(database: str) -> bool:
    """Refresh the analysts' copy; a writer holding the file past the wait is reported, not raised."""
    import duckdb

    from orchestration.snapshot import refresh_snapshot

    try:
        info = refresh_snapshot(database)
    except duckdb.IOException as exc:
        print(f"warehouse busy: snapshot not refreshed (the next successful run refreshes it): {exc}", file=sys.stderr)
        return False
    print(f"snapshot for SQL: {info.path} ({info.tables} tables in {info.seconds:.2f}s)\n"
          f"query it: .venv/bin/duckdb -readonly {info.path}")
    return True


def _add_family(args: argparse.Namespace, instance, defs) -> int:
    from orchestration.mode import check_reachable
    from orchestration.runner import add_family

    res = defs.resources
    check_reachable([("HF_ENDPOINT", res["hub"].endpoint), ("GITHUB_API_URL", res["github"].api_url)])
    family = add_family(res["warehouse"], instance, args.github_repo, args.hub, hub=res["hub"], github=res["github"])
    print(f"family {family.family_key}: GitHub {family.github_repo} + {len(family.hub_variants)} Hub variant(s) "
          f"({', '.join(family.hub_variants)}) added; both platforms checked: every repository exists")
    if args.materialize:
        return _run(argparse.Namespace(command="materialize", select=None, family=[family.family_key], base_model=[]), instance, defs)
    print(f"next: hubscope materialize --family {family.family_key}")
    return 0


def _mode(args: argparse.Namespace) -> int:
    from orchestration.mode import describe, offline_sample, set_mode
    from orchestration.runner import prepare_home

    home = prepare_home()
    if args.set:
        set_mode(home, args.set == "offline")
    sample = offline_sample(home)
    print(f"{home}: {describe(sample is not None, f'{sample}, served by each command')}")
    return 0


def _ui(args: argparse.Namespace) -> int:
    """Run ``dagster dev`` in its own process group; with --offline, the local API server too."""
    from orchestration.mode import SAMPLE_DIR, describe, offline_env, offline_sample
    from orchestration.runner import prepare_home

    home = prepare_home()
    env = dict(os.environ, DAGSTER_HOME=str(home))
    api = None
    sample = offline_sample(home) or (SAMPLE_DIR if args.offline else None)
    offline = sample is not None
    if offline:
        from localapi.sample import build_sample
        from localapi.server import LocalAPI

        api = LocalAPI(build_sample(sample))
        api.start()
        env.update(offline_env(api))
        env.setdefault("HUBSCOPE_DB", str(ROOT / "data" / "hubscope.duckdb"))
        env.setdefault("HUBSCOPE_GIT_CACHE", str(ROOT / "data" / "git"))
    print(describe(offline, api.base_url if api else ""))
    command = [sys.executable, "-m", "dagster", "dev", "-w", str(ROOT / "workspace.yaml"), "-h", args.host, "-p", str(args.port)]
    print(f"DAGSTER_HOME={home}\nopen http://{args.host}:{args.port} (Ctrl-C stops the UI and the daemon)", flush=True)
    # Started in DAGSTER_HOME, not the project: there `dagster dev` finds no second dagster.yaml to
    # warn about, and dg no project whose .venv to compare with the active one (two warnings a user
    # cannot act on). The code location is imported from the installed package, as anywhere.
    proc = subprocess.Popen(command, cwd=home, env=env, start_new_session=True)
    # Ctrl-C, or a SIGTERM from a process manager, stops the whole group (even when this process
    # was started with SIGINT ignored, as background jobs of a non-interactive shell are).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            return proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            return proc.wait()
    finally:
        if api is not None:
            api.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # SIGTERM (a process manager, `kill`) ends a command like Ctrl-C: its run is marked canceled
    # and its pool slots freed (orchestration/runner.py) instead of staying held by a dead process.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if args.command == "demo":
            from orchestration.demo import run_demo

            return run_demo()
        if args.command == "ui":
            return _ui(args)
        if args.command == "mode":
            return _mode(args)
        with _session() as (instance, defs):
            if args.command == "add-family":
                return _add_family(args, instance, defs)
            if args.command in ("materialize", "backfill"):
                return _run(args, instance, defs)
            if args.command == "snapshot":
                return 0 if _snapshot(defs.resources["warehouse"].database) else 1
    except (ValueError, FileNotFoundError) as exc:
        print(f"hubscope {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"hubscope {args.command}: interrupted (its run is marked canceled)", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
