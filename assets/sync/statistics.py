"""RQ3's test of independence between synchronization pattern and a group (arXiv:2508.10157, Sec. RQ3).

The paper tests pattern against maturity and contributor groups with Pearson's chi-square test
of independence. The contingency tables come from ``sql/queries/sync_rq3_groups.sql``; only the
test itself needs Python (scipy). Pairs in the 'unknown' group (no creation date, no contributor
count) are left out of the test, and patterns or groups with no pair are dropped, since an empty
row or column has no expected count.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.stats import chi2_contingency
from scipy.stats.contingency import association

UNKNOWN = "unknown"
TEST_SCHEMA = {"dimension": pl.String, "n_pairs": pl.Int64, "n_groups": pl.Int32, "n_patterns": pl.Int32,
               "chi2": pl.Float64, "dof": pl.Int32, "p_value": pl.Float64, "cramers_v": pl.Float64, "reason": pl.String}
"""The columns of ``out.sync_rq3_tests``."""


def contingency(groups: pl.DataFrame, dimension: str) -> tuple[list[str], list[str], np.ndarray]:
    """(group labels, patterns, counts) for one dimension of the long-format group table."""
    rows = groups.filter((pl.col("dimension") == dimension) & (pl.col("grp") != UNKNOWN) & (pl.col("n_pairs") > 0))
    if rows.is_empty():
        return [], [], np.zeros((0, 0), dtype=np.int64)
    wide = rows.pivot(on="pattern", index=["grp_order", "grp"], values="n_pairs", aggregate_function="sum",
                      sort_columns=True).sort("grp_order", "grp").fill_null(0)
    patterns = wide.columns[2:]
    return wide["grp"].to_list(), patterns, wide.select(patterns).to_numpy().astype(np.int64)


def chi_square_tests(groups: pl.DataFrame) -> pl.DataFrame:
    """One chi-square test of independence per dimension, with Cramer's V as the effect size."""
    records = []
    for dimension in sorted(groups["dimension"].unique().to_list()):
        labels, patterns, table = contingency(groups, dimension)
        n = int(table.sum())
        record = dict.fromkeys(TEST_SCHEMA) | dict(dimension=dimension, n_pairs=n, n_groups=len(labels),
                                                  n_patterns=len(patterns))
        if len(labels) < 2 or len(patterns) < 2:
            record["reason"] = f"needs at least 2 groups and 2 patterns with pairs (has {len(labels)} and {len(patterns)})"
        else:
            result = chi2_contingency(table, correction=False)
            record.update(chi2=float(result.statistic), dof=int(result.dof), p_value=float(result.pvalue),
                          cramers_v=float(association(table, method="cramer", correction=False)))
        records.append(record)
    return pl.DataFrame(records, schema=TEST_SCHEMA)
