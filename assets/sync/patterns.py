"""The study's vocabularies -- lag, synchronization type, intensity and the 8 patterns -- from one file.

``patterns.json`` is their only source (arXiv:2508.10157, RQ2, and its replication package): the
classifier, the DDL (``core.sync_pattern_catalog``), the SQL queries and the docs all read it, so a
name cannot drift between code, tables and UI.
"""

from __future__ import annotations

import json
from pathlib import Path

PATTERNS_FILE = Path(__file__).with_name("patterns.json")
_SPEC = json.loads(PATTERNS_FILE.read_text())

LAGS: dict[str, str] = {lag["key"]: lag["name"] for lag in _SPEC["lags"]}
"""Lag key (``github_first`` / ``hub_first`` / ``simultaneous``) -> the paper's name."""
SYNC_TYPES: tuple[str, ...] = tuple(t["key"] for t in _SPEC["sync_types"])
"""``CS``, ``PS``, ``VS``, ``AS`` in the order the rules try them."""
INTENSITIES: tuple[str, ...] = tuple(i["key"] for i in _SPEC["intensities"])
"""``R``, ``F``, ``S`` in the order the rules try them."""
PATTERN_NAMES: tuple[str, ...] = tuple(p["name"] for p in _SPEC["patterns"])
"""The 8 patterns in reporting order."""
CODE_TO_PATTERN: dict[str, str] = {code: p["name"] for p in _SPEC["patterns"] for code in p["codes"]}
"""Type + intensity code (e.g. ``PSS``) -> pattern name. F never occurs without overlap (AS/VS)."""
