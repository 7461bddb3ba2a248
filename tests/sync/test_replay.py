"""Replay of a frozen dataset from files: loads what the study needs, rejects bad files losslessly."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from assets.sync.replay import main, replay
from orchestration.warehouse import Warehouse
from tests.sync.conftest import NOW, commit_rows, commits_frame


def _write(tmp_path: Path) -> tuple[Path, Path]:
    rows = (commit_rows("cahya__bert", "github", "cahya/bert-code", [0, 20, 40])
            + commit_rows("cahya__bert", "hub", "cahya/bert-base-indonesian-522M", [70]))
    commits = tmp_path / "commits.parquet"
    commits_frame(rows).write_parquet(commits)
    labels = tmp_path / "labels.csv"
    pl.DataFrame([dict(family_key=r["family_key"], platform=r["platform"], repo=r["repo"], sha=r["sha"],
                       category="model_structure") for r in rows]).write_csv(labels)
    return commits, labels


def test_replay_loads_commits_labels_families_and_variants(warehouse: Warehouse, tmp_path: Path):
    commits, labels = _write(tmp_path)
    assert replay(warehouse, commits, labels) == ["replay.cahya__bert"]
    family = warehouse.query("select github_repo, n_variants from core.families").row(0, named=True)
    assert family == {"github_repo": "cahya/bert-code", "n_variants": 1}
    assert warehouse.query("select repo_id from core.variants")["repo_id"].to_list() == ["cahya/bert-base-indonesian-522M"]
    assert warehouse.query("select count(*) as n from core.commit_labels where labeller = 'replay'")["n"].item() == 4
    # replaying again replaces rather than duplicates
    replay(warehouse, commits, labels)
    assert warehouse.query("select count(*) as n from raw.commits")["n"].item() == 4


def test_replay_from_csv_with_text_timestamps_in_other_zones(warehouse: Warehouse, tmp_path: Path):
    path = tmp_path / "commits.csv"
    pl.DataFrame({"family_key": ["f", "f"], "platform": ["github", "hub"], "repo": ["o/code", "o/model"],
                  "sha": ["a", "b"], "committed_at": ["2020-07-01T10:00:00+07:00", "2020-07-01T03:00:00Z"]}
                 ).write_csv(path)
    replay(warehouse, path)
    times = warehouse.query("select epoch(committed_at) as t from raw.commits order by sha")["t"].to_list()
    assert times[0] == times[1]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f.drop("sha"), r"missing column\(s\) sha"),
        (lambda f: f.with_columns(pl.lit("gitlab").alias("platform")), "platform must be"),
    ],
)
def test_bad_commit_files_are_rejected_naming_the_file(warehouse: Warehouse, tmp_path: Path, mutate, message):
    commits, _ = _write(tmp_path)
    bad = tmp_path / "bad.parquet"
    mutate(pl.read_parquet(commits)).write_parquet(bad)
    with pytest.raises(ValueError, match=message) as error:
        replay(warehouse, bad)
    assert "bad.parquet" in str(error.value)


def test_unknown_category_loses_nothing_already_stored(warehouse: Warehouse, tmp_path: Path):
    commits, labels = _write(tmp_path)
    replay(warehouse, commits, labels)
    before = warehouse.query("select * from raw.commits order by sha")
    bad = tmp_path / "labels_bad.csv"
    pl.read_csv(labels).with_columns(pl.lit("vibes").alias("category")).write_csv(bad)
    with pytest.raises(ValueError, match=r"labels_bad.csv: unknown categories \['vibes'\]"):
        replay(warehouse, commits, bad)
    assert warehouse.query("select * from raw.commits order by sha").equals(before)


def test_cli_prints_the_families(warehouse: Warehouse, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    commits, labels = _write(tmp_path)
    main(["--commits", str(commits), "--labels", str(labels), "--db", warehouse.database])
    assert capsys.readouterr().out.strip() == "replay.cahya__bert"


def test_unreadable_file_is_rejected_naming_it(warehouse: Warehouse, tmp_path: Path):
    commits, _ = _write(tmp_path)
    broken = tmp_path / "broken.csv"
    broken.write_text('family_key,platform,repo,sha\nf,hub,o/m,"a\n')
    with pytest.raises(ValueError, match="broken.csv: cannot be read"):
        replay(warehouse, broken)
    with pytest.raises(ValueError, match="broken.csv: cannot be read"):
        replay(warehouse, commits, broken)


def test_repeated_label_rows_are_blamed_on_the_labels_file(warehouse: Warehouse, tmp_path: Path):
    commits, labels = _write(tmp_path)
    repeated = tmp_path / "labels_repeated.csv"
    frame = pl.read_csv(labels)
    pl.concat([frame, frame.head(1)]).write_csv(repeated)
    with pytest.raises(ValueError, match=r"labels_repeated.csv: 2 rows repeat a \(family_key, platform, repo, sha, "
                                         r"labeller\)"):
        replay(warehouse, commits, repeated)
    assert warehouse.query("select count(*) as n from raw.commits")["n"].item() == 0


def test_repeated_families_are_blamed_on_the_families_file(warehouse: Warehouse, tmp_path: Path):
    commits, _ = _write(tmp_path)
    families = tmp_path / "families.csv"
    pl.DataFrame({"family_key": ["cahya__bert"] * 2, "github_repo": ["cahya/bert-code", "cahya/other"]}
                 ).write_csv(families)
    with pytest.raises(ValueError, match=r"families.csv: 2 rows repeat a \(family_key\)"):
        replay(warehouse, commits, families_path=families)


def _ingested(warehouse: Warehouse) -> None:
    """A live family 'cahya__bert' as ingestion leaves it: 3 commits and their repository state."""
    rows = commit_rows("cahya__bert", "github", "cahya/bert-code", [0, 1, 2], prefix="live")
    warehouse.append("raw.commits", commits_frame(rows))
    warehouse.append("raw.repo_state", pl.DataFrame([dict(
        family_key="cahya__bert", platform="github", repo="cahya/bert-code", head_sha="livegithub2", n_commits=3,
        status="ok", checked_at=NOW)]))


def test_replay_goes_to_its_own_namespace_and_leaves_a_live_family_alone(warehouse: Warehouse, tmp_path: Path):
    _ingested(warehouse)
    commits, labels = _write(tmp_path)
    assert replay(warehouse, commits, labels) == ["replay.cahya__bert"]
    live = warehouse.query("select sha from raw.commits where family_key = 'cahya__bert' order by sha")
    assert live["sha"].to_list() == ["livegithub0", "livegithub1", "livegithub2"]
    assert warehouse.query("select n_commits from raw.repo_state")["n_commits"].to_list() == [3]


def test_replacing_an_ingested_family_needs_the_flag_and_drops_its_ingest_state(warehouse: Warehouse,
                                                                                tmp_path: Path):
    _ingested(warehouse)
    commits, labels = _write(tmp_path)
    with pytest.raises(ValueError, match=r"families \['cahya__bert'\] hold ingested histories.*nothing was written"):
        replay(warehouse, commits, labels, namespace="")
    assert warehouse.query("select count(*) as n from raw.commits")["n"].item() == 3
    assert replay(warehouse, commits, labels, namespace="", replace_ingested=True) == ["cahya__bert"]
    assert warehouse.query("select count(*) as n from raw.commits")["n"].item() == 4
    # no stale "3 commits, head livegithub2" left to make the next ingest say "unchanged"
    assert warehouse.query("select count(*) as n from raw.repo_state")["n"].item() == 0


def test_label_rows_for_another_family_are_rejected(warehouse: Warehouse, tmp_path: Path):
    _ingested(warehouse)
    commits, labels = _write(tmp_path)
    hostile = tmp_path / "hostile.csv"
    pl.read_csv(labels).with_columns(pl.lit("other__family").alias("family_key")).write_csv(hostile)
    with pytest.raises(ValueError, match=r"hostile.csv: rows for families not in the commits file \['other__family'\]"):
        replay(warehouse, commits, hostile)
    assert warehouse.query("select count(*) as n from core.labelled_commits")["n"].item() == 0


def test_keys_are_lower_cased_and_clashes_named(warehouse: Warehouse, tmp_path: Path):
    rows = commit_rows("Org_Model", "github", "o/code", [0]) + commit_rows("org_model", "hub", "o/m", [1])
    path = tmp_path / "c.parquet"
    commits_frame(rows).write_parquet(path)
    with pytest.raises(ValueError, match=r"c.parquet: family keys \['Org_Model', 'org_model'\] differ only in case"):
        replay(warehouse, path)
