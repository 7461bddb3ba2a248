"""Shared fixtures: a temporary warehouse and a temporary Dagster instance.

Stage-specific fixtures (the local API server on sample data, tiny models) live in the
stage's own ``conftest_*.py`` plugin modules, registered below.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import pytest

from orchestration.warehouse import Warehouse

if TYPE_CHECKING:
    from localapi.server import LocalAPI


@pytest.fixture(scope="session")
def local_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator["LocalAPI"]:
    """The local Hub/GitHub/git/OpenAI server on the bundled sample, started once per test session.

    Built fresh (about a second) into a session temp dir. Tests that inject faults or count
    requests call ``local_api.reset()`` first; faults they leave behind are theirs to clear.
    """
    from localapi.sample import build_sample
    from localapi.server import LocalAPI

    with LocalAPI(build_sample(tmp_path_factory.mktemp("localapi"))) as api:
        yield api


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    """An empty warehouse file with the project's schema."""
    return Warehouse(database=str(tmp_path / "hubscope.duckdb"))


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    """A throwaway local Dagster instance (dynamic partitions need a real one)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as inst:
        yield inst
