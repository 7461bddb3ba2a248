"""Calling the platforms: retries for transient failures, rate limits read from the answers, no secrets.

Every REST or git call of the ingest stage goes through :func:`call`, which sorts a failure into

- *transient* (5xx, connection errors, a truncated JSON body): retried with exponential backoff, then
  raised as :class:`TransientError` naming what failed, so the step fails and its retry policy runs it
  again later;
- *rate limited* (Hub 429, GitHub 403/429 with ``X-RateLimit-Remaining: 0``): the wait is read from
  ``Retry-After`` / ``RateLimit`` / ``X-RateLimit-Reset``; a near reset is waited for, a far one raises
  :class:`RateLimited` with the time left and the advice to set a token;
- anything else (not found, gated, bad request): raised unchanged for the caller to record.

Messages pass through :func:`scrub`, so a token never reaches logs, metadata, tables or exceptions.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

import httpx2
from github import GithubException, RateLimitExceededException
from huggingface_hub.errors import HfHubHTTPError

T = TypeVar("T")
log = logging.getLogger(__name__)

SECRET_ENV = ("HF_TOKEN", "GITHUB_TOKEN", "OPENAI_API_KEY")
MAX_WAIT_S = float(os.environ.get("HUBSCOPE_MAX_RATE_WAIT_S", "90"))
"""Longest wait for a rate-limit reset before failing the step instead (the retry policy takes over)."""


class TransientError(RuntimeError):
    """A call kept failing for reasons that may pass (server errors, cut connections, truncated bodies)."""


class RateLimited(RuntimeError):
    """A platform's rate limit is used up and resets too far in the future to wait for."""


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every known secret value (given or in the environment) replaced by ``***``."""
    values = [s for s in (*secrets, *(os.environ.get(k) for k in SECRET_ENV)) if s and len(s) >= 4]
    for value in values:
        text = text.replace(value, "***")
    return re.sub(r"(Authorization:\s*\w+\s+)\S+", r"\1***", text, flags=re.IGNORECASE)


def classify(exc: BaseException) -> tuple[str, float | None]:
    """``("transient" | "rate" | "fatal", seconds to wait or None)`` for a failed call."""
    if isinstance(exc, (TransientError, RateLimited)):
        return "fatal", None  # already decided by an inner call
    if isinstance(exc, json.JSONDecodeError):
        return "transient", None
    if isinstance(exc, RateLimitExceededException):
        return "rate", _github_wait(exc.headers or {})
    if isinstance(exc, GithubException):
        headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
        if exc.status in (403, 429) and headers.get("x-ratelimit-remaining") == "0":
            return "rate", _github_wait(headers)
        if exc.status in (403, 429) and "retry-after" in headers:
            return "rate", float(headers["retry-after"])
        return ("transient", None) if exc.status >= 500 else ("fatal", None)
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        status = exc.response.status_code
        if status == 429:
            retry_after = exc.response.headers.get("retry-after")
            return "rate", float(retry_after) if retry_after and retry_after.isdigit() else None
        return ("transient", None) if status >= 500 else ("fatal", None)
    if isinstance(exc, (httpx2.TransportError, ConnectionError, TimeoutError)):
        return "transient", None
    return "fatal", None


def _github_wait(headers: dict[str, str]) -> float | None:
    headers = {k.lower(): v for k, v in headers.items()}
    if "retry-after" in headers:
        return float(headers["retry-after"])
    reset = headers.get("x-ratelimit-reset")
    return max(0.0, float(reset) - time.time()) + 1 if reset else None


def call(
    fn: Callable[[], T],
    what: str,
    attempts: int = 3,
    backoff_s: float = 0.5,
    max_wait_s: float | None = None,
    secrets: Iterable[str | None] = (),
) -> T:
    """``fn()`` with the retry and rate-limit rules above; ``what`` names the call in errors."""
    max_wait = MAX_WAIT_S if max_wait_s is None else max_wait_s
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as exc:  # sorted below; anything unrecognised is re-raised as is
            kind, wait = classify(exc)
            if kind == "fatal":
                raise
            detail = scrub(f"{type(exc).__name__}: {exc}", secrets)[:500]
            if kind == "rate":
                if wait is None or wait > max_wait:
                    left = "unknown" if wait is None else f"{wait:.0f}s"
                    raise RateLimited(
                        f"{what}: rate limit reached (resets in {left}); the step will be retried by its "
                        "retry policy; a token (HF_TOKEN / GITHUB_TOKEN) raises the limit"
                    ) from None
                log.warning("%s: rate limited, waiting %.0fs for the reset", what, wait)
                time.sleep(wait)
                continue
            if attempt == attempts:
                raise TransientError(f"{what}: failed {attempts} times, last: {detail}") from None
            log.warning("%s: attempt %d failed (%s), retrying", what, attempt, detail)
            time.sleep(backoff_s * 2 ** (attempt - 1))
    raise TransientError(f"{what}: still rate limited after {attempts} waits")
