"""Operating policies applied in one place over every stage's assets: owners, tags, automation.

Stages describe *what* an asset is (key, group, kinds, partitions, the ``hubscope/cost`` tag);
this module decides *who owns it* and *when it runs by itself*, so the whole automation story can
be read, reviewed and changed here:

- **ingest** runs on its own sensor (new families) and daily schedule, so it carries no condition.
- **label** rules follow new commits per family (``eager``); anything tagged ``hubscope/cost: llm``
  never runs by itself, whatever its stage says: tokens are spent on demand only.
- **sync** per-family pairs follow new labels (``eager``); the study tables (unpartitioned, read
  across all families) follow any family's update without waiting for every family to exist.
- **gems** evaluation (GPU) runs on demand only (there is no schedule); the leaderboard follows it.

Every asset gets a ``hubscope/automation`` tag naming its policy, so the UI can filter by it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import dagster as dg

COST_TAG = "hubscope/cost"
AUTOMATION_TAG = "hubscope/automation"

GROUP_OWNERS: Mapping[str, tuple[str, ...]] = {
    "ingest": ("team:hubscope-ingest",),
    "label": ("team:hubscope-label",),
    "sync": ("team:hubscope-sync",),
    "gems": ("team:hubscope-gems",),
}
"""Owners per stage, shown on every asset page and usable in selections (``owner:team:...``)."""

ON_DEMAND_KINDS = frozenset({"pytorch"})
"""Kinds whose assets need an accelerator: never materialized by automation."""

LLM_ASSETS = dg.AssetSelection.tag(COST_TAG, "llm")

EAGER = dg.AutomationCondition.eager().replace(
    "any_deps_missing", dg.AutomationCondition.any_deps_missing().ignore(LLM_ASSETS)
)
"""Run a partition when its upstream partition has new data (and nothing upstream is running).

Unlike Dagster's plain ``eager``, a never-materialized LLM asset upstream does not hold it back:
those run on demand only, so the sync pairs (which read LLM labels where they exist) follow the
rules labels until LLM labels land, and follow those when they do."""

STUDY = (
    dg.AutomationCondition.any_deps_updated().ignore(dg.AssetSelection.groups("ingest")).since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("follows families")
"""Cross-family study tables: run after any family's labels or pairs land (a family not yet ingested
does not block them, unlike ``eager``). Raw commits are ignored as a trigger: their labels follow,
and the table runs once those land rather than twice."""


def automation_policy(spec: dg.AssetSpec) -> tuple[str, dg.AutomationCondition | None]:
    """The policy name and automation condition for one asset (None: runs only when asked).

    Rules, first match wins: LLM cost -> on demand; ingest -> its sensor and schedule; GPU kinds or
    unknown groups -> on demand; label/sync partitions -> eager; sync study tables -> follow
    families; the gems leaderboard -> eager after each evaluation; other gems assets -> on demand.
    """
    tags = spec.tags or {}
    group = spec.group_name or ""
    if tags.get(COST_TAG) == "llm":
        return "on-demand-llm", None
    if group == "ingest":
        return "sensor-and-schedule", None
    if ON_DEMAND_KINDS & set(spec.kinds or ()):
        return "on-demand-gpu", None
    if group in ("label", "sync"):
        if spec.partitions_def is not None:
            return "eager", EAGER
        return "follows-families", STUDY
    if group == "gems" and spec.key == dg.AssetKey(["out", "gem_leaderboard"]):
        return "eager", EAGER
    return "on-demand", None


def apply_policy(spec: dg.AssetSpec) -> dg.AssetSpec:
    """One asset spec with owners, the policy tag and the automation condition set."""
    name, condition = automation_policy(spec)
    owners = GROUP_OWNERS.get(spec.group_name or "", ())
    return spec.replace_attributes(
        owners=sorted(set(spec.owners or ()) | set(owners)),
        automation_condition=condition,
    ).merge_attributes(tags={AUTOMATION_TAG: name})


automation_sensor = dg.AutomationConditionSensorDefinition(
    "hubscope_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    run_tags={"hubscope/warehouse": "write", "hubscope/trigger": "automation"},
    description="Evaluates every asset's automation condition (see orchestration/policies.py) every 30 s. "
    "Runs it requests are tagged hubscope/warehouse=write, which dagster.yaml limits across runs.",
)


def with_policies(defs: dg.Definitions) -> dg.Definitions:
    """``defs`` with every asset spec passed through :func:`apply_policy` and the automation sensor added."""
    with warnings.catch_warnings():  # map_asset_specs is "preview" in 1.13; its behaviour is tested in tests/ops
        warnings.simplefilter("ignore", dg.PreviewWarning)
        mapped = defs.map_asset_specs(func=apply_policy)
    return dg.Definitions.merge(mapped, dg.Definitions(sensors=[automation_sensor]))
