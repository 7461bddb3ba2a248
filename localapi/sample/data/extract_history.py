"""Extract one branch's commit metadata from a git directory into the JSON the sample builder replays.

    python localapi/sample/data/extract_history.py GIT_DIR BRANCH OUT.json.gz [--repo owner/name]

Kept per commit (parents first): sha, parents, author and committer name / email / date (ISO 8601 with
the committer's offset), the full message, and the changed paths with their status as
``git diff-tree -r -M --name-status`` gives them against the first parent (the root against the
empty tree; merges against their first parent, as ``git log --name-status -M --diff-merges=first-parent``
and GitHub's commit page show them). No file contents are read.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

_FIELDS = ("%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI")


def git(git_dir: str, *args: str) -> str:
    out = subprocess.run(["git", "--git-dir", git_dir, *args], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def commit(git_dir: str, sha: str) -> dict:
    raw = git(git_dir, "show", "-s", "--format=" + "%x00".join(_FIELDS), sha)
    h, parents, an, ae, ad, cn, ce, cd = raw.strip("\n").split("\x00")
    headers, _, message = git(git_dir, "cat-file", "commit", sha).partition("\n\n")  # the message exactly
    if "\nencoding " in headers:
        raise SystemExit(f"{sha} declares an encoding; extend this script before vendoring it")
    base = [parents.split()[0]] if parents else ["--root"]  # merges: against the first parent
    tree = git(git_dir, "diff-tree", "-r", "-M", "--name-status", "-z", "--no-commit-id", *base, sha)
    parts = tree.split("\x00")[:-1] if tree else []
    changes, i = [], 0
    while i < len(parts):
        status = parts[i]
        n = 2 if status[0] in "RC" else 1
        changes.append([status, *parts[i + 1: i + 1 + n]])
        i += 1 + n
    return {
        "sha": h, "parents": parents.split(),
        "author": {"name": an, "email": ae, "date": ad},
        "committer": {"name": cn, "email": ce, "date": cd},
        "message": message,
        "changes": changes,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("git_dir")
    p.add_argument("branch")
    p.add_argument("out", type=Path)
    p.add_argument("--repo", required=True, help="owner/name, recorded in the file")
    a = p.parse_args()
    head = git(a.git_dir, "rev-parse", a.branch).strip()
    shas = git(a.git_dir, "rev-list", "--reverse", "--topo-order", head).split()
    doc = {
        "repository": a.repo,
        "branch": a.branch,
        "head": head,
        "extracted_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commits": [commit(a.git_dir, s) for s in shas],
    }
    data = json.dumps(doc, indent=1, ensure_ascii=False).encode() + b"\n"
    a.out.write_bytes(gzip.compress(data, mtime=0) if a.out.suffix == ".gz" else data)
    print(f"{len(shas)} commits -> {a.out} ({a.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
