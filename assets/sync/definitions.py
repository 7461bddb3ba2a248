"""The sync stage's assets and checks, collected for the code location."""

import dagster as dg

from assets.sync.assets import SYNC_ASSETS

defs = dg.Definitions(assets=SYNC_ASSETS)
