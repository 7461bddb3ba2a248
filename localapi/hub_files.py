"""Hub file serving: what huggingface_hub 2.4 calls for ``hf_hub_download`` and ``snapshot_download``.

Routes (under ``/hf``):

- ``HEAD|GET /{repo_id}/resolve/{rev}/{path}`` and ``/datasets/{repo_id}/resolve/{rev}/{path}``: the
  file, with the headers the client needs to cache it (``X-Repo-Commit``, ``ETag``: git blob SHA-1,
  or SHA-256 for LFS-sized files as the Hub does, ``Content-Length``); ``Range: bytes=N-`` resumes
  with 206. Missing file: 404 ``EntryNotFound`` with ``X-Repo-Commit``.
- ``GET /api/{models,datasets}/{repo_id}/tree/{rev}[/{path}]``: the file listing snapshot_download
  reads (``type``, ``oid``, ``size``, ``path``, ``lfs``).
- ``GET /api/datasets/{repo_id}`` and ``/revision/{rev}``: dataset_info with ``siblings``.

Data layout: ``hub/models/<repo_id>/{info.json,files/...}`` (shared with :mod:`localapi.hub`, whose
access rules apply: private, gated) and ``hub/datasets/<repo_id>/{info.json,files/...}``. A repo's
commit is ``info.json``'s ``sha`` (else a hash of its files); ``main`` and that sha are the only
revisions served.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from localapi.hub import HubData, hub_error
from localapi.server import Request, Response, Router, json_response

LFS_SUFFIXES = (".safetensors", ".bin", ".pt", ".parquet", ".gguf", ".h5", ".msgpack")


class FileRepos:
    """One repo type's folders under ``hub/<kind>/``: info, commit sha and files."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def info(self, repo_id: str) -> dict[str, Any] | None:
        path = self.root / repo_id / "info.json"
        if ".." in repo_id or not (self.root / repo_id).is_dir():
            return None
        info = json.loads(path.read_text()) if path.is_file() else {"id": repo_id}
        info.setdefault("id", repo_id)
        info.setdefault("sha", self._files_sha(repo_id))
        return info

    def files(self, repo_id: str) -> dict[str, Path]:
        folder = self.root / repo_id / "files"
        if not folder.is_dir():
            return {}
        return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}

    def _files_sha(self, repo_id: str) -> str:
        digest = hashlib.sha1()
        for name, path in self.files(repo_id).items():
            digest.update(name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()


def blob_entry(name: str, data: bytes) -> dict[str, Any]:
    """A tree entry in the Hub's shape; large-file types carry their LFS pointer (SHA-256)."""
    entry: dict[str, Any] = {"type": "file", "oid": git_blob_sha(data), "size": len(data), "path": name}
    if name.endswith(LFS_SUFFIXES):
        entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
    return entry


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def router(data_dir: Path) -> Router:
    hub = HubData(data_dir)
    repos = {"models": FileRepos(data_dir / "hub" / "models"), "datasets": FileRepos(data_dir / "hub" / "datasets")}
    r = Router("/hf")

    def resolve_repo(req: Request, kind: str, repo_id: str, rev: str, content: bool) -> tuple[dict[str, Any] | None, Response | None]:
        info = repos[kind].info(repo_id)
        if kind == "models" and (denied := hub.access_error(req, hub.info(repo_id) if info else None, content)):
            return None, denied
        if info is None:
            return None, hub_error(404, "RepoNotFound", "Repository not found")
        if unquote(rev) not in ("main", info["sha"]):
            return None, hub_error(404, "RevisionNotFound", f"Invalid rev id: {unquote(rev)}")
        return info, None

    def serve_file(req: Request, kind: str, repo_id: str, rev: str, path: str) -> Response:
        info, error = resolve_repo(req, kind, repo_id, rev, content=True)
        if error:
            return error
        assert info is not None
        file = repos[kind].files(repo_id).get(unquote(path))
        if file is None:
            return hub_error(404, "EntryNotFound", f"{path} does not exist on {rev}", **{"X-Repo-Commit": info["sha"]})
        data = file.read_bytes()
        entry = blob_entry(unquote(path), data)
        etag = '"' + (entry["lfs"]["oid"] if "lfs" in entry else entry["oid"]) + '"'
        headers = {"X-Repo-Commit": info["sha"], "ETag": etag, "Accept-Ranges": "bytes",
                   "Content-Type": "application/octet-stream", "Content-Disposition": f'inline; filename="{file.name}"'}
        start = _range_start(req.headers.get("range"))
        if start:
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            return Response(206, data[start:], headers, etag=False)
        return Response(200, data, headers)

    def tree(req: Request, kind: str, repo_id: str, rev: str, sub: str | None) -> Response:
        info, error = resolve_repo(req, kind, repo_id, rev, content=False)
        if error:
            return error
        prefix = (unquote(sub).strip("/") + "/") if sub else ""
        recursive = req.arg("recursive") in ("True", "true", "1")
        entries, folders = [], set()
        for name, path in repos[kind].files(repo_id).items():
            if not name.startswith(prefix):
                continue
            rest = name[len(prefix):]
            if "/" in rest and not recursive:
                folders.add(prefix + rest.split("/")[0])
                continue
            entries.append(blob_entry(name, path.read_bytes()))
        entries += [{"type": "directory", "oid": hashlib.sha1(f.encode()).hexdigest(), "size": 0, "path": f} for f in sorted(folders)]
        return json_response(entries)

    def dataset_info(req: Request, repo_id: str, rev: str | None) -> Response:
        info, error = resolve_repo(req, "datasets", repo_id, rev or "main", content=False)
        if error:
            return error
        assert info is not None
        body = {"_id": info["sha"][:24], "private": False, "gated": False, "disabled": False, "tags": [],
                "downloads": 0, "likes": 0, **info}
        body["siblings"] = [{"rfilename": name} for name in repos["datasets"].files(repo_id)]
        return json_response(body)

    r.get(r"/datasets/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", "hub_files.dataset_resolve")(
        lambda req, repo_id, rev, path: serve_file(req, "datasets", repo_id, rev, path))
    r.get(r"/api/(models|datasets)/([^/]+/[^/]+)/tree/([^/]+)(?:/(.*))?", "hub_files.tree")(tree)
    r.get(r"/api/datasets/([^/]+/[^/]+)/revision/(.+)", "hub_files.dataset_info")(dataset_info)
    r.get(r"/api/datasets/([^/]+/[^/]+)", "hub_files.dataset_info")(lambda req, repo_id: dataset_info(req, repo_id, None))
    r.get(r"/(?!api/|datasets/)([^/]+/[^/]+)/resolve/([^/]+)/(.+)", "hub_files.resolve")(
        lambda req, repo_id, rev, path: serve_file(req, "models", repo_id, rev, path))
    return r


def _range_start(header: str | None) -> int:
    """The start offset of a ``Range: bytes=N-`` request (0 when absent or not of that form)."""
    if not header or not header.startswith("bytes="):
        return 0
    first = header[6:].split("-", 1)[0]
    return int(first) if first.isdigit() else 0
