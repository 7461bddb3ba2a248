"""The study's statistical tests, computed by scipy (and scikit-posthocs for Dunn's test).

The SQL in ``sql/queries`` builds every contingency table; only the tests need Python. Each function
takes a frame in the shape of a query's result -- and of the paper's own published tables -- so
``bench/paper.py`` feeds the replication package's numbers through exactly this code.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from scipy.stats import chi2_contingency, chisquare, kruskal
from scipy.stats.contingency import association

RQ1_TEST_SCHEMA = {"age_group": pl.String, "n": pl.Int64, "chi2": pl.Float64, "dof": pl.Int32,
                   "p_value": pl.Float64, "cramers_v": pl.Float64, "cramers_v_paper": pl.Float64,
                   "reason": pl.String}
FIT_SCHEMA = {"unit": pl.String, "n": pl.Int64, "k": pl.Int32, "chi2": pl.Float64, "dof": pl.Int32,
              "p_value": pl.Float64}
INDEPENDENCE_SCHEMA = {"dimension": pl.String, "n_families": pl.Int64, "n_groups": pl.Int32,
                       "n_patterns": pl.Int32, "chi2": pl.Float64, "dof": pl.Int32, "p_value": pl.Float64,
                       "cramers_v": pl.Float64, "reason": pl.String}
HANDOFF_TEST_SCHEMA = {"test": pl.String, "direction": pl.String, "pattern_a": pl.String, "pattern_b": pl.String,
                       "statistic": pl.Float64, "p_value": pl.Float64}


def rq1_tests(by_age: pl.DataFrame) -> pl.DataFrame:
    """Per age group, the chi-square test of platform x category and Cramer's V both ways.

    ``by_age`` has age_group, category, github_commits, hub_commits (``sql/queries/sync_rq1_by_age.sql``
    or the paper's ``paper_rq1_by_age.csv``). Categories with no commit on either platform are left
    out (no expected count). ``cramers_v`` is the textbook V, sqrt(chi2 / (n (min(r, c) - 1))), which
    for a k x 2 table is sqrt(chi2 / n); ``cramers_v_paper`` is the package's, which divides by
    n * min(dof, 3 - 1) = 2n (it took the number of age groups for the table's smaller side).
    """
    records = []
    for group in by_age["age_group"].unique(maintain_order=True).to_list():
        rows = by_age.filter((pl.col("age_group") == group)
                             & ((pl.col("github_commits") + pl.col("hub_commits")) > 0))
        table = rows.select("github_commits", "hub_commits").to_numpy().astype(np.int64)
        n = int(table.sum())
        record = dict.fromkeys(RQ1_TEST_SCHEMA) | {"age_group": group, "n": n}
        if table.shape[0] < 2 or (table.sum(axis=0) == 0).any():
            record["reason"] = "needs at least 2 categories and commits on both platforms"
        else:
            result = chi2_contingency(table)
            record |= {"chi2": float(result.statistic), "dof": int(result.dof), "p_value": float(result.pvalue),
                       "cramers_v": float(association(table, method="cramer")),
                       "cramers_v_paper": math.sqrt(result.statistic / (n * min(result.dof, 2)))}
        records.append(record)
    return pl.DataFrame(records, schema=RQ1_TEST_SCHEMA)


def goodness_of_fit(counts: dict[str, list[int]]) -> pl.DataFrame:
    """Chi-square goodness of fit of pattern counts against a uniform spread, per counting unit.

    ``counts`` maps a unit ('families', 'variants') to its count per pattern; patterns with no row
    are left out, as the package's ``value_counts`` has no row for them.
    """
    records = []
    for unit, values in counts.items():
        observed = np.array([v for v in values if v > 0], dtype=np.int64)
        record = dict.fromkeys(FIT_SCHEMA) | {"unit": unit, "n": int(observed.sum()), "k": len(observed)}
        if len(observed) >= 2:
            result = chisquare(observed)
            record |= {"chi2": float(result.statistic), "dof": len(observed) - 1, "p_value": float(result.pvalue)}
        records.append(record)
    return pl.DataFrame(records, schema=FIT_SCHEMA)


def independence_tests(groups: pl.DataFrame) -> pl.DataFrame:
    """RQ3: per dimension, Pearson's chi-square test of pattern x group with Cramer's V (no Yates).

    ``groups`` is ``out.sync_rq3_groups`` (dimension, grp, grp_order, pattern, n_families).
    """
    records = []
    for dimension in sorted(groups["dimension"].unique().to_list()):
        rows = groups.filter((pl.col("dimension") == dimension) & (pl.col("n_families") > 0))
        wide = rows.pivot(on="pattern", index=["grp_order", "grp"], values="n_families",
                          aggregate_function="sum", sort_columns=True).sort("grp_order").fill_null(0)
        patterns = wide.columns[2:]
        table = wide.select(patterns).to_numpy().astype(np.int64)
        record = dict.fromkeys(INDEPENDENCE_SCHEMA) | {"dimension": dimension, "n_families": int(table.sum()),
                                                       "n_groups": wide.height, "n_patterns": len(patterns)}
        if wide.height < 2 or len(patterns) < 2:
            record["reason"] = (f"needs at least 2 groups and 2 patterns with families "
                                f"(has {wide.height} and {len(patterns)})")
        else:
            result = chi2_contingency(table, correction=False)
            record |= {"chi2": float(result.statistic), "dof": int(result.dof), "p_value": float(result.pvalue),
                       "cramers_v": float(association(table, method="cramer", correction=False))}
        records.append(record)
    return pl.DataFrame(records, schema=INDEPENDENCE_SCHEMA)


def handoff_tests(handoffs: pl.DataFrame) -> pl.DataFrame:
    """Kruskal-Wallis over hand-off days by pattern, then Dunn's pairwise test with Bonferroni.

    ``handoffs`` has pattern, direction ('github->hub' / 'hub->github') and days. Each direction is
    tested alone and pooled ('*'). Patterns with fewer than 2 hand-offs are left out of a test.
    """
    import scikit_posthocs  # with pandas and matplotlib 0.75 s: only the step that runs Dunn's test pays

    records: list[dict[str, object]] = []
    subsets = [("*", handoffs)] + [(d, handoffs.filter(pl.col("direction") == d))
                                   for d in sorted(handoffs["direction"].unique().to_list())]
    for direction, frame in subsets:
        sizes = frame.group_by("pattern").len().filter(pl.col("len") >= 2)
        frame = frame.join(sizes.select("pattern"), on="pattern").sort("pattern")
        names = sorted(sizes["pattern"].to_list())
        if len(names) < 2:
            continue
        samples = [frame.filter(pl.col("pattern") == p)["days"].to_numpy() for p in names]
        if len({float(x) for s in samples for x in s}) < 2:  # all equal: Kruskal-Wallis is undefined
            continue
        result = kruskal(*samples)
        records.append({"test": "kruskal", "direction": direction, "pattern_a": "*", "pattern_b": "*",
                        "statistic": float(result.statistic), "p_value": float(result.pvalue)})
        table = scikit_posthocs.posthoc_dunn(samples, p_adjust="bonferroni")
        for i, a in enumerate(names):
            for j in range(i + 1, len(names)):
                records.append({"test": "dunn", "direction": direction, "pattern_a": a, "pattern_b": names[j],
                                "statistic": None, "p_value": float(table.iloc[i, j])})
    return pl.DataFrame(records, schema=HANDOFF_TEST_SCHEMA)
