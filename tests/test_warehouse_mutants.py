"""The warehouse's public writes and helpers where mutation testing found them unchecked
(docs/mutation.md): a partition replaced by two key columns or by none, several tables in one
transaction, appends of nothing, the writer lock's file and holder text, and table previews'
defaults and cut. Against the file backend, through the API every backend keeps."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from orchestration.warehouse import ROOT, Warehouse, WarehouseLocked, WriterLock, table_preview

AT = datetime(2025, 1, 1, tzinfo=UTC)
LABELS = "core.labelled_commits"


def _label(family: str, labeller: str, sha: str, category: str = "bug_fix") -> dict:
    return {"family_key": family, "platform": "github", "repo": "o/r", "sha": sha, "labeller": labeller,
            "prompt_version": "p", "category": category, "status": "labelled", "reason": None, "confidence": 1.0,
            "rationale": None, "labelled_at": AT, "content_hash": "h"}


def _labels(warehouse: Warehouse) -> list[tuple]:
    return warehouse.query(f"select family_key, labeller, sha, category from {LABELS} order by all").rows()


def test_replace_by_two_key_columns_touches_only_rows_matching_both(warehouse: Warehouse) -> None:
    warehouse.append(LABELS, pl.DataFrame([_label("f", "rules", "a"), _label("f", "llm:m", "a"),
                                           _label("g", "rules", "a")]))
    assert warehouse.replace(LABELS, {"family_key": "f", "labeller": "rules"},
                             pl.DataFrame([_label("f", "rules", "b", "sharing"), _label("f", "rules", "c")])) == 2
    assert _labels(warehouse) == [("f", "llm:m", "a", "bug_fix"), ("f", "rules", "b", "sharing"),
                                  ("f", "rules", "c", "bug_fix"), ("g", "rules", "a", "bug_fix")]


def test_replace_with_no_key_columns_replaces_the_whole_table(warehouse: Warehouse) -> None:
    warehouse.append("core.variants", pl.DataFrame({"family_key": ["f", "g"], "repo_id": ["a/x", "b/y"]}))
    assert warehouse.replace_many({}, {"core.variants": pl.DataFrame({"family_key": ["h"], "repo_id": ["c/z"]})}) == {
        "core.variants": 1}
    assert warehouse.query("select family_key, repo_id from core.variants").rows() == [("h", "c/z")]


def test_replace_many_writes_every_table_or_none(warehouse: Warehouse) -> None:
    warehouse.append("core.variants", pl.DataFrame({"family_key": ["f"], "repo_id": ["a/old"]}))
    frames = {"core.variants": pl.DataFrame({"family_key": ["f", "f"], "repo_id": ["a/x", "a/y"]}),
              LABELS: pl.DataFrame([_label("f", "rules", "a")])}
    assert warehouse.replace_many({"family_key": "f"}, frames) == {"core.variants": 2, LABELS: 1}
    assert warehouse.query("select repo_id from core.variants order by all")["repo_id"].to_list() == ["a/x", "a/y"]
    # the second table's frame breaks a constraint (an unknown category): the first table keeps its rows
    bad = {"core.variants": pl.DataFrame({"family_key": ["f"], "repo_id": ["a/new"]}),
           LABELS: pl.DataFrame([_label("f", "rules", "b", "no_such_category")])}
    with pytest.raises(Exception, match="(?i)constraint|foreign key"):
        warehouse.replace_many({"family_key": "f"}, bad)
    assert warehouse.query("select repo_id from core.variants order by all")["repo_id"].to_list() == ["a/x", "a/y"]
    assert _labels(warehouse) == [("f", "rules", "a", "bug_fix")]


def test_appending_nothing_inserts_nothing_and_says_zero(warehouse: Warehouse) -> None:
    empty = pl.DataFrame(schema={"family_key": pl.String, "repo_id": pl.String})
    assert warehouse.append("core.variants", empty) == 0
    assert warehouse.replace("core.variants", {"family_key": "f"}, empty) == 0
    assert warehouse.query("select count(*) from core.variants").item() == 0


# -- the writer lock ------------------------------------------------------------------------------------

def test_the_lock_file_sits_beside_the_warehouse_and_names_its_holder(tmp_path: Path) -> None:
    db = tmp_path / "not" / "yet" / "w.duckdb"
    lock = WriterLock(db)
    assert lock.path == tmp_path / "not" / "yet" / "w.duckdb.writer.lock"
    assert lock.holder() == "unknown"  # no file yet
    # a longer text left by an earlier holder is replaced whole
    with lock.held(wait_s=1):
        assert lock.path.exists()
        assert lock.holder() == f"pid {os.getpid()} on {socket.gethostname()}"
        with lock.held(wait_s=1):  # re-entrant within the process
            pass
        assert lock.holder() == f"pid {os.getpid()} on {socket.gethostname()}"
    lock.path.write_text("pid 123456789 on a-much-longer-host-name-than-this-one.example.org\n")
    with lock.held(wait_s=1):
        assert lock.path.read_text() == f"pid {os.getpid()} on {socket.gethostname()}\n"
    lock.path.write_text("  \n")
    assert lock.holder() == "unknown"


def test_for_database_gives_one_lock_per_file(tmp_path: Path) -> None:
    a = WriterLock.for_database(str(tmp_path / "w.duckdb"))
    assert WriterLock.for_database(str(tmp_path / "." / "w.duckdb")) is a
    assert WriterLock.for_database(str(tmp_path / "v.duckdb")) is not a
    assert a.path.name == "w.duckdb.writer.lock"


def test_a_lock_held_elsewhere_fails_after_the_wait_naming_holder_file_and_wait(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    script = ("import fcntl, os, sys, time\n"
              "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); fcntl.flock(fd, fcntl.LOCK_EX)\n"
              "os.write(fd, b'pid 42 on elsewhere\\n'); print('holding', flush=True); time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", script, str(db) + ".writer.lock"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(WarehouseLocked) as info:
            with WriterLock(db).held(wait_s=1.2):
                pass
        assert str(info.value) == (f"warehouse {db}: another writer (pid 42 on elsewhere) has held "
                                   "w.duckdb.writer.lock for over 1 s")
    finally:
        holder.kill()
        holder.wait()
    with WriterLock(db).held(wait_s=5):  # released with its process
        pass


# -- previews -----------------------------------------------------------------------------------------

def test_a_preview_shows_ten_rows_by_default_and_cuts_cells_over_300_characters() -> None:
    frame = pl.DataFrame({"n": list(range(12)), "text": ["x" * 300, "y" * 301, None] + ["z"] * 9,
                          "share": [0.5] * 12, "day": [datetime(2024, 1, 2).date()] * 12})
    preview = table_preview(frame)
    assert [r.data["n"] for r in preview.records] == list(range(10))
    first, second, third = (r.data for r in preview.records[:3])
    assert first["text"] == "x" * 300  # exactly the limit: whole
    assert second["text"] == "y" * 299 + "…"  # one over: cut to 300 with the ellipsis
    assert third["text"] is None
    assert (first["share"], first["day"]) == (0.5, "2024-01-02")
    assert [(c.name, c.type) for c in preview.schema.columns] == [
        ("n", "int"), ("text", "string"), ("share", "float"), ("day", "string")]
    assert [r.data["n"] for r in table_preview(frame, rows=3).records] == [0, 1, 2]


def test_query_binds_its_parameters(warehouse: Warehouse) -> None:
    warehouse.append("core.variants", pl.DataFrame({"family_key": ["f", "g"], "repo_id": ["a/x", "b/y"]}))
    assert warehouse.query("select repo_id from core.variants where family_key = ?", ["g"]).rows() == [("b/y",)]
    assert warehouse.query("select $n + 1 as x", {"n": 41}).item() == 42


def test_insert_frame_refuses_a_conflict_rule_it_does_not_know(warehouse: Warehouse) -> None:
    from orchestration.warehouse import insert_frame

    frame = pl.DataFrame({"family_key": ["f"], "repo_id": ["a/x"]})
    with warehouse.transaction() as con:
        with pytest.raises(ValueError, match=r"^insert_frame: unsupported on_conflict 'do update set x = 1'$"):
            insert_frame(con, "core.variants", frame, on_conflict="do update set x = 1")
    assert warehouse.query("select count(*) from core.variants").item() == 0
