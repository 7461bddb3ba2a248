"""The ingest stage's assets, collected for the code location."""

import dagster as dg

from assets.ingest.assets import commits, discover_families
from assets.ingest.checks import no_duplicate_commits

defs = dg.Definitions(assets=[discover_families, commits], asset_checks=[no_duplicate_commits])
