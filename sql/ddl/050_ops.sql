-- Operations: families registered by hand (`hubscope add-family`), e.g. under discovery's download
-- threshold. Discovery replaces core.families/core.variants wholesale; this table is what it must
-- keep (ingest unions it in), and what an operator reads to see which families were added by hand.
create table if not exists core.manual_families (
    family_key    varchar primary key,
    github_repo   varchar not null,       -- "owner/repo" on GitHub
    hub_variants  varchar[] not null,     -- Hub model ids of the family
    added_at      timestamptz not null
);
