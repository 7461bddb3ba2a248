-- Inputs of out/gem_leaderboard for one base model and task. In the duckdb shell:
--   set variable base_key = 'hubscope__tiny-adder'; set variable task = 'two_digit_addition';
-- name: candidates
select repo_id, sha, downloads, likes from raw.gem_candidates
where base_key = getvariable('base_key') and included;
-- name: scores
select o.model_id as repo_id, count(*)::integer as queries, count(*) filter (where o.correct)::integer as correct
from core.gem_outcomes o join raw.gem_candidates c on c.repo_id = o.model_id and c.sha = o.revision
where c.base_key = getvariable('base_key') and o.task = getvariable('task') group by o.model_id;
-- name: failures
select f.model_id as repo_id, f.reason from core.gem_failures f
join raw.gem_candidates c on c.repo_id = f.model_id and c.sha = f.revision
where c.base_key = getvariable('base_key') and f.task = getvariable('task');
-- name: picks
select strategy, pick from core.gem_picks
where base_key = getvariable('base_key') and task = getvariable('task') and pick is not null;
