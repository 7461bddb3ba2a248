"""The synchronization study's published figures, reproduced by hubscope's own table code.

The replication package of arXiv:2508.10157 publishes per-family, per-variant and per-hand-off results
(vendored in ``bench/reference/sync/``). This script loads them into a scratch warehouse in the shape
the sync stage writes (``core.sync_families``, ``core.sync_variants``, ``core.sync_handoffs``; RQ1's
published counts as labelled commits), runs the project's SQL queries (``sql/queries/sync_*.sql``) and
scipy functions (``assets/sync/statistics.py``) on them, and prints each published figure beside
hubscope's. ``tests/sync/test_paper.py`` runs the same comparison.

    .venv/bin/python bench/paper.py
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assets.sync.patterns import CODE_TO_PATTERN, LAGS  # noqa: E402
from assets.sync.queries import refresh_table  # noqa: E402
from assets.sync.statistics import goodness_of_fit, rq1_tests  # noqa: E402
from orchestration.warehouse import Warehouse  # noqa: E402

REFERENCE = Path(__file__).with_name("reference") / "sync"

PUBLISHED_NAMES = {
    "Frequent Alignment": "Frequent Synchronization", "Intermittent Alignment": "Intermittent Synchronization",
    "Rare Alignment": "Rare Synchronization", "Dense Partial Alignment": "Dense Partial Synchronization",
    "Dispersed Alignment": "Disperse Synchronization", "Sparse Alignment": "Sparse Synchronization",
    "Sporadic Disjoint": "Sporadic Disjoint Synchronization", "Rare Disjoing": "Rare Disjoint Synchronization",
}
"""The package's pattern names (typos included) -> the paper's."""
PUBLISHED_LAGS = {"Upstream First": "github_first", "Downstream First": "hub_first", "No Lag": "simultaneous"}
PUBLISHED_AGE_GROUPS = {"Recent-Families": "recent", "Intermediate-Families": "intermediate",
                        "Matured-Families": "mature"}
PLATFORMS = {"GH": "github", "HF": "hub"}
UNNAMED_FAMILY = "HuggingFaceM4_idefics"

PAPER = {
    "rq2_share_pct": {"Disperse Synchronization": 39.4, "Sparse Synchronization": 15.4,
                      "Rare Synchronization": 14.2, "Sporadic Disjoint Synchronization": 10.5,
                      "Rare Disjoint Synchronization": 9.2, "Intermittent Synchronization": 7.4,
                      "Frequent Synchronization": 2.5, "Dense Partial Synchronization": 1.5},
    "rq1_chi2": {"recent": 2675.86, "intermediate": 7391.76, "mature": 5981.77},
    "rq1_dof": 14,
    "rq1_v_paper": {"recent": 0.196, "intermediate": 0.270, "mature": 0.216},
    "rq2_fit_chi2": {"variants": 1321.66, "families": 258.90},
    "handoff_github_to_hub_days_text": 15.8,
    "handoff_github_to_hub_days_file": 17.6,
    "age_bounds_days": {"recent_upper": 116.2, "mature_lower": 452.0},
}
"""Figures as printed in the paper, its package's notebooks, or PAPERS.md from them (the RQ1 shares and
the lag counts are read from the vendored files themselves)."""


@dataclass(frozen=True)
class Row:
    """One published figure beside hubscope's, and whether they agree at the printed precision."""

    figure: str
    paper: float | int | str
    ours: float | int | str
    note: str = ""
    known_difference: str = ""
    """Why this figure cannot agree (docs/sync.md), when it cannot; empty when it must agree."""

    @property
    def agrees(self) -> bool:
        if isinstance(self.paper, float):
            decimals = len(f"{self.paper}".split(".")[1]) if "." in f"{self.paper}" else 0
            return isinstance(self.ours, (int, float)) and round(float(self.ours), decimals) == self.paper
        return self.paper == self.ours


def published() -> dict[str, pl.DataFrame]:
    """The vendored files as frames (excluded variants dropped, as every table of the paper does)."""
    variants = pl.read_csv(REFERENCE / "paper_variants.csv").filter(~pl.col("excluded_from_analysis"))
    return {
        "families": pl.read_csv(REFERENCE / "paper_families.csv"),
        "variants": variants,
        "handoffs": pl.read_csv(REFERENCE / "paper_handoffs.csv.gz"),
        "early_late": pl.read_csv(REFERENCE / "paper_early_late.csv"),
        "jaccard": pl.read_csv(REFERENCE / "paper_family_jaccard.csv"),
        "rq1": pl.read_csv(REFERENCE / "paper_rq1_categories.csv"),
        "rq1_by_age": pl.read_csv(REFERENCE / "paper_rq1_by_age.csv"),
    }


def family_rows(data: dict[str, pl.DataFrame], pattern_from: str) -> pl.DataFrame:
    """``core.sync_families`` rows for the 325 analysed families; pattern from the codes or the published names.

    Pattern, code and lag come from the variant rows (the package's ``complete_dataset.csv``): over all
    338 families their lags are the paper's 194 / 75 / 69. ``paper_families.csv`` has the same marginal
    distributions but disagrees with them row by row for 171 families (docs/sync.md), so only its
    average age is read, and its one unnamed row is taken as HuggingFaceM4_idefics, the one analysed
    family it lacks (both have a single variant).
    """
    per_family = data["variants"].group_by("family").agg(
        pl.col("code").first(), pl.col("pattern").first(), pl.col("lag").first(), pl.len().alias("n_variants"))
    ages = data["families"].select(pl.col("family").fill_null(UNNAMED_FAMILY), "average_age_days")
    early_late = data["early_late"].select("family", "early_code", "late_code")
    frame = per_family.join(ages, on="family", how="left").join(early_late, on="family", how="left")
    name = (pl.col("code").replace_strict(CODE_TO_PATTERN) if pattern_from == "codes"
            else pl.col("pattern").replace_strict(PUBLISHED_NAMES))
    return frame.select(
        pl.col("family").alias("family_key"), pl.lit("ok").alias("status"),
        pl.col("n_variants").cast(pl.Int32), pl.lit(0, pl.Int32).alias("n_github_commits"),
        pl.lit(0, pl.Int32).alias("n_hub_commits"), pl.lit(0, pl.Int32).alias("n_dropped"),
        pl.col("lag").replace_strict(PUBLISHED_LAGS).alias("lag"),
        pl.col("code").str.slice(0, 2).alias("sync_type"), pl.col("code").str.slice(2, 1).alias("intensity"),
        "code", name.alias("pattern"), "average_age_days",
        pl.col("early_code"), pl.col("early_code").replace_strict(CODE_TO_PATTERN, default=None).alias("early_pattern"),
        pl.col("late_code"), pl.col("late_code").replace_strict(CODE_TO_PATTERN, default=None).alias("late_pattern"),
        pl.lit(datetime.now(UTC)).alias("computed_at"),
    )


def handoff_rows(data: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """``core.sync_handoffs`` rows from the published hand-offs (times as published, read as UTC)."""
    when = lambda c: pl.col(c).str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC")  # noqa: E731
    return data["handoffs"].select(
        pl.col("family").alias("family_key"),
        pl.int_range(1, pl.len() + 1).over("family").cast(pl.Int32).alias("seq"),
        pl.col("source").replace_strict(PLATFORMS), pl.col("target").replace_strict(PLATFORMS),
        pl.col("source").alias("prev_repo"), when("prev_commit").alias("prev_commit"),
        pl.col("target").alias("next_repo"), when("next_commit").alias("next_commit"),
        pl.col("days_difference").cast(pl.Int32).alias("days"),
    )


def rq1_commits(data: dict[str, pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One synthetic commit per published RQ1 commit, labelled with its category (raw.commits, labels)."""
    now = datetime.now(UTC)
    counts = data["rq1"].unpivot(index="category", on=["github_commits", "hub_commits"], variable_name="platform",
                                 value_name="n").with_columns(pl.col("platform").str.replace("_commits", ""))
    commits = counts.select("category", "platform", pl.int_ranges(0, "n").alias("i")).explode("i").with_columns(
        pl.lit("published-rq1").alias("family_key"), pl.concat_str(pl.lit("paper/"), "platform").alias("repo"),
        pl.concat_str("category", pl.lit("-"), pl.col("i").cast(pl.String)).alias("sha"),
        pl.lit(now).alias("fetched_at"))
    labels = commits.select("family_key", "platform", "repo", "sha",
                            pl.col("category").str.replace_all(" ", "_").alias("category"),
                            pl.lit("rules").alias("labeller"), pl.lit("labelled").alias("status"),
                            pl.lit(now).alias("labelled_at"))
    return commits.select("family_key", "platform", "repo", "sha", "fetched_at"), labels


def compare(workdir: Path) -> list[Row]:
    """Every published figure beside hubscope's, computed in a scratch warehouse under ``workdir``."""
    data = published()
    rows: list[Row] = []

    # RQ1 shares: the published commits as labelled commits of one classified family, through sync_rq1_shares.sql.
    rq1 = Warehouse(database=str(workdir / "rq1.duckdb"))
    commits, labels = rq1_commits(data)
    rq1.replace("raw.commits", {}, commits)
    rq1.replace("core.labelled_commits", {}, labels)
    rq1.replace("core.sync_families", {}, pl.DataFrame([dict(
        family_key="published-rq1", status="ok", n_variants=1, n_github_commits=0, n_hub_commits=0, n_dropped=0,
        lag="simultaneous", sync_type="CS", intensity="R", code="CSR", pattern=CODE_TO_PATTERN["CSR"],
        computed_at=datetime.now(UTC))]))
    shares = refresh_table(rq1, "out.sync_rq1_shares")
    for platform, column in (("github", "github_pct"), ("hub", "hub_pct")):
        for category, pct in data["rq1"].select("category", column).iter_rows():
            ours = shares.filter((pl.col("platform") == platform) & (pl.col("name") == category))["share"].item()
            rows.append(Row(f"RQ1 share {platform} {category} (%)", float(pct), 100 * ours))

    # RQ1 chi-square per age group and Cramer's V both ways, by statistics.rq1_tests.
    by_age = data["rq1_by_age"].with_columns(pl.col("age_group").replace_strict(PUBLISHED_AGE_GROUPS))
    for test in rq1_tests(by_age).iter_rows(named=True):
        group = test["age_group"]
        rows.append(Row(f"RQ1 chi2 {group}", PAPER["rq1_chi2"][group], test["chi2"]))
        rows.append(Row(f"RQ1 dof {group}", PAPER["rq1_dof"], test["dof"]))
        rows.append(Row(f"RQ1 Cramer's V {group} (paper's 2n divisor)", PAPER["rq1_v_paper"][group],
                        test["cramers_v_paper"]))
        rows.append(Row(f"RQ1 Cramer's V {group} (textbook, n)", "(not printed)", round(test["cramers_v"], 3),
                        "the 15x2 table's V divides by n"))
    rows.append(Row("RQ1 mean Jaccard of category sets (325 families)", round(data["jaccard"]["jaccard"].mean(), 3),
                    round(data["jaccard"]["jaccard"].mean(), 3),
                    "published per-family values averaged; recomputing them needs the package's commit labels"))

    # RQ2: the distribution through sync_rq2_patterns.sql, from the codes and from the published names.
    study = Warehouse(database=str(workdir / "study.duckdb"))
    variants = data["variants"].select(
        pl.col("family").alias("family_key"), "hub_repo", pl.lit(1, pl.Int32).alias("n_commits"),
        pl.lit(datetime(2020, 1, 1, tzinfo=UTC)).alias("first_commit"),
        pl.lit(datetime(2020, 1, 1, tzinfo=UTC)).alias("last_commit"),
        *[pl.lit(0, pl.Int32).alias(c) for c in ("n_periods", "n_shared_periods", "longest_shared_run", "age_days")])
    study.replace("core.sync_variants", {}, variants)
    study.replace("core.sync_handoffs", {}, handoff_rows(data))
    distributions = {}
    for source in ("names", "codes"):
        study.replace("core.sync_families", {}, family_rows(data, source))
        distributions[source] = refresh_table(study, "out.sync_rq2_patterns")
    for pattern, pct in PAPER["rq2_share_pct"].items():
        for source, frame in distributions.items():
            ours = 100 * frame.filter(pl.col("pattern") == pattern)["share"].item()
            vila = source == "codes" and pattern in ("Disperse Synchronization", "Sparse Synchronization")
            rows.append(Row(f"RQ2 {pattern} (%), from published {source}", pct, ours, known_difference=(
                "Efficient-Large-Model_VILA has code PSR (Sparse) but is named Disperse" if vila else "")))
    by_code = family_rows(data, "codes").select("family_key", "pattern").join(
        family_rows(data, "names").select("family_key", pl.col("pattern").alias("named")), on="family_key")
    disagree = by_code.filter(pl.col("pattern") != pl.col("named"))
    rows.append(Row("families whose published code and name disagree", 1, disagree.height,
                    "; ".join(f"{k}: code gives {p}, name says {n}" for k, p, n in disagree.iter_rows())))

    # The rest on the codes' patterns (the classifier's output): lag, goodness of fit, age tertiles, hand-offs.
    lag = refresh_table(study, "out.sync_rq2_lag")
    for published_name, count in data["families"]["lag"].value_counts().iter_rows():
        key = PUBLISHED_LAGS[published_name]
        rows.append(Row(f"RQ2 lag {LAGS[key]} (325 families)", count,
                        lag.filter(pl.col("lag") == key)["n_families"].item()))
    for unit, chi2 in PAPER["rq2_fit_chi2"].items():
        fit = goodness_of_fit({unit: distributions["names"][f"n_{unit}"].to_list()}).row(0, named=True)
        rows.append(Row(f"RQ2 goodness-of-fit chi2 over {unit} (published names)", chi2, fit["chi2"],
                        "the package's figure; rows are not independent" if unit == "variants"
                        else "independent rows: what the claim should rest on"))
    bounds = refresh_table(study, "out.sync_rq3_age_groups")
    recent_upper = bounds.filter(pl.col("age_group") == "recent")["upper_days"].item()
    mature_lower = bounds.filter(pl.col("age_group") == "mature")["lower_days"].item()
    not_tertiles = ("the published groups (110/110/105) are not tertiles of the 325 published averages "
                    "(those give 109/108/108 at 113.4 and 436.0 days)")
    rows.append(Row("RQ3 age tertile: recent up to (days)", PAPER["age_bounds_days"]["recent_upper"],
                    round(recent_upper, 1), known_difference=not_tertiles))
    rows.append(Row("RQ3 age tertile: mature above (days)", PAPER["age_bounds_days"]["mature_lower"],
                    round(mature_lower, 1), known_difference=not_tertiles))
    published_counts = data["families"]["age_group"].replace_strict(PUBLISHED_AGE_GROUPS).value_counts()
    for group, n in published_counts.sort("age_group").iter_rows():
        rows.append(Row(f"RQ3 families in age group {group}", n,
                        bounds.filter(pl.col("age_group") == group)["n_families"].item(),
                        known_difference=not_tertiles))
    handoffs = refresh_table(study, "out.sync_rq3_handoffs")
    gh_to_hub = handoffs.filter((pl.col("pattern") == "*") & (pl.col("direction") == "github->hub"))
    mean_days = gh_to_hub["mean_days"].item()
    rows.append(Row("hand-off days GitHub -> Hub, mean (published file)",
                    PAPER["handoff_github_to_hub_days_file"], mean_days,
                    f"{gh_to_hub['n_handoffs'].item()} hand-offs of the 325 families; median "
                    f"{gh_to_hub['median_days'].item():.0f}"))
    rows.append(Row("hand-off days GitHub -> Hub, mean (paper's text)", PAPER["handoff_github_to_hub_days_text"],
                    mean_days, known_difference="the published hand-offs give 17.6 (overall 14.9); no grouping "
                    "of them gives 15.8"))
    return rows


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        rows = compare(Path(tmp))
    width = max(len(r.figure) for r in rows)
    print(f"{'figure':<{width}}  {'paper':>10}  {'hubscope':>10}  agree")
    for r in rows:
        ours = f"{r.ours:.4f}" if isinstance(r.ours, float) else str(r.ours)
        mark = ("yes" if r.agrees else "-" if isinstance(r.paper, str)
                else "known" if r.known_difference else "NO")
        note = "; ".join(n for n in (r.note, r.known_difference) if n)
        print(f"{r.figure:<{width}}  {r.paper!s:>10}  {ours:>10}  {mark:<5}  {note}")
    compared = [r for r in rows if not isinstance(r.paper, str)]
    unexplained = [r for r in compared if not r.agrees and not r.known_difference]
    known = [r for r in compared if not r.agrees and r.known_difference]
    print(f"\n{len(compared) - len(known) - len(unexplained)} of {len(compared)} published figures agree; "
          f"{len(known)} differ for the reasons given (docs/sync.md); {len(unexplained)} unexplained")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
