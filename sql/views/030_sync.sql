-- Per classified pair, what RQ3 relates its pattern to: maturity (age, number of commits) and the
-- upstream repository's contributors. Age is counted from the variant's creation on the Hub (else
-- its first Hub commit) to the session variable as_of (else the latest fetch in raw.commits).
create or replace view core.sync_pair_context as
select
    s.family_key,
    s.hub_repo,
    s.pattern,
    s.lag_days,
    date_diff('day', coalesce(h.created_at, s.hub_first),
              coalesce(cast(getvariable('as_of') as timestamptz), (select max(fetched_at) from raw.commits))) as age_days,
    s.n_github_commits + s.n_hub_commits as n_commits,
    g.contributors
from core.sync_pairs s
left join raw.hub_models h on h.repo_id = s.hub_repo
left join raw.github_repos g
    on lower(s.github_repo) = lower(g.full_name) or lower(s.github_repo) = lower(g.requested_name)
where s.status = 'ok';
