-- Label stage: one row per commit and labeller. Contract for the sync stage: the view
-- core.commit_labels (sql/views) gives one preferred label per commit.

-- The 15 categories, loaded from the taxonomy's only source (assets/label/taxonomy.json; relative
-- paths resolve against the project root, see orchestration/warehouse.py). Re-applying the schema
-- updates names and definitions in place; labels reference the key.
create table if not exists core.taxonomy (
    key         varchar primary key,
    name        varchar not null,
    definition  varchar not null,
    position    integer not null
);
insert into core.taxonomy by name
select c.key, c.name, c.definition, cast(ordinality as integer) as position
from (select unnest(categories) as c, generate_subscripts(categories, 1) as ordinality
      from read_json('assets/label/taxonomy.json', maximum_object_size = 16777216))
on conflict do update set name = excluded.name, definition = excluded.definition, position = excluded.position;

create table if not exists core.labelled_commits (
    family_key      varchar not null,
    platform        varchar not null check (platform in ('github', 'hub')),
    repo            varchar not null,
    sha             varchar not null,
    labeller        varchar not null,        -- 'rules' or 'llm:<model>'
    prompt_version  varchar,                 -- rules: taxonomy version + digest; llm: prompt version
    category        varchar references core.taxonomy (key),  -- null only when status = 'unlabelled'
    status          varchar not null check (status in ('labelled', 'unlabelled')),
    reason          varchar,                 -- why unlabelled
    confidence      double,
    rationale       varchar,
    labelled_at     timestamptz not null,
    content_hash    varchar,                 -- what the labeller saw (the LLM cache key's first part)
    primary key (family_key, platform, repo, sha, labeller),
    check ((status = 'labelled') = (category is not null))
);

-- LLM answers by what was asked: a re-run, or the same commit in another family, costs nothing.
create table if not exists core.label_cache (
    content_hash       varchar not null,
    model              varchar not null,
    prompt_version     varchar not null,
    category           varchar references core.taxonomy (key),
    status             varchar not null check (status in ('labelled', 'unlabelled')),
    reason             varchar,
    confidence         double,
    rationale          varchar,
    prompt_tokens      double,               -- this commit's share of its request(s)
    completion_tokens  double,
    labelled_at        timestamptz not null,
    primary key (content_hash, model, prompt_version)
);

-- The hand-labelled gold set (assets/label/gold.csv) and each labeller's answers on it.
create table if not exists core.gold_labels (
    gold_id   varchar primary key,
    platform  varchar not null check (platform in ('github', 'hub')),
    title     varchar not null,
    message   varchar,
    files     varchar[],
    category  varchar not null references core.taxonomy (key)
);

create table if not exists core.gold_predictions (
    gold_id     varchar not null,
    labeller    varchar not null,
    platform    varchar not null check (platform in ('github', 'hub')),
    gold        varchar not null references core.taxonomy (key),
    predicted   varchar references core.taxonomy (key),   -- null: the labeller gave no label
    reason      varchar,
    primary key (gold_id, labeller)
);
