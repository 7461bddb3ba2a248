"""The leaderboard (assets/gems/leaderboard.py) row by row and its chart, for the gaps mutation
testing found (docs/mutation.md): every column of a small board worked out by hand (Wilson
intervals and the one-sided z-test computed here from their textbook formulas, a second method),
each gem reason's exact text, the shares counted over the right rows, the best popular candidate,
and what the accuracy-versus-downloads chart draws."""

from __future__ import annotations

import math

import polars as pl
import pytest

from assets.gems.leaderboard import accuracy_vs_downloads, build_leaderboard

Z95 = 1.959963984540054


def wilson(correct: int, n: int) -> tuple[float, float]:
    """Wilson's score interval at 95%, from its formula."""
    p = correct / n
    centre = (p + Z95 ** 2 / (2 * n)) / (1 + Z95 ** 2 / n)
    half = Z95 / (1 + Z95 ** 2 / n) * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n ** 2))
    return centre - half, centre + half


def one_sided_p(a: int, an: int, b: int, bn: int) -> float:
    """P(A better than B), pooled two-proportion z-test, from the normal tail 0.5 erfc(z / sqrt 2)."""
    pooled = (a + b) / (an + bn)
    z = (a / an - b / bn) / math.sqrt(pooled * (1 - pooled) * (1 / an + 1 / bn))
    return 0.5 * math.erfc(z / math.sqrt(2))


def build(rows: list[tuple[str, int | None, int, int]], failures: dict[str, str] | None = None,
          picks: list[tuple[str, str]] = (), **kw) -> pl.DataFrame:
    """rows: (repo_id, downloads, correct, queries); a row with 0 queries has no scores row."""
    candidates = pl.DataFrame({"repo_id": [r[0] for r in rows], "sha": [f"sha-{r[0]}" for r in rows],
                               "downloads": [r[1] for r in rows], "likes": list(range(len(rows)))},
                              schema={"repo_id": pl.String, "sha": pl.String, "downloads": pl.Int64,
                                      "likes": pl.Int64})
    scores = pl.DataFrame({"repo_id": [r[0] for r in rows if r[3]], "queries": [r[3] for r in rows if r[3]],
                           "correct": [r[2] for r in rows if r[3]]},
                          schema={"repo_id": pl.String, "queries": pl.Int64, "correct": pl.Int64})
    fails = pl.DataFrame({"repo_id": list((failures or {})), "reason": list((failures or {}).values())},
                         schema={"repo_id": pl.String, "reason": pl.String})
    picked = pl.DataFrame({"strategy": [s for s, _ in picks], "pick": [p for _, p in picks]},
                          schema={"strategy": pl.String, "pick": pl.String})
    return build_leaderboard(candidates, scores, fails, picked, **kw)


def by_id(frame: pl.DataFrame) -> dict[str, dict]:
    return {r["repo_id"]: r for r in frame.iter_rows(named=True)}


def test_every_column_of_a_small_board():
    """pop/m is the most downloaded (1 popular of 4 listed: ceil(1% x 4) = 1); rare/m 80/100 beats it
    (z = 0.30 / sqrt(.65 x .35 x 2/100) = 4.45) and nothing beats rare/m; mid/m 45/100 is beaten by
    rare/m only (against pop/m z = 0.708, p = 0.24); broken/m failed; idle/m has neither answers nor
    a failure and is left out. 3 evaluated: the top 1% is ceil(0.03) = 1 model."""
    board = build([("pop/m", 1000, 50, 100), ("rare/m", 3, 80, 100), ("mid/m", 10, 45, 100),
                   ("broken/m", 50, 0, 0), ("idle/m", 7, 0, 0)],
                  failures={"broken/m": "no weights"},
                  picks=[("halving", "rare/m"), ("adaptive", "rare/m"), ("adaptive", "pop/m")])
    assert board.columns == ["repo_id", "revision", "downloads", "likes", "queries", "correct", "failure_reason",
                             "status", "accuracy", "ci_low", "ci_high", "rank_downloads", "popular",
                             "rank_performance", "p_vs_popular", "top_performance", "hidden_gem", "gem_reason",
                             "picked_by"]
    assert board["repo_id"].to_list() == ["rare/m", "pop/m", "mid/m", "broken/m"]  # by performance, failed last
    for column in ("queries", "correct", "rank_downloads", "rank_performance"):
        assert board.schema[column] == pl.Int32
    rows = by_id(board)
    p_rare = one_sided_p(80, 100, 50, 100)
    assert p_rare == pytest.approx(4.3e-6, rel=0.05)
    expected = {
        "rare/m": dict(revision="sha-rare/m", downloads=3, likes=1, queries=100, correct=80, failure_reason=None,
                       status="evaluated", accuracy=0.8, rank_downloads=4, popular=False, rank_performance=1,
                       top_performance=True, hidden_gem=True, picked_by=["adaptive", "halving"],
                       gem_reason=f"hidden gem: rank 4 by downloads (outside the top 1), in the top 1 by performance, "
                                  f"better than pop/m (p = {p_rare:.3g})"),
        "pop/m": dict(revision="sha-pop/m", downloads=1000, likes=0, queries=100, correct=50, failure_reason=None,
                      status="evaluated", accuracy=0.5, rank_downloads=1, popular=True, rank_performance=2,
                      top_performance=False, hidden_gem=False, picked_by=["adaptive"],
                      gem_reason="not a gem: popular (rank 1 by downloads, top 1)"),
        "mid/m": dict(revision="sha-mid/m", downloads=10, likes=2, queries=100, correct=45, failure_reason=None,
                      status="evaluated", accuracy=0.45, rank_downloads=3, popular=False, rank_performance=3,
                      top_performance=False, hidden_gem=False, picked_by=None,
                      gem_reason="not a gem: 1 candidates are significantly better, so it is not in the top 1 "
                                 "by performance"),
        "broken/m": dict(revision="sha-broken/m", downloads=50, likes=3, queries=0, correct=0,
                         failure_reason="no weights", status="failed", accuracy=None, rank_downloads=2, popular=False,
                         rank_performance=None, top_performance=False, hidden_gem=False, picked_by=None,
                         gem_reason="not a gem: evaluation failed (no weights)"),
    }
    for repo, values in expected.items():
        row = rows[repo]
        assert {k: row[k] for k in values} == values, repo
    for repo, (c, n) in {"rare/m": (80, 100), "pop/m": (50, 100), "mid/m": (45, 100)}.items():
        assert (rows[repo]["ci_low"], rows[repo]["ci_high"]) == pytest.approx(wilson(c, n), abs=1e-9)
    assert (rows["broken/m"]["ci_low"], rows["broken/m"]["ci_high"], rows["broken/m"]["p_vs_popular"]) == (
        None, None, None)
    assert rows["rare/m"]["p_vs_popular"] == pytest.approx(p_rare, rel=1e-6)
    assert rows["pop/m"]["p_vs_popular"] == pytest.approx(0.5)  # no difference with itself
    assert rows["mid/m"]["p_vs_popular"] == pytest.approx(one_sided_p(45, 100, 50, 100), rel=1e-6)


def test_not_significantly_better_than_the_popular_one_says_p_and_alpha():
    """55/100 against 50/100: pooled .525, se = sqrt(.525 x .475 x 2/100) = .07062, z = 0.7080, one-sided
    p = 0.2395 (0.23948: printed 0.239)."""
    rows = by_id(build([("pop/m", 1000, 50, 100), ("rare/m", 3, 55, 100)]))
    assert rows["rare/m"]["top_performance"] and not rows["rare/m"]["hidden_gem"]
    assert rows["rare/m"]["gem_reason"] == ("not a gem: not significantly better than the best popular candidate "
                                            "pop/m (p = 0.239, alpha 0.05)")
    # at alpha 0.3 the same p is significant: a gem
    loose = by_id(build([("pop/m", 1000, 50, 100), ("rare/m", 3, 55, 100)], alpha=0.3))
    assert loose["rare/m"]["hidden_gem"]
    assert loose["rare/m"]["gem_reason"] == ("hidden gem: rank 2 by downloads (outside the top 1), in the top 1 by "
                                             "performance, better than pop/m (p = 0.239)")


def test_a_p_value_equal_to_alpha_is_not_significant():
    from assets.gems.stats import better_p_value

    p = better_p_value(55, 100, 50, 100)
    rows = by_id(build([("pop/m", 1000, 50, 100), ("rare/m", 3, 55, 100)], alpha=p))
    assert rows["rare/m"]["p_vs_popular"] == p and not rows["rare/m"]["hidden_gem"]
    assert rows["rare/m"]["gem_reason"].startswith("not a gem: not significantly better")


def test_alpha_also_decides_which_models_are_significantly_better():
    """80/100 vs 70/100: pooled .75, se = sqrt(.75 x .25 x 2/100) = .0612, z = 1.63, p = 0.051: not
    significant at 0.05, so both are in the top; at 0.06 a.m beats b.m, which leaves the top 1."""
    rows = [("pop/m", 1000, 10, 100), ("a/m", 3, 80, 100), ("b/m", 2, 70, 100)]
    assert one_sided_p(80, 100, 70, 100) == pytest.approx(0.0512, abs=5e-4)
    strict = by_id(build(rows))
    assert strict["b/m"]["top_performance"] and strict["b/m"]["hidden_gem"]
    loose = by_id(build(rows, alpha=0.06))
    assert not loose["b/m"]["top_performance"] and loose["a/m"]["hidden_gem"]
    assert loose["b/m"]["gem_reason"].startswith("not a gem: 1 candidates are significantly better")


def test_the_top_share_counts_evaluated_candidates_only():
    """3 evaluated and 2 failed, top_share 0.25: ceil(0.75) = 1 model in the top (counting the
    failed ones too would give ceil(1.25) = 2). b.m is beaten by a.m only (90/100 vs 60/100)."""
    rows = [("pop/m", 1000, 10, 100), ("a/m", 3, 90, 100), ("b/m", 2, 60, 100), ("x/m", 5, 0, 0), ("y/m", 4, 0, 0)]
    fails = {"x/m": "oom", "y/m": "oom"}
    board = by_id(build(rows, failures=fails, top_share=0.25))
    assert not board["b/m"]["top_performance"]
    assert board["b/m"]["gem_reason"] == ("not a gem: 1 candidates are significantly better, so it is not in the "
                                          "top 1 by performance")
    # top_share 0.5: ceil(1.5) = 2, so one model better is still inside the top
    assert by_id(build(rows, failures=fails, top_share=0.5))["b/m"]["top_performance"]


def test_the_popular_share_counts_every_listed_candidate():
    """3 listed (one failed), popular_share 0.5: ceil(1.5) = 2 popular, the failed one among them."""
    board = by_id(build([("pop/m", 1000, 50, 100), ("fail/m", 500, 0, 0), ("rare/m", 3, 90, 100)],
                        failures={"fail/m": "oom"}, popular_share=0.5))
    assert [board[r]["popular"] for r in ("pop/m", "fail/m", "rare/m")] == [True, True, False]
    assert board["pop/m"]["gem_reason"] == "not a gem: popular (rank 1 by downloads, top 2)"
    assert board["rare/m"]["gem_reason"].startswith("hidden gem: rank 3 by downloads (outside the top 2)")


def test_the_best_popular_candidate_is_the_most_accurate_evaluated_popular_one():
    """Two popular (popular_share 0.5 of 4): the failed most-downloaded one is skipped, and of the
    other two popular ones the more accurate (70/100) is the one compared with."""
    rows = [("top/m", 5000, 0, 0), ("p1/m", 1000, 40, 100), ("p2/m", 900, 70, 100), ("rare/m", 3, 95, 100)]
    board = by_id(build(rows, failures={"top/m": "gated"}, popular_share=0.5))
    assert [board[r]["popular"] for r in ("top/m", "p1/m", "p2/m", "rare/m")] == [True, True, False, False]
    # ceil(0.5 x 4) = 2 popular: top/m (failed) and p1/m; so the best evaluated popular one is p1/m
    assert board["rare/m"]["p_vs_popular"] == pytest.approx(one_sided_p(95, 100, 40, 100), rel=1e-6)
    board = by_id(build(rows, failures={"top/m": "gated"}, popular_share=0.75))
    # ceil(0.75 x 4) = 3 popular: p1/m and p2/m evaluated, p2/m the more accurate
    assert board["rare/m"]["p_vs_popular"] == pytest.approx(one_sided_p(95, 100, 70, 100), rel=1e-6)
    assert "better than p2/m" in board["rare/m"]["gem_reason"]


def test_without_an_evaluated_popular_candidate_there_is_no_gem():
    board = by_id(build([("pop/m", 1000, 0, 0), ("rare/m", 3, 80, 100)], failures={"pop/m": "no weights"}))
    assert board["rare/m"]["p_vs_popular"] is None and not board["rare/m"]["hidden_gem"]
    assert build([("pop/m", 1000, 0, 0), ("rare/m", 3, 80, 100)], failures={"pop/m": "x"}).schema["p_vs_popular"] == (
        pl.Float64)
    assert board["rare/m"]["top_performance"]
    assert board["rare/m"]["gem_reason"] == "not a gem: no popular candidate was evaluated to compare with"


def test_a_failed_candidates_stored_answers_are_shown_but_never_compared():
    """f/m failed after 95/100 answers: its accuracy is shown, but it is no evaluated candidate, so it
    beats nobody (a/m 60/100 is beaten by no evaluated model: pop/m 50/100 is worse) and gets no rank."""
    board = by_id(build([("pop/m", 1000, 50, 100), ("a/m", 3, 60, 100), ("f/m", 2, 95, 100)],
                        failures={"f/m": "crashed in round 2"}))
    assert (board["f/m"]["status"], board["f/m"]["accuracy"], board["f/m"]["rank_performance"]) == (
        "failed", 0.95, None)
    assert board["f/m"]["p_vs_popular"] is None
    assert (board["f/m"]["ci_low"], board["f/m"]["ci_high"]) == pytest.approx(wilson(95, 100), abs=1e-9)
    assert board["a/m"]["top_performance"] and board["a/m"]["rank_performance"] == 1
    assert board["a/m"]["gem_reason"].startswith("not a gem: not significantly better than the best popular")


def test_a_board_of_failures_keeps_its_column_types():
    board = build([("b/m", 5, 0, 0), ("a/m", 10, 0, 0)], failures={"a/m": "oom", "b/m": "gated"})
    assert board["repo_id"].to_list() == ["a/m", "b/m"]  # no performance rank: by downloads
    assert {c: board.schema[c] for c in ("ci_low", "ci_high", "p_vs_popular", "rank_performance", "accuracy")} == {
        "ci_low": pl.Float64, "ci_high": pl.Float64, "p_vs_popular": pl.Float64, "rank_performance": pl.Int32,
        "accuracy": pl.Float64}
    assert board["gem_reason"].to_list() == ["not a gem: evaluation failed (oom)", "not a gem: evaluation failed (gated)"]


def test_a_single_answer_is_an_estimate():
    """A candidate dropped after one question: 1/1 is an accuracy of 1.0 with a wide interval
    (Wilson 95%: 0.207 to 1), not a missing estimate."""
    board = by_id(build([("pop/m", 1000, 50, 100), ("once/m", 3, 1, 1), ("never/m", 2, 0, 1)]))
    assert (board["once/m"]["accuracy"], board["never/m"]["accuracy"]) == (1.0, 0.0)
    assert (board["once/m"]["ci_low"], board["once/m"]["ci_high"]) == pytest.approx(wilson(1, 1), abs=1e-9)
    assert board["once/m"]["ci_low"] == pytest.approx(0.2065, abs=1e-3)
    assert board["once/m"]["rank_performance"] == 1 and board["never/m"]["rank_performance"] == 3


def test_missing_downloads_rank_as_zero():
    board = by_id(build([("a/m", None, 50, 100), ("b/m", 0, 50, 100), ("c/m", 1, 50, 100)]))
    assert [board[r]["rank_downloads"] for r in ("c/m", "a/m", "b/m")] == [1, 2, 2]
    assert [board[r]["rank_performance"] for r in ("a/m", "b/m", "c/m")] == [1, 1, 1]  # ties share the rank


def test_an_empty_search_gives_an_empty_board():
    board = build([("idle/m", 5, 0, 0)])
    assert board.height == 0
    assert {c: board.schema[c] for c in ("gem_reason", "hidden_gem", "rank_downloads", "ci_low")} == {
        "gem_reason": pl.String, "hidden_gem": pl.Boolean, "rank_downloads": pl.Int32, "ci_low": pl.Float64}


# -- the chart --------------------------------------------------------------------------------------------

def _chart(monkeypatch, board: pl.DataFrame, title: str = "add: 3 candidates"):
    import assets.ui_images as ui_images

    drawn = {}

    def capture(fig, alt):
        drawn["fig"], drawn["alt"] = fig, alt
        return "![chart](png)"

    monkeypatch.setattr(ui_images, "png_markdown", capture)
    assert accuracy_vs_downloads(board, title) == "![chart](png)"
    return drawn["fig"], drawn["alt"]


def test_the_chart_plots_evaluated_candidates_with_intervals_and_stars_the_gems(monkeypatch):
    board = build([("pop/m", 1000, 50, 100), ("org/rare", 0, 80, 100), ("mid/m", 10, 45, 100),
                   ("broken/m", 50, 0, 0)], failures={"broken/m": "no weights"})
    fig, alt = _chart(monkeypatch, board)
    assert alt == "accuracy vs downloads"
    ax = fig.axes[0]
    assert (ax.get_xscale(), ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (
        "log", "add: 3 candidates", "downloads (last 30 days, log scale)", "estimated accuracy (95% Wilson interval)")
    assert ax.title.get_fontsize() == 9
    plain, gems = ax.containers  # one errorbar series per kind
    assert plain.get_label() == "candidate" and gems.get_label() == "hidden gem"
    # evaluated, in board order (rare/m first); 0 downloads drawn at 1 on the log axis
    assert list(plain.lines[0].get_xdata()) == [1000, 10] and list(plain.lines[0].get_ydata()) == [0.5, 0.45]
    assert list(gems.lines[0].get_xdata()) == [1] and list(gems.lines[0].get_ydata()) == [0.8]
    assert (plain.lines[0].get_marker(), gems.lines[0].get_marker()) == ("o", "*")
    assert (plain.lines[0].get_color(), gems.lines[0].get_color()) == ("tab:blue", "tab:red")
    # the interval bars span ci_low to ci_high
    low, high = wilson(80, 100)
    (segment,) = gems.lines[2][0].get_segments()
    assert segment[:, 1] == pytest.approx([low, high])
    assert [tuple(seg[:, 1]) for seg in plain.lines[2][0].get_segments()] == [
        pytest.approx(wilson(50, 100)), pytest.approx(wilson(45, 100))]
    assert [t.get_text() for t in ax.texts] == ["rare", "m", "m"]  # the name after the owner
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["candidate", "hidden gem"]
    # the look it was designed with: 540 x 360 pixels, small labels beside each point, a large star
    assert (tuple(fig.get_size_inches()), fig.dpi) == ((6.0, 4.0), 90)
    assert [(t.get_fontsize(), t.xyann, t.anncoords) for t in ax.texts] == [(6, (3, 3), "offset points")] * 3
    assert ax.get_legend().get_texts()[0].get_fontsize() == 7
    assert (plain.lines[0].get_alpha(), gems.lines[0].get_markersize()) == (0.7, 12)


def test_the_chart_without_gems_has_only_candidates(monkeypatch):
    board = build([("pop/m", 1000, 50, 100), ("rare/m", 3, 55, 100)])
    fig, _ = _chart(monkeypatch, board)
    (plain,) = fig.axes[0].containers
    assert sorted(plain.lines[0].get_ydata()) == [0.5, 0.55]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["candidate"]
