-- Each strategy's pick, its leaderboard rank and accuracy, and its cost against exhaustive evaluation:
-- what the exhaustive run really spent when it ran (failed candidates answer nothing), else
-- candidates x task queries.
select p.base_key, p.task, p.strategy, p.pick, l.rank_performance, l.accuracy, p.seed,
       p.queries_spent, coalesce(e.queries_spent, p.exhaustive_queries) as exhaustive_spent,
       round(coalesce(e.queries_spent, p.exhaustive_queries) / nullif(p.queries_spent, 0), 1) as times_cheaper
from core.gem_picks p
left join core.gem_picks e on e.base_key = p.base_key and e.task = p.task and e.strategy = 'exhaustive'
left join out.gem_leaderboard l on l.base_key = p.base_key and l.task = p.task and l.repo_id = p.pick
order by p.base_key, p.task, l.rank_performance nulls last;
