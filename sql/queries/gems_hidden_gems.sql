-- Hidden gems across every base model and task: better than the best popular candidate, rarely downloaded.
select base_key, task, repo_id, accuracy, ci_low, ci_high, queries, downloads, rank_performance, rank_downloads, p_vs_popular
from out.gem_leaderboard
where hidden_gem
order by base_key, task, rank_performance;
