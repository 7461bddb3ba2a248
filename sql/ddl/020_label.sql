-- Label stage: one row per commit and labeller. Contract for the sync stage: the view
-- core.commit_labels (sql/views) gives one preferred label per commit.
create table if not exists core.labelled_commits (
    family_key      varchar not null,
    platform        varchar not null check (platform in ('github', 'hub')),
    repo            varchar not null,
    sha             varchar not null,
    labeller        varchar not null,        -- 'rules' or 'llm:<model>'
    prompt_version  varchar,
    category        varchar,                 -- null only when status = 'unlabelled'
    status          varchar not null check (status in ('labelled', 'unlabelled')),
    reason          varchar,                 -- why unlabelled
    confidence      double,
    rationale       varchar,
    labelled_at     timestamptz not null,
    primary key (family_key, platform, repo, sha, labeller)
);
