"""Checks users rely on for the sync study: every Hub variant of a synced family has a pattern or a reason."""

from __future__ import annotations

from assets.sync.assets import sync_pairs
from orchestration.checks import problem_rows_check

every_pair_has_pattern = problem_rows_check(
    asset=sync_pairs,
    name="every_pair_has_pattern",
    description="In every family with pairs, every Hub variant of core.variants has a row in core.sync_pairs, "
    "and every row has one of the 8 patterns or an exclusion reason. Blocking: RQ2's shares divide by the "
    "number of pairs, so a missing pair would silently shift every share.",
    sql="""
        with synced as (select distinct family_key from core.sync_pairs)
        select 'no pair row' as problem, v.family_key, v.repo_id as hub_repo
        from core.variants v join synced using (family_key)
        anti join core.sync_pairs p on p.family_key = v.family_key and p.hub_repo = v.repo_id
        union all
        select 'no pattern or reason', family_key, hub_repo from core.sync_pairs
        where (status = 'ok' and pattern not in (select name from core.sync_patterns))
           or (status = 'excluded' and coalesce(reason, '') = '')
        order by problem, family_key, hub_repo
    """,
)
