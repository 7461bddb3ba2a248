"""Checks users rely on for commit histories: no commit counted twice within a family."""

from __future__ import annotations

from assets.ingest.assets import COMMITS
from orchestration.checks import problem_rows_check
from orchestration.partitions import FAMILIES

no_duplicate_commits = problem_rows_check(
    asset=COMMITS,
    name="no_duplicate_commits",
    description="No commit is stored twice in a family: each family's GitHub history comes from one repository "
    "(a renamed repository stored under its old and new name would double every GitHub count), and the same "
    "sha never appears under two GitHub names. Blocking: labels, lags and the study's shares count commits. "
    "Checked per family, so a duplicate in one family never fails another family's run.",
    partitions_def=FAMILIES,
    sql="""
        select family_key, count(distinct repo) as github_repos, count(*) - count(distinct sha) as duplicated_commits,
               list(distinct repo order by repo) as repos
        from raw.commits where platform = 'github' and family_key = $partition
        group by family_key
        having count(distinct repo) > 1 or count(*) > count(distinct sha)
        order by family_key
    """,
)
