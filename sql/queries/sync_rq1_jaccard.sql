-- RQ1: per classified family, the Jaccard similarity of the sets of categories its GitHub and Hub
-- commits fall in (the 15 categories only, as the package's family_similarity_scores). Null when a
-- platform has no categorised commit: the package scores only families with labels on both sides.
with sets as (
    select f.family_key,
           coalesce(list_sort(list_distinct(list(c.category) filter (where c.platform = 'github'))), []) as gh,
           coalesce(list_sort(list_distinct(list(c.category) filter (where c.platform = 'hub'))), []) as hub
    from core.sync_families f
    left join core.sync_commit_categories c on c.family_key = f.family_key and c.is_category
    where f.status = 'ok'
    group by f.family_key
)
select family_key, gh as github_categories, hub as hub_categories,
       case when len(gh) > 0 and len(hub) > 0
            then len(list_intersect(gh, hub)) / len(list_distinct(list_concat(gh, hub))) end as jaccard
from sets
order by family_key;
