-- Hidden gems across every base model and task (the study's definition, each part judged on its
-- interval: outside the top 1% by downloads, inside the top 1% by performance, significantly better
-- than the best popular candidate), with the reason the leaderboard gives.
select base_key, task, repo_id, accuracy, ci_low, ci_high, queries, downloads, rank_performance, rank_downloads,
       p_vs_popular, gem_reason
from out.gem_leaderboard
where hidden_gem
order by base_key, task, rank_performance;
