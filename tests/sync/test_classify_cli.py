"""``python -m assets.sync.classify``: families from a file, for users replaying their own data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl

from assets.sync.classify import main

HEADER = "family_key,platform,repo,committed_at\n"


def _write(path: Path, body: str) -> Path:
    path.write_text(HEADER + body)
    return path


def test_classifies_each_family_of_a_csv(tmp_path: Path):
    # fam-a: GitHub 2020-07-01 and -15 (fortnights 0, 1), variant 2020-07-02 (0): CSR, No Lag.
    # fam-b: GitHub 2020-07-01 only, variant 2020-08-01 and 2020-09-01 (fortnights 2, 4): ASR, Upstream First.
    # fam-c: Hub only: excluded, so no output row.
    commits = _write(tmp_path / "c.csv", "\n".join([
        "fam-a,github,o/code,2020-07-01T10:00:00+00:00",
        "fam-a,github,o/code,2020-07-15T10:00:00Z",
        "fam-a,hub,o/model,2020-07-02T09:00:00+02:00",
        "fam-b,github,p/code,2020-07-01T10:00:00+00:00",
        "fam-b,hub,p/model,2020-08-01T10:00:00+00:00",
        "fam-b,hub,p/model,2020-09-01T10:00:00+00:00",
        "fam-c,hub,q/model,2020-09-01T10:00:00+00:00",
    ]) + "\n")
    out = tmp_path / "families.csv"
    assert main(["--commits", str(commits), "--out", str(out)]) == 0
    assert pl.read_csv(out).rows() == [
        ("fam-a", "simultaneous", "CS", "R", "CSR", "Rare Synchronization"),
        ("fam-b", "github_first", "AS", "R", "ASR", "Rare Disjoint Synchronization"),
    ]
    assert pl.read_csv(out).columns == ["family_key", "lag", "sync_type", "intensity", "code", "pattern"]


def test_parquet_input_with_zoned_timestamps(tmp_path: Path):
    frame = pl.DataFrame({"family_key": ["f", "f"], "platform": ["github", "hub"], "repo": ["o/c", "o/m"],
                          "committed_at": ["2021-01-01T00:00:00+00:00", "2021-03-01T00:00:00+00:00"]}).with_columns(
        pl.col("committed_at").str.to_datetime(time_zone="UTC"))
    frame.write_parquet(tmp_path / "c.parquet")
    assert main(["--commits", str(tmp_path / "c.parquet"), "--out", str(tmp_path / "o.csv")]) == 0
    # GitHub fortnight 0, the Hub 59 days later (fortnight 4): ASR, Upstream First
    assert pl.read_csv(tmp_path / "o.csv")["code"].to_list() == ["ASR"]


def test_a_bad_row_is_named_by_file_and_line_and_nothing_is_written(tmp_path: Path, capsys):
    out = tmp_path / "families.csv"
    cases = {
        "platform": ("f,github,o/c,2020-07-01T10:00:00Z\nf,gitlab,o/m,2020-07-02T10:00:00Z\n",
                     "line 3: platform must be 'github' or 'hub' (got 'gitlab')"),
        "no offset": ("f,github,o/c,2020-07-01T10:00:00Z\nf,hub,o/m,2020-07-02 10:00:00\n",
                      "line 3: committed_at is not an ISO 8601 time with an offset"),
        "not a time": ("f,github,o/c,yesterday\n", "line 2: committed_at is not an ISO 8601 time"),
        "empty repo": ("f,github,,2020-07-01T10:00:00Z\n", "line 2: empty repo"),
    }
    for name, (body, message) in cases.items():
        commits = _write(tmp_path / f"{name}.csv", body)
        assert main(["--commits", str(commits), "--out", str(out)]) == 2, name
        err = capsys.readouterr().err
        assert f"{commits}: {message}" in err and "nothing was written" in err, (name, err)
        assert not out.exists() and not list(tmp_path.glob("*.tmp")), name


def test_missing_columns_and_missing_files_are_named(tmp_path: Path, capsys):
    (tmp_path / "c.csv").write_text("family_key,platform,repo\nf,github,o/c\n")
    assert main(["--commits", str(tmp_path / "c.csv"), "--out", str(tmp_path / "o.csv")]) == 2
    assert "missing column(s) committed_at" in capsys.readouterr().err
    assert main(["--commits", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.csv")]) == 2
    assert "nope.csv: no such file" in capsys.readouterr().err


def test_runs_as_a_module(tmp_path: Path):
    commits = _write(tmp_path / "c.csv", "f,github,o/c,2020-07-01T10:00:00Z\nf,hub,o/m,2020-07-01T12:00:00Z\n")
    done = subprocess.run([sys.executable, "-m", "assets.sync.classify", "--commits", str(commits),
                           "--out", str(tmp_path / "o.csv")], capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert pl.read_csv(tmp_path / "o.csv")["pattern"].to_list() == ["Rare Synchronization"]
