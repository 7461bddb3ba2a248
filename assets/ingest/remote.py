"""Calling the platforms: retries for transient failures, rate limits read from the answers, no secrets.

Every REST or git call of the ingest stage goes through :func:`call`, which sorts a failure into

- *transient* (5xx, connection errors, a truncated JSON body): retried with exponential backoff, then
  raised as :class:`TransientError` naming what failed, so the step fails and its retry policy runs it
  again later;
- *rate limited* (Hub 429, GitHub 403/429 with ``X-RateLimit-Remaining: 0``): the wait is read from
  ``Retry-After`` / ``RateLimit`` / ``X-RateLimit-Reset``; a near reset is waited for, a far one raises
  :class:`RateLimited` with the time left (``wait_s``) and the advice to set a token, and the asset
  asks Dagster to retry the step after the reset;
- anything else (not found, gated, bad request): raised unchanged for the caller to record.

Messages pass through :func:`scrub`, so a token never reaches logs, metadata, tables or exceptions.

Every remote call has a timeout: PyGithub's own (15 s), git's low-speed limits (``gitlog``), and for
huggingface_hub, whose shared HTTP client waits for ever by default, :func:`hub_client` (installed on
import with ``set_client_factory``); a timeout is a transient failure.
"""

from __future__ import annotations

import json
import itertools
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

import httpx2
from github import GithubException, RateLimitExceededException
from huggingface_hub import set_client_factory
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import parse_ratelimit_headers
from huggingface_hub.utils._http import default_client_factory

T = TypeVar("T")
log = logging.getLogger(__name__)

SECRET_ENV = ("HF_TOKEN", "GITHUB_TOKEN", "OPENAI_API_KEY")
MAX_WAIT_S = float(os.environ.get("HUBSCOPE_MAX_RATE_WAIT_S", "90"))
"""Longest wait for a rate-limit reset before failing the step instead (the retry policy takes over)."""
ATTEMPTS = 3
"""Tries of one call (transient failures and near rate-limit resets) before giving up."""
BACKOFF_S = 0.5
"""First wait between tries after a transient failure; doubled after each."""
REST_TIMEOUT_S = float(os.environ.get("HUBSCOPE_REST_TIMEOUT_S", "60"))
"""Longest silence of the Hub's REST server (connect, or between two reads) before the call fails."""


def hub_client() -> httpx2.Client:
    """huggingface_hub's default client (its request hooks kept) that gives every request without a
    timeout of its own :data:`REST_TIMEOUT_S` (huggingface_hub passes ``timeout=None`` explicitly,
    which would override a client-wide default)."""
    client = default_client_factory()
    hooks = client.event_hooks
    client.event_hooks = {**hooks, "request": [*hooks.get("request", []), _default_timeout]}
    return client


def _default_timeout(request: httpx2.Request) -> None:
    if all(v is None for v in request.extensions.get("timeout", {}).values()):
        request.extensions["timeout"] = httpx2.Timeout(REST_TIMEOUT_S).as_dict()


set_client_factory(hub_client)


class TransientError(RuntimeError):
    """A call kept failing for reasons that may pass (server errors, cut connections, truncated bodies)."""


class RateLimited(RuntimeError):
    """A platform's rate limit is used up and resets too far in the future to wait for.

    ``wait_s``: seconds until the reset, None when the platform did not say.
    """

    def __init__(self, message: str, wait_s: float | None = None) -> None:
        super().__init__(message)
        self.wait_s = wait_s


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
            return "rate", _hub_wait(exc.response.headers)
        return ("transient", None) if status >= 500 else ("fatal", None)
    if isinstance(exc, (httpx2.TransportError, ConnectionError, TimeoutError)):
        return "transient", None
    return "fatal", None


def _hub_wait(headers: Mapping[str, str]) -> float | None:
    retry_after = headers.get("retry-after")
    if retry_after and retry_after.isdigit():
        return float(retry_after)
    info = parse_ratelimit_headers(headers)
    return float(info.reset_in_seconds) if info is not None else None


def _github_wait(headers: dict[str, str]) -> float | None:
    headers = {k.lower(): v for k, v in headers.items()}
    if "retry-after" in headers:
        return float(headers["retry-after"])
    reset = headers.get("x-ratelimit-reset")
    return max(0.0, float(reset) - time.time()) + 1 if reset else None


def wait_or_raise(wait: float | None, what: str) -> None:
    """Sleep until a near rate-limit reset; raise :class:`RateLimited` when it is unknown or too far."""
    if wait is None or wait > MAX_WAIT_S:
        left = "unknown" if wait is None else f"{wait:.0f}s"
        raise RateLimited(
            f"{what}: rate limit reached (resets in {left}); the step is retried after the reset; "
            "a token (HF_TOKEN / GITHUB_TOKEN) raises the limit",
            wait,
        )
    log.warning("%s: rate limited, waiting %.0fs for the reset", what, wait)
    time.sleep(wait)


def call(fn: Callable[[], T], what: str, secrets: Iterable[str | None] = ()) -> T:
    """``fn()`` with the retry and rate-limit rules above; ``what`` names the call in errors.

    Waits happen outside the ``except`` block, so a :class:`RateLimited` or :class:`TransientError`
    raised here carries no chained platform error (the message says what happened, scrubbed).
    """
    for attempt in itertools.count(1):
        try:
            return fn()
        except Exception as exc:  # sorted below; anything unrecognised is re-raised as is
            kind, wait = classify(exc)
            if kind == "fatal":
                raise
            detail = scrub(f"{type(exc).__name__}: {exc}", secrets)[:500]
        if kind == "rate":
            if attempt == ATTEMPTS:
                raise RateLimited(f"{what}: still rate limited after {ATTEMPTS} tries", wait)
            wait_or_raise(wait, what)
            continue
        if attempt == ATTEMPTS:
            raise TransientError(f"{what}: failed {ATTEMPTS} times, last: {detail}")
        log.warning("%s: attempt %d failed (%s), retrying", what, attempt, detail)
        time.sleep(BACKOFF_S * 2 ** (attempt - 1))
