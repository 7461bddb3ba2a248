-- RQ2: how many (Hub variant, GitHub repository) pairs follow each of the 8 synchronization
-- patterns (arXiv:2508.10157, Sec. RQ2). Every pattern is listed, with 0 when no pair has it;
-- shares are over classified pairs (excluded pairs and their reasons are in core.sync_pairs).
select
    p.name as pattern,
    p.sync_type,
    p.position,
    count(s.hub_repo) as n_pairs,
    count(s.hub_repo) / nullif(sum(count(s.hub_repo)) over (), 0) as share,
    count(distinct s.family_key) as n_families,
    avg(s.lag_days) as avg_lag_days,
    avg(abs(s.lag_days)) as avg_abs_lag_days
from core.sync_patterns p
left join core.sync_pairs s on s.pattern = p.name and s.status = 'ok'
group by p.name, p.sync_type, p.position
order by p.position;
