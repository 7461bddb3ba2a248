"""Label stage benchmark: LLM requests and tokens per commit, cache hit rate, rules throughput.

Run: ``.venv/bin/python bench/label.py [--commits 1000]``. Uses a temporary warehouse and the
local OpenAI-compatible server (the real ``openai`` client); commits are the gold set's texts,
made distinct per commit. Prints figures measured in this one run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assets.label.assets import LLMLabelConfig, llm_labelled_commits  # noqa: E402
from assets.label.commit_text import commit_text  # noqa: E402
from assets.label.gold import load_gold  # noqa: E402
from assets.label.rules import label_commit  # noqa: E402
from localapi import openai_api  # noqa: E402
from localapi.server import LocalAPI  # noqa: E402
from orchestration.resources import LLMResource  # noqa: E402
from orchestration.warehouse import Warehouse  # noqa: E402

FAMILY = "bench__family"


def commits(n: int) -> pl.DataFrame:
    gold = load_gold().to_dicts()
    now = datetime.now(UTC)
    rows = []
    for i in range(n):
        g = gold[i % len(gold)]
        rows.append({
            "family_key": FAMILY, "platform": g["platform"], "repo": f"org/repo-{g['platform']}", "sha": f"{i:040x}",
            "parents": [], "title": f"{g['title']} (#{i})", "message": g["message"],
            "files": [{"path": p, "change": "M", "additions": 1, "deletions": 1} for p in g["files"]],
            "n_files": len(g["files"]), "fetched_at": now,
        })
    return pl.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--rules-commits", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LocalAPI(tmp, [openai_api.router(Path(tmp))]) as api:
        warehouse = Warehouse(database=str(Path(tmp) / "bench.duckdb"))
        warehouse.append("raw.commits", commits(args.commits))
        llm = LLMResource(base_url=api.openai_base, model="bench-model", api_key="unused")
        context = dg.build_asset_context(partition_key=FAMILY)
        runs = []
        for _ in range(2):
            api.reset()
            started = time.perf_counter()
            result = llm_labelled_commits(context=context, config=LLMLabelConfig(), warehouse=warehouse, llm=llm)
            runs.append((result.metadata, api.count("openai.chat"), time.perf_counter() - started))
        (first, req1, t1), (second, req2, t2) = runs
        n = args.commits
        tokens = first["prompt_tokens"] + first["completion_tokens"]
        print(f"LLM labelling, {n} new commits (batch 25, concurrency 4, local scripted endpoint):")
        print(f"  requests per 1,000 commits : {req1 * 1000 / n:.1f}  ({req1} requests, {n / req1:.1f} commits each)")
        print(f"  tokens per commit          : {tokens / n:.1f}  (prompt {first['prompt_tokens'] / n:.1f}, "
              f"completion {first['completion_tokens'] / n:.1f}; the endpoint counts 4 characters a token)")
        print(f"  first run wall time        : {t1:.2f} s")
        print(f"second run (same commits): {req2} requests, cache hit rate "
              f"{second['cache_hits'] / n:.1%}, wall time {t2:.2f} s")

    texts = [commit_text(r) for r in load_gold().to_dicts()]
    sample = [texts[i % len(texts)] for i in range(args.rules_commits)]
    started = time.perf_counter()
    for t in sample:
        label_commit(t)
    elapsed = time.perf_counter() - started
    big = commit_text({"platform": "github", "title": "Vendor dependencies",
                       "files": [f"vendor/pkg{i}/mod{i}.py" for i in range(5000)]})
    started = time.perf_counter()
    label_commit(big)
    big_elapsed = time.perf_counter() - started
    print(f"rules labeller: {args.rules_commits / elapsed:,.0f} commits/s over {args.rules_commits} gold-set commits; "
          f"a 5,000-file commit takes {big_elapsed * 1000:.0f} ms")


if __name__ == "__main__":
    main()
