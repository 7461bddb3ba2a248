"""Jobs of the ingest stage: discovery, and commit histories per family partition.

Both write the warehouse, so their runs carry ``hubscope/warehouse=write`` (dagster.yaml caps how
many such runs the queue admits) on top of the ``duckdb`` pool of their steps.
"""

from __future__ import annotations

import dagster as dg

from assets.ingest.assets import COMMITS, DISCOVERY_KEYS

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

JOBS = [discovery_job, ingest_job]
