"""The Hugging Face Hub's model API, as huggingface_hub 2.4 calls and parses it.

Routes (under ``/hf``, the client's ``HF_ENDPOINT``):

- ``GET /api/models``: ``filter`` (repeatable, every value must be a tag: serves ``pipeline_tag``-style
  discovery and the model tree ``base_model:finetune:<id>``), ``pipeline_tag``, ``author``, ``search``
  (substring of the id), ``sort`` (downloads, likes, createdAt, lastModified, trendingScore) with
  ``direction`` (-1 descending, the default), ``limit`` (page size, at most 1000), ``full``,
  ``cardData``, ``expand`` / ``expand[]``; cursor pagination with a ``Link: <...>; rel="next"`` header.
- ``GET /api/models/{id}`` and ``/api/models/{id}/revision/{rev}``: model_info; ``siblings`` come from
  ``hub/models/<id>/files/`` when present, else from the git tree.
- ``GET /api/models/{id}/commits/{rev}``: history from the git repository, newest first, pages of
  ``limit`` (default 50) selected by ``p`` with ``Link`` next pages, items ``{id, title, message,
  authors: [{user}], date}``.
- ``POST /api/models/{id}/super-squash/{branch}`` (``HfApi.super_squash_history``, with a granted
  token): the branch becomes one root commit with its current files, history rewritten as the Hub does.

Errors as the Hub answers them: 404 + ``X-Error-Code: RepoNotFound`` (missing, or private without a
token), 401/403 + ``X-Error-Code: GatedRepo`` (gated content without an accepted token),
404 + ``RevisionNotFound``. Every answer carries ``RateLimit``/``RateLimit-Policy`` headers; an
exhausted window answers 429 with ``Retry-After``.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from localapi import git_store
from localapi.server import Request, Response, Router, json_response
from localapi.states import RateWindow, bearer, load_states

_LIST_FIELDS = ("_id", "id", "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag",
                "library_name", "createdAt", "modelId")
_SORT_KEYS = {"downloads": "downloads", "likes": "likes", "createdAt": "createdAt", "created_at": "createdAt",
              "lastModified": "lastModified", "last_modified": "lastModified", "trendingScore": "downloads",
              "trending_score": "downloads"}
MAX_PAGE = 1000


class HubData:
    """The Hub's models as stored in the data dir (read per request, so tests may edit files)."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "hub" / "models"
        self.git_root = data_dir / "git" / "hub"
        self.states = load_states(data_dir)
        self.rate = RateWindow.for_platform(self.states, "hub", 1000, 300)

    def info(self, repo_id: str) -> dict[str, Any] | None:
        path = self.root / repo_id / "info.json"
        if ".." in repo_id or not path.is_file():
            return None
        info = json.loads(path.read_text())
        info.pop("_sample", None)
        return info

    def all(self) -> list[dict[str, Any]]:
        return [info for p in sorted(self.root.glob("*/*/info.json")) if (info := self.info(str(p.parent.relative_to(self.root))))]

    def git_dir(self, repo_id: str) -> Path:
        return self.git_root / f"{repo_id}.git"

    def siblings(self, repo_id: str, rev: str) -> list[dict[str, str]]:
        files = self.root / repo_id / "files"
        if files.is_dir():
            paths = sorted(str(p.relative_to(files)) for p in files.rglob("*") if p.is_file())
        elif git_store.rev_parse(self.git_dir(repo_id), rev):
            paths = git_store.tree_paths(self.git_dir(repo_id), rev)
        else:
            paths = []
        return [{"rfilename": p} for p in paths]

    def authorized(self, req: Request) -> bool:
        return bearer(req.headers) in set(self.states.get("hub_tokens", []))

    def access_error(self, req: Request, info: dict[str, Any] | None, content: bool) -> Response | None:
        """The Hub's answer when ``info`` may not be read (``content``: files/history, not metadata)."""
        if info is None or (info.get("private") and not self.authorized(req)):
            return hub_error(404, "RepoNotFound", "Repository not found")
        if content and info.get("gated") and not self.authorized(req):
            status = 403 if bearer(req.headers) else 401
            return hub_error(status, "GatedRepo", f"Access to model {info['id']} is restricted. You must have access to it and be authenticated to access it. Please log in.")
        return None


def hub_error(status: int, code: str, message: str, **headers: str) -> Response:
    return json_response({"error": message}, status, **{"X-Error-Code": code, "X-Error-Message": message, **headers})


def router(data_dir: Path) -> Router:
    hub = HubData(data_dir)
    r = Router("/hf")

    def limited(handler):  # every Hub API answer counts against the window and says so
        def wrapped(req: Request, *groups: str) -> Response:
            remaining, reset = hub.rate.take()
            limit_headers = {
                "RateLimit": f'"api";r={max(remaining, 0)};t={reset}',
                "RateLimit-Policy": f'"fixed window";"api";q={hub.rate.limit};w={hub.rate.window_s}',
            }
            if remaining < 0:
                resp = hub_error(429, "RateLimited", "You have been rate-limited", **{"Retry-After": str(reset)})
            else:
                resp = handler(req, *groups)
            resp.headers.update(limit_headers)
            return resp

        return wrapped

    @r.get(r"/api/models", "hub.list_models")
    @limited
    def list_models(req: Request) -> Response:
        models = [m for m in hub.all() if not m.get("private") or hub.authorized(req)]
        wanted_tags = req.query.get("filter", [])
        if wanted_tags:
            models = [m for m in models if all(t in m.get("tags", []) or t == m.get("pipeline_tag") for t in wanted_tags)]
        if tag := req.arg("pipeline_tag"):
            models = [m for m in models if m.get("pipeline_tag") == tag]
        if author := req.arg("author"):
            models = [m for m in models if m["id"].split("/")[0].lower() == author.lower()]
        if search := req.arg("search"):
            models = [m for m in models if search.lower() in m["id"].lower()]
        sort = req.arg("sort")
        if sort:
            if sort not in _SORT_KEYS:
                return hub_error(400, "BadRequest", f"invalid sort {sort!r}")
            key = _SORT_KEYS[sort]
            descending = req.arg("direction", "-1") != "1"
            models.sort(key=lambda m: (m.get(key) or 0, m["id"]), reverse=descending)
        limit = min(int(req.arg("limit") or MAX_PAGE), MAX_PAGE)
        start = _decode_cursor(req.arg("cursor"))
        page = models[start : start + limit]
        items = [_list_item(hub, m, req) for m in page]
        headers = {}
        if start + limit < len(models):
            query = [(k, v) for k, vals in req.query.items() if k != "cursor" for v in vals]
            query.append(("cursor", _encode_cursor(start + limit)))
            headers["Link"] = f'<{req.base_url}/hf/api/models?{urlencode(query)}>; rel="next"'
        return json_response(items, **headers)

    @r.get(r"/api/models/([^/]+/[^/]+)/commits/(.+)", "hub.list_commits")
    @limited
    def list_commits(req: Request, repo_id: str, rev: str) -> Response:
        info = hub.info(repo_id)
        if denied := hub.access_error(req, info, content=True):
            return denied
        git_dir = hub.git_dir(repo_id)
        if git_store.rev_parse(git_dir, rev) is None:
            return hub_error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        page, limit = int(req.arg("p") or 0), min(int(req.arg("limit") or 50), 1000)
        commits = git_store.log(git_dir, rev, skip=page * limit, limit=limit)
        total = git_store.count(git_dir, rev)
        items = [
            {
                "id": c.sha,
                "title": c.title,
                "message": c.message.split("\n", 1)[1].lstrip("\n") if "\n" in c.message else "",
                "authors": [{"user": c.author_name, "avatar": f"{req.base_url}/hf/avatars/{c.author_name}.svg"}],
                "date": c.committed_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            }
            for c in commits
        ]
        headers = {"X-Total-Count": str(total)}
        if (page + 1) * limit < total:
            query = urlencode({"p": page + 1, "limit": limit})
            headers["Link"] = f'<{req.base_url}/hf/api/models/{repo_id}/commits/{rev}?{query}>; rel="next"'
        return json_response(items, **headers)

    @r.post(r"/api/models/([^/]+/[^/]+)/super-squash/([^/]+)", "hub.super_squash")
    @limited
    def super_squash(req: Request, repo_id: str, branch: str) -> Response:
        """``HfApi.super_squash_history``: the branch becomes one root commit with its current files
        (history rewritten upstream, as the Hub does it; write access: a granted token)."""
        info = hub.info(repo_id)
        if denied := hub.access_error(req, info, content=True):
            return denied
        if not hub.authorized(req):
            return hub_error(401, "Unauthorized", "Invalid credentials in Authorization header")
        message = (req.json() or {}).get("message") or f"Super-squash branch '{branch}' using huggingface_hub"
        sha = git_store.squash(hub.git_dir(repo_id), branch, message)
        if sha is None:
            return hub_error(404, "RevisionNotFound", f"Invalid rev id: {branch}")
        return json_response({"commitOid": sha})

    @r.get(r"/api/models/([^/]+/[^/]+)/revision/(.+)", "hub.model_info")
    @limited
    def model_info_rev(req: Request, repo_id: str, rev: str) -> Response:
        return _model_info(req, repo_id, rev)

    @r.get(r"/api/models/([^/]+/[^/]+)", "hub.model_info")
    @limited
    def model_info(req: Request, repo_id: str) -> Response:
        return _model_info(req, repo_id, None)

    def _model_info(req: Request, repo_id: str, rev: str | None) -> Response:
        info = hub.info(repo_id)
        if denied := hub.access_error(req, info, content=False):
            return denied
        assert info is not None
        if rev is not None:
            sha = git_store.rev_parse(hub.git_dir(repo_id), rev)
            if sha is None:
                return hub_error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
            info["sha"] = sha
        info["siblings"] = hub.siblings(repo_id, rev or "main")
        return json_response(_expand(info, req.query, default=None))

    return r


def _list_item(hub: HubData, info: dict[str, Any], req: Request) -> dict[str, Any]:
    if req.arg("full") in ("True", "true", "1"):
        info = {**info, "siblings": hub.siblings(info["id"], "main")}
        base = info
    else:
        base = {k: info[k] for k in _LIST_FIELDS if k in info}
        if req.arg("cardData") in ("True", "true", "1") and "cardData" in info:
            base["cardData"] = info["cardData"]
    return _expand(info, req.query, default=base)


def _expand(info: dict[str, Any], query: dict[str, list[str]], default: dict[str, Any] | None) -> dict[str, Any]:
    """Apply ``expand``: only the named properties (plus the id) instead of the default shape."""
    fields = query.get("expand", []) + query.get("expand[]", [])
    if not fields:
        return default if default is not None else info
    return {"_id": info.get("_id"), "id": info["id"], **{f: info[f] for f in fields if f in info}}


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["offset"])
    except (ValueError, KeyError, TypeError):
        return 0
