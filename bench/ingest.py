"""Ingest benchmark on the bundled sample: requests per commit (full ingest), per repository
(unchanged refresh) and the bytes those requests bring back, and commits per second. Ratios come from one run; run with
``.venv/bin/python bench/ingest.py``. Targets (issue 2): <= 0.05 requests per commit on a full
ingest, <= 1 request per repository on an unchanged refresh.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import dagster as dg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assets.ingest.assets import CommitsConfig, DiscoveryConfig, commits, discover_families  # noqa: E402
from localapi.sample import build_sample  # noqa: E402
from localapi.server import LocalAPI  # noqa: E402
from orchestration.resources import GitHubResource, HubResource  # noqa: E402
from orchestration.warehouse import Warehouse  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, dg.instance_for_test(temp_dir=tmp) as instance:
        api = LocalAPI(build_sample(Path(tmp) / "sample"))
        api.start()
        try:
            wh = Warehouse(database=f"{tmp}/bench.duckdb")
            res = {"warehouse": wh, "hub": HubResource(endpoint=api.hf_endpoint),
                   "github": GitHubResource(api_url=api.github_api, server_url=api.github_git, seconds_between_requests=0)}
            t = time.perf_counter()
            list(discover_families(dg.build_asset_context(instance=instance), DiscoveryConfig(), **res))
            discovery_s, discovery_requests = time.perf_counter() - t, api.count()
            keys = wh.query("select family_key from core.families order by 1")["family_key"].to_list()
            config = CommitsConfig(mirror_root=f"{tmp}/git")

            def ingest_all() -> tuple[float, int, int]:
                api.reset()
                start = time.perf_counter()
                for key in keys:
                    commits(dg.build_asset_context(partition_key=key, instance=instance), config, **res)
                return time.perf_counter() - start, api.count(), sum(s.size for s in api.log)

            full_s, full_requests, _ = ingest_all()
            n_commits = wh.query("select count(*) from raw.commits").item()
            n_repos = wh.query("select count(*) from raw.repo_state").item()
            states = wh.query("select * from raw.repo_state order by all")
            refresh_s, refresh_requests, refresh_bytes = ingest_all()
            assert wh.query("select count(*) from raw.commits").item() == n_commits
            assert wh.query("select * from raw.repo_state order by all").equals(states), "an unchanged refresh rewrote state"
        finally:
            api.stop()
    print(f"sample: {len(keys)} families, {n_repos} repositories, {n_commits} commits")
    print(f"discovery: {discovery_requests} requests in {discovery_s:.2f} s")
    print(f"full ingest: {full_requests} requests / {n_commits} commits = {full_requests / n_commits:.4f} requests per commit "
          f"(target <= 0.05); with discovery {(full_requests + discovery_requests) / n_commits:.4f}")
    print(f"full ingest: {n_commits / full_s:,.0f} commits per second ({full_s:.2f} s)")
    print(f"unchanged refresh: {refresh_requests} requests / {n_repos} repositories = "
          f"{refresh_requests / n_repos:.2f} requests per repository (target <= 1), "
          f"{refresh_bytes / max(refresh_requests, 1):.0f} bytes per request, {refresh_s:.2f} s, nothing rewritten")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
