"""Ingest assets: family discovery (unpartitioned) and commit histories (one partition per family).

Thin wrappers: the logic lives in ``discovery``, ``gitlog`` and ``history`` beside this file. Both
read from the warehouse, close the connection, talk to the platforms, then write, each in one
transaction (see ``history`` for the commits' rules).
"""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import Field

from assets.ingest import discovery, history, remote
from orchestration.partitions import FAMILIES
from orchestration.resources import GitHubResource, HubResource
from orchestration.warehouse import ROOT, Warehouse, table_preview

GROUP = "ingest"
KINDS = {"python", "duckdb"}
HUB_MODELS = dg.AssetKey(["raw", "hub_models"])
GITHUB_REPOS = dg.AssetKey(["raw", "github_repos"])
FAMILIES_KEY = dg.AssetKey(["core", "families"])
VARIANTS = dg.AssetKey(["core", "variants"])
COMMITS = dg.AssetKey(["raw", "commits"])
DISCOVERY_KEYS = (HUB_MODELS, GITHUB_REPOS, FAMILIES_KEY, VARIANTS)


def mirror_root(configured: str | None) -> Path:
    """The git mirror cache: run config, else ``HUBSCOPE_GIT_CACHE``, else ``data/git`` in the project."""
    return Path(configured or os.environ.get("HUBSCOPE_GIT_CACHE") or ROOT / "data" / "git")


REMOTE_RETRY = dg.RetryPolicy(max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
"""Transient failures (server errors, cut connections) retry later."""
UNKNOWN_RESET_S = 900
"""Wait before retrying a step whose rate limit did not say when it resets."""


def retry_after_reset(context: dg.AssetExecutionContext, exc: remote.RateLimited) -> dg.RetryRequested:
    """A rate limit far from its reset: retry the step once the limit has reset (not on the policy's clock).

    The wait is logged with the time it ends, since Dagster itself only says "retrying" and a long
    Retry-After would otherwise look like a hang.
    """
    wait = exc.wait_s if exc.wait_s is not None else UNKNOWN_RESET_S
    until = datetime.now(UTC) + timedelta(seconds=wait)
    said = "as the platform asked" if exc.wait_s is not None else "the platform did not say how long"
    context.log.warning(f"{exc} -- retrying this step in {wait:.0f}s ({said}), at {until:%H:%M:%S} UTC")
    return dg.RetryRequested(max_retries=REMOTE_RETRY.max_retries, seconds_to_wait=wait)


class DiscoveryConfig(dg.Config):
    min_downloads: int = Field(default=10_000, description="Minimum Hub downloads for a model to qualify.")
    pipeline_tags: list[str] = Field(default=list(discovery.NLP_PIPELINE_TAGS), description="NLP pipeline tags scanned.")
    max_models_per_tag: int = Field(default=5_000, description="Upper bound per tag (most downloaded first).")


class CommitsConfig(dg.Config):
    mirror_root: str | None = Field(default=None, description="Blobless git mirror cache (default: HUBSCOPE_GIT_CACHE or data/git).")


def _meta(frame: pl.DataFrame, **extra: object) -> dict[str, object]:
    return {"dagster/row_count": frame.height, "preview": table_preview(frame), **extra}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(HUB_MODELS, description="Every NLP model on the Hub over the download threshold, with its GitHub links and why it has no family if it has none.", group_name=GROUP, kinds=KINDS),
        dg.AssetSpec(GITHUB_REPOS, description="The upstream GitHub repositories of the families (after renames): stars, forks, contributors, dates, default branch.", group_name=GROUP, kinds=KINDS, deps=[HUB_MODELS]),
        dg.AssetSpec(FAMILIES_KEY, description="Model families: one upstream GitHub repository and its Hub variants; the keys of the families partitions.", group_name=GROUP, kinds=KINDS, deps=[HUB_MODELS, GITHUB_REPOS]),
        dg.AssetSpec(VARIANTS, description="Which Hub model belongs to which family.", group_name=GROUP, kinds=KINDS, deps=[HUB_MODELS, GITHUB_REPOS]),
    ],
    name="discover_families",
    # no pool slot: its long part is remote work; its writes queue on the warehouse's write lock
    retry_policy=REMOTE_RETRY,
)
def discover_families(
    context: dg.AssetExecutionContext, config: DiscoveryConfig, warehouse: Warehouse, hub: HubResource, github: GitHubResource
):
    """Scan the Hub, resolve the linked GitHub repositories, and replace the four tables in one transaction."""
    at = datetime.now(UTC)
    previous = warehouse.query("select family_key, first_seen from core.families")
    api = hub.api()
    models = []
    try:
        for model in discovery.scan_hub(api, config.pipeline_tags, config.min_downloads, config.max_models_per_tag):
            links, chosen, issue = discovery.card_links(api, model)
            models.append(discovery.model_row(model, links, chosen, issue, at))
        repos, missing = discovery.resolve_github(github.client(), [m["github_repo"] for m in models if m["github_repo"]], at)
    except remote.RateLimited as exc:
        raise retry_after_reset(context, exc) from exc
    tables = discovery.build_tables(models, repos, missing, previous, at)
    manual = warehouse.query("select family_key, github_repo, hub_variants from core.manual_families")
    tables = discovery.with_manual_families(tables, manual, previous, at)
    warehouse.replace_many({}, {
        "raw.hub_models": tables.hub_models, "raw.github_repos": tables.github_repos,
        "core.families": tables.families, "core.variants": tables.variants,
    })
    new = sorted(set(tables.families["family_key"]) - set(previous["family_key"]))
    context.log.info(f"{tables.families.height} families ({len(new)} new), {tables.hub_models.height} models scanned")
    excluded = tables.hub_models.filter(pl.col("family_key").is_null()).select("repo_id", "link_issue")
    yield dg.MaterializeResult(asset_key=HUB_MODELS, metadata=_meta(tables.hub_models, without_family=table_preview(excluded, 20)))
    yield dg.MaterializeResult(asset_key=GITHUB_REPOS, metadata=_meta(tables.github_repos))
    yield dg.MaterializeResult(asset_key=FAMILIES_KEY, metadata=_meta(tables.families, new_families=", ".join(new) or "none"))
    yield dg.MaterializeResult(asset_key=VARIANTS, metadata=_meta(tables.variants))


@dg.asset(
    key=COMMITS,
    description=(
        "Commit histories of a family's GitHub repository and Hub variants, from blobless git mirrors: sha, parents, "
        "author and committer with UTC times and their offsets, title, message, changed files with GitHub's status "
        "names and renames/copies as git -M -C finds them (line counts NULL: git without blobs has none), date_flag "
        "for implausible dates. Holds exactly the commits on each default branch: after a force-push or super-squash "
        "the commits no longer on it are removed and the rewrite recorded. Incremental: unchanged repositories cost "
        "one request and rewrite nothing. Bookkeeping in raw.repo_state."
    ),
    group_name=GROUP,
    kinds=KINDS | {"git"},
    partitions_def=FAMILIES,
    deps=[FAMILIES_KEY, VARIANTS],
    # no pool slot: its long part is remote work; its writes queue on the warehouse's write lock
    retry_policy=REMOTE_RETRY,
)
def commits(
    context: dg.AssetExecutionContext, config: CommitsConfig, warehouse: Warehouse, hub: HubResource, github: GitHubResource
) -> dg.MaterializeResult:
    at = datetime.now(UTC)
    try:
        family = history.load_family(warehouse, context.partition_key)
    except ValueError as exc:  # a missing family is not transient: retrying cannot help
        raise dg.Failure(str(exc), allow_retries=False) from None
    try:
        histories, errors = history.refresh_family(family, history.remotes(family, hub, github), mirror_root(config.mirror_root), at)
    except remote.RateLimited as exc:
        raise retry_after_reset(context, exc) from exc
    written = history.write_family(warehouse, family, histories, at)
    for (platform, repo), n in written.dropped.items():
        context.log.warning(f"{platform} repository {repo}: history rewritten upstream, {n} stored commits no longer "
                            "on its default branch were removed (recorded in raw.repo_state.rewritten_at)")
    if errors:  # what worked is stored; the step fails so its retry policy fetches the rest later
        raise dg.Failure(f"family {family.family_key}: {len(errors)} repositories failed: " + " | ".join(errors))
    stored = warehouse.query(
        "select platform, count(*)::int as n from raw.commits where family_key = ? group by 1 order by 1", [family.family_key]
    )
    by_platform = dict(zip(stored["platform"], stored["n"]))
    new = history.commit_frame(family, histories).select("platform", "repo", "sha", "committed_at", "title", "n_files")
    status = pl.DataFrame([{"platform": h.platform, "repo": h.repo, "status": h.status, "read": len(h.commits),
                            "removed": written.dropped.get((h.platform, h.repo), 0), "reason": h.reason} for h in histories])
    context.log.info(f"{family.family_key}: {written.added} new commits; "
                     + ", ".join(f"{h.platform}:{h.repo}={h.status}" for h in histories))
    return dg.MaterializeResult(metadata={
        "dagster/row_count": sum(by_platform.values()),
        "new_commits": written.added,
        "removed_commits": sum(written.dropped.values()),
        "github_commits": by_platform.get("github", 0),
        "hub_commits": by_platform.get("hub", 0),
        "repositories": table_preview(status, 50),
        "preview": table_preview(new.sort("committed_at", descending=True)),
    })
