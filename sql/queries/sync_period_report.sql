-- Per family and fortnight (the periods the rules read): commits on each platform and how many
-- variants were active. Pick one family with: set variable family = '<family_key>';
select family_key, period, min(period_start) as period_start,
       cast(coalesce(sum(n_commits) filter (where platform = 'github'), 0) as integer) as github_commits,
       cast(coalesce(sum(n_commits) filter (where platform = 'hub'), 0) as integer) as hub_commits,
       cast(count(distinct repo) filter (where platform = 'hub') as integer) as variants_active,
       case when bool_or(platform = 'github') and bool_or(platform = 'hub') then 'both'
            when bool_or(platform = 'github') then 'github only' else 'hub only' end as activity
from core.sync_periods
where getvariable('family') is null or family_key = getvariable('family')
group by family_key, period
order by family_key, period;
