-- RQ3: Jaccard similarity of the two platforms' change-category sets (arXiv:2508.10157, Sec. RQ3),
-- per pair and per family (hub_repo = '*': the union of all its variants' Hub categories).
-- Null when neither side has a labelled commit.
with pair_sets as (
    select
        family_key,
        hub_repo,
        coalesce(list(distinct category order by category) filter (where platform = 'github' and category is not null), []) as github_categories,
        coalesce(list(distinct category order by category) filter (where platform = 'hub' and category is not null), []) as hub_categories
    from core.sync_timeline
    group by family_key, hub_repo
),
family_sets as (
    select
        family_key,
        '*' as hub_repo,
        list_sort(list_distinct(flatten(list(github_categories)))) as github_categories,
        list_sort(list_distinct(flatten(list(hub_categories)))) as hub_categories
    from pair_sets
    group by family_key
),
sets as (
    select * from pair_sets
    union all
    select * from family_sets
)
select
    s.family_key,
    s.hub_repo,
    p.pattern,
    s.github_categories,
    s.hub_categories,
    len(list_intersect(s.github_categories, s.hub_categories))
        / nullif(len(list_distinct(list_concat(s.github_categories, s.hub_categories))), 0) as jaccard
from sets s
left join core.sync_pairs p on p.family_key = s.family_key and p.hub_repo = s.hub_repo
order by s.family_key, s.hub_repo;
