"""Discovery finds the sample's families the way the study defines them, and the sensor turns them into partitions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl

from orchestration.jobs import discovery_job, ingest_job
from orchestration.partitions import FAMILIES, repo_key
from orchestration.sensors import family_discovery_sensor, plan_tick


def _sample_models(sample) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((sample / "hub" / "models").glob("*/*/info.json"))]


def test_families_are_the_nlp_models_over_the_threshold_with_a_linked_repository(ingested):
    wh = ingested.warehouse
    models = wh.query("select * from raw.hub_models")
    expected_scanned = {
        m["id"] for m in _sample_models(ingested.sample)
        if m["downloads"] >= 10_000 and m["pipeline_tag"] != "image-classification" and not m["private"]
    }
    assert set(models["repo_id"]) == expected_scanned  # under-threshold, non-NLP and private models excluded
    families = wh.query("select * from core.families order by family_key")
    # the renamed repository groups under its current name, linked by its old one
    legacy = wh.query("select * from raw.github_repos where full_name = 'new-org/legacy-gpt'").row(0, named=True)
    assert legacy["requested_name"] == "old-org/legacy-gpt" and legacy["family_key"] == repo_key("new-org/legacy-gpt")
    # the card with several links picks the author's own repository, not the library or malformed ones
    qwerty = models.filter(pl.col("repo_id") == "qwerty-ai/tinyqwerty-1.1b-chat").row(0, named=True)
    assert qwerty["github_repo"] == "qwerty-ai/tinyqwerty" and len(qwerty["github_links"]) == 5
    # families hold exactly the variants whose repository resolved
    variants = wh.query("select family_key, count(*)::int as n from core.variants group by 1 order by 1")
    assert variants.rows() == families.select("family_key", "n_variants").rows()
    assert set(families["family_key"]) == {repo_key(r) for r in wh.query("select full_name from raw.github_repos")["full_name"]}
    glotta = families.filter(pl.col("family_key") == "glotta-nlp__glotta").row(0, named=True)
    glotta_models = [m for m in _sample_models(ingested.sample) if m["id"].startswith("glotta-nlp/")]
    assert glotta["n_variants"] == 3 and glotta["downloads"] == sum(m["downloads"] for m in glotta_models)


def test_models_without_a_family_say_why(ingested):
    issues = dict(ingested.warehouse.query("select repo_id, link_issue from raw.hub_models where family_key is null").rows())
    assert set(issues) == {"ghost-user/ghost-bert", "broken-links/bert-x"}
    assert "does not exist" in issues["ghost-user/ghost-bert"]
    assert "malformed" in issues["broken-links/bert-x"]


def test_metadata_later_questions_need(ingested):
    row = ingested.warehouse.query("select * from raw.hub_models where repo_id = 'glotta-nlp/glotta-7b-instruct'").row(0, named=True)
    assert row["base_model"] == ["glotta-nlp/glotta-7b"] and row["likes"] > 0 and row["created_at"] < row["last_modified"]
    gated = ingested.warehouse.query("select gated from raw.hub_models where repo_id = 'glotta-nlp/glotta-70b'").item()
    assert gated == "manual"
    repo = ingested.warehouse.query("select * from raw.github_repos where full_name = 'glotta-nlp/glotta'").row(0, named=True)
    assert (repo["stars"], repo["contributors"], repo["default_branch"]) == (4800, 57, "main")


def test_rediscovery_keeps_first_seen(fresh):
    before = dict(fresh.warehouse.query("select family_key, first_seen from core.families").rows())
    assert fresh.discover().success
    after = dict(fresh.warehouse.query("select family_key, first_seen from core.families").rows())
    assert after == before


def test_sensor_adds_new_families_as_partitions_and_requests_first_runs(fresh):
    families = sorted(fresh.warehouse.query("select family_key from core.families")["family_key"])
    fresh.instance.add_dynamic_partitions(FAMILIES.name, families[:2])
    ctx = dg.build_sensor_context(instance=fresh.instance, resources={"warehouse": fresh.warehouse})
    result = family_discovery_sensor(ctx)
    assert isinstance(result, dg.SensorResult)
    (add,) = result.dynamic_partitions_requests
    assert sorted(add.partition_keys) == families[2:]
    ingest_runs = [r for r in result.run_requests if r.job_name == ingest_job.name]
    assert sorted(r.partition_key for r in ingest_runs) == families[2:]
    # discovery never ran on this instance, so the tick asks for it too
    assert [r.job_name for r in result.run_requests if r.job_name == discovery_job.name] == [discovery_job.name]


def test_sensor_is_quiet_when_nothing_is_new_and_discovery_is_fresh(fresh):
    assert fresh.discover().success
    families = fresh.warehouse.query("select family_key from core.families")["family_key"].to_list()
    fresh.instance.add_dynamic_partitions(FAMILIES.name, families)
    ctx = dg.build_sensor_context(instance=fresh.instance, resources={"warehouse": fresh.warehouse})
    assert isinstance(family_discovery_sensor(ctx), dg.SkipReason)


def test_stale_discovery_is_requested_once_a_day():
    now = datetime(2026, 1, 2, 12, tzinfo=UTC)
    fresh_tick = plan_tick(["a"], {"a"}, now - timedelta(hours=3), now)
    stale_tick = plan_tick(["a"], {"a"}, now - timedelta(days=2), now)
    assert not fresh_tick.run_requests
    assert [r.run_key for r in stale_tick.run_requests] == ["discovery-2026-01-02"]


def test_a_link_only_in_the_readme_is_found(ingested):
    row = ingested.warehouse.query("select * from raw.hub_models where repo_id = 'sparse-lab/sparse-t5-large'").row(0, named=True)
    assert row["family_key"] == "sparse-lab__sparse-t5" and row["github_links"] == ["https://github.com/sparse-lab/sparse-t5"]


def test_a_family_added_by_hand_survives_the_next_discovery(fresh):
    from orchestration.runner import add_family

    wh = fresh.warehouse
    manual = add_family(wh, fresh.instance, "small-lab/under-threshold", ["small-lab/tiny-model"])
    scanned = add_family(wh, fresh.instance, "indolab/indobert-lite", ["indolab/hand-picked"])  # also found by the scan
    before = wh.query("select family_key, first_seen from core.families where family_key = ?", [manual.family_key])
    assert fresh.discover().success
    kept = wh.query("select * from core.families where family_key = ?", [manual.family_key]).row(0, named=True)
    assert kept["n_variants"] == 1 and kept["first_seen"] == before["first_seen"][0]
    assert wh.query("select repo_id from core.variants where family_key = ?", [manual.family_key]).item() == "small-lab/tiny-model"
    # a family the scan finds comes from the scan: its variants are the Hub's, not the hand-entered ones
    found = set(wh.query("select repo_id from core.variants where family_key = ?", [scanned.family_key])["repo_id"])
    assert "indolab/hand-picked" not in found and found


def test_duplicate_commits_check_passes_on_ingest_and_catches_a_repository_stored_under_two_names(fresh):
    from assets.ingest.assets import COMMITS
    from assets.ingest.checks import no_duplicate_commits
    from orchestration.partitions import FAMILIES
    from tests.check_runs import partition_check_passes

    wh = fresh.warehouse
    family = wh.query("select min(family_key) from raw.commits").item()
    fresh.instance.add_dynamic_partitions(FAMILIES.name, [family])

    def passes() -> bool:
        return partition_check_passes(no_duplicate_commits, COMMITS, FAMILIES, wh, fresh.instance, family)

    assert passes()
    with wh.transaction() as con:  # the same history again under a GitHub repository's old name
        con.execute("insert into raw.commits select * replace ('old-name/' || repo as repo) from raw.commits "
                    "where platform = 'github' and family_key = ?", [family])
    assert not passes()
