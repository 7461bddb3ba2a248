"""Which GitHub repository a model card points at.

Cards link GitHub in their metadata (``repository``, ``code``, ``github`` and free-form fields) and in
the README text, often several times: the upstream code, the libraries used to train or serve it,
sub-folders, owner pages, malformed URLs. The sync study pairs a model with the repository its
authors develop it in, so:

1. every URL-like text naming ``github.com`` is collected for audit, but only a link whose host *is*
   ``github.com`` (or ``www.``), over http(s), without credentials or port, with a path
   ``/<owner>/<repo>`` that follows GitHub's naming rules, names a repository (``.git``, ``/tree/...``,
   fragments and trailing punctuation stripped). ``notgithub.com/...``, ``gist.github.com/...``,
   ``api.github.com/repos/...`` or ``evil.example/github.com/...`` are kept for audit but unusable;
2. well-known library repositories (transformers, peft, ...) are never the upstream of a model;
3. among the rest, a repository whose owner is the model's author wins, then the first one linked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id

_URL_CHARS = r"[^\s()\[\]{}<>\"'`|]"
_ANY_GITHUB = re.compile(rf"{_URL_CHARS}*github\.com{_URL_CHARS}*", re.IGNORECASE)
"""A whole URL-like token around ``github.com``, host included, so its real host can be checked."""
_GITHUB_OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}")
"""GitHub user and organisation names: letters, digits and hyphens, not starting with one, at most 39."""
_GITHUB_REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")
"""GitHub repository names: letters, digits, ``.``, ``_``, ``-``, at most 100 (``.`` and ``..`` refused)."""
_GITHUB_HOSTS = frozenset({"github.com", "www.github.com"})

LIBRARY_REPOS = frozenset(
    {
        "huggingface/transformers",
        "huggingface/peft",
        "huggingface/trl",
        "huggingface/diffusers",
        "huggingface/accelerate",
        "huggingface/huggingface_hub",
        "huggingface/text-generation-inference",
        "huggingface/optimum",
        "pytorch/pytorch",
        "tensorflow/tensorflow",
        "microsoft/deepspeed",
        "ggerganov/llama.cpp",
        "ggml-org/llama.cpp",
        "vllm-project/vllm",
        "unslothai/unsloth",
        "axolotl-ai-cloud/axolotl",
        "openai/tiktoken",
    }
)
"""Repositories linked as tools, not as a model's upstream (compared lower-cased)."""

_RESERVED_OWNERS = frozenset({"orgs", "topics", "features", "about", "sponsors", "marketplace", "settings"})


def github_links(card: Mapping[str, Any] | None, readme: str | None = None) -> list[str]:
    """Every GitHub URL-like string in the card metadata (any depth) then the README, in order."""
    found: list[str] = []
    for text in [*_strings(card or {}), readme or ""]:
        found += [m.group(0).rstrip(".,;:!?") for m in _ANY_GITHUB.finditer(text)]
    return list(dict.fromkeys(found))


def parse_repo(link: str) -> str | None:
    """``owner/repo`` of a link to a repository on github.com, or None when it names none."""
    text = link.strip()
    url = text if re.match(r"[a-z][a-z0-9+.-]*://", text, re.IGNORECASE) else f"https://{text}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # e.g. "git@github.com:owner/repo" read as a port
        return None
    if (parts.scheme.lower() not in ("http", "https") or (parts.hostname or "").lower() not in _GITHUB_HOSTS
            or parts.username is not None or port is not None):
        return None
    owner, repo = (parts.path.split("/") + ["", ""])[1:3]
    repo = re.sub(r"\.git$", "", repo).rstrip(".")
    if owner.lower() in _RESERVED_OWNERS:
        return None
    try:
        return check_repo_name("github", f"{owner}/{repo}")
    except ValueError:
        return None


def check_repo_name(platform: str, name: str) -> str:
    """``name`` checked against the platform's own naming rules; a ValueError names it and the rule.

    GitHub: ``owner/repo`` (see ``_GITHUB_OWNER``/``_GITHUB_REPO``). Hub: huggingface_hub's own
    ``validate_repo_id`` (``[namespace/]name``, letters, digits, ``-_.``, no ``--`` or ``..``, at most 96).
    Every name is checked before it is put into a URL, so requests never leave the configured
    API and git prefixes (``../etc``, ``owner/repo/../../x`` or an absolute URL are refused).
    """
    if platform == "github":
        owner, _, repo = name.partition("/")
        if not (_GITHUB_OWNER.fullmatch(owner) and _GITHUB_REPO.fullmatch(repo) and repo not in (".", "..")
                and not repo.lower().endswith(".git")):
            raise ValueError(
                f"GitHub repository {name!r} is not a valid owner/repo name (owner: letters, digits and '-', "
                "not starting with '-', at most 39; repo: letters, digits, '.', '_', '-', at most 100)"
            )
        return name
    if platform == "hub":
        try:
            validate_repo_id(name)
        except HFValidationError as exc:
            raise ValueError(f"Hub model id {name!r} is not valid: {exc}") from None
        return name
    raise ValueError(f"unknown platform {platform!r} for repository {name!r} (github or hub)")


def choose_repo(links: Iterable[str], author: str | None) -> tuple[str | None, str | None]:
    """The upstream repository among ``links`` and, when there is none, why (for the audit trail)."""
    links = list(links)
    if not links:
        return None, "no GitHub link in the model card"
    repos = list(dict.fromkeys(r for link in links if (r := parse_repo(link))))
    if not repos:
        return None, f"only malformed GitHub links: {', '.join(links)[:200]}"
    candidates = [r for r in repos if r.lower() not in LIBRARY_REPOS]
    if not candidates:
        return None, f"only links to libraries: {', '.join(repos)[:200]}"
    own = [r for r in candidates if author and _norm(r.split("/")[0]) == _norm(author)]
    return (own or candidates)[0], None


def _norm(name: str) -> str:
    return name.lower().replace("_", "-")


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
