-- Inputs of out/gem_leaderboard for one base model and task. In the duckdb shell:
--   set variable base_key = 'hubscope__tiny-adder'; set variable task = 'two_digit_addition';
-- (without them each statement fails saying so, instead of returning nothing)
-- name: candidates
select repo_id, sha, downloads, likes from raw.gem_candidates
where base_key = coalesce(getvariable('base_key'), error('gems_leaderboard_inputs.sql: set variable base_key first')) and included;
-- name: scores
select o.model_id as repo_id, count(*)::integer as queries, count(*) filter (where o.correct)::integer as correct
from core.gem_outcomes o join raw.gem_candidates c on c.repo_id = o.model_id and c.sha = o.revision
where c.base_key = coalesce(getvariable('base_key'), error('gems_leaderboard_inputs.sql: set variable base_key first'))
  and o.task = coalesce(getvariable('task'), error('gems_leaderboard_inputs.sql: set variable task first'))
group by o.model_id;
-- name: failures
select f.model_id as repo_id, f.reason from core.gem_failures f
join raw.gem_candidates c on c.repo_id = f.model_id and c.sha = f.revision
where c.base_key = coalesce(getvariable('base_key'), error('gems_leaderboard_inputs.sql: set variable base_key first'))
  and f.task = coalesce(getvariable('task'), error('gems_leaderboard_inputs.sql: set variable task first'));
-- name: picks
select strategy, pick from core.gem_picks
where base_key = coalesce(getvariable('base_key'), error('gems_leaderboard_inputs.sql: set variable base_key first'))
  and task = coalesce(getvariable('task'), error('gems_leaderboard_inputs.sql: set variable task first')) and pick is not null;
