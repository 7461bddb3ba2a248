-- RQ3: how each family's pattern moved from its early to its late history, per age group (families
-- whose early or late history lacks one platform have no pattern there and are left out).
select age_group, early_pattern, late_pattern, count(*) as n_families,
       count(*) / sum(count(*)) over (partition by age_group) as share_in_group
from core.sync_family_context
where age_group is not null and early_pattern is not null and late_pattern is not null
group by age_group, early_pattern, late_pattern
order by case age_group when 'recent' then 1 when 'intermediate' then 2 else 3 end, early_pattern, late_pattern;
