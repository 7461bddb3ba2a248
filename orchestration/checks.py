"""Asset checks as SQL: a check is a query listing the offending rows, and passes when it lists none.

Every stage's data-quality checks have this one shape, so each states only its query and why it
matters; the result's metadata is the same everywhere (how many problems, the first rows, and per
value of ``count_by`` how many), which is what the UI's check history shows.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import dagster as dg
import polars as pl

from orchestration.warehouse import Warehouse, table_preview


def problem_rows_check(
    *,
    asset: dg.AssetKey | dg.AssetsDefinition,
    name: str,
    description: str,
    sql: str,
    blocking: bool = True,
    count_by: tuple[str, str, Sequence[str]] | None = None,
    partitions_def: dg.PartitionsDefinition | None = None,
) -> dg.AssetChecksDefinition:
    """A check on ``asset`` that fails when ``sql`` returns rows.

    ``count_by=(column, weight, values)`` adds one metadata entry per value: the sum of ``weight``
    over the problem rows whose ``column`` equals it (e.g. missing and orphaned label counts).

    With ``partitions_def`` the check runs per partition and ``sql`` receives the partition key as
    ``$partition``, so a problem in one partition never fails another partition's run.

    The check runs in the ``duckdb`` pool like every warehouse writer and reads through a read-only
    connection, so it never takes the write lock and the snapshot and sensor reads proceed meanwhile.
    """

    def _check(context, warehouse: Warehouse) -> dg.AssetCheckResult:
        params = {"partition": context.partition_key} if partitions_def else None
        rows = warehouse.query(sql, params, read_only=True)
        metadata: dict[str, dg.MetadataValue] = {
            "problems": dg.MetadataValue.int(rows.height),
            "rows": table_preview(rows, rows=20),
        }
        if count_by:
            column, weight, values = count_by
            for value in values:
                metadata[value] = dg.MetadataValue.int(int(rows.filter(pl.col(column) == value)[weight].sum()))
        return dg.AssetCheckResult(passed=rows.is_empty(), metadata=metadata)

    with warnings.catch_warnings():  # partitioned checks are "preview" in 1.13; tested in tests/ops/test_checks.py
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.asset_check(asset=asset, name=name, blocking=blocking, description=description, pool="duckdb",
                              partitions_def=partitions_def)(_check)
