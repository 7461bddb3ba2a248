-- RQ3 by pattern (arXiv:2508.10157, Sec. RQ3): average lag (the paper reports 15.82 days for the
-- dispersed mature models), category-set Jaccard, contributors and age of the pairs in each pattern.
-- Reads out.sync_rq3_jaccard, so run sync_rq3_jaccard.sql's table first.
select
    p.name as pattern,
    p.position,
    count(c.hub_repo) as n_pairs,
    avg(c.lag_days) as avg_lag_days,
    avg(abs(c.lag_days)) as avg_abs_lag_days,
    median(abs(c.lag_days)) as median_abs_lag_days,
    avg(j.jaccard) as avg_jaccard,
    avg(c.contributors) as avg_contributors,
    avg(c.age_days) as avg_age_days
from core.sync_patterns p
left join core.sync_pair_context c on c.pattern = p.name
left join out.sync_rq3_jaccard j on j.family_key = c.family_key and j.hub_repo = c.hub_repo
group by p.name, p.position
order by p.position;
