-- RQ3: days from a commit on one platform to the next commit on the other (hand-offs), per pattern
-- and direction; '*' rows pool patterns or directions. The paper's "15.8 days from GitHub to the Hub"
-- is a mean of this kind (docs/sync.md compares it with the published hand-offs).
select coalesce(f.pattern, '*') as pattern,
       coalesce(h.source || '->' || h.target, '*') as direction,
       count(*) as n_handoffs, avg(h.days) as mean_days, median(h.days) as median_days
from core.sync_handoffs h
join core.sync_families f on f.family_key = h.family_key and f.status = 'ok'
group by grouping sets ((f.pattern, h.source || '->' || h.target), (f.pattern), (h.source || '->' || h.target), ())
order by pattern, direction;
