"""The study's tables on a warehouse of six hand-drawn families, each expectation worked out by hand.

Days are offsets from T0 (2020-07-01 12:00 UTC). GitHub commits fall at noon on day 14p + 1 and Hub
commits on day 14p + 3 (their date, 00:00, is 1.5 days after GitHub's), so both sit in fortnight p.

| family | GitHub fortnights | variants: fortnights | code | lag |
| alpha | 0-5 (alpha/code) | alpha/bert: 0-4 | CSF Frequent | simultaneous |
| beta | 0, 1 | beta/gpt: 1, 4, 6, 8; beta/gpt-large: 20, 22 | PSS Disperse | github_first |
| gamma | 0 (gamma/code) | gamma/t5: 3, 5 | ASR Rare Disjoint | github_first |
| zeta | gamma/code's same commit | zeta/m: 0 | CSR Rare | simultaneous |
| eps | day 29 (noon) | eps/m: days 0 and 30 (dates -0.5 and 29.5) | PSR Sparse | hub_first |
| delta | 0 | delta/x: no commits | excluded: no Hub commits | |

Variant ages (days between first and last Hub date): alpha 56; beta 98 and 28 (mean 63); gamma 28;
eps 30; zeta 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import dagster as dg
import polars as pl
import pytest

from assets.sync import patterns
from assets.sync.assets import SYNC_ASSETS
from assets.sync.checks import family_classified
from orchestration.partitions import FAMILIES
from orchestration.warehouse import Warehouse
from tests.sync.conftest import NOW, T0, commit_rows, commits_frame, fortnights

KEYS = ["alpha", "beta", "delta", "eps", "gamma", "zeta"]
GH, HUB = dict(day=1), dict(day=3)


def _commits() -> list[dict]:
    rows = commit_rows("alpha", "github", "alpha/code", fortnights(*range(6), **GH), author="ann")
    rows += commit_rows("alpha", "hub", "alpha/bert", fortnights(*range(5), **HUB), prefix="b", author="ann")
    rows += commit_rows("beta", "github", "beta/code", fortnights(0, 1, **GH), author="bob")
    rows += commit_rows("beta", "hub", "beta/gpt", fortnights(1, 4, 6, 8, **HUB), prefix="g", author="hubby")
    rows += commit_rows("beta", "hub", "beta/gpt-large", fortnights(20, 22, **HUB), prefix="l", author="hubby")
    for key in ("gamma", "zeta"):  # two families of one upstream repository share its commit
        rows += commit_rows(key, "github", "gamma/code", fortnights(0, **GH), author="cy")
    rows += commit_rows("gamma", "hub", "gamma/t5", fortnights(3, 5, **HUB), prefix="t", author="dee")
    rows += commit_rows("zeta", "hub", "zeta/m", fortnights(0, **HUB), prefix="z", author="zed")
    rows += commit_rows("eps", "github", "eps/code", [29], author="eve")
    rows += commit_rows("eps", "hub", "eps/m", [0, 30], prefix="e", author="fay")
    rows += commit_rows("delta", "github", "delta/code", fortnights(0, **GH), author="dan")
    return rows


LABELS = {  # (family, platform) -> categories of its commits in order; eps's Hub commits stay unlabelled
    ("alpha", "github"): ["model_structure"] * 6,
    ("alpha", "hub"): ["output_data"] * 4 + ["bug_fix"],
    ("beta", "github"): ["training_infrastructure"] * 2,
    ("beta", "hub"): ["external_documentation"] * 6,
    ("gamma", "github"): ["model_structure"], ("zeta", "github"): ["model_structure"],
    ("gamma", "hub"): ["model_structure"] * 2, ("zeta", "hub"): ["sharing"],
    ("eps", "github"): ["sharing"], ("delta", "github"): ["input_data"],
}


def fill(warehouse: Warehouse) -> None:
    rows = _commits()
    warehouse.append("raw.commits", commits_frame(rows))
    labels = []
    for (key, platform), categories in LABELS.items():
        mine = [r for r in rows if r["family_key"] == key and r["platform"] == platform]
        labels += [dict(family_key=key, platform=platform, repo=r["repo"], sha=r["sha"], labeller="rules",
                        category=c, status="labelled", labelled_at=NOW) for r, c in zip(mine, categories, strict=True)]
    warehouse.append("core.labelled_commits", pl.DataFrame(labels))
    repos = {"alpha": "alpha/code", "beta": "beta/code", "gamma": "gamma/code", "zeta": "gamma/code",
             "eps": "eps/code", "delta": "delta/code"}
    variants = {"alpha": ["alpha/bert"], "beta": ["beta/gpt", "beta/gpt-large"], "gamma": ["gamma/t5"],
                "zeta": ["zeta/m"], "eps": ["eps/m"], "delta": ["delta/x"]}
    warehouse.append("core.families", pl.DataFrame([
        dict(family_key=k, github_repo=repos[k], n_variants=len(variants[k]), first_seen=NOW) for k in KEYS]))
    warehouse.append("core.variants", pl.DataFrame([
        dict(family_key=k, repo_id=v) for k in KEYS for v in variants[k]]))


@pytest.fixture(scope="module")
def study_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test(temp_dir=str(tmp_path_factory.mktemp("dagster_home"))) as inst:
        inst.add_dynamic_partitions(FAMILIES.name, KEYS)
        yield inst


@pytest.fixture(scope="module")
def studied(tmp_path_factory: pytest.TempPathFactory, study_instance: dg.DagsterInstance) -> Warehouse:
    """The warehouse after every family's classification (with its check) and then every study table."""
    warehouse = Warehouse(database=str(tmp_path_factory.mktemp("study") / "hubscope.duckdb"))
    fill(warehouse)
    resources = {"warehouse": warehouse}
    families, tables = SYNC_ASSETS[0], SYNC_ASSETS[1:]
    for key in KEYS:
        result = dg.materialize([families, family_classified], partition_key=key, resources=resources,
                                instance=study_instance)
        assert result.success
        assert all(e.passed for e in result.get_asset_check_evaluations())
    assert dg.materialize(tables, resources=resources, instance=study_instance).success
    return warehouse


def _table(warehouse: Warehouse, name: str) -> list[dict]:
    return warehouse.query(f"select * from {name}").to_dicts()


def test_every_family_gets_the_hand_derived_code_lag_and_pattern(studied: Warehouse):
    got = {r["family_key"]: (r["status"], r["code"], r["lag"], r["pattern"], r["reason"])
           for r in _table(studied, "core.sync_families")}
    assert got == {
        "alpha": ("ok", "CSF", "simultaneous", "Frequent Synchronization", None),
        "beta": ("ok", "PSS", "github_first", "Disperse Synchronization", None),
        "gamma": ("ok", "ASR", "github_first", "Rare Disjoint Synchronization", None),
        "zeta": ("ok", "CSR", "simultaneous", "Rare Synchronization", None),
        "eps": ("ok", "PSR", "hub_first", "Sparse Synchronization", None),
        "delta": ("excluded", None, None, None, "no Hub commits"),
    }
    ages = {r["family_key"]: r["average_age_days"] for r in _table(studied, "core.sync_families")}
    assert ages == {"alpha": 56, "beta": 63, "gamma": 28, "zeta": 0, "eps": 30, "delta": None}


def test_alpha_early_and_late_histories(studied: Warehouse):
    # span: GitHub day 1 to day 71 (noon), split at day 36. Early: GitHub fortnights {0, 1, 2}, Hub {0, 1, 2}:
    # CSR. Late, from GitHub's day 43: Hub dates 1.5 and 15.5 days on {0, 1}, GitHub {0, 1, 2}: CSR.
    alpha = studied.query("select * from core.sync_families where family_key = 'alpha'").row(0, named=True)
    assert alpha["split_at"] == T0 + timedelta(days=36)
    assert (alpha["early_code"], alpha["late_code"]) == ("CSR", "CSR")


def test_rq1_shares_count_categories_only_and_a_shared_commit_once(studied: Warehouse):
    shares = {(r["platform"], r["category"]): (r["n_commits"], r["share"])
              for r in _table(studied, "out.sync_rq1_shares")}
    assert len(shares) == 30  # 15 categories x 2 platforms, zeros listed
    # GitHub: alpha 6 + gamma/zeta's one shared commit = 7 model structure, beta 2 training, eps 1 sharing;
    # delta's input-data commit is excluded with its family.
    assert shares[("github", "model_structure")] == (7, pytest.approx(7 / 10))
    assert shares[("github", "training_infrastructure")] == (2, pytest.approx(2 / 10))
    assert shares[("github", "sharing")] == (1, pytest.approx(1 / 10))
    assert shares[("github", "input_data")] == (0, 0)
    # Hub: alpha 4 output data (its bug fix is no category), beta 6 docs, gamma 2 model structure, zeta 1 sharing
    assert shares[("hub", "output_data")] == (4, pytest.approx(4 / 13))
    assert shares[("hub", "external_documentation")] == (6, pytest.approx(6 / 13))
    assert shares[("hub", "model_structure")] == (2, pytest.approx(2 / 13))
    assert ("hub", "bug_fix") not in shares


def test_rq1_jaccard_per_family(studied: Warehouse):
    jaccard = {r["family_key"]: r["jaccard"] for r in _table(studied, "out.sync_rq1_jaccard")}
    # gamma {model structure} both sides: 1; zeta {model structure} vs {sharing}: 0; eps: no Hub label
    assert jaccard == {"alpha": 0.0, "beta": 0.0, "gamma": 1.0, "zeta": 0.0, "eps": None}


def test_rq2_lists_all_eight_patterns_with_family_and_variant_shares(studied: Warehouse):
    rows = studied.query("select pattern, n_families, share, n_variants from out.sync_rq2_patterns "
                         "order by position").rows()
    assert rows == [
        ("Frequent Synchronization", 1, 0.2, 1), ("Intermittent Synchronization", 0, 0.0, 0),
        ("Rare Synchronization", 1, 0.2, 1), ("Dense Partial Synchronization", 0, 0.0, 0),
        ("Disperse Synchronization", 1, 0.2, 2), ("Sparse Synchronization", 1, 0.2, 1),
        ("Sporadic Disjoint Synchronization", 0, 0.0, 0), ("Rare Disjoint Synchronization", 1, 0.2, 1),
    ]
    lag = studied.query("select name, n_families from out.sync_rq2_lag order by lag").rows()
    assert lag == [("Upstream First", 2), ("Downstream First", 1), ("No Lag", 2)]


def test_rq2_goodness_of_fit_over_families_and_variant_rows(studied: Warehouse):
    fit = {r["unit"]: r for r in _table(studied, "out.sync_rq2_tests")}
    # families: five patterns once each, exactly uniform: chi2 = 0
    assert (fit["families"]["k"], fit["families"]["chi2"]) == (5, pytest.approx(0.0))
    # variant rows 1, 1, 2, 1, 1: expected 1.2; chi2 = (4 * 0.04 + 0.64) / 1.2
    assert fit["variants"]["chi2"] == pytest.approx(0.8 / 1.2)


def test_rq3_age_tertiles_are_computed_from_the_data(studied: Warehouse):
    # ages 0, 28, 30, 56, 63: 1/3 quantile at position 4/3 = 28 + 2/3; 2/3 at 8/3 = 30 + 26 * 2/3
    groups = {r["age_group"]: r for r in _table(studied, "out.sync_rq3_age_groups")}
    assert groups["recent"]["upper_days"] == pytest.approx(28 + 2 / 3)
    assert groups["mature"]["lower_days"] == pytest.approx(30 + 26 * 2 / 3)
    assert [groups[g]["n_families"] for g in ("recent", "intermediate", "mature")] == [2, 1, 2]
    membership = dict(studied.query("select family_key, age_group from core.sync_family_context").rows())
    assert membership == {"zeta": "recent", "gamma": "recent", "eps": "intermediate", "alpha": "mature",
                          "beta": "mature"}


def test_rq3_groups_and_their_tests(studied: Warehouse):
    common = {(r["grp"], r["pattern"]): r["n_families"] for r in _table(studied, "out.sync_rq3_groups")
              if r["dimension"] == "common_contributors"}
    # only alpha has a Hub committer (ann) who also commits upstream
    assert common == {("some", "Frequent Synchronization"): 1, ("none", "Disperse Synchronization"): 1,
                      ("none", "Rare Disjoint Synchronization"): 1, ("none", "Rare Synchronization"): 1,
                      ("none", "Sparse Synchronization"): 1}
    tests = {r["dimension"]: r for r in _table(studied, "out.sync_rq3_tests")}
    # common: 2 groups x 5 patterns, table [[1,0,0,0,0],[0,1,1,1,1]]: every cell's expected count is
    # row total x 1/5, chi2 = sum (o - e)^2 / e = 5 (a perfectly separating table has chi2 = n (k - 1) / ... = 5)
    assert tests["common_contributors"]["chi2"] == pytest.approx(5.0)
    assert tests["common_contributors"]["dof"] == 4


def test_rq3_handoffs_and_transitions(studied: Warehouse):
    days = {(r["pattern"], r["direction"]): (r["n_handoffs"], r["mean_days"]) for r in
            _table(studied, "out.sync_rq3_handoffs")}
    # gamma: GitHub day 1 noon, then Hub dates day 45 and 73: one switch, 43.5 days -> 43 whole days
    assert days[("Rare Disjoint Synchronization", "github->hub")] == (1, 43)
    assert ("Rare Disjoint Synchronization", "hub->github") not in days
    transitions = {(r["age_group"], r["early_pattern"], r["late_pattern"]): r["n_families"]
                   for r in _table(studied, "out.sync_rq3_transitions")}
    assert transitions[("mature", "Rare Synchronization", "Rare Synchronization")] >= 1  # alpha
    tests = _table(studied, "out.sync_rq3_handoff_tests")
    assert any(t["test"] == "kruskal" and t["direction"] == "*" for t in tests)


def test_rq1_tests_run_per_age_group(studied: Warehouse):
    tests = {r["age_group"]: r for r in _table(studied, "out.sync_rq1_tests")}
    assert set(tests) == {"recent", "intermediate", "mature"}
    # mature = alpha + beta: GitHub model structure 6, training 2; Hub output data 4, docs 6.
    # 4 categories x 2: every category is on one platform only, so chi2 = n = 18 and V = 1.
    assert tests["mature"]["n"] == 18
    assert tests["mature"]["chi2"] == pytest.approx(18.0)
    assert tests["mature"]["cramers_v"] == pytest.approx(1.0)


def test_period_report_shows_what_the_rules_read(studied: Warehouse):
    eps = studied.query("select period, github_commits, hub_commits, activity from out.sync_period_report "
                        "where family_key = 'eps' order by period").rows()
    assert eps == [(0, 0, 1, "hub only"), (2, 1, 1, "both")]


def test_rematerializing_a_family_replaces_its_rows(tmp_path, instance: dg.DagsterInstance):
    warehouse = Warehouse(database=str(tmp_path / "w.duckdb"))
    fill(warehouse)
    instance.add_dynamic_partitions(FAMILIES.name, ["beta"])
    run = lambda: dg.materialize([SYNC_ASSETS[0]], partition_key="beta",  # noqa: E731
                                 resources={"warehouse": warehouse}, instance=instance)
    assert run().success
    # beta/gpt-large leaves the family and beta/gpt's fortnight-1 commit is removed: no overlap left, so
    # beta/gpt alone {4, 6, 8} is AS with 3 periods: ASR; its old rows must not survive.
    with warehouse.transaction() as con:
        con.execute("delete from raw.commits where repo = 'beta/gpt-large' or (repo = 'beta/gpt' and sha = 'ghub0')")
    assert run().success
    rows = warehouse.query("select code from core.sync_families where family_key = 'beta'")["code"].to_list()
    assert rows == ["ASR"]
    assert warehouse.query("select hub_repo from core.sync_variants where family_key = 'beta'")["hub_repo"].to_list() \
        == ["beta/gpt"]
    periods = warehouse.query("select distinct period from core.sync_periods where family_key = 'beta' "
                              "and platform = 'hub' order by 1")["period"].to_list()
    assert periods == [4, 6, 8]


def test_the_check_fails_on_a_pattern_that_does_not_match_its_code(tmp_path, instance: dg.DagsterInstance,
                                                                  monkeypatch: pytest.MonkeyPatch):
    # a wrong name for gamma's code (ASR) reaches the table; the blocking check must catch it
    monkeypatch.setitem(patterns.CODE_TO_PATTERN, "ASR", "Frequent Synchronization")
    warehouse = Warehouse(database=str(tmp_path / "w.duckdb"))
    fill(warehouse)
    instance.add_dynamic_partitions(FAMILIES.name, ["gamma"])
    result = dg.materialize([SYNC_ASSETS[0], family_classified], partition_key="gamma", instance=instance,
                            resources={"warehouse": warehouse}, raise_on_error=False)
    evaluation = result.get_asset_check_evaluations()[0]
    assert not evaluation.passed and evaluation.metadata["problems"].value == 1
