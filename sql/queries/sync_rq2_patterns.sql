-- RQ2 (arXiv:2508.10157): the 8 synchronization patterns over the classified families, all listed,
-- with shares over families and, as the replication package counts for its goodness-of-fit test,
-- over variant rows (each Hub variant with commits carries its family's pattern).
with families as (
    select pattern, count(*) as n from core.sync_families where status = 'ok' group by pattern
),
variants as (
    select f.pattern, count(*) as n
    from core.sync_variants v join core.sync_families f using (family_key)
    where f.status = 'ok' group by f.pattern
)
select p.pattern, p.position, p.codes,
       coalesce(f.n, 0) as n_families,
       coalesce(f.n, 0) / nullif(sum(coalesce(f.n, 0)) over (), 0) as share,
       coalesce(v.n, 0) as n_variants,
       coalesce(v.n, 0) / nullif(sum(coalesce(v.n, 0)) over (), 0) as share_variants
from core.sync_pattern_catalog p
left join families f using (pattern)
left join variants v using (pattern)
order by p.position;
