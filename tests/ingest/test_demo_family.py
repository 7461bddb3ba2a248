"""The paper's worked example as a demo family: the built sample replays the vendored real history.

Expectations come from the vendored files in ``localapi/sample/data/`` (see its README), and what is
checked is read back from git itself, never from the builder.
"""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from github import Github

from assets.ingest.discovery import NLP_PIPELINE_TAGS
from localapi.sample import build_sample
from localapi.sample.specs import SAMPLE
from orchestration.partitions import repo_key

DATA = Path(__file__).resolve().parents[2] / "localapi" / "sample" / "data"
UPSTREAM = "cahya-wirawan/indonesian-language-models"
VARIANT = "cahya/bert-base-indonesian-522M"


def _csv(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="") as f:
        return list(csv.DictReader(f))


HISTORY = json.loads(gzip.decompress((DATA / "cahya-wirawan__indonesian-language-models.commits.json.gz").read_bytes()))
HUB_DAYS = [row["day"] for row in _csv("cahya__bert-base-indonesian-522M.hub_days.csv")]
HANDOFFS = _csv("cahya_bert.paper_handoffs.csv")
(PAPER_VARIANT,) = [row for row in _csv("cahya_bert.paper_variants.csv") if row["hub_repo"] == VARIANT]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory.mktemp("demo_family"))


def _git_log(git_dir: Path, fmt: str) -> list[str]:
    out = subprocess.run(["git", "--git-dir", str(git_dir), "log", "--topo-order", f"--format={fmt}%x00", "main"],
                         capture_output=True, text=True, check=True)
    return [entry.lstrip("\n") for entry in out.stdout.split("\x00")[:-1]]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_vendored_files_agree_with_the_paper():
    """The vendored history is the paper's upstream history, and the Hub days are the paper's hand-offs."""
    commits = HISTORY["commits"]
    assert HISTORY["repository"] == UPSTREAM and len(commits) == 170
    assert len({c["sha"] for c in commits}) == len(commits)
    committed = {_utc(c["committer"]["date"]) for c in commits}
    # every GitHub side of the paper's hand-offs (UTC committer times) is a vendored commit
    github_side = [r["prev_commit"] if r["source"] == "GH" else r["next_commit"] for r in HANDOFFS]
    assert {datetime.fromisoformat(t).replace(tzinfo=UTC) for t in github_side} <= committed
    # the Hub days: exactly the Hub sides of the hand-offs inside the variant's published first..last commit
    first, last = PAPER_VARIANT["family_first_commit"][:10], PAPER_VARIANT["family_last_commit"][:10]
    hub_side = {r["next_commit"][:10] for r in HANDOFFS if r["target"] == "HF"}
    hub_side |= {r["prev_commit"][:10] for r in HANDOFFS if r["source"] == "HF"}
    assert HUB_DAYS == sorted(d for d in hub_side if first <= d <= last)


def test_github_history_is_replayed_with_its_dates_authors_messages_and_shape(sample: Path):
    git_dir = sample / "git" / "github" / f"{UPSTREAM}.git"
    built = _git_log(git_dir, "%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%p%x1f%B")
    assert len(built) == len(HISTORY["commits"])
    rows = [entry.split("\x1f") for entry in built]
    assert Counter((r[2], r[5]) for r in rows) == Counter(
        (c["author"]["date"], c["committer"]["date"]) for c in HISTORY["commits"])
    assert Counter((r[0], r[1], r[3], r[4], len(r[6].split()), r[7].rstrip("\n")) for r in rows) == Counter(
        (c["author"]["name"], c["author"]["email"], c["committer"]["name"], c["committer"]["email"],
         len(c["parents"]), c["message"].rstrip("\n")) for c in HISTORY["commits"])
    # the paths each commit touched (against its first parent, as vendored), keyed by its dates
    changes = subprocess.run(
        ["git", "--git-dir", str(git_dir), "log", "--name-only", "--diff-merges=first-parent", "--no-renames",
         "--format=%x00%aI %cI%x1f", "main"], capture_output=True, text=True, check=True).stdout
    built_paths = Counter()
    for entry in changes.split("\x00")[1:]:
        key, _, names = entry.partition("\x1f")
        built_paths[(key, frozenset(names.split("\n")) - {""})] += 1
    assert built_paths == Counter(
        (f"{c['author']['date']} {c['committer']['date']}", frozenset(p for ch in c["changes"] for p in ch[1:]))
        for c in HISTORY["commits"])


def test_hub_variant_commits_on_the_hand_off_days(sample: Path):
    git_dir = sample / "git" / "hub" / f"{VARIANT}.git"
    days = [_utc(t).date().isoformat() for t in _git_log(git_dir, "%cI")]
    assert sorted(days) == HUB_DAYS  # one commit on each day, none elsewhere
    info = json.loads((sample / "hub" / "models" / VARIANT / "info.json").read_text())
    assert info["cardData"]["repository"] == f"https://github.com/{UPSTREAM}"
    assert info["downloads"] >= 10_000
    assert info["pipeline_tag"] == "fill-mask" and info["pipeline_tag"] in NLP_PIPELINE_TAGS


def test_the_built_timeline_reproduces_the_papers_hand_offs(sample: Path):
    """Merging the two built histories gives the paper's hand-off rows (those whose Hub side is this variant's)."""
    events = [(_utc(t), "GH") for t in _git_log(sample / "git" / "github" / f"{UPSTREAM}.git", "%cI")]
    events += [(_utc(t), "HF") for t in _git_log(sample / "git" / "hub" / f"{VARIANT}.git", "%cI")]
    events.sort()
    built = [
        {"source": a, "target": b, "prev_commit": f"{t:%Y-%m-%d %H:%M:%S}", "next_commit": f"{u:%Y-%m-%d %H:%M:%S}",
         "days_difference": str((u - t).days)}
        for (t, a), (u, b) in zip(events, events[1:]) if a != b
    ]
    expected = [
        {k: v for k, v in r.items() if k != "family"}
        for r in HANDOFFS if (r["next_commit"] if r["target"] == "HF" else r["prev_commit"])[:10] in HUB_DAYS
    ]
    assert built == expected and len(expected) >= len(HANDOFFS) - 1


def test_the_family_is_in_the_sample_under_the_discovery_key():
    (fam,) = [f for f in SAMPLE.families if f.github.full_name == UPSTREAM]
    assert [m.repo_id for m in fam.hub] == [VARIANT]
    assert repo_key(UPSTREAM) == "cahya-wirawan__indonesian-language-models"


def test_the_replayed_timeline_has_the_papers_shape():
    """PAPERS.md's rules on the vendored timeline: Upstream First, partial sync (PS), sporadic (S)."""
    github = [_utc(c["committer"]["date"]) for c in HISTORY["commits"]]
    hub = [datetime.fromisoformat(d).replace(tzinfo=UTC) for d in HUB_DAYS]
    start = min(github + hub)
    gh_periods = {(t - start).days // 14 for t in github}
    hub_periods = {(t - start).days // 14 for t in hub}
    assert 0 in gh_periods and 0 not in hub_periods  # lag: GitHub first
    assert not hub_periods <= gh_periods and hub_periods & gh_periods  # PS, not CS
    shared = hub_periods & gh_periods
    assert len(hub_periods) > 3  # not R
    assert not any(all(k + i in shared for i in range(5)) for k in shared)  # not F: S


def test_the_local_github_api_lists_the_whole_history(local_api):
    gh = Github(base_url=local_api.github_api)
    assert gh.get_repo(UPSTREAM).get_commits().totalCount == len(HISTORY["commits"])


def test_discovery_and_ingest_take_the_family_like_the_others(fresh):
    """Discovery keys it by its repository (as every family) and ingest stores both histories."""
    key = repo_key(UPSTREAM)
    families = fresh.warehouse.query("select family_key, github_repo from core.families where family_key = ?", [key])
    assert families.rows() == [(key, UPSTREAM)]
    assert fresh.ingest(key).success
    rows = fresh.warehouse.query("select platform, repo, committed_at from raw.commits where family_key = ?", [key])
    github = sorted(r["committed_at"] for r in rows.iter_rows(named=True) if (r["platform"], r["repo"]) == ("github", UPSTREAM))
    hub = sorted(r["committed_at"].date().isoformat() for r in rows.iter_rows(named=True) if (r["platform"], r["repo"]) == ("hub", VARIANT))
    assert github == sorted(_utc(c["committer"]["date"]) for c in HISTORY["commits"])
    assert hub == HUB_DAYS and rows.height == len(github) + len(hub)
