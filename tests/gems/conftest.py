"""Gems fixtures: a tiny model family (trained once per session) served by the local API server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assets.gems.tiny_family import BASE_ID, Member, publish_tiny_family
from localapi.server import LocalAPI

TEST_FAMILY: tuple[Member, ...] = (
    Member(BASE_ID, None, 30, 120_000, 40),
    Member("dave/tiny-adder-chat", BASE_ID, 10, 52_000, 25),
    Member("bob/tiny-adder-math", BASE_ID, 60, 3_100, 6),
    Member("erin/tiny-adder-sft-v2", "bob/tiny-adder-math", 30, 800, 2),
    Member("carol/tiny-adder-pro", BASE_ID, 300, 37, 0),
)
"""A shorter family than the demo's (~430 steps in all), quality still ordered by training steps."""


@pytest.fixture(scope="session")
def family_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("gems_data")
    publish_tiny_family(data, family=TEST_FAMILY)
    return data


@pytest.fixture
def hub_api(family_dir: Path) -> Iterator[LocalAPI]:
    with LocalAPI(family_dir) as api:
        yield api


@pytest.fixture
def hf_cache(tmp_path: Path) -> str:
    return str(tmp_path / "hf_cache")

