"""Git smart HTTP for both platforms, through ``git http-backend`` (CGI), read-only.

- Hub repositories at ``{hf_endpoint}/{repo_id}`` (``.git`` optional), like ``huggingface.co/{id}``;
  gated or private ones answer 401 (no token) / 403 (a token without access) with
  ``X-Error-Code: GatedRepo`` unless ``Authorization: Bearer <token>`` names a token of
  ``states.json``'s ``hub_tokens``; missing ones 404 ``RepoNotFound``.
- GitHub repositories at ``{github_git}/{owner}/{repo}.git``; renamed ones answer 301 to the new name
  (git follows redirects of its first request), missing ones 404.

The bare repositories have ``uploadpack.allowFilter`` set, so partial clones (``--filter=blob:none``)
fetch commits and trees without file contents. Protocol v0 and v2 both work (``Git-Protocol`` is passed
through). Route names: ``git.hub.info_refs``, ``git.hub.upload_pack``, ``git.github.info_refs``,
``git.github.upload_pack``; ``api.count("git.hub")`` counts a platform's git requests.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from localapi.server import Request, Response, Router, json_response
from localapi.states import bearer, load_states

GIT_HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"


def cgi(project_root: Path, repo_path: str, service: str, req: Request) -> Response:
    """Run one request through ``git http-backend`` and turn its CGI output into a Response."""
    if service == "git-receive-pack" or req.arg("service") == "git-receive-pack":
        return json_response({"error": "pushing is not supported by the local server"}, 403)
    env = {
        "GIT_PROJECT_ROOT": str(project_root),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": f"/{repo_path}/{service}",
        "REQUEST_METHOD": req.method,
        "QUERY_STRING": "&".join(f"{k}={v}" for k, vals in req.query.items() for v in vals),
        "CONTENT_TYPE": req.headers.get("content-type", ""),
        "CONTENT_LENGTH": str(len(req.body)),
        "REMOTE_ADDR": "127.0.0.1",
        "PATH": "/usr/bin:/bin",
    }
    if enc := req.headers.get("content-encoding"):
        env["HTTP_CONTENT_ENCODING"] = enc
    if proto := req.headers.get("git-protocol"):
        env["GIT_PROTOCOL"] = proto
    proc = subprocess.run([GIT_HTTP_BACKEND], input=req.body, env=env, capture_output=True)
    head, sep, body = proc.stdout.partition(b"\r\n\r\n")
    if not sep:
        head, _, body = proc.stdout.partition(b"\n\n")
    status, headers = 200, {}
    for line in head.decode("latin-1").splitlines():
        key, _, value = line.partition(":")
        if key.lower() == "status":
            status = int(value.split()[0])
        elif key:
            headers[key.strip()] = value.strip()
    if proc.returncode and status == 200:
        return json_response({"error": proc.stderr.decode(errors="replace")[-500:]}, 500)
    return Response(status, body, headers, etag=False)


def router(data_dir: Path) -> Router:
    states = load_states(data_dir)
    tokens = set(states.get("hub_tokens", []))
    renamed = {k.lower(): v for k, v in states.get("github_renamed", {}).items()}
    hub_root, gh_root = data_dir / "git" / "hub", data_dir / "git" / "github"
    r = Router()

    def hub_git(req: Request, repo_id: str, service: str) -> Response:
        info_path = data_dir / "hub" / "models" / repo_id / "info.json"
        if ".." in repo_id or not info_path.is_file() or not (hub_root / f"{repo_id}.git").is_dir():
            return json_response({"error": "Repository not found"}, 404, **{"X-Error-Code": "RepoNotFound"})
        info = json.loads(info_path.read_text())
        if (info.get("gated") or info.get("private")) and bearer(req.headers) not in tokens:
            code = "GatedRepo" if info.get("gated") else "RepoNotFound"
            status = 403 if bearer(req.headers) else 401
            return json_response(
                {"error": f"Access to model {repo_id} is restricted."},
                status,
                **{"X-Error-Code": code, "WWW-Authenticate": 'Basic realm="Authentication required"'},
            )
        return cgi(hub_root, f"{repo_id}.git", service, req)

    def github_git(req: Request, owner: str, repo: str, service: str) -> Response:
        full = f"{owner}/{repo}"
        if (new := renamed.get(full.lower())) is not None:
            query = "&".join(f"{k}={v}" for k, vals in req.query.items() for v in vals)
            location = f"{req.base_url}/github/git/{new}.git/{service}" + (f"?{query}" if query else "")
            return Response(301, b"", {"Location": location}, etag=False)
        if not (gh_root / owner / f"{repo}.git").is_dir():
            return json_response({"error": "Repository not found."}, 404)
        return cgi(gh_root, f"{owner}/{repo}.git", service, req)

    for method in ("GET", "POST"):
        r.route(method, r"/hf/([^/]+/[^/]+?)(?:\.git)?/info/refs", "git.hub.info_refs")(
            lambda req, repo_id: hub_git(req, repo_id, "info/refs"))
        r.route(method, r"/hf/([^/]+/[^/]+?)(?:\.git)?/git-upload-pack", "git.hub.upload_pack")(
            lambda req, repo_id: hub_git(req, repo_id, "git-upload-pack"))
        r.route(method, r"/github/git/([^/]+)/([^/]+?)(?:\.git)?/info/refs", "git.github.info_refs")(
            lambda req, owner, repo: github_git(req, owner, repo, "info/refs"))
        r.route(method, r"/github/git/([^/]+)/([^/]+?)(?:\.git)?/git-upload-pack", "git.github.upload_pack")(
            lambda req, owner, repo: github_git(req, owner, repo, "git-upload-pack"))
        r.route(method, r"/(?:hf|github/git)/.+/git-receive-pack", "git.receive_pack")(
            lambda req: json_response({"error": "pushing is not supported by the local server"}, 403))
    return r
