"""Running a partitioned asset check the way Dagster does, for tests that need one partition's verdict.

A partitioned check reads ``context.partition_key``, so it cannot be called directly like an
unpartitioned one (``check(dg.build_asset_check_context(), warehouse=...)``); it runs here beside a
stand-in for its asset whose rows the test has already written to the warehouse.
"""

from __future__ import annotations

import dagster as dg

from orchestration.warehouse import Warehouse


def partition_check_passes(check: dg.AssetChecksDefinition, asset_key: dg.AssetKey, partitions_def: dg.PartitionsDefinition,
                           warehouse: Warehouse, instance: dg.DagsterInstance, partition_key: str) -> bool:
    @dg.asset(key=asset_key, partitions_def=partitions_def)
    def already_written() -> None:  # stands in for the real asset: its rows are in the warehouse
        return None

    result = dg.materialize([already_written, check], partition_key=partition_key, instance=instance,
                            resources={"warehouse": warehouse}, raise_on_error=False)
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation.passed
