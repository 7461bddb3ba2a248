"""Benchmark of the gems search: how often each strategy finds the best / a top-1% candidate.

Run: ``.venv/bin/python bench/gems.py [--seeds 100] [--quick]``. Prints, in one run:

1. Simulated pools of 100, 300 and 1,000 candidates drawn from the study's four model trees
   (item-response outcomes on a 3,000-query task, see ``assets/gems/simulate.py``): for budgets
   of N queries per candidate, each strategy's probability of picking the exact best and a top-1%
   candidate, its mean rank, and the ratio of exhaustive queries (K x 3,000) to the budget.
2. The tiny GPT-2 family (trained once, cached under ``bench/out/``): every checkpoint answers
   the 1,000-query shipped task once (real evaluator, CPU or GPU), then the strategies run over those
   real outcomes for many seeds.
3. Evaluator throughput: batched answers per second against one query at a time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assets.gems.search import most_downloaded, random_pick, sequential_halving, uniform  # noqa: E402
from assets.gems.simulate import FLOORS, simulated_pool  # noqa: E402

TREES = sorted(FLOORS)
N_QUERIES = 3000


def strategies(first_keep: int):
    """name -> function(candidates, queries, oracle, budget, downloads, seed) -> pick."""
    return {
        "aggressive": lambda c, q, o, b, d, s: sequential_halving(c, q, o, b, first_keep=first_keep, seed=s).pick,
        "halving": lambda c, q, o, b, d, s: sequential_halving(c, q, o, b, shared=False, seed=s).pick,
        "halving_shared": lambda c, q, o, b, d, s: sequential_halving(c, q, o, b, seed=s).pick,
        "uniform": lambda c, q, o, b, d, s: uniform(c, q, o, b, seed=s).pick,
        "random": lambda c, q, o, b, d, s: random_pick(c, seed=s).pick,
        "most_downloaded": lambda c, q, o, b, d, s: most_downloaded(c, d).pick,
    }


def rank_of(acc: np.ndarray, pick: int) -> int:
    return int((acc > acc[pick]).sum()) + 1


def simulated(sizes: list[int], budgets: list[int], seeds: int) -> None:
    print(f"\n## Simulated pools ({N_QUERIES}-query task, item-response outcomes, trees {', '.join(TREES)}; {seeds} seeds)")
    print("K     N/model  exh/budget  strategy         P(top-1%)  P(best)  mean rank")
    for size in sizes:
        stats: dict[tuple[int, str], list[tuple[bool, bool, int]]] = {}
        for seed in range(seeds):
            pool = simulated_pool(TREES[seed % len(TREES)], size, N_QUERIES, seed)
            acc, top, best = pool.task_accuracy, pool.top(0.01), pool.best()
            cands, queries = list(range(size)), np.arange(N_QUERIES)
            downloads = dict(enumerate(pool.downloads))
            for n in budgets:
                for name, run in strategies(min(100, size // 2)).items():
                    if name in ("random", "most_downloaded") and n != budgets[0]:
                        continue
                    pick = run(cands, queries, pool.oracle, n * size, downloads, seed)
                    stats.setdefault((n, name), []).append((pick in top, pick in best, rank_of(acc, pick)))
        for (n, name), rows in stats.items():
            arr = np.array(rows, dtype=float)
            ratio = f"{N_QUERIES / n:>6.0f}x" if name not in ("random", "most_downloaded") else "     -"
            print(f"{size:<5} {n if ratio.strip() != '-' else 0:>7}  {ratio:>10}  {name:<16} {arr[:, 0].mean():>8.0%}  {arr[:, 1].mean():>7.0%}  {arr[:, 2].mean():>9.1f}")
        target_check(size, stats)


def target_check(size: int, stats: dict) -> None:
    """The target: a top-1% candidate in >= 95% of trials at <= 1/50 of exhaustive, beating standard halving."""
    n = N_QUERIES // 50
    if (n, "aggressive") not in stats:
        return
    top = {name: np.mean([r[0] for r in stats[(n, name)]]) for name in ("aggressive", "halving_shared", "halving")}
    met = max(top["aggressive"], top["halving_shared"]) >= 0.95 and min(top["aggressive"], top["halving_shared"]) > top["halving"]
    print(f"-> K={size}, 1/50 of exhaustive: top-1% aggressive {top['aggressive']:.0%}, shared halving "
          f"{top['halving_shared']:.0%}, standard halving {top['halving']:.0%}: target {'MET' if met else 'NOT met'}")


def tiny_family(seeds: int, budgets: list[int]) -> None:
    import polars as pl

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
        for name, run in strategies(max(2, k // 2)).items():
            if name in ("random", "most_downloaded") and n != budgets[0]:
                continue
            picks = [run(list(range(k)), queries, oracle, n * k, dict(enumerate(downloads)), s) for s in range(seeds)]
            best = np.mean([acc[p] == acc.max() for p in picks])
            ranks = np.mean([rank_of(acc, p) for p in picks])
            print(f"{n:>7}  {outcomes.shape[1] / n:>9.0f}x  {name:<16} {best:>7.0%}  {ranks:>9.2f}")
    throughput(data / "hub" / "models" / FAMILY[-1].repo_id / "files", task, pl)


def throughput(path: Path, task, pl) -> None:
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
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="fewer seeds and sizes (a smoke run)")
    args = parser.parse_args()
    t0 = time.perf_counter()
    if args.quick:
        simulated([100, 300], [20, 60], 10)
    else:
        simulated([100, 300, 1000], [10, 30, 60, 150], args.seeds)
    tiny_family(args.seeds, [2, 5, 10, 50])
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
