"""Special states of the sample that no single response file holds, read from ``states.json``.

``states.json`` (written by the sample builder, editable by hand)::

    {"github_renamed": {"old-org/repo": "new-org/repo"},   # GET old name -> 301 to the new one
     "hub_tokens": ["hf_..."],                              # tokens granted gated/private access
     "rate_limits": {"hub": {"limit": 1000, "window_s": 300},
                     "github": {"limit": 5000, "window_s": 3600}}}

Missing repositories are simply absent from the data dir. Rate limits are fixed windows counted per
platform; when a window is used up the platform answers 429 (Hub) or 403 (GitHub) with Retry-After.
Tests force one without editing files through fault injection (``api.inject(...)``).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def load_states(data_dir: Path) -> dict[str, Any]:
    path = data_dir / "states.json"
    return json.loads(path.read_text()) if path.exists() else {}


@dataclass
class RateWindow:
    """A fixed-window request budget, like the Hub's 5-minute and GitHub's hourly windows."""

    limit: int
    window_s: int
    _start: float = field(default_factory=time.time)
    _used: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> tuple[int, int]:
        """Count one request; returns (remaining, seconds until the window resets)."""
        with self._lock:
            now = time.time()
            if now - self._start >= self.window_s:
                self._start, self._used = now, 0
            self._used += 1
            return self.limit - self._used, max(1, int(self._start + self.window_s - now))

    def peek(self) -> tuple[int, int]:
        """(remaining, seconds until reset) without counting a request."""
        with self._lock:
            return self.limit - self._used, max(1, int(self._start + self.window_s - time.time()))

    @classmethod
    def for_platform(cls, states: dict[str, Any], platform: str, limit: int, window_s: int) -> RateWindow:
        conf = states.get("rate_limits", {}).get(platform, {})
        return cls(int(conf.get("limit", limit)), int(conf.get("window_s", window_s)))


def bearer(headers: dict[str, str]) -> str | None:
    """The token of an ``Authorization: Bearer``/``token`` header, if any."""
    value = headers.get("authorization", "")
    parts = value.split(None, 1)
    return parts[1].strip() if len(parts) == 2 and parts[0].lower() in ("bearer", "token") else None
