"""The warehouse: schema from sql/, atomic partition writes, a recreated file gets its schema again."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from orchestration.warehouse import Warehouse, is_local_file


def test_a_warehouse_file_deleted_and_made_anew_in_the_same_process_gets_its_schema(tmp_path: Path) -> None:
    wh = Warehouse(database=str(tmp_path / "w.duckdb"))
    assert wh.query("select count(*) from raw.commits").item() == 0
    Path(wh.database).unlink()
    assert wh.query("select count(*) from raw.commits").item() == 0


def test_replace_is_atomic_and_matches_columns_by_name(warehouse: Warehouse) -> None:
    fam = {"family_key": ["f", "f"], "repo_id": ["a/x", "a/y"]}
    warehouse.replace("core.variants", {"family_key": "f"}, pl.DataFrame({"repo_id": fam["repo_id"], "family_key": fam["family_key"]}))
    with pytest.raises(Exception, match="(?i)primary key|duplicate|constraint"):  # a bad frame: nothing replaced
        warehouse.replace("core.variants", {"family_key": "f"}, pl.DataFrame({"family_key": ["f", "f"], "repo_id": ["a/z", "a/z"]}))
    assert sorted(warehouse.query("select repo_id from core.variants")["repo_id"]) == ["a/x", "a/y"]


def test_append_counts_only_the_rows_it_inserted(warehouse: Warehouse) -> None:
    assert warehouse.append("core.variants", pl.DataFrame({"family_key": ["f", "f"], "repo_id": ["a/x", "a/y"]})) == 2
    again = pl.DataFrame({"family_key": ["f", "f"], "repo_id": ["a/y", "a/z"]})  # a/y exists: skipped
    assert warehouse.append("core.variants", again) == 1
    assert warehouse.query("select count(*) from core.variants").item() == 3


def test_only_local_paths_get_the_file_shortcuts() -> None:
    assert is_local_file("data/hubscope.duckdb") and is_local_file("/abs/dir:x/w.duckdb")
    assert not is_local_file(":memory:") and not is_local_file("md:hubscope") and not is_local_file("s3://bucket/w.duckdb")
