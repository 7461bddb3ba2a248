-- Stable public names for every table users query, in the default schema, so analysts write
-- `select * from commits` and keep working when a stage renames or splits its internal tables
-- (raw/core/out are the pipeline's layers; these views are the contract with people and notebooks).
-- Views are re-bound at query time: columns a stage adds appear here without editing this file.
-- List them with: select view_name, comment from duckdb_views() where schema_name = 'main';

-- Ingest: discovery and commit histories.
create or replace view main.hub_models as select * from raw.hub_models;
comment on view main.hub_models is 'Hub NLP models over the download threshold, their GitHub links, and why one has no family.';
create or replace view main.github_repos as select * from raw.github_repos;
comment on view main.github_repos is 'Upstream GitHub repositories of the families (after renames): stars, forks, contributors, dates.';
create or replace view main.families as select * from core.families;
comment on view main.families is 'Model families: one upstream GitHub repository and its Hub variants (family_key = partition key).';
create or replace view main.variants as select * from core.variants;
comment on view main.variants is 'Which Hub model belongs to which family.';
create or replace view main.commits as select * from raw.commits;
comment on view main.commits is 'Every commit of every family, both platforms: sha, parents, author, UTC times, title, message, files.';
create or replace view main.repo_state as select * from raw.repo_state;
comment on view main.repo_state is 'Per repository and family: head, commit count, status (ok/empty/skipped/failed) and why.';

-- Label: the taxonomy and one label per commit.
create or replace view main.taxonomy as select * from core.taxonomy;
comment on view main.taxonomy is 'The study''s 15 commit categories and the 4 labels that are not categories (is_category = false: bug fix, unclear, uncategorized, add model), with definitions.';
create or replace view main.commit_labels as select * from core.commit_labels;
comment on view main.commit_labels is 'One label per commit: a replayed label, else the label of the LLM model that ran last in the family, else the rules label.';
create or replace view main.labelled_commits as select * from core.labelled_commits;
comment on view main.labelled_commits is 'Every labeller''s label per commit (rules, llm:<model>, replay), with status and rationale.';
create or replace view main.gold_predictions as select * from core.gold_predictions;
comment on view main.gold_predictions is 'Each labeller''s answer on the hand-labelled gold set (agreement, kappa).';
create or replace view main.commits_with_labels as
select c.family_key, c.platform, c.repo, c.sha, c.authored_at, c.committed_at, c.author_name, c.title,
       c.n_files, l.category, l.labeller
from raw.commits c
left join core.commit_labels l using (family_key, platform, repo, sha);
comment on view main.commits_with_labels is 'Commits with their preferred label (category NULL: not labelled yet).';

-- Sync: the family-level classification and the study's tables (docs/sync.md).
drop view if exists main.sync_pairs;
drop view if exists main.sync_timeline;
drop view if exists main.sync_pair_context;
drop view if exists main.sync_rq1_categories;
drop view if exists main.sync_rq3_jaccard;
drop view if exists main.sync_rq3_patterns;
drop view if exists main.sync_family_report;
create or replace view main.sync_families as select * from core.sync_families;
comment on view main.sync_families is 'Per family: lag, sync type, intensity, code and pattern (whole, early and late history), or why excluded.';
create or replace view main.sync_variants as select * from core.sync_variants;
comment on view main.sync_variants is 'Per Hub variant: commits, active and shared fortnights, longest shared run, age.';
create or replace view main.sync_periods as select * from core.sync_periods;
comment on view main.sync_periods is 'The fortnightly periods the rules read: commits per family, repository and period.';
create or replace view main.sync_handoffs as select * from core.sync_handoffs;
comment on view main.sync_handoffs is 'Every switch of platform in a family''s merged timeline, with the days between.';
create or replace view main.sync_family_context as select * from core.sync_family_context;
comment on view main.sync_family_context is 'Per classified family: pattern, average age, age group, contributors (RQ1/RQ3 inputs).';
create or replace view main.sync_patterns as select * from core.sync_pattern_catalog;
comment on view main.sync_patterns is 'The 8 synchronization patterns in reporting order, with their codes.';
create or replace view main.sync_rq1_shares as select * from out.sync_rq1_shares;
comment on view main.sync_rq1_shares is 'RQ1: share of each category among a platform''s categorised commits.';
create or replace view main.sync_rq1_by_age as select * from out.sync_rq1_by_age;
comment on view main.sync_rq1_by_age is 'RQ1: category x platform contingency table per age group.';
create or replace view main.sync_rq1_tests as select * from out.sync_rq1_tests;
comment on view main.sync_rq1_tests is 'RQ1: chi-square per age group with Cramer''s V (textbook and the paper''s).';
create or replace view main.sync_rq1_jaccard as select * from out.sync_rq1_jaccard;
comment on view main.sync_rq1_jaccard is 'RQ1: Jaccard of the GitHub and Hub category sets per family.';
create or replace view main.sync_rq2_patterns as select * from out.sync_rq2_patterns;
comment on view main.sync_rq2_patterns is 'RQ2: families (and variant rows) per synchronization pattern.';
create or replace view main.sync_rq2_lag as select * from out.sync_rq2_lag;
comment on view main.sync_rq2_lag is 'RQ2: families per lag (Upstream First, No Lag, Downstream First).';
create or replace view main.sync_rq2_tests as select * from out.sync_rq2_tests;
comment on view main.sync_rq2_tests is 'RQ2: goodness of fit of the pattern counts against a uniform spread.';
create or replace view main.sync_rq3_age_groups as select * from out.sync_rq3_age_groups;
comment on view main.sync_rq3_age_groups is 'RQ3: age tertiles and their bounds.';
create or replace view main.sync_rq3_groups as select * from out.sync_rq3_groups;
comment on view main.sync_rq3_groups is 'RQ3: pattern x age, contributor and common-contributor groups.';
create or replace view main.sync_rq3_tests as select * from out.sync_rq3_tests;
comment on view main.sync_rq3_tests is 'RQ3: chi-square tests of pattern against each grouping.';
create or replace view main.sync_rq3_handoffs as select * from out.sync_rq3_handoffs;
comment on view main.sync_rq3_handoffs is 'RQ3: hand-off days per pattern and direction.';
create or replace view main.sync_rq3_handoff_tests as select * from out.sync_rq3_handoff_tests;
comment on view main.sync_rq3_handoff_tests is 'RQ3: Kruskal-Wallis and Dunn (Bonferroni) over hand-off days by pattern.';
create or replace view main.sync_rq3_transitions as select * from out.sync_rq3_transitions;
comment on view main.sync_rq3_transitions is 'RQ3: early-to-late pattern transitions per age group.';
create or replace view main.sync_period_report as select * from out.sync_period_report;
comment on view main.sync_period_report is 'Per family and fortnight: commits on each platform and active variants.';

-- Gems: candidates, evaluation and the leaderboard.
create or replace view main.base_models as select * from core.base_models;
comment on view main.base_models is 'Base models whose fine-tune trees are searched (base_key = partition key).';
create or replace view main.gem_candidates as select * from raw.gem_candidates;
comment on view main.gem_candidates is 'Fine-tunes of each base model with downloads, likes and dates.';
create or replace view main.gem_outcomes as select * from core.gem_outcomes;
comment on view main.gem_outcomes is 'Stored per-query evaluation outcomes (task, model, revision, query).';
create or replace view main.gem_rounds as select * from core.gem_rounds;
comment on view main.gem_rounds is 'Search rounds per strategy: survivors and queries spent.';
create or replace view main.gem_picks as select * from core.gem_picks;
comment on view main.gem_picks is 'What each search strategy picked and at what cost.';
create or replace view main.gem_leaderboard as select * from out.gem_leaderboard;
comment on view main.gem_leaderboard is 'Per base model and task: accuracy with CI, popularity ranks, and which candidates are hidden gems.';
