-- RQ3: patterns against maturity (age, number of commits) and contributors (arXiv:2508.10157,
-- Sec. RQ3): the contingency tables behind the chi-square tests (out.sync_rq3_tests), long format.
-- Group bounds are session variables (defaults = assets/sync/thresholds.py GroupThresholds):
--   set variable age_mid_days = 365; set variable age_high_days = 730;
--   set variable commits_mid = 20;   set variable commits_high = 100;
--   set variable contributors_mid = 2; set variable contributors_high = 10;
with bounds as (
    select
        coalesce(getvariable('age_mid_days'), 365) as age_mid, coalesce(getvariable('age_high_days'), 730) as age_high,
        coalesce(getvariable('commits_mid'), 20) as commits_mid, coalesce(getvariable('commits_high'), 100) as commits_high,
        coalesce(getvariable('contributors_mid'), 2) as contrib_mid,
        coalesce(getvariable('contributors_high'), 10) as contrib_high
),
measures as (
    select c.pattern, c.lag_days, u.dimension, u.value, u.mid, u.high, u.unit
    from core.sync_pair_context c, bounds b,
    lateral (values ('age', c.age_days, b.age_mid, b.age_high, ' days'),
                    ('commits', c.n_commits, b.commits_mid, b.commits_high, ' commits'),
                    ('contributors', c.contributors, b.contrib_mid, b.contrib_high, ' contributors'))
        as u(dimension, value, mid, high, unit)
),
grouped as (
    select
        dimension,
        case when value is null then 'unknown'
             when value < mid then '< ' || mid || unit
             when value < high then mid || '-' || (high - 1) || unit
             else '>= ' || high || unit end as grp,
        case when value is null then 4 when value < mid then 1 when value < high then 2 else 3 end as grp_order,
        pattern,
        lag_days
    from measures
)
select
    dimension,
    grp,
    grp_order,
    pattern,
    count(*) as n_pairs,
    count(*) / sum(count(*)) over (partition by dimension, grp) as share_in_group,
    avg(lag_days) as avg_lag_days
from grouped
group by dimension, grp, grp_order, pattern
order by dimension, grp_order, pattern;
