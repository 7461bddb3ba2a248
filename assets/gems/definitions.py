"""The gems stage's assets and checks, collected for the code location."""

import dagster as dg

from assets.gems.assets import gem_candidates, gem_leaderboard, gem_queries, gem_search, gems_search_job
from assets.gems.checks import search_within_budget

defs = dg.Definitions(assets=[gem_candidates, gem_queries, gem_search, gem_leaderboard], jobs=[gems_search_job],
                      asset_checks=[search_within_budget])
