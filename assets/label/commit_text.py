"""What a labeller sees of a commit, bounded, and the hash that identifies it.

Both labellers read the same view of a commit: platform, title, message, changed paths and
whether it is a merge. Bad inputs are bounded here, once: huge messages are cut, a commit
touching thousands of files is summarised (first paths plus counts), merge boilerplate
("Merge pull request #12 from org/fix-tokenizer") is reduced to what it says (the branch name).
The content hash covers exactly this bounded view, so two commits that look the same to a
labeller share one cached LLM answer, and editing a commit's message invalidates it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_MESSAGE_CHARS = 2000
"""Characters of a message a labeller reads (titles and the opening lines carry the intent)."""

MAX_PATHS = 40
"""Changed paths both labellers read; the LLM also gets the rest summarised by extension counts."""

_MERGE = re.compile(
    r"^\s*merge (pull request #\d+ from \S+|(remote-tracking )?branch '[^']*'.*|commit '[0-9a-f]+'.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_BRANCH = re.compile(
    r"merge pull request #\d+ from [^/\s]+/(\S+)|merge remote-tracking branch '[^'/]+/([^']*)'|merge branch '([^']*)'",
    re.IGNORECASE,
)
"""The merged branch (without the fork owner or remote name) in each merge form ``_MERGE`` strips."""


@dataclass(frozen=True)
class CommitText:
    """The labeller's view of one commit."""

    platform: str
    title: str
    message: str
    paths: tuple[str, ...]
    n_files: int
    is_merge: bool

    @property
    def text(self) -> str:
        """Title and message as one text, merge boilerplate replaced by the merged branch's words."""
        body = self.message if self.message.startswith(self.title) else f"{self.title}\n{self.message}"
        if not self.is_merge:
            return body.strip()
        branches = [" ".join(re.split(r"[-_/]+", "".join(names))) for names in _BRANCH.findall(body)]
        rest = _MERGE.sub("", body).strip()
        return "\n".join([*branches, rest]).strip()

    @property
    def shown_text(self) -> str:
        """The text as both labellers read it: cut to ``MAX_MESSAGE_CHARS``."""
        return self.text[:MAX_MESSAGE_CHARS]

    @property
    def shown_paths(self) -> tuple[str, ...]:
        """The paths as both labellers read them: the first ``MAX_PATHS``."""
        return self.paths[:MAX_PATHS]

    def extension_counts(self) -> dict[str, int]:
        """Changed paths by extension (the summary of a commit too large to list)."""
        counts: dict[str, int] = {}
        for path in self.paths:
            name = path.rsplit("/", 1)[-1]
            ext = name.rsplit(".", 1)[-1].lower() if "." in name else name
            counts[ext] = counts.get(ext, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def prompt_item(self, item_id: str) -> dict[str, Any]:
        """The JSON object the LLM reads for this commit (bounded whatever the input)."""
        item: dict[str, Any] = {"id": item_id, "platform": self.platform, "text": self.shown_text}
        if self.is_merge:
            item["merge"] = True
        item["files"] = list(self.shown_paths)
        if self.n_files > MAX_PATHS:
            item["files_total"] = self.n_files
            item["files_by_extension"] = self.extension_counts()
        return item

    @property
    def content_hash(self) -> str:
        """Hash of what the LLM is shown (id-free), the first part of every cache key."""
        payload = json.dumps(self.prompt_item(""), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()[:32]


def commit_text(row: Mapping[str, Any]) -> CommitText:
    """Build the view from a ``raw.commits`` row (or a gold-set row: ``files`` as a list of paths).

    Missing pieces are tolerated, never invented: no title or message is an empty text, no
    files list is no paths (the Hub API gives none), ``parents`` with two or more shas is a merge.
    """
    platform = row.get("platform")
    if platform not in ("github", "hub"):
        raise ValueError(f"commit {row.get('sha')!r}: platform must be 'github' or 'hub', got {platform!r}")
    files: Sequence[Any] = row.get("files") or []
    paths = tuple(str(f["path"]) if isinstance(f, Mapping) else str(f) for f in files)
    n_files = row.get("n_files")
    title = (row.get("title") or "").strip()
    message = (row.get("message") or "").strip()
    return CommitText(
        platform=platform,
        title=title[:MAX_MESSAGE_CHARS],
        message=message[: MAX_MESSAGE_CHARS * 5],
        paths=paths,
        n_files=int(n_files) if n_files is not None else len(paths),
        is_merge=len(row.get("parents") or []) > 1,
    )
