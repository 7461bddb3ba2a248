"""Checks users rely on for the gems search: no strategy spent more queries than its budget."""

from __future__ import annotations

import dagster as dg

from assets.gems.assets import gem_search
from orchestration.warehouse import Warehouse, table_preview


@dg.asset_check(
    asset=gem_search,
    blocking=True,
    description="Every budgeted strategy's pick in core.gem_picks spent at most its query budget, and every "
    "round's running total stays within it. Blocking: a leaderboard built on an over-budget search would "
    "overstate how cheaply the best model was found.",
)
def search_within_budget(warehouse: Warehouse) -> dg.AssetCheckResult:
    over = warehouse.query(
        """
        select base_key, task, strategy, max(spent) as spent, max(budget) as budget
        from (
            select base_key, task, strategy, queries_spent as spent, budget from core.gem_picks
            union all
            select r.base_key, r.task, r.strategy, r.total_spent, p.budget
            from core.gem_rounds r join core.gem_picks p using (base_key, task, strategy)
        )
        where budget is not null and spent > budget
        group by all order by base_key, task, strategy
        """
    )
    return dg.AssetCheckResult(
        passed=over.is_empty(),
        metadata={"over_budget": dg.MetadataValue.int(over.height), "rows": table_preview(over, rows=20)},
    )
