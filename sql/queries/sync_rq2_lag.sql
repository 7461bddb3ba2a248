-- RQ2: which platform moves first, over the classified families (all three lags listed).
with counts as (select lag, count(*) as n from core.sync_families where status = 'ok' group by lag)
select l.lag, l.name, coalesce(c.n, 0) as n_families,
       coalesce(c.n, 0) / nullif(sum(coalesce(c.n, 0)) over (), 0) as share
from core.sync_lag_catalog l left join counts c using (lag)
order by l.position;
