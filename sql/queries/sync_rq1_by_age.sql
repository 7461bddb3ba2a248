-- RQ1 per age group: the 15x2 contingency table (category x platform) behind each chi-square test
-- (out.sync_rq1_tests), in the shape of the paper's published tables. Age groups are the RQ3 tertiles
-- (core.sync_family_context); a commit counts once per repository.
with once as (  -- a commit shared by families counts once, in its first family's age group
    select c.platform, c.repo, c.sha, arg_min(c.category, c.family_key) as category,
           arg_min(x.age_group, c.family_key) as age_group
    from core.sync_commit_categories c
    join core.sync_family_context x using (family_key)
    where c.is_category and x.age_group is not null
    group by c.platform, c.repo, c.sha
),
counts as (
    select age_group, category,
           count(*) filter (where platform = 'github') as github_commits,
           count(*) filter (where platform = 'hub') as hub_commits
    from once group by age_group, category
)
select g.age_group, t.key as category,
       coalesce(c.github_commits, 0) as github_commits, coalesce(c.hub_commits, 0) as hub_commits
from (select distinct age_group from counts) g
cross join core.taxonomy t
left join counts c on c.age_group = g.age_group and c.category = t.key
where t.is_category
order by case g.age_group when 'recent' then 1 when 'intermediate' then 2 else 3 end, t.key;
