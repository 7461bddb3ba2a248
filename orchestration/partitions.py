"""Dynamic partition sets and the one safe mapping from repository names to partition keys.

Partition keys end up in Dagster's storage, in SQL parameters, in file paths (git mirrors) and in
URLs, so they are restricted to ``[a-z0-9._-]`` plus the ``__`` owner separator. The original name is
always kept in the warehouse next to the key (``core.families.github_repo``,
``core.base_models.repo_id``), so the mapping never needs to be reversed.
"""

from __future__ import annotations

import hashlib
import re

import dagster as dg

FAMILIES = dg.DynamicPartitionsDefinition(name="families")
"""One partition per model family: one upstream GitHub repository and its Hub variants."""

BASE_MODELS = dg.DynamicPartitionsDefinition(name="base_models")
"""One partition per base model whose model tree is searched for hidden gems."""

_UNSAFE = re.compile(r"[^a-z0-9._-]+")
_MAX_KEY = 120


def repo_key(name: str) -> str:
    """Partition key for ``owner/repo`` (GitHub) or ``owner/model`` (Hub).

    Lower-cased because both platforms treat names case-insensitively; runs of unsafe characters
    become ``-``; the owner separator becomes ``__``. Names that were altered (or are very long) get
    a short hash suffix of the original so two different names never share a key.
    """
    raw = name.strip().strip("/")
    if not raw:
        raise ValueError(f"repository name {name!r} is empty")
    parts = [p for p in raw.lower().split("/") if p]
    cleaned = "__".join(_UNSAFE.sub("-", p).strip("-.") or "x" for p in parts)
    canonical = "__".join(parts)
    if cleaned != canonical or len(cleaned) > _MAX_KEY:
        digest = hashlib.sha1(raw.lower().encode()).hexdigest()[:8]
        cleaned = f"{cleaned[: _MAX_KEY - 9]}-{digest}"
    return cleaned
