-- RQ3: the age tertiles over the classified families, with the bounds computed from the data
-- (linear-interpolated 1/3 and 2/3 quantiles of the families' average variant age, as pandas' qcut).
with q as (
    select quantile_cont(average_age_days, [1 / 3, 2 / 3]) as b from core.sync_family_context
),
groups(age_group, grp_order) as (values ('recent', 1), ('intermediate', 2), ('mature', 3))
select g.age_group, g.grp_order,
       case g.grp_order when 1 then null when 2 then q.b[1] else q.b[2] end as lower_days,
       case g.grp_order when 1 then q.b[1] when 2 then q.b[2] else null end as upper_days,
       (select count(*) from core.sync_family_context x where x.age_group = g.age_group) as n_families
from groups g cross join q
order by g.grp_order;
