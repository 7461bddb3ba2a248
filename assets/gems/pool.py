"""Candidate pools: a base model's descendants from the Hub's model tree, with user filters.

The Hub links a model to its parent through card metadata (``base_model``), and lists a model's
direct children per relation with ``list_models(filter="base_model:<relation>:<id>")``; a whole tree
therefore needs a breadth-first walk. ``model_info`` supplies what the listing lacks (card, size,
gating, revision). Filters are configuration (:class:`PoolFilters`), and excluded models are kept
with the reason, so a user sees why a model is not searched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

RELATIONS = ("finetune", "adapter", "merge", "quantized")
CARD_FIELDS = ("license", "language", "datasets", "base_model", "pipeline_tag", "tags", "metrics", "model-index")


@dataclass(frozen=True)
class PoolFilters:
    """What a candidate must satisfy to be searched (each one can be switched off)."""

    same_architecture: bool = True
    max_size_ratio: float | None = 1.1  # parameters within this factor of the base (None: any size)
    exclude_quantized: bool = True
    exclude_gated: bool = True
    min_card_fields: int = 0


def walk_tree(api: Any, base_id: str, relations: tuple[str, ...] = RELATIONS, max_depth: int = 4, max_models: int = 5000) -> list[dict]:
    """Breadth-first walk of ``base_id``'s model tree: one row per model, the base first."""
    rows = [_row(api.model_info(base_id), base_id, None, "base", 0)]
    seen, frontier = {base_id}, [base_id]
    for depth in range(1, max_depth + 1):
        nxt = []
        for parent in frontier:
            for relation in relations:
                for child in api.list_models(filter=f"base_model:{relation}:{parent}"):
                    if child.id in seen or len(seen) >= max_models:
                        continue
                    seen.add(child.id)
                    rows.append(_row(api.model_info(child.id), base_id, parent, relation, depth))
                    nxt.append(child.id)
        frontier = nxt
        if not frontier:
            break
    return rows


def _row(info: Any, base_id: str, parent: str | None, relation: str, depth: int) -> dict:
    card = info.card_data.to_dict() if info.card_data is not None else {}
    config = info.config or {}
    params = info.safetensors.total if info.safetensors is not None else None
    return {
        "repo_id": info.id, "base_model": base_id, "parent": parent, "relation": relation, "depth": depth,
        "sha": info.sha, "downloads": info.downloads, "downloads_all_time": getattr(info, "downloads_all_time", None),
        "likes": info.likes, "created_at": info.created_at, "library_name": info.library_name,
        "pipeline_tag": info.pipeline_tag, "architecture": (config.get("architectures") or [None])[0],
        "parameters": params, "license": card.get("license"), "gated": str(info.gated).lower() if info.gated is not None else "false",
        "card_fields": sum(1 for f in CARD_FIELDS if card.get(f)), "tags": list(info.tags or []),
    }


def apply_filters(rows: list[dict], filters: PoolFilters) -> list[dict]:
    """Mark each non-base row ``included`` or give the first filter it fails as ``excluded_reason``."""
    base = rows[0]
    out = []
    for row in rows:
        reason = None if row["relation"] == "base" else _exclusion(row, base, filters)
        out.append({**row, "included": reason is None, "excluded_reason": reason})
    return out


def _exclusion(row: dict, base: dict, f: PoolFilters) -> str | None:
    if f.exclude_quantized and row["relation"] == "quantized":
        return "quantized"
    if f.exclude_gated and row["gated"] not in ("false", "none"):
        return f"gated ({row['gated']})"
    if f.same_architecture and base["architecture"] and row["architecture"] != base["architecture"]:
        return f"architecture {row['architecture']} differs from the base's {base['architecture']}"
    if f.max_size_ratio and base["parameters"] and row["parameters"]:
        ratio = max(row["parameters"], base["parameters"]) / min(row["parameters"], base["parameters"])
        if ratio > f.max_size_ratio:
            return f"size {row['parameters']} parameters vs the base's {base['parameters']}"
    if row["card_fields"] < f.min_card_fields:
        return f"model card has {row['card_fields']} metadata fields (< {f.min_card_fields})"
    return None


def pool_frame(base_key: str, rows: list[dict]) -> pl.DataFrame:
    """The rows as ``raw.gem_candidates`` stores them."""
    now = datetime.now(UTC)
    frame = pl.DataFrame(rows, infer_schema_length=None).with_columns(
        pl.lit(base_key).alias("base_key"), pl.lit(now).alias("discovered_at")
    )
    return frame
