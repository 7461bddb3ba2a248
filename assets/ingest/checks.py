"""Checks users rely on for commit histories: no commit counted twice within a family."""

from __future__ import annotations

import dagster as dg

from assets.ingest.assets import COMMITS
from orchestration.warehouse import Warehouse, table_preview


@dg.asset_check(
    asset=COMMITS,
    blocking=True,
    description="No commit is stored twice in a family: each family's GitHub history comes from one repository "
    "(a renamed repository stored under its old and new name would double every GitHub count), and the same "
    "sha never appears under two GitHub names. Blocking: labels, lags and the study's shares count commits.",
)
def no_duplicate_commits(warehouse: Warehouse) -> dg.AssetCheckResult:
    dupes = warehouse.query(
        """
        select family_key, count(distinct repo) as github_repos, count(*) - count(distinct sha) as duplicated_commits,
               list(distinct repo order by repo) as repos
        from raw.commits where platform = 'github'
        group by family_key
        having count(distinct repo) > 1 or count(*) > count(distinct sha)
        order by family_key
        """
    )
    return dg.AssetCheckResult(
        passed=dupes.is_empty(),
        metadata={"families": dg.MetadataValue.int(dupes.height), "rows": table_preview(dupes, rows=20)},
    )
