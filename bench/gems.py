"""Benchmark of the gems search: each strategy against the default, paired on the same pools and seeds.

Run: ``nice -n 10 .venv/bin/python bench/gems.py [--seeds 200] [--cells atlas91:1000,clusters:300]``.
Sections (``--sections``, default all):

``cells``
    Simulated pools (``assets/gems/simulate.py``: 3,000-query task, each model's accuracy over the
    task exact) of 100, 300 and 1,000 candidates at 1/50 of exhaustive (60 queries per model), in
    every scenario of :data:`SCENARIOS`: the study's digitised trees at agreement 65% to 95%,
    near-duplicate clusters, skill blocks, and the gem-skewed pool. Per strategy: P(top 1%) and
    P(exact best) with 95% Wilson intervals, mean rank and mean accuracy gap to the best with 95%
    intervals, and the budget spent. Then the default against each rival *paired* on the same
    seeds: the mean difference with its 95% interval; a rival is significantly better where the
    interval excludes 0 in its favour. Ceilings (:data:`REFERENCES`): genies told the true top 10 or
    top 100 (shared halving over them with the whole budget), the oracle order (the default asking the
    questions most informative at the top of the pool first, from the simulator's true item
    parameters) and, where the top 1% is one model, the final-pair limit (how often the best beats
    the runner-up on as many shared questions as the default's last round had). Model loads (the
    survivors summed over rounds: what a real search loads, as the query budget does not count it)
    are reported beside the budget.
``replay``
    The study's Table 2: whole digitised trees (246 to 641 candidates) at N = 10 and 50 queries per
    model, mean rank and accuracy of the pick beside the paper's (``bench/reference/``).
``budgets`` (not in the default run)
    Where 1/50 of exhaustive misses a target: P(top 1%) of the shared-query strategies at several
    queries per model (``--budget-n``) on pools of the largest ``--sizes``, and the fewest queries per
    model that reach the target.
``tiny``
    The tiny GPT-2 family (trained once, cached under ``bench/out/``): every checkpoint answers the
    1,000-query shipped task (real evaluator), the strategies run over those real outcomes; evaluator
    throughput (batched against one query at a time); model loads in one search through the real oracle.

``--device-check`` runs the tiny family alone, on the GPU when there is one (docs/gems.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scipy.special import expit  # noqa: E402

from assets.gems.search import (  # noqa: E402
    DEFAULT_STRATEGY, adaptive_halving, halving, paper_schedule, search, search_in_order, shared_halving,
)
from assets.gems.simulate import AGREEMENT_LEVELS, FLOORS, GEM_SKEWED, agreement, load_atlas, simulated_pool  # noqa: E402
from assets.gems.stats import wilson_interval  # noqa: E402

TREES = sorted(FLOORS)
N_QUERIES = 3000
PER_MODEL = N_QUERIES // 50  # 1/50 of exhaustive
DEFAULT = DEFAULT_STRATEGY
RIVALS = ("adaptive_halving", "aggressive", "shared_halving", "halving")
STRATEGIES = {
    DEFAULT: search,
    "adaptive_halving": adaptive_halving,
    "aggressive": lambda c, q, o, b, *, seed, first_keep=100: paper_schedule(c, q, o, b, seed=seed, first_keep=first_keep),
    "shared_halving": shared_halving,
    "halving": halving,
}
GENIE = "genie_top10"
ORACLE_ORDER = "oracle_order"
REFERENCES = (GENIE, "genie_top100", ORACLE_ORDER)
"""Ceilings, not strategies: each is told something no search can know (see :func:`reference`)."""


@dataclass(frozen=True)
class Scenario:
    """A pool distribution and how alike its candidates answer."""

    name: str
    distribution: str  # "atlas" (the four digitised trees in turn) or GEM_SKEWED
    agreement: float  # a key of AGREEMENT_LEVELS
    structure: str = "plain"


SCENARIOS = {s.name: s for s in (
    Scenario("atlas65", "atlas", 0.65), Scenario("atlas75", "atlas", 0.75), Scenario("atlas87", "atlas", 0.87),
    Scenario("atlas91", "atlas", 0.91), Scenario("atlas95", "atlas", 0.95),
    Scenario("clusters", "atlas", 0.91, "clusters"), Scenario("skills", "atlas", 0.91, "skills"),
    Scenario("gem_skewed", GEM_SKEWED, 0.91),
)}
"""Every cell's pool; ``atlas91`` is the simulator's default agreement."""


def pool_for(scenario: Scenario, size: int, seed: int):
    tree = TREES[seed % len(TREES)] if scenario.distribution == "atlas" else scenario.distribution
    return simulated_pool(tree, size, N_QUERIES, seed, discrimination=AGREEMENT_LEVELS[scenario.agreement],
                          structure=scenario.structure)


def genie(acc: np.ndarray, queries: np.ndarray, oracle, budget: int, seed: int, top: int = 10):
    """A ceiling, not a strategy: told the pool's true top ``top`` for free, shared halving over them spends
    the whole budget. Where even the top 10 falls short, the last steps (separating near-ties at the top)
    cannot be done at that budget, whatever the screening before them; the top 100 says how much of the
    screening's task is left once 90% of the pool is ruled out for free."""
    return shared_halving(np.argsort(-acc)[:top].tolist(), queries, oracle, budget, seed=seed)


def informative_first(pool) -> np.ndarray:
    """The task's questions, most informative at the top of the pool first: Fisher information
    ``a^2 p (1 - p)`` of each question's true 2PL parameters at the ability of the pool's 99th
    percentile (skill blocks ignored). No search can know this before the questions are answered."""
    items = pool.items
    p = expit(items.discrimination * (np.quantile(items.ability, 0.99) - items.difficulty))
    return np.argsort(-(items.discrimination ** 2 * p * (1 - p)), kind="stable")


def reference(name: str, pool, budget: int, seed: int):
    """One ceiling on one pool: the genies (told the true top 10 or 100) or the oracle order (the
    default search, asking the questions in :func:`informative_first` order: under the plain item
    model, the best any choice of questions, adaptive or tinyBenchmarks-style, could do for it; under
    clusters or skill blocks no ceiling, as ranking on the questions hard for the top is then not
    ranking on the task: docs/gems.md)."""
    queries = np.arange(pool.n_queries)
    if name == ORACLE_ORDER:
        return search_in_order(list(range(pool.size)), informative_first(pool), pool.oracle, budget, seed=seed)
    return genie(pool.task_accuracy, queries, pool.oracle, budget, seed, top=int(name.removeprefix("genie_top")))


def pair_ceiling(pool, depth: int, rng: np.random.Generator, draws: int = 20) -> float:
    """How often the true best beats the runner-up on ``depth`` random shared queries (ties half).

    Where the top 1% is one model, no search whose last comparison stops at ``depth`` queries can
    pick it more often than this, even if told the two finalists for free.
    """
    order = np.argsort(-pool.task_accuracy)
    best, second = pool.outcomes[order[0]], pool.outcomes[order[1]]
    wins = 0.0
    for _ in range(draws):
        q = rng.permutation(pool.n_queries)[:depth]
        diff = int(best[q].sum()) - int(second[q].sum())
        wins += (diff > 0) + 0.5 * (diff == 0)
    return wins / draws


def trial(result, pool) -> tuple[float, float, float, float, float, float]:
    """One pick: in the top 1%, the exact best, its rank, its accuracy gap to the best (points), share of
    the budget spent, model loads (survivors summed over rounds)."""
    acc = pool.task_accuracy
    pick = result.pick
    return (float(pick in pool.top(0.01)), float(pick in pool.best()), float((acc > acc[pick]).sum() + 1),
            100 * float(acc.max() - acc[pick]), result.spent / result.budget, float(sum(len(r.survivors) for r in result.rounds)))


def mean_ci(x: np.ndarray) -> tuple[float, float]:
    """Mean and the half-width of its 95% normal interval."""
    return float(x.mean()), float(1.96 * x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else 0.0


def run_cell(scenario: Scenario, size: int, seeds: range) -> dict:
    """Every strategy and reference on the same pools (one per seed), each searched with that seed."""
    rows: dict[str, list] = {name: [] for name in (*STRATEGIES, *REFERENCES)}
    ceilings = []
    for seed in seeds:
        pool = pool_for(scenario, size, seed)
        cands, queries = list(range(size)), np.arange(N_QUERIES)
        budget = PER_MODEL * size
        for name, run in STRATEGIES.items():
            result = run(cands, queries, pool.oracle, budget, seed=seed)
            assert result.spent <= budget
            rows[name].append(trial(result, pool))
            if name == DEFAULT and len(pool.top(0.01)) == 1:
                ceilings.append(pair_ceiling(pool, result.rounds[-1].queries_per_survivor, np.random.default_rng(seed)))
        for name in REFERENCES:
            rows[name].append(trial(reference(name, pool, budget, seed), pool))
    return {"rows": {k: np.array(v) for k, v in rows.items()}, "ceiling": float(np.mean(ceilings)) if ceilings else None}


METRICS = ("P(top 1%)", "P(best)", "mean rank", "gap (points)", "spent", "loads")
BETTER_HIGH = (True, True, False, False, True, False)


def cell_report(scenario: Scenario, size: int, cell: dict) -> list[str]:
    """The cell's lines: per strategy with intervals, then the default paired against each rival."""
    rows, n = cell["rows"], len(cell["rows"][DEFAULT])
    out = [f"\n### {scenario.name} (agreement {scenario.agreement:.0%}, {scenario.structure}), K = {size}, {n} seeds, "
           f"{PER_MODEL} queries per model (1/50 of exhaustive)",
           "| strategy | P(top 1%) | P(best) | mean rank | gap (points) | spent | loads |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, arr in rows.items():
        cells = []
        for j in range(2):
            k = int(arr[:, j].sum())
            lo, hi = wilson_interval(k, n)
            cells.append(f"{k / n:.1%} ({lo:.0%}-{hi:.0%})")
        for j in (2, 3):
            m, h = mean_ci(arr[:, j])
            cells.append(f"{m:.2f} ± {h:.2f}")
        cells.append(f"{arr[:, 4].mean():.1%}")
        cells.append(f"{arr[:, 5].mean():.0f}")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out.append("paired, default minus rival (95% interval; * = significant, (+) default better, (-) default worse):")
    for rival in RIVALS:
        parts = []
        for j, metric in enumerate(METRICS[:4]):
            m, h = mean_ci(rows[DEFAULT][:, j] - rows[rival][:, j])
            sig = abs(m) > h and h > 0
            good = (m > 0) == BETTER_HIGH[j]
            parts.append(f"{metric} {m:+.3f} ± {h:.3f}{(' *(+)' if good else ' *(-)') if sig else ''}")
        out.append(f"- vs {rival}: " + "; ".join(parts))
    if cell["ceiling"] is not None:
        out.append(f"- final-pair limit (the top 1% is one model): the best beats the runner-up on the default's last-round "
                   f"depth in {cell['ceiling']:.1%} of draws")
    return out


def losses(scenario: Scenario, size: int, cell: dict) -> list[str]:
    """Where the default is significantly worse than a rival on P(top 1%) or mean rank."""
    rows, found = cell["rows"], []
    for rival in RIVALS:
        for j in (0, 2):
            m, h = mean_ci(rows[DEFAULT][:, j] - rows[rival][:, j])
            if h > 0 and abs(m) > h and (m > 0) != BETTER_HIGH[j]:
                found.append(f"{scenario.name} K={size}: {METRICS[j]} {m:+.3f} ± {h:.3f} against {rival}")
    return found


def target_share(scenario: Scenario) -> float:
    """The share of trials the issue asks to find a top-1% model in at K = 1,000: 95% at high
    agreement, 90% under clusters, skills and 65-75% agreement."""
    return 0.95 if scenario.agreement >= 0.87 and scenario.structure == "plain" else 0.90


def target(scenario: Scenario, size: int, cell: dict) -> str | None:
    """The issue's target at K = 1,000: top 1% in >= 95% at high agreement, >= 90% under clusters,
    skills and 65-75% agreement."""
    if size != 1000:
        return None
    goal = target_share(scenario)
    p = cell["rows"][DEFAULT][:, 0].mean()
    refs = ", ".join(f"{name} {cell['rows'][name][:, 0].mean():.1%}" for name in REFERENCES)
    return f"{scenario.name} K=1000: default {p:.1%} against a target of {goal:.0%}: {'met' if p >= goal else 'NOT met'} ({refs})"


def cells(names: list[str], sizes: list[int], seeds: range) -> None:
    print(f"## Simulated pools ({N_QUERIES}-query task; agreement = share of questions two equal 70% candidates answer alike)")
    lost, targets = [], []
    for name in names:
        scenario = SCENARIOS[name]
        for size in sizes:
            t0 = time.perf_counter()
            cell = run_cell(scenario, size, seeds)
            print("\n".join(cell_report(scenario, size, cell)))
            print(f"({time.perf_counter() - t0:.0f} s)", flush=True)
            lost += losses(scenario, size, cell)
            if (line := target(scenario, size, cell)):
                targets.append(line)
    print("\n## Where the default is significantly worse (P(top 1%) or mean rank, paired 95% interval)")
    print("\n".join(lost) or "nowhere")
    if targets:
        print("\n## Targets at K = 1,000")
        print("\n".join(targets))


BUDGET_STRATEGIES = (DEFAULT, "adaptive_halving", "aggressive", "shared_halving")


def budgets(names: list[str], size: int, seeds: range, per_model: list[int]) -> None:
    """What a target costs where 1/50 of exhaustive misses it: P(top 1%) of the shared-query strategies
    at several queries per model, on the same pools and seeds, and the fewest at which each reaches
    the target (:func:`target_share`). A user whose pool answers this alike (the leaderboard's
    ``top_agreement``) reads off the budget to set."""
    print(f"\n## Budget a target needs (K = {size}, {len(seeds)} seeds; P(top 1%) with its 95% Wilson interval)")
    for name in names:
        scenario = SCENARIOS[name]
        goal = target_share(scenario)
        hits = {(n, s): [] for n in per_model for s in BUDGET_STRATEGIES}
        for seed in seeds:
            pool = pool_for(scenario, size, seed)
            top = pool.top(0.01)
            for n in per_model:
                for s in BUDGET_STRATEGIES:
                    result = STRATEGIES[s](list(range(size)), np.arange(N_QUERIES), pool.oracle, n * size, seed=seed)
                    hits[(n, s)].append(result.pick in top)
        print(f"\n### {name} (target {goal:.0%})\n| queries per model | share of exhaustive | "
              + " | ".join(BUDGET_STRATEGIES) + " |\n| --- | --- | " + " | ".join("---" for _ in BUDGET_STRATEGIES) + " |")
        for n in per_model:
            row = []
            for s in BUDGET_STRATEGIES:
                k = int(sum(hits[(n, s)]))
                lo, hi = wilson_interval(k, len(seeds))
                row.append(f"{k / len(seeds):.1%} ({lo:.0%}-{hi:.0%})")
            print(f"| {n} | 1/{N_QUERIES / n:.0f} | " + " | ".join(row) + " |")
        fewest = {s: next((n for n in per_model if np.mean(hits[(n, s)]) >= goal), None) for s in BUDGET_STRATEGIES}
        print("fewest queries per model reaching the target: "
              + ", ".join(f"{s} {n if n else f'none up to {per_model[-1]}'}" for s, n in fewest.items()), flush=True)


PAPER_TABLE2 = ROOT / "bench" / "reference" / "paper_table2_discovery.csv"
PAPER_TREES = {"qwen2.5_3b": "qwen3b", "qwen2.5_7b": "qwen7b", "mistral_7b": "mistral7b", "llama3.1_8b": "llama8b"}
PAPER_METHODS = {DEFAULT: "Ours", "aggressive": "Ours", "shared_halving": None, "halving": "Sequential Halving"}
"""Our strategy -> the row of the paper's Table 2 it is set against ("Ours" is the study's method)."""


def replay(seeds: range, agreement_level: float, per_model: list[int]) -> None:
    """The study's Table 2 on the digitised trees, whole, as in the paper (mean rank of the pick, 1 = best)."""
    import polars as pl

    paper = pl.read_csv(PAPER_TABLE2, null_values="-")
    print(f"\n## The study's Table 2 replayed (whole trees, {len(seeds)} seeds, agreement {agreement_level:.0%}; the paper: 100 repetitions)")
    columns = (*STRATEGIES, *REFERENCES)
    print("| tree | N | " + " | ".join(columns) + " | paper: Ours | paper: Sequential Halving |")
    print("| --- | --- | " + " | ".join("---" for _ in columns) + " | --- | --- |")
    for tree, column in PAPER_TREES.items():
        size = load_atlas(tree).height
        ranks: dict[tuple[int, str], list[float]] = {}
        for seed in seeds:
            pool = simulated_pool(tree, size, N_QUERIES, seed, discrimination=AGREEMENT_LEVELS[agreement_level])
            acc = pool.task_accuracy
            for n in per_model:
                for name in columns:
                    result = (STRATEGIES[name](list(range(size)), np.arange(N_QUERIES), pool.oracle, n * size, seed=seed)
                              if name in STRATEGIES else reference(name, pool, n * size, seed))
                    ranks.setdefault((n, name), []).append(float((acc > acc[result.pick]).sum() + 1))
        for n in per_model:
            published = paper.filter(pl.col("queries_per_model") == n)
            ours, sh = (published.filter(pl.col("method") == m)[f"{column}_rank"].first() or "-"  # the paper: N = 10, 50
                        for m in ("Ours", "Sequential Halving"))
            cellsx = [f"{np.mean(ranks[(n, name)]):.1f} ± {mean_ci(np.array(ranks[(n, name)]))[1]:.1f}" for name in columns]
            print(f"| {tree} ({size}) | {n} | " + " | ".join(cellsx) + f" | {ours} | {sh} |", flush=True)


def tiny_family(seeds: int, budgets: list[int], loads: bool = True) -> None:
    from assets.gems import evaluator
    from assets.gems.tasks import SHIPPED_TASK, load_task_file
    from assets.gems.tiny_family import FAMILY, publish_tiny_family

    data = ROOT / "bench" / "out" / "tiny_family"
    t0 = time.perf_counter()
    publish_tiny_family(data, broken=False)
    print(f"\n## Tiny GPT-2 family ({len(FAMILY)} checkpoints; built/cached in {time.perf_counter() - t0:.1f} s)")
    task = load_task_file(SHIPPED_TASK, "two_digit_addition", "numeric")
    device, dtype = evaluator.pick_device()
    matrix, names, downloads = [], [], []
    t0 = time.perf_counter()
    for member in FAMILY:
        loaded = evaluator.load(data / "hub" / "models" / member.repo_id / "files", device, dtype)
        answers = evaluator.answer(loaded, task, task.queries, batch_size=256)
        evaluator.release(loaded)
        matrix.append(answers["correct"].to_numpy())
        names.append(member.repo_id)
        downloads.append(member.downloads)
    outcomes = np.array(matrix)
    elapsed = time.perf_counter() - t0
    acc = outcomes.mean(1)
    print(f"exhaustive evaluation on {device.type}: {outcomes.size} answers in {elapsed:.1f} s")
    for name, a, d in sorted(zip(names, acc, downloads), key=lambda r: -r[1]):
        print(f"  {name:<28} accuracy {a:6.1%}  downloads {d:>7}")
    k = len(names)
    queries = np.arange(outcomes.shape[1])
    oracle = lambda c, ids: outcomes[c, ids]  # noqa: E731
    print("N/model  exh/budget  strategy         P(best)  mean rank")
    for n in budgets:
        for name, run in STRATEGIES.items():
            picks = [run(list(range(k)), queries, oracle, n * k, seed=s).pick for s in range(seeds)]
            best = np.mean([acc[p] == acc.max() for p in picks])
            ranks = np.mean([(acc > acc[p]).sum() + 1 for p in picks])
            print(f"{n:>7}  {outcomes.shape[1] / n:>9.0f}x  {name:<16} {best:>7.0%}  {ranks:>9.2f}")
    throughput(data / "hub" / "models" / FAMILY[-1].repo_id / "files", task)
    if loads:
        model_loads(data, task, [m.repo_id for m in FAMILY])


def device_check(seeds: int) -> None:
    """The tiny family on this machine's device alone: what a session lent a GPU runs in one call.

    Needs torch, transformers, polars, numpy and scipy only (no DuckDB, Dagster or Hub server), so
    it runs on a bare GPU machine with polars carried as wheels and ``bench/out/tiny_family``
    carried from a CPU run (docs/gems.md, "GPU check").
    """
    import torch

    from assets.gems import evaluator

    device, dtype = evaluator.pick_device()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"## Device check: {name}, {dtype}, {evaluator.device_memory_bytes(device) / 2**30:.0f} GiB")
    tiny_family(seeds, [2, 5, 10, 50], loads=False)
    if device.type == "cuda":
        print(f"GPU memory still allocated after the last candidate was released: {torch.cuda.memory_allocated(device)} bytes")


def model_loads(data: Path, task, members: list[str]) -> None:
    """One default search through the real oracle (local Hub server, DuckDB store), with survivors
    reloaded every round (resident share 0) and kept loaded between rounds (the default share)."""
    import json
    import tempfile

    from assets.gems import evaluator
    from assets.gems.outcomes import EvaluationOracle
    from localapi.server import LocalAPI
    from orchestration.warehouse import Warehouse

    revisions = {m: json.loads((data / "hub" / "models" / m / "info.json").read_text())["sha"] for m in members}
    print("\n## Model loads in one search (the default, 50 queries per candidate; Hub cache warm)")
    with LocalAPI(data) as api, tempfile.TemporaryDirectory() as tmp:
        for m, rev in revisions.items():  # downloads are not what this measures
            evaluator.download(m, rev, endpoint=api.hf_endpoint, cache_dir=f"{tmp}/hf", token=None)
        for share in (0.0, EvaluationOracle.resident_share):
            oracle = EvaluationOracle(Warehouse(database=f"{tmp}/share-{share}.duckdb"), task, revisions, api.hf_endpoint,
                                      cache_dir=f"{tmp}/hf", resident_share=share)
            t0 = time.perf_counter()
            result = search(members, task.queries["query_id"].to_list(), oracle, 50 * len(members), seed=0)
            oracle.close()
            print(f"resident share {share:.1f}: {oracle.loads} model loads for {len(members)} candidates over "
                  f"{len(result.rounds)} rounds, {oracle.computed} answers, {time.perf_counter() - t0:.1f} s")


def throughput(path: Path, task) -> None:
    from assets.gems import evaluator

    device, dtype = evaluator.pick_device()
    loaded = evaluator.load(path, device, dtype)
    queries = task.queries.head(256)
    evaluator.answer(loaded, task, queries.head(8), batch_size=8)  # warm-up
    t0 = time.perf_counter()
    evaluator.answer(loaded, task, queries, batch_size=256)
    batched = queries.height / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    evaluator.answer(loaded, task, queries.head(64), batch_size=1)
    naive = 64 / (time.perf_counter() - t0)
    evaluator.release(loaded)
    print(f"\n## Evaluator throughput on {device.type}: batched {batched:.0f} q/s, one at a time {naive:.0f} q/s ({batched / naive:.1f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200, help="trials per cell (the issue's targets need 200 or more)")
    parser.add_argument("--first-seed", type=int, default=0, help="seeds are first-seed .. first-seed + seeds - 1")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"comma-separated, of {', '.join(SCENARIOS)}")
    parser.add_argument("--sizes", default="100,300,1000", help="pool sizes K")
    parser.add_argument("--sections", default="cells,replay,tiny", help="any of cells, replay, tiny, budgets")
    parser.add_argument("--budget-n", default="60,90,120,180,240,300",
                        help="queries per model in the budgets section (pools of the largest --sizes)")
    parser.add_argument("--replay-agreement", type=float, default=0.91, choices=sorted(AGREEMENT_LEVELS))
    parser.add_argument("--replay-n", default="50,10", help="queries per model in the Table 2 replay")
    parser.add_argument("--device-check", action="store_true",
                        help="only the tiny family on this machine's device (CUDA when present), no DuckDB needed")
    args = parser.parse_args()
    t0 = time.perf_counter()
    if args.device_check:
        device_check(args.seeds)
    else:
        seeds = range(args.first_seed, args.first_seed + args.seeds)
        sections = args.sections.split(",")
        print("agreement levels (measured by simulate.agreement): "
              + ", ".join(f"{a:.0%} -> discrimination {d:g} ({agreement(d):.1%})" for a, d in AGREEMENT_LEVELS.items()))
        if "cells" in sections:
            cells(args.scenarios.split(","), [int(s) for s in args.sizes.split(",")], seeds)
        if "budgets" in sections:
            budgets(args.scenarios.split(","), max(int(s) for s in args.sizes.split(",")), seeds,
                    [int(n) for n in args.budget_n.split(",")])
        if "replay" in sections:
            replay(seeds, args.replay_agreement, [int(n) for n in args.replay_n.split(",")])
        if "tiny" in sections:
            tiny_family(args.seeds, [2, 5, 10, 50])
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
