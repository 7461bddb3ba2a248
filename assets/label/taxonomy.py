"""The sync study's commit taxonomy, read from ``taxonomy.json`` (its only source).

The file holds the paper's 15 categories (``is_category: true``) and the 4 labels the paper gives
commits but leaves out of every share (bug fix, unclear, uncategorized, add model:
``is_category: false``). A labeller may answer any of the 19; the study's tables count only the 15.
The prompt (:mod:`assets.label.llm`), the rules labeller (:mod:`assets.label.rules`), the
warehouse (``core.taxonomy``, loaded from the same file by ``sql/ddl/020_label.sql`` and referenced
by a foreign key from every label table) and the asset descriptions all read it, so a change of the
taxonomy is one edit. The file's ``source`` field says where the labels and definitions come from.

Contract with the sync stage: ``key`` is the paper's name with spaces replaced by underscores and
``name`` the paper's exact lowercase name; :func:`parse_taxonomy` refuses a file that breaks it.
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
    is_category: bool  # one of the paper's 15 categories; false: a label left out of every share
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
    fallback: dict[str, str]  # FALLBACK_KEYS -> label when no rule matches (platforms: `unclear`, see rules.py)
    digest: str  # changes whenever the file does: part of every cache key

    @property
    def keys(self) -> tuple[str, ...]:
        """Every label a labeller may give (the 15 categories and the 4 labels outside them)."""
        return tuple(c.key for c in self.categories)

    @property
    def category_keys(self) -> tuple[str, ...]:
        """The paper's 15 categories only: what the study's shares are computed over."""
        return tuple(c.key for c in self.categories if c.is_category)

    def markdown(self) -> str:
        """The taxonomy as a markdown table, for asset descriptions and docs."""
        rows = [f"| `{c.key}` | {c.name} | {'yes' if c.is_category else 'no (left out of shares)'} | {c.definition} |"
                for c in self.categories]
        return "\n".join(["| key | name | category | definition |", "|---|---|---|---|", *rows])


def _compile(patterns: list[str], where: str) -> tuple[re.Pattern[str], ...]:
    try:
        return tuple(re.compile(p, re.IGNORECASE) for p in patterns)
    except re.error as exc:
        raise ValueError(f"{TAXONOMY_PATH.name}: bad pattern in {where}: {exc}") from exc


def _check_entry(entry: dict) -> None:
    """The contract the warehouse and the sync stage rely on, per entry (errors name the entry)."""
    key = entry.get("key")
    if not isinstance(key, str) or not re.fullmatch(r"[a-z]+(_[a-z]+)*", key):
        raise ValueError(f"{TAXONOMY_PATH.name}: key {key!r} must be lowercase words joined by underscores")
    if entry.get("name") != key.replace("_", " "):
        raise ValueError(f"{TAXONOMY_PATH.name}: {key}: name must be the key with spaces, {key.replace('_', ' ')!r}, "
                         f"got {entry.get('name')!r}")
    if not isinstance(entry.get("is_category"), bool):
        raise ValueError(f"{TAXONOMY_PATH.name}: {key}: is_category must be true or false, got {entry.get('is_category')!r}")
    if not str(entry.get("definition") or "").strip():
        raise ValueError(f"{TAXONOMY_PATH.name}: {key}: empty definition")


def parse_taxonomy(text: str) -> Taxonomy:
    """Parse and validate taxonomy JSON text: the per-entry contract (:func:`_check_entry`), unique
    keys, and an existing label per FALLBACK_KEYS entry."""
    data = json.loads(text)
    for entry in data["categories"]:
        _check_entry(entry)
    categories = tuple(
        Category(
            key=c["key"],
            name=c["name"],
            is_category=c["is_category"],
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
        raise ValueError(f"{TAXONOMY_PATH.name}: fallback must name a label for each of {', '.join(FALLBACK_KEYS)}, "
                         f"got {fallback}")
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return Taxonomy(data["version"], categories, fallback, digest)


@cache
def load_taxonomy() -> Taxonomy:
    """The project's taxonomy (parsed once per process)."""
    return parse_taxonomy(TAXONOMY_PATH.read_text())


if __name__ == "__main__":  # the docs' table: python -m assets.label.taxonomy
    print(load_taxonomy().markdown())
