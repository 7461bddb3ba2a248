"""Every pattern from a hand-built pair, both sides of every threshold, and the issue's bad input."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from assets.sync.pairs import compute_pairs
from assets.sync.patterns import PATTERN_NAMES, dimension_exprs, pattern_expr
from assets.sync.thresholds import SyncThresholds
from tests.sync.conftest import EMPTY_LABELS, GH, NOW, commit_rows, commits_frame

EVERY_10 = [10 * i for i in range(19)]  # GitHub every 10 days, day 0..180
EVERY_20 = [20 * i for i in range(10)]


@pytest.mark.parametrize(
    ("gh_days", "hub_days", "pattern", "expect"),
    [
        ([0, 10, 20, 30], [0, 10, 20, 30], "Frequent synchronization",
         dict(sync_type="full", intensity="frequent", leader="together", lag_class="short")),
        ([0, 15, 30, 45, 60, 75, 90, 100], [0, 100], "Steady synchronization",
         dict(sync_type="full", intensity="sporadic", lag_class="short")),
        ([0, 50, 100], [12, 62, 100], "Delayed synchronization",
         dict(sync_type="full", intensity="sporadic", leader="github", first_mover="github", lag_class="long",
              lag_days=12.0)),
        ([0, 50, 100], [45, 50, 55], "Clustered synchronization",
         dict(sync_type="partial", intensity="frequent")),
        ([0, 50, 100], [60, 160], "Disperse synchronization",
         dict(sync_type="partial", intensity="rare", leader="github", lag_class="long", lag_days=35.0)),
        (EVERY_10, [100, 102, 400], "Sparse synchronization",
         dict(sync_type="partial", intensity="rare", leader="github", lag_class="short", lag_days=2.0)),
        (EVERY_20, [100, 102, 400], "Sparse synchronization",
         dict(sync_type="partial", intensity="sporadic", lag_class="short")),
        ([0, 3, 9], [12, 20, 25], "Sporadic disjoint synchronization",
         dict(sync_type="none", intensity="sporadic", first_mover="github")),
        ([0, 10], [30, 40], "Rare disjoint synchronization", dict(sync_type="none", intensity="rare")),
    ],
)
def test_each_pattern_from_a_hand_built_pair(classify, gh_days, hub_days, pattern, expect):
    row = classify(gh_days, hub_days)
    assert row["status"] == "ok"
    assert row["pattern"] == pattern
    assert {k: row[k] for k in expect} == expect


def test_the_eight_patterns_are_distinct_and_all_reachable():
    assert len(set(PATTERN_NAMES)) == 8
    named_by_the_paper = {"Disperse synchronization", "Sparse synchronization", "Frequent synchronization",
                          "Rare disjoint synchronization", "Sporadic disjoint synchronization"}
    assert named_by_the_paper <= set(PATTERN_NAMES)


def _levels(**values: float) -> dict:
    frame = pl.DataFrame({"lag_days": [0.0], "overlap": [0.5], "co_change_share": [0.3]}).with_columns(
        [pl.lit(v).alias(k) for k, v in values.items()]
    )
    return frame.with_columns(dimension_exprs(SyncThresholds())).with_columns(pattern_expr()).row(0, named=True)


@pytest.mark.parametrize(
    ("values", "column", "level"),
    [
        (dict(overlap=0.8), "sync_type", "full"),
        (dict(overlap=0.7999), "sync_type", "partial"),
        (dict(overlap=1e-6), "sync_type", "partial"),
        (dict(overlap=0.0), "sync_type", "none"),
        (dict(co_change_share=0.5), "intensity", "frequent"),
        (dict(co_change_share=0.4999), "intensity", "sporadic"),
        (dict(co_change_share=0.2), "intensity", "sporadic"),
        (dict(co_change_share=0.1999), "intensity", "rare"),
        (dict(lag_days=7.0), "lag_class", "short"),
        (dict(lag_days=7.0001), "lag_class", "long"),
        (dict(lag_days=-7.0001), "lag_class", "long"),
        (dict(lag_days=1.0), "leader", "together"),
        (dict(lag_days=-1.0), "leader", "together"),
        (dict(lag_days=1.0001), "leader", "github"),
        (dict(lag_days=-1.0001), "leader", "hub"),
    ],
)
def test_both_sides_of_each_threshold(values, column, level):
    assert _levels(**values)[column] == level


@pytest.mark.parametrize(
    ("values", "pattern"),
    [
        (dict(overlap=0.8, co_change_share=0.5), "Frequent synchronization"),
        (dict(overlap=0.7999, co_change_share=0.5), "Clustered synchronization"),
        (dict(overlap=0.8, co_change_share=0.4999, lag_days=7.0), "Steady synchronization"),
        (dict(overlap=0.8, co_change_share=0.4999, lag_days=7.0001), "Delayed synchronization"),
        (dict(overlap=0.5, co_change_share=0.3, lag_days=-7.0001), "Disperse synchronization"),
        (dict(overlap=0.5, co_change_share=0.4999, lag_days=7.0), "Sparse synchronization"),
        (dict(overlap=0.5, co_change_share=0.1999, lag_days=7.0), "Sparse synchronization"),
        (dict(overlap=0.0, co_change_share=0.2, lag_days=0.0), "Sporadic disjoint synchronization"),
        (dict(overlap=0.0, co_change_share=0.1999, lag_days=0.0), "Rare disjoint synchronization"),
    ],
)
def test_pattern_boundaries(values, pattern):
    assert _levels(**values)["pattern"] == pattern


def test_co_change_window_is_inclusive(classify):
    seven = 7.0
    inside = classify([0, 100], [seven, 100])
    outside = classify([0, 100], [seven + 1 / 86_400, 100])
    assert inside["co_change_share"] == 1.0
    assert outside["co_change_share"] == 0.5


def test_thresholds_are_configurable(classify):
    assert classify([0, 50, 100], [60, 160])["pattern"] == "Disperse synchronization"
    wide = SyncThresholds(window_days=70, long_lag_days=40)
    assert classify([0, 50, 100], [60, 160], wide)["pattern"] == "Clustered synchronization"


def test_invalid_thresholds_are_rejected():
    with pytest.raises(ValueError, match="sporadic_share"):
        SyncThresholds(sporadic_share=0.6, frequent_share=0.5)


def test_hub_moving_first_gives_negative_lag(classify):
    row = classify([30, 60, 90], [0, 20, 50, 80])
    assert row["leader"] == "hub" and row["lag_days"] < 0 and row["first_mover"] == "hub"
    assert classify([0.1], [0.2])["first_mover"] == "same day"


def test_identical_timestamps_are_fully_synchronized(classify):
    row = classify([5, 5, 5], [5, 5])
    assert row["pattern"] == "Frequent synchronization"
    assert row["lag_days"] == 0 and row["n_github_commits"] == 3 and row["n_hub_commits"] == 2


def _pairs(*variants: str, github: str | None = GH) -> pl.DataFrame:
    return pl.DataFrame({"family_key": ["f"] * len(variants), "github_repo": [github] * len(variants),
                         "hub_repo": list(variants)}, schema={"family_key": pl.String, "github_repo": pl.String,
                                                               "hub_repo": pl.String})


def test_missing_side_is_excluded_with_reason_not_a_crash():
    rows = commit_rows("f", "github", GH, [0, 1]) + commit_rows("f", "hub", "org/a", [3])
    out, _ = compute_pairs(_pairs("org/a", "org/empty"), commits_frame(rows), EMPTY_LABELS, SyncThresholds(), NOW)
    by_repo = {r["hub_repo"]: r for r in out.iter_rows(named=True)}
    assert by_repo["org/a"]["status"] == "ok"
    assert by_repo["org/empty"]["status"] == "excluded"
    assert by_repo["org/empty"]["reason"] == "no Hub commits" and by_repo["org/empty"]["pattern"] is None

    hub_only = commit_rows("f", "hub", "org/a", [3])
    out, _ = compute_pairs(_pairs("org/a"), commits_frame(hub_only), EMPTY_LABELS, SyncThresholds(), NOW)
    assert out.row(0, named=True)["reason"] == "no GitHub commits"
    out, _ = compute_pairs(_pairs("org/a", github=None), commits_frame(hub_only), EMPTY_LABELS, SyncThresholds(), NOW)
    assert out.row(0, named=True)["reason"] == "no upstream GitHub repository linked"


def test_other_time_zones_are_compared_in_utc():
    rows = commit_rows("f", "github", GH, [0]) + commit_rows("f", "hub", "org/a", [0.5])
    utc = commits_frame(rows)
    plus7 = utc.with_columns(pl.col("committed_at", "authored_at").dt.convert_time_zone("Asia/Jakarta"))
    naive = utc.with_columns(pl.col("committed_at", "authored_at").dt.replace_time_zone(None))
    results = [compute_pairs(_pairs("org/a"), frame, EMPTY_LABELS, SyncThresholds(), NOW)[0]
               for frame in (utc, plus7, naive)]
    assert results[0]["lag_days"].item() == 0.5
    assert results[0].equals(results[1]) and results[0].equals(results[2])


def test_commits_from_the_future_or_without_time_are_dropped_and_recorded():
    rows = commit_rows("f", "github", GH, [0, 10]) + commit_rows("f", "hub", "org/a", [1, 11])
    rows.append(dict(rows[-1], sha="future", committed_at=NOW + timedelta(days=30), authored_at=NOW + timedelta(days=30)))
    rows.append(dict(rows[-1], sha="undated", committed_at=None, authored_at=None))
    out, timeline = compute_pairs(_pairs("org/a"), commits_frame(rows), EMPTY_LABELS, SyncThresholds(), NOW)
    row = out.row(0, named=True)
    assert row["status"] == "ok" and row["n_hub_commits"] == 2 and row["n_dropped"] == 2
    assert "dropped 2 commit(s)" in row["reason"]
    assert "future" not in timeline["sha"].to_list()


def test_authored_time_is_used_when_commit_time_is_missing(classify):
    rows = commit_rows("f", "github", GH, [0]) + commit_rows("f", "hub", "org/a", [20])
    rows[1] = dict(rows[1], committed_at=None)
    out, _ = compute_pairs(_pairs("org/a"), commits_frame(rows), EMPTY_LABELS, SyncThresholds(), NOW)
    assert out["lag_days"].item() == 20.0


def test_a_github_repo_shared_by_hundreds_of_variants():
    variants = [f"org/v{i}" for i in range(300)]
    rows = commit_rows("f", "github", GH, EVERY_10)
    for i, v in enumerate(variants):
        rows += commit_rows("f", "hub", v, [i % 200, 300], prefix=v)
    out, timeline = compute_pairs(_pairs(*variants), commits_frame(rows), EMPTY_LABELS, SyncThresholds(), NOW)
    assert out.height == 300 and (out["status"] == "ok").all()
    assert out["pattern"].is_in(PATTERN_NAMES).all()
    assert timeline.filter(pl.col("platform") == "github").height == 300 * len(EVERY_10)


def test_a_family_with_a_single_variant(classify):
    assert classify([0], [0])["pattern"] == "Frequent synchronization"


def test_only_the_familys_own_github_repo_is_paired():
    """A family may hold commits of a second GitHub repository (a replay families file allows it);
    only ``core.families.github_repo`` is the pair's upstream, and a sha both repositories share
    must not give the timeline two rows with one key."""
    other = "owner/fork"
    rows = commit_rows("f", "github", GH, [0, 10]) + commit_rows("f", "hub", "org/a", [1, 11])
    rows += commit_rows("f", "github", other, [0, 50, 100])  # shas github0, github1 repeat GH's
    rows.append(dict(rows[-1], sha="undated", committed_at=None, authored_at=None))
    out, timeline = compute_pairs(_pairs("org/a"), commits_frame(rows), EMPTY_LABELS, SyncThresholds(), NOW)
    row = out.row(0, named=True)
    assert row["n_github_commits"] == 2 and row["n_dropped"] == 0
    assert set(timeline.filter(pl.col("platform") == "github")["repo"]) == {GH}
    assert not timeline.select("family_key", "hub_repo", "platform", "sha").is_duplicated().any()  # the primary key
