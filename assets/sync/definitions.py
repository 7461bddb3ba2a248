"""The sync stage's assets and checks, collected for the code location."""

import dagster as dg

from assets.sync.assets import SYNC_ASSETS
from assets.sync.checks import family_classified

defs = dg.Definitions(assets=SYNC_ASSETS, asset_checks=[family_classified])
