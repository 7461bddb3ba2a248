-- One label per commit: an LLM label when one exists, else the rules label.
create or replace view core.commit_labels as
select family_key, platform, repo, sha, category, labeller
from core.labelled_commits
where status = 'labelled'
qualify row_number() over (
    partition by family_key, platform, repo, sha
    order by case when labeller like 'llm:%' then 0 else 1 end, labelled_at desc
) = 1;
