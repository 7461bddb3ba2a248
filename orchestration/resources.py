"""Resources: the warehouse and the three remote APIs, configured from the environment.

The warehouse is a DuckDB file (``HUBSCOPE_DB``, the default) or, when ``HUBSCOPE_WAREHOUSE`` holds
``ducklake:postgres:...``, a DuckLake with its Parquet files under ``HUBSCOPE_LAKE_DATA_PATH``
(docs/ducklake.md). The lake's attach string is bound as an ``EnvVar``, so a password in it never
shows in the UI's resource config.

Endpoints default to the real services and are switched by the variables their own clients
read (``HF_ENDPOINT``, ``GITHUB_API_URL``/``GITHUB_SERVER_URL``, ``OPENAI_BASE_URL``), so pointing
hubscope at the local API server, a mirror or an enterprise install is configuration only.
Secrets are bound with ``dg.EnvVar`` (never read into code or metadata) and are optional.
"""

from __future__ import annotations

import os

import dagster as dg
from github import Auth, Github
from huggingface_hub import HfApi
from pydantic import Field

from orchestration.lake import DATA_PATH_ENV, EXTENSIONS_ENV, WAREHOUSE_ENV
from orchestration.warehouse import Warehouse


class HubResource(dg.ConfigurableResource):
    """The Hugging Face Hub (or any server speaking its API)."""

    endpoint: str = Field(default="https://huggingface.co", description="Hub base URL (HF_ENDPOINT).")
    token: str | None = Field(default=None, description="HF_TOKEN, for gated or private repositories.")

    def api(self) -> HfApi:
        return HfApi(endpoint=self.endpoint, token=self.token or False)

    def git_url(self, repo_id: str) -> str:
        return f"{self.endpoint.rstrip('/')}/{repo_id}"


class GitHubResource(dg.ConfigurableResource):
    """GitHub REST (via PyGithub) and GitHub's git-over-HTTPS server."""

    api_url: str = Field(default="https://api.github.com", description="REST base URL (GITHUB_API_URL).")
    server_url: str = Field(default="https://github.com", description="git server URL (GITHUB_SERVER_URL).")
    token: str | None = Field(default=None, description="GITHUB_TOKEN: 5,000 requests/hour instead of 60.")
    seconds_between_requests: float = Field(
        default=0.25, description="PyGithub's pause between requests (GitHub's advice against secondary limits); 0 for a local server."
    )

    def client(self) -> Github:
        auth = Auth.Token(self.token) if self.token else None
        return Github(base_url=self.api_url, auth=auth, per_page=100, retry=3,
                      seconds_between_requests=self.seconds_between_requests)

    def git_url(self, full_name: str) -> str:
        return f"{self.server_url.rstrip('/')}/{full_name}.git"


class LLMResource(dg.ConfigurableResource):
    """Any OpenAI-compatible chat endpoint (OpenAI, Gemini's compatible endpoint, vLLM, Ollama)."""

    base_url: str | None = Field(default=None, description="OPENAI_BASE_URL; unset means the rules labeller.")
    model: str = Field(default="gpt-4o-mini", description="Model name sent with every request.")
    api_key: str | None = Field(default=None, description="OPENAI_API_KEY.")

    @property
    def configured(self) -> bool:
        return bool(self.base_url)


def _secret(name: str) -> dg.EnvVar | None:
    """Bind a secret by name only when it is set, so an unset token means anonymous access."""
    return dg.EnvVar(name) if os.environ.get(name) else None


def warehouse_from_env() -> Warehouse:
    """The warehouse the environment configures: ``HUBSCOPE_WAREHOUSE`` (a lake, or a file path), else ``HUBSCOPE_DB``."""
    env = os.environ.get
    if not env(WAREHOUSE_ENV):
        return Warehouse(database=env("HUBSCOPE_DB") or Warehouse().database)
    return Warehouse(database=dg.EnvVar(WAREHOUSE_ENV), data_path=env(DATA_PATH_ENV) or None,
                     extension_directory=env(EXTENSIONS_ENV) or None)


def default_resources() -> dict[str, dg.ConfigurableResource]:
    """Resources for the code location, read from the environment at load time."""
    env = os.environ.get
    return {
        "warehouse": warehouse_from_env(),
        "hub": HubResource(endpoint=env("HF_ENDPOINT", "https://huggingface.co"), token=_secret("HF_TOKEN")),
        "github": GitHubResource(
            api_url=env("GITHUB_API_URL", "https://api.github.com"),
            server_url=env("GITHUB_SERVER_URL", "https://github.com"),
            token=_secret("GITHUB_TOKEN"),
        ),
        "llm": LLMResource(
            base_url=env("OPENAI_BASE_URL"),
            model=env("HUBSCOPE_LLM_MODEL", "gpt-4o-mini"),
            api_key=_secret("OPENAI_API_KEY"),
        ),
    }
