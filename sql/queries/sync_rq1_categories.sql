-- RQ1: what each platform's commits are about (arXiv:2508.10157, Sec. RQ1): share of commits per
-- change category on GitHub and on the Hub. A commit is counted once per repository even when
-- two families share it; commits without a label are reported as 'unlabelled'.
-- duckdb warehouse.duckdb -c ".read sql/queries/sync_rq1_categories.sql"
with commits as (
    select c.platform, c.repo, c.sha, coalesce(any_value(l.category), 'unlabelled') as category
    from raw.commits c
    left join core.commit_labels l using (family_key, platform, repo, sha)
    group by c.platform, c.repo, c.sha
)
select
    platform,
    category,
    count(*) as n_commits,
    count(*) / sum(count(*)) over (partition by platform) as share,
    case when category <> 'unlabelled' then
        count(*) / sum(case when category <> 'unlabelled' then count(*) end) over (partition by platform)
    end as share_labelled
from commits
group by platform, category
order by platform, n_commits desc, category;
