"""The hand-labelled gold set: ``gold.csv`` beside this module, validated on load.

Columns: ``gold_id, platform, category, title, message, files`` (paths separated by ``|``).
Each row was labelled by a developer reading the commit against the definitions in
``taxonomy.json`` (never by running a labeller), covering every one of the 19 labels on both
platforms; commits are realistic of each platform (Hub bot uploads, card edits, GitHub
training-code changes) but written for this set, not copied from any repo. How it was made and its
limits: the stage's README, section "The gold set".
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from assets.label.taxonomy import Taxonomy, load_taxonomy

GOLD_PATH = Path(__file__).with_name("gold.csv")
COLUMNS = ["gold_id", "platform", "category", "title", "message", "files"]


def load_gold(path: Path = GOLD_PATH, taxonomy: Taxonomy | None = None) -> pl.DataFrame:
    """Read and validate the gold CSV; any bad row is an error naming the file, line and problem."""
    tax = taxonomy or load_taxonomy()
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = set(COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)}")
        rows, seen = [], set()
        for row in reader:
            line = reader.line_num
            problem = (  # DictReader pads a short row with None and puts a long row's extra fields under None
                f"expected {len(reader.fieldnames or [])} fields, got fewer" if None in row.values()
                else f"expected {len(reader.fieldnames or [])} fields, got more" if None in row
                else "empty gold_id" if not row["gold_id"]
                else f"duplicate gold_id {row['gold_id']!r}" if row["gold_id"] in seen
                else f"platform {row['platform']!r} is not github or hub" if row["platform"] not in ("github", "hub")
                else f"category {row['category']!r} is not in the taxonomy" if row["category"] not in tax.keys
                else "empty title" if not row["title"].strip()
                else None
            )
            if problem:
                raise ValueError(f"{path}, line {line}: {problem}")
            seen.add(row["gold_id"])
            rows.append(
                {
                    "gold_id": row["gold_id"],
                    "platform": row["platform"],
                    "title": row["title"].strip(),
                    "message": row["message"] or None,
                    "files": [p for p in row["files"].split("|") if p],
                    "category": row["category"],
                }
            )
    if not rows:
        raise ValueError(f"{path}: no gold rows")
    return pl.DataFrame(rows, schema={"gold_id": pl.String, "platform": pl.String, "title": pl.String,
                                      "message": pl.String, "files": pl.List(pl.String), "category": pl.String})
