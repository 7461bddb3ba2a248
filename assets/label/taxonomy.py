"""The 15-category commit taxonomy, read from ``taxonomy.json`` (its only source).

The prompt (:mod:`assets.label.llm`), the rules labeller (:mod:`assets.label.rules`), the
warehouse (``core.taxonomy``, loaded from the same file by ``sql/ddl/020_label.sql`` and referenced
by a foreign key from ``core.labelled_commits.category``) and the asset descriptions all read it,
so adding or renaming a category is one edit. See the file's ``source`` field for where the
categories come from (arXiv:2508.10157 and the ML change taxonomy it builds on).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TAXONOMY_PATH = Path(__file__).with_name("taxonomy.json")
FALLBACK_KEYS = ("github", "hub", "merge")
"""The ``fallback`` block: a category per platform when no rule matches, and one for a merge with nothing of its own."""


@dataclass(frozen=True)
class Category:
    """One change type: its key (stored in the warehouse), name, definition, examples (shown to the LLM)
    and rule signals."""

    key: str
    name: str
    definition: str
    examples: tuple[str, ...]
    message_patterns: tuple[re.Pattern[str], ...]
    path_patterns: tuple[re.Pattern[str], ...]
    weight: float

    @property
    def message_re(self) -> re.Pattern[str] | None:
        """All message patterns as one alternation (one scan per category instead of one per pattern)."""
        return _union(self.message_patterns)

    @property
    def path_re(self) -> re.Pattern[str] | None:
        return _union(self.path_patterns)


@cache
def _union(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), re.IGNORECASE) if patterns else None


@dataclass(frozen=True)
class Taxonomy:
    version: str
    categories: tuple[Category, ...]
    fallback: dict[str, str]  # FALLBACK_KEYS -> category when no rule matches (platforms: the paper's RQ1 mode)
    digest: str  # changes whenever the file does: part of every cache key

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.categories)

    def markdown(self) -> str:
        """The taxonomy as a markdown table, for asset descriptions and docs."""
        rows = [f"| `{c.key}` | {c.name} | {c.definition} |" for c in self.categories]
        return "\n".join(["| key | category | definition |", "|---|---|---|", *rows])


def _compile(patterns: list[str], where: str) -> tuple[re.Pattern[str], ...]:
    try:
        return tuple(re.compile(p, re.IGNORECASE) for p in patterns)
    except re.error as exc:
        raise ValueError(f"{TAXONOMY_PATH.name}: bad pattern in {where}: {exc}") from exc


def parse_taxonomy(text: str) -> Taxonomy:
    """Parse and validate taxonomy JSON text (unique keys, an existing fallback category per FALLBACK_KEYS entry)."""
    data = json.loads(text)
    categories = tuple(
        Category(
            key=c["key"],
            name=c["name"],
            definition=c["definition"],
            examples=tuple(c.get("examples", [])),
            message_patterns=_compile(c.get("message_patterns", []), f"{c['key']}.message_patterns"),
            path_patterns=_compile(c.get("path_patterns", []), f"{c['key']}.path_patterns"),
            weight=float(c.get("weight", 1.0)),
        )
        for c in data["categories"]
    )
    keys = [c.key for c in categories]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{TAXONOMY_PATH.name}: duplicate category keys in {keys}")
    fallback = dict(data["fallback"])
    unknown = {p: k for p, k in fallback.items() if k not in keys}
    if unknown or set(fallback) != set(FALLBACK_KEYS):
        raise ValueError(f"{TAXONOMY_PATH.name}: fallback must name a category for each of {', '.join(FALLBACK_KEYS)}, "
                         f"got {fallback}")
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return Taxonomy(data["version"], categories, fallback, digest)


@cache
def load_taxonomy() -> Taxonomy:
    """The project's taxonomy (parsed once per process)."""
    return parse_taxonomy(TAXONOMY_PATH.read_text())


if __name__ == "__main__":  # the docs' table: python -m assets.label.taxonomy
    print(load_taxonomy().markdown())
