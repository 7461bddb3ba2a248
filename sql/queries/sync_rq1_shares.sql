-- RQ1 (arXiv:2508.10157): what each platform's commits are about. Share of each of the 15 categories
-- among the platform's categorised commits of the classified families; the 4 labels that are not
-- categories (bug fix, unclear, uncategorized, add model) and unlabelled commits are left out, as in
-- the paper. A commit counts once per repository. All 15 categories are listed, zeros included.
-- duckdb -readonly data/hubscope-read.duckdb < sql/queries/sync_rq1_shares.sql
with once as (  -- a commit shared by families (same repository) counts once
    select platform, repo, sha, arg_min(category, family_key) as category
    from core.sync_commit_categories
    where is_category
    group by platform, repo, sha
),
counts as (select platform, category, count(*) as n from once group by platform, category)
select
    p.platform,
    t.key as category,
    t.name,
    coalesce(c.n, 0) as n_commits,
    coalesce(c.n / sum(c.n) over (partition by p.platform), 0) as share
from (values ('github'), ('hub')) p(platform)
cross join core.taxonomy t
left join counts c on c.platform = p.platform and c.category = t.key
where t.is_category
order by p.platform, n_commits desc, t.key;
