"""Shared fixtures: a temporary warehouse and a temporary Dagster instance.

Stage-specific fixtures (the local API server on sample data, tiny models) live in the
stage's own ``conftest_*.py`` plugin modules, registered below.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from orchestration.warehouse import Warehouse


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    """An empty warehouse file with the project's schema."""
    return Warehouse(database=str(tmp_path / "hubscope.duckdb"))


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    """A throwaway local Dagster instance (dynamic partitions need a real one)."""
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster_home")) as inst:
        yield inst
