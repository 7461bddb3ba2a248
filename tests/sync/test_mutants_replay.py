"""Replay of a frozen dataset (assets/sync/replay.py), the parts tests/sync/test_replay.py leaves
open, found by mutation testing (docs/mutation.md): what a replayed family's rows hold (derived
families and variants, defaults for fetched_at, labeller, status), every refusal's message naming
the file, the transaction that leaves other families alone, and the command line. Expectations are
the module docstring's rules applied by hand to the small files written here."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from assets.sync.replay import main, read_table, replay
from orchestration.warehouse import Warehouse
from tests.sync.conftest import NOW, T0, commit_rows, commits_frame

THEN = datetime(2025, 3, 1, tzinfo=UTC)


def _commits(tmp_path: Path, rows: list[dict], name: str = "commits.parquet") -> Path:
    path = tmp_path / name
    frame = commits_frame(rows)
    frame.write_parquet(path) if name.endswith(".parquet") else frame.write_csv(path)
    return path


def _csv(tmp_path: Path, name: str, rows: list[dict] | dict) -> Path:
    path = tmp_path / name
    pl.DataFrame(rows).write_csv(path)
    return path


def _family(key: str = "Org__M") -> list[dict]:
    """One family: 2 GitHub commits in o/code, 1 + 2 commits on two Hub variants."""
    return (commit_rows(key, "github", "o/code", [0, 10]) + commit_rows(key, "hub", "o/m1", [20], prefix="a")
            + commit_rows(key, "hub", "o/m2", [30, 40], prefix="b"))


# -- reading files ------------------------------------------------------------------------------------

def test_read_table_reads_csv_and_parquet_whatever_the_suffix_case(tmp_path: Path):
    frame = pl.DataFrame({"family_key": ["f"], "sha": ["a"]})
    frame.write_csv(tmp_path / "UP.CSV")
    frame.write_parquet(tmp_path / "UP.PARQUET")
    assert read_table(tmp_path / "UP.CSV").equals(frame)
    assert read_table(tmp_path / "UP.PARQUET").equals(frame)


def test_read_table_infers_csv_types_from_every_row(tmp_path: Path):
    # 200 numeric-looking values, then a word: the column is text, not a failed integer parse at row 201
    path = tmp_path / "long.csv"
    path.write_text("sha\n" + "".join(f"{i}\n" for i in range(200)) + "abc\n")
    assert read_table(path)["sha"].to_list()[-2:] == ["199", "abc"]


def test_read_table_refuses_a_missing_file_and_another_format_naming_it(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match=r"replay file .*nothere.csv does not exist"):
        read_table(tmp_path / "nothere.csv")
    (tmp_path / "c.json").write_text("{}")
    with pytest.raises(ValueError, match=r"replay file .*c.json: expected .csv or .parquet"):
        read_table(tmp_path / "c.json")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    with pytest.raises(ValueError, match=r"replay file .*broken.parquet: cannot be read: \S"):
        read_table(tmp_path / "broken.parquet")


# -- what lands in the warehouse ----------------------------------------------------------------------

def test_a_replayed_family_derives_its_github_repo_and_variants(warehouse: Warehouse, tmp_path: Path):
    path = _commits(tmp_path, _family() + commit_rows("solo", "github", "s/code", [5]))
    assert replay(warehouse, path, now=THEN) == ["replay.org__m", "replay.solo"]
    families = warehouse.query("select family_key, github_repo, n_variants, first_seen from core.families "
                               "order by family_key").to_dicts()
    assert families == [
        {"family_key": "replay.org__m", "github_repo": "o/code", "n_variants": 2, "first_seen": THEN},
        {"family_key": "replay.solo", "github_repo": "s/code", "n_variants": 0, "first_seen": THEN},
    ]
    assert warehouse.query("select family_key, repo_id from core.variants order by repo_id").rows() == [
        ("replay.org__m", "o/m1"), ("replay.org__m", "o/m2")]
    # the file's fetch times are kept (commit_rows sets NOW); every key is namespaced
    commits = warehouse.query("select family_key, count(*) as n, min(fetched_at) as f, max(fetched_at) as g "
                              "from raw.commits group by all order by all").rows()
    assert commits == [("replay.org__m", 5, NOW, NOW), ("replay.solo", 1, NOW, NOW)]


def test_commits_without_a_fetch_time_are_stamped_with_the_replay_time(warehouse: Warehouse, tmp_path: Path):
    path = tmp_path / "c.parquet"
    commits_frame(_family()).drop("fetched_at", "committed_at").with_columns(
        pl.lit("ignored").alias("not_a_column")).write_parquet(path)
    replay(warehouse, path, now=THEN)
    rows = warehouse.query("select distinct fetched_at, committed_at is null as no_commit_time from raw.commits")
    assert rows.rows() == [(THEN, True)]
    authored = warehouse.query("select min(authored_at) as t from raw.commits")["t"].item()
    assert authored == T0


def test_commits_need_a_time(warehouse: Warehouse, tmp_path: Path):
    path = tmp_path / "c.parquet"
    commits_frame(_family()).drop("committed_at", "authored_at").write_parquet(path)
    with pytest.raises(ValueError, match=r"c.parquet: needs committed_at or authored_at"):
        replay(warehouse, path)
    only_committed = tmp_path / "d.parquet"
    commits_frame(_family()).drop("authored_at").write_parquet(only_committed)
    assert replay(warehouse, only_committed) == ["replay.org__m"]


def test_labels_get_the_replay_labeller_status_and_time_unless_they_name_a_labeller(
        warehouse: Warehouse, tmp_path: Path):
    rows = _family()
    commits = _commits(tmp_path, rows)
    labels = _csv(tmp_path, "labels.csv", [
        dict(family_key=r["family_key"], platform=r["platform"], repo=r["repo"], sha=r["sha"],
             category="model_structure", confidence=0.5, extra="dropped") for r in rows])
    replay(warehouse, commits, labels, now=THEN)
    got = warehouse.query("select distinct family_key, labeller, status, labelled_at, category, confidence "
                          "from core.labelled_commits").rows()
    assert got == [("replay.org__m", "replay", "labelled", THEN, "model_structure", 0.5)]
    assert warehouse.query("select count(*) as n from core.labelled_commits")["n"].item() == 5

    named = _csv(tmp_path, "named.csv", [
        dict(family_key=r["family_key"], platform=r["platform"], repo=r["repo"], sha=r["sha"],
             category="bug_fix", labeller=labeller) for r in rows[:1] for labeller in ("rules", "llm:x")])
    replay(warehouse, commits, named, now=THEN)
    assert warehouse.query("select labeller, category from core.labelled_commits order by labeller").rows() == [
        ("llm:x", "bug_fix"), ("rules", "bug_fix")]


def test_a_families_file_gives_the_github_repo(warehouse: Warehouse, tmp_path: Path):
    # two GitHub repositories in one family: only a families file can say which is the family's
    rows = _family() + commit_rows("Org__M", "github", "o/docs", [3], prefix="d")
    commits = _commits(tmp_path, rows)
    with pytest.raises(ValueError, match=r"commits.parquet: families with several GitHub repositories "
                                         r"\['replay.org__m'\]; give a families file"):
        replay(warehouse, commits)
    families = _csv(tmp_path, "families.csv", {"family_key": ["Org__M"], "github_repo": ["o/code"],
                                               "n_variants": [99], "comment": ["x"]})
    assert replay(warehouse, commits, families_path=families, now=THEN) == ["replay.org__m"]
    assert warehouse.query("select github_repo, n_variants from core.families").rows() == [("o/code", 2)]


def test_a_family_without_github_commits_needs_a_families_file(warehouse: Warehouse, tmp_path: Path):
    commits = _commits(tmp_path, _family() + commit_rows("hubonly", "hub", "h/m", [1]))
    with pytest.raises(ValueError, match=r"families \['replay.hubonly'\] have no GitHub repository; give a families"):
        replay(warehouse, commits)
    assert warehouse.query("select count(*) as n from raw.commits")["n"].item() == 0
    families = _csv(tmp_path, "f.csv", {"family_key": ["Org__M", "hubonly"], "github_repo": ["o/code", "h/code"]})
    assert replay(warehouse, commits, families_path=families) == ["replay.hubonly", "replay.org__m"]


# -- refusals name the file and the reason ------------------------------------------------------------

def test_missing_columns_and_empty_values_are_all_named(warehouse: Warehouse, tmp_path: Path):
    rows = _family()
    commits = _commits(tmp_path, rows)
    bad = tmp_path / "bad.parquet"
    commits_frame(rows).drop("sha", "repo").write_parquet(bad)
    with pytest.raises(ValueError, match=r"bad.parquet: missing column\(s\) repo, sha$"):
        replay(warehouse, bad)
    holes = tmp_path / "holes.parquet"
    commits_frame(rows).with_columns(pl.lit(None, pl.String).alias("repo"), pl.lit(None, pl.String).alias("sha")
                                     ).write_parquet(holes)
    with pytest.raises(ValueError, match=r"holes.parquet: empty values in required column\(s\) repo, sha$"):
        replay(warehouse, holes)
    labels = _csv(tmp_path, "labels.csv", {"family_key": ["Org__M"], "platform": ["github"], "repo": ["o/code"],
                                           "sha": ["github0"]})
    with pytest.raises(ValueError, match=r"labels.csv: missing column\(s\) category$"):
        replay(warehouse, commits, labels)
    families = _csv(tmp_path, "families.csv", {"family_key": ["Org__M"]})
    with pytest.raises(ValueError, match=r"families.csv: missing column\(s\) github_repo$"):
        replay(warehouse, commits, families_path=families)


def test_bad_platforms_are_listed_once_each_sorted(warehouse: Warehouse, tmp_path: Path):
    bad = tmp_path / "bad.parquet"
    commits_frame(_family()).with_columns(
        pl.Series("platform", ["gitlab", "hub", "bitbucket", "gitlab", "github"])).write_parquet(bad)
    with pytest.raises(ValueError, match=r"platform must be 'github' or 'hub', found \['bitbucket', 'gitlab'\]$"):
        replay(warehouse, bad)


def test_repeated_commits_are_counted_and_blamed_on_the_commits_file(warehouse: Warehouse, tmp_path: Path):
    rows = _family()
    path = _commits(tmp_path, rows + rows[:1])
    with pytest.raises(ValueError, match=r"commits.parquet: 2 rows repeat a \(family_key, platform, repo, sha\)"):
        replay(warehouse, path)
    # the same sha in two repositories is two commits (a Hub variant that copied another)
    other = dict(rows[2], repo="o/m3")
    assert replay(warehouse, _commits(tmp_path, rows + [other], "ok.parquet")) == ["replay.org__m"]


def test_family_keys_that_are_no_partition_keys_are_named(warehouse: Warehouse, tmp_path: Path):
    path = _commits(tmp_path, commit_rows("has space", "github", "o/c", [0]) + commit_rows("ok", "github", "o/d", [0])
                    + commit_rows("-dash", "github", "o/e", [0]))
    with pytest.raises(ValueError, match=r"commits.parquet: family keys \['-dash', 'has space'\] are not partition keys "
                                         r"\(lower case letters, digits, '\.', '_', '-'\)$"):
        replay(warehouse, path, namespace="")
    # in a namespace, a leading '-' is inside the key: 'replay.-dash' is one
    with pytest.raises(ValueError, match=r"family keys \['replay.has space'\] are not partition keys"):
        replay(warehouse, path)


def test_label_and_family_rows_of_other_families_are_refused(warehouse: Warehouse, tmp_path: Path):
    commits = _commits(tmp_path, _family())
    families = _csv(tmp_path, "fam.csv", {"family_key": ["Org__M", "zz", "aa"], "github_repo": ["o/code", "z", "a"]})
    with pytest.raises(ValueError, match=r"fam.csv: rows for families not in the commits file \['aa', 'zz'\]"):
        replay(warehouse, commits, families_path=families)


# -- the write --------------------------------------------------------------------------------------

def test_a_replay_replaces_only_the_replayed_families(warehouse: Warehouse, tmp_path: Path):
    one = _commits(tmp_path, _family("one"), "one.parquet")
    two = _commits(tmp_path, _family("two"), "two.parquet")
    labels = _csv(tmp_path, "l.csv", [dict(family_key="two", platform="github", repo="o/code", sha="github0",
                                          category="bug_fix")])
    replay(warehouse, one)
    replay(warehouse, two, labels)
    smaller = _commits(tmp_path, commit_rows("two", "github", "o/code", [0]), "smaller.parquet")
    assert replay(warehouse, smaller) == ["replay.two"]
    counts = warehouse.query("select family_key, count(*) as n from raw.commits group by all order by all").rows()
    assert counts == [("replay.one", 5), ("replay.two", 1)]
    assert warehouse.query("select family_key, n_variants from core.families order by all").rows() == [
        ("replay.one", 2), ("replay.two", 0)]
    assert warehouse.query("select distinct family_key from core.variants").rows() == [("replay.one",)]
    assert warehouse.query("select count(*) as n from core.labelled_commits")["n"].item() == 0


def test_a_failed_write_names_every_file_and_writes_nothing(warehouse: Warehouse, tmp_path: Path, monkeypatch):
    commits = _commits(tmp_path, _family())
    labels = _csv(tmp_path, "labels.csv", [dict(family_key="Org__M", platform="github", repo="o/code",
                                               sha="github0", category="bug_fix")])
    families = _csv(tmp_path, "fam.csv", {"family_key": ["Org__M"], "github_repo": ["o/code"]})
    import assets.sync.replay as module

    def broken(con, table, frame, on_conflict=""):
        raise RuntimeError("disk full")

    monkeypatch.setattr(module, "insert_frame", broken)
    with pytest.raises(ValueError, match=rf"replay of {commits}, {labels}, {families} failed, nothing was written: "
                                         r"disk full"):
        replay(warehouse, commits, labels, families)
    with pytest.raises(ValueError, match=rf"replay of {commits} failed"):
        replay(warehouse, commits)
    assert warehouse.query("select count(*) as n from core.families")["n"].item() == 0


def test_an_ingested_family_is_named_and_the_others_are_not(warehouse: Warehouse, tmp_path: Path):
    warehouse.append("raw.repo_state", pl.DataFrame([dict(
        family_key=k, platform="github", repo="o/code", head_sha="x", n_commits=1, status="ok", checked_at=NOW)
        for k in ("org__m", "unrelated")]))
    commits = _commits(tmp_path, _family() + commit_rows("fresh", "github", "f/code", [1]))
    with pytest.raises(ValueError, match=r"families \['org__m'\] hold ingested histories"):
        replay(warehouse, commits, namespace="")
    assert replay(warehouse, commits, namespace="", replace_ingested=True) == ["fresh", "org__m"]
    assert warehouse.query("select family_key from raw.repo_state").rows() == [("unrelated",)]


# -- the command line ----------------------------------------------------------------------------------

def test_cli_needs_the_commits_file(capsys):
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2
    assert "the following arguments are required: --commits" in capsys.readouterr().err


def test_cli_help_describes_each_option(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert out.count("Replay a frozen dataset: commit histories and labels from files instead of the APIs.") == 1
    assert "arXiv" not in out  # the docstring's first paragraph only
    for text in ("--commits COMMITS CSV/Parquet with raw.commits' columns",
                 "--labels LABELS CSV/Parquet with core.labelled_commits' columns",
                 "--families FAMILIES CSV/Parquet with family_key, github_repo",
                 "prefix of the replayed family keys, '<namespace>.<key>' (default: replay; '' for none)",
                 "--replace-ingested with --namespace '': allow replacing families that ingestion filled",
                 "--db DB warehouse file (default: HUBSCOPE_DB or data/hubscope.duckdb)"):
        assert text in out


def test_cli_writes_to_the_given_warehouse_with_every_option(warehouse: Warehouse, tmp_path: Path, capsys,
                                                             monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("HUBSCOPE_DB", str(tmp_path / "not-this-one.duckdb"))
    warehouse.append("raw.repo_state", pl.DataFrame([dict(
        family_key="org__m", platform="github", repo="o/code", head_sha="x", n_commits=1, status="ok",
        checked_at=NOW)]))
    commits = _commits(tmp_path, _family())
    labels = _csv(tmp_path, "labels.csv", [dict(family_key="Org__M", platform="github", repo="o/code",
                                               sha="github0", category="bug_fix")])
    families = _csv(tmp_path, "fam.csv", {"family_key": ["Org__M"], "github_repo": ["o/code"]})
    main(["--commits", str(commits), "--labels", str(labels), "--families", str(families), "--namespace", "",
          "--replace-ingested", "--db", warehouse.database])
    assert capsys.readouterr().out == "org__m\n"
    assert warehouse.query("select count(*) as n from raw.commits where family_key = 'org__m'")["n"].item() == 5
    assert warehouse.query("select count(*) as n from core.labelled_commits")["n"].item() == 1
    assert warehouse.query("select count(*) as n from raw.repo_state")["n"].item() == 0
    assert not (tmp_path / "not-this-one.duckdb").exists()


def test_cli_registers_the_families_as_partitions_when_dagster_home_is_set(warehouse: Warehouse, tmp_path: Path,
                                                                           capsys, monkeypatch, instance):
    import dagster as dg

    monkeypatch.setattr(dg.DagsterInstance, "get", staticmethod(lambda: _Unclosed(instance)))
    monkeypatch.setenv("DAGSTER_HOME", "set")
    commits = _commits(tmp_path, _family() + commit_rows("solo", "github", "s/code", [5]))
    main(["--commits", str(commits), "--db", warehouse.database])
    assert capsys.readouterr().out == "registered 2 family partitions\nreplay.org__m\nreplay.solo\n"
    assert sorted(instance.get_dynamic_partitions("families")) == ["replay.org__m", "replay.solo"]


class _Unclosed:
    """The test's instance as ``DagsterInstance.get()`` returns it, left open for the fixture to close."""

    def __init__(self, instance) -> None:
        self.instance = instance

    def __enter__(self):
        return self.instance

    def __exit__(self, *exc) -> None:
        return None
