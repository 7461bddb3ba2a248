"""Ops fixtures: a hubscope home (instance, warehouse, git cache) filled once by the real CLI.

The CLI runs in subprocesses with the environment a user sets (the code location reads its
endpoints at import), against the session's local API server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest

from orchestration.warehouse import ROOT

FAMILY = "indolab__indobert-lite"
"""A small sample family (three repositories, a few hundred commits)."""


@dataclass
class Home:
    env: dict[str, str]
    root: Path
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def database(self) -> Path:
        return Path(self.env["HUBSCOPE_DB"])

    @property
    def dagster_home(self) -> Path:
        return Path(self.env["DAGSTER_HOME"])

    def instance(self) -> dg.DagsterInstance:
        """The home's instance as the CLI sees it (``instance_for_test(temp_dir=...)`` would overwrite
        its dagster.yaml, and with it the pools)."""
        return dg.DagsterInstance.from_config(str(self.dagster_home))

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "orchestration.cli", *args], cwd=ROOT, env=self.env,
            capture_output=True, text=True, timeout=timeout,
        )


def require_tool(found: str | None, name: str, package: str) -> str:
    """``found`` (a system tool's path); when absent, skip naming the Debian package, except on CI
    (``CI`` set), where .ci/run installs it and its absence is a failure."""
    if found:
        return found
    message = f"{name} not found: install Debian's {package} package (.ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def home_env(local_api, root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBSCOPE_", "DAGSTER_"))}
    env.update(
        HF_ENDPOINT=local_api.hf_endpoint, GITHUB_API_URL=local_api.github_api, GITHUB_SERVER_URL=local_api.github_git,
        HUBSCOPE_DB=str(root / "hubscope.duckdb"), HUBSCOPE_GIT_CACHE=str(root / "git"),
        DAGSTER_HOME=str(root / "dagster_home"), PYTHONWARNINGS="ignore",
    )
    env.pop("OPENAI_BASE_URL", None)
    return env


@pytest.fixture(scope="session")
def cli_home(local_api, tmp_path_factory: pytest.TempPathFactory) -> Home:
    """Discovery, then one family end to end, run by ``hubscope materialize`` into a fresh home."""
    root = tmp_path_factory.mktemp("ops_home")
    home = Home(home_env(local_api, root), root)
    discovery = home.cli("materialize", "--select", "key:core/families")
    assert discovery.returncode == 0, discovery.stdout + discovery.stderr
    family = home.cli("materialize", "--family", FAMILY)
    assert family.returncode == 0, family.stdout + family.stderr
    home.outputs.update(discovery=discovery.stdout, family=family.stdout)
    return home
