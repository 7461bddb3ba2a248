"""Checks users rely on for the gems search: no strategy spent more queries than its budget."""

from __future__ import annotations

from assets.gems.assets import gem_search
from orchestration.checks import problem_rows_check

search_within_budget = problem_rows_check(
    asset=gem_search,
    name="search_within_budget",
    description="Every budgeted strategy's pick in core.gem_picks spent at most its query budget, and every "
    "round's running total stays within it. Blocking: a leaderboard built on an over-budget search would "
    "overstate how cheaply the best model was found.",
    sql="""
        select base_key, task, strategy, max(spent) as spent, max(budget) as budget
        from (
            select base_key, task, strategy, queries_spent as spent, budget from core.gem_picks
            union all
            select r.base_key, r.task, r.strategy, r.total_spent, p.budget
            from core.gem_rounds r join core.gem_picks p using (base_key, task, strategy)
        )
        where budget is not null and spent > budget
        group by all order by base_key, task, strategy
    """,
)
