-- Ingest stage: what discovery found on the Hub and GitHub, and both platforms' commit histories.
-- Contract for later stages: raw.commits' columns below are relied on by labelling and sync.

create table if not exists raw.hub_models (
    repo_id        varchar primary key,      -- Hub model id, e.g. "cahya/bert-base-indonesian-522M"
    family_key     varchar,                  -- partition key of its family (null: no usable GitHub link)
    github_repo    varchar,                  -- "owner/repo" linked from card metadata or README
    github_links   varchar[],                -- every GitHub link found, for audit
    pipeline_tag   varchar,
    library_name   varchar,
    downloads      bigint,
    likes          bigint,
    created_at     timestamptz,
    last_modified  timestamptz,
    tags           varchar[],
    base_model     varchar[],
    gated          varchar,                  -- 'false', 'auto', 'manual'
    sha            varchar,
    discovered_at  timestamptz not null
);

create table if not exists raw.github_repos (
    full_name       varchar primary key,     -- as GitHub names it now (after renames)
    requested_name  varchar,                 -- as linked from the card, if renamed
    family_key      varchar not null,
    stars           bigint,
    forks           bigint,
    contributors    integer,
    created_at      timestamptz,
    pushed_at       timestamptz,
    default_branch  varchar,
    description     varchar,
    fetched_at      timestamptz not null
);

create table if not exists core.families (
    family_key   varchar primary key,
    github_repo  varchar not null,
    n_variants   integer not null,
    downloads    bigint,                     -- summed over the family's Hub variants
    first_seen   timestamptz not null
);

create table if not exists core.variants (
    family_key  varchar not null,
    repo_id     varchar not null,
    primary key (family_key, repo_id)
);

create table if not exists raw.commits (
    family_key    varchar not null,
    platform      varchar not null check (platform in ('github', 'hub')),
    repo          varchar not null,          -- "owner/repo" on GitHub, the model id on the Hub
    sha           varchar not null,
    parents       varchar[],
    author_name   varchar,
    author_email  varchar,
    authored_at   timestamptz,               -- UTC
    committed_at  timestamptz,               -- UTC
    title         varchar,
    message       varchar,
    files         struct(path varchar, change varchar, additions integer, deletions integer)[],
    n_files       integer,
    fetched_at    timestamptz not null,
    primary key (family_key, platform, repo, sha)
);

-- One row per repository and family: where its history stands and why it may be missing.
create table if not exists raw.repo_state (
    family_key  varchar not null,
    platform    varchar not null check (platform in ('github', 'hub')),
    repo        varchar not null,
    head_sha    varchar,
    n_commits   integer,
    status      varchar not null check (status in ('ok', 'empty', 'skipped', 'failed')),
    reason      varchar,
    checked_at  timestamptz not null,
    primary key (family_key, platform, repo)
);

-- Added by the ingest stage (after the contract above was fixed; columns are only ever added).
-- Why a scanned model has no family: no/malformed/library-only links, or the linked repo is missing.
alter table raw.hub_models add column if not exists link_issue varchar;

-- Added for what a repository miner expects (issue 13) and rewritten histories (issue 12). Each line
-- migrates a warehouse made before it; on a new one the tables above get the same columns.
alter table raw.commits add column if not exists author_tz_offset smallint;     -- minutes east of UTC, as git records it
alter table raw.commits add column if not exists committer_name varchar;        -- who applied the commit (rebase, merge, web UI)
alter table raw.commits add column if not exists committer_email varchar;
alter table raw.commits add column if not exists committer_tz_offset smallint;  -- minutes east of UTC
-- 'future', 'before_2000' or 'before_repository' (committed over a day before the repository was
-- created on its platform); null when the dates are plausible. See assets/ingest/history.py.
alter table raw.commits add column if not exists date_flag varchar;
-- files: the source of a rename or copy (git -M -C); change uses GitHub's names: added, removed,
-- modified, renamed, copied, changed (the file type changed).
alter table raw.commits add column if not exists files.element.old_path varchar;
-- The last time the repository's history was rewritten upstream (force-push, super-squash) and how
-- many stored commits that removed (no longer reachable from the default branch).
alter table raw.repo_state add column if not exists rewritten_at timestamptz;
alter table raw.repo_state add column if not exists dropped_commits integer;
