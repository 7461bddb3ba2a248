-- Sync stage (arXiv:2508.10157): the family-level classification of its replication package and the
-- study's tables. core.* is written per family by core/sync_families; out.* are the RQ tables, each
-- filled by the query of the same name in sql/queries (or by scipy, assets/sync/statistics.py).
-- docs/sync.md gives every definition.

-- Tables of the earlier per-pair design (invented thresholds and names): derived data only, dropped so
-- an old warehouse cannot serve them; `hubscope materialize` recomputes the new tables.
drop table if exists core.sync_pairs;
drop table if exists core.sync_timeline;
drop table if exists core.sync_patterns;
drop table if exists out.sync_rq1_categories;
drop table if exists out.sync_rq2_patterns;
drop table if exists out.sync_rq3_groups;
drop table if exists out.sync_rq3_tests;
drop table if exists out.sync_rq3_jaccard;
drop table if exists out.sync_rq3_patterns;
drop table if exists out.sync_family_report;

-- One row per family: the study's unit.
create table if not exists core.sync_families (
    family_key        varchar primary key,
    status            varchar not null check (status in ('ok', 'excluded')),
    reason            varchar,                 -- why excluded, or what was dropped from an 'ok' family
    n_variants        integer not null,        -- Hub variants with commits
    n_github_commits  integer not null,
    n_hub_commits     integer not null,
    n_dropped         integer not null,        -- commits without a plausible time (before 2000, in the future)
    first_commit      timestamptz,             -- the family's first commit on either platform: period 0 starts here
    last_commit       timestamptz,
    n_periods         integer,                 -- fortnights from the first to the last commit
    n_github_periods  integer,
    n_hub_periods     integer,
    average_age_days  double,                  -- mean of the variants' ages (core.sync_variants.age_days): RQ3's age
    lag               varchar check (lag in ('github_first', 'hub_first', 'simultaneous')),
    sync_type         varchar check (sync_type in ('CS', 'PS', 'VS', 'AS')),
    intensity         varchar check (intensity in ('F', 'S', 'R')),
    code              varchar,                 -- sync_type || intensity, e.g. 'PSS'
    pattern           varchar,                 -- the paper's name for the code; null only when excluded
    split_at          timestamptz,             -- early history: before this instant (hubscope's split, docs/sync.md)
    early_lag         varchar check (early_lag in ('github_first', 'hub_first', 'simultaneous')),
    early_sync_type   varchar,
    early_intensity   varchar,
    early_code        varchar,
    early_pattern     varchar,                 -- null when the early history lacks one platform
    late_lag          varchar check (late_lag in ('github_first', 'hub_first', 'simultaneous')),
    late_sync_type    varchar,
    late_intensity    varchar,
    late_code         varchar,
    late_pattern      varchar,
    computed_at       timestamptz not null,
    check ((status = 'ok') = (pattern is not null)),
    check (code is null or code = sync_type || intensity)
);

-- Supplementary, per Hub variant: what the rules read for it (no rule of its own).
create table if not exists core.sync_variants (
    family_key          varchar not null,
    hub_repo            varchar not null,
    n_commits           integer not null,
    first_commit        timestamptz not null,
    last_commit         timestamptz not null,
    n_periods           integer not null,      -- distinct fortnights with a commit of this variant
    n_shared_periods    integer not null,      -- of those, fortnights in which GitHub is active too
    longest_shared_run  integer not null,      -- longest run of consecutive shared fortnights (F needs >= 5)
    age_days            integer not null,      -- whole days from first to last commit (RQ3's age, docs/sync.md)
    primary key (family_key, hub_repo)
);

-- The fortnightly periods the rules read: commits per period and repository (GitHub or a variant).
create table if not exists core.sync_periods (
    family_key    varchar not null,
    platform      varchar not null check (platform in ('github', 'hub')),
    repo          varchar not null,
    period        integer not null,            -- floor(whole days since the family's first commit / 14)
    period_start  timestamptz not null,
    n_commits     integer not null,
    primary key (family_key, platform, repo, period)
);

-- Every switch of platform in a family's merged timeline (the package's GH_HF_commit_time_differences).
create table if not exists core.sync_handoffs (
    family_key    varchar not null,
    seq           integer not null,            -- 1, 2, ... in time order
    source        varchar not null check (source in ('github', 'hub')),
    target        varchar not null check (target in ('github', 'hub') and target <> source),
    prev_repo     varchar not null,
    prev_sha      varchar,
    prev_commit   timestamptz not null,
    next_repo     varchar not null,
    next_sha      varchar,
    next_commit   timestamptz not null,
    days          integer not null check (days >= 0),  -- whole days between the two commits
    primary key (family_key, seq)
);

-- The 8 patterns in reporting order with their codes, from their only source (assets/sync/patterns.json).
create table if not exists core.sync_pattern_catalog (
    pattern   varchar primary key,
    position  integer not null,
    codes     varchar[] not null
);
insert or replace into core.sync_pattern_catalog
select p.name, cast(ordinality as integer), p.codes
from (select unnest(patterns) as p, generate_subscripts(patterns, 1) as ordinality
      from read_json('assets/sync/patterns.json'));

-- RQ1: category shares per platform over categorised commits (the 4 non-category labels left out).
create table if not exists out.sync_rq1_shares (
    platform    varchar not null,
    category    varchar not null,              -- taxonomy key
    name        varchar not null,              -- the paper's name
    n_commits   bigint not null,
    share       double not null,               -- of the platform's categorised commits, 0..1
    primary key (platform, category)
);

-- RQ1: per age group, the 15x2 contingency table (platform x category) the chi-square tests read.
create table if not exists out.sync_rq1_by_age (
    age_group       varchar not null,
    category        varchar not null,
    github_commits  bigint not null,
    hub_commits     bigint not null,
    primary key (age_group, category)
);

-- RQ1: the chi-square test per age group (scipy), with both Cramer's V.
create table if not exists out.sync_rq1_tests (
    age_group          varchar primary key,
    n                  bigint not null,
    chi2               double,
    dof                integer,
    p_value            double,
    cramers_v          double,                 -- textbook: sqrt(chi2 / (n * (min(rows, cols) - 1)))
    cramers_v_paper    double,                 -- the package's: sqrt(chi2 / (2n))
    reason             varchar                 -- why no test
);

-- RQ1: Jaccard of the two platforms' category sets per family.
create table if not exists out.sync_rq1_jaccard (
    family_key          varchar primary key,
    github_categories   varchar[] not null,
    hub_categories      varchar[] not null,
    jaccard             double                 -- null when a platform has no categorised commit
);

-- RQ2: the 8 patterns over classified families (and over variant rows, as the package counts).
create table if not exists out.sync_rq2_patterns (
    pattern          varchar primary key,
    position         integer not null,
    codes            varchar[] not null,
    n_families       bigint not null,
    share            double,                   -- of classified families
    n_variants       bigint not null,          -- variant rows, each carrying its family's pattern
    share_variants   double
);

-- RQ2: the lag distribution over classified families.
create table if not exists out.sync_rq2_lag (
    lag         varchar primary key,
    name        varchar not null,              -- the paper's name (Upstream First, ...)
    n_families  bigint not null,
    share       double
);

-- RQ2: chi-square goodness of fit of the pattern counts against a uniform spread (scipy).
create table if not exists out.sync_rq2_tests (
    unit       varchar primary key,            -- 'families' (independent rows) or 'variants' (the package's count)
    n          bigint not null,
    k          integer not null,               -- patterns with at least one row
    chi2       double,
    dof        integer,
    p_value    double
);

-- RQ3: the age tertiles (bounds computed from the data).
create table if not exists out.sync_rq3_age_groups (
    age_group    varchar primary key,
    grp_order    integer not null,
    lower_days   double,                       -- exclusive, except for the first group
    upper_days   double,                       -- inclusive
    n_families   bigint not null
);

-- RQ3: pattern x group for each dimension (age, contributors, common contributors), long format.
create table if not exists out.sync_rq3_groups (
    dimension       varchar not null,
    grp             varchar not null,
    grp_order       integer not null,
    pattern         varchar not null,
    n_families      bigint not null,
    share_in_group  double,
    primary key (dimension, grp, pattern)
);

-- RQ3: chi-square test of independence of pattern and each dimension (scipy).
create table if not exists out.sync_rq3_tests (
    dimension     varchar primary key,
    n_families    bigint not null,
    n_groups      integer not null,
    n_patterns    integer not null,
    chi2          double,
    dof           integer,
    p_value       double,
    cramers_v     double,
    reason        varchar
);

-- RQ3: hand-off days per pattern and direction.
create table if not exists out.sync_rq3_handoffs (
    pattern       varchar not null,             -- '*' for all classified families
    direction     varchar not null,             -- 'github->hub', 'hub->github' or '*'
    n_handoffs    bigint not null,
    mean_days     double,
    median_days   double,
    primary key (pattern, direction)
);

-- RQ3: Kruskal-Wallis over hand-off days by pattern, and Dunn's pairwise test (Bonferroni).
create table if not exists out.sync_rq3_handoff_tests (
    test        varchar not null,               -- 'kruskal' or 'dunn'
    direction   varchar not null,               -- 'github->hub', 'hub->github' or '*'
    pattern_a   varchar not null,               -- '*' for the Kruskal-Wallis row
    pattern_b   varchar not null,
    statistic   double,                          -- H for Kruskal-Wallis; null for Dunn
    p_value     double,                          -- Dunn: Bonferroni-adjusted
    primary key (test, direction, pattern_a, pattern_b)
);

-- RQ3: early -> late pattern transitions per age group.
create table if not exists out.sync_rq3_transitions (
    age_group       varchar not null,
    early_pattern   varchar not null,
    late_pattern    varchar not null,
    n_families      bigint not null,
    share_in_group  double,
    primary key (age_group, early_pattern, late_pattern)
);

-- Per family and fortnight: both platforms' activity side by side.
create table if not exists out.sync_period_report (
    family_key        varchar not null,
    period            integer not null,
    period_start      timestamptz not null,
    github_commits    integer not null,
    hub_commits       integer not null,
    variants_active   integer not null,
    activity          varchar not null check (activity in ('both', 'github only', 'hub only')),
    primary key (family_key, period)
);

-- The three lags with the paper's names, from assets/sync/patterns.json.
create table if not exists core.sync_lag_catalog (
    lag       varchar primary key,
    name      varchar not null,
    position  integer not null
);
insert or replace into core.sync_lag_catalog
select l.key, l.name, cast(ordinality as integer)
from (select unnest(lags) as l, generate_subscripts(lags, 1) as ordinality
      from read_json('assets/sync/patterns.json'));
