"""Offline or online: which Hub, GitHub and LLM every ``hubscope`` command of an instance talks to.

``hubscope demo`` runs on the bundled sample served by the local API server, and leaves its
instance in *offline* mode (a file in ``DAGSTER_HOME``), so the README's next commands
(``hubscope materialize --family ...``, ``hubscope ui``) keep using the sample instead of going to
github.com for the demo's fictional families. Every command states the mode it runs in;
``hubscope mode online`` switches to the real services, ``hubscope mode offline`` back.

Before a command runs assets that call a remote, :func:`check_reachable` resolves and connects to
each configured host once, so a machine without network fails at once, naming the host and the
way out, instead of retrying for minutes.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from orchestration.warehouse import ROOT

MODE_FILE = "hubscope-mode.json"
SAMPLE_DIR = ROOT / "data" / "localapi"
STANDIN_MODEL = "local-standin-rules"
"""The model name sent to the local server's OpenAI API: it answers with the rules labeller, and
every label, kappa and summary line says so (``llm:local-standin-rules``), never a real model's name."""


def offline_sample(home: Path) -> Path | None:
    """The sample folder the instance in ``home`` serves in offline mode (set by ``hubscope demo`` or
    ``hubscope mode offline``); None in online mode."""
    try:
        mode = json.loads((home / MODE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return Path(mode.get("sample") or SAMPLE_DIR) if mode.get("mode") == "offline" else None


def set_mode(home: Path, offline: bool, sample: Path = SAMPLE_DIR) -> None:
    mode = {"mode": "offline", "sample": str(Path(sample).resolve())} if offline else {"mode": "online"}
    (home / MODE_FILE).write_text(json.dumps(mode) + "\n")


def offline_env(api) -> dict[str, str]:  # api: localapi.server.LocalAPI
    """The variables that point the real clients at the local server (and name its LLM for what it is)."""
    return {
        "HF_ENDPOINT": api.hf_endpoint, "GITHUB_API_URL": api.github_api, "GITHUB_SERVER_URL": api.github_git,
        "OPENAI_BASE_URL": api.openai_base, "HUBSCOPE_LLM_MODEL": STANDIN_MODEL,
    }


@contextmanager
def local_services(sample: Path = SAMPLE_DIR) -> Iterator[object]:
    """Serve the bundled sample (built into ``sample`` when missing or stale) for the duration of the block,
    with this process's environment pointing at it."""
    from localapi.sample import build_sample
    from localapi.server import LocalAPI

    api = LocalAPI(build_sample(sample))
    api.start()
    try:
        os.environ.update(offline_env(api))
        yield api
    finally:
        api.stop()


def describe(offline: bool, base_url: str = "") -> str:
    if offline:
        return (f"offline mode: Hub, GitHub and the LLM are the local server on the bundled sample ({base_url}); "
                "`hubscope mode online` switches to the real services")
    return ("online mode: Hub " + os.environ.get("HF_ENDPOINT", "https://huggingface.co")
            + ", GitHub " + os.environ.get("GITHUB_API_URL", "https://api.github.com")
            + "; `hubscope mode offline` serves the bundled sample instead")


class Unreachable(ValueError):
    """A configured host does not resolve or refuses connections."""


def check_reachable(endpoints: Sequence[tuple[str, str]], timeout: float = 5.0) -> None:
    """Resolve and connect to each ``(variable, url)`` once; raise :class:`Unreachable` naming the
    first that fails to resolve or refuses the connection. A slow answer is left to the clients' retries."""
    for variable, url in endpoints:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            socket.create_connection((host, port), timeout=timeout).close()
        except socket.gaierror as exc:
            raise Unreachable(_way_out(f"cannot resolve host {host} ({variable}={url}): {exc.strerror}", variable)) from None
        except ConnectionRefusedError:
            raise Unreachable(_way_out(f"{host}:{port} refused the connection ({variable}={url})", variable)) from None
        except TimeoutError:
            continue


def _way_out(problem: str, variable: str) -> str:
    return (f"{problem}. No network? `hubscope mode offline` runs every command on the bundled sample; "
            f"or set {variable} to a reachable server.")
