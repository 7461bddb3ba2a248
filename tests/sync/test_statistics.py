"""The study's tests on tables small enough to compute by hand."""

from __future__ import annotations

import math

import polars as pl
import pytest

from assets.sync.statistics import goodness_of_fit, handoff_tests, independence_tests, rq1_tests


def test_rq1_chi_square_and_both_cramers_v_by_hand():
    # rows (categories) x (GitHub, Hub): [[10, 20], [20, 10], [15, 15]]; every expected count is 15, so
    # chi2 = 4 * 25 / 15 = 20/3, dof = (3 - 1)(2 - 1) = 2; textbook V = sqrt(chi2 / (90 * 1)),
    # the paper's V = sqrt(chi2 / (90 * min(dof, 2))) = sqrt(chi2 / 180). A category with no commit is left out.
    by_age = pl.DataFrame({"age_group": ["recent"] * 4, "category": ["a", "b", "c", "empty"],
                           "github_commits": [10, 20, 15, 0], "hub_commits": [20, 10, 15, 0]})
    row = rq1_tests(by_age).row(0, named=True)
    assert row["n"] == 90 and row["dof"] == 2
    assert row["chi2"] == pytest.approx(20 / 3)
    assert row["cramers_v"] == pytest.approx(math.sqrt(20 / 3 / 90))
    assert row["cramers_v_paper"] == pytest.approx(math.sqrt(20 / 3 / 180))
    assert row["p_value"] == pytest.approx(math.exp(-10 / 3))  # chi2 with 2 dof: p = exp(-x / 2)


def test_rq1_a_platform_without_commits_gets_a_reason_not_a_statistic():
    by_age = pl.DataFrame({"age_group": ["mature"] * 2, "category": ["a", "b"],
                           "github_commits": [3, 4], "hub_commits": [0, 0]})
    row = rq1_tests(by_age).row(0, named=True)
    assert row["chi2"] is None and "both platforms" in row["reason"]


def test_goodness_of_fit_against_a_uniform_spread():
    # observed 10, 20, 30 (a 0 is dropped: no row in value_counts); expected 20 each: chi2 = (100 + 0 + 100) / 20
    fit = goodness_of_fit({"families": [10, 0, 20, 30]}).row(0, named=True)
    assert (fit["n"], fit["k"], fit["dof"]) == (60, 3, 2)
    assert fit["chi2"] == pytest.approx(10.0)
    assert fit["p_value"] == pytest.approx(math.exp(-5))


def test_independence_of_pattern_and_group_by_hand():
    # 2 groups x 2 patterns [[10, 0], [0, 10]]: expected 5 everywhere, chi2 = 4 * 25 / 5 = 20 (no Yates), V = 1
    groups = pl.DataFrame({"dimension": ["age"] * 4, "grp": ["recent", "recent", "mature", "mature"],
                           "grp_order": [1, 1, 3, 3], "pattern": ["P", "Q", "P", "Q"],
                           "n_families": [10, 0, 0, 10]})
    row = independence_tests(groups).row(0, named=True)
    assert row["chi2"] == pytest.approx(20.0) and row["dof"] == 1 and row["cramers_v"] == pytest.approx(1.0)
    one_group = independence_tests(groups.filter(pl.col("grp") == "recent")).row(0, named=True)
    assert one_group["chi2"] is None and "2 groups" in one_group["reason"]


def test_kruskal_wallis_and_dunn_by_hand():
    # A = 1, 2, 3 and B = 4, 5, 6 days: ranks 1-3 and 4-6, N = 6.
    # H = 12 / (N (N + 1)) * (6^2 / 3 + 15^2 / 3) - 3 (N + 1) = 12/42 * 87 - 21 = 3.857...
    # Dunn: z = (2 - 5) / sqrt(N (N + 1) / 12 * (1/3 + 1/3)) = -3 / sqrt(7/3); p = 2 (1 - Phi(|z|)), one pair
    # so Bonferroni leaves it as it is.
    frame = pl.DataFrame({"pattern": ["A"] * 3 + ["B"] * 3, "direction": ["github->hub"] * 6,
                          "days": [1, 2, 3, 4, 5, 6]})
    rows = {(r["test"], r["direction"]): r for r in handoff_tests(frame).iter_rows(named=True)}
    assert rows[("kruskal", "*")]["statistic"] == pytest.approx(12 / 42 * 87 - 21)
    z = 3 / math.sqrt(7 / 3)
    assert rows[("dunn", "*")]["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert (rows[("dunn", "*")]["pattern_a"], rows[("dunn", "*")]["pattern_b"]) == ("A", "B")
    assert ("kruskal", "github->hub") in rows  # each direction is also tested alone


def test_dunn_applies_bonferroni_over_all_pairs():
    frame = pl.DataFrame({"pattern": ["A"] * 3 + ["B"] * 3 + ["C"] * 3, "direction": ["hub->github"] * 9,
                          "days": [1, 2, 3, 4, 5, 6, 7, 8, 9]})
    dunn = handoff_tests(frame).filter((pl.col("test") == "dunn") & (pl.col("direction") == "*"))
    # A vs C: mean ranks 2 and 8, N = 9: z = 6 / sqrt(90 / 12 * 2 / 3); 3 pairs: p x 3
    z = 6 / math.sqrt(90 / 12 * 2 / 3)
    a_c = dunn.filter((pl.col("pattern_a") == "A") & (pl.col("pattern_b") == "C"))["p_value"].item()
    assert a_c == pytest.approx(min(1.0, 3 * math.erfc(z / math.sqrt(2))))
