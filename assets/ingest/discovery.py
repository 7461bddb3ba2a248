"""Family discovery: pre-trained language models on the Hub, grouped by their upstream GitHub repository.

As in the sync study: models whose pipeline tag is an NLP task, downloaded at least ``min_downloads``
times, whose card (metadata, else README) links a GitHub repository; Hub variants linking the same
repository (after GitHub renames) form one family, keyed by :func:`orchestration.partitions.repo_key`
of the repository's current name. Every scanned model is kept in ``raw.hub_models`` with the reason
it has no family (``link_issue``), so exclusions can be audited.

Network functions (``scan_hub``, ``resolve_github``) are separate from the frame builders, which are
pure and tested on their own.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice, takewhile
from typing import Any

import polars as pl
from github import Github, GithubException, UnknownObjectException
from huggingface_hub import HfApi, hf_hub_url
from huggingface_hub.hf_api import ModelInfo
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

from assets.ingest.links import choose_repo, github_links
from assets.ingest.remote import call, wait_or_raise
from orchestration.partitions import repo_key

NLP_PIPELINE_TAGS: tuple[str, ...] = (
    "text-generation",
    "text2text-generation",
    "fill-mask",
    "text-classification",
    "token-classification",
    "question-answering",
    "summarization",
    "translation",
    "zero-shot-classification",
    "sentence-similarity",
    "feature-extraction",
    "table-question-answering",
)
"""The Hub's natural-language pipeline tags (the study's notion of a language model)."""

HUB_MODELS_SCHEMA = {
    "repo_id": pl.String, "family_key": pl.String, "github_repo": pl.String, "github_links": pl.List(pl.String),
    "link_issue": pl.String, "pipeline_tag": pl.String, "library_name": pl.String, "downloads": pl.Int64,
    "likes": pl.Int64, "created_at": pl.Datetime("us", "UTC"), "last_modified": pl.Datetime("us", "UTC"),
    "tags": pl.List(pl.String), "base_model": pl.List(pl.String), "gated": pl.String, "sha": pl.String,
    "discovered_at": pl.Datetime("us", "UTC"),
}
GITHUB_REPOS_SCHEMA = {
    "full_name": pl.String, "requested_name": pl.String, "family_key": pl.String, "stars": pl.Int64,
    "forks": pl.Int64, "contributors": pl.Int32, "created_at": pl.Datetime("us", "UTC"),
    "pushed_at": pl.Datetime("us", "UTC"), "default_branch": pl.String, "description": pl.String,
    "fetched_at": pl.Datetime("us", "UTC"),
}


@dataclass(frozen=True)
class Discovery:
    """The four tables discovery writes, replaced together."""

    hub_models: pl.DataFrame
    github_repos: pl.DataFrame
    families: pl.DataFrame
    variants: pl.DataFrame


def scan_hub(api: HfApi, tags: Sequence[str], min_downloads: int, max_per_tag: int) -> list[ModelInfo]:
    """Models of each pipeline tag with at least ``min_downloads``, most downloaded first.

    Listing is sorted by downloads, so it stops at the first model under the threshold: the request
    count follows the number of qualifying models, not the size of the Hub.
    """
    found: dict[str, ModelInfo] = {}
    for tag in tags:
        def listing() -> list[ModelInfo]:
            models = api.list_models(pipeline_tag=tag, sort="downloads", full=True, cardData=True)
            return list(islice(takewhile(lambda m: (m.downloads or 0) >= min_downloads, models), max_per_tag))

        for model in call(listing, f"Hub listing of pipeline_tag={tag}"):
            found.setdefault(model.id, model)
    return list(found.values())


def readme_text(api: HfApi, repo_id: str) -> str | None:
    """The model card's README, or None when it cannot be read (missing, gated, private)."""
    url = hf_hub_url(repo_id, "README.md", endpoint=api.endpoint)

    def get() -> str | None:
        resp = get_session().get(url, headers=build_hf_headers(token=api.token), follow_redirects=True)
        if resp.status_code in (401, 403, 404):
            return None
        hf_raise_for_status(resp)  # a 429 or 5xx raises HfHubHTTPError, which call() retries or waits on
        return resp.text

    return call(get, f"README of {repo_id}")


def card_links(api: HfApi, model: ModelInfo) -> tuple[list[str], str | None, str | None]:
    """(every GitHub link found, the chosen upstream repository, why none was chosen)."""
    card = _card(model)
    links = github_links(card)
    chosen, issue = choose_repo(links, model.author or model.id.split("/")[0])
    if chosen is None:
        readme = readme_text(api, model.id)
        if readme:
            links = github_links(card, readme)
            chosen, issue = choose_repo(links, model.author or model.id.split("/")[0])
    return links, chosen, issue


def _card(model: ModelInfo) -> dict[str, Any]:
    """The card metadata as a plain dict (``ModelCardData`` is not a mapping)."""
    return model.card_data.to_dict() if model.card_data is not None else {}


def resolve_github(gh: Github, names: Iterable[str], fetched_at: datetime) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Metadata of each linked repository (following renames); and ``{name: why unusable}`` for the rest."""
    rows: list[dict[str, Any]] = []
    missing: dict[str, str] = {}
    for name in sorted(set(names)):
        try:
            repo = call(lambda: gh.get_repo(name), f"GitHub repository {name}")
        except UnknownObjectException:
            missing[name] = f"linked GitHub repository {name} does not exist (or is private)"
            continue
        except GithubException as exc:  # not a rate limit (call() handles those): access refused or blocked
            if exc.status not in (403, 451):
                raise
            missing[name] = f"linked GitHub repository {name} is not accessible (HTTP {exc.status}: {_message(exc)})"
            continue
        if not repo.full_name:  # a truncated body parses to an object without fields
            raise RuntimeError(f"GitHub answered an unreadable body for {name}")
        try:
            contributors = call(lambda: repo.get_contributors().totalCount, f"contributors of {repo.full_name}")
        except GithubException as exc:  # GitHub refuses the list of a too large repository with 403
            if exc.status != 403:
                raise
            contributors = None
        rows.append({
            "full_name": repo.full_name,
            "requested_name": name if name.lower() != repo.full_name.lower() else None,
            "family_key": repo_key(repo.full_name),
            "stars": repo.stargazers_count,
            "forks": repo.forks_count,
            "contributors": contributors,
            "created_at": repo.created_at,
            "pushed_at": repo.pushed_at,
            "default_branch": repo.default_branch,
            "description": repo.description,
            "fetched_at": fetched_at,
        })
        respect_github_limit(gh)
    return rows, missing


def _message(exc: GithubException) -> str:
    return str(exc.data.get("message", "")) if isinstance(exc.data, dict) else ""


def respect_github_limit(gh: Github, needed: int = 2) -> None:
    """Read the limit GitHub reported in its last answer; wait for a near reset, else fail clearly."""
    remaining, _limit = gh.rate_limiting
    if remaining < needed:
        wait_or_raise(max(0.0, gh.rate_limiting_resettime - time.time()) + 1, f"GitHub ({remaining} requests left)")


def model_row(model: ModelInfo, links: list[str], chosen: str | None, issue: str | None, at: datetime) -> dict[str, Any]:
    """One ``raw.hub_models`` row (``family_key`` filled once GitHub has been resolved)."""
    base = _card(model).get("base_model")
    if base is None:
        base = [t.split(":", 1)[1] for t in model.tags or [] if t.startswith("base_model:") and t.count(":") == 1]
    return {
        "repo_id": model.id,
        "family_key": None,
        "github_repo": chosen,
        "github_links": links,
        "link_issue": issue,
        "pipeline_tag": model.pipeline_tag,
        "library_name": model.library_name,
        "downloads": model.downloads,
        "likes": model.likes,
        "created_at": model.created_at,
        "last_modified": model.last_modified,
        "tags": list(model.tags or []),
        "base_model": [base] if isinstance(base, str) else list(base or []),
        "gated": str(model.gated).lower() if model.gated is not None else None,
        "sha": model.sha,
        "discovered_at": at,
    }


def build_tables(models: list[dict[str, Any]], repos: list[dict[str, Any]], missing: dict[str, str],
                 previous_families: pl.DataFrame, at: datetime) -> Discovery:
    """Join models to resolved repositories; families keep the ``first_seen`` of earlier discoveries."""
    by_requested = {r["requested_name"] or r["full_name"]: r for r in repos}
    by_requested |= {r["full_name"]: r for r in repos}
    lowered = {k.lower(): v for k, v in by_requested.items()}
    for m in models:
        repo = lowered.get((m["github_repo"] or "").lower())
        if repo is not None:
            m["family_key"] = repo["family_key"]
        elif m["github_repo"]:
            m["link_issue"] = missing.get(m["github_repo"], f"GitHub repository {m['github_repo']} unavailable")
    hub_models = pl.DataFrame(models, schema=HUB_MODELS_SCHEMA)
    github_repos = pl.DataFrame(list({r["full_name"]: r for r in repos}.values()), schema=GITHUB_REPOS_SCHEMA)
    variants = hub_models.filter(pl.col("family_key").is_not_null()).select("family_key", "repo_id").sort("family_key", "repo_id")
    families = (
        hub_models.filter(pl.col("family_key").is_not_null())
        .group_by("family_key")
        .agg(pl.len().cast(pl.Int32).alias("n_variants"), pl.col("downloads").sum().alias("downloads"))
        .join(github_repos.select("family_key", pl.col("full_name").alias("github_repo")), on="family_key")
        .with_columns(_first_seen(previous_families, at))
        .select("family_key", "github_repo", "n_variants", "downloads", "first_seen")
        .sort("family_key")
    )
    used = set(families["family_key"])
    return Discovery(hub_models, github_repos.filter(pl.col("family_key").is_in(used)), families, variants)


def _first_seen(previous_families: pl.DataFrame, at: datetime) -> pl.Expr:
    """``first_seen`` of each ``family_key``: from an earlier discovery, else ``at``."""
    known = dict(zip(previous_families["family_key"], previous_families["first_seen"]))
    return pl.col("family_key").map_elements(lambda k: known.get(k, at), return_dtype=pl.Datetime("us", "UTC")).alias("first_seen")


def with_manual_families(found: Discovery, manual: pl.DataFrame, previous_families: pl.DataFrame, at: datetime) -> Discovery:
    """Keep the families registered by hand (``core.manual_families``) that the Hub scan did not find.

    Discovery replaces the family tables wholesale; without this a family added with
    ``hubscope add-family`` (e.g. under the download threshold) would vanish at the next scan.
    A family the scan does find is taken from the scan, which has fresher metadata.
    """
    extra = manual.filter(~pl.col("family_key").is_in(found.families["family_key"].implode()))
    if extra.is_empty():
        return found
    families = extra.select(
        "family_key", "github_repo",
        pl.col("hub_variants").list.len().cast(pl.Int32).alias("n_variants"),
        pl.lit(None, dtype=pl.Int64).alias("downloads"),
        _first_seen(previous_families, at),
    )
    variants = extra.select("family_key", pl.col("hub_variants").alias("repo_id")).explode("repo_id")
    return Discovery(
        found.hub_models,
        found.github_repos,
        pl.concat([found.families, families.cast(found.families.schema)]).sort("family_key"),
        pl.concat([found.variants, variants.cast(found.variants.schema)]).sort("family_key", "repo_id"),
    )
