"""The warehouse: schema from sql/, atomic partition writes, a recreated file gets its schema again."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from orchestration.warehouse import Warehouse


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
