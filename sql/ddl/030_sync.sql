-- Sync stage (arXiv:2508.10157, RQ2/RQ3): one row per (Hub variant, upstream GitHub repository) pair,
-- every commit of both timelines per pair, and the study's tables (out.sync_*), each filled by the
-- query of the same name in sql/queries. See docs/sync.md for every definition and threshold.

create table if not exists core.sync_pairs (
    family_key        varchar not null,
    github_repo       varchar,                 -- upstream repository ("owner/repo"); null: none linked
    hub_repo          varchar not null,        -- the Hub variant
    status            varchar not null check (status in ('ok', 'excluded')),
    reason            varchar,                 -- why excluded, or what was dropped from an 'ok' pair
    pattern           varchar,                 -- one of the 8 patterns; null only when excluded
    sync_type         varchar check (sync_type in ('full', 'partial', 'none')),
    intensity         varchar check (intensity in ('rare', 'sporadic', 'frequent')),
    leader            varchar check (leader in ('github', 'hub', 'together')),
    first_mover       varchar check (first_mover in ('github', 'hub', 'same day')),  -- whose first commit came first
    lag_class         varchar check (lag_class in ('short', 'long')),
    lag_days          double,                  -- median signed delay of Hub commits behind GitHub (> 0: GitHub first)
    overlap           double,                  -- shared share of the two activity spans, 0..1
    co_change_share   double,                  -- share of both timelines' commits with a counterpart in the window
    n_github_commits  integer not null,
    n_hub_commits     integer not null,
    n_dropped         integer not null,        -- commits left out: no timestamp or a clock in the future
    github_first      timestamptz,
    github_last       timestamptz,
    hub_first         timestamptz,
    hub_last          timestamptz,
    computed_at       timestamptz not null,
    primary key (family_key, hub_repo),
    check ((status = 'ok') = (pattern is not null))
);

create table if not exists core.sync_timeline (
    family_key    varchar not null,
    hub_repo      varchar not null,            -- the pair this row belongs to
    platform      varchar not null check (platform in ('github', 'hub')),
    repo          varchar not null,
    sha           varchar not null,
    commit_time   timestamptz not null,        -- committed_at, else authored_at (UTC)
    category      varchar,                     -- core.commit_labels' label; null: not labelled
    nearest_days  double,                      -- signed days to the other platform's nearest commit
    shared        boolean not null,            -- the other platform changed within the co-change window
    primary key (family_key, hub_repo, platform, sha)
);

create table if not exists out.sync_rq1_categories (
    platform          varchar not null,
    category          varchar not null,        -- 'unlabelled' for commits without a label
    n_commits         bigint not null,
    share             double not null,         -- of the platform's commits
    share_labelled    double,                  -- of the platform's labelled commits (null for 'unlabelled')
    primary key (platform, category)
);

create table if not exists out.sync_rq2_patterns (
    pattern       varchar primary key,
    sync_type     varchar not null,
    position      integer not null,
    n_pairs       bigint not null,
    share         double,                      -- of the classified pairs
    n_families    bigint not null,
    avg_lag_days  double,
    avg_abs_lag_days double
);

create table if not exists out.sync_rq3_groups (
    dimension     varchar not null,            -- 'age', 'commits', 'contributors'
    grp           varchar not null,
    grp_order     integer not null,
    pattern       varchar not null,
    n_pairs       bigint not null,
    share_in_group double,
    avg_lag_days  double,
    primary key (dimension, grp, pattern)
);

create table if not exists out.sync_rq3_tests (
    dimension     varchar primary key,
    n_pairs       bigint not null,
    n_groups      integer not null,
    n_patterns    integer not null,
    chi2          double,
    dof           integer,
    p_value       double,
    cramers_v     double,
    reason        varchar                      -- why no test (fewer than two groups or patterns)
);

create table if not exists out.sync_rq3_jaccard (
    family_key          varchar not null,
    hub_repo            varchar not null,      -- '*' for the family as a whole (all variants)
    pattern             varchar,
    github_categories   varchar[],
    hub_categories      varchar[],
    jaccard             double,                -- null when neither side has a labelled commit
    primary key (family_key, hub_repo)
);

create table if not exists out.sync_rq3_patterns (
    pattern          varchar primary key,
    position         integer not null,
    n_pairs          bigint not null,
    avg_lag_days     double,
    avg_abs_lag_days double,
    median_abs_lag_days double,
    avg_jaccard      double,
    avg_contributors double,
    avg_age_days     double
);

create table if not exists out.sync_family_report (
    family_key         varchar not null,
    hub_repo           varchar not null,
    day                date not null,
    github_commits     integer not null,
    hub_commits        integer not null,
    github_categories  varchar[],
    hub_categories     varchar[],
    change             varchar not null check (change in ('shared', 'github only', 'hub only')),
    primary key (family_key, hub_repo, day)
);

-- The 8 patterns in reporting order, from their only source (assets/sync/patterns.json).
create table if not exists core.sync_patterns (
    name       varchar primary key,
    sync_type  varchar not null,
    rule       varchar not null,
    position   integer not null
);
insert into core.sync_patterns by name
select p.name, p.sync_type, p.rule, cast(ordinality as integer) as position
from (select unnest(patterns) as p, generate_subscripts(patterns, 1) as ordinality
      from read_json('assets/sync/patterns.json'))
on conflict do update set sync_type = excluded.sync_type, rule = excluded.rule, position = excluded.position;
