"""The label stage's assets and checks, collected for the code location."""

import dagster as dg

defs = dg.Definitions()
