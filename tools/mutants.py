"""Mutation testing of hubscope's core logic with mutmut (``make mutants``; docs/mutation.md).

mutmut copies the source into a ``mutants/`` folder, rewrites each function of the mutated modules
into a trampoline over its mutants, runs the selected tests once to learn which tests reach which
function, then runs, for each mutant in a forked process, only the tests that reach its function.

A single mutmut run over every module would select every test folder, and a mutant would then run
every test anywhere that happens to call its function (the end-to-end ones included). So the
modules are split into groups, each mapped to the test folder that exercises it (GROUPS below), and
each group is a separate mutmut run in its own working folder ``.mutmut/<group>/``: a few symlinks to
the repository and a pyproject.toml whose ``[tool.mutmut]`` is the repository's with the group's
modules and tests. Each group keeps its own cache, so a rerun retests only the functions that
changed (mutmut hashes each function).

    python tools/mutants.py                  # every group, then the report
    python tools/mutants.py sync             # the sync-* groups
    python tools/mutants.py assets/sync/classify.py assets/sync/statistics.py   # some modules
    python tools/mutants.py --report sync    # the report only, from the last run
    python tools/mutants.py --fresh sync     # forget the group's cache first
    python tools/mutants.py --sample 10 sync # every 10th mutant not run yet: a quick estimate
    python tools/mutants.py --survivors sync # only the mutants that survived last time (after new tests)

A run that is stopped (Ctrl-C) keeps what it measured: the next run of the group tests only the
mutants without a result, and the mutants of functions that changed since.

The report gives, per module, killed / total and the surviving mutants (``mutmut show NAME`` in
``.mutmut/<group>/`` prints one whole). Mutants listed in tools/mutants_equivalent.txt are known
equivalent (docs/mutation.md says why); they are reported apart and left out of the adjusted score.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".mutmut"
EQUIVALENT_FILE = ROOT / "tools" / "mutants_equivalent.txt"

# group -> (modules mutated, the tests that exercise them). A group is one mutmut run; each module
# is mapped to the test files written for it, not to every test that happens to reach it (the
# end-to-end study tests would cost a minute per surviving mutant). A target on the command line
# is a group, a module, or a prefix of group names ("sync" = every sync-* group).
GROUPS: dict[str, tuple[list[str], list[str]]] = {
    "sync-classify": (["assets/sync/classify.py"],
                      ["tests/sync/test_classify.py", "tests/sync/test_classify_cli.py",
                       "tests/sync/test_mutants_sync.py"]),
    "sync-statistics": (["assets/sync/statistics.py"],
                        ["tests/sync/test_statistics.py", "tests/sync/test_paper.py",
                         "tests/sync/test_mutants_sync.py"]),
    "sync-replay": (["assets/sync/replay.py"], ["tests/sync/test_replay.py", "tests/sync/test_mutants_replay.py"]),
    # Left out: three tests bounding wall-clock time (retries of a stalled server within 10 s, a rate-limit
    # wait of 5 to 9.5 s), which a loaded machine breaks in mutmut's clean run; they time remote.py's
    # retries, not these modules.
    "ingest": (["assets/ingest/gitlog.py", "assets/ingest/history.py"],
               ["tests/ingest",
                "--deselect", "tests/ingest/test_remote_faults.py::test_no_wait_after_the_last_rate_limited_try",
                "--deselect", "tests/ingest/test_limits_and_credentials.py::"
                "test_a_stalled_git_server_fails_the_repository_in_seconds_and_keeps_the_rest",
                "--deselect", "tests/ingest/test_limits_and_credentials.py::"
                "test_a_stalled_hub_api_fails_discovery_in_seconds_and_keeps_the_tables"]),
    # Left out: a test whose request timings (a 5 s client timeout) fail on a loaded machine, which the
    # stats run mutmut starts with must pass; it checks the LLM client's failure handling (llm.py).
    "label-store": (["assets/label/store.py"],
                    ["tests/label/test_llm_labelling.py", "tests/label/test_rules_and_inputs.py",
                     "tests/label/test_store_views_checks.py", "tests/label/test_taxonomy_and_agreement.py",
                     "tests/label/test_mutants_label.py", "--deselect",
                     "tests/label/test_llm_labelling.py::test_endpoint_failure_fails_the_run_and_keeps_stored_labels"]),
    "warehouse": (["orchestration/warehouse.py"], ["tests/test_warehouse.py", "tests/test_warehouse_mutants.py"]),
    # test_evaluation.py also reaches the leaderboard, through the whole pipeline on a trained tiny family:
    # a minute a mutant, for nothing the leaderboard's own tests do not check.
    "gems-leaderboard": (["assets/gems/leaderboard.py"],
                         ["tests/gems/test_leaderboard.py", "tests/gems/test_mutants_gems.py"]),
    "gems-search": (["assets/gems/search.py"], ["tests/gems"]),
}

# What a group's folder links to: the packages (source_paths) and what the tests read by path.
LINKS = ["assets", "orchestration", "localapi", "tests", "sql", "bench"]

# mutmut's status names by exit code (mutmut/stats.py), reduced to what the report counts.
KILLED = {"killed", "timeout", "caught by type check"}


def _toml_value(value: object) -> str:
    return json.dumps(value)  # a JSON string, number, bool or list of strings is valid TOML


def group_pyproject(modules: list[str], tests: list[str]) -> str:
    """The repository's pyproject.toml with its [tool.mutmut] narrowed to one group."""
    text = (ROOT / "pyproject.toml").read_text()
    base = tomllib.loads(text).get("tool", {}).get("mutmut", {})
    base = {**base, "only_mutate": modules, "pytest_add_cli_args_test_selection": tests}
    if "preload_modules_file" in base:  # relative to the repository, and mutmut runs in the group folder
        base["preload_modules_file"] = str(ROOT / base["preload_modules_file"])
    kept, skipping = [], False
    for line in text.splitlines():
        if line.strip().startswith("["):
            skipping = line.strip() == "[tool.mutmut]"
        if not skipping:
            kept.append(line)
    body = "\n".join(f"{k} = {_toml_value(v)}" for k, v in base.items())
    return "\n".join(kept).rstrip() + "\n\n[tool.mutmut]\n" + body + "\n"


def prepare(group: str, modules: list[str], fresh: bool) -> Path:
    folder = WORK / group
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in LINKS:
        link = folder / name
        if not link.is_symlink():
            link.symlink_to(ROOT / name)
    settings = folder / "pyproject.toml"
    before = tomllib.loads(settings.read_text())["tool"]["mutmut"] if settings.exists() else {}
    settings.write_text(group_pyproject(modules, GROUPS[group][1]))
    keep_verdicts_of_added_tests(folder, before.get("pytest_add_cli_args_test_selection"), GROUPS[group][1])
    refresh_data_files(folder)
    return folder


def keep_verdicts_of_added_tests(folder: Path, old: list[str] | None, new: list[str]) -> None:
    """Keep the cached verdicts when test files were only added to the group's selection.

    mutmut forgets every result when the test selection changes, as a changed selection may drop
    the test that killed a mutant. Adding tests cannot revive a killed mutant, so when the new
    selection holds every old entry, the stored fingerprint is set to the new selection's: mutmut
    then maps only the new tests, and ``--survivors`` retests the survivors against them.
    """
    stats = folder / "mutants" / "mutmut-stats.json"
    added = [entry for entry in new if entry not in (old or [])]
    # only test paths added (an added option such as --deselect could drop the test that killed a mutant)
    if not old or not added or not set(old) <= set(new) or any(entry.startswith("-") for entry in added) \
            or not stats.exists():
        return
    data = json.loads(stats.read_text())
    fingerprint = data.get("config_fingerprint") or {}
    if "test_selection" not in fingerprint:
        return
    # mutmut's own hash of the selection (mutmut/configuration.py, Config.config_fingerprint)
    fingerprint["test_selection"] = hashlib.sha256(repr(tuple(new)).encode()).hexdigest()[:12]
    stats.write_text(json.dumps(data))
    print(f"   tests added to the group ({', '.join(sorted(set(new) - set(old)))}): verdicts kept; "
          "--survivors retests the survivors against them")


def refresh_data_files(folder: Path) -> None:
    """Drop stale copies of the packages' data files (mutmut copies a file only when absent).

    mutmut re-copies or re-mutates the .py files and re-copies ``also_copy`` on every run, but a
    JSON, CSV or SQL file inside a package is copied once; one changed since is removed here so
    that mutmut copies it again.
    """
    for package in ("assets", "orchestration", "localapi"):
        copies = folder / "mutants" / package
        if not copies.is_dir():
            continue
        for copy in copies.rglob("*"):
            if not copy.is_file() or copy.suffix in {".py", ".pyc", ".meta", ".spans"}:
                continue
            original = ROOT / copy.relative_to(folder / "mutants")
            if not original.is_file() or original.read_bytes() != copy.read_bytes():
                copy.unlink()


def sampled(folder: Path, modules: list[str], every: int) -> list[str]:
    """Of each module's mutants in order (function, then number), every ``every``-th, if not yet run.

    Before a group's first run there is no result file yet: the names are then computed with
    mutmut's own mutation code, as ``mutmut run`` will name them.
    """
    code = """
import json, sys, warnings
from pathlib import Path
warnings.filterwarnings("ignore")
from mutmut.mutation.file_mutation import mutate_file_contents
out = {}
for module in json.loads(sys.argv[1]):
    meta = Path("mutants") / (module + ".meta")
    if meta.exists():
        out[module] = json.loads(meta.read_text())["exit_code_by_key"]
    else:
        prefix = module[:-3].replace("/", ".")
        names = mutate_file_contents(module, Path(module).read_text(), None, None).mutant_names
        out[module] = {prefix + "." + name: None for name in names}
print(json.dumps(out))
"""
    done = subprocess.run([sys.executable, "-c", code, json.dumps(modules)], cwd=folder, capture_output=True,
                          text=True, check=True)
    picked = []
    for codes in json.loads(done.stdout).values():
        names = sorted(codes, key=lambda n: (n.rsplit("__mutmut_", 1)[0], int(n.rsplit("_", 1)[1])))
        picked += [name for i, name in enumerate(names) if i % every == 0 and codes[name] is None]
    return picked


def not_killed(folder: Path, modules: list[str]) -> list[str]:
    """The mutants of ``modules`` that ran and were not killed, less the known equivalent ones."""
    from mutmut.stats import status_by_exit_code  # the `mutants` extra

    known = equivalent()
    names = []
    for module in modules:
        meta = folder / "mutants" / (module + ".meta")
        if meta.exists():
            codes = json.loads(meta.read_text())["exit_code_by_key"]
            names += sorted(n for n, c in codes.items()
                            if status_by_exit_code[c] not in KILLED | {"not checked", "skipped"} and n not in known)
    return names


def run_group(group: str, modules: list[str], fresh: bool, sample: int | None = None,
              survivors: bool = False) -> int:
    folder = prepare(group, modules, fresh)
    log = folder / "run.log"
    mutmut = Path(sys.executable).with_name("mutmut")
    # One worker: the machine's cores are shared (docs/mutation.md).
    command = [str(mutmut), "run", "--max-children", "1"]
    if sample or survivors:
        names = sampled(folder, modules, sample) if sample else []
        names += not_killed(folder, modules) if survivors else []
        if not names:
            print(f"== {group}: nothing to run (no sampled mutant left, or no survivor)")
            return 0
        command += names
    print(f"== {group}: mutating {', '.join(modules)} against {' '.join(GROUPS[group][1])}"
          + (f", {len(command) - 4} chosen mutants" if sample or survivors else "")
          + f" (log: {log.relative_to(ROOT)})", flush=True)
    with open(log, "a") as out:
        rc = subprocess.call(command, cwd=folder, stdout=out,
                             stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if rc != 0:
        tail = log.read_text(errors="replace").replace("\r", "\n").splitlines()[-30:]
        print(f"mutmut run failed for {group} (exit {rc}); last lines of the log:", *tail, sep="\n")
    return rc


def equivalent() -> set[str]:
    if not EQUIVALENT_FILE.exists():
        return set()
    names = (line.split("#")[0].strip() for line in EQUIVALENT_FILE.read_text().splitlines())
    return {name for name in names if name}


def report_group(group: str, modules: list[str]) -> tuple[int, int]:
    """Print each module's score and survivors; runs mutmut's own code inside the group folder."""
    folder = WORK / group
    code = f"""
import json, sys
from pathlib import Path
from mutmut.stats import status_by_exit_code
from mutmut.mutation.diff_apply import get_diff_for_mutant
known = set(json.loads(sys.argv[1]))
totals = [0, 0]
for module in json.loads(sys.argv[2]):
    meta = Path("mutants") / (module + ".meta")
    if not meta.exists():
        print(f"{{module}}: not run yet")
        continue
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    status = {{name: status_by_exit_code[c] for name, c in codes.items()}}
    killed = sorted(n for n, s in status.items() if s in {sorted(KILLED)!r})
    unchecked = sorted(n for n, s in status.items() if s == "not checked")
    equiv = sorted(n for n, s in status.items() if s == "survived" and n in known)
    left = sorted((n for n, s in status.items()
                   if s not in {sorted(KILLED)!r} and s != "not checked" and n not in equiv),
                  key=lambda n: (n.rsplit("__mutmut_", 1)[0], int(n.rsplit("_", 1)[1])))
    total = len(status)
    score = 100 * len(killed) / total if total else 100.0
    adjusted = 100 * len(killed) / (total - len(equiv)) if total - len(equiv) else 100.0
    print(f"{{module}}: {{len(killed)}} / {{total}} killed ({{score:.1f}}%); "
          f"{{len(equiv)}} known equivalent; {{len(left)}} not killed; "
          f"score without the equivalent ones {{adjusted:.1f}}%"
          + (f"; {{len(unchecked)}} NOT RUN YET, so far {{len(killed)}} / {{total - len(unchecked)}} killed "
             f"({{100 * len(killed) / max(1, total - len(unchecked)):.1f}}% of those run)" if unchecked else ""))
    totals[0] += len(killed); totals[1] += total
    for name in left:
        diff = get_diff_for_mutant(name, path=module)
        changed = [l for l in diff.splitlines()[2:] if l[:1] in "+-"]
        print(f"    {{status[name]:<10}} {{name}}")
        for l in changed:
            print(f"        {{l.strip()[:150]}}")
    if equiv:
        print("    known equivalent (tools/mutants_equivalent.txt): " + ", ".join(equiv))
print("TOTALS", totals[0], totals[1])
"""
    done = subprocess.run([sys.executable, "-c", code, json.dumps(sorted(equivalent())), json.dumps(modules)],
                          cwd=folder, capture_output=True, text=True)
    totals = (0, 0)
    for line in done.stdout.splitlines():
        if line.startswith("TOTALS"):
            totals = tuple(int(x) for x in line.split()[1:])
        else:
            print(line)
    if done.returncode != 0:
        print(done.stderr)
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help="groups or module paths (default: every group)")
    parser.add_argument("--report", action="store_true", help="only print the report of the last run")
    parser.add_argument("--fresh", action="store_true", help="drop the group's cache before running")
    parser.add_argument("--sample", type=int, metavar="N",
                        help="run only every N-th mutant not run yet (a quick estimate; a later run completes it)")
    parser.add_argument("--survivors", action="store_true",
                        help="run again the mutants that survived the last run (after adding tests), less the known "
                             "equivalent ones")
    args = parser.parse_args(argv)

    selected: dict[str, list[str]] = {}
    for target in args.targets or list(GROUPS):
        prefixed = [g for g in GROUPS if g == target or g.startswith(target + "-")]
        if prefixed:
            for group in prefixed:
                selected[group] = list(GROUPS[group][0])
            continue
        owner = next((g for g, (mods, _) in GROUPS.items() if target in mods), None)
        if owner is None:
            parser.error(f"{target}: neither a group ({', '.join(GROUPS)}) nor one of their modules")
        if target not in selected.setdefault(owner, []):
            selected[owner].append(target)

    failed = []
    if not args.report:
        for group, modules in selected.items():
            if run_group(group, modules, args.fresh, args.sample, args.survivors) != 0:
                failed.append(group)

    print("\n== mutation score per module (killed includes timeouts) ==")
    killed = total = 0
    for group, modules in selected.items():
        k, t = report_group(group, modules)
        killed, total = killed + k, total + t
    if total:
        print(f"\nall reported modules: {killed} / {total} killed ({100 * killed / total:.1f}%)")
    if failed:
        print(f"mutmut failed for: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
