"""Tests that kill the mutants `make mutants` found surviving in assets/sync (docs/mutation.md).

Each expectation is computed by hand in the comment above it (contingency tables small enough to
do on paper, timelines drawn period by period), not read from the code.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from assets.sync.classify import ClassifyOptions, InputError, classify, main, read_commits, timeline
from assets.sync.statistics import goodness_of_fit, handoff_tests, independence_tests, rq1_tests
from tests.sync.conftest import NOW, T0, commit_rows, commits_frame, family, fortnights

EXACT = ClassifyOptions(hub_times="exact")


def _p_chi2_1dof(x: float) -> float:
    """Upper tail of chi-square with 1 dof: P(Z^2 > x) = erfc(sqrt(x / 2))."""
    return math.erfc(math.sqrt(x / 2))


# --- RQ2: goodness of fit ---------------------------------------------------------------------------

def test_goodness_of_fit_counts_a_pattern_with_a_single_family():
    # observed 1, 2, 3 (the 0 has no row): expected 2 each, chi2 = (1 + 0 + 1) / 2 = 1, dof 2,
    # p = exp(-1 / 2). A pattern with one family is a pattern with families.
    row = goodness_of_fit({"variants": [1, 0, 2, 3]}).row(0, named=True)
    assert row["unit"] == "variants"
    assert (row["n"], row["k"], row["dof"]) == (6, 3, 2)
    assert row["chi2"] == pytest.approx(1.0)
    assert row["p_value"] == pytest.approx(math.exp(-0.5))


def test_goodness_of_fit_needs_two_patterns_and_two_are_enough():
    # families: 5 and 15, expected 10 each: chi2 = (25 + 25) / 10 = 5 with 1 dof.
    # variants: a single pattern with rows: nothing to compare, no statistic.
    fit = goodness_of_fit({"families": [5, 0, 15], "variants": [0, 7, 0]})
    rows = {r["unit"]: r for r in fit.iter_rows(named=True)}
    assert (rows["families"]["n"], rows["families"]["k"], rows["families"]["dof"]) == (20, 2, 1)
    assert rows["families"]["chi2"] == pytest.approx(5.0)
    assert rows["families"]["p_value"] == pytest.approx(_p_chi2_1dof(5.0))
    assert (rows["variants"]["n"], rows["variants"]["k"]) == (7, 1)
    assert rows["variants"]["chi2"] is None and rows["variants"]["dof"] is None


def test_statistics_tables_keep_their_column_types_when_empty_or_without_any_test():
    # out.sync_rq2_tests / out.sync_rq3_tests / out.sync_rq3_handoff_tests (sql/ddl/030_sync.sql):
    # an empty study still yields the table's columns, and a unit without a test still has a
    # floating-point chi2 column (not an untyped all-null one).
    no_test = goodness_of_fit({"families": [4]})
    assert no_test.schema["chi2"] == pl.Float64 and no_test.schema["p_value"] == pl.Float64
    assert no_test.schema["k"] == pl.Int32 and no_test.schema["dof"] == pl.Int32
    assert goodness_of_fit({}).columns == ["unit", "n", "k", "chi2", "dof", "p_value"]
    empty_groups = pl.DataFrame(schema={"dimension": pl.String, "grp": pl.String, "grp_order": pl.Int32,
                                        "pattern": pl.String, "n_families": pl.Int64})
    assert independence_tests(empty_groups).columns == [
        "dimension", "n_families", "n_groups", "n_patterns", "chi2", "dof", "p_value", "cramers_v", "reason"]
    empty_handoffs = pl.DataFrame(schema={"pattern": pl.String, "direction": pl.String, "days": pl.Int32})
    assert handoff_tests(empty_handoffs).columns == [
        "test", "direction", "pattern_a", "pattern_b", "statistic", "p_value"]
    empty_by_age = pl.DataFrame(schema={"age_group": pl.String, "category": pl.String,
                                        "github_commits": pl.Int64, "hub_commits": pl.Int64})
    assert rq1_tests(empty_by_age).columns == [
        "age_group", "n", "chi2", "dof", "p_value", "cramers_v", "cramers_v_paper", "reason"]
    untested = rq1_tests(pl.DataFrame({"age_group": ["recent"], "category": ["a"],
                                       "github_commits": [3], "hub_commits": [4]}))
    assert untested.schema["chi2"] == pl.Float64 and untested.schema["cramers_v_paper"] == pl.Float64


# --- RQ3: independence of pattern and group ---------------------------------------------------------

def _groups(dimension: str, table: dict[str, dict[str, int]]) -> list[dict]:
    return [dict(dimension=dimension, grp=grp, grp_order=order, pattern=pattern, n_families=n)
            for order, (grp, row) in enumerate(table.items(), start=1) for pattern, n in row.items()]


def test_each_dimension_is_tested_on_its_own_rows():
    # age: [[3, 1], [1, 3]]; every expected count is 4 * 4 / 8 = 2: chi2 = 4 * 1 / 2 = 2, dof 1,
    # V = sqrt(2 / 8) = 1/2. size: [[10, 0], [0, 10]]: expected 5, chi2 = 4 * 25 / 5 = 20, V = 1.
    # Pattern R has no family in any age group: it is not a column of the age table.
    rows = (_groups("age", {"recent": {"P": 3, "Q": 1, "R": 0}, "mature": {"P": 1, "Q": 3, "R": 0}})
            + _groups("size", {"small": {"P": 10, "Q": 0}, "large": {"P": 0, "Q": 10}}))
    out = {r["dimension"]: r for r in independence_tests(pl.DataFrame(rows)).iter_rows(named=True)}
    assert set(out) == {"age", "size"}
    age, size = out["age"], out["size"]
    assert (age["n_families"], age["n_groups"], age["n_patterns"], age["dof"]) == (8, 2, 2, 1)
    assert age["chi2"] == pytest.approx(2.0)
    assert age["p_value"] == pytest.approx(_p_chi2_1dof(2.0))
    assert age["cramers_v"] == pytest.approx(0.5)
    assert (size["n_families"], size["n_groups"], size["n_patterns"]) == (20, 2, 2)
    assert size["chi2"] == pytest.approx(20.0)
    assert size["p_value"] == pytest.approx(_p_chi2_1dof(20.0))
    assert size["cramers_v"] == pytest.approx(1.0)
    assert age["reason"] is None and size["reason"] is None


def test_one_pattern_in_two_groups_is_not_a_test():
    # two groups but every family has the same pattern: a 2 x 1 table has nothing to test
    row = independence_tests(pl.DataFrame(_groups("age", {"recent": {"P": 4}, "mature": {"P": 6}}))).row(0, named=True)
    assert (row["dimension"], row["n_families"], row["n_groups"], row["n_patterns"]) == ("age", 10, 2, 1)
    assert row["chi2"] is None and row["p_value"] is None and row["cramers_v"] is None
    assert "(has 2 and 1)" in row["reason"]


# --- RQ1: chi-square per age group --------------------------------------------------------------------

def test_rq1_keeps_a_category_with_a_single_commit():
    # categories x (GitHub, Hub): [[2, 0], [0, 2], [1, 0]], n = 5; column sums 3 and 2, row sums 2, 2, 1.
    # Expected: rows 1-2 (1.2, 0.8), row 3 (0.6, 0.4). chi2 = 0.64/1.2 + 0.64/0.8 + 1.44/1.2 + 1.44/0.8
    # + 0.16/0.6 + 0.16/0.4 = 0.533 + 0.8 + 1.2 + 1.8 + 0.267 + 0.4 = 5.0; dof 2, p = exp(-5/2);
    # V = sqrt(5 / 5) = 1 (k x 2 table: min side - 1 = 1), the paper's sqrt(5 / (5 * 2)).
    by_age = pl.DataFrame({"age_group": ["recent"] * 3, "category": ["a", "b", "c"],
                           "github_commits": [2, 0, 1], "hub_commits": [0, 2, 0]})
    row = rq1_tests(by_age).row(0, named=True)
    assert (row["age_group"], row["n"], row["dof"]) == ("recent", 5, 2)
    assert row["chi2"] == pytest.approx(5.0)
    assert row["p_value"] == pytest.approx(math.exp(-2.5))
    assert row["cramers_v"] == pytest.approx(1.0)
    assert row["cramers_v_paper"] == pytest.approx(math.sqrt(0.5))


def test_rq1_needs_two_categories_and_two_are_enough():
    # one category, commits on both platforms: a 1 x 2 table has nothing to test
    one = rq1_tests(pl.DataFrame({"age_group": ["recent"], "category": ["a"],
                                  "github_commits": [3], "hub_commits": [4]})).row(0, named=True)
    assert one["n"] == 7 and one["chi2"] is None and one["dof"] is None
    assert one["reason"] == "needs at least 2 categories and commits on both platforms"  # stored, read by users
    # two categories [[10, 20], [20, 10]]: dof (2 - 1)(2 - 1) = 1; expected 15 everywhere, so the
    # textbook V (no continuity correction) is sqrt((4 * 25 / 15) / 60) = sqrt(1 / 9) = 1/3
    two = rq1_tests(pl.DataFrame({"age_group": ["mature"] * 2, "category": ["a", "b"],
                                  "github_commits": [10, 20], "hub_commits": [20, 10]})).row(0, named=True)
    assert (two["n"], two["dof"], two["reason"]) == (60, 1, None)
    assert two["chi2"] is not None and two["p_value"] is not None
    assert two["cramers_v"] == pytest.approx(1 / 3)


# --- RQ3: hand-off days ---------------------------------------------------------------------------------

def _handoffs(**by_direction: dict[str, list[int]]) -> pl.DataFrame:
    rows = [dict(pattern=pattern, direction=direction.replace("_to_", "->"), days=d)
            for direction, patterns in by_direction.items() for pattern, days in patterns.items() for d in days]
    return pl.DataFrame(rows, schema={"pattern": pl.String, "direction": pl.String, "days": pl.Int64})


def test_two_handoffs_make_a_sample_and_one_does_not():
    # A = 1, 2 and B = 3, 4: ranks 1-2 and 3-4, N = 4: H = 12 / (4 * 5) * (3^2 / 2 + 7^2 / 2) - 3 * 5
    # = 0.6 * 29 - 15 = 2.4 with 1 dof: p = erfc(sqrt(1.2)). Dunn: z = (1.5 - 3.5) / sqrt(20 / 12 * 1).
    # C has a single hand-off: left out of every test.
    out = handoff_tests(_handoffs(github_to_hub={"A": [1, 2], "B": [3, 4], "C": [10]}))
    kruskal = out.filter((pl.col("test") == "kruskal") & (pl.col("direction") == "*")).row(0, named=True)
    assert (kruskal["pattern_a"], kruskal["pattern_b"]) == ("*", "*")
    assert kruskal["statistic"] == pytest.approx(2.4)
    assert kruskal["p_value"] == pytest.approx(math.erfc(math.sqrt(1.2)))
    dunn = out.filter((pl.col("test") == "dunn") & (pl.col("direction") == "*"))
    assert dunn.select("pattern_a", "pattern_b").rows() == [("A", "B")]
    z = 2 / math.sqrt(20 / 12)
    assert dunn["p_value"].item() == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert dunn["statistic"].item() is None
    assert "C" not in out["pattern_a"].to_list() + out["pattern_b"].to_list()


def test_two_distinct_values_are_enough_and_one_is_not():
    # A = 1, 1 and B = 2, 2: tied ranks 1.5 and 3.5: H = 2.4 before the tie correction
    # 1 - (2 * (2^3 - 2)) / (4^3 - 4) = 0.8, so H = 3.0, p = erfc(sqrt(1.5)).
    out = handoff_tests(_handoffs(github_to_hub={"A": [1, 1], "B": [2, 2]}))
    kruskal = out.filter((pl.col("test") == "kruskal") & (pl.col("direction") == "*")).row(0, named=True)
    assert kruskal["statistic"] == pytest.approx(3.0)
    assert kruskal["p_value"] == pytest.approx(math.erfc(math.sqrt(1.5)))
    # every hand-off took 3 days: Kruskal-Wallis is undefined, no row
    assert handoff_tests(_handoffs(github_to_hub={"A": [3, 3], "B": [3, 3]})).height == 0


@pytest.mark.parametrize("github_to_hub", [
    {"A": [1, 2]},               # one pattern with hand-offs this way: no test
    {"A": [3, 3], "B": [3, 3]},  # all equal this way: no test
])
def test_a_direction_without_a_test_does_not_stop_the_next(github_to_hub):
    # The directions are walked '*', 'github->hub', 'hub->github'; github->hub has no test, and
    # hub->github (A = 5, 6 and B = 7, 8: two samples of two without ties, H = 2.4 as above) still has.
    out = handoff_tests(_handoffs(github_to_hub=github_to_hub, hub_to_github={"A": [5, 6], "B": [7, 8]}))
    tested = out.filter(pl.col("test") == "kruskal")
    assert sorted(tested["direction"].to_list()) == ["*", "hub->github"]
    hub_first = tested.filter(pl.col("direction") == "hub->github").row(0, named=True)
    assert hub_first["statistic"] == pytest.approx(2.4)


# --- the commits file of `python -m assets.sync.classify` -------------------------------------------------

HEADER = "family_key,platform,repo,committed_at\n"


def _error(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        read_commits(path)
    return str(caught.value)


def test_csv_values_stay_text(tmp_path: Path):
    # a family key of digits is a name, not a number: "007" must not become "7"
    path = tmp_path / "c.csv"
    path.write_text(HEADER + "007,github,0/1,2020-07-01T10:00:00Z\n")
    assert read_commits(path).row(0) == ("007", "github", "0/1", datetime.fromisoformat("2020-07-01T10:00:00+00:00"))


def test_bad_rows_are_named_by_line_with_the_value_read(tmp_path: Path):
    cases = {
        "blank key": ("f,github,o/c,2020-07-01T10:00:00Z\n   ,hub,o/m,2020-07-02T10:00:00Z\n",
                      "line 3: empty family_key"),
        "no key": (",github,o/c,2020-07-01T10:00:00Z\n", "line 2: empty family_key"),
        "no platform": ("f,,o/c,2020-07-01T10:00:00Z\n", "line 2: platform must be 'github' or 'hub' (got None)"),
        "two bad times": ("f,github,o/c,yesterday\nf,hub,o/m,2020-07-02T10:00:00Z\nf,hub,o/m,tomorrow\n",
                          "line 2: committed_at is not an ISO 8601 time with an offset (got 'yesterday'); "
                          "1 more row(s) like it"),
    }
    for name, (body, message) in cases.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(HEADER + body)
        assert _error(path) == f"{path}: {message}", name


def test_parquet_rows_are_counted_from_one(tmp_path: Path):
    # a Parquet file has no header line: its second row is "row 2"
    frame = pl.DataFrame({"family_key": ["f", "f"], "platform": ["github", "hub"], "repo": ["o/c", ""],
                          "committed_at": [datetime(2021, 1, 1), datetime(2021, 3, 1)]}).with_columns(
        pl.col("committed_at").dt.replace_time_zone("UTC"))
    frame.write_parquet(tmp_path / "c.parquet")
    assert _error(tmp_path / "c.parquet") == f"{tmp_path / 'c.parquet'}: row 2: empty repo"


def test_unusable_files_are_named(tmp_path: Path):
    naive = tmp_path / "naive.parquet"
    pl.DataFrame({"family_key": ["f"], "platform": ["github"], "repo": ["o/c"],
                  "committed_at": [datetime(2021, 1, 1)]}).write_parquet(naive)
    assert _error(naive) == f"{naive}: committed_at has no time zone; give ISO 8601 times with an offset"
    text = tmp_path / "c.txt"
    text.write_text(HEADER)
    assert _error(text) == f"{text}: expected a .csv or .parquet file"
    broken = tmp_path / "broken.parquet"
    broken.write_text("not a parquet file")
    message = _error(broken)
    # the reader's own first line of explanation follows the file name
    assert message.startswith(f"{broken}: cannot be read: ") and "parquet" in message.split("cannot be read: ")[1]
    columns = tmp_path / "columns.csv"
    columns.write_text("family_key,committed_at\nf,2020-07-01T10:00:00Z\n")
    assert _error(columns) == f"{columns}: missing column(s) platform, repo"


def test_unknown_arguments_and_a_missing_out_are_refused(tmp_path: Path, capsys):
    path = tmp_path / "c.csv"
    path.write_text(HEADER + "f,github,o/c,2020-07-01T10:00:00Z\n")
    with pytest.raises(SystemExit) as caught:
        main(["--commits", str(path)])
    assert caught.value.code == 2  # argparse's usage error: --out is required
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    assert "(default: day)" in shown and "family-level classification" in shown  # the module's first line


def test_cli_hub_times_exact_and_what_it_prints(tmp_path: Path, capsys):
    # f: GitHub 2020-07-01 12:00, the Hub 14.25 days later. Exact: fortnight 1, no shared period: ASR,
    # github_first. As dates (the default) the Hub commit is 13.5 days later, fortnight 0: CSR.
    # g: Hub only, excluded and named on stderr; the summary goes to stderr too, stdout stays empty.
    path = tmp_path / "c.csv"
    path.write_text(HEADER + "f,github,o/c,2020-07-01T12:00:00Z\nf,hub,o/m,2020-07-15T18:00:00Z\n"
                    "g,hub,p/m,2020-07-15T18:00:00Z\n")
    out = tmp_path / "o.csv"
    assert main(["--commits", str(path), "--out", str(out), "--hub-times", "exact"]) == 0
    assert pl.read_csv(out).select("family_key", "lag", "code").rows() == [("f", "github_first", "ASR")]
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err.splitlines() == ["excluded g: no GitHub commits", f"classified 1 families into {out}"]
    assert main(["--commits", str(path), "--out", str(out)]) == 0
    assert pl.read_csv(out)["code"].to_list() == ["CSR"]


# --- classify(): the family row, hand-offs, variants, the timeline ----------------------------------------

def test_family_row_counts_and_span_by_hand():
    # exact times. GitHub days 0, 20 (fortnights 0, 1); o/a days 1, 29 (0, 2); o/b day 15 (1).
    # first commit day 0, last day 29; periods 0..2, so 3; GitHub periods {0, 1}, Hub {0, 1, 2}.
    # variant ages: o/a 28 days, o/b 0: average 14.
    row = family([0, 20], {"o/a": [1, 29], "o/b": [15]}, options=EXACT).families.row(0, named=True)
    assert (row["first_commit"], row["last_commit"]) == (T0, T0 + timedelta(days=29))
    assert (row["n_github_commits"], row["n_hub_commits"], row["n_variants"]) == (2, 3, 2)
    assert (row["n_periods"], row["n_github_periods"], row["n_hub_periods"]) == (3, 2, 3)
    assert row["average_age_days"] == pytest.approx(14.0)


def test_a_listed_family_without_commits_keeps_its_given_reason():
    rows = commit_rows("f", "github", "o/c", [0]) + commit_rows("f", "hub", "o/m", [1], prefix="m")
    listed = pl.DataFrame({"family_key": ["f", "gone"], "reason": [None, "repository deleted"]})
    out = classify(commits_frame(rows), ClassifyOptions(), NOW, families=listed).families
    gone = out.filter(pl.col("family_key") == "gone").row(0, named=True)
    assert gone["status"] == "excluded"
    assert gone["reason"].startswith("repository deleted")
    assert "no GitHub commits" in gone["reason"] and "no Hub commits" in gone["reason"]
    f = out.filter(pl.col("family_key") == "f").row(0, named=True)
    assert (f["status"], f["reason"]) == ("ok", None)


def test_at_the_same_instant_github_comes_before_the_hub():
    # exact times: GitHub z/code at days 0 and 5, the Hub a/model at day 5. Walked GitHub first at the
    # same instant: G0, G5, H5 -- one hand-off, G5 -> H5, 0 days (by repository name alone, a/model
    # would come first and make two).
    rows = commit_rows("f", "github", "z/code", [0, 5]) + commit_rows("f", "hub", "a/model", [5], prefix="a/model")
    handoffs = classify(commits_frame(rows), EXACT, NOW).handoffs
    assert handoffs.columns == ["family_key", "seq", "source", "target", "prev_repo", "prev_sha", "prev_commit",
                                "next_repo", "next_sha", "next_commit", "days"]
    assert handoffs.rows() == [("f", 1, "github", "hub", "z/code", "github1", T0 + timedelta(days=5),
                                "a/model", "a/modelhub0", T0 + timedelta(days=5), 0)]


def test_longest_shared_run_counts_consecutive_periods_only():
    # GitHub in fortnights 0-3; the variant in 0, 1 and 3: shared 3 periods, the longest run {0, 1} is 2
    measures = family(fortnights(0, 1, 2, 3), {"o/a": fortnights(0, 1, 3)}).variants.row(0, named=True)
    assert (measures["n_shared_periods"], measures["longest_shared_run"]) == (3, 2)


def test_the_future_is_judged_against_each_commits_fetch_time():
    # fetched 10 days after T0 with 1 day of tolerance: a Hub commit dated day 12 is from the future
    # (dropped) although it is long before NOW; the one of day 2 is kept.
    # One dated day 10.5 is within the tolerance: kept.
    rows = commit_rows("f", "github", "o/c", [0, 1]) + commit_rows("f", "hub", "o/m", [2, 10.5, 12], prefix="m")
    for row in rows:
        row["fetched_at"] = T0 + timedelta(days=10)
    out = classify(commits_frame(rows), EXACT, NOW).families.row(0, named=True)
    assert (out["n_hub_commits"], out["n_dropped"]) == (2, 1)


def test_a_commit_listed_twice_counts_once():
    # the same GitHub sha fetched twice (two rows) is one commit
    rows = commit_rows("f", "github", "o/c", [0, 3]) + commit_rows("f", "hub", "o/m", [1], prefix="m")
    out = classify(commits_frame(rows + [dict(rows[1])]), EXACT, NOW).families.row(0, named=True)
    assert out["n_github_commits"] == 2


def test_naive_times_are_taken_as_utc_and_zoned_ones_converted():
    # the same commits with the zone removed classify identically (timeline(): naive means UTC)
    rows = commit_rows("f", "github", "o/c", [0, 20]) + commit_rows("f", "hub", "o/m", [1, 29], prefix="m")
    aware = classify(commits_frame(rows), ClassifyOptions(), NOW).families
    naive = commits_frame(rows).with_columns(
        pl.col("authored_at", "committed_at", "fetched_at").dt.replace_time_zone(None))
    assert classify(naive, ClassifyOptions(), NOW).families.equals(aware)
    assert aware["first_commit"].item() == T0
    # and times in another zone (as DuckDB may return them) are the same instants
    tokyo = commits_frame(rows).with_columns(
        pl.col("authored_at", "committed_at", "fetched_at").dt.convert_time_zone("Asia/Tokyo"))
    assert classify(tokyo, ClassifyOptions(), NOW).families.equals(aware)


def test_same_instant_variants_are_walked_in_repository_order():
    # exact times: GitHub at day 0, then two variants at day 5 whose shas sort the other way round.
    # The walk orders ties by repository, then sha: the hand-off goes to a/m.
    rows = (commit_rows("f", "github", "o/c", [0]) + commit_rows("f", "hub", "b/m", [5], prefix="1")
            + commit_rows("f", "hub", "a/m", [5], prefix="2"))
    handoffs = classify(commits_frame(rows), EXACT, NOW).handoffs
    assert handoffs.select("next_repo", "next_sha").rows() == [("a/m", "2hub0")]


def test_options_name_the_bad_value():
    with pytest.raises(ValueError, match="hub_times must be 'day' or 'exact', got 'minute'"):
        ClassifyOptions(hub_times="minute")


def test_timeline_counts_dropped_commits_per_platform_and_repository():
    old = datetime(1999, 6, 1, tzinfo=UTC)  # before ClassifyOptions.earliest (2000)
    rows = commit_rows("f", "github", "o/c", [0]) + commit_rows("f", "hub", "o/m", [1], prefix="m")
    rows += [dict(rows[0], sha="old-gh", committed_at=old, authored_at=old),
             dict(rows[1], sha="old-hub", committed_at=old, authored_at=old)]
    _, dropped = timeline(commits_frame(rows), ClassifyOptions(), NOW)
    assert dropped.sort("platform").select("family_key", "platform", "repo", "n_dropped").rows() == [
        ("f", "github", "o/c", 1), ("f", "hub", "o/m", 1)]
    with pytest.raises(ValueError, match="commits lack column\\(s\\) committed_at"):
        timeline(commits_frame(rows).drop("committed_at", "authored_at"), ClassifyOptions(), NOW)
