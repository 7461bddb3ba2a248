-- Family report: both timelines side by side, one row per pair and UTC day with activity, marking
-- shared changes (a counterpart on the other platform within the co-change window) and isolated
-- ones. One family:  set variable family = 'cahya__bert-base-indonesian-522m';  (unset: all families)
select
    family_key,
    hub_repo,
    cast(timezone('UTC', commit_time) as date) as day,
    cast(count(*) filter (where platform = 'github') as integer) as github_commits,
    cast(count(*) filter (where platform = 'hub') as integer) as hub_commits,
    list(distinct category order by category) filter (where platform = 'github' and category is not null) as github_categories,
    list(distinct category order by category) filter (where platform = 'hub' and category is not null) as hub_categories,
    case when bool_or(shared) then 'shared'
         when count(*) filter (where platform = 'github') > 0 then 'github only'
         else 'hub only' end as change
from core.sync_timeline
where getvariable('family') is null or family_key = getvariable('family')
group by family_key, hub_repo, cast(timezone('UTC', commit_time) as date)
order by family_key, hub_repo, day;
