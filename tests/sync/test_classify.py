"""The family-level rules of arXiv:2508.10157 (RQ2), each checked on a timeline drawn by hand.

Expected verdicts are read off the rules in PAPERS.md section 1 / the package's RQ2 notebook, period
by period, not from the code: e.g. GitHub active in fortnights {0, 1, 2} and the only variant in
{0, 1} is CS (subset), R (2 periods <= 3), hence CSR, "Rare Synchronization".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from assets.sync.classify import ClassifyOptions, classify
from tests.sync.conftest import NOW, T0, commit_rows, commits_frame, family, fortnights, verdict


def test_period_is_whole_days_since_the_first_commit_over_14():
    # first commit at T0 (GitHub, noon); a GitHub commit 13 days 23 h later is still fortnight 0,
    # one at exactly 14 days is fortnight 1.
    periods = family([0, 13 + 23 / 24, 14], {"o/v": [1]}).periods
    github = periods.filter(pl.col("platform") == "github").sort("period")
    assert github.select("period", "n_commits").rows() == [(0, 2), (1, 1)]
    assert github["period_start"].to_list()[1] == T0 + timedelta(days=14)


def test_hub_times_are_dates_as_in_the_package_unless_exact_is_asked():
    # GitHub first at T0 (noon). A Hub commit at day 14 + 6 h is 14.25 days later (fortnight 1) with
    # exact times, but its date (day 14, 00:00) is 13.5 days later: fortnight 0, shared with GitHub.
    hub = {"o/v": [14.25]}
    assert verdict([0], hub)["lag"] == "simultaneous"
    exact = verdict([0], hub, options=ClassifyOptions(hub_times="exact"))
    assert (exact["lag"], exact["sync_type"]) == ("github_first", "AS")


@pytest.mark.parametrize(("github", "hub", "lag"), [
    (fortnights(0, 3), fortnights(0, 3), "simultaneous"),
    (fortnights(0, 3), fortnights(2, 3), "github_first"),
    (fortnights(2, 3), fortnights(0, 3), "hub_first"),
])
def test_lag_is_who_is_active_in_period_0(github, hub, lag):
    assert verdict(github, {"o/v": hub})["lag"] == lag


def test_complete_when_every_variant_stays_inside_githubs_periods():
    # two variants, all their fortnights ({0, 2} and {2}) are GitHub fortnights ({0, 1, 2})
    row = verdict(fortnights(0, 1, 2), {"o/a": fortnights(0, 2), "o/b": fortnights(2)})
    assert (row["sync_type"], row["intensity"], row["code"], row["pattern"]) == (
        "CS", "R", "CSR", "Rare Synchronization")


def test_one_period_outside_github_makes_it_partial():
    row = verdict(fortnights(0, 1, 2), {"o/a": fortnights(0, 2), "o/b": fortnights(5)})
    assert row["sync_type"] == "PS"


def test_overlap_wins_over_variant_dominance():
    # 3 fortnights each with 3 variants (would be VS), but one variant fortnight is GitHub's: PS first
    variants = {f"o/{v}": fortnights(4, 6, 8) for v in "abc"} | {"o/d": fortnights(0)}
    assert verdict(fortnights(0), variants)["sync_type"] == "PS"


@pytest.mark.parametrize(("variants", "expected"), [
    ({f"o/{v}": fortnights(4, 6, 8) for v in "abc"}, "VS"),  # 3 fortnights x 3 variants
    ({f"o/{v}": fortnights(4, 6) for v in "abc"}, "AS"),  # only 2 such fortnights
    ({f"o/{v}": fortnights(4, 6, 8) for v in "ab"}, "AS"),  # only 2 variants in each
])
def test_variant_dominated_needs_three_periods_with_three_variants(variants, expected):
    assert verdict(fortnights(0), variants)["sync_type"] == expected


def test_rare_when_every_variant_has_at_most_three_periods_even_with_overlap():
    # each variant 3 fortnights, all shared with GitHub: still R (the R rule comes first)
    row = verdict(fortnights(*range(10)), {"o/a": fortnights(0, 1, 2), "o/b": fortnights(3, 4, 5)})
    assert row["code"] == "CSR"


def test_frequent_needs_a_run_of_five_consecutive_shared_periods_in_one_variant():
    github = fortnights(*range(12))
    assert verdict(github, {"o/a": fortnights(0, 1, 2, 3, 4)})["code"] == "CSF"
    assert verdict(github, {"o/a": fortnights(0, 1, 2, 3, 5)})["code"] == "CSS"  # gap: runs of 4 and 1
    # 4 + 1 consecutive shared fortnights split across two variants is not a run of 5
    assert verdict(github, {"o/a": fortnights(0, 1, 2, 3), "o/b": fortnights(4, 8)})["code"] == "CSS"
    # the run must be shared: 5 consecutive variant fortnights with GitHub silent in one of them
    assert verdict(fortnights(0, 1, 3, 4), {"o/a": fortnights(0, 1, 2, 3, 4)})["code"] == "PSS"


@pytest.mark.parametrize(("github", "variants", "code", "pattern"), [
    (fortnights(*range(6)), {"o/a": fortnights(*range(5))}, "CSF", "Frequent Synchronization"),
    (fortnights(*range(6)), {"o/a": fortnights(0, 2, 4, 5)}, "CSS", "Intermittent Synchronization"),
    (fortnights(*range(6)), {"o/a": fortnights(0, 2)}, "CSR", "Rare Synchronization"),
    (fortnights(*range(6)), {"o/a": fortnights(*range(5), 9)}, "PSF", "Dense Partial Synchronization"),
    (fortnights(0, 1), {"o/a": fortnights(0, 4, 6, 8)}, "PSS", "Disperse Synchronization"),
    (fortnights(0, 1), {"o/a": fortnights(0, 4)}, "PSR", "Sparse Synchronization"),
    (fortnights(0), {"o/a": fortnights(3, 5, 7, 9)}, "ASS", "Sporadic Disjoint Synchronization"),
    (fortnights(0), {f"o/{v}": fortnights(3, 5, 7, 9) for v in "abc"}, "VSS", "Sporadic Disjoint Synchronization"),
    (fortnights(0), {"o/a": fortnights(3, 5)}, "ASR", "Rare Disjoint Synchronization"),
    (fortnights(0), {f"o/{v}": fortnights(3, 5, 7) for v in "abc"}, "VSR", "Rare Disjoint Synchronization"),
])
def test_every_code_has_the_papers_name(github, variants, code, pattern):
    row = verdict(github, variants)
    assert (row["code"], row["pattern"], row["status"]) == (code, pattern, "ok")


def test_a_family_with_commits_on_one_platform_is_excluded_with_the_reason():
    rows = commit_rows("hub-only", "hub", "o/v", [0, 20]) + commit_rows("gh-only", "github", "o/c", [0])
    out = classify(commits_frame(rows), ClassifyOptions(), NOW,
                   families=pl.DataFrame({"family_key": ["hub-only", "gh-only", "empty"]})).families
    got = {r["family_key"]: (r["status"], r["reason"], r["pattern"]) for r in out.iter_rows(named=True)}
    assert got == {"hub-only": ("excluded", "no GitHub commits", None),
                   "gh-only": ("excluded", "no Hub commits", None),
                   "empty": ("excluded", "no GitHub commits; no Hub commits", None)}


def test_implausible_dates_are_dropped_and_counted():
    rows = commit_rows("f", "github", "o/c", [0, 14]) + commit_rows("f", "hub", "o/v", [1])
    epoch = dict(rows[0], sha="epoch", authored_at=datetime(1970, 1, 1, tzinfo=UTC),
                 committed_at=datetime(1970, 1, 1, tzinfo=UTC))
    future = dict(rows[0], sha="future", committed_at=NOW + timedelta(days=3), authored_at=NOW + timedelta(days=3))
    row = classify(commits_frame([*rows, epoch, future]), ClassifyOptions(), NOW).families.row(0, named=True)
    # without the 1970 commit, period 0 starts at T0: GitHub {0, 1}, Hub {0}: CSR, No Lag
    assert (row["n_dropped"], row["n_github_commits"], row["code"], row["lag"]) == (2, 2, "CSR", "simultaneous")
    assert "dropped 2 commit(s)" in row["reason"]


def test_handoffs_are_every_switch_of_platform_with_whole_days_between():
    # GitHub day 0 (noon), Hub day 3 -> date day 3 00:00 (2.5 d later: 2 whole days), Hub day 4, GitHub day 10
    # (noon; 6.5 d after the Hub's day-4 date: 6), GitHub day 11: two switches.
    out = family([0, 10, 11], {"o/v": [3, 4]}).handoffs
    assert out.select("seq", "source", "target", "days").rows() == [(1, "github", "hub", 2), (2, "hub", "github", 6)]
    first = out.row(0, named=True)
    assert (first["prev_commit"], first["next_commit"]) == (T0, T0.replace(hour=0) + timedelta(days=3))


def test_early_and_late_histories_are_classified_apart():
    # span day 0..100 (GitHub noon to noon), split at day 50. Early: GitHub fortnights {0, 1}, Hub {0}:
    # CSR, No Lag. Late: the Hub's day-60 date starts it, GitHub's day 100 is 40.5 days on (fortnight 2):
    # Hub first, no overlap, 1 fortnight: ASR.
    row = verdict([0, 14, 100], {"o/v": [1, 60]})
    assert row["split_at"] == T0 + timedelta(days=50)
    assert (row["early_code"], row["early_lag"], row["early_pattern"]) == ("CSR", "simultaneous",
                                                                          "Rare Synchronization")
    assert (row["late_code"], row["late_lag"], row["late_pattern"]) == ("ASR", "hub_first",
                                                                       "Rare Disjoint Synchronization")
    # a late history with one platform only has no pattern
    assert verdict([0, 14], {"o/v": [1, 60, 100]})["late_pattern"] is None
    assert verdict([0, 14, 100], {"o/v": [1, 60]}, options=ClassifyOptions(early_share=0.1))["split_at"] == (
        T0 + timedelta(days=10))


def test_variant_measures_explain_the_code():
    measures = family(fortnights(*range(6)), {"o/a": fortnights(*range(5), 9), "o/b": fortnights(1)}).variants
    a = measures.filter(pl.col("hub_repo") == "o/a").row(0, named=True)
    assert (a["n_periods"], a["n_shared_periods"], a["longest_shared_run"], a["age_days"]) == (6, 5, 5, 126)


def test_the_papers_worked_example_is_disperse_upstream_first():
    """cahya_bert (PAPERS.md section 1): its real upstream history and the variant's Hub days, as vendored
    for the demo, classify as the package did: PSS, Upstream First, Disperse Synchronization."""
    import csv
    import gzip
    import json
    from pathlib import Path

    data = Path(__file__).resolve().parents[2] / "localapi" / "sample" / "data"
    history = json.loads(gzip.decompress(
        (data / "cahya-wirawan__indonesian-language-models.commits.json.gz").read_bytes()))["commits"]
    with open(data / "cahya__bert-base-indonesian-522M.hub_days.csv", newline="") as f:
        days = [row["day"] for row in csv.DictReader(f)]
    commits = pl.DataFrame({
        "family_key": "cahya_bert", "platform": ["github"] * len(history) + ["hub"] * len(days),
        "repo": ["cahya-wirawan/indonesian-language-models"] * len(history) + ["cahya/bert-base-indonesian-522M"] * len(days),
        "committed_at": [datetime.fromisoformat(c["committer"]["date"]).astimezone(UTC) for c in history]
        + [datetime.fromisoformat(d).replace(tzinfo=UTC) for d in days],
    })
    row = classify(commits, ClassifyOptions(), NOW).families.row(0, named=True)
    assert (row["code"], row["lag"], row["pattern"]) == ("PSS", "github_first", "Disperse Synchronization")
