"""Ingest fixtures: a private copy of the sample behind its own server, and a warehouse ingested once.

The shared ``local_api`` (tests/conftest.py) must stay pristine for other stages, while these tests
add commits and inject faults, so the ingest stage serves its own copy of the sample. Discovery and
two families are ingested once per session; tests that change state work on a copy of that
warehouse and mirror cache (:func:`fresh`).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from assets.ingest.assets import CommitsConfig, DiscoveryConfig, commits, discover_families
from localapi.sample import build_sample
from localapi.server import LocalAPI
from orchestration.partitions import FAMILIES
from orchestration.resources import GitHubResource, HubResource
from orchestration.warehouse import Warehouse

TWO_FAMILIES = ("indolab__indobert-lite", "new-org__legacy-gpt")


@dataclass
class Env:
    """A warehouse file, a mirror cache and a Dagster instance, all pointed at one local server."""

    api: LocalAPI
    sample: Path
    db: Path
    mirrors: Path
    instance: dg.DagsterInstance

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse(database=str(self.db))

    def resources(self, hub_token: str | None = None, github_token: str | None = None,
                  github_server_url: str | None = None, warehouse: Warehouse | None = None) -> dict[str, Any]:
        return {
            "warehouse": warehouse or self.warehouse,
            "hub": HubResource(endpoint=self.api.hf_endpoint, token=hub_token),
            "github": GitHubResource(api_url=self.api.github_api, server_url=github_server_url or self.api.github_git,
                                     token=github_token, seconds_between_requests=0),
        }

    def discover(self, **resource_args: str) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            [discover_families],
            resources=self.resources(**resource_args),
            instance=self.instance,
            run_config={"execution": {"config": {"retries": {"disabled": {}}}}},
            raise_on_error=False,
        )

    def ingest(self, key: str, **resource_args: str) -> dg.ExecuteInProcessResult:
        self.instance.add_dynamic_partitions(FAMILIES.name, [key])
        return dg.materialize(
            [commits],
            partition_key=key,
            resources=self.resources(**resource_args),
            instance=self.instance,
            # retries off: a test sees the step's first outcome instead of waiting out the retry policy
            run_config={
                "ops": {"raw__commits": {"config": {"mirror_root": str(self.mirrors)}}},
                "execution": {"config": {"retries": {"disabled": {}}}},
            },
            raise_on_error=False,
        )


    def call_commits(self, key: str, **resource_args: str) -> Exception | None:
        """Run the asset function directly: the exception it raises, without the retry policy's waits."""
        ctx = dg.build_asset_context(partition_key=key, instance=self.instance)
        try:
            commits(ctx, CommitsConfig(mirror_root=str(self.mirrors)), **self.resources(**resource_args))
        except Exception as exc:  # the test inspects it
            return exc
        return None

    def call_discovery(self, **resource_args: str) -> Exception | None:
        ctx = dg.build_asset_context(instance=self.instance)
        try:
            list(discover_families(ctx, DiscoveryConfig(), **self.resources(**resource_args)))
        except Exception as exc:  # the test inspects it
            return exc
        return None


@pytest.fixture(scope="session")
def ingest_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAPI]:
    with LocalAPI(build_sample(tmp_path_factory.mktemp("ingest_sample"))) as api:
        yield api


@pytest.fixture(scope="session")
def ingested(ingest_api: LocalAPI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """Discovery, then the two families of :data:`TWO_FAMILIES`, materialized once."""
    root = tmp_path_factory.mktemp("ingested")
    with dg.instance_for_test(temp_dir=str(root)) as instance:
        env = Env(ingest_api, ingest_api.data_dir, root / "hubscope.duckdb", root / "git", instance)
        assert env.discover().success
        for key in TWO_FAMILIES:
            assert env.ingest(key).success
        yield env


@pytest.fixture
def fresh(ingested: Env, tmp_path: Path) -> Iterator[Env]:
    """A private copy of the ingested warehouse and mirrors, with a new instance; faults cleared after."""
    shutil.copyfile(ingested.db, tmp_path / "hubscope.duckdb")
    shutil.copytree(ingested.mirrors, tmp_path / "git")
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        ingested.api.reset()
        yield Env(ingested.api, ingested.sample, tmp_path / "hubscope.duckdb", tmp_path / "git", instance)
        ingested.api.reset()
        deadline = time.monotonic() + 60
        while ingested.api.in_flight and time.monotonic() < deadline:  # answers a delay fault still holds back
            time.sleep(0.2)
        ingested.api.reset()  # would otherwise land in the next test's request log
