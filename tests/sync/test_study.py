"""The study's tables: assets over a small warehouse, every sql/queries file, and the statistics."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from scipy.stats import chi2 as chi2_dist

from assets.sync.assets import SYNC_ASSETS
from assets.sync.queries import QUERIES_DIR, run_query
from assets.sync.statistics import chi_square_tests
from orchestration.partitions import FAMILIES
from orchestration.warehouse import Warehouse
from tests.sync.conftest import fill_sync_warehouse

FAMILY_KEYS = ["alpha", "beta", "gamma"]


@pytest.fixture(scope="module")
def study_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test(temp_dir=str(tmp_path_factory.mktemp("dagster_home"))) as inst:
        inst.add_dynamic_partitions(FAMILIES.name, FAMILY_KEYS)
        yield inst


@pytest.fixture(scope="module")
def studied(tmp_path_factory: pytest.TempPathFactory, study_instance: dg.DagsterInstance) -> Warehouse:
    """The small warehouse after materializing every family's pairs and then every study table (once per module)."""
    warehouse = fill_sync_warehouse(Warehouse(database=str(tmp_path_factory.mktemp("study") / "hubscope.duckdb")))
    resources = {"warehouse": warehouse}
    pairs, tables = SYNC_ASSETS[0], SYNC_ASSETS[1:]
    for key in FAMILY_KEYS:
        result = dg.materialize([pairs], partition_key=key, resources=resources, instance=study_instance)
        assert result.success
    result = dg.materialize(tables, resources=resources, instance=study_instance)
    assert result.success
    return warehouse


def test_pairs_table_classifies_every_variant(studied: Warehouse):
    pairs = studied.query("select hub_repo, status, pattern, reason from core.sync_pairs order by hub_repo")
    rows = {r["hub_repo"]: r for r in pairs.iter_rows(named=True)}
    assert set(rows) == {"alpha/bert", "beta/gpt", "beta/gpt-large", "gamma/t5"}
    assert rows["alpha/bert"]["pattern"] == "Frequent synchronization"
    assert rows["beta/gpt"]["pattern"] == "Disperse synchronization"
    assert rows["beta/gpt-large"]["pattern"] == "Rare disjoint synchronization"
    assert rows["gamma/t5"]["status"] == "excluded" and rows["gamma/t5"]["reason"] == "no Hub commits"


def test_rematerializing_a_family_replaces_its_rows(studied: Warehouse, study_instance: dg.DagsterInstance):
    before = studied.query("select count(*) as n from core.sync_timeline")["n"].item()
    assert dg.materialize([SYNC_ASSETS[0]], partition_key="beta", resources={"warehouse": studied},
                          instance=study_instance).success
    assert studied.query("select count(*) as n from core.sync_timeline")["n"].item() == before


def test_pairs_metadata_has_counts_and_a_timeline_picture(sync_warehouse: Warehouse, instance: dg.DagsterInstance):
    instance.add_dynamic_partitions(FAMILIES.name, ["beta"])
    result = dg.materialize([SYNC_ASSETS[0]], partition_key="beta", resources={"warehouse": sync_warehouse},
                            instance=instance)
    metadata = result.asset_materializations_for_node(SYNC_ASSETS[0].op.name)[0].metadata
    assert metadata["dagster/row_count"].value == 2
    assert metadata["timelines"].value.startswith("![beta timelines](data:image/png;base64,iVBOR")


@pytest.mark.parametrize("path", sorted(QUERIES_DIR.glob("sync_*.sql")), ids=lambda p: p.name)
def test_every_query_file_runs_on_a_plain_duckdb_connection_and_returns_rows(studied: Warehouse, path: Path):
    """What a user does with the duckdb CLI: open the file read-only and run the file's text as is."""
    with duckdb.connect(studied.database, read_only=True) as con:
        rows = con.sql(path.read_text()).fetchall()
    assert rows


def test_rq1_shares_per_platform(studied: Warehouse):
    rq1 = studied.query("select * from out.sync_rq1_categories")
    sums = rq1.group_by("platform").agg(pl.col("share").sum())
    assert all(math.isclose(s, 1.0) for s in sums["share"])
    hub = {r["category"]: r["n_commits"] for r in rq1.filter(pl.col("platform") == "hub").iter_rows(named=True)}
    # hub shas ending in 0 are external_documentation: alpha/bert hub0, beta/gpt hub0, beta/gpt-large hub0
    assert hub == {"external_documentation": 3, "model_structure": 5}


def test_rq2_lists_all_eight_patterns_with_shares_of_classified_pairs(studied: Warehouse):
    rq2 = studied.query("select * from out.sync_rq2_patterns order by position")
    assert rq2.height == 8
    counts = dict(zip(rq2["pattern"], rq2["n_pairs"], strict=True))
    assert counts["Frequent synchronization"] == 1 and counts["Disperse synchronization"] == 1
    assert counts["Rare disjoint synchronization"] == 1 and sum(counts.values()) == 3
    assert math.isclose(rq2["share"].sum(), 1.0)


def test_rq2_asset_shows_the_distribution_picture(sync_warehouse: Warehouse, instance: dg.DagsterInstance):
    result = dg.materialize([SYNC_ASSETS[2]], resources={"warehouse": sync_warehouse}, instance=instance)
    metadata = result.asset_materializations_for_node(SYNC_ASSETS[2].op.name)[0].metadata
    assert "data:image/png;base64," in metadata["distribution"].value
    assert metadata["dagster/row_count"].value == 8


def test_rq3_groups_follow_the_configured_bounds(studied: Warehouse):
    contributors = studied.query(
        "select grp, sum(n_pairs) as n from out.sync_rq3_groups where dimension = 'contributors' group by grp"
    )
    assert dict(contributors.iter_rows()) == {"< 2 contributors": 1, "2-9 contributors": 2}
    narrower = run_query(studied, "sync_rq3_groups", {"contributors_mid": 6, "contributors_high": 10})
    got = narrower.filter(pl.col("dimension") == "contributors").group_by("grp").agg(pl.col("n_pairs").sum())
    assert dict(got.iter_rows()) == {"< 6 contributors": 3}


def test_jaccard_of_category_sets(studied: Warehouse):
    j = studied.query("select * from out.sync_rq3_jaccard")
    pair = j.filter(pl.col("hub_repo") == "beta/gpt").row(0, named=True)
    # GitHub {model_structure, code_quality} vs Hub {external_documentation, model_structure}: 1 / 3
    assert pair["jaccard"] == pytest.approx(1 / 3)
    family = j.filter((pl.col("family_key") == "gamma") & (pl.col("hub_repo") == "*")).row(0, named=True)
    assert family["hub_categories"] == [] and family["jaccard"] == 0.0


def test_rq3_average_lag_per_pattern(studied: Warehouse):
    rq3 = studied.query("select pattern, n_pairs, avg_lag_days from out.sync_rq3_patterns")
    disperse = rq3.filter(pl.col("pattern") == "Disperse synchronization").row(0, named=True)
    assert disperse["n_pairs"] == 1 and disperse["avg_lag_days"] == pytest.approx(35.0)


def test_family_report_side_by_side(studied: Warehouse):
    report = run_query(studied, "sync_family_report", {"family": "beta"})
    assert set(report["family_key"]) == {"beta"}
    gpt = report.filter(pl.col("hub_repo") == "beta/gpt").sort("day")
    assert gpt["change"].to_list() == ["github only", "github only", "hub only", "github only", "hub only"]
    assert gpt["github_commits"].sum() == 3 and gpt["hub_commits"].sum() == 2


def _groups(table: list[list[int]], dimension: str = "age") -> pl.DataFrame:
    patterns = ["Disperse synchronization", "Sparse synchronization", "Frequent synchronization"]
    return pl.DataFrame([
        dict(dimension=dimension, grp=f"g{i}", grp_order=i, pattern=patterns[j], n_pairs=n)
        for i, row in enumerate(table) for j, n in enumerate(row)
    ])


def test_chi_square_matches_the_hand_computed_value():
    result = chi_square_tests(_groups([[10, 20], [30, 40]])).row(0, named=True)
    # N (ad - bc)^2 / (row1 row2 col1 col2) = 100 * 200^2 / (30 * 70 * 40 * 60)
    expected = 100 * 200**2 / (30 * 70 * 40 * 60)
    assert result["chi2"] == pytest.approx(expected)
    assert result["dof"] == 1
    assert result["p_value"] == pytest.approx(chi2_dist.sf(expected, 1))
    assert result["cramers_v"] == pytest.approx(math.sqrt(expected / 100))


def test_chi_square_ignores_unknown_groups_and_reports_degenerate_tables():
    groups = pl.concat([_groups([[5, 0, 1], [2, 7, 0]]),
                        pl.DataFrame([dict(dimension="age", grp="unknown", grp_order=4,
                                           pattern="Sparse synchronization", n_pairs=50)])])
    row = chi_square_tests(groups).row(0, named=True)
    assert row["n_pairs"] == 15 and row["dof"] == 2
    single = chi_square_tests(_groups([[3, 4]], "contributors")).row(0, named=True)
    assert single["chi2"] is None and "at least 2 groups" in single["reason"]


def test_rq1_reads_llm_labels_so_depends_on_them():
    """core.commit_labels prefers LLM labels: new ones must mark the RQ1 table stale."""
    [rq1] = [a for a in SYNC_ASSETS if a.key == dg.AssetKey(["out", "sync_rq1_categories"])]
    assert {dg.AssetKey(["core", "labelled_commits"]), dg.AssetKey(["core", "llm_labelled_commits"])} <= rq1.dependency_keys
