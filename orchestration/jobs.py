"""Jobs: discovery, commit histories per family partition, and a family end to end.

All write the warehouse, so their runs carry ``hubscope/warehouse=write`` (dagster.yaml caps how
many such runs the queue admits) on top of the ``duckdb`` pool of their steps.
"""

from __future__ import annotations

import dagster as dg

from assets.ingest.assets import COMMITS, DISCOVERY_KEYS
from assets.label.assets import labelled_commits
from assets.sync.assets import sync_families

WRITE_TAGS = {"hubscope/warehouse": "write"}

discovery_job = dg.define_asset_job(
    "discovery_job",
    selection=dg.AssetSelection.assets(*DISCOVERY_KEYS),
    description="Scan the Hub for language models with a GitHub upstream; replace the family tables.",
    tags=WRITE_TAGS,
)

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets(COMMITS),
    description="Fetch one family's new commits (GitHub and every Hub variant) into raw.commits.",
    tags=WRITE_TAGS,
)

family_job = dg.define_asset_job(
    "family_job",
    selection=dg.AssetSelection.assets(COMMITS, labelled_commits, sync_families),
    description="One family end to end without spending LLM tokens: new commits, their rules labels, the "
    "family's synchronization (and their checks). Launched per family partition; on Celery workers its steps "
    "go to the default queue, several families at once.",
    tags=WRITE_TAGS,
)

JOBS = [discovery_job, ingest_job, family_job]
