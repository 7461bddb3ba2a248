-- Hidden gems stage: candidate pools per base model, tasks, per-query outcomes, search rounds,
-- and the leaderboard. Outcomes are keyed by (task, model, revision, query) only, so every pool,
-- round and strategy that needs an answer reuses the stored one.

create table if not exists core.base_models (
    base_key      varchar primary key,       -- BASE_MODELS partition key (orchestration.partitions.repo_key)
    repo_id       varchar not null,          -- the Hub id it stands for
    registered_at timestamptz not null
);

create table if not exists raw.gem_candidates (
    base_key          varchar not null,
    repo_id           varchar not null,
    base_model        varchar not null,      -- the tree's root
    parent            varchar,               -- the model it derives from (null for the base itself)
    relation          varchar not null,      -- base, finetune, adapter, merge, quantized
    depth             integer not null,      -- 0 for the base
    sha               varchar,               -- revision evaluated
    downloads         bigint,                -- last 30 days
    downloads_all_time bigint,
    likes             bigint,
    created_at        timestamptz,
    library_name      varchar,
    pipeline_tag      varchar,
    architecture      varchar,
    parameters        bigint,
    license           varchar,
    gated             varchar,               -- 'false', 'auto', 'manual'
    card_fields       integer,               -- how many card metadata fields are filled (card quality)
    tags              varchar[],
    included          boolean not null,      -- passes the pool filters
    excluded_reason   varchar,               -- why not, when not
    discovered_at     timestamptz not null,
    primary key (base_key, repo_id)
);

create table if not exists raw.gem_queries (
    task        varchar not null,
    query_id    varchar not null,            -- stable: the file's id, else a hash of prompt and reference
    prompt      varchar not null,
    reference   varchar not null,
    choices     varchar[],                   -- multiple choice options (scorer 'choice')
    scorer      varchar not null,            -- exact, numeric, choice
    source      varchar not null,            -- file path or hub dataset path
    loaded_at   timestamptz not null,
    primary key (task, query_id)
);

create table if not exists core.gem_outcomes (
    task         varchar not null,
    model_id     varchar not null,
    revision     varchar not null,
    query_id     varchar not null,
    correct      boolean not null,
    output       varchar,
    tokens       integer,
    latency_ms   double,                     -- per query (batch time / batch size)
    device       varchar,
    evaluated_at timestamptz not null,
    primary key (task, model_id, revision, query_id)
);

create table if not exists core.gem_failures (
    task       varchar not null,
    model_id   varchar not null,
    revision   varchar not null,
    reason     varchar not null,
    failed_at  timestamptz not null,
    primary key (task, model_id, revision)
);

create table if not exists core.gem_rounds (
    base_key     varchar not null,
    task         varchar not null,
    strategy     varchar not null,
    round        integer not null,
    repo_id      varchar not null,
    queries      integer not null,           -- answered so far by this candidate
    correct      integer not null,
    accuracy     double,
    ci_low       double,                     -- Wilson 95%
    ci_high      double,
    kept         boolean not null,
    round_spent  bigint not null,            -- new answers in this round (all survivors)
    total_spent  bigint not null,
    primary key (base_key, task, strategy, round, repo_id)
);

create table if not exists core.gem_picks (
    base_key           varchar not null,
    task               varchar not null,
    strategy           varchar not null,
    pick               varchar,
    queries_spent      bigint not null,
    budget             bigint,
    exhaustive_queries bigint not null,      -- candidates x task queries
    n_candidates       integer not null,
    n_failed           integer not null,
    searched_at        timestamptz not null,
    primary key (base_key, task, strategy)
);

create table if not exists out.gem_leaderboard (
    base_key          varchar not null,
    task              varchar not null,
    repo_id           varchar not null,
    revision          varchar,
    status            varchar not null,      -- evaluated, failed
    failure_reason    varchar,
    queries           integer not null,
    correct           integer not null,
    accuracy          double,
    ci_low            double,
    ci_high           double,
    rank_performance  integer,               -- 1 = best estimated accuracy (evaluated only)
    rank_downloads    integer,               -- 1 = most downloaded
    downloads         bigint,
    likes             bigint,
    popular           boolean not null,      -- in the top share by downloads
    p_vs_popular      double,                -- one-sided p: better than the best popular candidate
    hidden_gem        boolean not null,
    picked_by         varchar[],             -- strategies that picked it
    primary key (base_key, task, repo_id)
);

-- The seed that repeats a search (drawn fresh per run unless configured), and why a candidate is
-- or is not a hidden gem (the study's three parts, each judged on its interval).
alter table core.gem_picks add column if not exists seed bigint;
alter table out.gem_leaderboard add column if not exists top_performance boolean;
alter table out.gem_leaderboard add column if not exists gem_reason varchar;
