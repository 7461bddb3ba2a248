"""Checks users rely on for the sync study: every family is classified by the paper's vocabulary or excluded with a reason."""

from __future__ import annotations

from assets.sync.assets import sync_families
from orchestration.checks import problem_rows_check
from orchestration.partitions import FAMILIES

family_classified = problem_rows_check(
    asset=sync_families,
    name="family_classified",
    partitions_def=FAMILIES,
    description="The family has one row in core.sync_families; a classified family's code is one of the codes "
    "of its pattern in the catalog (patterns.json) and equals sync type + intensity; an excluded family says "
    "why; every variant with Hub commits has its measures in core.sync_variants. Blocking: RQ2's shares "
    "divide by the classified families, so a family without a valid pattern would shift every share.",
    sql="""
        select 'no family row' as problem, $partition as family_key, null as detail
        where not exists (select 1 from core.sync_families where family_key = $partition)
        union all
        select 'pattern not in the catalog for its code', f.family_key, f.code || ' ' || coalesce(f.pattern, 'null')
        from core.sync_families f
        where f.family_key = $partition and f.status = 'ok'
          and not exists (select 1 from core.sync_pattern_catalog c
                          where c.pattern = f.pattern and list_contains(c.codes, f.code))
        union all
        select 'excluded without a reason', family_key, null from core.sync_families
        where family_key = $partition and status = 'excluded' and coalesce(reason, '') = ''
        union all
        select 'variant with commits but no measures', c.family_key, c.repo
        from (select distinct family_key, repo from raw.commits where family_key = $partition and platform = 'hub') c
        join core.sync_families f on f.family_key = c.family_key and f.status = 'ok'
        anti join core.sync_variants v on v.family_key = c.family_key and v.hub_repo = c.repo
        order by problem, family_key, detail
    """,
)
