-- Per classified family, what RQ1 and RQ3 relate its pattern to (docs/sync.md):
--   average_age_days (core.sync_families): mean over the family's variants of the whole days from their
--     first to their last Hub commit; age_group: tertiles of it over the classified families (qcut's rule: (.., q1], (q1, q2], (q2, ..));
--   contributors: distinct commit authors on GitHub (by e-mail, else name) and on the Hub (user name);
--     common: Hub users whose name matches a GitHub author's name or e-mail login (hubscope's matching);
--     contributor_group: tertiles of GitHub + Hub contributors.
drop view if exists core.sync_pair_context;

create or replace view core.sync_family_context as
with classified as (
    select * from core.sync_families where status = 'ok'
),
github_people as (
    select distinct family_key, lower(coalesce(nullif(author_email, ''), author_name)) as who,
           lower(author_name) as name,
           lower(regexp_replace(split_part(author_email, '@', 1), '^[0-9]+\+', '')) as login
    from raw.commits where platform = 'github' and coalesce(author_email, author_name) is not null
),
hub_people as (
    select distinct family_key, lower(author_name) as who
    from raw.commits where platform = 'hub' and author_name is not null
),
people as (
    select c.family_key,
           coalesce(g.n, 0) as n_github_contributors,
           coalesce(h.n, 0) as n_hub_contributors,
           coalesce(m.n, 0) as n_common_contributors
    from classified c
    left join (select family_key, count(distinct who) as n from github_people group by 1) g using (family_key)
    left join (select family_key, count(distinct who) as n from hub_people group by 1) h using (family_key)
    left join (select h.family_key, count(distinct h.who) as n
               from hub_people h join github_people g
                 on g.family_key = h.family_key and (h.who = g.name or h.who = g.login)
               group by 1) m using (family_key)
),
bounds as (
    select quantile_cont(average_age_days, [1 / 3, 2 / 3]) as age_q,
           quantile_cont(p.n_github_contributors + p.n_hub_contributors, [1 / 3, 2 / 3]) as people_q
    from classified c join people p using (family_key)
)
select
    c.family_key, c.lag, c.sync_type, c.intensity, c.code, c.pattern,
    c.early_pattern, c.late_pattern, c.n_variants, c.average_age_days,
    case when c.average_age_days is null then null
         when c.average_age_days <= b.age_q[1] then 'recent'
         when c.average_age_days <= b.age_q[2] then 'intermediate'
         else 'mature' end as age_group,
    p.n_github_contributors, p.n_hub_contributors, p.n_common_contributors,
    case when p.n_github_contributors + p.n_hub_contributors <= b.people_q[1] then 'few'
         when p.n_github_contributors + p.n_hub_contributors <= b.people_q[2] then 'some'
         else 'many' end as contributor_group
from classified c
join people p using (family_key)
cross join bounds b;

-- The label of every commit of a classified family (RQ1's input). is_category is false for the 4 labels
-- the study leaves out of every share. Families may share a repository: the share queries count such a
-- commit once, per-family measures (Jaccard) count it in each family.
create or replace view core.sync_commit_categories as
select c.family_key, c.platform, c.repo, c.sha, l.category, t.name, t.is_category
from raw.commits c
join core.sync_families f on f.family_key = c.family_key and f.status = 'ok'
join core.commit_labels l
  on l.family_key = c.family_key and l.platform = c.platform and l.repo = c.repo and l.sha = c.sha
join core.taxonomy t on t.key = l.category;
