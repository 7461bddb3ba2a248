"""The ingest stage's assets, collected for the code location."""

import dagster as dg

from assets.ingest.assets import commits, discover_families

defs = dg.Definitions(assets=[discover_families, commits])
