-- One label per commit, from one LLM model per family at most:
-- - in each family, the LLM labeller that ran last there (latest labelled_at of its rows; ties by
--   name) is the family's LLM labeller; other models' rows are ignored, so models never mix in a
--   family (a new model, or the configured one once it has run, takes over the whole family);
-- - a commit takes that labeller's answer when it is labelled, else the rules label: an
--   unlabelled LLM row (its answers failed validation) never hides the rules label;
-- - labels replayed from a file (labeller 'replay', assets/sync/replay.py) are a person's or a
--   published study's and come first.
-- The label may be one of the 4 labels that are not categories (core.taxonomy.is_category).
create or replace view core.commit_labels as
with llm_runs as (
    select family_key, labeller, max(labelled_at) as last_run
    from core.labelled_commits
    where labeller like 'llm:%'
    group by family_key, labeller
),
family_llm as (
    select family_key, labeller
    from llm_runs
    qualify row_number() over (partition by family_key order by last_run desc, labeller) = 1
)
select l.family_key, l.platform, l.repo, l.sha, l.category, l.labeller
from core.labelled_commits l
left join family_llm f on f.family_key = l.family_key
where l.status = 'labelled' and (l.labeller in ('rules', 'replay') or l.labeller = f.labeller)
qualify row_number() over (
    partition by l.family_key, l.platform, l.repo, l.sha
    order by case l.labeller when 'replay' then 0 when 'rules' then 2 else 1 end
) = 1;
