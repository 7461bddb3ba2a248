-- Label stage: one row per commit and labeller. Contract for the sync stage: the view
-- core.commit_labels (sql/views) gives one preferred label per commit.

-- The taxonomy, loaded from its only source (assets/label/taxonomy.json; relative paths resolve
-- against the project root, see orchestration/warehouse.py): the paper's 15 categories
-- (is_category) and the 4 labels it leaves out of every share. Labels reference the key.
create table if not exists core.taxonomy (
    key          varchar primary key,
    name         varchar not null,
    is_category  boolean not null,
    definition   varchar not null,
    position     integer not null
);

-- A warehouse whose labels were made under another taxonomy (before t2 core.taxonomy had no
-- is_category; or it holds a key taxonomy.json no longer has) must not keep them silently, and
-- DuckDB can neither add a NOT NULL column to nor delete keys from a table that foreign keys
-- reference. So stop here, naming the file and the command that drops the label tables
-- (assets/label/migrate.py); the labels are then recomputed by the label assets.
select case when reasons <> '' then error(
    'hubscope: the warehouse ' || coalesce(db_path, current_database()) || ' holds labels of an older taxonomy ('
    || reasons || '); they cannot be reused. Run: python -m assets.label.migrate ' || coalesce(db_path, '<database>')
    || '  (drops core.labelled_commits, core.label_cache, core.gold_labels, core.gold_predictions and core.taxonomy '
    || 'in one transaction), then materialize core/labelled_commits for every family (and the LLM and agreement '
    || 'assets if you use them) and the sync assets after them.') end
from (
    select (select path from duckdb_databases() where database_name = current_database()) as db_path,
           concat_ws('; ',
               case when not exists (select 1 from duckdb_columns() where schema_name = 'core'
                                     and table_name = 'taxonomy' and column_name = 'is_category')
                    then 'core.taxonomy has no is_category column' end,
               (select 'keys no longer in assets/label/taxonomy.json: ' || string_agg(key, ', ' order by key)
                from core.taxonomy
                where key not in (select unnest(categories).key
                                  from read_json('assets/label/taxonomy.json', maximum_object_size = 16777216)))
           ) as reasons
);

insert into core.taxonomy by name
select c.key, c.name, c.is_category, c.definition, cast(ordinality as integer) as position
from (select unnest(categories) as c, generate_subscripts(categories, 1) as ordinality
      from read_json('assets/label/taxonomy.json', maximum_object_size = 16777216))
on conflict do update set name = excluded.name, is_category = excluded.is_category,
    definition = excluded.definition, position = excluded.position;

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

-- Valid LLM answers by what was asked: a re-run, or the same commit in another family, costs
-- nothing. Only answers that passed validation are kept: an invalid one is asked again next run.
create table if not exists core.label_cache (
    content_hash       varchar not null,
    model              varchar not null,
    prompt_version     varchar not null,     -- includes the taxonomy version (assets/label/llm.py)
    category           varchar not null references core.taxonomy (key),
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
