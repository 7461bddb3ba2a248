"""Registering a base model to search: its partition key and the Hub id it stands for.

Partition keys are not reversible (``repo_key`` lower-cases and may hash), so the id is stored in
``core.base_models`` next to the key when the partition is added.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import polars as pl

from orchestration.partitions import BASE_MODELS, repo_key
from orchestration.warehouse import Warehouse


def register_base_model(warehouse: Warehouse, instance: dg.DagsterInstance, repo_id: str) -> str:
    """Add ``repo_id`` as a BASE_MODELS partition (idempotent); returns its key."""
    key = repo_key(repo_id)
    warehouse.replace("core.base_models", {"base_key": key},
                      pl.DataFrame([{"base_key": key, "repo_id": repo_id, "registered_at": datetime.now(UTC)}]))
    if not instance.has_dynamic_partition(BASE_MODELS.name, key):
        instance.add_dynamic_partitions(BASE_MODELS.name, [key])
    return key


def base_repo_id(warehouse: Warehouse, key: str) -> str:
    """The Hub id of a BASE_MODELS partition; a clear error when it was never registered."""
    found = warehouse.query("select repo_id from core.base_models where base_key = ?", [key])
    if found.is_empty():
        raise ValueError(
            f"base model partition {key!r} is not registered in core.base_models; "
            "add it with assets.gems.registry.register_base_model(warehouse, instance, '<owner>/<model>')"
        )
    return found["repo_id"][0]
