"""GitHub's REST API (the subset PyGithub 2.10 calls for repositories, commits and contributors).

Routes (under ``/github/api``, PyGithub's ``base_url``):

- ``GET /repos/{owner}/{repo}``: ``repo.json`` with absolute ``url``/``*_url`` fields filled from the
  request's host (PyGithub follows them); a renamed repository answers ``301`` to its new name.
- ``GET /repos/{o}/{r}/commits?sha=&since=&until=&per_page=&page=``: history from the git repository,
  newest first, ``Link`` with next/last/first/prev; an empty repository answers 409 as GitHub does.
- ``GET /repos/{o}/{r}/commits/{sha}``: one commit with ``files`` (line counts from git) and ``stats``.
- ``GET /repos/{o}/{r}/contributors``: paged like commits (``totalCount`` works via the last link).
- ``GET /rate_limit``: the window (not counted against it).

Every answer carries ``X-RateLimit-Limit/-Remaining/-Reset/-Used/-Resource``; an exhausted window
answers 403 "API rate limit exceeded" with ``X-RateLimit-Remaining: 0`` and ``Retry-After``.
"""

from __future__ import annotations

import json
import math
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from localapi import git_store
from localapi.server import Request, Response, Router, json_response
from localapi.states import RateWindow, load_states

_DOCS = "https://docs.github.com/rest"
_NAME = r"([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)"


def not_found() -> Response:
    return json_response({"message": "Not Found", "documentation_url": _DOCS, "status": "404"}, 404)


def router(data_dir: Path) -> Router:
    states = load_states(data_dir)
    rate = RateWindow.for_platform(states, "github", 5000, 3600)
    renamed = {k.lower(): v for k, v in states.get("github_renamed", {}).items()}
    repos_root = data_dir / "github" / "repos"
    git_root = data_dir / "git" / "github"
    r = Router("/github/api")

    def rate_headers(remaining: int, reset_in: int) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(rate.limit),
            "X-RateLimit-Remaining": str(max(remaining, 0)),
            "X-RateLimit-Reset": str(int(time.time()) + reset_in),
            "X-RateLimit-Used": str(rate.limit - max(remaining, 0)),
            "X-RateLimit-Resource": "core",
        }

    def repo_route(pattern: str, name: str):
        """Register a /repos/{o}/{r}... handler with rate limiting, renames and 404 handled once."""

        def register(handler):
            @r.get(rf"/repos/{_NAME}{pattern}", name)
            def wrapped(req: Request, owner: str, repo: str, *rest: str) -> Response:
                remaining, reset_in = rate.take()
                headers = rate_headers(remaining, reset_in)
                full = f"{owner}/{repo}"
                if remaining < 0:
                    resp = json_response(
                        {"message": "API rate limit exceeded for 127.0.0.1.", "documentation_url": _DOCS},
                        403,
                        **{"Retry-After": str(reset_in)},
                    )
                elif (new := renamed.get(full.lower())) is not None:
                    tail = req.path.split(f"/repos/{full}", 1)[1]
                    query = urlencode([(k, v) for k, vals in req.query.items() for v in vals])
                    location = f"{req.base_url}/github/api/repos/{new}{tail}" + (f"?{query}" if query else "")
                    resp = json_response({"message": "Moved Permanently", "url": location, "documentation_url": _DOCS}, 301, Location=location)
                elif not (repos_root / owner / repo / "repo.json").is_file():
                    resp = not_found()
                else:
                    resp = handler(req, owner, repo, *rest)
                resp.headers.update(headers)
                return resp

            return wrapped

        return register

    def api_url(req: Request, path: str) -> str:
        return f"{req.base_url}/github/api{path}"

    def paged(req: Request, items: list[Any], total: int, page: int, per_page: int) -> Response:
        last = max(1, math.ceil(total / per_page))
        base = {k: v[-1] for k, v in req.query.items() if k != "page"}
        link = lambda p: f'<{req.base_url}{req.path}?{urlencode({**base, "page": p})}>'  # noqa: E731
        rels = []
        if page < last:
            rels += [f'{link(page + 1)}; rel="next"', f'{link(last)}; rel="last"']
        if page > 1:
            rels += [f'{link(1)}; rel="first"', f'{link(page - 1)}; rel="prev"']
        return json_response(items, **({"Link": ", ".join(rels)} if rels else {}))

    def paging(req: Request) -> tuple[int, int]:
        return max(1, int(req.arg("page") or 1)), min(max(1, int(req.arg("per_page") or 30)), 100)

    def commit_json(req: Request, full: str, c: git_store.GitCommit) -> dict[str, Any]:
        url = api_url(req, f"/repos/{full}/commits/{c.sha}")
        return {
            "sha": c.sha,
            "node_id": f"C_{c.sha[:20]}",
            "commit": {
                "author": {"name": c.author_name, "email": c.author_email, "date": c.authored_at.strftime("%Y-%m-%dT%H:%M:%SZ")},
                "committer": {"name": c.committer_name, "email": c.committer_email, "date": c.committed_at.strftime("%Y-%m-%dT%H:%M:%SZ")},
                "message": c.message,
                "tree": {"sha": "0" * 40, "url": api_url(req, f"/repos/{full}/git/trees/{'0' * 40}")},
                "url": api_url(req, f"/repos/{full}/git/commits/{c.sha}"),
                "comment_count": 0,
            },
            "url": url,
            "html_url": f"{req.base_url}/github/git/{full}/commit/{c.sha}",
            "author": None,
            "committer": None,
            "parents": [{"sha": p, "url": api_url(req, f"/repos/{full}/commits/{p}")} for p in c.parents],
        }

    @r.get(r"/rate_limit", "github.rate_limit")
    def rate_limit(req: Request) -> Response:
        remaining, reset_in = rate.peek()
        used = rate.limit - remaining
        core = {"limit": rate.limit, "remaining": max(remaining, 0), "reset": int(time.time()) + reset_in, "used": used, "resource": "core"}
        return json_response({"resources": {"core": core}, "rate": core}, **rate_headers(remaining, reset_in))

    @repo_route(r"", "github.repo")
    def get_repo(req: Request, owner: str, repo: str) -> Response:
        data = json.loads((repos_root / owner / repo / "repo.json").read_text())
        full = data["full_name"]
        data |= {
            "url": api_url(req, f"/repos/{full}"),
            "html_url": f"{req.base_url}/github/git/{full}",
            "clone_url": f"{req.base_url}/github/git/{full}.git",
            "git_url": f"{req.base_url}/github/git/{full}.git",
            "commits_url": api_url(req, f"/repos/{full}/commits{{/sha}}"),
            "contributors_url": api_url(req, f"/repos/{full}/contributors"),
        }
        data["owner"] = {**data["owner"], "url": api_url(req, f"/users/{data['owner']['login']}")}
        return json_response(data)

    @repo_route(r"/commits", "github.commits")
    def list_commits(req: Request, owner: str, repo: str) -> Response:
        git_dir = git_root / owner / f"{repo}.git"
        rev = req.arg("sha") or "main"
        if git_store.rev_parse(git_dir, "HEAD") is None:
            return json_response({"message": "Git Repository is empty.", "documentation_url": _DOCS}, 409)
        since = _parse_time(req.arg("since"))
        until = _parse_time(req.arg("until"))
        page, per_page = paging(req)
        commits = git_store.log(git_dir, rev, skip=(page - 1) * per_page, limit=per_page, since=since, until=until)
        total = git_store.count(git_dir, rev, since=since) if until is None else (page - 1) * per_page + len(commits)
        return paged(req, [commit_json(req, f"{owner}/{repo}", c) for c in commits], total, page, per_page)

    @repo_route(r"/commits/([0-9a-fA-F]{4,40}|[A-Za-z0-9_./-]+)", "github.commit")
    def get_commit(req: Request, owner: str, repo: str, ref: str) -> Response:
        git_dir = git_root / owner / f"{repo}.git"
        sha = git_store.rev_parse(git_dir, ref)
        if sha is None:
            return json_response({"message": f"No commit found for SHA: {ref}", "documentation_url": _DOCS}, 422)
        (c,) = git_store.log(git_dir, sha, limit=1)
        data = commit_json(req, f"{owner}/{repo}", c)
        files = git_store.files_changed(git_dir, sha)
        adds, dels = sum(f["additions"] for f in files), sum(f["deletions"] for f in files)
        data["files"] = files
        data["stats"] = {"total": adds + dels, "additions": adds, "deletions": dels}
        return json_response(data)

    @repo_route(r"/contributors", "github.contributors")
    def contributors(req: Request, owner: str, repo: str) -> Response:
        people = json.loads((repos_root / owner / repo / "contributors.json").read_text())
        if not people:
            return Response(204, b"")
        page, per_page = paging(req)
        items = [
            {**p, "url": api_url(req, f"/users/{p['login']}"), "node_id": f"U_{p['id']}", "site_admin": False}
            for p in people[(page - 1) * per_page : page * per_page]
        ]
        return paged(req, items, len(people), page, per_page)

    return r


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
