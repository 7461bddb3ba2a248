-- How alike the top of a pool answers: every pair among the 10 candidates with the most stored
-- answers (a search's last survivors; after an exhaustive run, the 10 best), over the questions both
-- answered (at least 30). Cohen's kappa is their agreement beyond what their accuracies give by
-- chance; docs/gems.md ("How alike the top answers") says what it means for the budget a search needs.
-- In the duckdb shell: set variable base_key = '...'; set variable task = '...';
-- name: top_pairs
with answers as (
    select o.model_id, o.query_id, o.correct::integer as correct
    from core.gem_outcomes o join raw.gem_candidates c on c.repo_id = o.model_id and c.sha = o.revision
    where c.base_key = coalesce(getvariable('base_key'), error('gems_top_agreement.sql: set variable base_key first'))
      and o.task = coalesce(getvariable('task'), error('gems_top_agreement.sql: set variable task first'))
), top as (
    select model_id from answers group by model_id
    order by count(*) desc, sum(correct) desc, model_id limit 10
), pairs as (
    select a.model_id as model_a, b.model_id as model_b, count(*) as shared,
           avg((a.correct = b.correct)::integer) as observed, avg(a.correct) as accuracy_a, avg(b.correct) as accuracy_b
    from answers a join answers b on a.query_id = b.query_id and a.model_id < b.model_id
    where a.model_id in (select model_id from top) and b.model_id in (select model_id from top)
    group by a.model_id, b.model_id
    having count(*) >= 30
)
select model_a, model_b, shared, observed,
       (observed - chance) / nullif(1 - chance, 0) as kappa
from (select *, accuracy_a * accuracy_b + (1 - accuracy_a) * (1 - accuracy_b) as chance from pairs)
order by model_a, model_b;
