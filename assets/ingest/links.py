"""Which GitHub repository a model card points at.

Cards link GitHub in their metadata (``repository``, ``code``, ``github`` and free-form fields) and in
the README text, often several times: the upstream code, the libraries used to train or serve it,
sub-folders, owner pages, malformed URLs. The sync study pairs a model with the repository its
authors develop it in, so:

1. every ``github.com/<owner>/<repo>`` occurrence is parsed (``.git``, ``/tree/...``, fragments and
   trailing punctuation stripped); owner-only, empty or invalid links are kept for audit but unusable;
2. well-known library repositories (transformers, peft, ...) are never the upstream of a model;
3. among the rest, a repository whose owner is the model's author wins, then the first one linked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_GITHUB = re.compile(
    r"(?:https?://)?(?:www\.)?github\.com/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/([A-Za-z0-9_.-]{1,100})",
    re.IGNORECASE,
)
_ANY_GITHUB = re.compile(r"(?:https?://)?(?:www\.)?github\.com[^\s)\]\"'<>]*", re.IGNORECASE)

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
    """``owner/repo`` of a GitHub link, or None when it names no repository."""
    m = _GITHUB.match(link.strip())
    if not m:
        return None
    owner, repo = m.group(1), m.group(2)
    repo = re.sub(r"\.git$", "", repo).rstrip(".")
    if not repo or owner.lower() in _RESERVED_OWNERS or repo in (".", ".."):
        return None
    return f"{owner}/{repo}"


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
