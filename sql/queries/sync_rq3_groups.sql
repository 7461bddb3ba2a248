-- RQ3: pattern x group, long format, for three dimensions (the contingency tables of out.sync_rq3_tests):
--   age:                 the age tertiles (recent / intermediate / mature);
--   contributors:        tertiles of GitHub + Hub contributors (few / some / many; hubscope's grouping);
--   common_contributors: whether any Hub committer also commits upstream (none / some).
with grouped as (
    select 'age' as dimension, age_group as grp,
           case age_group when 'recent' then 1 when 'intermediate' then 2 else 3 end as grp_order, pattern
    from core.sync_family_context where age_group is not null
    union all
    select 'contributors', contributor_group,
           case contributor_group when 'few' then 1 when 'some' then 2 else 3 end, pattern
    from core.sync_family_context
    union all
    select 'common_contributors', case when n_common_contributors > 0 then 'some' else 'none' end,
           case when n_common_contributors > 0 then 2 else 1 end, pattern
    from core.sync_family_context
)
select dimension, grp, grp_order, pattern, count(*) as n_families,
       count(*) / sum(count(*)) over (partition by dimension, grp) as share_in_group
from grouped
group by dimension, grp, grp_order, pattern
order by dimension, grp_order, pattern;
