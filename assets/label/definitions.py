"""The label stage's assets and checks, collected for the code location."""

import dagster as dg

from assets.label.assets import (
    every_commit_labelled,
    kappa_meets_threshold,
    label_agreement,
    labelled_commits,
    llm_labelled_commits,
    llm_unlabelled_share,
)

defs = dg.Definitions(
    assets=[labelled_commits, llm_labelled_commits, label_agreement],
    asset_checks=[kappa_meets_threshold, every_commit_labelled, llm_unlabelled_share],
)
